"""Documentation that cannot drift: generated sections are re-generated and compared."""

from __future__ import annotations

import pytest
from cogapp import Cog
from district_factory import REPO_ROOT

GENERATED = sorted(path for path in (REPO_ROOT / "docs").rglob("*.md") if "[[[cog" in path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", GENERATED, ids=[str(p.relative_to(REPO_ROOT)) for p in GENERATED])
def test_generated_docs_are_up_to_date(path):
    status = Cog().main(["cog", "--check", str(path)])
    assert status == 0, f"{path.relative_to(REPO_ROOT)} is out of date: run `.venv/bin/cog -r {path.relative_to(REPO_ROOT)}`"


def test_catalog_reference_lists_every_field():
    from credfolio.catalog import CredentialDefinition, StacksFile

    text = (REPO_ROOT / "docs" / "reference" / "catalog.md").read_text(encoding="utf-8")
    for name in list(CredentialDefinition.model_fields) + [f"stacks[].{n}" for n in ("id", "title", "credentials", "capstone", "earns")]:
        assert f"| `{name}` |" in text, name
    assert StacksFile.model_fields

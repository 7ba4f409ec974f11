"""Documentation that cannot drift: generated sections are re-generated and compared; every command and field is documented."""

from __future__ import annotations

from functools import cache

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


@cache
def _docs_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted((REPO_ROOT / "docs").rglob("*.md")))


def _command_paths() -> list[str]:
    import click

    from credfolio.cli import cli

    paths: list[str] = []

    def walk(command: click.Command, path: list[str], context: click.Context | None) -> None:
        context = click.Context(command, info_name=path[-1], parent=context)
        paths.append(" ".join(path))
        if isinstance(command, click.Group):
            for name in sorted(command.list_commands(context)):
                walk(command.get_command(context, name), [*path, name], context)

    walk(cli, ["credfolio"], None)
    return paths


@pytest.mark.parametrize("command", _command_paths())
def test_docs_mention_every_cli_command(command):
    # the generated CLI reference counts; a command added without regenerating it (cog) fails here too
    if command not in _docs_text():
        pytest.fail(f"`{command}` appears nowhere in docs/: document it (and regenerate docs/reference/cli.md with cog)")


def _catalog_field_paths() -> list[str]:
    import re

    from credfolio.catalog import field_reference

    return re.findall(r"^\| `([^`]+)` \|", field_reference(), flags=re.MULTILINE)


def test_docs_document_every_catalog_field():
    fields = _catalog_field_paths()
    assert len(fields) > 40 and "rubric.passing.minimum_level" in fields and "stacks[].earns.title" in fields
    text = _docs_text()
    missing = [field for field in fields if f"`{field}`" not in text]
    if missing:
        pytest.fail(f"catalog fields documented nowhere in docs/: {missing}")

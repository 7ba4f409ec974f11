"""Bundled JSON-LD contexts and the offline document loader."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path

import pytest
from pyld.jsonld import JsonLdError

from credfolio import contexts
from credfolio.contexts import CONTEXT_FILES, CONTEXT_URLS, document_loader, load_context

STANDARDS = Path(__file__).resolve().parents[1].parent / "shared" / "standards"
CONTEXTS_DIR = resources.files(contexts)


def _standards_index() -> dict:
    index = STANDARDS / "contexts" / "INDEX.json"
    if not index.is_file():
        pytest.skip(f"standards data not found at {STANDARDS} (../shared/standards): cannot compare contexts")
    return json.loads(index.read_text())


@pytest.mark.parametrize("url", sorted(CONTEXT_URLS))
def test_bundled_context_is_json_equal_to_the_pinned_standards_copy(url):
    index = _standards_index()
    if url not in index:
        pytest.skip(f"{url} is not listed in {STANDARDS / 'contexts' / 'INDEX.json'}")
    pinned = json.loads((STANDARDS / "contexts" / index[url]["file"]).read_bytes())
    assert load_context(url) == pinned


def test_the_constants_name_the_six_bundled_contexts():
    assert CONTEXT_URLS == {
        contexts.CREDENTIALS_V2,
        contexts.OB_V3P0,
        contexts.OB_EXTENSIONS,
        contexts.DID_V1,
        contexts.MULTIKEY_V1,
        contexts.DATA_INTEGRITY_V2,
    }


def test_provenance_lists_every_file_with_its_sha256():
    provenance = CONTEXTS_DIR.joinpath("PROVENANCE.md").read_text(encoding="utf-8")
    for url, file in CONTEXT_FILES.items():
        digest = hashlib.sha256(CONTEXTS_DIR.joinpath(file).read_bytes()).hexdigest()
        row = next((line for line in provenance.splitlines() if line.startswith(f"| `{url}` |")), None)
        assert row is not None, f"PROVENANCE.md has no row for {url}"
        assert f"`{file}`" in row and f"`{digest}`" in row, row
        assert re.search(r"`[@\w./-]+@\d+\.\d+\.\d+`", row), "row names no package@version"


def test_loader_returns_a_pyld_remote_document_with_a_private_copy():
    first = document_loader(contexts.OB_V3P0)
    assert first["documentUrl"] == contexts.OB_V3P0
    assert first["contextUrl"] is None
    first["document"]["@context"]["tampered"] = "urn:x"
    assert "tampered" not in document_loader(contexts.OB_V3P0)["document"]["@context"]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.w3.org/ns/credentials/examples/v2",
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "https://www.w3.org/2018/credentials/v1",
        "http://www.w3.org/ns/credentials/v2",
        "https://evil.example/context.json",
    ],
    ids=["examples-v2", "ed25519-2020", "vc-v1", "http-scheme", "unknown-host"],
)
def test_loader_refuses_a_url_that_is_not_bundled(url):
    with pytest.raises(JsonLdError) as raised:
        document_loader(url)
    assert url in str(raised.value)
    with pytest.raises(KeyError):
        load_context(url)

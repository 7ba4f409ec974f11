"""Publishing the wallet with the site: did.json, status lists, public badges — and the build-time guarantee."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from district_factory import REPO_ROOT
from mkdocs.exceptions import Abort, PluginError
from site_build import build, sample_site

from credfolio.config import load_district
from credfolio.keys import did_web_document_url


def test_sample_site_publishes_the_did_document_where_did_web_resolves_it():
    site = sample_site()
    district = load_district(REPO_ROOT)
    url = did_web_document_url(district.issuer_did)
    assert url.startswith(district.site_url)
    published = site / url[len(district.site_url):]
    assert json.loads(published.read_text()) == json.loads((REPO_ROOT / "wallet" / "did.json").read_text())


def test_sample_site_publishes_every_public_badge_and_status_list():
    site = sample_site()
    for folder in ("badges", "status"):
        sources = sorted(p.name for p in (REPO_ROOT / "wallet" / folder).glob("*.json"))
        assert sources, folder
        assert sources == sorted(p.name for p in (site / folder).glob("*.json"))


def test_no_email_address_but_the_district_contact_is_published():
    import re

    site = sample_site()
    contact = load_district(REPO_ROOT).settings.contact_email
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".jsonl", ".md", ".yml", ".xml", ".txt", ".csv"):
            text = path.read_text(encoding="utf-8", errors="replace")
            found = set(re.findall(r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b", text))
            # the district's role address and the docs' placeholder domain are the only ones allowed
            addresses = {a for a in found if a != contact and not a.endswith("@district.example")}
            assert not addresses, (path, addresses)


def _build_fails(root: Path, site_dir: Path, caplog, pattern: str) -> None:
    """The build aborts and MkDocs logs the credfolio error matching ``pattern``."""
    import re

    with pytest.raises((Abort, PluginError)):
        build(root / "mkdocs.yml", site_dir)
    assert re.search(pattern, caplog.text), caplog.text


def _copy_district(tmp_path: Path) -> Path:
    root = tmp_path / "district"
    for name in ("catalog", "wallet", "docs", "hooks", "overrides"):
        shutil.copytree(REPO_ROOT / name, root / name)
    shutil.copy(REPO_ROOT / "mkdocs.yml", root / "mkdocs.yml")
    return root


def test_a_hand_edited_badge_fails_the_build(tmp_path, caplog):
    root = _copy_district(tmp_path)
    badge = sorted((root / "wallet" / "badges").glob("*.json"))[0]
    document = json.loads(badge.read_text())
    document["credentialSubject"]["achievement"]["name"] = "Something never awarded"
    badge.write_text(json.dumps(document))
    _build_fails(root, tmp_path / "site", caplog, rf"wallet/badges/{badge.name} does not verify \(proof: ")


def test_a_badge_signed_by_a_key_missing_from_did_json_fails_the_build(tmp_path, caplog):
    root = _copy_district(tmp_path)
    did = json.loads((root / "wallet" / "did.json").read_text())
    did["verificationMethod"][0]["publicKeyMultibase"] = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    (root / "wallet" / "did.json").write_text(json.dumps(did))
    _build_fails(root, tmp_path / "site", caplog, "does not verify")


@pytest.mark.parametrize("material", [
    "-----BEGIN " "PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ\n-----END PRIVATE KEY-----\n",
    "z3u2" "en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq",
], ids=["PEM private key", "Multikey secret key"])
def test_private_key_material_in_docs_refuses_to_publish(tmp_path, caplog, material):
    root = _copy_district(tmp_path)
    (root / "docs" / "notes.txt").write_text(material)
    _build_fails(root, tmp_path / "site", caplog, "notes.txt contains private key material")


def test_a_signature_that_happens_to_start_like_a_secret_key_is_not_key_material():
    from credfolio.keys import holds_private_key_material as _holds_key_material

    # A real proofValue from a 5,000-badge synthetic district: 64 bytes whose base58 starts "z3u2", like an
    # Ed25519 secretKeyMultibase. It once stopped a genuine build; only a 34-byte 0x8026 value is a key.
    signature = "z3u2y6roP2mRi2cGwY5SYhMjTRh6nBckJ84kMQZHKZ1CjxXzw6h79gazkKm1yLnDuYWLH24xKH9F75zXRYggyfJ3V"
    assert not _holds_key_material(f'{{"proofValue": "{signature}"}}'.encode())
    assert _holds_key_material(b'{"proofValue": "x", "secretKeyMultibase": "z3u2' b'en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"}')

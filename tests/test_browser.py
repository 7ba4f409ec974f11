"""credfolio.browser without a browser: finding the bundle, the verify page, the badge-page panel, and the build's inputs.

The verifier itself runs in Chromium in ``test_browser_verifier.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from badge_factory import SITE_URL
from credfolio import browser
from credfolio.browser import (
    BUNDLE_FILES,
    CONTENT_SECURITY_POLICY,
    SITE_ASSETS_DIR,
    ensure_verifier_bundle,
    verification_panel_html,
    write_verify_page,
)
from credfolio.config import DistrictConfig, DistrictSettings
from credfolio.contexts import CONTEXT_FILES
from credfolio.errors import SiteError

REPO_ROOT = Path(__file__).resolve().parents[1]
JS_DIR = REPO_ROOT / "js"


def _district(root: Path, name: str = "Testville School District") -> DistrictConfig:
    return DistrictConfig(root=root, site_url=SITE_URL, site_name="Testville Schools", settings=DistrictSettings(name=name))


def _fake_bundle(checkout: Path, inputs: dict[str, str] | None = None) -> Path:
    folder = checkout / "build" / "verifier"
    folder.mkdir(parents=True)
    for name in BUNDLE_FILES:
        (folder / name).write_text(f"/* {name} */", encoding="utf-8")
    (folder / "BUILD.json").write_text(json.dumps({"inputs": inputs or {}}), encoding="utf-8")
    return folder


@pytest.fixture
def no_source_bundle(monkeypatch, tmp_path):
    """Pretend the credfolio checkout has no bundle, so only the district's own folder is searched."""
    monkeypatch.setattr(browser, "_source_root", lambda: tmp_path / "credfolio-checkout")
    monkeypatch.setattr(browser, "packaged_bundle_dir", lambda: tmp_path / "site-packages" / "credfolio" / "verifier")


class _Elements(HTMLParser):
    """Every start tag as (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_bodies.append(data)


def _parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


# --- finding the bundle ------------------------------------------------------------------------------------


def test_a_missing_bundle_says_to_run_make_verifier(tmp_path, no_source_bundle):
    with pytest.raises(SiteError, match=r"the in-browser verifier is not built .*run `make verifier`"):
        ensure_verifier_bundle(tmp_path)


def test_an_incomplete_bundle_counts_as_missing(tmp_path, no_source_bundle):
    folder = _fake_bundle(tmp_path)
    (folder / "verifier.css").unlink()
    with pytest.raises(SiteError, match="not built"):
        ensure_verifier_bundle(tmp_path)


def test_a_bundle_whose_sources_match_is_used(tmp_path, no_source_bundle):
    source = tmp_path / "js" / "verifier" / "verify.js"
    source.parent.mkdir(parents=True)
    source.write_text("export {};", encoding="utf-8")
    folder = _fake_bundle(tmp_path, {"js/verifier/verify.js": hashlib.sha256(b"export {};").hexdigest()})
    assert ensure_verifier_bundle(tmp_path) == folder.resolve()


def test_a_bundle_older_than_its_sources_is_refused(tmp_path, no_source_bundle):
    source = tmp_path / "js" / "verifier" / "verify.js"
    source.parent.mkdir(parents=True)
    source.write_text("export const changed = true;", encoding="utf-8")
    _fake_bundle(tmp_path, {"js/verifier/verify.js": hashlib.sha256(b"export {};").hexdigest()})
    with pytest.raises(SiteError, match=r"out of date: js/verifier/verify.js changed since it was built; run `make verifier`"):
        ensure_verifier_bundle(tmp_path)


def test_a_bundle_without_its_sources_beside_it_is_used_as_built(tmp_path, no_source_bundle):
    folder = _fake_bundle(tmp_path, {"js/verifier/verify.js": "0" * 64})
    assert ensure_verifier_bundle(tmp_path) == folder.resolve()


def test_an_unreadable_manifest_is_refused(tmp_path, no_source_bundle):
    folder = _fake_bundle(tmp_path)
    (folder / "BUILD.json").write_text("{", encoding="utf-8")
    with pytest.raises(SiteError, match="unreadable bundle manifest"):
        ensure_verifier_bundle(tmp_path)


def test_a_district_of_its_own_uses_the_bundle_of_the_credfolio_checkout(tmp_path, monkeypatch):
    checkout = tmp_path / "credfolio"
    folder = _fake_bundle(checkout)
    monkeypatch.setattr(browser, "_source_root", lambda: checkout)
    assert ensure_verifier_bundle(tmp_path / "district") == folder.resolve()


def test_an_installed_wheel_uses_the_bundle_packaged_inside_it(tmp_path, no_source_bundle):
    # `make dist` copies build/verifier/ into the package; pip-installed districts have no checkout
    folder = _fake_bundle(tmp_path / "wheel", {"js/verifier/verify.js": "0" * 64})
    packaged = tmp_path / "site-packages" / "credfolio" / "verifier"
    packaged.parent.mkdir(parents=True)
    folder.rename(packaged)
    assert ensure_verifier_bundle(tmp_path / "district") == packaged.resolve()


# --- the verify page -----------------------------------------------------------------------------------------


def test_the_verify_page_is_standalone_with_a_strict_content_security_policy(tmp_path):
    bundle = _fake_bundle(tmp_path / "checkout")
    site = tmp_path / "site"
    page = write_verify_page(site, _district(tmp_path), bundle)
    assert page == site / "verify" / "index.html"
    for name in BUNDLE_FILES:
        assert (site / SITE_ASSETS_DIR / name).read_text(encoding="utf-8") == f"/* {name} */"
    html = page.read_text(encoding="utf-8")
    parsed = _parse(html)
    csp = [a["content"] for tag, a in parsed.elements if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp == [CONTENT_SECURITY_POLICY]
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "unsafe" not in CONTENT_SECURITY_POLICY
    scripts = [a for tag, a in parsed.elements if tag == "script"]
    # Only this site's script, and one JSON data block (never executed, so CSP-safe).
    assert [(s.get("src"), s.get("type")) for s in scripts] == [(None, "application/json"), ("../assets/credfolio/verifier/verifier.js", None)]
    assert not any(name.startswith("on") for _, attributes in parsed.elements for name in attributes)
    assert not any("style" in attributes for _, attributes in parsed.elements)
    assert "material" not in html.lower()
    links = [value for _, attributes in parsed.elements for name, value in attributes.items() if name in ("src", "href", "action")]
    # nothing from another site (the favicon is an empty data: URL, so no /favicon.ico request either)
    assert links and not any(re.match(r"^[a-z]+:|^//", value or "") for value in links if value != "data:,"), links
    config = json.loads(parsed.script_bodies[0])
    assert config == {"districtName": "Testville School District", "siteRoot": "../", "siteUrl": SITE_URL}


def test_the_verify_page_has_the_machine_readable_verdict_and_labelled_controls(tmp_path):
    html = write_verify_page(tmp_path / "site", _district(tmp_path), _fake_bundle(tmp_path / "checkout")).read_text(encoding="utf-8")
    elements = _parse(html).elements
    region = next(a for tag, a in elements if a.get("id") == "verification")
    assert (region["data-state"], region["aria-live"]) == ("idle", "polite")
    labelled = {a["for"] for tag, a in elements if tag == "label"}
    controls = {a["id"] for tag, a in elements if tag in ("textarea", "input")}
    assert controls == {"verify-input", "verify-file"} and controls <= labelled
    assert "<title>Verify a badge · Testville School District</title>" in html


def test_district_text_is_escaped_in_the_page_and_in_its_configuration(tmp_path):
    name = "Springfield </script><script>alert(1)</script> & Co"
    html = write_verify_page(tmp_path / "site", _district(tmp_path, name), _fake_bundle(tmp_path / "checkout")).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    parsed = _parse(html)
    assert json.loads(parsed.script_bodies[0])["districtName"] == name
    assert len([tag for tag, _ in parsed.elements if tag == "script"]) == 2


def test_a_district_can_override_the_verify_page(tmp_path):
    override = tmp_path / "overrides" / "credfolio" / "verify" / "index.html"
    override.parent.mkdir(parents=True)
    override.write_text("<p>{{ district.name }} verifies here</p>", encoding="utf-8")
    html = write_verify_page(tmp_path / "site", _district(tmp_path), _fake_bundle(tmp_path / "checkout")).read_text(encoding="utf-8")
    assert html == "<p>Testville School District verifies here</p>"


def test_the_badge_page_panel_points_at_the_badge_and_the_shared_assets(tmp_path):
    panel = verification_panel_html(SITE_URL + "badges/abc.json?x=<b>", district=_district(tmp_path), page_path="badges/abc/index.html")
    elements = _parse(str(panel)).elements
    root = next(a for tag, a in elements if "data-credfolio-verifier" in a)
    assert (root["data-credfolio-verifier"], root["data-credential-url"]) == ("panel", SITE_URL + "badges/abc.json?x=<b>")
    assert "<b>" not in str(panel)
    assert ("script", {"defer": None, "src": "../../assets/credfolio/verifier/verifier.js"}) in elements
    assert ("a", {"href": "../../verify/"}) in elements
    region = next(a for tag, a in elements if a.get("id") == "verification")
    assert region["aria-live"] == "polite"
    config = json.loads(re.search(r'type="application/json">(.*?)</script>', str(panel)).group(1))
    assert config["siteRoot"] == "../../"


# --- the build's inputs --------------------------------------------------------------------------------------


def test_the_browser_bundles_exactly_the_python_contexts():
    mapping = json.loads((JS_DIR / "verifier" / "context-files.json").read_text(encoding="utf-8"))
    assert mapping == CONTEXT_FILES


def test_npm_dependencies_are_pinned_exactly():
    package = json.loads((JS_DIR / "package.json").read_text(encoding="utf-8"))
    for name, version in {**package["dependencies"], **package["devDependencies"]}.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}@{version} is not an exact version"
    lock = json.loads((JS_DIR / "package-lock.json").read_text(encoding="utf-8"))
    for name, version in package["dependencies"].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_the_licence_list_names_every_package_locked_for_the_bundle():
    text = (JS_DIR / "LICENSES.md").read_text(encoding="utf-8")
    lock = json.loads((JS_DIR / "package-lock.json").read_text(encoding="utf-8"))
    for name in ("jsonld", "rdf-canonize", "canonicalize", "lru-cache", "yallist", "setimmediate", "@noble/ed25519", "esbuild"):
        entry = lock["packages"][f"node_modules/{name}"]
        assert f"| `{name}` | {entry['version']} | {entry['license']}" in text, f"{name}@{entry['version']} ({entry['license']}) is not listed in js/LICENSES.md"


def test_a_built_bundle_matches_the_licence_list_and_the_python_contexts():
    manifest_path = REPO_ROOT / "build" / "verifier" / "BUILD.json"
    if not manifest_path.is_file():
        pytest.skip("in-browser verifier not built — run `make verifier`")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    text = (JS_DIR / "LICENSES.md").read_text(encoding="utf-8")
    for name, version in manifest["packages"].items():
        assert f"| `{name}` | {version} |" in text, f"{name}@{version} is bundled but not listed in js/LICENSES.md"
    contexts_dir = REPO_ROOT / "src" / "credfolio" / "contexts"
    assert manifest["contexts"] == {url: hashlib.sha256((contexts_dir / file).read_bytes()).hexdigest() for url, file in CONTEXT_FILES.items()}
    licences = (manifest_path.parent / "THIRD-PARTY-LICENSES.txt").read_text(encoding="utf-8")
    for name, version in manifest["packages"].items():
        assert f"{name}@{version}" in licences

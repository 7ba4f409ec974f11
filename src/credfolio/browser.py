"""The in-browser verifier on the published site: the ``verify/`` page and the panel badge pages include.

The verifier itself is JavaScript (``js/verifier/``, a port of :mod:`credfolio.verify` with the same
checks, states and bundled contexts), bundled by ``make verifier`` into ``build/verifier/`` — built, never
committed. This module finds that bundle, copies it into the site at ``assets/credfolio/verifier/`` and
renders the pages around it from overridable templates (``credfolio/templates/verify/``):

* :func:`ensure_verifier_bundle` — the built bundle, or a :class:`~credfolio.errors.SiteError` saying
  to run ``make verifier`` (also when a source file changed since the bundle was built);
* :func:`write_verify_page` — ``site/verify/index.html``, a standalone page (no theme) with a strict
  Content-Security-Policy, plus the bundle;
* :func:`verification_panel_html` — the snippet a badge page includes to verify its own badge.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shutil
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from credfolio.config import DistrictConfig
from credfolio.errors import SiteError
from credfolio.render import template_environment

#: Where ``make verifier`` (``node js/build.mjs``) writes the bundle, relative to the credfolio checkout.
BUNDLE_DIR = Path("build") / "verifier"
#: The files of the bundle the site serves (the licences of the bundled npm packages travel with it).
BUNDLE_FILES = ("verifier.js", "verifier.css", "THIRD-PARTY-LICENSES.txt")
#: The bundle's manifest: packages, context hashes and the sha256 of every input it was built from.
MANIFEST = "BUILD.json"
#: Where the bundle goes in the built site.
SITE_ASSETS_DIR = "assets/credfolio/verifier"
#: Where the verify page goes in the built site.
VERIFY_PAGE = "verify/index.html"
GENERATED_BY = "credfolio"

#: The verify page may run only this site's own script and style. It reads credentials, DID documents
#: and status lists from this site (local preview, same-origin paths) and from https URLs a badge names.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self' https:",
        "media-src 'self' blob: mediastream:",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)

_RUN_MAKE = "run `make verifier` in the credfolio repository (it needs Node.js and npm)"


def _source_root() -> Path:
    """The credfolio checkout this package runs from (src/credfolio/ → the repository root)."""
    return Path(__file__).resolve().parents[2]


def packaged_bundle_dir() -> Path:
    """Where a released wheel carries the bundle (``make dist`` copies ``build/verifier/`` there)."""
    return Path(__file__).resolve().parent / "verifier"


def ensure_verifier_bundle(repo_root: Path | str) -> Path:
    """The folder holding the built verifier (``verifier.js``, ``verifier.css``, ``BUILD.json``).

    Looks in ``repo_root/build/verifier/``, then in the credfolio checkout this package runs from
    (so a district repository of its own can use an editable install), then inside the installed
    package (a wheel built by ``make dist``, which is what ``pip install credfolio`` gives a district). Raises :class:`SiteError` when
    no bundle is built, or when a file it was built from (``js/verifier/*``, the lock file, the bundled
    contexts) has changed since — in both cases the fix is ``make verifier``.
    """
    candidates = []
    for folder in (Path(repo_root) / BUNDLE_DIR, _source_root() / BUNDLE_DIR, packaged_bundle_dir()):
        folder = folder.resolve()
        if folder not in candidates:
            candidates.append(folder)
    for folder in candidates:
        if all((folder / name).is_file() for name in (*BUNDLE_FILES, MANIFEST)):
            _check_fresh(folder)
            return folder
    looked = " or ".join(str(folder) for folder in candidates)
    raise SiteError(f"the in-browser verifier is not built (no complete bundle in {looked}): {_RUN_MAKE}")


def _check_fresh(folder: Path) -> None:
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        inputs = manifest["inputs"]
        if not isinstance(inputs, dict):
            raise TypeError("inputs is not an object")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SiteError(f"{manifest_path}: unreadable bundle manifest ({error}): {_RUN_MAKE}") from None
    checkout = folder.parents[1]  # <checkout>/build/verifier
    for relative, expected in sorted(inputs.items()):
        source = checkout / relative
        if not source.is_file():
            continue  # a bundle copied without its sources (a wheel, a CI artifact) cannot be rechecked
        if hashlib.sha256(source.read_bytes()).hexdigest() != expected:
            raise SiteError(f"the in-browser verifier in {folder} is out of date: {relative} changed since it was built; {_RUN_MAKE}")


def bundle_manifest(bundle_dir: Path | str) -> dict[str, Any]:
    """The parsed ``BUILD.json`` of a bundle (packages and versions, context hashes, inputs)."""
    return json.loads((Path(bundle_dir) / MANIFEST).read_text(encoding="utf-8"))


def copy_verifier_bundle(site_dir: Path | str, bundle_dir: Path | str) -> Path:
    """Copy the bundle into ``site_dir/assets/credfolio/verifier/``; return that folder."""
    target = Path(site_dir) / SITE_ASSETS_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name in BUNDLE_FILES:
        shutil.copyfile(Path(bundle_dir) / name, target / name)
    return target


def _json_for_html(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>``, no HTML-significant characters)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return Markup(text)


def _relative(target: str, page: str) -> str:
    """URL of site path ``target`` from the page at site path ``page`` (both relative to the site root)."""
    start = posixpath.dirname(page) or "."
    path = posixpath.relpath(target, start)
    return path + "/" if target.endswith("/") and not path.endswith("/") else path


def _verifier_config(district: DistrictConfig, site_root: str) -> dict[str, Any]:
    # siteUrl: what local preview maps onto the serving origin; siteRoot: the site root relative to the page.
    return {"siteUrl": district.site_url, "siteRoot": site_root, "districtName": district.name}


def write_verify_page(site_dir: Path | str, district: DistrictConfig, bundle_dir: Path | str, *, env: jinja2.Environment | None = None) -> Path:
    """Write ``site_dir/verify/index.html`` and copy the verifier bundle next to it; return the page's path.

    The page is standalone HTML (no theme), rendered from ``verify/index.html`` — a district can
    override it in ``overrides/credfolio/verify/index.html``.
    """
    site_dir = Path(site_dir)
    copy_verifier_bundle(site_dir, bundle_dir)
    env = env or template_environment(district.root)
    site_root = _relative("./", VERIFY_PAGE)
    try:
        html = env.get_template("verify/index.html").render(
            district=district,
            language="en",
            generated_by=GENERATED_BY,
            content_security_policy=CONTENT_SECURITY_POLICY,
            assets_url=_relative(SITE_ASSETS_DIR + "/", VERIFY_PAGE),
            site_root=site_root,
            config_json=_json_for_html(_verifier_config(district, site_root)),
        )
    except jinja2.TemplateError as error:
        raise SiteError(f"verify/index.html: the template cannot be rendered: {error}") from None
    page = site_dir / VERIFY_PAGE
    page.parent.mkdir(parents=True, exist_ok=True)
    temporary = page.with_name(page.name + ".tmp")
    temporary.write_text(html, encoding="utf-8")
    os.replace(temporary, page)
    return page


def verification_panel_html(
    credential_url: str,
    *,
    district: DistrictConfig,
    page_path: str,
    env: jinja2.Environment | None = None,
) -> Markup:
    """The verification panel for the page at site path ``page_path`` (e.g. ``badges/<id>/index.html``).

    ``credential_url`` is the badge's JSON — its https URL, or a path on this site. The panel verifies
    it when the page loads and shows one row per check; it needs the bundle in the site
    (:func:`write_verify_page` or :func:`copy_verifier_bundle`). Include one panel per page.
    """
    env = env or template_environment(district.root)
    site_root = _relative("./", page_path)
    return Markup(
        env.get_template("verify/panel.html").render(
            credential_url=credential_url,
            assets_url=_relative(SITE_ASSETS_DIR + "/", page_path),
            verify_page_url=_relative("verify/", page_path),
            config_json=_json_for_html(_verifier_config(district, site_root)),
        )
    )

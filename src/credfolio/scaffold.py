"""``credfolio init``: start a new district repository from the files in ``credfolio/scaffold_files/``.

The scaffold is package data, so it works from an installed wheel as well as from a checkout:
``mkdocs.yml`` with the district config, two example credentials and a stack, an empty ``wallet/``,
the thin MkDocs hooks, the theme override for social-preview tags, minimal ``docs/`` pages, a
``.gitignore`` that keeps keys and build output out, a README with next steps, and the GitHub Pages
workflow (``.github/workflows/pages.yml``).

Package-data globs skip names that start with a dot, so ``dot-gitignore`` and ``dot-github/`` are
stored without it and renamed on the way out. Placeholders look like ``%%NAME_YAML%%`` rather than
Jinja's ``{{ … }}``, because the workflow's own ``${{ github.… }}`` expressions must pass through.

:func:`init_district` checks every target path before writing anything, so a refusal leaves the
folder exactly as it was.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from credfolio import __version__
from credfolio.errors import ConfigError, ScaffoldError
from credfolio.fsutil import create_new_file

SCAFFOLD_PACKAGE_DIR = "scaffold_files"
#: A path component stored as ``dot-x`` in the package becomes ``.x`` in the new district.
DOT_PREFIX = "dot-"
MAX_NAME_LENGTH = 120  # the limit of extra.credfolio.name
_PLACEHOLDER = re.compile(r"%%[A-Z_]+%%")
_VERSION = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_district` created."""

    root: Path
    name: str
    site_url: str
    issuer_did: str
    files: tuple[str, ...]  # relative POSIX paths, sorted


def normalize_site_url(url: str) -> str:
    """The site URL as ``mkdocs.yml`` should hold it: https, lower-case host, exactly one trailing slash.

    Raises :class:`ScaffoldError` for anything a did:web cannot be derived from (not https, a query,
    a fragment, credentials, an invalid host or path segment), with the same rules the district
    config applies when it loads.
    """
    from credfolio.keys import did_web_from_site_url

    text = (url or "").strip()
    if any(character.isspace() for character in text):
        raise ScaffoldError(f"--site-url must not contain spaces: {url!r}")
    parts = urlsplit(text)
    if parts.scheme.lower() != "https" or not parts.netloc:
        raise ScaffoldError(f"--site-url must be the https address the site will be published at, "
                            f"like https://<owner>.github.io/<repo>/ (got {url!r})")
    path = parts.path.rstrip("/") + "/"
    normalized = urlunsplit(("https", parts.netloc.lower(), path, parts.query, parts.fragment))
    if text.endswith(("?", "#")):
        normalized += text[-1]  # urlsplit drops an empty query or fragment; the DID rules must still see it
    try:
        did_web_from_site_url(normalized)
    except ConfigError as error:
        raise ScaffoldError(f"--site-url: {error.message}") from None
    return normalized


def validate_district_name(name: str) -> str:
    """The district's name, stripped; raises :class:`ScaffoldError` when it cannot be used.

    It becomes ``extra.credfolio.name`` (at most 120 characters), the issuer name in every badge and
    the heading of the site, so it must be one line of printable text with at least one letter.
    """
    text = (name or "").strip()
    if not text:
        raise ScaffoldError("--name is empty; give the district's name, e.g. --name \"Riverbend Unified School District\"")
    if len(text) > MAX_NAME_LENGTH:
        raise ScaffoldError(f"--name is {len(text)} characters long; at most {MAX_NAME_LENGTH} are allowed")
    for character in text:
        if unicodedata.category(character) in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise ScaffoldError(f"--name contains a control or unprintable character (U+{ord(character):04X})")
    if not any(character.isalpha() for character in text):
        raise ScaffoldError(f"--name must contain letters: {text!r}")
    return text


def scaffold_files(name: str, site_url: str, *, version: str = __version__) -> dict[str, bytes]:
    """Every file of a new district, ``{relative POSIX path: content}``, for a validated name and URL.

    Pure: reads the package's scaffold templates and fills in the placeholders; writes nothing.
    """
    from credfolio.keys import did_web_from_site_url

    name = validate_district_name(name)
    site_url = normalize_site_url(site_url)
    if not _VERSION.match(version):
        raise ScaffoldError(f"cannot pin credfolio version {version!r} in the workflow (not a release version)")
    values = {
        "%%NAME_YAML%%": _yaml_string(name),
        "%%SITE_NAME_YAML%%": _yaml_string(f"{name} Micro-credentials"),
        "%%NAME_MARKDOWN%%": _markdown_text(name),
        "%%SITE_URL%%": site_url,
        "%%ISSUER_DID%%": did_web_from_site_url(site_url),
        "%%CREDFOLIO_VERSION%%": version,
    }
    files: dict[str, bytes] = {}
    for relative, data in _template_files():
        if _PLACEHOLDER.search(data.decode("utf-8", errors="replace")):
            text = data.decode("utf-8")
            for placeholder, value in values.items():
                text = text.replace(placeholder, value)
            leftover = _PLACEHOLDER.search(text)
            if leftover:
                raise ScaffoldError(f"scaffold template {relative} has an unknown placeholder {leftover.group()}")
            data = text.encode("utf-8")
        files[relative] = data
    _check_config(files["mkdocs.yml"], name, site_url)
    return files


def init_district(target: Path | str, *, name: str, site_url: str, version: str = __version__) -> InitResult:
    """Create a new district repository in ``target`` (created if missing); return what was written.

    Refuses (:class:`ScaffoldError`, nothing written) when any file it would create already exists,
    or when a folder it needs is a file. ``target`` may be an existing folder, e.g. a fresh clone
    holding only ``.git`` and a licence.
    """
    from credfolio.keys import did_web_from_site_url

    root = Path(target)
    name, site_url = validate_district_name(name), normalize_site_url(site_url)
    files = scaffold_files(name, site_url, version=version)
    if root.exists() and not root.is_dir():
        raise ScaffoldError(f"{root} exists and is not a folder")
    conflicts = sorted(relative for relative in files if _blocked(root, relative))
    if conflicts:
        more = f" and {len(conflicts) - 1} more" if len(conflicts) > 1 else ""
        raise ScaffoldError(f"{root / conflicts[0]}{more} already exist{'s' if len(conflicts) == 1 else ''}; "
                            "credfolio init never overwrites files: choose an empty folder (nothing was written)")
    created: list[Path] = []
    made_dirs = _missing_dirs(root, files)
    try:
        for relative in sorted(files):
            path = root / relative
            create_new_file(path, files[relative])
            created.append(path)
    except OSError as error:
        for path in reversed(created):
            with contextlib.suppress(OSError):
                path.unlink()
        for folder in sorted(made_dirs, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()
        reason = error.strerror or str(error)
        raise ScaffoldError(f"cannot write {getattr(error, 'filename', None) or root}: {reason} (nothing was kept)") from None
    return InitResult(root=root, name=name, site_url=site_url, issuer_did=did_web_from_site_url(site_url),
                      files=tuple(sorted(files)))


def next_steps(result: InitResult) -> list[str]:
    """What to do after ``credfolio init``, one line each (the CLI prints them)."""
    folder = str(result.root)
    return [
        f"cd {folder}",
        "credfolio check && mkdocs serve        preview the site at http://127.0.0.1:8000/",
        "credfolio keys generate --passphrase   create the signing key (kept outside the repository); commit wallet/did.json",
        "edit catalog/*.yml (two examples and a stack), then credfolio check",
        "git init -b main && git add . && git commit -m \"Start the micro-credential program\"",
        f"push to the GitHub repository served at {result.site_url}",
        "enable Pages: Settings → Pages → Build and deployment → Source: GitHub Actions",
        "README.md in the new folder explains each step",
    ]


# --- helpers ------------------------------------------------------------------------------------------


def _template_files() -> list[tuple[str, bytes]]:
    """``(relative target path, bytes)`` of every scaffold template, with ``dot-`` names restored."""
    base = resources.files("credfolio").joinpath(SCAFFOLD_PACKAGE_DIR)
    found: list[tuple[str, bytes]] = []

    def walk(folder, parts: tuple[str, ...]) -> None:
        for entry in sorted(folder.iterdir(), key=lambda item: item.name):
            if entry.name == "__pycache__" or entry.name.endswith((".pyc", ".pyo")):
                continue
            name = "." + entry.name[len(DOT_PREFIX):] if entry.name.startswith(DOT_PREFIX) else entry.name
            if entry.is_dir():
                walk(entry, (*parts, name))
            else:
                found.append(("/".join((*parts, name)), entry.read_bytes()))

    if not base.is_dir():
        raise ScaffoldError(f"the scaffold templates are missing from this credfolio installation ({base}); reinstall credfolio")
    walk(base, ())
    return found


def _yaml_string(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar (the name has no control characters).
    return json.dumps(value, ensure_ascii=False)


def _markdown_text(value: str) -> str:
    """Plain text safe inside Markdown (README and docs pages): no HTML, no emphasis or links."""
    text = html.escape(value, quote=False)
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text)


def _check_config(data: bytes, name: str, site_url: str) -> None:
    # Belt and braces: the rendered mkdocs.yml must read back to the exact values given.
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
        ok = raw["site_url"] == site_url and raw["extra"]["credfolio"]["name"] == name
    except (yaml.YAMLError, KeyError, TypeError):
        ok = False
    if not ok:
        raise ScaffoldError(f"cannot write the name {name!r} into mkdocs.yml safely; please report this")


def _blocked(root: Path, relative: str) -> bool:
    """Whether ``relative`` (or a folder on its way) is already taken by something we must not touch."""
    path = root / relative
    if path.exists() or path.is_symlink():
        return True
    for parent in path.relative_to(root).parents:
        folder = root / parent
        if parent != Path(".") and (folder.is_symlink() or (folder.exists() and not folder.is_dir())):
            return True
    return False


def _missing_dirs(root: Path, files: dict[str, bytes]) -> set[Path]:
    """Folders the scaffold will create (removed again if writing fails half-way)."""
    missing: set[Path] = set()
    for relative in files:
        for parent in (root / relative).parents:
            if not parent.exists():
                missing.add(parent)
    return missing

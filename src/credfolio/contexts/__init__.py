"""JSON-LD contexts bundled with credfolio, and an offline document loader for pyld.

Signing and verifying never fetch a context: canonical N-Quads must not depend on what a web server
returns today, and tests must not touch the network. The files here are rebuilt from pinned npm
packages by ``scripts/update_contexts.py``; ``PROVENANCE.md`` lists package, version, license and
sha256 of each one.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from pyld.jsonld import JsonLdError

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"

#: Context URL -> bundled file name.
CONTEXT_FILES: dict[str, str] = {
    CREDENTIALS_V2: "credentials-v2.jsonld",
    OB_V3P0: "ob-v3p0-context-3.0.3.json",
    OB_EXTENSIONS: "ob-v3p0-extensions.json",
    DID_V1: "did-v1.jsonld",
    MULTIKEY_V1: "multikey-v1.jsonld",
    DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
}

#: Every context URL credfolio serves offline.
CONTEXT_URLS: frozenset[str] = frozenset(CONTEXT_FILES)


@cache
def _read_context(url: str) -> dict[str, Any]:
    # Parsed once per process; callers always get a deep copy, so this stays pristine.
    text = resources.files(__name__).joinpath(CONTEXT_FILES[url]).read_text(encoding="utf-8")
    return json.loads(text)


def load_context(url: str) -> dict[str, Any]:
    """Return a fresh copy of the bundled context document for ``url``.

    Raises :class:`KeyError` for a URL that is not bundled (see :data:`CONTEXT_URLS`).
    """
    if url not in CONTEXT_FILES:
        raise KeyError(url)
    return copy.deepcopy(_read_context(url))


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader that serves only the bundled contexts and never fetches.

    Any other URL raises pyld's ``JsonLdError`` (``loading document failed``), which pyld turns
    into a failed expansion — so an unknown context can never silently change what is signed.

    The result carries ``"tag": "static"``: pyld only keeps remote contexts in its process-wide
    resolved-context cache when the loader tags them, and without the cache every canonicalization
    re-processes the large credentials and OB contexts (several times slower).
    """
    if url not in CONTEXT_FILES:
        raise JsonLdError(
            f"JSON-LD context is not bundled with credfolio and is never fetched: {url}",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )
    return {"contextUrl": None, "documentUrl": url, "document": load_context(url), "tag": "static"}

"""Shared inputs for the signing tests: a fixed key, a fixed time, a minimal badge and the standards data."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld.jsonld import JsonLdError

from credfolio.contexts import CREDENTIALS_V2, OB_V3P0, document_loader

STANDARDS = Path(__file__).resolve().parents[1].parent / "shared" / "standards"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"

# RFC 8032 §7.1 test 1 secret key: a published, obviously-not-secret seed.
FIXED_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
OTHER_SEED = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
ISSUER_DID = "did:web:riverbend-usd.github.io:micro-credentials"
VERIFICATION_METHOD = f"{ISSUER_DID}#key-1"


def fixed_key() -> Ed25519PrivateKey:
    """The RFC 8032 test key."""
    return Ed25519PrivateKey.from_private_bytes(FIXED_SEED)


def other_key() -> Ed25519PrivateKey:
    """A second, different key (RFC 8032 §7.1 test 2)."""
    return Ed25519PrivateKey.from_private_bytes(OTHER_SEED)


def make_badge(**overrides: Any) -> dict[str, Any]:
    """A minimal valid OpenBadgeCredential shaped like the standards README template."""
    badge: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, OB_V3P0],
        "id": "https://riverbend-usd.github.io/micro-credentials/wallet/ada-lovelace/talk-moves.json",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Talk Moves",
        "issuer": {
            "id": ISSUER_DID,
            "type": ["Profile"],
            "name": "Riverbend Unified School District",
            "url": "https://riverbend-usd.github.io/micro-credentials/",
        },
        "validFrom": "2025-06-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": "Kosher",
                }
            ],
            "achievement": {
                "id": "https://riverbend-usd.github.io/micro-credentials/catalog/talk-moves/",
                "type": ["Achievement"],
                "achievementType": "MicroCredential",
                "name": "Talk Moves",
                "description": "Uses academically productive talk moves to deepen discussion.",
                "criteria": {"narrative": "Submit a transcript and reflection; scored **Proficient** on the rubric."},
                "image": {
                    "id": "https://riverbend-usd.github.io/micro-credentials/catalog/talk-moves/badge.png",
                    "type": "Image",
                    "caption": "Talk Moves badge",
                },
            },
        },
    }
    badge.update(copy.deepcopy(overrides))
    return badge


def varied_documents() -> list[dict[str, Any]]:
    """Credentials exercising many OB 3.0 classes, repeated shapes, an embedded context and a status list."""
    full = make_badge(
        validUntil="2028-06-01T00:00:00Z",
        evidence=[{"id": "https://example.org/e/1.pdf", "type": ["Evidence"], "name": "Transcript", "narrative": "x"}],
        credentialStatus={
            "id": "https://example.org/status/1.json#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://example.org/status/1.json",
        },
    )
    achievement = full["credentialSubject"]["achievement"]
    achievement["alignment"] = [
        {"type": ["Alignment"], "targetName": "Standard 5", "targetUrl": "https://example.org/s/5", "targetCode": "5"},
        {"type": ["Alignment"], "targetName": "Standard 5", "targetUrl": "https://example.org/s/5", "targetCode": "5"},
    ]
    achievement["resultDescription"] = [
        {
            "id": "urn:uuid:2b0a0000-0000-4000-8000-000000000001",
            "type": ["ResultDescription"],
            "name": "Portfolio rubric",
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": [
                {"id": "urn:uuid:6d1f0000-0000-4000-8000-000000000001", "type": ["RubricCriterionLevel"], "name": "Proficient", "points": "3"}
            ],
        }
    ]
    full["credentialSubject"]["result"] = [
        {"type": ["Result"], "resultDescription": "urn:uuid:2b0a0000-0000-4000-8000-000000000001", "achievedLevel": "urn:uuid:6d1f0000-0000-4000-8000-000000000001"}
    ]
    embedded = make_badge()
    embedded["credentialSubject"]["@context"] = {"nickname": "https://schema.org/alternateName"}
    embedded["credentialSubject"]["nickname"] = "Ada"
    status_list = {
        "@context": [CREDENTIALS_V2],
        "id": "https://example.org/status/1.json",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:web:example.org",
        "validFrom": "2025-06-01T00:00:00Z",
        "credentialSubject": {
            "id": "https://example.org/status/1.json#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
        },
    }
    return [make_badge(), full, embedded, status_list, make_badge(name="Other"), full]


def standards_path(*parts: str) -> Path:
    """A path in ../shared/standards; skips the test with the reason when it is not there."""
    if not STANDARDS.is_dir():
        pytest.skip(f"standards data not found: {STANDARDS} (../shared/standards beside the repository)")
    path = STANDARDS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path.relative_to(STANDARDS)} is not in {STANDARDS} (see its DATA.md for what is included)")
    return path


def read_json(*parts: str) -> Any:
    """Parse a JSON file from ../shared/standards (skipping when absent)."""
    return json.loads(standards_path(*parts).read_text(encoding="utf-8"))


def _examples_context() -> dict[str, Any]:
    index = read_json("contexts", "INDEX.json")
    return read_json("contexts", index[EXAMPLES_V2]["file"])


def w3c_vector_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The credfolio loader plus the W3C examples context (only the W3C vectors use it; never bundled)."""
    if url == EXAMPLES_V2:
        return {"contextUrl": None, "documentUrl": url, "document": _examples_context()}
    return document_loader(url, options)


def refusing_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A loader that serves nothing (for the unknown-context cases)."""
    raise JsonLdError(f"refused {url}", "jsonld.LoadDocumentError", {"url": url}, code="loading document failed")

"""Builders for signed badges, DID documents and status lists used by the credential, status and verify tests.

Everything is deterministic: a fixed Ed25519 seed, a fixed clock and a temporary site folder that
plays the district's published site (``did.json`` and ``status/1.json``), so verification resolves
locally and never touches the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credfolio.credential import IssuerProfile, build_credential
from credfolio.keys import IssuerKey, did_document
from credfolio.proof import create_proof
from credfolio.status import MIN_LIST_LENGTH, StatusList, status_entry, status_list_credential

STANDARDS = Path(__file__).resolve().parents[1].parent / "shared" / "standards"
PEER_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "peer-corpus"

SITE_URL = "https://testville.github.io/mc/"
ISSUER_DID = "did:web:testville.github.io:mc"
STATUS_LIST_URL = SITE_URL + "status/1.json"
#: 32-byte Ed25519 seeds: the district's key, and an unrelated key for "signed by someone else" tests.
DISTRICT_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
OTHER_SEED = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
#: The moment badges are issued, and the clock the verifier reads by default (three months later).
ISSUED = datetime(2025, 6, 1, tzinfo=UTC)
NOW = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
SALT = "Kosher-salt-1"
RECIPIENT = "Jane.Doe@Testville.k12.example"


def district_key() -> Ed25519PrivateKey:
    """The district's fixed signing key."""
    return Ed25519PrivateKey.from_private_bytes(DISTRICT_SEED)


def other_key() -> Ed25519PrivateKey:
    """A key that is not the district's."""
    return Ed25519PrivateKey.from_private_bytes(OTHER_SEED)


def issuer_profile() -> IssuerProfile:
    """The sample district as an issuer."""
    return IssuerProfile(did=ISSUER_DID, name="Testville School District", url=SITE_URL, email="pd@testville.k12.example")


def achievement(slug: str = "wait-time") -> dict[str, Any]:
    """A catalog Achievement with a two-row rubric, like the catalog exporter produces."""
    base = f"{SITE_URL}catalog/{slug}/"
    levels = [("exemplary", "Exemplary", "4"), ("proficient", "Proficient", "3"), ("developing", "Developing", "2")]

    def row(row_id: str, name: str) -> dict[str, Any]:
        return {
            "id": f"{base}#rubric/{row_id}",
            "type": ["ResultDescription"],
            "name": name,
            "resultType": "RubricCriterionLevel",
            "requiredLevel": f"{base}#rubric/{row_id}/proficient",
            "rubricCriterionLevel": [
                {"id": f"{base}#rubric/{row_id}/{level}", "type": ["RubricCriterionLevel"], "name": label, "points": points}
                for level, label, points in levels
            ],
        }

    return {
        "id": base,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": "Wait Time",
        "description": "The educator uses wait time after questions so that more students think and respond.",
        "criteria": {"id": base, "narrative": "Submit a classroom video and a reflection scored **Proficient** or better."},
        "image": {"id": f"{base}badge.png", "type": "Image", "caption": "Badge: an hourglass"},
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": "Standard 3: Instruction",
                "targetUrl": "https://standards.example.org/3",
                "targetFramework": "Example Teaching Standards",
                "targetCode": "3",
            }
        ],
        "resultDescription": [row("pausing", "Pausing"), row("reflection", "Reflection")],
    }


def make_credential(**overrides: Any) -> dict[str, Any]:
    """An unsigned badge for the sample teacher; keyword arguments override :func:`build_credential`'s."""
    arguments: dict[str, Any] = {
        "credential_id": f"{SITE_URL}wallet/jane-doe/credentials/3f1c0e9a.json",
        "issuer": issuer_profile(),
        "achievement": achievement(),
        "recipient_email": RECIPIENT,
        "salt": SALT,
        "valid_from": ISSUED,
        "valid_until": ISSUED + timedelta(days=3 * 365),
        "evidence": [{"id": f"{SITE_URL}wallet/jane-doe/evidence/video.html", "name": "Classroom video"}],
        "status": status_entry(STATUS_LIST_URL, 94567),
    }
    arguments.update(overrides)
    return build_credential(**arguments)


class Site:
    """A temporary copy of the district's published site: ``did.json``, status lists, and a resolver over it."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder
        self.url = SITE_URL
        self.did = ISSUER_DID
        self.private_key = district_key()
        self.key = IssuerKey("key-1", self.private_key.public_key(), self.private_key, ISSUED - timedelta(days=30))
        self.keys = [self.key]
        self.write_did_document()
        self.write_status_list()

    @property
    def verification_method(self) -> str:
        """``did:web:…#key-1``."""
        return self.key.verification_method(self.did)

    def resolver(self):
        """A :class:`credfolio.resolve.SiteResolver` serving this folder as the site URL."""
        from credfolio.resolve import SiteResolver

        return SiteResolver(self.dir, self.url)

    def write_json(self, relative: str, document: Any) -> Path:
        """Write ``document`` as JSON at ``relative`` inside the site."""
        path = self.dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
        return path

    def write_did_document(self, document: dict[str, Any] | None = None) -> None:
        """Publish ``did.json`` (by default: every key in :attr:`keys`)."""
        self.write_json("did.json", document if document is not None else did_document(self.did, self.keys))

    def sign(self, document: dict[str, Any], *, private_key: Ed25519PrivateKey | None = None, verification_method: str | None = None, created: datetime = ISSUED) -> dict[str, Any]:
        """``document`` with an eddsa-rdfc-2022 proof by the district key (or the given key/method)."""
        return create_proof(
            document,
            private_key=private_key or self.private_key,
            verification_method=verification_method or self.verification_method,
            created=created,
        )

    def status_list(self, *, set_bits: Iterable[int] = (), purpose: str = "revocation", url: str = STATUS_LIST_URL, size: int = MIN_LIST_LENGTH) -> dict[str, Any]:
        """A signed status list credential with ``set_bits`` set."""
        bits = StatusList(size)
        for index in set_bits:
            bits.set(index)
        unsigned = status_list_credential(list_url=url, issuer_did=self.did, purpose=purpose, bits=bits.to_bytes(), valid_from=ISSUED)
        return self.sign(unsigned)

    def write_status_list(self, *, set_bits: Iterable[int] = (), purpose: str = "revocation", relative: str = "status/1.json") -> dict[str, Any]:
        """Publish a signed status list at ``relative``."""
        document = self.status_list(set_bits=set_bits, purpose=purpose, url=self.url + relative)
        self.write_json(relative, document)
        return document

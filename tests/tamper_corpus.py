"""A corpus of tampered copies of one of the sample district's signed badges (issue #11, item 1).

Every :class:`Mutation` turns the raw JSON bytes of a genuine badge from ``wallet/badges/`` into the
bytes an attacker (or a broken tool) might hand a verifier, and names the check that must catch it:
the *first* check (in :data:`credfolio.verify.CHECK_IDS` order) whose outcome is ``False``. Some
mutations also publish a changed ``did.json`` (``did_document``), e.g. a key marked ``revoked``.

Decisions the corpus pins down:

* **Duplicate JSON keys are refused by the parser** (check ``structure``), in Python and in the
  browser, rather than left to the signature: JSON parsers disagree on which duplicate wins, so a
  wallet and a verifier could read different claims from the same signed bytes.
* **Unicode is never normalized**: an NFD or compatibility-equivalent spelling of a signed string is a
  different string, and the signature fails (``proof``). C0 controls, DEL and lone surrogates are
  refused before canonicalization (``contexts``), because canonical N-Quads escape them differently
  between implementations.
* **Size is bounded**: a credential over :data:`credfolio.verify.MAX_CREDENTIAL_BYTES` is refused by the
  ``structure`` check before it is parsed; deep nesting is refused by the parser (``structure``) or by
  the canonicalizer's depth limit (``contexts``) — never a hang or a crash.
* **A repeated proof is refused** (``proof``): a proof set never needs the same signature twice, and
  counting it twice could let one signature stand in for two signers.

Used by ``tests/test_tamper.py`` with the Python verifier, ``credfolio verify --json`` and the browser
verifier in headless Chromium.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credfolio.credential import parse_datetime
from credfolio.keys import did_key_for, public_key_to_multikey
from credfolio.multibase import decode_multibase, encode_multibase
from credfolio.proof import create_proof

REPO_ROOT = Path(__file__).resolve().parents[1]
WALLET = REPO_ROOT / "wallet"

Raw = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Mutation:
    """One tampered badge: ``mutate`` maps the genuine badge's bytes to the tampered bytes.

    ``expected`` is the first check that must fail; ``also`` lists further checks that must fail too.
    ``did_document`` (optional) maps the district's published ``did.json`` to the one this case publishes.
    """

    id: str
    description: str
    mutate: Raw
    expected: str
    also: frozenset[str] = frozenset()
    did_document: Callable[[dict[str, Any]], dict[str, Any]] | None = None


@dataclass
class Sample:
    """The genuine badge the corpus starts from, the site it is verified against, and the test's own keys."""

    badge_path: Path
    raw: bytes
    site_url: str
    issuer_did: str
    now: datetime
    created: datetime
    #: Keys generated for the test (deterministic seeds): never the district's.
    attacker: Ed25519PrivateKey = field(default_factory=lambda: _seeded_key("credfolio tamper corpus: attacker"))
    rogue_insider: Ed25519PrivateKey = field(default_factory=lambda: _seeded_key("credfolio tamper corpus: revoked key-2"))

    @property
    def document(self) -> dict[str, Any]:
        """A fresh parsed copy of the genuine badge."""
        return json.loads(self.raw)


def _seeded_key(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


# --- the sample ---------------------------------------------------------------------------------------------


def find_sample(site_url: str, verify: Callable[[bytes, datetime], str]) -> Sample | None:
    """The first sample wallet badge with an end date and a status entry that ``verify`` finds verified (one with a composed accent preferred).

    ``verify(raw, now)`` returns the state. The clock is one day after the latest of the badge's
    ``validFrom``, its proof's ``created`` and the status list's ``validFrom``, so a regenerated sample
    wallet still yields a badge that verifies.
    """
    did_path = WALLET / "did.json"
    if not did_path.is_file():
        return None
    issuer_did = json.loads(did_path.read_text(encoding="utf-8"))["id"]
    # Badges with a composed accent first, so the NFD mutation rewrites real text.
    paths = sorted((WALLET / "badges").glob("*.json"), key=lambda path: (_nfd_unchanged(path.read_text(encoding="utf-8")), path.name))
    for path in paths:
        raw = path.read_bytes()
        document = json.loads(raw)
        status = document.get("credentialStatus")
        if "validUntil" not in document or not isinstance(status, dict):
            continue
        list_path = WALLET / status["statusListCredential"].removeprefix(site_url)
        if not list_path.is_file():
            continue
        created = parse_datetime(document["proof"][0]["created"])
        moments = [parse_datetime(document["validFrom"]), created, parse_datetime(json.loads(list_path.read_bytes()).get("validFrom"))]
        now = max(moment for moment in moments if moment is not None) + timedelta(days=1)
        if verify(raw, now) == "verified":
            return Sample(path, raw, site_url, issuer_did, now, created)
    return None


def _nfd_unchanged(text: str) -> bool:
    return unicodedata.normalize("NFD", text) == text


def _canonically_equivalent_rewrite(text: str) -> str:
    """The text in NFD; without any composed character, one singleton (Kelvin sign, Greek question mark) swapped in."""
    decomposed = unicodedata.normalize("NFD", text)
    if decomposed != text:
        return decomposed
    for plain, singleton in (("K", "\u212a"), (";", "\u037e")):  # NFC maps each singleton back to the plain character
        if plain in text:
            return text.replace(plain, singleton, 1)
    raise ValueError("the sample badge has no character with a canonically equivalent spelling")


def write_site(folder: Path, mutation: Mutation | None = None) -> Path:
    """Copy the district's published files (``did.json``, ``status/``) to ``folder``, applying ``mutation.did_document``."""
    folder.mkdir(parents=True, exist_ok=True)
    did_document = json.loads((WALLET / "did.json").read_text(encoding="utf-8"))
    if mutation is not None and mutation.did_document is not None:
        did_document = mutation.did_document(did_document)
    (folder / "did.json").write_text(json.dumps(did_document, indent=2), encoding="utf-8")
    shutil.copytree(WALLET / "status", folder / "status", dirs_exist_ok=True)
    return folder


# --- building blocks ----------------------------------------------------------------------------------------


def _dump(document: Any) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")


def _edit(edit: Callable[[dict[str, Any]], Any]) -> Raw:
    """A mutation of the parsed badge (``edit`` changes it in place, or returns a replacement)."""

    def mutate(raw: bytes) -> bytes:
        document = json.loads(raw)
        replaced = edit(document)
        return _dump(document if replaced is None else replaced)

    return mutate


_DELETE = object()


def _at(path: str, value: Any) -> Raw:
    """Set (or with ``_DELETE`` remove) a dotted path such as ``credentialSubject.achievement.name`` or ``proof.0.created``."""

    def edit(document: dict[str, Any]) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        target = document
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value(target[last]) if callable(value) else value

    return _edit(edit)


def _text(edit: Callable[[str], str]) -> Raw:
    """A mutation of the raw JSON text."""
    return lambda raw: edit(raw.decode("utf-8")).encode("utf-8")


def _replace_once(old: str, new: str) -> Raw:
    def edit(text: str) -> str:
        if old not in text:
            raise ValueError(f"the sample badge has no {old!r} to tamper with")
        return text.replace(old, new, 1)

    return _text(edit)


def _flip_bit(proof_value: str) -> str:
    signature = bytearray(decode_multibase(proof_value))
    signature[17] ^= 0x04
    return encode_multibase(bytes(signature))


def _base64url_proof_value(proof_value: str) -> str:
    import base64

    return "u" + base64.urlsafe_b64encode(decode_multibase(proof_value)).decode().rstrip("=")


def _cyrillic_a(text: str) -> str:
    return text.replace("a", "\u0430", 1)  # U+0430 CYRILLIC SMALL LETTER A looks like Latin "a"


def _nest(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"name": value}
    return value


# --- the corpus ---------------------------------------------------------------------------------------------


def build_corpus(sample: Sample) -> list[Mutation]:
    """Every mutation, each with a distinct id; the bytes of each differ from the genuine badge's."""
    did = sample.issuer_did
    created = sample.created
    attacker_multikey = public_key_to_multikey(sample.attacker.public_key())
    attacker_did_key = did_key_for(sample.attacker.public_key())
    rogue_multikey = public_key_to_multikey(sample.rogue_insider.public_key())
    site = sample.site_url

    def resign(key: Ed25519PrivateKey, method: str, *, keep_proofs: bool = False, edit: Callable[[dict], None] | None = None) -> Raw:
        def mutate(raw: bytes) -> bytes:
            document = json.loads(raw)
            if edit is not None:
                edit(document)
            unsigned = document if keep_proofs else {k: v for k, v in document.items() if k != "proof"}
            return _dump(create_proof(unsigned, private_key=key, verification_method=method, created=created))

        return mutate

    def with_key_2(*, revoked: datetime | None = None, in_assertion_method: bool = True) -> Callable[[dict], dict]:
        def publish(document: dict[str, Any]) -> dict[str, Any]:
            document = copy.deepcopy(document)
            method = {"id": f"{did}#key-2", "type": "Multikey", "controller": did, "publicKeyMultibase": rogue_multikey}
            if revoked is not None:
                method["revoked"] = revoked.strftime("%Y-%m-%dT%H:%M:%SZ")
            document["verificationMethod"].append(method)
            if in_assertion_method:
                document["assertionMethod"].append(f"{did}#key-2")
            return document

        return publish

    def key_1_revoked(document: dict[str, Any]) -> dict[str, Any]:
        document = copy.deepcopy(document)
        document["verificationMethod"][0]["revoked"] = (created - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return document

    def did_edit(edit: Callable[[dict[str, Any]], None]) -> Callable[[dict], dict]:
        def publish(document: dict[str, Any]) -> dict[str, Any]:
            document = copy.deepcopy(document)
            edit(document)
            return document

        return publish

    def many_proofs(document):
        template = document["proof"][0]
        document["proof"] = [dict(template, proofValue=encode_multibase(number.to_bytes(64, "big"))) for number in range(1, 1001)]

    def many_alignments(document):
        template = document["credentialSubject"]["achievement"]["alignment"][0]
        document["credentialSubject"]["achievement"]["alignment"] = [dict(template, targetCode=str(number)) for number in range(3000)]

    def duplicate_proof(document):
        document["proof"].append(copy.deepcopy(document["proof"][0]))

    def bad_second_proof(document):
        document["proof"].append(dict(document["proof"][0], proofValue=_flip_bit(document["proof"][0]["proofValue"])))

    def drop_type(types, name):
        return [t for t in types if t != name]

    mutations = [
        # --- the credential ---------------------------------------------------------------------------------
        Mutation("credential id changed", "the credential's id points at another badge", _at("id", "urn:uuid:00000000-0000-4000-8000-000000000000"), "proof"),
        Mutation("credential type without OpenBadgeCredential", "type no longer says it is an Open Badge", _at("type", lambda t: drop_type(t, "OpenBadgeCredential")), "schema", frozenset({"proof"})),
        Mutation("credential type with an extra defined type", "type gains EndorsementCredential (defined by the OB context)", _at("type", lambda t: [*t, "EndorsementCredential"]), "proof"),
        Mutation("credential name changed", "the credential's display name is replaced", _at("name", "Advanced Digital Formative Assessment"), "proof"),
        Mutation("awardedDate moved", "the award date is moved a year earlier", _at("awardedDate", "2024-01-01T00:00:00Z"), "proof"),
        Mutation("description added", "a defined property (description) is added after signing", _at("description", "Awarded with distinction."), "proof"),
        # --- credentialSubject -----------------------------------------------------------------------------
        Mutation("subject identityHash changed", "the recipient's hashed e-mail is replaced", _at("credentialSubject.identifier.0.identityHash", "sha256$" + "0" * 64), "proof"),
        Mutation("subject salt changed", "the salt of the recipient hash is replaced", _at("credentialSubject.identifier.0.salt", "attacker-salt"), "proof"),
        Mutation("subject id added", "the credential is claimed for another holder's DID", _at("credentialSubject.id", "did:example:mallory"), "proof"),
        Mutation("subject removed", "credentialSubject is deleted", _at("credentialSubject", _DELETE), "schema", frozenset({"proof"})),
        # --- achievement -----------------------------------------------------------------------------------
        Mutation("achievement name changed", "the achievement's name is upgraded", _at("credentialSubject.achievement.name", "Advanced Data Use"), "proof"),
        Mutation("achievement criteria changed", "the criteria narrative is replaced", _at("credentialSubject.achievement.criteria.narrative", "Attend one meeting."), "proof"),
        Mutation("achievement criteria removed", "criteria is deleted (OB requires it)", _at("credentialSubject.achievement.criteria", _DELETE), "schema", frozenset({"proof"})),
        Mutation("achievement description changed", "the description is replaced", _at("credentialSubject.achievement.description", "Mastery of every standard."), "proof"),
        Mutation("achievement id changed", "the achievement points at another catalog entry", _at("credentialSubject.achievement.id", site + "catalog/principal-licence/"), "proof"),
        Mutation("achievement type as a string", "type [\"Achievement\"] becomes \"Achievement\" (same RDF, wrong OB shape)", _at("credentialSubject.achievement.type", "Achievement"), "schema"),
        Mutation("achievement type with an undefined type", "type gains a type no context defines", _at("credentialSubject.achievement.type", ["Achievement", "GoldStar"]), "contexts"),
        Mutation("achievementType changed", "MicroCredential becomes Certificate", _at("credentialSubject.achievement.achievementType", "Certificate"), "proof"),
        # --- issuer ----------------------------------------------------------------------------------------
        Mutation("issuer id swapped to another DID", "the issuer becomes another district's DID", _at("issuer.id", "did:web:springfield-usd.github.io:badges"), "proof", frozenset({"issuer_key"})),
        Mutation("issuer id swapped to the attacker's did:key", "the issuer becomes the attacker's did:key (the signature stays the district's)", _at("issuer.id", attacker_did_key), "proof", frozenset({"issuer_key"})),
        Mutation("issuer name changed", "the issuer's name is replaced", _at("issuer.name", "Springfield Unified School District"), "proof"),
        Mutation("issuer url changed", "the issuer's web address points elsewhere", _at("issuer.url", "https://evil.example/"), "proof"),
        Mutation("issuer as a bare DID", "issuer becomes a string (a ProfileRef the schema allows; the profile and its name vanish)", _at("issuer", did), "proof"),
        # --- dates -----------------------------------------------------------------------------------------
        Mutation("validFrom moved earlier", "the badge claims to be valid two years earlier", _at("validFrom", "2023-01-01T00:00:00Z"), "proof"),
        Mutation("validFrom removed", "validFrom is deleted", _at("validFrom", _DELETE), "schema", frozenset({"proof", "dates"})),
        Mutation("validFrom malformed", "validFrom is not a date", _at("validFrom", "last Tuesday"), "schema", frozenset({"dates"})),
        Mutation("validUntil extended", "the end date moves to 2099", _at("validUntil", "2099-01-01T00:00:00Z"), "proof"),
        Mutation("validUntil removed", "the end date is deleted", _at("validUntil", _DELETE), "proof"),
        Mutation("validUntil moved into the past", "the end date moves before now", _at("validUntil", "2024-01-01T00:00:00Z"), "proof", frozenset({"dates"})),
        Mutation("validUntil malformed", "validUntil is not a date", _at("validUntil", "2099-13-45T99:00:00Z"), "schema", frozenset({"dates"})),
        # --- credentialStatus ------------------------------------------------------------------------------
        Mutation("statusListIndex changed", "the badge points at another (unrevoked) status entry", _at("credentialStatus.statusListIndex", "1"), "proof"),
        Mutation("statusListIndex not a number", "the index is not a base-10 integer", _at("credentialStatus.statusListIndex", "-1"), "schema", frozenset({"proof", "status"})),
        Mutation("statusListCredential changed", "the badge points at another status list", _at("credentialStatus.statusListCredential", site + "status/revocation-2.json"), "proof"),
        Mutation("statusListCredential to http", "the status list URL loses https", _at("credentialStatus.statusListCredential", lambda url: url.replace("https://", "http://", 1)), "proof", frozenset({"status"})),
        Mutation("statusPurpose changed", "revocation becomes suspension", _at("credentialStatus.statusPurpose", "suspension"), "proof"),
        Mutation("status type changed", "BitstringStatusListEntry becomes StatusList2021Entry (undefined in the VC 2.0 context)", _at("credentialStatus.type", "StatusList2021Entry"), "contexts"),
        Mutation("credentialStatus removed", "the status entry is deleted so revocation cannot be seen", _at("credentialStatus", _DELETE), "proof"),
        # --- the proof's fields ----------------------------------------------------------------------------
        Mutation("proof type changed", "DataIntegrityProof becomes Ed25519Signature2020", _at("proof.0.type", "Ed25519Signature2020"), "proof"),
        Mutation("cryptosuite eddsa-jcs-2022", "the cryptosuite becomes eddsa-jcs-2022", _at("proof.0.cryptosuite", "eddsa-jcs-2022"), "proof"),
        Mutation("cryptosuite ecdsa-rdfc-2019", "the cryptosuite becomes ecdsa-rdfc-2019", _at("proof.0.cryptosuite", "ecdsa-rdfc-2019"), "proof"),
        Mutation("verificationMethod to a key the DID does not list", "key-1 becomes key-9", _at("proof.0.verificationMethod", f"{did}#key-9"), "issuer_key"),
        Mutation("verificationMethod to another DID", "the key is said to belong to another district", _at("proof.0.verificationMethod", "did:web:springfield-usd.github.io:badges#key-1"), "issuer_key"),
        Mutation("verificationMethod as a relative reference", "the key id becomes #key-1", _at("proof.0.verificationMethod", "#key-1"), "issuer_key"),
        Mutation("verificationMethod to the attacker's did:key", "the proof names the attacker's key instead", _at("proof.0.verificationMethod", f"{attacker_did_key}#{attacker_multikey}"), "proof", frozenset({"issuer_key"})),
        Mutation("proofPurpose authentication", "assertionMethod becomes authentication", _at("proof.0.proofPurpose", "authentication"), "proof"),
        Mutation("proofPurpose removed", "proofPurpose is deleted", _at("proof.0.proofPurpose", _DELETE), "proof"),
        Mutation("proof created moved", "the signing date moves a day later", _at("proof.0.created", lambda t: (parse_datetime(t) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")), "proof"),
        Mutation("proof created malformed", "created is not a date", _at("proof.0.created", "yesterday"), "proof", frozenset({"issuer_key"})),
        Mutation("proof created removed", "created is deleted", _at("proof.0.created", _DELETE), "proof"),
        Mutation("proofValue one bit flipped", "one bit of the signature is flipped", _at("proof.0.proofValue", _flip_bit), "proof"),
        Mutation("proofValue truncated", "the signature loses its last characters", _at("proof.0.proofValue", lambda v: v[:-6]), "proof"),
        Mutation("proofValue with another multibase prefix", "the same signature as base64url (u…)", _at("proof.0.proofValue", _base64url_proof_value), "proof"),
        Mutation("proofValue empty", "the signature is an empty string", _at("proof.0.proofValue", ""), "proof"),
        Mutation("proofValue removed", "the signature is deleted", _at("proof.0.proofValue", _DELETE), "proof"),
        # --- the proof as a whole --------------------------------------------------------------------------
        Mutation("proof removed", "the proof is deleted", _at("proof", _DELETE), "proof"),
        Mutation("proof duplicated", "the same proof appears twice", _edit(duplicate_proof), "proof"),
        Mutation("proof object instead of array", "proof becomes a single object (OB requires an array)", _at("proof", lambda proofs: proofs[0]), "schema"),
        Mutation("proof not an object", "proof becomes an array holding a string", _at("proof", ["zSignedByTheDistrict"]), "schema", frozenset({"proof"})),
        Mutation("proof set with one bad proof", "a second copy of the proof with a flipped bit", _edit(bad_second_proof), "proof"),
        Mutation("proof set with the attacker's proof added", "the attacker adds his own valid did:key proof beside the district's", resign(sample.attacker, f"{attacker_did_key}#{attacker_multikey}", keep_proofs=True), "issuer_key"),
        Mutation("proof array empty", "proof becomes []", _at("proof", []), "proof"),
        Mutation("proof null", "proof becomes null", _at("proof", None), "schema", frozenset({"proof"})),
        Mutation("verificationMethod as an object", "the key reference becomes an embedded object", _at("proof.0.verificationMethod", lambda vm: {"id": vm}), "schema", frozenset({"proof"})),
        Mutation("verificationMethod with a query", "did:web:…?versionId=1#key-1 (another DID URL than the issuer's)", _at("proof.0.verificationMethod", lambda vm: vm.replace("#", "?versionId=1#")), "issuer_key"),
        Mutation("verificationMethod in upper case", "the DID's host in upper case", _at("proof.0.verificationMethod", lambda vm: vm.replace("riverbend", "RIVERBEND")), "issuer_key"),
        Mutation("proofValue with a trailing newline", "a newline after the signature", _at("proof.0.proofValue", lambda v: v + "\n"), "proof"),
        Mutation("proofValue with an upper-case Z", "Z (base58flickr) instead of z", _at("proof.0.proofValue", lambda v: "Z" + v[1:]), "proof"),
        Mutation("proof gains a domain", "a defined proof property (domain) added after signing", _at("proof.0.domain", "evil.example"), "proof"),
        Mutation("proof gains an undefined property", "an extra proof property no context defines", _at("proof.0.signedBy", "the superintendent"), "proof"),
        Mutation("proof gains a foreign @context", "the proof carries its own, different @context", _at("proof.0.@context", ["https://www.w3.org/ns/credentials/v2", "https://evil.example/context.json"]), "proof"),
        Mutation("1,000 proofs", "a proof set of 1,000 distinct invalid signatures", _edit(many_proofs), "proof"),
        # --- other keys ------------------------------------------------------------------------------------
        Mutation("signed by another key claiming key-1", "a valid signature by a key not in did.json, naming the district's key-1", resign(sample.attacker, f"{did}#key-1"), "proof"),
        Mutation("signed by another key claiming an unlisted key id", "signed by the attacker, naming the district's DID and a key id did.json does not list", resign(sample.attacker, f"{did}#key-2"), "issuer_key"),
        Mutation("signed by another key named by its multikey under the district DID", "signed by the attacker, naming did:web:…#z6Mk… (the attacker's key) under the district's DID", resign(sample.attacker, f"{did}#{attacker_multikey}"), "issuer_key"),
        Mutation("changed and re-signed by another key", "the achievement is renamed and re-signed by the attacker as key-1", resign(sample.attacker, f"{did}#key-1", edit=lambda d: d["credentialSubject"]["achievement"].update(name="Superintendent")), "proof"),
        Mutation("signed by a key marked revoked in did.json", "did.json lists key-2 as revoked the day before the signature", resign(sample.rogue_insider, f"{did}#key-2"), "issuer_key", did_document=with_key_2(revoked=created - timedelta(days=1))),
        Mutation("signed by a key not in assertionMethod", "did.json lists key-2 but does not authorize it to sign credentials", resign(sample.rogue_insider, f"{did}#key-2"), "issuer_key", did_document=with_key_2(in_assertion_method=False)),
        Mutation("district key marked revoked before the signature", "did.json marks key-1 compromised the day before the badge was signed", lambda raw: raw, "issuer_key", frozenset({"status"}), did_document=key_1_revoked),
        Mutation("did.json names another DID", "the published DID document's id is another DID", lambda raw: raw, "issuer_key", frozenset({"status"}), did_document=did_edit(lambda d: d.update(id="did:web:evil.example"))),
        Mutation("did.json key-1 of another type", "key-1 is published as an Ed25519VerificationKey2020", lambda raw: raw, "issuer_key", frozenset({"status"}), did_document=did_edit(lambda d: d["verificationMethod"][0].update(type="Ed25519VerificationKey2020"))),
        Mutation("did.json without key-1 in assertionMethod", "key-1 is no longer authorized to sign credentials", lambda raw: raw, "issuer_key", frozenset({"status"}), did_document=did_edit(lambda d: d.update(assertionMethod=[]))),
        Mutation("did.json key-1 expired before the signature", "key-1 carries an expires date before the badge was signed", lambda raw: raw, "issuer_key", frozenset({"status"}), did_document=did_edit(lambda d: d["verificationMethod"][0].update(expires=(created - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")))),
        # --- vocabulary ------------------------------------------------------------------------------------
        Mutation("undefined term at the top level", "an extra property no context defines", _at("hoursEarned", 40), "contexts"),
        Mutation("undefined term in the achievement", "an extra achievement property no context defines", _at("credentialSubject.achievement.salaryStep", "Step 4"), "contexts"),
        Mutation("context removed", "@context is deleted", _at("@context", _DELETE), "schema", frozenset({"contexts"})),
        Mutation("contexts reordered", "the OB context comes first", _at("@context", lambda c: [c[1], c[0], *c[2:]]), "schema"),
        Mutation("context swapped for a look-alike URL", "the OB context URL with a digit 1 for the letter l", _at("@context", lambda c: [c[0], c[1].replace("imsglobal", "imsg1obal"), *c[2:]]), "schema", frozenset({"contexts"})),
        Mutation("context swapped for http", "the OB context URL over http", _at("@context", lambda c: [c[0], c[1].replace("https://", "http://"), *c[2:]]), "schema", frozenset({"contexts"})),
        Mutation("extra unknown context", "an unknown context URL appended", _at("@context", lambda c: [*c, "https://evil.example/context.json"]), "contexts"),
        Mutation("extra inline context redefining a term", "an inline context maps name to another IRI", _at("@context", lambda c: [*c, {"name": "https://evil.example/name"}]), "contexts"),
        Mutation("extra inline context with a vocabulary", "an inline @vocab makes an undefined property look defined", _edit(lambda d: d.update({"@context": [*d["@context"], {"@vocab": "https://evil.example/vocab#"}], "hoursEarned": 40})), "proof"),
        Mutation("@id beside id", "the credential gets an @id as well as its id", _at("@id", "urn:uuid:00000000-0000-4000-8000-000000000000"), "contexts"),
        Mutation("@included node injected", "an extra node smuggled in with @included", _at("@included", [{"id": "urn:uuid:11111111-1111-4111-8111-111111111111", "type": ["Profile"], "name": "Mallory"}]), "proof"),
        Mutation("validFrom the same instant in another zone", "validFrom rewritten with a +02:00 offset (same moment)", _at("validFrom", lambda t: (parse_datetime(t) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00")), "proof"),
        Mutation("credentialStatus id changed", "the status entry's own id changes", _at("credentialStatus.id", lambda i: i + "0"), "proof"),
        Mutation("number written with an exponent", "creditsAvailable 1E2 (JavaScript reads an integer, Python a float)", _replace_once('"achievementType": ', '"creditsAvailable": 1E2, "achievementType": '), "contexts"),
        Mutation("number overflowing to infinity", "creditsAvailable 1e400", _replace_once('"achievementType": ', '"creditsAvailable": 1e400, "achievementType": '), "contexts"),
        Mutation("@context as a string", "@context becomes the VC 2.0 URL alone", _at("@context", lambda c: c[0]), "schema", frozenset({"contexts"})),
        Mutation("@context with a null entry", "null appended to @context (resets the active context)", _at("@context", lambda c: [*c, None]), "schema", frozenset({"contexts"})),
        Mutation("@reverse injected", "an @reverse block makes another node point at the credential", _at("@reverse", {"https://www.w3.org/2018/credentials#holder": {"id": "did:example:mallory"}}), "proof"),
        Mutation("@graph injected in the subject", "the subject gains an @graph of extra claims", _at("credentialSubject.@graph", [{"id": "did:example:mallory", "name": "Mallory"}]), "proof"),
        Mutation("@vocab in the document body", "an @vocab key outside any context (expansion ignores it: unsigned JSON)", _at("credentialSubject.@vocab", "https://evil.example/"), "contexts"),
        Mutation("@nest used for an undefined term", "an @nest block holding a property no context defines", _at("credentialSubject.@nest", {"salaryStep": "4"}), "contexts"),
        Mutation("line separator in the name", "U+2028 in the achievement name", _at("credentialSubject.achievement.name", lambda n: n + "\u2028"), "proof"),
        Mutation("noncharacter in the name", "U+FFFF in the achievement name", _at("credentialSubject.achievement.name", lambda n: n + "\uffff"), "proof"),
        Mutation("100,000-character property name", "an undefined term whose name is 100,000 characters", _at("x" * 100_000, "y"), "contexts"),
        # --- Unicode ---------------------------------------------------------------------------------------
        Mutation("Cyrillic a in the credential name", "a Latin a replaced by U+0430", _at("name", _cyrillic_a), "proof"),
        Mutation("Cyrillic a in the issuer name", "a Latin a in the issuer's name replaced by U+0430", _at("issuer.name", lambda n: n.replace("e", "\u0435", 1)), "proof"),
        Mutation("NFD instead of NFC", "the whole badge rewritten in Unicode NFD (canonically equivalent text)", _text(_canonically_equivalent_rewrite), "proof"),
        Mutation("zero-width space in the name", "U+200B inserted into the achievement name", _at("credentialSubject.achievement.name", lambda n: n[:4] + "\u200b" + n[4:]), "proof"),
        Mutation("right-to-left override in the name", "U+202E inserted into the credential name", _at("name", lambda n: "\u202e" + n), "proof"),
        Mutation("C0 control character in the name", "U+0007 (bell) in the achievement name", _at("credentialSubject.achievement.name", lambda n: n + "\u0007"), "contexts"),
        Mutation("NUL in the issuer name", "U+0000 in the issuer name", _at("issuer.name", lambda n: n + "\u0000"), "contexts"),
        Mutation("DEL in the criteria", "U+007F in the criteria narrative", _at("credentialSubject.achievement.criteria.narrative", lambda n: "\u007f" + n), "contexts"),
        Mutation("lone surrogate in the name", "a \\ud800 escape (a lone UTF-16 surrogate) in the name", _text(lambda t: t.replace('"name": "', '"name": "\\ud800', 1)), "contexts"),
        # --- duplicate keys --------------------------------------------------------------------------------
        Mutation("duplicate name key", 'the raw JSON has "name" twice in the credential', _replace_once('"name": ', '"name": "Superintendent", "name": '), "structure"),
        Mutation("duplicate proofValue key", 'the raw JSON has "proofValue" twice in the proof', _replace_once('"proofValue": ', '"proofValue": "z1", "proofValue": '), "structure"),
        Mutation("duplicate issuer id key", 'the raw JSON has the issuer\'s "id" twice', _replace_once('"issuer": {', '"issuer": {"id": "did:web:evil.example",'), "structure"),
        # --- malformed and huge input ----------------------------------------------------------------------
        Mutation("not UTF-8", "a Latin-1 byte in the name", lambda raw: raw.replace(b'"name": "', b'"name": "\xe9', 1), "structure"),
        Mutation("trailing data", "a second JSON object after the badge", lambda raw: raw + b'{"name": "x"}', "structure"),
        Mutation("badge inside an array", "the badge wrapped in a JSON array", lambda raw: b"[" + raw + b"]", "structure"),
        Mutation("10 MB string", "a 10 MB description", _at("description", "x" * 10_000_000), "structure"),
        Mutation("20,000 tags", "the achievement gains 20,000 distinct tags (0.2 MB; minutes in plain pyld and jsonld.js, whose duplicate check is quadratic)", _at("credentialSubject.achievement.tag", [f"tag {number}" for number in range(20_000)]), "proof"),
        Mutation("3,000 alignments", "3,000 blank-node alignments (1 MB)", _edit(many_alignments), "proof"),
        Mutation("deep nesting in the raw JSON", "100,000 nested arrays", lambda raw: raw[:-1].rstrip() + b', "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "structure"),
        Mutation("deep nesting of defined terms", "60 nested objects under a defined property", _at("credentialSubject.achievement.criteria.narrative", lambda _: _nest(60)), "schema", frozenset({"contexts"})),
        Mutation("integer too large for JavaScript", "an integer beyond 2^53 where a number is allowed", _at("credentialSubject.achievement.resultDescription.0.rubricCriterionLevel.0.points", 2**60), "schema", frozenset({"contexts"})),
    ]
    ids = [mutation.id for mutation in mutations]
    duplicates = {item for item in ids if ids.count(item) > 1}
    if duplicates:
        raise AssertionError(f"mutation ids must be distinct: {sorted(duplicates)}")
    return mutations


# --- benign rewrites: the same credential, which every verifier must still accept ------------------------


@dataclass(frozen=True)
class Rewrite:
    """A change of JSON syntax only (the parsed credential is equal), so the badge must still verify."""

    id: str
    description: str
    mutate: Raw


def _reordered(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(item) for item in value]
    return value


BENIGN_REWRITES = [
    Rewrite("minified", "no whitespace between tokens", lambda raw: json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False).encode("utf-8")),
    Rewrite("keys in reverse order", "every object's keys reversed", lambda raw: _dump(_reordered(json.loads(raw)))),
    Rewrite("ASCII with escapes", "every non-ASCII character written as a \\u escape", lambda raw: json.dumps(json.loads(raw), indent=1).encode("ascii")),
    Rewrite("UTF-8 byte order mark", "the file starts with EF BB BF", lambda raw: b"\xef\xbb\xbf" + raw),
]


def self_issued_with_duplicate_values(sample: Sample) -> bytes:
    """A genuine badge of another issuer (the test's did:key) whose tags and alignments repeat values.

    Both canonicalizers drop repeated values through an index rather than a scan (see
    ``credfolio.proof._indexed_has_value``); the badge is signed in Python and must verify in the
    browser too, so their canonical forms agree when values repeat.
    """
    document = sample.document
    document.pop("proof")
    document.pop("credentialStatus", None)
    did = did_key_for(sample.attacker.public_key())
    document["issuer"] = {"id": did, "type": ["Profile"], "name": "A teacher's own key"}
    achievement = document["credentialSubject"]["achievement"]
    achievement.pop("creator", None)
    achievement["tag"] = ["data", "feedback", "data", "tag 1", "feedback", "tag 1", "Data"]
    achievement["alignment"] = achievement["alignment"][:1] * 3
    method = f"{did}#{public_key_to_multikey(sample.attacker.public_key())}"
    return _dump(create_proof(document, private_key=sample.attacker, verification_method=method, created=sample.created))

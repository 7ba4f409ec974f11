"""verify_credential: every check, every state, one negative test per tamper, the official vector and the peer corpus."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
from badge_factory import ISSUED, ISSUER_DID, NOW, PEER_CORPUS, SITE_URL, STANDARDS, STATUS_LIST_URL, Site, make_credential, other_key
from credfolio.contexts import CREDENTIALS_V2, OB_V3P0
from credfolio.credential import IssuerProfile
from credfolio.keys import IssuerKey, did_document, did_key_for
from credfolio.resolve import BaseResolver, FolderMapResolver
from credfolio.status import status_entry
from credfolio.verify import CHECK_IDS, STATES, Check, VerificationResult, verify_credential


def _verify(document, site: Site, *, now=NOW, **options) -> VerificationResult:
    return verify_credential(document, now=now, resolver=site.resolver(), **options)


def _oks(result: VerificationResult) -> dict[str, bool | None]:
    return {check.id: check.ok for check in result.checks}


# --- the happy path ---------------------------------------------------------------------------------


def test_a_badge_signed_by_the_district_verifies(site, signed_credential):
    result = _verify(signed_credential, site)
    assert result.state == "verified" and result.verified is True
    assert [check.id for check in result.checks] == list(CHECK_IDS)
    assert all(check.ok is True for check in result.checks), result.to_json()
    assert result.check("status").message.startswith("not revoked (status list https://testville.github.io/mc/status/1.json, entry 94567")
    assert result.check("issuer_key").message == (
        "signed with did:web:testville.github.io:mc#key-1, a key the issuer did:web:testville.github.io:mc publishes for signing credentials"
    )
    assert result.check("dates").message == "valid from 2025-06-01 until 2028-05-31"


def test_the_result_serializes_to_plain_json(site, signed_credential):
    data = _verify(signed_credential, site).to_json()
    assert set(data) == {"verified", "state", "checks"}
    assert data["checks"][0] == {"id": "structure", "ok": True, "message": "the credential is one well-formed JSON object"}
    json.dumps(data)


def test_json_text_and_bytes_verify_like_the_object(site, signed_credential):
    text = json.dumps(signed_credential, indent=2, ensure_ascii=False)
    assert _verify(text, site).state == "verified"
    assert _verify(text.encode("utf-8"), site).state == "verified"


def test_the_callers_document_is_not_modified(site, signed_credential):
    kept = copy.deepcopy(signed_credential)
    _verify(signed_credential, site)
    assert signed_credential == kept


def test_a_badge_without_status_says_the_issuer_cannot_revoke_it(site):
    result = _verify(site.sign(make_credential(status=None)), site)
    assert result.state == "verified"
    assert result.check("status") == Check("status", True, "no status entry: the issuer cannot revoke this badge")


def test_a_badge_without_an_end_date_verifies(site):
    result = _verify(site.sign(make_credential(valid_until=None)), site)
    assert result.state == "verified"
    assert result.check("dates").message == "valid from 2025-06-01, with no end date"


def test_a_did_key_issuer_verifies_without_any_document(site, issuer_private_key):
    did = did_key_for(issuer_private_key.public_key())
    issuer = IssuerProfile(did, "A teacher's own key", SITE_URL)
    credential = site.sign(make_credential(issuer=issuer, status=None), verification_method=f"{did}#{did.removeprefix('did:key:')}")
    assert _verify(credential, site).state == "verified"


def test_a_badge_signed_with_a_rotated_out_key_still_verifies(site):
    old = site.sign(make_credential())
    new_key = IssuerKey("key-2", other_key().public_key(), other_key(), ISSUED + timedelta(days=10))
    site.keys = [site.key, new_key]
    site.write_did_document()
    new = site.sign(make_credential(), private_key=other_key(), verification_method=f"{ISSUER_DID}#key-2")
    assert _verify(old, site).state == "verified"
    assert _verify(new, site).state == "verified"


def test_a_key_marked_compromised_after_the_signature_still_verifies_and_says_so(site, signed_credential):
    site.keys = [IssuerKey("key-1", site.key.public_key, None, site.key.created, revoked=ISSUED + timedelta(days=1))]
    site.write_did_document()
    site.write_status_list()  # re-signed by key-1 on ISSUED, before the compromise date
    result = _verify(signed_credential, site)
    assert result.state == "verified"
    assert "the key was retired on 2025-06-02, after this signature was made" in result.check("issuer_key").message


@pytest.mark.parametrize("minutes, state", [(4, "verified"), (6, "failed")], ids=["within the clock skew", "beyond the clock skew"])
def test_valid_from_tolerates_five_minutes_of_clock_skew(site, minutes, state):
    credential = site.sign(make_credential(valid_from=NOW + timedelta(minutes=minutes), status=None))
    assert _verify(credential, site).state == state


# --- tampering ---------------------------------------------------------------------------------------


def _resign(site: Site, document: dict[str, Any], **options) -> dict[str, Any]:
    return site.sign({k: v for k, v in document.items() if k != "proof"}, **options)


def _edit(path: str, value: Any) -> Callable[[Site, dict], dict]:
    """Set a dotted path (``credentialSubject.achievement.name``, ``proof.0.proofValue``) after signing."""

    def mutate(site: Site, credential: dict) -> dict:
        document = copy.deepcopy(credential)
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        target = document
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
        return document

    return mutate


_DELETE = object()


def _publish_key_2(site: Site, *, in_assertion_method: bool = True, controller: str | None = None, revoked=None) -> None:
    key_2 = IssuerKey("key-2", other_key().public_key(), other_key(), ISSUED, revoked=revoked)
    document = did_document(ISSUER_DID, [site.key, key_2])
    if not in_assertion_method:
        document["assertionMethod"] = [ISSUER_DID + "#key-1"]
    if controller is not None:
        document["verificationMethod"][1]["controller"] = controller
    site.write_did_document(document)


def _sign_with_key_2(site: Site, credential: dict) -> dict:
    return _resign(site, credential, private_key=other_key(), verification_method=ISSUER_DID + "#key-2")


def _key_not_in_assertion_method(site, credential):
    _publish_key_2(site, in_assertion_method=False)
    return _sign_with_key_2(site, credential)


def _controller_mismatch(site, credential):
    _publish_key_2(site, controller="did:web:evil.example")
    return _sign_with_key_2(site, credential)


def _key_compromised_before_signing(site, credential):
    _publish_key_2(site, revoked=ISSUED - timedelta(days=1))
    return _sign_with_key_2(site, credential)


def _signed_by_another_key_claiming_the_district(site, credential):
    return _resign(site, credential, private_key=other_key())


def _proof_duplicated_with_bad_value(site, credential):
    document = copy.deepcopy(credential)
    bad = dict(document["proof"][0], proofValue="z" + "1" * 86)
    document["proof"].append(bad)
    return document


def _cryptosuite_jcs(site, credential):
    return _edit("proof.0.cryptosuite", "eddsa-jcs-2022")(site, credential)


def _issuer_id_to_another_did(site, credential):
    return _edit("issuer.id", "did:web:evil.example")(site, credential)


def _duplicate_key_in_raw_json(site, credential):
    text = json.dumps(credential)
    return text.replace('"name": "Wait Time",', '"name": "Wait Time", "name": "Advanced Wait Time",', 1)


def _undefined_term_added(site, credential):
    return _edit("credentialSubject.hoursEarned", 40)(site, credential)


def _undefined_term_signed(site, credential):
    document = {k: v for k, v in credential.items() if k != "proof"}
    document["credentialSubject"] = {**document["credentialSubject"], "hoursEarned": 40}
    signed = copy.deepcopy(credential)
    signed["credentialSubject"] = document["credentialSubject"]
    return signed


def _context_reordered(site, credential):
    return _edit("@context", [OB_V3P0, CREDENTIALS_V2])(site, credential)


def _context_substituted(site, credential):
    return _edit("@context", [CREDENTIALS_V2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"])(site, credential)


def _control_character_in_name(site, credential):
    return _edit("name", "Wait\x08Time")(site, credential)


def _status_bit(purpose: str):
    def mutate(site, credential):
        document = {k: v for k, v in credential.items() if k != "proof"}
        document["credentialStatus"] = status_entry(STATUS_LIST_URL, 94567, purpose)
        site.write_status_list(set_bits=[94567], purpose=purpose)
        return site.sign(document)

    return mutate


def _status_list_missing(site, credential):
    (site.dir / "status" / "1.json").unlink()
    return credential


def _status_list_tampered(site, credential):
    listing = json.loads((site.dir / "status" / "1.json").read_text())
    honest = site.status_list(set_bits=[94567])  # the same list with the badge revoked ...
    listing["credentialSubject"]["encodedList"] = site.status_list()["credentialSubject"]["encodedList"]
    honest["credentialSubject"]["encodedList"] = listing["credentialSubject"]["encodedList"]  # ... "un-revoked" by an attacker
    site.write_json("status/1.json", honest)
    return credential


def _status_list_signed_by_another_key(site, credential):
    listing = site.status_list()
    site.write_json("status/1.json", _resign(site, listing, private_key=other_key()))
    return credential


def _expired(site, credential):
    return site.sign(make_credential(valid_from=NOW - timedelta(days=400), valid_until=NOW - timedelta(days=1)))


def _not_yet_valid(site, credential):
    return site.sign(make_credential(valid_from=NOW + timedelta(days=30), valid_until=NOW + timedelta(days=400)))


def _expired_and_revoked(site, credential):
    site.write_status_list(set_bits=[94567])
    return _expired(site, credential)


@dataclass
class Tamper:
    mutate: Callable[[Site, dict], Any]
    state: str
    checks: dict[str, bool | None]
    message: str = ""


SIGNATURE_BROKEN = {"proof": False}
TAMPERS = {
    "changed achievement name": Tamper(_edit("credentialSubject.achievement.name", "Advanced Wait Time"), "failed", SIGNATURE_BROKEN, "does not match the contents"),
    "changed subject identity hash": Tamper(_edit("credentialSubject.identifier.0.identityHash", "sha256$" + "0" * 64), "failed", SIGNATURE_BROKEN),
    "changed issuer name": Tamper(_edit("issuer.name", "Springfield School District"), "failed", SIGNATURE_BROKEN),
    "changed issuer id to another did": Tamper(_issuer_id_to_another_did, "failed", {"proof": False, "issuer_key": False}, "which is not a key of the issuer did:web:evil.example"),
    "changed validFrom": Tamper(_edit("validFrom", "2025-01-01T00:00:00Z"), "failed", SIGNATURE_BROKEN),
    "removed validUntil": Tamper(_edit("validUntil", _DELETE), "failed", SIGNATURE_BROKEN),
    "extended validUntil": Tamper(_edit("validUntil", "2099-01-01T00:00:00Z"), "failed", SIGNATURE_BROKEN),
    "changed status index": Tamper(_edit("credentialStatus", status_entry(STATUS_LIST_URL, 1)), "failed", SIGNATURE_BROKEN),
    "status entry removed": Tamper(_edit("credentialStatus", _DELETE), "failed", {"proof": False, "status": True}),
    "proof removed": Tamper(_edit("proof", _DELETE), "failed", {"proof": False, "issuer_key": None}, "it has no signature"),
    "proof duplicated with a bad value": Tamper(_proof_duplicated_with_bad_value, "failed", {"proof": False, "issuer_key": True}, "signature 2 of 2 does not match"),
    "proof object instead of array": Tamper(lambda site, c: _edit("proof", c["proof"][0])(site, c), "failed", {"schema": False, "proof": True}, "proof: must be an array"),
    "proofValue changed": Tamper(_edit("proof.0.proofValue", "z" + "2" * 86), "failed", SIGNATURE_BROKEN),
    "proofValue without the z prefix": Tamper(lambda site, c: _edit("proof.0.proofValue", c["proof"][0]["proofValue"][1:])(site, c), "failed", SIGNATURE_BROKEN, "multibase base58btc"),
    "proof purpose authentication": Tamper(_edit("proof.0.proofPurpose", "authentication"), "failed", SIGNATURE_BROKEN, 'needs "assertionMethod"'),
    "verificationMethod to a key not in assertionMethod": Tamper(_key_not_in_assertion_method, "failed", {"proof": True, "issuer_key": False}, "not listed under assertionMethod"),
    "verification method controller mismatch": Tamper(_controller_mismatch, "failed", {"proof": True, "issuer_key": False}, "is controlled by 'did:web:evil.example'"),
    "key compromised before the signature": Tamper(_key_compromised_before_signing, "failed", {"proof": True, "issuer_key": False}, "was marked compromised on 2025-05-31"),
    "verificationMethod to a key the DID does not list": Tamper(_edit("proof.0.verificationMethod", ISSUER_DID + "#key-9"), "failed", {"proof": None, "issuer_key": False}, "lists no key with the id"),
    "signed by another key claiming the district DID": Tamper(_signed_by_another_key_claiming_the_district, "failed", {"proof": False, "issuer_key": True}),
    "cryptosuite eddsa-jcs-2022": Tamper(_cryptosuite_jcs, "failed", {"proof": False}, "uses DataIntegrityProof / eddsa-jcs-2022, which credfolio cannot check"),
    "undefined term added after signing": Tamper(_undefined_term_added, "failed", {"contexts": False, "proof": None}, "undefined JSON-LD term 'hoursEarned'"),
    "undefined term present when signed": Tamper(_undefined_term_signed, "failed", {"contexts": False, "proof": None}, "undefined JSON-LD term"),
    "context reordered": Tamper(_context_reordered, "failed", {"schema": False}, "@context[0]"),
    "context substituted": Tamper(_context_substituted, "failed", {"schema": True, "contexts": False, "proof": None}, "context-3.0.2.json"),
    "C0 control character in name": Tamper(_control_character_in_name, "failed", {"contexts": False, "proof": None}, "control character (U+0008)"),
    "duplicate JSON key in raw JSON": Tamper(_duplicate_key_in_raw_json, "failed", {"structure": False, "schema": None, "proof": None, "status": None}, "has the key 'name' twice"),
    "revoked bit set": Tamper(_status_bit("revocation"), "revoked", {"proof": True, "status": False}, "the issuer has revoked this badge"),
    "suspension bit set": Tamper(_status_bit("suspension"), "suspended", {"proof": True, "status": False}, "the issuer has suspended this badge"),
    "status list missing": Tamper(_status_list_missing, "unknown-status", {"proof": True, "status": None}, "status could not be checked: status list https://testville.github.io/mc/status/1.json could not be fetched"),
    "status list credential tampered": Tamper(_status_list_tampered, "failed", {"proof": True, "status": False}, "the status list https://testville.github.io/mc/status/1.json is not genuine"),
    "status list signed by another key": Tamper(_status_list_signed_by_another_key, "failed", {"status": False}, "is not genuine"),
    "expired": Tamper(_expired, "expired", {"proof": True, "dates": False, "status": True}, "it expired on 2025-08-31"),
    "not yet valid": Tamper(_not_yet_valid, "failed", {"proof": True, "dates": False}, "it is not valid yet: it starts on 2025-10-01"),
    "expired and revoked": Tamper(_expired_and_revoked, "revoked", {"dates": False, "status": False}),
}


@pytest.mark.parametrize("tamper", list(TAMPERS.values()), ids=list(TAMPERS))
def test_each_tamper_is_caught(site, signed_credential, tamper):
    result = _verify(tamper.mutate(site, signed_credential), site)
    assert result.state == tamper.state, result.to_json()
    assert result.verified is False
    oks = _oks(result)
    assert {check_id: oks[check_id] for check_id in tamper.checks} == tamper.checks, result.to_json()
    if tamper.message:
        failing = " | ".join(check.message for check in result.checks if check.ok is not True)
        assert tamper.message in failing, failing


def test_an_unverifiable_status_is_never_reported_as_valid(site, signed_credential):
    _status_list_missing(site, signed_credential)
    result = _verify(signed_credential, site)
    assert result.state == "unknown-status" and not result.verified
    assert result.check("status").ok is None
    assert "not revoked" not in result.check("status").message


STATUS_LIST_PROBLEMS = {
    "list for another purpose": (lambda site: site.write_status_list(purpose="suspension"), "failed", False, "the status list is for 'suspension'"),
    "list published by another issuer": (
        lambda site: site.write_json("status/1.json", _list_from_did_key(site)),
        "unknown-status",
        None,
        "was published by 'did:key:",
    ),
    "expired list": (lambda site: site.write_json("status/1.json", _resign(site, {**site.status_list(), "validUntil": "2025-07-01T00:00:00Z"})), "unknown-status", None, "expired on 2025-07-01"),
    "list signed with an unsupported suite": (
        lambda site: site.write_json("status/1.json", {**site.status_list(), "proof": [{"type": "Ed25519Signature2020", "proofValue": "z1"}]}),
        "unknown-status",
        None,
        "signed with Ed25519Signature2020, which credfolio cannot check",
    ),
    "list not signed": (lambda site: site.write_json("status/1.json", {k: v for k, v in site.status_list().items() if k != "proof"}), "failed", False, "has no signature"),
    "list that is not a status list": (lambda site: site.write_json("status/1.json", {**site.status_list(), "type": ["VerifiableCredential"]}), "failed", False, "is not a BitstringStatusListCredential"),
}


def _list_from_did_key(site: Site) -> dict:
    did = did_key_for(other_key().public_key())
    listing = {k: v for k, v in site.status_list().items() if k != "proof"}
    listing["issuer"] = did
    return site.sign(listing, private_key=other_key(), verification_method=f"{did}#{did.removeprefix('did:key:')}")


@pytest.mark.parametrize("publish, state, ok, message", list(STATUS_LIST_PROBLEMS.values()), ids=list(STATUS_LIST_PROBLEMS))
def test_status_list_problems(site, signed_credential, publish, state, ok, message):
    publish(site)
    result = _verify(signed_credential, site)
    assert (result.state, result.check("status").ok) == (state, ok), result.to_json()
    assert message in result.check("status").message


def test_an_unknown_status_type_cannot_be_checked(site):
    unsigned = make_credential(status=None)
    unsigned["credentialStatus"] = {"id": SITE_URL + "status/x#1", "type": "https://status.example/CustomStatusEntry"}
    result = _verify(site.sign(unsigned), site)
    assert result.state == "unknown-status"
    assert "does not support the status type 'https://status.example/CustomStatusEntry'" in result.check("status").message


@pytest.mark.parametrize(
    "document, message",
    [
        ("{not json", "the credential is not valid JSON"),
        ("[1, 2]", "must be a JSON object, not an array"),
        (b"\xff\xfe", "is not UTF-8 text"),
        ("null", "not null"),
        (42, "not int"),
        ({"@context": "x"}, None),
        ({}, None),
        ({"proof": [1, "x", None], "credentialStatus": [1]}, None),
    ],
    ids=["invalid JSON", "an array", "not UTF-8", "null", "a number", "context a string", "empty object", "junk proofs and status"],
)
def test_junk_input_is_reported_not_raised(site, document, message):
    result = _verify(document, site)
    assert result.state == "failed" and [check.id for check in result.checks] == list(CHECK_IDS)
    if message:
        assert result.check("structure").ok is False and message in result.check("structure").message
        assert all(check.ok is None for check in result.checks[1:])


def test_misuse_raises():
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        verify_credential({}, now=datetime(2025, 1, 1), resolver=FolderMapResolver({}))
    with pytest.raises(ValueError, match="needs a resolver"):
        verify_credential({}, now=NOW, resolver=None)


def test_every_state_is_reachable_and_named():
    assert {tamper.state for tamper in TAMPERS.values()} | {"verified"} == set(STATES)


# --- the 1EdTech OB 3.0 signed vector -------------------------------------------------------------

OB_VECTOR = STANDARDS / "vectors" / "ob-v3p0"


class _VectorIssuerResolver(BaseResolver):
    """Serves the vector's issuer (https://example.edu/issuers/565049) as a controller document with its key."""

    def __init__(self, multikey: str) -> None:
        self.issuer = "https://example.edu/issuers/565049"
        self.multikey = multikey

    def fetch_json(self, url: str) -> dict:
        assert url == self.issuer, url
        method_id = f"{self.issuer}#{self.multikey}"
        return {
            "id": self.issuer,
            "verificationMethod": [{"id": method_id, "type": "Multikey", "controller": self.issuer, "publicKeyMultibase": self.multikey}],
            "assertionMethod": [method_id],
        }


def _ob_vector() -> dict:
    path = OB_VECTOR / "signed-credential.json"
    if not path.is_file():
        pytest.skip(f"OB 3.0 test vector not found at {path} (../shared/standards): cannot verify it")
    return json.loads(path.read_text())


def test_the_1edtech_ob_vector_signature_verifies_and_its_proof_object_fails_the_schema():
    vector = _ob_vector()
    multikey = vector["proof"]["verificationMethod"].split("#")[1]
    result = verify_credential(vector, now=NOW, resolver=_VectorIssuerResolver(multikey))
    assert _oks(result) == {"structure": True, "schema": False, "contexts": True, "proof": True, "issuer_key": True, "dates": True, "status": True}
    assert "proof: must be an array" in result.check("schema").message
    assert result.state == "failed"


def test_the_1edtech_ob_vector_with_its_proof_in_an_array_verifies():
    vector = _ob_vector()
    vector["proof"] = [vector["proof"]]  # proof sets: the signature does not cover the proof's container
    multikey = vector["proof"][0]["verificationMethod"].split("#")[1]
    assert verify_credential(vector, now=NOW, resolver=_VectorIssuerResolver(multikey)).state == "verified"


def test_without_the_issuers_key_document_the_vector_signature_checks_but_the_key_is_not_trusted():
    vector = _ob_vector()
    result = verify_credential(vector, now=NOW, resolver=FolderMapResolver({}))
    assert result.check("proof").ok is True
    assert "named in the proof; its owner is checked under issuer_key" in result.check("proof").message
    assert result.check("issuer_key").ok is False
    assert "https://example.edu/issuers/565049 could not be fetched" in result.check("issuer_key").message


# --- the peer corpus ----------------------------------------------------------------------------------

CORPUS = PEER_CORPUS / "corpus"
SITES = PEER_CORPUS / "sites"
CORPUS_NOW = NOW.replace(year=2026, month=6, day=1)


def _corpus_resolver() -> FolderMapResolver:
    return FolderMapResolver(
        {
            "https://digitalcredentials.github.io/vc-test-fixtures/": SITES / "dcc-vc-test-fixtures" / "vc-test-fixtures",
            "https://digitalcredentials.github.io/dcc-did-web/": SITES / "dcc-verifier-core" / "dcc-did-web",
            "https://raw.githubusercontent.com/digitalcredentials/": SITES / "dcc-verifier-core" / "digitalcredentials",
            "https://raw.githubusercontent.com/1EdTech/": SITES / "1edtech-validator" / "1EdTech",
        }
    )


def _corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.json")) if CORPUS.is_dir() else []


#: Third-party signatures credfolio checks (eddsa-rdfc-2022, contexts it bundles): signed by the DCC
#: JavaScript stack and the 1EdTech Java validator's fixtures. Each must verify cryptographically.
THIRD_PARTY_SIGNATURES = {
    "1edtech-validator/ob30/bit-string-list/credential-status-revoked.json",
    "1edtech-validator/ob30/simple-did-key-method.json",
    "1edtech-validator/ob30/simple-err-expired.json",
    "1edtech-validator/ob30/simple-err-issued.json",
    "1edtech-validator/ob30/simple-err-issuer.json",
    "1edtech-validator/ob30/simple.json",
    "dcc-vc-test-fixtures/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-OBSpecExample.json",
    "dcc-vc-test-fixtures/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-alignments.json",
    "dcc-vc-test-fixtures/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-basicOBv3.json",
    "dcc-vc-test-fixtures/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-minimal.json",
    "dcc-vc-test-fixtures/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-notExpired-withSchema.json",
    "dcc-vc-test-fixtures/v2/dataIntegrityProof/didKey/oidf-noStatus-notExpired-complexIssuer.json",
    "dcc-vc-test-fixtures/v2/dataIntegrityProof/didKey/oidf-noStatus-notExpired-notYetValid.json",
    "dcc-vc-test-fixtures/v2/dataIntegrityProof/didKey/twoOIDF-revoked-notExpired-badSchema.json",
    "dcc-vc-test-fixtures/v2/dataIntegrityProof/didKey/twoOIDF-validStatus-expired.json",
}


def _expectations(name: str) -> tuple[str | None, dict[str, Any]]:
    """(expected state or None, {check id: expected ok or a predicate}) from what the file name says."""
    checks: dict[str, Any] = {}
    state = None
    if re.search(r"simple-err-|noproof|-tampered\.|badDidWeb|badSchema|safeModeBreaker|-notYetValid\.|nonOBWithOBContext", name):
        state = "failed"
    if "noproof" in name:
        checks["proof"] = False
    if "safeModeBreaker" in name:
        checks["contexts"] = False  # the undefined term pyld would silently drop is caught
    if re.search(r"-expired[.-]|Expired(With|\.)", name) and "notExpired" not in name:
        checks["dates"] = False
    if re.search(r"-notYetValid\.", name):
        checks["dates"] = False
    if re.search(r"revoked", name, re.IGNORECASE) or re.search(r"(tampered|expired|notYetValid|missingType)Status", name):
        checks["status"] = lambda ok: ok is not True  # never "not revoked" for a revoked or broken status
    if "noStatus" in name:
        checks["status"] = True
    if re.search(r"validStatus", name, re.IGNORECASE) and "notYetValid" not in name:
        checks["status"] = lambda ok: ok is not False  # never "revoked" for a valid one
    if "BadStatusUrl" in name:
        checks["status"] = None
    if "missingTypeStatus" in name:
        checks["status"] = False
    return state, checks


@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_peer_corpus_verdicts_match_what_each_file_name_says(path):
    relative = str(path.relative_to(CORPUS))
    result = verify_credential(path.read_bytes(), now=CORPUS_NOW, resolver=_corpus_resolver())
    assert [check.id for check in result.checks] == list(CHECK_IDS)
    assert result.state in STATES
    state, checks = _expectations(path.name)
    if state is not None:
        assert result.state == state, result.to_json()
    oks = _oks(result)
    for check_id, expected in checks.items():
        if callable(expected):
            assert expected(oks[check_id]), (check_id, result.to_json())
        else:
            assert oks[check_id] is expected, (check_id, result.to_json())
    if relative in THIRD_PARTY_SIGNATURES:
        assert oks["proof"] is True, result.to_json()
    if "err-proof-value" in relative or "-tampered." in relative:
        assert oks["proof"] is not True
    if result.state == "verified":
        pytest.fail(f"{relative} verified, but no corpus file meets every credfolio check (see the report table)")


def test_peer_corpus_summary():
    files = _corpus_files()
    if not files:
        pytest.skip(f"peer corpus not found at {PEER_CORPUS} (../shared/peer-corpus)")
    states: Counter[str] = Counter()
    proofs: Counter[Any] = Counter()
    for path in files:
        result = verify_credential(path.read_bytes(), now=CORPUS_NOW, resolver=_corpus_resolver())
        states[result.state] += 1
        proofs[result.check("proof").ok] += 1
    assert sum(states.values()) == len(files) == 78
    assert proofs[True] == len(THIRD_PARTY_SIGNATURES)

"""Interoperability both ways: the reference JavaScript stack (Digital Bazaar) and openbadgeslib.

The JavaScript side runs ``tests/interop/interop.mjs`` with the exact packages pinned in
``tests/interop/package-lock.json``; install them with ``npm ci --prefix tests/interop`` (``make test``
does). Everything is offline: contexts come from the npm packages, DID documents from the test.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from proof_fixtures import FIXED_SEED, NOW, fixed_key, make_badge, other_key, varied_documents

from credfolio.errors import ProofError
from credfolio.keys import IssuerKey, did_document, did_key_for, public_key_to_multikey
from credfolio.proof import create_proof, document_proofs, verify_proof

INTEROP = Path(__file__).resolve().parent / "interop"
NODE = shutil.which("node")
DID_WEB = "did:web:riverbend-usd.github.io:micro-credentials"
DID_KEY = did_key_for(fixed_key().public_key())
DID_KEY_METHOD = f"{DID_KEY}#{DID_KEY[len('did:key:'):]}"
CREATED = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")

pytestmark = pytest.mark.interop


def run_js(*requests: dict[str, Any]) -> list[dict[str, Any]]:
    """Send JSON-lines requests to interop.mjs; skip when Node or the pinned packages are missing."""
    if NODE is None:
        pytest.skip("node is not installed (needed for the JavaScript interop tests)")
    if not (INTEROP / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.skip("reference JS stack not installed: run `npm ci --prefix tests/interop` (make test does)")
    completed = subprocess.run(
        [NODE, str(INTEROP / "interop.mjs")],
        input="".join(json.dumps(request) + "\n" for request in requests),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    responses = [json.loads(line) for line in completed.stdout.splitlines()]
    assert len(responses) == len(requests), completed.stdout + completed.stderr
    for response in responses:
        assert response["ok"], response
    return responses


def _badge(issuer: str) -> dict[str, Any]:
    badge = make_badge()
    badge["issuer"]["id"] = issuer
    return badge


def _did_web_document() -> dict[str, Any]:
    keys = [
        IssuerKey("key-1", other_key().public_key(), None, NOW),  # a rotated-out key stays listed
        IssuerKey("key-2", fixed_key().public_key(), None, NOW),
    ]
    return did_document(DID_WEB, keys)


def _signed_by_credfolio(issuer: str, method: str) -> dict[str, Any]:
    return create_proof(_badge(issuer), private_key=fixed_key(), verification_method=method, created=NOW)


def _tamper(credential: dict[str, Any]) -> dict[str, Any]:
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["name"] = "Talk Moves (Distinguished)"
    return tampered


# --- JavaScript reference stack ----------------------------------------------------------------------


def test_js_verifies_credfolio_signed_did_key_credential():
    (response,) = run_js({"op": "verify", "credential": _signed_by_credfolio(DID_KEY, DID_KEY_METHOD)})
    assert response["verified"], response["errors"]


def test_js_verifies_credfolio_signed_did_web_credential_with_its_did_document():
    signed = _signed_by_credfolio(DID_WEB, f"{DID_WEB}#key-2")
    (response,) = run_js({"op": "verify", "credential": signed, "didDocuments": {DID_WEB: _did_web_document()}})
    assert response["verified"], response["errors"]


def test_js_rejects_a_credential_signed_by_another_key_than_its_verification_method():
    signed = create_proof(
        _badge(DID_WEB), private_key=other_key(), verification_method=f"{DID_WEB}#key-2", created=NOW
    )
    (response,) = run_js({"op": "verify", "credential": signed, "didDocuments": {DID_WEB: _did_web_document()}})
    assert not response["verified"]


def test_js_and_credfolio_produce_the_same_proof():
    # Deterministic Ed25519 over identical canonical bytes: the proofs must be equal, not just valid.
    badge = _badge(DID_KEY)
    (response,) = run_js(
        {"op": "sign", "credential": badge, "seedHex": FIXED_SEED.hex(), "verificationMethod": DID_KEY_METHOD, "created": CREATED}
    )
    assert document_proofs(response["credential"]) == _signed_by_credfolio(DID_KEY, DID_KEY_METHOD)["proof"]


def test_js_and_credfolio_produce_the_same_proofs_for_varied_credentials():
    # pyld (URDNA2015) and jsonld.js (RDFC-1.0, safe mode) must agree on every byte they sign.
    documents = varied_documents()
    (response,) = run_js(
        {"op": "signMany", "credentials": documents, "seedHex": FIXED_SEED.hex(), "verificationMethod": DID_KEY_METHOD, "created": CREATED}
    )
    for document, theirs in zip(documents, response["credentials"], strict=True):
        ours = create_proof(document, private_key=fixed_key(), verification_method=DID_KEY_METHOD, created=NOW)
        assert document_proofs(theirs) == ours["proof"], document.get("id")


def test_credfolio_verifies_js_signed_credentials():
    requests = [
        {"op": "sign", "credential": _badge(issuer), "seedHex": FIXED_SEED.hex(), "verificationMethod": method, "created": CREATED}
        for issuer, method in ((DID_KEY, DID_KEY_METHOD), (DID_WEB, f"{DID_WEB}#key-2"))
    ]
    for response in run_js(*requests):
        signed = response["credential"]
        for proof in document_proofs(signed):
            verify_proof(signed, proof, public_key=fixed_key().public_key())


def test_a_tampered_credential_fails_in_both():
    signed_here = _signed_by_credfolio(DID_KEY, DID_KEY_METHOD)
    (signed_there,) = run_js(
        {"op": "sign", "credential": _badge(DID_KEY), "seedHex": FIXED_SEED.hex(), "verificationMethod": DID_KEY_METHOD, "created": CREATED}
    )
    tampered = [_tamper(signed_here), _tamper(signed_there["credential"])]
    for response in run_js(*({"op": "verify", "credential": credential} for credential in tampered)):
        assert not response["verified"]
    for credential in tampered:
        with pytest.raises(ProofError, match="signature does not match"):
            verify_proof(credential, document_proofs(credential)[0], public_key=fixed_key().public_key())


def test_js_batch_mode_signs_and_verifies_many():
    badges = [_badge(DID_KEY) | {"id": f"urn:uuid:00000000-0000-4000-8000-{index:012d}"} for index in range(5)]
    signed, verified = run_js(
        {
            "op": "signMany",
            "credentials": badges,
            "seedHex": FIXED_SEED.hex(),
            "verificationMethod": DID_KEY_METHOD,
            "created": CREATED,
        },
        {"op": "verifyMany", "credentials": [_signed_by_credfolio(DID_KEY, DID_KEY_METHOD)] * 2},
    )
    assert len(signed["credentials"]) == 5 and signed["elapsedMs"] >= 0
    assert verified["verified"] == [True, True]


def test_js_loader_is_offline():
    badge = _signed_by_credfolio(DID_WEB, f"{DID_WEB}#key-2")
    (response,) = run_js({"op": "verify", "credential": badge})  # no DID document supplied
    assert not response["verified"]
    assert any("refuses" in error for error in response["errors"]), response["errors"]


# --- openbadgeslib -----------------------------------------------------------------------------------


def _private_pem() -> bytes:
    return fixed_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _public_pem() -> bytes:
    return fixed_key().public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_openbadgeslib_verifies_credfolio_signed_did_key_credential():
    ldp = pytest.importorskip("openbadgeslib.ob3.ldp", reason="openbadgeslib[ldp] is not installed")
    credential = ldp.OB3LdpVerifier().verify(_signed_by_credfolio(DID_KEY, DID_KEY_METHOD))
    assert credential is not None


def test_openbadgeslib_verifies_credfolio_signed_did_web_credential_with_the_pinned_key():
    ldp = pytest.importorskip("openbadgeslib.ob3.ldp", reason="openbadgeslib[ldp] is not installed")
    signed = _signed_by_credfolio(DID_WEB, f"{DID_WEB}#key-2")
    ldp.OB3LdpVerifier(pubkey_pem=_public_pem()).verify(signed)
    ldp.verify_data_integrity_proof(signed, _public_pem())


def test_openbadgeslib_rejects_a_tampered_credfolio_credential():
    ldp = pytest.importorskip("openbadgeslib.ob3.ldp", reason="openbadgeslib[ldp] is not installed")
    from openbadgeslib.ob3.verifier import OB3VerificationError

    with pytest.raises(OB3VerificationError):
        ldp.verify_data_integrity_proof(_tamper(_signed_by_credfolio(DID_KEY, DID_KEY_METHOD)), _public_pem())


def test_credfolio_verifies_openbadgeslib_signed_credential():
    ldp = pytest.importorskip("openbadgeslib.ob3.ldp", reason="openbadgeslib[ldp] is not installed")
    signed = ldp.add_data_integrity_proof(_badge(DID_KEY), _private_pem(), DID_KEY_METHOD, created=NOW)
    (proof,) = document_proofs(signed)
    verify_proof(signed, proof, public_key=fixed_key().public_key())
    assert proof["proofValue"] == _signed_by_credfolio(DID_KEY, DID_KEY_METHOD)["proof"][0]["proofValue"]
    with pytest.raises(ProofError, match="signature does not match"):
        verify_proof(_tamper(signed), proof, public_key=fixed_key().public_key())


def test_did_key_multikey_matches_openbadgeslib():
    did_module = pytest.importorskip("openbadgeslib.ob3.did", reason="openbadgeslib is not installed")
    assert did_module.did_key_from_pem(_public_pem()) == DID_KEY
    assert DID_KEY == f"did:key:{public_key_to_multikey(fixed_key().public_key())}"


# --- Bitstring Status Lists against @digitalbazaar/vc-bitstring-status-list ---------------------------

REPO = Path(__file__).resolve().parents[1]


def test_js_status_list_library_reads_the_same_bits_credfolio_wrote():
    from credfolio.status import StatusList

    revoked = [0, 7, 8, 94567, 131071]
    bits = StatusList()
    for index in revoked:
        bits.set(index, True)
    probe = revoked + [1, 6, 9, 94566, 94568, 131070]
    [answer] = run_js({"op": "decodeStatusList", "encodedList": bits.encode(), "indexes": probe})
    assert answer["length"] == 131072
    assert answer["status"] == [index in revoked for index in probe]


def test_credfolio_reads_the_bits_the_js_library_wrote():
    from credfolio.status import StatusList

    revoked = [3, 1000, 131071]
    [answer] = run_js({"op": "encodeStatusList", "length": 131072, "set": revoked})
    decoded = StatusList.from_encoded(answer["encodedList"])
    assert [i for i in (2, 3, 4, 999, 1000, 1001, 131070, 131071) if decoded.get(i)] == revoked


def test_js_verifies_the_committed_sample_status_list_and_reads_exactly_the_revoked_badges():
    status_list = json.loads((REPO / "wallet" / "status" / "revocation-1.json").read_text())
    did_doc = json.loads((REPO / "wallet" / "did.json").read_text())
    verdict, = run_js({"op": "verify", "credential": status_list, "didDocuments": {did_doc["id"]: did_doc},
                       "now": "2026-11-28T00:00:00Z"})
    assert verdict["verified"], verdict["errors"]
    events = [json.loads(line) for line in (REPO / "wallet" / "ledger.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    revoked = {event["badge"] for event in events if event["event"] == "revoked"}
    indexes = {
        entry["index"]: event["badge"] in revoked
        for event in events if event["event"] == "allocated"
        for entry in event["status"] if entry["purpose"] == "revocation" and entry["list"] == 1
    }
    assert revoked and indexes
    [answer] = run_js({"op": "decodeStatusList", "encodedList": status_list["credentialSubject"]["encodedList"],
                       "indexes": list(indexes)})
    assert answer["status"] == list(indexes.values())

#!/usr/bin/env python3
"""Benchmark: sign and verify N Open Badges 3.0 credentials (eddsa-rdfc-2022).

Runs, in one invocation and on the same badges:
  * credfolio — ``create_proof`` in one process, ``sign_many`` over 2 processes, ``verify_proof``;
  * openbadgeslib — ``add_data_integrity_proof`` / ``verify_data_integrity_proof`` (its low-level
    eddsa-rdfc-2022 path, the closest equivalent) and ``OB3LdpVerifier.verify`` (full OB3 checks);
  * the reference JavaScript stack (Digital Bazaar vc + eddsa-rdfc-2022-cryptosuite, the one DCC
    verifiers and the Learner Credential Wallet use) via ``tests/interop/interop.mjs`` batch mode —
    the baseline every ratio is given against. JS time is measured inside Node (startup excluded).

Usage (from the repository root, after ``npm ci --prefix tests/interop``)::

    .venv/bin/python bench/bench_sign.py [--count 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credfolio.contexts import CREDENTIALS_V2, OB_V3P0
from credfolio.keys import did_key_for, public_key_to_multikey
from credfolio.proof import create_proof, document_proofs, sign_many, verify_proof

REPO = Path(__file__).resolve().parents[1]
INTEROP = REPO / "tests" / "interop"
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
CREATED = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


def make_badges(count: int, issuer: str) -> list[dict[str, Any]]:
    """``count`` distinct OB 3.0 credentials shaped like the standards README template."""
    badges = []
    for index in range(count):
        badges.append(
            {
                "@context": [CREDENTIALS_V2, OB_V3P0],
                "id": f"urn:uuid:6f1c0e9a-0000-4000-8000-{index:012d}",
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "name": "Talk Moves",
                "issuer": {"id": issuer, "type": ["Profile"], "name": "Riverbend Unified School District",
                           "url": "https://riverbend-usd.github.io/micro-credentials/"},
                "validFrom": "2025-06-01T00:00:00Z",
                "validUntil": "2028-06-01T00:00:00Z",
                "credentialSubject": {
                    "type": ["AchievementSubject"],
                    "identifier": [{"type": "IdentityObject", "identityHash": f"sha256${index:064x}",
                                    "identityType": "emailAddress", "hashed": True, "salt": f"salt-{index}"}],
                    "achievement": {
                        "id": "https://riverbend-usd.github.io/micro-credentials/catalog/talk-moves/",
                        "type": ["Achievement"], "achievementType": "MicroCredential", "name": "Talk Moves",
                        "description": "Uses academically productive talk moves to deepen discussion.",
                        "criteria": {"narrative": "Submit a transcript and a reflection scored Proficient."},
                        "image": {"id": "https://riverbend-usd.github.io/micro-credentials/catalog/talk-moves/badge.png",
                                  "type": "Image", "caption": "Talk Moves badge"},
                        "alignment": [{"type": ["Alignment"], "targetName": "Standard 3: Discourse",
                                       "targetUrl": "https://example.org/standards/3", "targetCode": "3"}],
                    },
                },
                "evidence": [{"id": f"https://riverbend-usd.github.io/micro-credentials/evidence/{index}.pdf",
                              "type": ["Evidence"], "name": "Transcript"}],
            }
        )
    return badges


def timed(label: str, count: int, action: Callable[[], Any], results: dict[str, float]) -> Any:
    started = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - started
    results[label] = count / seconds
    print(f"  {label:<52} {count / seconds:9.1f} credentials/s  ({seconds:6.2f} s)", flush=True)
    return value


def run_js(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    completed = subprocess.run(
        ["node", str(INTEROP / "interop.mjs")],
        input="".join(json.dumps(request) + "\n" for request in requests),
        capture_output=True, text=True, check=True,
    )
    responses = [json.loads(line) for line in completed.stdout.splitlines()]
    for response in responses:
        if not response.get("ok"):
            raise SystemExit(f"interop.mjs failed: {response}")
    return responses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    count = args.count

    key = Ed25519PrivateKey.from_private_bytes(SEED)
    did = did_key_for(key.public_key())
    method = f"{did}#{public_key_to_multikey(key.public_key())}"
    badges = make_badges(count, did)
    results: dict[str, float] = {}
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{count} OB 3.0 credentials, eddsa-rdfc-2022, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {load}")

    print("credfolio")
    signed = timed("credfolio sign (1 process)", count, lambda: [
        create_proof(badge, private_key=key, verification_method=method, created=CREATED) for badge in badges], results)
    parallel = timed("credfolio sign_many (2 processes)", count, lambda: sign_many(
        badges, private_key=key, verification_method=method, created=CREATED, processes=2), results)
    assert parallel == signed, "sign_many must equal sequential signing"

    def verify_all() -> None:
        for credential in signed:
            verify_proof(credential, document_proofs(credential)[0], public_key=key.public_key())

    timed("credfolio verify (1 process)", count, verify_all, results)

    try:
        from openbadgeslib.ob3 import ldp
    except ImportError:
        print("openbadgeslib: not installed, skipped")
    else:
        print("openbadgeslib")
        private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
        public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        theirs = timed("openbadgeslib add_data_integrity_proof", count, lambda: [
            ldp.add_data_integrity_proof(badge, private_pem, method, created=CREATED) for badge in badges], results)
        assert [credential["proof"] for credential in theirs] == [credential["proof"][0] for credential in signed]
        timed("openbadgeslib verify_data_integrity_proof", count, lambda: [
            ldp.verify_data_integrity_proof(credential, public_pem) for credential in signed], results)
        verifier = ldp.OB3LdpVerifier(pubkey_pem=public_pem)
        timed("openbadgeslib OB3LdpVerifier.verify (full OB3 checks)", count, lambda: [
            verifier.verify(credential) for credential in signed], results)

    if shutil.which("node") and (INTEROP / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        print("reference JavaScript stack (Digital Bazaar, Node " +
              subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() + ")")
        created = CREATED.strftime("%Y-%m-%dT%H:%M:%SZ")
        # A warm-up request first: module loading and JIT are not what is measured.
        sign_response, verify_response = run_js([
            {"op": "signMany", "credentials": badges[: min(20, count)], "seedHex": SEED.hex(),
             "verificationMethod": method, "created": created},
            {"op": "signMany", "credentials": badges, "seedHex": SEED.hex(), "verificationMethod": method,
             "created": created},
            {"op": "verifyMany", "credentials": signed},
        ])[1:]
        assert all(sign_response["credentials"][index]["proof"] == signed[index]["proof"][0] for index in range(count))
        assert all(verify_response["verified"]), "JS failed to verify credfolio credentials"
        results["JS sign"] = count / (sign_response["elapsedMs"] / 1000)
        results["JS verify"] = count / (verify_response["elapsedMs"] / 1000)
        for label in ("JS sign", "JS verify"):
            seconds = count / results[label]
            print(f"  {label:<52} {results[label]:9.1f} credentials/s  ({seconds:6.2f} s)")
        print("ratios (credentials/s relative to the JS stack; >1 = faster than JS)")
        for label, rate in results.items():
            if label.startswith("JS"):
                continue
            baseline = results["JS verify"] if "verif" in label else results["JS sign"]
            print(f"  {label:<52} {rate / baseline:6.2f}x")
    else:
        print("reference JS stack not installed (npm ci --prefix tests/interop): no ratios")
    return 0


if __name__ == "__main__":
    sys.exit(main())

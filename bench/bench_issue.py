#!/usr/bin/env python3
"""Benchmark: bulk issuance of 10,000 badges with `credfolio issue --csv`, and verifying them, against the JS stack.

Runs, in one invocation:
  1. ``credfolio synth`` makes a district with a 40-credential catalog and its teachers (no badges),
     and this script writes a bulk-issue CSV of ``--count`` passed awards (``synth.award_rows``:
     distinct teacher and credential, rubric scores, some evidence and end dates, a tenth private);
  2. ``credfolio issue --csv`` (a subprocess: the real command, CSV checks, ledger, fsync'd files,
     status lists) issues them with a fresh key — once in a folder on disk and, when /dev/shm has room,
     once on tmpfs, where ``fsync`` costs nothing, to show how much of the time is the disk;
  3. the reference JavaScript stack (``@digitalbazaar/vc`` + ``eddsa-rdfc-2022-cryptosuite``, pinned in
     ``tests/interop``) signs the *same* unsigned credentials with the same key and ``created``; its
     proofs must equal credfolio's byte for byte. JS time is measured inside Node (startup excluded)
     and covers signing only — no CSV, ledger or files — so the ratio flatters JS;
  4. verification: credfolio's ``verify_credential`` (all seven checks, DID and status list read from a
     published site folder) over the published badges, in one process and — if the site build's
     parallel verifier is available — as the build runs it, against JS ``verifyMany`` (signature and
     dates; it cannot read status lists offline).

Usage (from the repository root, after ``npm ci --prefix tests/interop``)::

    .venv/bin/python bench/bench_issue.py [--count 10000] [--js-count N]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
INTEROP = REPO / "tests" / "interop"
CREDFOLIO = [sys.executable, "-m", "credfolio.cli"]
#: The day the benchmark issues on (award dates are before it): the CSV path refuses future award dates.
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def machine() -> str:
    """One line: CPUs, memory, Python and the load average when the run started."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs, {memory:.0f} GiB, Python {sys.version.split()[0]}, load average {load}"


def prepare(folder: Path, count: int, teachers: int, credentials: int, seed: int) -> tuple[Path, Path, Path]:
    """A synthetic district without badges, a fresh key store for it, and the awards CSV: (district, keys, csv)."""
    from credfolio.catalog import load_catalog
    from credfolio.config import load_district
    from credfolio.keys import KeyStore
    from credfolio.synth import award_rows, make_teachers, synthesize_district, write_award_csv
    from credfolio.wallet import load_teachers, write_did_document

    district = folder / "district"
    synthesize_district(district, teachers=teachers, badges=0, credentials=credentials, seed=seed, as_of=AS_OF)
    config = load_district(district)
    keys = KeyStore(folder / "keys", forbidden_roots=[district])
    keys.generate(config.issuer_did, now=AS_OF - timedelta(days=2000))
    write_did_document(config, keys)
    rng = random.Random(seed)
    public = [(teacher, True) for teacher in load_teachers(config).values()]
    # teachers who did not opt in have no file: their badges go to the private folder
    # (their own slugs, which make their e-mail addresses, so no private teacher shares an opted-in one's address)
    private = [(dataclasses.replace(teacher, slug=f"private-{teacher.slug}"), False)
               for teacher, _ in make_teachers(max(1, len(public) // 9), rng)]
    rows = award_rows(public + private, load_catalog(district), count, as_of=AS_OF, rng=rng)
    return district, folder / "keys", write_award_csv(folder / "awards.csv", rows)


def issue(district: Path, keys: Path, csv_path: Path, private: Path) -> float:
    """Run ``credfolio issue --csv`` in a subprocess; the wall-clock seconds."""
    environment = dict(os.environ, CREDFOLIO_PRIVATE_DIR=str(private))
    started = time.perf_counter()
    completed = subprocess.run([*CREDFOLIO, "issue", "--csv", str(csv_path), "--district", str(district), "--keys-dir", str(keys)],
                               env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"credfolio issue failed ({completed.returncode}): " + "\n".join(completed.stderr.strip().splitlines()[-5:]))
    print("    " + completed.stdout.strip().splitlines()[0], flush=True)
    return seconds


def copy_workspace(source: Path, target: Path) -> None:
    """The prepared district, key store and CSV, copied so a second issue run starts from the same state."""
    for name in ("district", "keys"):
        shutil.copytree(source / name, target / name, symlinks=True)
    shutil.copyfile(source / "awards.csv", target / "awards.csv")


def signed_badges(district: Path, private: Path) -> list[dict[str, Any]]:
    """Every badge the run wrote (published and private), in badge-id order."""
    paths = sorted((district / "wallet" / "badges").glob("*.json")) + sorted((private / "badges").glob("*.json"))
    return [json.loads(path.read_text(encoding="utf-8")) for path in paths]


def run_js(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    completed = subprocess.run(["node", str(INTEROP / "interop.mjs")], input="".join(json.dumps(r) + "\n" for r in requests),
                               capture_output=True, text=True, check=True)
    responses = [json.loads(line) for line in completed.stdout.splitlines()]
    for response in responses:
        if not response.get("ok"):
            raise SystemExit(f"interop.mjs failed: {response.get('error')}")
    return responses


def key_seed(keys: Path, did: str) -> str:
    from credfolio.keys import KeyStore

    return KeyStore(keys).signing_key(did).private_key.private_bytes_raw().hex()


def publish(district: Path, site: Path) -> Any:
    """Copy the wallet to a site folder as the build does; a resolver over it."""
    from credfolio.config import load_district
    from credfolio.resolve import SiteResolver
    from credfolio.wallet import site_files

    config = load_district(district)
    for source, relative in site_files(config):
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, site / relative)
    return SiteResolver(site, config.site_url)


def rate_line(label: str, count: int, seconds: float, baseline: float | None = None) -> float:
    rate = count / seconds
    ratio = f"  {rate / baseline:6.2f}x JS" if baseline else ""
    print(f"  {label:<58} {rate:8.1f}/s  ({seconds:7.2f} s){ratio}", flush=True)
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="badges to issue (default 10000)")
    parser.add_argument("--teachers", type=int, help="teachers in the district (default: count / 3)")
    parser.add_argument("--credentials", type=int, default=40)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--js-count", type=int, help="sign and verify only the first N with JS (default: all)")
    parser.add_argument("--verify-count", type=int, help="verify only the first N published badges (default: all)")
    parser.add_argument("--no-tmpfs", action="store_true", help="skip the second issue run on /dev/shm")
    args = parser.parse_args()
    if not shutil.which("node") or not (INTEROP / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        raise SystemExit("the reference JS stack is not installed: npm ci --prefix tests/interop")
    teachers = args.teachers or max(10, args.count // 3)
    print(f"bulk issuance of {args.count} badges ({teachers} teachers, {args.credentials} credentials); {machine()}")

    with tempfile.TemporaryDirectory(prefix="credfolio-bench-issue-", dir=os.environ.get("BENCH_DISK_DIR")) as folder:
        work = Path(folder)
        started = time.perf_counter()
        district, keys, csv_path = prepare(work / "prepared", args.count, teachers, args.credentials, args.seed)
        print(f"  prepared the district and the CSV in {time.perf_counter() - started:.1f} s")
        disk = work / "disk"
        disk.mkdir()
        copy_workspace(work / "prepared", disk)

        print("credfolio issue --csv (subprocess: check the CSV, allocate, sign on every CPU, write, ledger, status lists)")
        disk_seconds = issue(disk / "district", disk / "keys", disk / "awards.csv", disk / "private")
        tmpfs_seconds = None
        shm = Path("/dev/shm")
        if not args.no_tmpfs and shm.is_dir() and shutil.disk_usage(shm).free > 4 * 2**30:
            with tempfile.TemporaryDirectory(prefix="credfolio-bench-issue-", dir=shm) as memory:
                copy_workspace(work / "prepared", Path(memory))
                tmpfs_seconds = issue(Path(memory) / "district", Path(memory) / "keys", Path(memory) / "awards.csv",
                                      Path(memory) / "private")

        badges = signed_badges(disk / "district", disk / "private")
        from credfolio.config import load_district

        config = load_district(disk / "district")
        method = badges[0]["proof"][0]["verificationMethod"]
        created = badges[0]["proof"][0]["created"]
        js_count = min(args.js_count or len(badges), len(badges))
        subset = badges[:js_count]
        unsigned = [{name: value for name, value in badge.items() if name != "proof"} for badge in subset]
        did_document = json.loads((disk / "district" / "wallet" / "did.json").read_text(encoding="utf-8"))
        # `credfolio issue` signs with the real clock (status lists are valid from the moment of the run)
        now = datetime.now(UTC) + timedelta(seconds=1)
        print(f"reference JavaScript stack (Node {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}), "
              f"{js_count} of the same credentials")
        sign_response, verify_response = run_js([
            {"op": "signMany", "credentials": unsigned[:20], "seedHex": key_seed(disk / "keys", config.issuer_did),
             "verificationMethod": method, "created": created},  # warm-up: module loading and JIT are not measured
            {"op": "signMany", "credentials": unsigned, "seedHex": key_seed(disk / "keys", config.issuer_did),
             "verificationMethod": method, "created": created},
            {"op": "verifyMany", "credentials": subset, "didDocuments": {config.issuer_did: did_document},
             "now": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "skipStatus": True},
        ])[1:]
        same = sum(1 for ours, theirs in zip(subset, sign_response["credentials"]) if ours["proof"][0] == theirs["proof"])
        if same != js_count:
            raise SystemExit(f"JS proofs differ from credfolio's for {js_count - same} of {js_count} credentials")
        # JS refuses expired credentials (validUntil before `now`), as credfolio reports them "expired"
        refused = [(badge, errors) for badge, ok, errors in zip(subset, verify_response["verified"], verify_response["errors"])
                   if not ok and not (badge.get("validUntil", "9999") <= now.strftime("%Y-%m-%dT%H:%M:%SZ")
                                      and any("validUntil" in error for error in errors))]
        if refused:
            raise SystemExit(f"JS failed to verify {len(refused)} credfolio badges: " + json.dumps([e for _, e in refused[:3]]))
        expired_js = verify_response["verified"].count(False)
        js_sign = js_count / (sign_response["elapsedMs"] / 1000)
        js_verify = js_count / (verify_response["elapsedMs"] / 1000)
        print(f"  identical proofs: {same} of {js_count}; JS verified all ({expired_js} of them expired, as credfolio says)")

        print("results (badges/s; ratios against JS signing or verifying the same credentials)")
        rate_line("JS sign (in Node, signing only)", js_count, js_count / js_sign)
        rate_line("credfolio issue --csv on disk (everything, end to end)", args.count, disk_seconds, js_sign)
        if tmpfs_seconds is not None:
            rate_line("credfolio issue --csv on tmpfs (fsync free)", args.count, tmpfs_seconds, js_sign)

        site = work / "site"
        resolver = publish(disk / "district", site)
        published = sorted((site / "badges").glob("*.json"))[: args.verify_count or None]
        from credfolio.verify import verify_credential

        started = time.perf_counter()
        states: dict[str, int] = {}
        for path in published:
            state = verify_credential(path.read_bytes(), now=now, resolver=resolver).state
            states[state] = states.get(state, 0) + 1
        serial = time.perf_counter() - started
        if states.get("failed") or states.get("unknown-status"):
            raise SystemExit(f"some published badges do not verify: {states}")
        rate_line("JS verifyMany (signature and dates, no status)", js_count, js_count / js_verify)
        rate_line("credfolio verify_credential, 1 process (7 checks)", len(published), serial, js_verify)
        # publish_wallet verifies every published badge (not only --verify-count of them)
        parallel, build_count = _build_verifier_seconds(disk / "district", site, now)
        rate_line("credfolio build-time verification (publish_wallet, cold)", build_count, parallel, js_verify)
        print(f"  verification states: {', '.join(f'{state} {n}' for state, n in sorted(states.items()))}")
        print(f"targets: 10,000 issued <= 30 s ({'met' if disk_seconds <= 30 and args.count >= 10_000 else 'not met' if args.count >= 10_000 else 'n/a'}"
              f" on disk), >= 1.5x JS ({args.count / disk_seconds / js_sign:.2f}x); verification >= 1x JS "
              f"({build_count / parallel / js_verify:.2f}x)")
        print(f"  peak RSS of the largest child process: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB")
    return 0


def _build_verifier_seconds(district: Path, site: Path, now: datetime) -> tuple[float, int]:
    """(seconds, badges) of the site build's own verification of every published badge (``site.publish_wallet``, no verdict cache)."""
    import inspect

    from credfolio.config import load_district
    from credfolio.site import publish_wallet

    config = load_district(district)
    options = {"cache": False} if "cache" in inspect.signature(publish_wallet).parameters else {}
    started = time.perf_counter()
    count = publish_wallet(config, site.with_name("site-build"), now=now, **options)
    return time.perf_counter() - started, count


if __name__ == "__main__":
    sys.exit(main())

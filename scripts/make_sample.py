#!/usr/bin/env python3
"""Regenerate the sample district's wallet (``wallet/``) with the real issuing code.

Run from the repository root (``make sample``)::

    python scripts/make_sample.py

What it does, in a fresh temporary folder OUTSIDE the repository (deleted at the end):

1. creates a demo signing key in a temporary key store — it is never written anywhere else, so the
   committed sample can only ever be re-signed by running this script again;
2. writes ``wallet/did.json`` (the demo key's public half) and the opted-in teachers' files;
3. issues about twenty badges from a CSV with ``credfolio.issuance.issue_csv`` — the code behind
   ``credfolio issue --csv`` — into ``wallet/badges/`` (opted-in teachers) and the temporary private
   folder (the two teachers who did not opt in; their badges and every e-mail address are discarded);
4. revokes one badge (with a public reason), suspends one, re-issues one to a new e-mail address,
   and lets one expire; completing a stack issues its stack badge automatically;
5. signs the status lists (``wallet/status/``).

Everything is fixed — the clock (each award is issued on its award date, the revocation, re-issue
and suspension on fixed dates, all before 2026-11-01T00:00:00Z, the moment the sample is "as of"),
the random generator for status indexes and salts, and the issuance secret that turns each award
into its badge id — except the key, which is new on every run. Ed25519 signatures are deterministic, so for a given key the output is
reproducible, and two runs differ only in the key, the proofs and did.json.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "src"))

from credfolio import issuance  # noqa: E402
from credfolio.catalog import load_catalog  # noqa: E402
from credfolio.config import load_district  # noqa: E402
from credfolio.keys import KeyStore  # noqa: E402
from credfolio.wallet import (  # noqa: E402
    ISSUANCE_SECRET_FILE,
    TeacherProfile,
    WalletConsent,
    did_document_path,
    ledger_path,
    write_did_document,
    write_teacher,
)

#: The moment the sample shows: everything in it happened before; the tests verify it as of this moment.
NOW = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
KEY_CREATED = datetime(2024, 8, 1, tzinfo=UTC)
SEED = 20261101
#: The demo district's issuance secret (fixed, so badge ids are stable across regenerations).
DEMO_SECRET = "5a3c9e0d7b1f4a2e8c6d0b9a7f3e1d5c2b4a6f8e0d1c3b5a7f9e2d4c6b8a0f1e"
DOMAIN = "riverbendusd.example"

TEACHERS = [
    TeacherProfile("siobhan-oconnor", "Siobhán O'Connor", school="Lincoln Elementary School", role="Grade 4 teacher",
                   consent=WalletConsent(show_school=True, show_role=True, show_evidence=True)),
    TeacherProfile("jose-ramirez", "José Ramírez", school="Riverbend High School", role="Spanish and ELD teacher",
                   consent=WalletConsent(show_school=True, show_role=True, search_engines=True)),
    TeacherProfile("nguyen-thi-lan", "Nguyễn Thị Lan", school="Cedar Valley Middle School", role="Mathematics teacher",
                   consent=WalletConsent(show_role=True)),
    TeacherProfile("aisha-bello", "Aisha Bello", school="Riverbend High School", role="Instructional coach",
                   consent=WalletConsent(show_school=True, show_role=True)),
    TeacherProfile("marcus-whitfield", "Marcus Whitfield", school="Oak Park Elementary School", role="Grade 2 teacher",
                   consent=WalletConsent(show_school=True)),
    TeacherProfile("priya-raghunathan", "Priya Raghunathan", school="Cedar Valley Middle School", role="Science teacher",
                   consent=WalletConsent(show_role=True, show_evidence=True)),
    TeacherProfile("darnell-washington", "Darnell Washington", school="Riverbend High School", role="English teacher"),
]
#: Teachers who did not opt in: their badges go to the (temporary, discarded) private folder.
PRIVATE_TEACHERS = [("Grace Thompson", "gthompson"), ("Ahmed Haddad", "ahaddad")]

# credential, teacher slug (or private login), award date, valid_until override, rubric levels ("top"/"pass")
AWARDS = [
    ("asset-based-student-relationships", "jose-ramirez", "2025-03-14", "", "top"),
    ("culturally-sustaining-curriculum", "jose-ramirez", "2025-09-26", "", "pass"),
    ("warm-demander-high-expectations", "jose-ramirez", "2026-04-17", "", "top"),
    ("talk-moves", "siobhan-oconnor", "2025-05-02", "", "top"),
    ("questioning-for-deeper-thinking", "siobhan-oconnor", "2025-12-05", "", "pass"),
    ("learning-intentions-success-criteria", "siobhan-oconnor", "2026-06-12", "", "pass"),
    ("digital-formative-assessment-data", "nguyen-thi-lan", "2025-10-10", "", "top"),
    ("eliciting-evidence-hinge-questions", "nguyen-thi-lan", "2026-02-20", "", "pass"),
    ("learning-intentions-success-criteria", "nguyen-thi-lan", "2026-09-18", "", "pass"),
    ("peer-coaching-cycles", "aisha-bello", "2025-06-06", "", "top"),
    ("plc-facilitation", "aisha-bello", "2025-11-21", "", "pass"),
    ("digital-citizenship-instruction", "marcus-whitfield", "2025-04-25", "", "pass"),
    ("station-rotation-blended-learning", "marcus-whitfield", "2026-01-30", "", "pass"),
    ("feedback-that-moves-learning-forward", "priya-raghunathan", "2025-02-14", "2026-08-31", "pass"),
    ("student-self-and-peer-assessment", "priya-raghunathan", "2026-05-08", "", "top"),
    ("socratic-seminar", "darnell-washington", "2026-03-27", "", "pass"),
    ("talk-moves", "gthompson", "2026-01-16", "", "pass"),
    ("accessible-digital-materials-udl", "ahaddad", "2025-08-29", "", "pass"),
]
REVOKE = ("station-rotation-blended-learning", "marcus-whitfield",
          "Awarded in error: the submission reviewed was for Teaching Digital Citizenship, which the teacher already holds.",
          datetime(2026, 2, 3, 15, 30, tzinfo=UTC))
REISSUE = ("plc-facilitation", "aisha-bello", f"aisha.bello.coach@{DOMAIN}", datetime(2026, 8, 24, 10, 0, tzinfo=UTC))
SUSPEND = ("socratic-seminar", "darnell-washington", "Under review: the district is confirming the consent forms for the classroom video.",
           datetime(2026, 10, 20, 9, 15, tzinfo=UTC))


def email_for(login: str) -> str:
    return f"{login}@{DOMAIN}"


def scores_for(definition, mode: str, rng: random.Random) -> str:
    """Rubric levels a passed review would give: the top level on every row, or passing levels with some variety."""
    levels = [level.id for level in definition.rubric.levels]
    minimum = levels.index(definition.rubric.passing.minimum_level)
    chosen = {}
    for row in definition.rubric.rows:
        chosen[row.id] = levels[0] if mode == "top" else levels[rng.randint(0, minimum)]
    return ";".join(f"{row}={level}" for row, level in chosen.items())


def _afternoon(day: str) -> datetime:
    """Issuing time on an award date: 16:00 UTC (the afternoon of a review meeting in the Americas)."""
    return datetime.fromisoformat(day).replace(hour=16, tzinfo=UTC)


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("credential", "name", "email", "teacher_slug", "awarded", "valid_until", "scores"))
        writer.writerows(rows)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--district", type=Path, default=REPO_ROOT, help="district repository (default: this one)")
    args = parser.parse_args()
    root = args.district.resolve()
    with tempfile.TemporaryDirectory(prefix="credfolio-sample-") as scratch:
        scratch_dir = Path(scratch)
        os.environ["CREDFOLIO_PRIVATE_DIR"] = str(scratch_dir / "private")
        district = load_district(root)
        catalog = load_catalog(root, district.settings.catalog_dir)
        _clear_wallet(district)
        private = district.private_path
        private.mkdir(mode=0o700, parents=True)
        (private / ISSUANCE_SECRET_FILE).write_text(DEMO_SECRET + "\n", encoding="ascii")
        keys = KeyStore(scratch_dir / "keys", forbidden_roots=[root])
        key = keys.generate(district.issuer_did, now=KEY_CREATED)
        write_did_document(district, keys)
        for teacher in TEACHERS:
            write_teacher(district, teacher)

        rng = random.Random(SEED)
        names = {teacher.slug: teacher.display_name for teacher in TEACHERS} | {login: name for name, login in PRIVATE_TEACHERS}
        public = {teacher.slug for teacher in TEACHERS}
        # The PD office issues after each review cycle: one CSV per award date, issued that afternoon.
        by_award = {}
        stack_badges = []
        for awarded in sorted({award[2] for award in AWARDS}):
            rows = [[credential, names[who], email_for(who), who if who in public else "", day, valid_until,
                     scores_for(catalog.credentials[credential], mode, rng)]
                    for credential, who, day, valid_until, mode in AWARDS if day == awarded]
            csv_path = _write_csv(scratch_dir / f"awards-{awarded}.csv", rows)
            report = issuance.issue_csv(district, catalog, keys, csv_path, now=_afternoon(awarded), rng=rng)
            by_award.update({(badge.credential, badge.teacher): badge for badge in report.issued})
            stack_badges += report.stack_badges

        revoked = by_award[(REVOKE[0], REVOKE[1])]
        issuance.revoke_badge(district, keys, revoked.badge_id, reason=REVOKE[2], now=REVOKE[3])
        old = by_award[(REISSUE[0], REISSUE[1])]
        new = issuance.reissue_badge(district, catalog, keys, old.badge_id, new_email=REISSUE[2], now=REISSUE[3], rng=rng)
        suspended = by_award[(SUSPEND[0], SUSPEND[1])]
        issuance.suspend_badge(district, keys, suspended.badge_id, reason=SUSPEND[2], now=SUSPEND[3])

        published = sum(1 for _ in (district.wallet_path / "badges").glob("*.json"))
        private_count = sum(1 for _ in (private / "badges").glob("*.json"))
        print(f"sample: {len(by_award)} badges and {len(stack_badges)} stack badge(s) issued with demo key "
              f"{key.verification_method(district.issuer_did)}")
        print(f"  {published} published in wallet/badges/, {private_count} private (discarded)")
        print(f"  revoked {revoked.badge_id}, suspended {suspended.badge_id}, re-issued {old.badge_id} as {new.badge_id}")
        print(f"  wrote {did_document_path(district).relative_to(root)}, {ledger_path(district).relative_to(root)} and wallet/status/")
    return 0


def _clear_wallet(district) -> None:
    """Remove the files a previous run generated (and only those)."""
    wallet = district.wallet_path
    for pattern in ("badges/*.json", "status/*.json", "teachers/*.yml"):
        for path in wallet.glob(pattern):
            path.unlink()
    for path in (wallet / "ledger.jsonl", wallet / "did.json"):
        if path.exists():
            path.unlink()
    for folder in ("badges", "status", "teachers"):
        (wallet / folder).mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    sys.exit(main())

"""`credfolio issue`, `revoke`, `suspend`, `unsuspend`, `reissue` and `status publish`: output, exit codes, one-line errors."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from issuing_factory import OPTED_IN, csv_text, make_issuing_district
from submission_factory import PASSING_SCORES, write_submission

from credfolio.cli import main


@pytest.fixture
def district(tmp_path):
    return make_issuing_district(tmp_path)


def run(district, *args: str, input: str | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    with runner.isolation(input=input) as (out, err, _):
        code = main([*args, *district.cli_options()])
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


def badge_id_from(output: str) -> str:
    return output.split("badge ", 1)[1].split(" ", 1)[0]


def test_issue_one_badge_privately_then_again(district):
    code, out, err = run(district, "issue", "wait-time", "--name", "Siobhán O'Connor", "--email", "soconnor@testville.example",
                         "--evidence", "https://drive.example.org/v/1")
    assert (code, err) == (0, "")
    badge = badge_id_from(out)
    assert out.startswith(f"issued: badge {badge} (wait-time) → {district.private}/badges/{badge}.json (private: e-mail this file")
    code, out, _ = run(district, "issue", "wait-time", "--name", "Siobhán O'Connor", "--email", "soconnor@testville.example")
    assert code == 0 and out.startswith(f"already issued: badge {badge}")


def test_issue_to_an_opted_in_teacher_publishes_the_badge(district):
    code, out, _ = run(district, "issue", "wait-time", "--name", "S", "--email", "s@testville.example", "--teacher", OPTED_IN.slug,
                       "--awarded", "2026-01-05", "--valid-until", "2029-01-05")
    badge = badge_id_from(out)
    assert code == 0 and f"→ wallet/badges/{badge}.json (published in the wallet)" in out
    document = json.loads((district.config.wallet_path / "badges" / f"{badge}.json").read_text(encoding="utf-8"))
    assert document["validUntil"] == "2029-01-05T00:00:00Z" and document["awardedDate"] == "2026-01-05T00:00:00Z"


def test_issue_from_a_review(district, tmp_path):
    from credfolio.review import review_submission, save_review
    from credfolio.submissions import load_submission, store_submission

    submission = load_submission(write_submission(tmp_path / "inbox"), district.catalog)
    store_submission(submission, district.private)
    review = review_submission(submission, district.catalog.credentials["wait-time"], reviewer="Dana Ruiz", reviewed=date(2026, 2, 1),
                               scores=PASSING_SCORES)
    path = save_review(review, district.private)
    code, out, err = run(district, "issue", "--review", str(path))
    assert (code, err) == (0, ""), err
    assert out.startswith("issued: badge ")
    code, _, err = run(district, "issue", "wait-time-two", "--review", str(path))
    assert code == 1 and err == "error: the review is for 'wait-time', not 'wait-time-two'\n"


@pytest.mark.parametrize(("args", "message"), [
    (["issue", "wait-time", "--name", "Ana"], "error: give CREDENTIAL_ID, --name and --email (or --review FILE, or --csv FILE)\n"),
    (["issue", "wait-tim", "--name", "Ana", "--email", "a@testville.example"],
     "error: no credential 'wait-tim' in the catalog (did you mean 'wait-time'?)\n"),
    (["issue", "wait-time", "--name", "Ana", "--email", "a@testville.example", "--teacher", "nobody"],
     "error: no wallet/teachers/nobody.yml: the teacher has not opted in to a public wallet (leave the teacher out to issue the badge privately)\n"),
    (["issue", "--skip-invalid", "wait-time", "--name", "Ana", "--email", "a@testville.example"], "error: --skip-invalid only applies with --csv\n"),
    (["revoke", "0f6bd2a4-6d0e-5f0a-9c52-6a1f0a6c1c11", "--reason", "x"], "error: no badge 0f6bd2a4-6d0e-5f0a-9c52-6a1f0a6c1c11 in the ledger\n"),
    (["revoke", "talk-moves", "--reason", "x"],
     "error: 'talk-moves' is not a badge id (expected a UUID such as 3f1c0e9a-…, or urn:uuid:…)\n"),
], ids=["missing e-mail", "unknown credential", "teacher not opted in", "skip-invalid without csv", "unknown badge", "not a badge id"])
def test_errors_are_one_line(district, args, message):
    code, out, err = run(district, *args)
    assert (code, out, err) == (1, "", message)


def test_bulk_issue_with_a_summary(district, tmp_path):
    path = tmp_path / "awards.csv"
    path.write_text(csv_text([{"credential": "wait-time", "name": f"Zoë D'Angelo {n}", "email": f"z{n}@testville.example"} for n in range(3)]),
                    encoding="utf-8")
    code, out, err = run(district, "issue", "--csv", str(path))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("issued 3 badges (0 published, 3 private) in ")
    assert lines[0].endswith("; 0 already issued; 0 stack badges; 0 rows skipped")
    assert "updated wallet/did.json to match the key store" in lines
    assert "signed status list wallet/status/revocation-1.json" in lines
    assert lines[-1] == f"private badges to e-mail to their teachers are in {district.private / 'badges'}"
    code, out, _ = run(district, "issue", "--csv", str(path))
    assert code == 0 and out.startswith("issued 0 badges") and "3 already issued" in out


def test_bulk_issue_with_bad_rows_lists_them_and_issues_nothing(district, tmp_path):
    path = tmp_path / "awards.csv"
    path.write_text("credential;name;email\nwait-tme;Ana;a@testville.example\nwait-time;Bo;bo@\nwait-time;Cy;cy@testville.example\n",
                    encoding="utf-8")
    code, out, err = run(district, "issue", "--csv", str(path))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{path}:2: credential: no credential 'wait-tme' in the catalog (did you mean 'wait-time'?)",
        f"{path}:3: email: 'bo@' is not an e-mail address",
        "2 problems found",
    ]
    assert district.events("allocated") == []
    code, out, err = run(district, "issue", "--csv", str(path), "--skip-invalid")
    assert code == 0 and "issued 1 badges" in out and err.count("skipped: ") == 2


def test_revoke_suspend_unsuspend_and_publish(district):
    _, out, _ = run(district, "issue", "wait-time", "--name", "Ana", "--email", "a@testville.example")
    badge = badge_id_from(out)
    assert run(district, "status", "publish") == (0, "every status list is up to date\n", "")
    code, out, _ = run(district, "suspend", badge, "--reason", "Under review")
    assert (code, out) == (0, f"suspended: badge {badge}\n")
    code, out, _ = run(district, "suspend", badge, "--reason", "Under review")
    assert code == 0 and out.startswith(f"badge {badge} was already suspended (on ")
    assert run(district, "unsuspend", badge)[:2] == (0, f"unsuspended: badge {badge}\n")
    code, out, _ = run(district, "revoke", f"urn:uuid:{badge}", "--reason", "Issued in error", "--private-reason")
    assert (code, out) == (0, f"revoked: badge {badge}\nsigned status list wallet/status/revocation-1.json\n")
    code, out, _ = run(district, "revoke", badge, "--reason", "Issued in error")
    assert code == 0 and out.startswith(f"badge {badge} was already revoked (on ") and out.endswith("nothing to change\n")
    assert len(district.events("revoked")) == 1 and "reason" not in district.events("revoked")[0]
    code, out, _ = run(district, "status", "publish", "--force")
    assert (code, out) == (0, "signed status list wallet/status/revocation-1.json\n")


def test_reissue(district):
    _, out, _ = run(district, "issue", "wait-time", "--name", "Ana", "--email", "a@testville.example")
    old = badge_id_from(out)
    code, out, err = run(district, "reissue", old, "--new-email", "ana.new@testville.example")
    assert (code, err) == (0, "")
    assert out.startswith("re-issued as badge ") and out.endswith("; the old badge is revoked\n")


def test_a_passphrase_file_unlocks_the_key(tmp_path):
    district = make_issuing_district(tmp_path, passphrase="correct horse battery staple")
    secret = tmp_path / "passphrase.txt"
    secret.write_text("correct horse battery staple\n", encoding="utf-8")
    code, _, err = run(district, "issue", "wait-time", "--name", "Ana", "--email", "a@testville.example")
    assert code == 1 and "protected by a passphrase" in err
    code, out, err = run(district, "issue", "wait-time", "--name", "Ana", "--email", "a@testville.example", "--passphrase-file", str(secret))
    assert (code, err) == (0, "") and out.startswith("issued: ")
    code, out, _ = run(district, "status", "publish", "--force", "--passphrase", input="correct horse battery staple\n")
    assert code == 0 and "signed status list" in out

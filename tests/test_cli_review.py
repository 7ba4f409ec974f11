"""`credfolio submissions …` and `credfolio review`: exit codes, one-line errors, interactive prompts."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner
from district_factory import make_district
from submission_factory import CSV_HEADER, MAPPING_YML, SUBMISSION_YML, csv_row, write_submission

from credfolio.cli import main
from credfolio.review import load_review

SUBMISSION_ID = "2025-03-14-ana-lopez-wait-time"


@pytest.fixture
def env(tmp_path):
    """A district, a private folder outside it, and a runner that calls the real entry point."""
    root = make_district(tmp_path / "district")
    private = tmp_path / "private"
    return root, private


def run(env, *args: str, input: str | None = None) -> tuple[int, str, str]:
    root, private = env
    runner = CliRunner()
    with runner.isolation(input=input, env={"CREDFOLIO_PRIVATE_DIR": str(private)}) as (out, err, _):
        code = main([*args, "--district", str(root)])
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


def reviews_dir(env, submission_id: str = SUBMISSION_ID):
    return env[1] / "reviews" / "wait-time" / submission_id


# --------------------------------------------------------------------------------------------------
# submissions template / forms / check / import
# --------------------------------------------------------------------------------------------------


def test_template_prints_and_writes(tmp_path, env):
    code, out, err = run(env, "submissions", "template", "wait-time")
    assert code == 0 and "credential: wait-time" in out and "(up to 200 words)" in out and err == ""
    target = tmp_path / "mine.yml"
    assert run(env, "submissions", "template", "wait-time", "--out", str(target))[0] == 0
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["credential_version"] == "1.0.0"
    code, _, err = run(env, "submissions", "template", "wait-time", "--out", str(target))
    assert code == 1 and err == f"error: {target}: already exists (it may hold answers); choose another file name\n"


def test_template_of_an_unknown_credential(env):
    code, out, err = run(env, "submissions", "template", "wait-tim")
    assert (code, out) == (1, "") and err == "error: credential 'wait-tim' is not in the catalog (did you mean 'wait-time'?)\n"


def test_forms_are_written_outside_the_district_only(tmp_path, env):
    out_dir = tmp_path / "submissions-repo" / ".github" / "ISSUE_TEMPLATE"
    code, out, _ = run(env, "submissions", "forms", "--out", str(out_dir))
    assert code == 0 and out.startswith(f"wrote 2 issue forms and config.yml to {out_dir}")
    assert sorted(p.name for p in out_dir.iterdir()) == ["config.yml", "wait-time-two.yml", "wait-time.yml"]
    inside = env[0] / ".github" / "ISSUE_TEMPLATE"
    code, _, err = run(env, "submissions", "forms", "--out", str(inside))
    assert code == 1 and "issues filed there would be public" in err and not inside.exists()


def test_check_reports_word_counts(tmp_path, env):
    path = write_submission(tmp_path)
    code, out, err = run(env, "submissions", "check", str(path))
    assert code == 0 and err == ""
    assert out.splitlines() == [f"ok: {SUBMISSION_ID}: Wait Time wait-time by Ana López",
                                "  overview.context: 11 / 200 words", "  reflection.impact: 11 / 300 words"]


def test_check_exits_one_when_an_answer_is_over_its_limit(tmp_path, env):
    long_answer = "    " + " ".join(["word"] * 205) + "\n"
    path = write_submission(tmp_path, SUBMISSION_YML.replace("    I teach 28 fourth-graders; a third of them are English learners.\n", long_answer))
    code, out, err = run(env, "submissions", "check", str(path))
    assert code == 1 and "overview.context: 205 / 200 words - over the limit by 5" in out
    assert err == "1 answer is over the word limit: shorten it before you submit (limits are a guide)\n"


def test_check_of_an_invalid_file_prints_one_line_per_problem(tmp_path, env):
    path = write_submission(tmp_path, SUBMISSION_YML.replace("ana.lopez@testville.example", "ana@").replace("https://", "http://"))
    code, out, err = run(env, "submissions", "check", str(path))
    assert code == 1 and out == ""
    assert err.splitlines() == [f"{path}:8: teacher.email: 'ana@' is not an e-mail address",
                                f"{path}:16: artifacts.video.url: links must start with https:// (http links can be read and altered on the way)",
                                "2 problems found"]


def test_check_warns_about_submissions_inside_the_published_repository(env):
    path = write_submission(env[0] / "submissions")
    code, _, err = run(env, "submissions", "check", str(path))
    assert code == 0 and "is inside the district repository, which is published" in err


def write_csv(path, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([CSV_HEADER, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_import(tmp_path, env):
    mapping = tmp_path / "map.yml"
    mapping.write_text(MAPPING_YML, encoding="utf-8")
    csv_path = write_csv(tmp_path / "responses.csv", [csv_row(), csv_row(name="Seán O'Brien", email="sean@testville.example")])
    code, out, err = run(env, "submissions", "import", str(csv_path), "--map", str(mapping))
    assert code == 0 and err == "" and out.startswith("2 new, 0 already imported, 0 skipped of 2 rows")
    assert run(env, "submissions", "import", str(csv_path), "--map", str(mapping))[1].startswith("0 new, 2 already imported")

    bad = write_csv(tmp_path / "bad.csv", [csv_row(email="x@"), csv_row(name="Kim Park", email="kim@testville.example")])
    code, out, err = run(env, "submissions", "import", str(bad), "--map", str(mapping))
    assert code == 1 and out == ""
    assert err.splitlines() == [f"{bad}:2: Email address: 'x@' is not an e-mail address", "1 problem found"]
    code, out, err = run(env, "submissions", "import", str(bad), "--map", str(mapping), "--skip-invalid")
    assert code == 0 and err.splitlines() == [f"skipped: {bad}:2: Email address: 'x@' is not an e-mail address"]
    assert out.startswith("1 new, 0 already imported, 1 skipped of 2 rows")


def test_import_needs_a_mapping(tmp_path, env):
    code, _, err = run(env, "submissions", "import", str(tmp_path / "r.csv"))
    assert code == 64 and "Missing option '--map'" in err


def test_import_issue(tmp_path, env):
    from test_submissions import issue_body

    from credfolio.catalog import load_catalog

    body = tmp_path / "issue.md"
    body.write_text(issue_body(load_catalog(env[0])), encoding="utf-8")
    code, out, _ = run(env, "submissions", "import-issue", str(body), "--date", "2025-03-14")
    assert code == 0 and out.startswith(f"stored {SUBMISSION_ID} in ")
    assert (env[1] / "submissions" / "wait-time" / f"{SUBMISSION_ID}.yml").is_file()


# --------------------------------------------------------------------------------------------------
# review
# --------------------------------------------------------------------------------------------------


def test_interactive_review_reprompts_and_writes_review_and_letter(tmp_path, env):
    path = write_submission(tmp_path)
    answers = "great\nProficient\nClear pauses.\ndeveloping\n\nLink the changes to student work.\nA strong start.\n"
    code, out, err = run(env, "review", str(path), "--reviewer", "Dana Ruiz", "--date", "2025-03-20", input=answers)
    assert code == 0, err
    assert "[1/2] Pausing" in out and "proficient       Proficient: Pauses consistently." in out
    assert "evidence: artifact 'Classroom video': https://drive.example.org/file/d/abc123/view" in out
    assert "Error: 'great' is not one of" in out + err  # bad input re-prompts instead of failing
    assert "feedback is required for a row below Proficient" in err
    folder = reviews_dir(env)
    assert out.rstrip().splitlines()[-4:] == [
        "outcome: resubmit (improve: reflection)", f"review: {folder / 'review-1.yml'}",
        f"letter: {folder / 'review-1.md'}", f"letter: {folder / 'review-1.html'}"]
    review = load_review(folder / "review-1.yml")
    assert review.scores == {"pausing": "proficient", "reflection": "developing"} and review.summary == "A strong start."
    assert review.feedback == {"pausing": "Clear pauses.", "reflection": "Link the changes to student work."}
    assert "Link the changes to student work." in (folder / "review-1.html").read_text(encoding="utf-8")
    assert (env[1] / "submissions" / "wait-time" / f"{SUBMISSION_ID}.yml").is_file()  # a copy kept next to its reviews


def test_interactive_review_stops_cleanly_at_end_of_input(tmp_path, env):
    code, _, err = run(env, "review", str(write_submission(tmp_path)), "--reviewer", "Dana Ruiz", input="proficient\n")
    assert code == 130 and err.endswith("aborted\n") and not reviews_dir(env).exists()


def write_scores(tmp_path, scores: dict, feedback: dict | None = None, name: str = "scores.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"scores": scores, "feedback": feedback or {}, "summary": "Thanks."}), encoding="utf-8")
    return path


def test_scores_file_review_and_blind_second_review(tmp_path, env):
    path = write_submission(tmp_path)
    first = write_scores(tmp_path, {"pausing": "exemplary", "reflection": "proficient"}, {"pausing": "SECRET-FIRST-FEEDBACK"})
    code, out, _ = run(env, "review", str(path), "--reviewer", "Dana Ruiz", "--scores", str(first), "--date", "2025-03-20")
    assert code == 0 and "outcome: pass" in out

    code, _, err = run(env, "review", str(path), "--reviewer", "Kim Park", "--scores", str(first))
    assert code == 1 and "already reviewed in" in err and "use --second" in err

    answers = "proficient\n\ndeveloping\nNeeds evidence.\n\n"
    code, out, err = run(env, "review", str(path), "--reviewer", "Lee Chen", "--second", "--date", "2025-03-24", input=answers)
    assert code == 0, err
    assert "SECRET-FIRST-FEEDBACK" not in out and "Dana Ruiz" not in out and "exemplary\n" not in out
    assert "outcome: needs-third-review" in out
    review = load_review(reviews_dir(env) / "review-2.yml")
    assert review.reviewers == ("Dana Ruiz", "Lee Chen") and review.outcome == "needs-third-review"

    code, _, err = run(env, "review", str(path), "--reviewer", "Sam Ortiz", "--second", "--scores", str(first))
    assert code == 1 and "already has a second review" in err

    third = write_scores(tmp_path, {"pausing": "proficient", "reflection": "proficient"}, name="third.yml")
    code, out, _ = run(env, "review", str(path), "--reviewer", "Sam Ortiz", "--scores", str(third), "--date", "2025-03-28")
    assert code == 0 and "outcome: pass" in out
    decided = load_review(reviews_dir(env) / "review-3.yml")
    assert decided.passed and decided.previous_review == f"{SUBMISSION_ID}/review-2"


def test_second_review_needs_a_first(tmp_path, env):
    path = write_submission(tmp_path)
    code, _, err = run(env, "review", str(path), "--reviewer", "Lee Chen", "--second",
                       "--scores", str(write_scores(tmp_path, {"pausing": "proficient", "reflection": "proficient"})))
    assert code == 1 and err == f"error: {path}: no first review to add a second review to\n"


def test_second_reviewer_must_differ(tmp_path, env):
    path = write_submission(tmp_path)
    scores = write_scores(tmp_path, {"pausing": "proficient", "reflection": "proficient"})
    assert run(env, "review", str(path), "--reviewer", "Dana Ruiz", "--scores", str(scores))[0] == 0
    code, _, err = run(env, "review", str(path), "--reviewer", "Dana Ruiz", "--second", "--scores", str(scores))
    assert code == 1 and "someone other than the first reviewer" in err


def test_bad_scores_file_is_one_line_per_problem(tmp_path, env):
    path = write_submission(tmp_path)
    scores = tmp_path / "scores.yml"
    scores.write_text("scores:\n  pausing: proficient\n  reflection: developing\n", encoding="utf-8")
    code, out, err = run(env, "review", str(path), "--reviewer", "Dana Ruiz", "--scores", str(scores))
    assert code == 1 and "outcome" not in out
    assert err.splitlines() == [f"{scores}:1: feedback.reflection: feedback is required for a row below Proficient: "
                                "tell the teacher what to improve", "1 problem found"]
    assert not reviews_dir(env).exists()


def test_resubmission_review_links_the_previous_review(tmp_path, env):
    first = write_submission(tmp_path)
    failing = write_scores(tmp_path, {"pausing": "proficient", "reflection": "developing"}, {"reflection": "More evidence."})
    assert run(env, "review", str(first), "--reviewer", "Dana Ruiz", "--scores", str(failing))[0] == 0
    again = write_submission(tmp_path, SUBMISSION_YML.replace("id: 2025-03-14-ana-lopez-wait-time\n", "")
                             .replace("submitted: 2025-03-14", f"submitted: 2025-04-02\nresubmission_of: {SUBMISSION_ID}"), "again.yml")
    passing = write_scores(tmp_path, {"pausing": "proficient", "reflection": "proficient"}, name="pass.yml")
    code, out, _ = run(env, "review", str(again), "--reviewer", "Dana Ruiz", "--scores", str(passing))
    assert code == 0 and "outcome: pass" in out
    review = load_review(reviews_dir(env, "2025-04-02-ana-lopez-wait-time") / "review-1.yml")
    assert review.previous_review == f"{SUBMISSION_ID}/review-1"


def test_review_of_an_invalid_submission(tmp_path, env):
    path = write_submission(tmp_path, SUBMISSION_YML.replace("credential: wait-time\n", "credential: nope\n"))
    code, _, err = run(env, "review", str(path), "--reviewer", "Dana Ruiz")
    assert code == 1 and err == f"{path}:3: credential: no credential 'nope' in the catalog\n1 problem found\n"


def test_review_needs_a_reviewer(tmp_path, env):
    code, _, err = run(env, "review", str(write_submission(tmp_path)))
    assert code == 64 and "Missing option '--reviewer'" in err


def test_private_folder_inside_the_repository_is_refused(tmp_path, env):
    root, _ = env
    code, _, err = run((root, root / "private"), "review", str(write_submission(tmp_path)), "--reviewer", "Dana Ruiz")
    assert code == 1 and "is inside the district repository; personal data must live outside it" in err


def test_console_script_review_never_prints_a_traceback(tmp_path, env):
    root, private = env
    scores = tmp_path / "scores.yml"
    scores.write_bytes(b"scores: [\x00")
    result = subprocess.run([sys.executable, "-m", "credfolio.cli", "review", str(write_submission(tmp_path)), "--reviewer", "D",
                             "--scores", str(scores), "--district", str(root)],
                            capture_output=True, text=True, timeout=60, env={"CREDFOLIO_PRIVATE_DIR": str(private), "PATH": ""})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"error: {scores}: file contains NUL bytes; it looks binary, not text"


def test_third_reviewer_must_be_new_to_the_submission(tmp_path, env):
    path = write_submission(tmp_path)
    passing = write_scores(tmp_path, {"pausing": "proficient", "reflection": "proficient"})
    failing = write_scores(tmp_path, {"pausing": "proficient", "reflection": "developing"}, {"reflection": "More."}, "fail.yml")
    assert run(env, "review", str(path), "--reviewer", "Dana Ruiz", "--scores", str(passing))[0] == 0
    assert run(env, "review", str(path), "--reviewer", "Lee Chen", "--second", "--scores", str(failing))[0] == 0
    code, _, err = run(env, "review", str(path), "--reviewer", "lee chen", "--scores", str(passing))
    assert code == 1 and "someone who has not reviewed this submission" in err


def test_reviewing_the_stored_copy(tmp_path, env):
    private = env[1]
    mapping = tmp_path / "map.yml"
    mapping.write_text(MAPPING_YML, encoding="utf-8")
    assert run(env, "submissions", "import", str(write_csv(tmp_path / "r.csv", [csv_row()])), "--map", str(mapping))[0] == 0
    stored_file = private / "submissions" / "wait-time" / f"{SUBMISSION_ID}.yml"
    scores = write_scores(tmp_path, {"pausing": "proficient", "reflection": "proficient"})
    code, out, err = run(env, "review", str(stored_file), "--reviewer", "Dana Ruiz", "--scores", str(scores))
    assert code == 0 and "outcome: pass" in out, err

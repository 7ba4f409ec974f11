"""Review: scoring against the passing rule, double-blind review, review files, feedback letters."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest
from district_factory import credential_yaml, make_district
from submission_factory import FAILING_SCORES, PASSING_SCORES, SUBMISSION_YML, district_with_catalog, write_submission

from credfolio.catalog import load_catalog
from credfolio.config import load_district
from credfolio.errors import InputError, ReviewError, ValidationError
from credfolio.review import (
    Outcome,
    add_second_review,
    feedback_letter,
    find_reviews,
    latest_review,
    load_review,
    load_scores_file,
    previous_review_id,
    review_submission,
    rubric_prompts,
    save_feedback_letter,
    save_review,
    score,
)
from credfolio.submissions import load_submission

REVIEWED = date(2025, 3, 20)


@pytest.fixture
def setup(tmp_path):
    root, catalog = district_with_catalog(tmp_path)
    submission = load_submission(write_submission(tmp_path), catalog)
    return catalog, catalog.credentials["wait-time"], submission, tmp_path / "private"


def review_with(definition, submission, scores, **options):
    feedback = {"reflection": "Tie each change to evidence from student work."} | options.pop("feedback", {})
    return review_submission(submission, definition, reviewer=options.pop("reviewer", "Dana Ruiz"), reviewed=REVIEWED,
                             scores=scores, feedback=feedback, summary=options.pop("summary", "A strong start."), **options)


# --------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("scores", "expected"), [
    ({"pausing": "exemplary", "reflection": "exemplary"}, Outcome(True, ())),
    ({"pausing": "proficient", "reflection": "proficient"}, Outcome(True, ())),
    ({"pausing": "proficient", "reflection": "developing"}, Outcome(False, ("reflection",))),
    ({"pausing": "not-yet", "reflection": "developing"}, Outcome(False, ("pausing", "reflection"))),
], ids=["all exemplary passes", "minimum level passes", "one row below fails", "two rows below fail"])
def test_score_applies_the_passing_rule(setup, scores, expected):
    _, definition, _, _ = setup
    assert score(definition, scores) == expected
    assert definition.passes(scores) is expected.passed


def test_rows_below_allowed(tmp_path):
    text = credential_yaml().replace("    minimum_level: proficient", "    minimum_level: proficient\n    rows_below_allowed: 1")
    catalog = load_catalog(make_district(tmp_path, credentials={"wait-time": text}, stacks=None))
    assert score(catalog.credentials["wait-time"], {"pausing": "proficient", "reflection": "not-yet"}) == Outcome(True, ("reflection",))


@pytest.mark.parametrize(("scores", "message"), [
    ({"pausing": "proficient"}, "scores.reflection: no level for rubric row 'reflection' (Reflection)"),
    ({"pausing": "great", "reflection": "proficient"}, "scores.pausing: 'great' is not a level of this rubric (exemplary, proficient, developing, not-yet)"),
    ({"pausing": "proficient", "reflection": "proficient", "pacing": "proficient"},
     "scores.pacing: 'pacing' is not a rubric row of wait-time (pausing, reflection); did you mean 'pausing'?"),
], ids=["rejects a missing row", "rejects an unknown level", "rejects an unknown row"])
def test_score_rejects_bad_scores(setup, scores, message):
    _, definition, _, _ = setup
    with pytest.raises(ValidationError) as caught:
        score(definition, scores)
    assert str(caught.value.problems[0]) == "review: " + message


def test_rows_below_passing_need_feedback(setup):
    _, definition, submission, _ = setup
    with pytest.raises(ValidationError) as caught:
        review_with(definition, submission, FAILING_SCORES, feedback={"reflection": "  "})
    assert str(caught.value.problems[0]) == (
        "review: feedback.reflection: feedback is required for a row below Proficient: tell the teacher what to improve")


def test_a_review_needs_a_reviewer_name(setup):
    _, definition, submission, _ = setup
    with pytest.raises(ValidationError, match="give the reviewer's name"):
        review_with(definition, submission, PASSING_SCORES, reviewer="  ")


def test_passing_and_resubmit_reviews(setup):
    _, definition, submission, _ = setup
    passed = review_with(definition, submission, PASSING_SCORES)
    assert passed.passed and passed.outcome == "pass" and passed.rows_to_improve == ()
    assert passed.scores == PASSING_SCORES and passed.reviewer == "Dana Ruiz" and passed.reviewed == REVIEWED
    failed = review_with(definition, submission, FAILING_SCORES)
    assert not failed.passed and failed.outcome == "resubmit" and failed.rows_to_improve == ("reflection",)


def test_a_review_must_match_the_submission_credential(tmp_path, setup):
    catalog, _, submission, _ = setup
    with pytest.raises(ReviewError, match="the submission is for 'wait-time', not 'wait-time-two'"):
        review_with(catalog.credentials["wait-time-two"], submission, PASSING_SCORES)


# --------------------------------------------------------------------------------------------------
# Double-blind review
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "outcome", "agreed"), [
    (PASSING_SCORES, {"pausing": "exemplary", "reflection": "proficient"}, "pass", {"pausing": "proficient", "reflection": "proficient"}),
    (FAILING_SCORES, {"pausing": "developing", "reflection": "proficient"}, "resubmit", {"pausing": "developing", "reflection": "developing"}),
    (PASSING_SCORES, FAILING_SCORES, "needs-third-review", FAILING_SCORES),
    (FAILING_SCORES, PASSING_SCORES, "needs-third-review", FAILING_SCORES),
], ids=["both pass", "both resubmit", "first passes second does not", "second passes first does not"])
def test_double_blind_outcomes(setup, first, second, outcome, agreed):
    _, definition, submission, _ = setup
    one = review_with(definition, submission, first, feedback={"pausing": "Clear pauses."})
    both = add_second_review(one, definition, reviewer="Lee Chen", reviewed=date(2025, 3, 24), scores=second,
                             feedback={"pausing": "Needs work.", "reflection": "Use evidence."})
    assert both.outcome == outcome and both.passed is (outcome == "pass")
    assert both.scores == agreed  # per row, the lower level: what both reviewers agree was reached
    assert both.reviewers == ("Dana Ruiz", "Lee Chen") and both.reviewed == date(2025, 3, 24)
    assert both.rows_to_improve == (("pausing", "reflection") if outcome == "resubmit" else ())


def test_second_reviewer_must_be_someone_else(setup):
    _, definition, submission, _ = setup
    one = review_with(definition, submission, PASSING_SCORES)
    with pytest.raises(ReviewError, match="someone other than the first reviewer"):
        add_second_review(one, definition, reviewer=" dana  ruiz ", reviewed=REVIEWED, scores=PASSING_SCORES)
    two = add_second_review(one, definition, reviewer="Lee Chen", reviewed=REVIEWED, scores=PASSING_SCORES)
    with pytest.raises(ReviewError, match="already has a second review by Lee Chen"):
        add_second_review(two, definition, reviewer="Kim Park", reviewed=REVIEWED, scores=PASSING_SCORES)


# --------------------------------------------------------------------------------------------------
# Review files
# --------------------------------------------------------------------------------------------------


def test_saved_review_loads_with_everything_issuing_needs(setup):
    catalog, definition, submission, private = setup
    path = save_review(review_with(definition, submission, PASSING_SCORES), private)
    assert path == private / "reviews" / "wait-time" / submission.id / "review-1.yml"
    review = load_review(path, catalog)
    assert (review.passed, review.scores, review.submission_id, review.credential_id, review.credential_version,
            review.reviewer, review.reviewed) == (True, PASSING_SCORES, submission.id, "wait-time", "1.0.0", "Dana Ruiz", REVIEWED)
    assert review.id == f"{submission.id}/review-1" and review.feedback == {"reflection": "Tie each change to evidence from student work."}
    assert load_review(path) == review  # no catalog needed to read it


def test_reviews_are_never_overwritten(setup):
    catalog, definition, submission, private = setup
    first = save_review(review_with(definition, submission, FAILING_SCORES), private)
    text = first.read_text(encoding="utf-8")
    second = save_review(review_with(definition, submission, PASSING_SCORES), private)
    assert second.name == "review-2.yml" and first.read_text(encoding="utf-8") == text
    assert find_reviews(private, "wait-time", submission.id) == [first, second]
    assert latest_review(private, "wait-time", submission.id, catalog).passed
    assert latest_review(private, "wait-time", "no-such-submission") is None


def test_double_review_round_trips(setup):
    catalog, definition, submission, private = setup
    one = review_with(definition, submission, PASSING_SCORES)
    both = add_second_review(one, definition, reviewer="Lee Chen", reviewed=date(2025, 3, 24), scores=FAILING_SCORES,
                             feedback={"reflection": "More evidence."}, summary="Close.")
    loaded = load_review(save_review(both, private), catalog)
    assert loaded.outcome == "needs-third-review" and loaded.second.summary == "Close." and loaded.scores == FAILING_SCORES
    assert dataclasses.replace(loaded, id=None) == both


TAMPERS = [
    ("refuses an outcome the scores do not give", "outcome: resubmit\nrows_to_improve:\n- reflection\n", "outcome: pass\n",
     ":14: outcome: the file says 'pass' but the scores give 'resubmit' under the passing rule (Proficient or above on every row)"),
    ("refuses an unknown level", "reflection: developing", "reflection: brilliant",
     ":10: scores.reflection: 'brilliant' is not a level of this rubric"),
    ("refuses rows to improve on a pass", "outcome: resubmit", "outcome: pass",
     ":15: rows_to_improve: only a 'resubmit' outcome lists rows to improve (outcome is 'pass')"),
    ("refuses wrong rows to improve", "- reflection", "- pausing", ":15: rows_to_improve: should be [reflection]"),
    ("refuses a third-review outcome without a second review", "outcome: resubmit\nrows_to_improve:\n- reflection\n",
     "outcome: needs-third-review\n", ":14: outcome: only a review with a second_review can have this"),
    ("refuses a malformed previous review id", "outcome: resubmit", "previous_review: ../../etc\noutcome: resubmit",
     ":14: previous_review: '../../etc' is not a review id"),
    ("refuses an unknown field", "outcome: resubmit", "outcome: resubmit\napproved: true",
     ":15: approved: unknown field 'approved'"),
    ("refuses an unquoted version", 'credential_version: 1.0.0', "credential_version: 1.0",
     ":5: credential_version: write the version in quotes"),
    ("refuses a missing reviewer", "reviewer: Dana Ruiz\n", "", ": reviewer: required field is missing"),
]


@pytest.mark.parametrize(("old", "new", "message"), [t[1:] for t in TAMPERS], ids=[t[0] for t in TAMPERS])
def test_tampered_review_files_are_refused(setup, old, new, message):
    catalog, definition, submission, private = setup
    path = save_review(review_with(definition, submission, FAILING_SCORES), private)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_review(path, catalog, display="review-1.yml")
    problems = [str(p) for p in getattr(caught.value, "problems", [caught.value])]
    assert any(p.startswith("review-1.yml") and message in p for p in problems), problems


def test_tampered_agreed_scores_are_refused(setup):
    catalog, definition, submission, private = setup
    both = add_second_review(review_with(definition, submission, PASSING_SCORES), definition, reviewer="Lee Chen",
                             reviewed=REVIEWED, scores={"pausing": "proficient", "reflection": "proficient"})
    path = save_review(both, private)
    path.write_text(path.read_text(encoding="utf-8").replace("agreed_scores:\n  pausing: proficient\n  reflection: proficient",
                                                              "agreed_scores:\n  pausing: proficient\n  reflection: exemplary"))
    with pytest.raises(ReviewError, match="does not match the lower of the two reviewers' levels"):
        load_review(path, catalog)


def test_a_review_of_an_earlier_rubric_version_keeps_its_outcome(setup):
    catalog, definition, submission, private = setup
    path = save_review(review_with(definition, submission, FAILING_SCORES), private)
    path.write_text(path.read_text(encoding="utf-8").replace("credential_version: 1.0.0", 'credential_version: "0.9"')
                    .replace("outcome: resubmit\nrows_to_improve:\n- reflection\n", "outcome: pass\n"))
    assert load_review(path, catalog).passed  # the 0.9 rubric is in git history, not in the catalog


def test_resubmission_links_to_the_previous_review(tmp_path, setup):
    catalog, definition, submission, private = setup
    save_review(review_with(definition, submission, FAILING_SCORES), private)
    again_text = (SUBMISSION_YML.replace("id: 2025-03-14-ana-lopez-wait-time", "id: 2025-04-02-ana-lopez-wait-time")
                  .replace("submitted: 2025-03-14", "submitted: 2025-04-02\nresubmission_of: 2025-03-14-ana-lopez-wait-time"))
    again = load_submission(write_submission(tmp_path, again_text, "again.yml"), catalog)
    previous = previous_review_id(again, private)
    assert previous == "2025-03-14-ana-lopez-wait-time/review-1"
    assert previous_review_id(submission, private) is None
    review = load_review(save_review(review_with(definition, again, PASSING_SCORES, previous_review=previous), private), catalog)
    assert review.previous_review == previous and review.passed
    markdown, html = feedback_letter(review, again, definition, load_district(catalog.root))
    assert "This review follows an earlier review (2025-03-14-ana-lopez-wait-time/review-1)." in markdown
    with pytest.raises(ReviewError, match="is not a review id"):
        review_with(definition, again, PASSING_SCORES, previous_review="review-1")


def test_scores_file_problems_name_file_line_and_field(tmp_path, setup):
    _, definition, _, _ = setup
    path = tmp_path / "scores.yml"
    path.write_text("scores:\n  pausing: proficient\n  reflection: developin\nfeedback:\n  pacing: Good.\nsumary: x\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_scores_file(path, definition)
    assert [str(p).replace(str(path), "scores.yml") for p in caught.value.problems] == [
        "scores.yml:6: sumary: unknown field 'sumary' (did you mean 'summary'?)"]
    path.write_text("scores:\n  pausing: proficient\n  reflection: developin\nfeedback:\n  pacing: Good.\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_scores_file(path, definition)
    assert [str(p).replace(str(path), "scores.yml") for p in caught.value.problems] == [
        "scores.yml:3: scores.reflection: 'developin' is not a level of this rubric (exemplary, proficient, developing, not-yet)",
        "scores.yml:5: feedback.pacing: 'pacing' is not a rubric row of wait-time (pausing, reflection)"]
    path.write_text("scores:\n  pausing: proficient\n  reflection: developing\nfeedback:\n  pausing: Good.\n  reflection: ''\n")
    with pytest.raises(ValidationError, match=r"scores.yml:4: feedback.reflection: feedback is required"):
        load_scores_file(path, definition)


def test_rubric_prompts_show_levels_and_evidence(setup):
    _, definition, submission, _ = setup
    prompts = rubric_prompts(definition, submission)
    assert [p.row_id for p in prompts] == ["pausing", "reflection"]
    assert prompts[0].levels[1] == ("proficient", "Proficient", "Pauses consistently.")
    assert prompts[0].evidence == ("artifact 'Classroom video': https://drive.example.org/file/d/abc123/view (Minutes 3-7 show the pauses.)",)
    assert prompts[1].evidence == ("reflection 'impact': 11 words",) and prompts[1].minimum_name == "Proficient"


# --------------------------------------------------------------------------------------------------
# Feedback letter
# --------------------------------------------------------------------------------------------------


def letter(setup, review):
    catalog, definition, submission, private = setup
    saved = load_review(save_review(review, private), catalog)
    return feedback_letter(saved, submission, definition, load_district(catalog.root))


def test_passing_letter(setup):
    _, definition, submission, _ = setup
    markdown, html = letter(setup, review_with(definition, submission, PASSING_SCORES, feedback={"pausing": "Consistent pauses."}))
    for text in (markdown, html):
        assert "Ana López" in text and "Wait Time wait-time" in text and "March 20, 2025" in text and "March 14, 2025" in text
        assert "Passed" in text and "Proficient or above on every row" in text
        assert "Your badge will be issued by Testville School District" in text
        assert "What to improve" not in text
    assert "| Pausing | Proficient | Consistent pauses. |" in markdown
    assert "| Reflection | Exemplary | Tie each change to evidence from student work. |" in markdown


def test_resubmit_letter_lists_rows_to_improve_with_the_passing_descriptor(setup):
    _, definition, submission, _ = setup
    markdown, html = letter(setup, review_with(definition, submission, FAILING_SCORES))
    assert "Not yet - please resubmit" in markdown
    assert "- **Reflection** (now Developing). Proficient looks like this: Uses evidence." in markdown
    assert "<li><strong>Reflection</strong> (now Developing). Proficient looks like this: Uses evidence.</li>" in html
    assert "`resubmission_of: 2025-03-14-ana-lopez-wait-time`" in markdown
    assert "badge will be issued" not in markdown


def test_double_review_letter_names_no_reviewer(setup):
    _, definition, submission, _ = setup
    one = review_with(definition, submission, PASSING_SCORES)
    both = add_second_review(one, definition, reviewer="Lee Chen", reviewed=date(2025, 3, 24), scores=FAILING_SCORES,
                             feedback={"reflection": "More evidence."})
    markdown, html = letter(setup, both)
    assert "a third reviewer will review your" in markdown and "Under further review" in html
    assert "Reviewer 1 (Exemplary): Tie each change" in markdown and "Reviewer 2 (Developing): More evidence." in markdown
    assert "Dana Ruiz" not in markdown + html and "Lee Chen" not in markdown + html


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_letters_escape_what_people_typed(setup, tmp_path):
    catalog, definition, _, private = setup
    text = SUBMISSION_YML.replace("name: Ana López", f"name: '{XSS}'")
    submission = load_submission(write_submission(tmp_path, text, "xss.yml"), catalog)
    review = review_submission(submission, definition, reviewer="Dana", reviewed=REVIEWED, scores=FAILING_SCORES,
                               feedback={"reflection": XSS + " [click](javascript:alert(1)) | broken `code`"}, summary=XSS)
    saved = load_review(save_review(review, private), catalog)
    markdown, html = feedback_letter(saved, submission, definition, load_district(catalog.root))
    assert "<script" not in html and "<img" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<script" not in markdown and "<img" not in markdown and not re.search(r"(?<!\\)\]\(javascript:", markdown)
    assert "&lt;script&gt;" in markdown and "\\[click\\]" in markdown and "\\| broken \\`code\\`" in markdown
    table = [line for line in markdown.splitlines() if line.startswith("| Reflection")]
    assert len(table) == 1 and table[0].count(" | ") == 2  # the pipe in the feedback did not add a column


def test_html_letter_is_self_contained_and_printable(setup):
    _, definition, submission, _ = setup
    _, html = letter(setup, review_with(definition, submission, PASSING_SCORES))
    assert html.startswith("<!doctype html>") and "@media print" in html and "@page" in html
    assert not re.search(r"""(src|href)\s*=|<link|<script|url\(|@import""", html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_letter_templates_can_be_overridden(setup):
    catalog, definition, submission, private = setup
    overrides = catalog.root / "overrides" / "credfolio" / "review"
    overrides.mkdir(parents=True)
    (overrides / "letter.md").write_text("Hello {{ teacher|md }}: {{ outcome }}\n", encoding="utf-8")
    saved = load_review(save_review(review_with(definition, submission, PASSING_SCORES), private), catalog)
    markdown, html = feedback_letter(saved, submission, definition, load_district(catalog.root))
    assert markdown == "Hello Ana López: pass\n" and html.startswith("<!doctype html>")


def test_letters_are_saved_next_to_the_review_and_never_overwritten(setup):
    catalog, definition, submission, private = setup
    path = save_review(review_with(definition, submission, PASSING_SCORES), private)
    md_path, html_path = save_feedback_letter(path, "# letter\n", "<p>letter</p>\n")
    assert (md_path.name, html_path.name) == ("review-1.md", "review-1.html") and md_path.parent == path.parent
    with pytest.raises(ReviewError, match="a feedback letter already exists here"):
        save_feedback_letter(path, "# other\n", "<p>other</p>\n")
    assert md_path.read_text() == "# letter\n"


def test_a_letter_needs_the_matching_submission(setup, tmp_path):
    catalog, definition, submission, private = setup
    other = load_submission(write_submission(tmp_path, SUBMISSION_YML.replace("id: 2025-03-14-ana-lopez-wait-time\n", "id: other\n"),
                                             "other.yml"), catalog)
    saved = load_review(save_review(review_with(definition, submission, PASSING_SCORES), private), catalog)
    with pytest.raises(ReviewError, match="does not belong to submission 'other'"):
        feedback_letter(saved, other, definition, load_district(catalog.root))

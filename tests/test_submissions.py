"""Submissions: file format and validation, word counts, template, issue forms, CSV import."""

from __future__ import annotations

import csv
import io
import re
import stat
from datetime import date
from pathlib import Path

import pytest
import yaml
from district_factory import credential_yaml, make_district
from submission_factory import CSV_HEADER, MAPPING_YML, SUBMISSION_YML, csv_row, district_with_catalog, write_submission

from credfolio.catalog import load_catalog
from credfolio.errors import InputError, SubmissionError, ValidationError
from credfolio.submissions import (
    Evidence,
    count_words,
    dump_yaml,
    evidence_problem,
    generate_issue_forms,
    import_csv,
    issue_form,
    load_submission,
    slugify,
    store_submission,
    submission_from_issue,
    submission_id_for,
    submission_template,
    to_yaml,
    word_counts,
    write_new_file,
)


def problems_of(error: InputError) -> list[str]:
    return [str(p) for p in error.problems] if isinstance(error, ValidationError) else [str(error)]


@pytest.fixture
def district(tmp_path):
    return district_with_catalog(tmp_path)


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


def test_loads_a_valid_submission(tmp_path, district):
    _, catalog = district
    submission = load_submission(write_submission(tmp_path), catalog)
    assert submission.id == "2025-03-14-ana-lopez-wait-time"
    assert submission.credential_id == "wait-time" and submission.credential_version == "1.0.0"
    assert submission.teacher.name == "Ana López" and submission.teacher.role == "Grade 4 teacher"
    assert submission.submitted == date(2025, 3, 14)
    assert submission.overview == {"context": "I teach 28 fourth-graders; a third of them are English learners."}
    assert submission.artifacts == {"video": Evidence("https://drive.example.org/file/d/abc123/view", "Minutes 3-7 show the pauses.")}
    assert submission.consent.show_evidence_on_badge and not submission.consent.evidence_links_in_badge
    assert submission.warnings == ()


def test_round_trips_through_yaml(tmp_path, district):
    _, catalog = district
    submission = load_submission(write_submission(tmp_path), catalog)
    again = load_submission(write_submission(tmp_path, to_yaml(submission), "again.yml"), catalog)
    assert again == submission


def test_derives_a_deterministic_id_when_none_is_given(tmp_path, district):
    _, catalog = district
    text = SUBMISSION_YML.replace("id: 2025-03-14-ana-lopez-wait-time\n", "").replace("Ana López", "Seán O'Brien")
    assert load_submission(write_submission(tmp_path, text), catalog).id == "2025-03-14-sean-obrien-wait-time"


@pytest.mark.parametrize(("name", "slug"), [
    ("Seán O'Brien", "sean-obrien"),
    ("Zoë D’Angelo-Smith", "zoe-dangelo-smith"),
    ("Jürgen Straße", "jurgen-strasse"),
    ("  Ana   López ", "ana-lopez"),
    ("Łukasz Żółć", "lukasz-zolc"),
], ids=["irish apostrophe", "curly apostrophe and hyphen", "german sharp s", "extra spaces", "polish"])
def test_slugs_of_non_ascii_names(name, slug):
    assert slugify(name) == slug


def test_names_without_latin_letters_get_a_stable_id():
    first = submission_id_for(date(2025, 3, 14), "李娜", "wait-time")
    assert re.fullmatch(r"2025-03-14-teacher-[0-9a-f]{8}-wait-time", first)
    assert first == submission_id_for(date(2025, 3, 14), "李娜", "wait-time")
    assert first != submission_id_for(date(2025, 3, 14), "王芳", "wait-time")


INVALID = [
    ("rejects a malformed e-mail address", "ana.lopez@testville.example", "ana.lopez@testville",
     "submission.yml:8: teacher.email: ", "is not an e-mail address"),
    ("rejects an e-mail with a space", "ana.lopez@testville.example", "ana lopez@testville.example",
     "submission.yml:8: teacher.email: ", "is not an e-mail address"),
    ("rejects a missing e-mail", "  email: ana.lopez@testville.example\n", "",
     "submission.yml:6: teacher.email: ", "required field is missing"),
    ("rejects an empty name", "name: Ana López", 'name: ""', "submission.yml:7: teacher.name: ", "is empty"),
    ("rejects an unknown credential with a hint", "credential: wait-time\n", "credential: wait-tme\n",
     "submission.yml:3: credential: ", "no credential 'wait-tme' in the catalog (did you mean 'wait-time'?)"),
    ("rejects an unanswered overview question", "  context: |", "  contexts: |",
     "submission.yml:11: overview.context: ", "no answer for overview question 'context'"),
    ("rejects an unknown overview question id", "  context: |", "  contexts: |",
     "submission.yml:12: overview.contexts: ", "is not an overview question of wait-time (context); did you mean 'context'?"),
    ("rejects an empty reflection answer", "  impact: |\n    More students answered, and their answers were longer and more precise.\n",
     '  impact: ""\n', "submission.yml:19: reflection.impact: ", "is empty"),
    ("rejects an unknown artifact id", "  video:\n", "  videos:\n",
     "submission.yml:15: artifacts.videos: ", "is not an artifact of wait-time (video)"),
    ("rejects an http link", "https://drive", "http://drive", "submission.yml:16: artifacts.video.url: ", "must start with https://"),
    ("rejects a javascript link", "https://drive.example.org/file/d/abc123/view", "javascript:alert(1)",
     "submission.yml:16: artifacts.video.url: ", "'javascript:' links are not accepted"),
    ("rejects a file link", "https://drive.example.org/file/d/abc123/view", "file:///etc/passwd",
     "submission.yml:16: artifacts.video.url: ", "'file:' links are not accepted"),
    ("rejects an absolute path", "https://drive.example.org/file/d/abc123/view", "/home/ana/video.mp4",
     "submission.yml:16: artifacts.video.url: ", "path relative to the private evidence folder"),
    ("rejects a Windows path", "https://drive.example.org/file/d/abc123/view", "'C:\\Users\\ana\\video.mp4'",
     "submission.yml:16: artifacts.video.url: ", "path relative to the private evidence folder"),
    ("rejects a path leaving the evidence folder", "https://drive.example.org/file/d/abc123/view", "video/../../../etc/passwd",
     "submission.yml:16: artifacts.video.url: ", "stay inside the private evidence folder"),
    ("rejects an unknown field with a hint", "consent:", "summitted: 2025-03-14\nconsent:",
     "submission.yml:21: summitted: ", "unknown field 'summitted' (did you mean 'submitted'?)"),
    ("rejects another format", "format: 1", "format: 2", "submission.yml:1: format: ", "must be 1"),
    ("rejects an unquoted version", 'credential_version: "1.0.0"', "credential_version: 1.0",
     "submission.yml:4: credential_version: ", "write the version in quotes"),
    ("rejects a day-first date", "submitted: 2025-03-14", "submitted: 14/03/2025",
     "submission.yml:5: submitted: ", "'14/03/2025' is not a date: write it as YYYY-MM-DD"),
    ("rejects consent that is not true or false", "show_evidence_on_badge: true", "show_evidence_on_badge: maybe",
     "submission.yml:22: consent.show_evidence_on_badge: ", "write true or false"),
    ("rejects a resubmission of itself", "consent:", "resubmission_of: 2025-03-14-ana-lopez-wait-time\nconsent:",
     "submission.yml:21: resubmission_of: ", "cannot be a resubmission of itself"),
    ("rejects an answer written as a list", "  context: |\n    I teach", "  context:\n    - I teach",
     "submission.yml:12: overview.context: ", "expected text, found a list"),
    ("rejects an id that is not a slug", "id: 2025-03-14-ana-lopez-wait-time", "id: Ana Lopez",
     "submission.yml:2: id: ", "'Ana Lopez' is not a valid id"),
]


@pytest.mark.parametrize(("old", "new", "prefix", "message"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
def test_invalid_submissions_name_file_line_and_field(tmp_path, district, old, new, prefix, message):
    _, catalog = district
    assert old in SUBMISSION_YML
    path = write_submission(tmp_path, SUBMISSION_YML.replace(old, new, 1))
    with pytest.raises(InputError) as caught:
        load_submission(path, catalog, display="submission.yml")
    problems = problems_of(caught.value)
    assert any(p.startswith(prefix) and message in p for p in problems), problems


@pytest.mark.parametrize(("text", "message"), [
    ("", "submission.yml:1: expected a submission (key: value lines), found an empty file"),
    ("- a\n- b\n", "submission.yml:1: expected a submission (key: value lines), found a list"),
    ("format: 1\nformat: 1\n", "submission.yml:2: format: duplicate key 'format' (first defined on line 1)"),
], ids=["rejects an empty file", "rejects a list", "rejects duplicate keys"])
def test_invalid_files(tmp_path, district, text, message):
    _, catalog = district
    with pytest.raises(InputError) as caught:
        load_submission(write_submission(tmp_path, text), catalog, display="submission.yml")
    assert problems_of(caught.value)[0] == message


def test_future_date_is_refused_when_today_is_given(tmp_path, district):
    _, catalog = district
    path = write_submission(tmp_path)
    assert load_submission(path, catalog, today=date(2025, 3, 14))
    with pytest.raises(ValidationError) as caught:
        load_submission(path, catalog, display="s.yml", today=date(2025, 3, 13))
    assert str(caught.value.problems[0]) == "s.yml:5: submitted: 2025-03-14 is in the future (today is 2025-03-13)"


@pytest.mark.parametrize("status", ["draft", "retired"])
def test_credentials_that_are_not_active_take_no_submissions(tmp_path, status):
    root = make_district(tmp_path / "d", credentials={"wait-time": credential_yaml(status=status)}, stacks=None)
    catalog = load_catalog(root)
    path = write_submission(tmp_path)
    with pytest.raises(ValidationError) as caught:
        load_submission(path, catalog, display="s.yml")
    assert str(caught.value.problems[0]) == f"s.yml:3: credential: credential 'wait-time' is {status} and does not accept submissions"
    if status == "retired":  # a reviewer may finish what was submitted before retirement
        assert load_submission(path, catalog, allow_retired=True).credential_id == "wait-time"


def test_an_older_credential_version_is_a_warning(tmp_path, district):
    _, catalog = district
    submission = load_submission(write_submission(tmp_path, SUBMISSION_YML.replace('"1.0.0"', '"0.9"')), catalog, display="s.yml")
    assert [str(w) for w in submission.warnings] == [
        "s.yml:4: credential_version: warning: submitted for version 0.9; the catalog now has version 1.0.0 "
        "(it is reviewed against the current rubric)"]


def test_evidence_in_the_private_folder(tmp_path, district):
    _, catalog = district
    evidence = tmp_path / "private" / "evidence"
    (evidence / "ana").mkdir(parents=True)
    (evidence / "ana" / "lesson.mp4").write_bytes(b"video")
    text = SUBMISSION_YML.replace("https://drive.example.org/file/d/abc123/view", "ana/lesson.mp4")
    path = write_submission(tmp_path, text)
    submission = load_submission(path, catalog, evidence_dir=evidence)
    assert not submission.artifacts["video"].is_link
    assert submission.public_evidence(catalog.credentials["wait-time"]) == [("Classroom video", None, "Minutes 3-7 show the pauses.")]
    (evidence / "ana" / "lesson.mp4").unlink()
    with pytest.raises(ValidationError) as caught:
        load_submission(path, catalog, evidence_dir=evidence, display="s.yml")
    assert str(caught.value.problems[0]).startswith("s.yml:16: artifacts.video.url: no file 'ana/lesson.mp4' in the private evidence folder")


def test_evidence_links_are_public_only_with_consent(tmp_path, district):
    _, catalog = district
    definition = catalog.credentials["wait-time"]
    text = SUBMISSION_YML.replace("evidence_links_in_badge: false", "evidence_links_in_badge: true")
    shown = load_submission(write_submission(tmp_path, text), catalog).public_evidence(definition)
    assert shown == [("Classroom video", "https://drive.example.org/file/d/abc123/view", "Minutes 3-7 show the pauses.")]
    hidden = SUBMISSION_YML.replace("show_evidence_on_badge: true", "show_evidence_on_badge: false")
    assert load_submission(write_submission(tmp_path, hidden), catalog).public_evidence(definition) == []


@pytest.mark.parametrize(("url", "ok"), [
    ("https://example.org/a?b=c#d", True),
    ("video/lesson 3.mp4", True),
    ("https://", False),
    ("https://exa mple.org", False),
    ("HTTP://example.org", False),
    ("data:text/html,<script>", False),
    ("~/video.mp4", False),
    ("\\\\server\\share\\v.mp4", False),
], ids=["https with query", "relative path with space", "empty host", "space in host", "upper-case http", "data url", "home path", "unc path"])
def test_evidence_references(url, ok):
    assert (evidence_problem(url) is None) is ok


# --------------------------------------------------------------------------------------------------
# Word counts
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "words"), [
    ("", 0),
    ("One two  three\nfour", 4),
    ("A well-known, evidence-based method.", 4),
    ("Café naïve Schüler über", 4),
    ("Wait time — three to five seconds", 6),
    ("word—word", 2),
    ("- first bullet\n- second bullet", 4),
    ("e.g. grades 3-5 (K–2 too)", 5),
    ("l'élève d’école", 2),
    ("日本語の文章", 1),
], ids=["empty", "whitespace", "hyphenated words count once", "non-ascii letters", "spaced em dash is not a word",
        "unspaced em dash splits", "markdown bullets are not words", "abbreviations and ranges", "elided apostrophes",
        "text without spaces is one token"])
def test_count_words(text, words):
    assert count_words(text) == words


def test_word_counts_report_over_limit_answers(tmp_path, district):
    _, catalog = district
    long_answer = "    " + " ".join(["word"] * 301) + "\n"
    text = SUBMISSION_YML.replace("    More students answered, and their answers were longer and more precise.\n", long_answer)
    submission = load_submission(write_submission(tmp_path, text), catalog)
    counts = word_counts(submission, catalog.credentials["wait-time"])
    assert [(c.part, c.id, c.words, c.limit, c.over) for c in counts] == [
        ("overview", "context", 11, 200, False), ("reflection", "impact", 301, 300, True)]
    assert str(counts[1]) == "reflection.impact: 301 / 300 words - over the limit by 1"


# --------------------------------------------------------------------------------------------------
# Template
# --------------------------------------------------------------------------------------------------


def fill_template(text: str) -> str:
    return (text.replace("submitted:            #", "submitted: 2025-03-14  #")
            .replace('  name: ""', "  name: Seán O'Brien")
            .replace('  email: ""', "  email: sean.obrien@testville.example")
            .replace("  context: |\n", "  context: |\n    My fourth-grade class.\n\n    Second paragraph.\n")
            .replace("  impact: |\n", "  impact: |\n    Students answered more.\n")
            .replace('    url: ""', "    url: https://drive.example.org/v/1"))


def test_filled_template_is_a_valid_submission(tmp_path, district):
    root, catalog = district
    definition = catalog.credentials["wait-time"]
    template = submission_template(definition)
    assert "# 1. Describe your class." in template and "(up to 200 words)" in template and "(up to 300 words)" in template
    assert "# 1. Classroom video" in template and "A 10-minute video excerpt." in template
    submission = load_submission(write_submission(tmp_path, fill_template(template)), catalog)
    assert submission.id == "2025-03-14-sean-obrien-wait-time"
    assert submission.overview["context"] == "My fourth-grade class.\n\nSecond paragraph."
    assert submission.teacher.school is None and submission.artifacts["video"].note is None
    assert not submission.consent.show_evidence_on_badge  # private by default


def test_unfilled_template_lists_what_is_missing(tmp_path, district):
    _, catalog = district
    path = write_submission(tmp_path, submission_template(catalog.credentials["wait-time"]))
    with pytest.raises(ValidationError) as caught:
        load_submission(path, catalog, display="t.yml")
    fields = sorted(p.location.field for p in caught.value.problems)
    assert fields == ["artifacts.video.url", "overview.context", "reflection.impact", "submitted", "teacher.email", "teacher.name"]
    assert all("is empty" in str(p) for p in caught.value.problems)


def test_template_comments_survive_hostile_prompts(tmp_path, district):
    _, catalog = district
    definition = catalog.credentials["wait-time"]
    overview = definition.submission.overview[0].model_copy(update={"prompt": "What's #1: your goal?\ncontext: |\n  injected"})
    hostile = definition.model_copy(update={"submission": definition.submission.model_copy(update={"overview": [overview]})})
    template = submission_template(hostile)
    assert yaml.safe_load(template)["overview"] == {"context": ""}
    assert "  # 1. What's #1: your goal?\n  #    context: |\n  #      injected" in template


# --------------------------------------------------------------------------------------------------
# GitHub issue forms
# --------------------------------------------------------------------------------------------------

_FORM_KEYS = {"name", "description", "title", "labels", "assignees", "body", "projects", "type"}
_ELEMENT_KEYS = {"markdown": {"type", "attributes"}, "input": {"type", "id", "attributes", "validations"},
                 "textarea": {"type", "id", "attributes", "validations"}, "dropdown": {"type", "id", "attributes", "validations"},
                 "checkboxes": {"type", "id", "attributes"}}
_ATTRIBUTE_KEYS = {"markdown": {"value"}, "input": {"label", "description", "placeholder", "value"},
                   "textarea": {"label", "description", "placeholder", "value", "render"},
                   "checkboxes": {"label", "description", "options"}}


def assert_valid_issue_form(form: dict) -> None:
    """GitHub's issue-form rules (docs: 'Syntax for issue forms' and 'Common validation errors')."""
    assert set(form) <= _FORM_KEYS and {"name", "description", "body"} <= set(form)
    for key in ("name", "description", "title"):
        assert isinstance(form[key], str) and form[key].strip(), key
    assert all(isinstance(label, str) and label for label in form["labels"]) and len(set(form["labels"])) == len(form["labels"])
    ids, labels = [], []
    for element in form["body"]:
        kind = element["type"]
        assert set(element) <= _ELEMENT_KEYS[kind] and "attributes" in element, element
        attributes = element["attributes"]
        assert set(attributes) <= _ATTRIBUTE_KEYS[kind], attributes
        assert all(isinstance(v, str) and v.strip() for k, v in attributes.items() if k != "options"), attributes
        if kind == "markdown":
            continue
        assert re.fullmatch(r"[A-Za-z0-9_-]+", element["id"])
        ids.append(element["id"])
        labels.append(attributes["label"])
        if "validations" in element:
            assert set(element["validations"]) == {"required"} and isinstance(element["validations"]["required"], bool)
        if kind == "checkboxes":
            options = attributes["options"]
            assert options and all(set(o) <= {"label", "required"} and o["label"].strip() for o in options)
            assert len({o["label"] for o in options}) == len(options)
    assert ids, "a form needs at least one non-markdown element"
    assert len(set(ids)) == len(ids), "ids must be unique"
    assert len(set(labels)) == len(labels), "labels must be unique"


def test_issue_forms_are_valid_with_the_expected_ids(tmp_path, district):
    _, catalog = district
    out = tmp_path / "private-repo" / ".github" / "ISSUE_TEMPLATE"
    paths = generate_issue_forms(catalog, out)
    assert sorted(p.name for p in paths) == ["config.yml", "wait-time-two.yml", "wait-time.yml"]
    form = yaml.safe_load((out / "wait-time.yml").read_text(encoding="utf-8"))
    assert_valid_issue_form(form)
    ids = [e["id"] for e in form["body"] if e["type"] != "markdown"]
    assert ids == ["credential", "credential_version", "teacher-name", "teacher-email", "teacher-school", "teacher-role",
                   "resubmission-of", "overview-context", "artifact-video", "artifact-video-note", "reflection-impact", "consent", "confirm"]
    elements = {e["id"]: e for e in form["body"] if e["type"] != "markdown"}
    assert elements["overview-context"]["type"] == "textarea" and "200 words" in elements["overview-context"]["attributes"]["label"]
    assert elements["artifact-video"]["type"] == "input"
    assert elements["consent"]["type"] == "checkboxes" and elements["confirm"]["attributes"]["options"][0]["required"] is True
    assert "private repository" in form["body"][0]["attributes"]["value"]
    assert yaml.safe_load((out / "config.yml").read_text(encoding="utf-8")) == {"blank_issues_enabled": False}


def test_issue_forms_never_overwrite_hand_written_templates(tmp_path, district):
    _, catalog = district
    out = tmp_path / "forms"
    out.mkdir()
    (out / "wait-time.yml").write_text("name: mine\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match="was not generated by credfolio"):
        generate_issue_forms(catalog, out)
    assert (out / "wait-time.yml").read_text(encoding="utf-8") == "name: mine\n"


def test_issue_forms_of_retired_credentials_are_removed(tmp_path, district):
    _, catalog = district
    out = tmp_path / "forms"
    generate_issue_forms(catalog, out)
    (out / "other.yml").write_text("name: hand-written\n", encoding="utf-8")
    del catalog.credentials["wait-time-two"]
    generate_issue_forms(catalog, out)
    assert sorted(p.name for p in out.iterdir()) == ["config.yml", "other.yml", "wait-time.yml"]


def issue_body(catalog, **answers: str) -> str:
    """The Markdown GitHub writes for an issue filed with our form."""
    form = issue_form(catalog.credentials["wait-time"])
    values = {"credential": "wait-time", "credential_version": "1.0.0", "teacher-name": "Ana López",
              "teacher-email": "ana.lopez@testville.example", "teacher-school": "_No response_", "teacher-role": "_No response_",
              "resubmission-of": "_No response_", "overview-context": "My class.\n\n### My own heading\n\nMore text.",
              "artifact-video": "https://drive.example.org/v/1", "artifact-video-note": "_No response_",
              "reflection-impact": "Students answered more.",
              "consent": "- [X] List my artifact titles and notes on my public badge page\n- [ ] Put my https evidence links into my "
                         "signed badge (anyone holding the badge can open them)",
              "confirm": "- [X] This is my own work from my own classroom, and student names and faces are removed or used with permission"}
    values.update(answers)
    return "\n\n".join(f"### {e['attributes']['label']}\n\n{values[e['id']]}" for e in form["body"] if e["type"] != "markdown") + "\n"


def test_reads_a_submission_back_from_an_issue(district):
    _, catalog = district
    submission = submission_from_issue(issue_body(catalog), catalog, submitted=date(2025, 3, 14))
    assert submission.id == "2025-03-14-ana-lopez-wait-time"
    assert submission.overview["context"] == "My class.\n\n### My own heading\n\nMore text."
    assert submission.consent.show_evidence_on_badge and not submission.consent.evidence_links_in_badge
    assert submission.teacher.school is None


@pytest.mark.parametrize(("answers", "message"), [
    ({"teacher-email": "ana@"}, "Your e-mail address: 'ana@' is not an e-mail address"),
    ({"reflection-impact": "_No response_"}, "Part 3, prompt 1 (up to 300 words): is empty"),
    ({"artifact-video": "http://drive.example.org/v/1"}, "Part 2, artifact 1: Classroom video (https link): links must start with https://"),
    ({"confirm": "- [ ] This is my own work from my own classroom, and student names and faces are removed or used with permission"},
     "Confirmation: the confirmation box (own work, students anonymised) is not ticked"),
    ({"credential": "nope"}, "credential: no credential 'nope' in the catalog"),
], ids=["bad e-mail", "empty required answer", "http link", "confirmation not ticked", "unknown credential"])
def test_issue_problems_name_the_form_field(district, answers, message):
    _, catalog = district
    with pytest.raises(InputError) as caught:
        submission_from_issue(issue_body(catalog, **answers), catalog, submitted=date(2025, 3, 14), display="issue-12.md")
    problems = problems_of(caught.value)
    assert any(p.startswith("issue-12.md") and message in p for p in problems), problems


# --------------------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------------------


def test_store_submission_keeps_one_copy_and_never_overwrites(tmp_path, district):
    _, catalog = district
    submission = load_submission(write_submission(tmp_path), catalog)
    private = tmp_path / "private"
    path = store_submission(submission, private)
    assert path == private / "submissions" / "wait-time" / "2025-03-14-ana-lopez-wait-time.yml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store_submission(submission, private) == path
    changed = load_submission(write_submission(tmp_path, SUBMISSION_YML.replace("28", "29"), "b.yml"), catalog)
    with pytest.raises(SubmissionError, match="a different submission with id '2025-03-14-ana-lopez-wait-time' is already stored"):
        store_submission(changed, private)
    assert "28 fourth-graders" in path.read_text(encoding="utf-8")


def test_write_new_file_refuses_to_overwrite(tmp_path):
    path = tmp_path / "a" / "b.yml"
    write_new_file(path, "one\n")
    with pytest.raises(FileExistsError):
        write_new_file(path, "two\n")
    assert path.read_text() == "one\n"
    assert [p.name for p in path.parent.iterdir()] == ["b.yml"]  # no temporary files left behind


def test_dumped_yaml_has_no_anchors_and_keeps_unicode():
    shared = {"a": "x"}
    text = dump_yaml({"one": shared, "two": shared, "name": "Zoë", "long": "line 1\nline 2\n"})
    assert "&" not in text and "*" not in text and "Zoë" in text and "long: |" in text


# --------------------------------------------------------------------------------------------------
# CSV import
# --------------------------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ",", newline: str = "\r\n", bom: bool = False,
              encoding: str = "utf-8", header: list[str] | None = None) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header or CSV_HEADER)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


@pytest.fixture
def importing(tmp_path, district):
    _, catalog = district
    mapping = tmp_path / "map.yml"
    mapping.write_text(MAPPING_YML, encoding="utf-8")
    return catalog, mapping, tmp_path / "private"


def stored(private: Path) -> list[str]:
    return sorted(p.name for p in (private / "submissions").rglob("*.yml")) if (private / "submissions").exists() else []


ROWS = [
    csv_row(),
    csv_row(when="3/15/2025 08:00:00", email="sean@testville.example", name="Seán O'Brien", credential="wait-time-two",
            context="Line one of my class.\nLine two, with a \"quote\"; and a semicolon."),
    csv_row(when="3/16/2025 09:30:00", email="zoe@testville.example", name="Zoë D’Angelo", consent="No"),
]
EXPECTED_FILES = ["2025-03-14-ana-lopez-wait-time.yml", "2025-03-15-sean-obrien-wait-time-two.yml", "2025-03-16-zoe-dangelo-wait-time.yml"]


@pytest.mark.parametrize("dialect", [
    {"delimiter": ",", "newline": "\r\n"},
    {"delimiter": ",", "newline": "\n", "bom": True},
    {"delimiter": ";", "newline": "\r\n", "bom": True},
    {"delimiter": "\t", "newline": "\n"},
    {"delimiter": ",", "newline": "\r\n", "encoding": "utf-16"},
], ids=["comma CRLF", "comma LF with BOM", "semicolon CRLF with BOM (Excel in Europe)", "tab", "UTF-16"])
def test_imports_form_exports(tmp_path, importing, dialect):
    catalog, mapping, private = importing
    csv_path = write_csv(tmp_path / "responses.csv", ROWS, **dialect)
    report = import_csv(csv_path, mapping, catalog, private, today=date(2025, 4, 1))
    assert report.rows == 3 and len(report.written) == 3 and not report.skipped
    assert stored(private) == EXPECTED_FILES
    sean = load_submission(private / "submissions" / "wait-time-two" / "2025-03-15-sean-obrien-wait-time-two.yml", catalog)
    assert sean.teacher.name == "Seán O'Brien" and sean.submitted == date(2025, 3, 15)
    assert sean.overview["context"] == 'Line one of my class.\nLine two, with a "quote"; and a semicolon.'
    zoe = load_submission(private / "submissions" / "wait-time" / "2025-03-16-zoe-dangelo-wait-time.yml", catalog)
    assert zoe.teacher.name == "Zoë D’Angelo" and not zoe.consent.show_evidence_on_badge
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (private / "submissions").rglob("*.yml"))


def test_reimporting_the_same_export_writes_nothing_new(tmp_path, importing):
    catalog, mapping, private = importing
    csv_path = write_csv(tmp_path / "responses.csv", ROWS)
    first = import_csv(csv_path, mapping, catalog, private, today=date(2025, 4, 1))
    before = {p: p.read_bytes() for p in (private / "submissions").rglob("*.yml")}
    again = import_csv(csv_path, mapping, catalog, private, today=date(2025, 4, 1))
    assert again.written == [] and sorted(again.already_imported) == sorted(first.written)
    assert {p: p.read_bytes() for p in (private / "submissions").rglob("*.yml")} == before
    # the next export has one more response: only that one is new
    write_csv(csv_path, ROWS + [csv_row(when="3/20/2025 10:00:00", email="kim@testville.example", name="Kim Park")])
    third = import_csv(csv_path, mapping, catalog, private, today=date(2025, 4, 1))
    assert [p.name for p in third.written] == ["2025-03-20-kim-park-wait-time.yml"] and len(third.already_imported) == 3


def test_same_teacher_same_day_gets_a_distinct_id(tmp_path, importing):
    catalog, mapping, private = importing
    rows = [csv_row(), csv_row(when="3/14/2025 16:00:00", context="A different answer.")]
    import_csv(write_csv(tmp_path / "r.csv", rows), mapping, catalog, private, today=date(2025, 4, 1))
    assert stored(private) == ["2025-03-14-ana-lopez-wait-time-2.yml", "2025-03-14-ana-lopez-wait-time.yml"]
    import_csv(tmp_path / "r.csv", mapping, catalog, private, today=date(2025, 4, 1))
    assert len(stored(private)) == 2


BAD_ROWS = [
    ("reports a bad e-mail", {"email": "ana.lopez@"}, "Email address: 'ana.lopez@' is not an e-mail address"),
    ("reports an unknown credential id", {"credential": "wait-tim"},
     "Which micro-credential?: no credential 'wait-tim' in the catalog (did you mean 'wait-time'?)"),
    ("reports an empty answer", {"impact": ""}, "What changed?: is empty: fill it in"),
    ("reports an http evidence link", {"video": "http://example.org/v"}, "Link to your classroom video: links must start with https://"),
    ("reports an unreadable date", {"when": "yesterday"}, "Timestamp: 'yesterday' is not a date"),
    ("reports an unclear consent answer", {"consent": "Maybe later"}, "Show my evidence on my badge?: cannot tell whether 'Maybe later'"),
    ("reports a missing name", {"name": ""}, "Name: is empty: fill it in"),
]


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_bad_rows_are_reported_with_line_and_column_and_nothing_is_written(tmp_path, importing, change, message):
    catalog, mapping, private = importing
    rows = [csv_row(), csv_row(name="Kim Park", email="kim@testville.example", context="Line one\nline two"), csv_row(**{
        "name": "Lee Chen", "email": "lee@testville.example", **change})]
    csv_path = write_csv(tmp_path / "responses.csv", rows)
    with pytest.raises(ValidationError) as caught:
        import_csv(csv_path, mapping, catalog, private, today=date(2025, 4, 1))
    # line 5: the header is line 1 and the second response spans lines 3-4 (a quoted newline)
    assert len(caught.value.problems) == 1 and str(caught.value.problems[0]).startswith(f"{csv_path}:5: {message}")
    assert stored(private) == []


def test_every_bad_row_is_reported(tmp_path, importing):
    catalog, mapping, private = importing
    rows = [csv_row(email="bad"), csv_row(name="Kim Park", email="kim@testville.example"), csv_row(credential="nope", name="Lee")]
    csv_path = write_csv(tmp_path / "r.csv", rows)
    with pytest.raises(ValidationError) as caught:
        import_csv(csv_path, mapping, catalog, private, today=date(2025, 4, 1))
    assert [(p.location.line, p.location.field) for p in caught.value.problems] == [(2, "Email address"), (4, "Which micro-credential?")]


def test_duplicate_rows_are_reported(tmp_path, importing):
    catalog, mapping, private = importing
    rows = [csv_row(), csv_row(name="Kim Park", email="kim@testville.example"), csv_row(), csv_row(when="3/14/2025 10:25:00")]
    csv_path = write_csv(tmp_path / "r.csv", rows)
    with pytest.raises(ValidationError) as caught:
        import_csv(csv_path, mapping, catalog, private, today=date(2025, 4, 1))
    assert [str(p) for p in caught.value.problems] == [
        f"{csv_path}:4: duplicate of line 2",
        f"{csv_path}:5: same teacher and answers as line 2 (submitted twice?)"]
    assert stored(private) == []


def test_skip_invalid_writes_the_valid_rows_and_reports_the_rest(tmp_path, importing):
    catalog, mapping, private = importing
    rows = [csv_row(), csv_row(email="bad", name="Kim Park"), csv_row()]
    report = import_csv(write_csv(tmp_path / "r.csv", rows), mapping, catalog, private, skip_invalid=True, today=date(2025, 4, 1))
    assert [p.name for p in report.written] == ["2025-03-14-ana-lopez-wait-time.yml"]
    assert [(p.location.line, p.message) for p in report.skipped] == [
        (3, "'bad' is not an e-mail address"), (4, "duplicate of line 2")]


def test_short_rows_are_reported(tmp_path, importing):
    catalog, mapping, private = importing
    csv_path = tmp_path / "r.csv"
    csv_path.write_text(",".join(CSV_HEADER) + "\n" + ",".join(csv_row()[:5]) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        import_csv(csv_path, mapping, catalog, private, today=date(2025, 4, 1))
    assert str(caught.value.problems[0]) == f"{csv_path}:2: row has 5 cells, the header has 8 (a missing or extra column)"


def test_a_mapped_column_missing_from_the_export_is_reported_once(tmp_path, importing):
    catalog, mapping, private = importing
    header = [h if h != "Email address" else "E-mail" for h in CSV_HEADER]
    csv_path = write_csv(tmp_path / "r.csv", [csv_row(), csv_row()], header=header)
    with pytest.raises(ValidationError) as caught:
        import_csv(csv_path, mapping, catalog, private, today=date(2025, 4, 1))
    assert [str(p) for p in caught.value.problems] == [
        f"{mapping}:5: teacher.email: column 'Email address' is not in {csv_path}"]


def test_headers_match_ignoring_case_and_spacing(tmp_path, importing):
    catalog, mapping, private = importing
    header = [h.upper() + "  " for h in CSV_HEADER]
    import_csv(write_csv(tmp_path / "r.csv", [csv_row()], header=header), mapping, catalog, private, today=date(2025, 4, 1))
    assert stored(private) == ["2025-03-14-ana-lopez-wait-time.yml"]


@pytest.mark.parametrize(("mapping_text", "message"), [
    (MAPPING_YML + "teacher.mail: \"Email address\"\n", "map.yml:10: teacher.mail: unknown field 'teacher.mail' (did you mean 'teacher.email'?)"),
    (MAPPING_YML + "overview.goals: \"Goals\"\n", "map.yml:10: overview.goals: 'goals' is not an overview id of any credential in the catalog"),
    (MAPPING_YML.replace('credential: "Which micro-credential?"\n', ""), "map.yml:1: give either credential:"),
    (MAPPING_YML + "credentials:\n  nope:\n    overview.context: \"X\"\n", "map.yml:11: credentials.nope: no credential 'nope' in the catalog"),
    (MAPPING_YML.replace('teacher.email: "Email address"', "teacher.email: 42"), "map.yml:5: teacher.email: expected the column header, in quotes"),
    (MAPPING_YML.replace('reflection.impact: "What changed?"\n', ""), "map.yml: reflection.impact: no column mapped, needed for wait-time"),
], ids=["unknown field", "unknown question id", "no credential column", "unknown credential section", "header not text", "incomplete mapping"])
def test_mapping_problems_name_the_mapping_file(tmp_path, importing, mapping_text, message):
    catalog, mapping, private = importing
    mapping.write_text(mapping_text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_csv(write_csv(tmp_path / "r.csv", [csv_row()]), mapping, catalog, private, today=date(2025, 4, 1))
    problems = [p.replace(str(mapping), "map.yml") for p in problems_of(caught.value)]
    assert any(p.startswith(message) for p in problems), problems


def test_per_credential_sections_and_constant_credential(tmp_path, importing):
    catalog, mapping, private = importing
    header = ["Submitted", "Email", "Name", "Class (wait time two)", "Video", "Change", "Consent"]
    mapping.write_text(
        'format: 1\ncredential_id: wait-time-two\ndate_order: DMY\nsubmitted: "Submitted"\nteacher.name: "Name"\n'
        'teacher.email: "Email"\nartifacts.video: "Video"\nreflection.impact: "Change"\n'
        'consent.show_evidence_on_badge: {column: "Consent", yes_if: "show my evidence"}\n'
        'credentials:\n  wait-time-two:\n    overview.context: "Class (wait time two)"\n', encoding="utf-8")
    rows = [["14/03/2025 10:00", "ana@testville.example", "Ana", "My class", "https://example.org/v", "It changed",
             "Show my evidence, Put links in badge"]]
    import_csv(write_csv(tmp_path / "r.csv", rows, header=header), mapping, catalog, private, today=date(2025, 4, 1))
    submission = load_submission(private / "submissions" / "wait-time-two" / "2025-03-14-ana-wait-time-two.yml", catalog)
    assert submission.overview == {"context": "My class"} and submission.consent.show_evidence_on_badge


def test_upload_questions_with_several_files_keep_every_link(tmp_path, importing):
    catalog, mapping, private = importing
    rows = [csv_row(video="https://drive.example.org/a, https://drive.example.org/b")]
    report = import_csv(write_csv(tmp_path / "r.csv", rows), mapping, catalog, private, today=date(2025, 4, 1))
    evidence = load_submission(report.written[0], catalog).artifacts["video"]
    assert evidence == Evidence("https://drive.example.org/a", "Also: https://drive.example.org/b")


def test_credential_titles_are_accepted_in_the_credential_column(tmp_path, importing):
    catalog, mapping, private = importing
    rows = [csv_row(credential="wait time WAIT-TIME"), csv_row(credential="Wait Time (wait-time-two)", name="Kim")]
    report = import_csv(write_csv(tmp_path / "r.csv", rows), mapping, catalog, private, today=date(2025, 4, 1))
    assert [p.parent.name for p in report.written] == ["wait-time", "wait-time-two"]


@pytest.mark.parametrize(("raw", "message"), [
    ("Name,Email\nAna,\"unterminated\n".encode(), "not valid CSV"),
    ("Name,Email\nJosé,a@b.example\n".encode("cp1252"), "not UTF-8 text"),
    (b"", "the file is empty"),
], ids=["unterminated quote", "not UTF-8", "empty file"])
def test_unreadable_exports(tmp_path, importing, raw, message):
    catalog, mapping, private = importing
    csv_path = tmp_path / "r.csv"
    csv_path.write_bytes(raw)
    with pytest.raises(SubmissionError, match=message):
        import_csv(csv_path, mapping, catalog, private, today=date(2025, 4, 1))


def test_schema_and_credential_problems_are_reported_together(tmp_path, district):
    _, catalog = district
    text = SUBMISSION_YML.replace("ana.lopez@testville.example", "ana@").replace("https://", "http://").replace("  impact: |", "  1: |")
    with pytest.raises(ValidationError) as caught:
        load_submission(write_submission(tmp_path, text), catalog, display="s.yml")
    assert [str(p) for p in caught.value.problems] == [
        "s.yml:8: teacher.email: 'ana@' is not an e-mail address",
        "s.yml:16: artifacts.video.url: links must start with https:// (http links can be read and altered on the way)",
        "s.yml:18: reflection.impact: no answer for reflection prompt 'impact'",
        "s.yml:19: reflection.1: '1' is not a valid id: use lowercase letters, digits and single hyphens",
    ]


def test_storing_a_teacher_file_ignores_formatting_differences(tmp_path, district):
    _, catalog = district
    private = tmp_path / "private"
    teacher_file = write_submission(tmp_path, SUBMISSION_YML + "# a comment the teacher added\n")
    submission = load_submission(teacher_file, catalog)
    stored_path = store_submission(submission, private)
    reformatted = SUBMISSION_YML.replace("  school: Lincoln Elementary\n", "  school: '  Lincoln Elementary '\n")
    stored_path.write_text(reformatted, encoding="utf-8")  # same answers, different layout
    assert store_submission(load_submission(teacher_file, catalog), private) == stored_path
    assert store_submission(load_submission(stored_path, catalog), private) == stored_path  # reviewing the stored copy


def test_every_sample_credential_has_a_working_template_and_issue_form(tmp_path):
    from district_factory import REPO_ROOT

    catalog = load_catalog(REPO_ROOT)
    for definition in catalog.active:
        filled = fill_template(submission_template(definition))
        for question in definition.submission.overview + definition.submission.reflection:
            filled = filled.replace(f"  {question.id}: |\n", f"  {question.id}: |\n    An answer.\n")
        filled = filled.replace('    url: ""', "    url: https://drive.example.org/v/1")
        assert load_submission(write_submission(tmp_path, filled, f"{definition.id}.yml"), catalog).credential_id == definition.id
    out = tmp_path / "forms"
    generate_issue_forms(catalog, out)
    forms = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(out.glob("*.yml")) if path.name != "config.yml"]
    assert len(forms) == len(catalog.active) and len({form["name"] for form in forms}) == len(forms)
    for form in forms:
        assert_valid_issue_form(form)

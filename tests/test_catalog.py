"""Catalog loading and every validation rule, each with the file, line and field it must name."""

from __future__ import annotations

from pathlib import Path

import pytest
from district_factory import STACKS_YML, credential_yaml, make_district

from credfolio.catalog import field_reference, load_catalog
from credfolio.errors import ValidationError

BASE = credential_yaml("wait-time")


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def _problems(tmp_path: Path, text: str, *, stacks: str | None = None, name: str = "wait-time") -> list[str]:
    credentials = {name: text, "wait-time-two": credential_yaml("wait-time-two")}
    make_district(tmp_path, credentials=credentials, stacks=stacks)
    with pytest.raises(ValidationError) as raised:
        load_catalog(tmp_path)
    return [str(problem) for problem in raised.value.problems]


def test_valid_catalog_loads(tmp_path):
    make_district(tmp_path)
    catalog = load_catalog(tmp_path)
    assert sorted(catalog.credentials) == ["wait-time", "wait-time-two"]
    assert catalog.stacks[0].all_credentials == ["wait-time", "wait-time-two"]
    assert catalog.stack_hours(catalog.stacks[0]) == 20
    definition = catalog.credentials["wait-time"]
    assert definition.passing_rule_text() == "Proficient or above on every row"
    assert definition.passes({"pausing": "proficient", "reflection": "exemplary"})
    assert not definition.passes({"pausing": "developing", "reflection": "exemplary"})
    assert catalog.warnings == []


# (case id, replace old -> new in the valid file, expected needle line in the NEW text, expected field, message part)
FIELD_CASES = [
    ("missing required field", ('competency: The educator uses wait time after questions so that more students think and respond.\n', ""),
     None, "competency", "required field is missing"),
    ("unknown field with typo hint", ("hours: 10", "hours: 10\nhuors: 12"), "huors", "huors", "did you mean 'hours'"),
    ("wrong type", ("hours: 10", "hours: ten"), "hours: ten", "hours", "valid number"),
    ("unquoted version", ('version: "1.0.0"', "version: 1.0"), "version: 1.0", "version", "in quotes"),
    ("bad status", ("status: active", "status: published"), "status: published", "status", "'draft', 'active' or 'retired'"),
    ("id with uppercase and spaces", ("id: wait-time", "id: Wait Time"), "id: Wait Time", "id", "not a valid id"),
    ("id with path traversal", ("id: wait-time", "id: ../../etc/passwd"), "id: ../../etc", "id", "not a valid id"),
    ("non-https resource url", ('url: "https://www.edutopia.org/"', 'url: "javascript:alert(1)"'), "javascript:", "resources[0].url", "https"),
    ("grade band not allowed", ('grade_bands: ["3-5", "6-8"]', 'grade_bands: ["3-5", "13"]'), "grade_bands", "grade_bands[1]", "PK-2"),
    ("word limit too small", ("word_limit: 200", "word_limit: 5"), "word_limit: 5", "submission.overview[0].word_limit", "greater than or equal to 25"),
    ("negative cost", ("  amount: 0", "  amount: -5"), "amount: -5", "cost.amount", "greater than or equal to 0"),
    ("empty rubric rows", None, None, "rubric.rows", ""),
]


@pytest.mark.parametrize("case_id,replace,needle,field,message", FIELD_CASES, ids=[c[0] for c in FIELD_CASES])
def test_field_errors_name_file_line_and_field(tmp_path, case_id, replace, needle, field, message):
    if replace is None:
        start = BASE.index("  rows:\n")
        end = BASE.index("  passing:")
        text = BASE[:start] + "  rows: []\n" + BASE[end:]
        needle = "  rows: []"
    else:
        assert replace[0] in BASE
        text = BASE.replace(replace[0], replace[1], 1)
    problems = _problems(tmp_path, text)
    matching = [p for p in problems if f": {field}: " in p]
    assert matching, problems
    line = _line_of(text, needle) if needle else None
    if line is not None:
        assert any(p.startswith(f"catalog/wait-time.yml:{line}: {field}: ") for p in matching), (line, matching)
    else:
        assert all(p.startswith("catalog/wait-time.yml:") for p in matching)
    assert any(message in p for p in matching), matching


RULE_CASES = [
    ("id differs from file name", ("id: wait-time", "id: wait-times"), "id: wait-times", "id", "must match the file name"),
    ("descriptor for unknown level", ('        not-yet: "Rarely pauses."', '        not-yet: "Rarely pauses."\n        superb: "x"'),
     "superb", "rubric.rows[0].descriptors.superb", "is not a rubric level"),
    ("missing descriptor", ('        not-yet: "Rarely pauses."\n', ""), "descriptors:", "rubric.rows[0].descriptors", "missing a descriptor for level(s) not-yet"),
    ("artifact scores unknown row", ("rubric_rows: [pausing]", "rubric_rows: [pausing, pacing]"), "rubric_rows: [pausing, pacing]",
     "submission.artifacts[0].rubric_rows[1]", "'pacing' is not a rubric row"),
    ("row not scored by anything", ("      rubric_rows: [reflection]\n", ""), "- id: reflection\n      criterion", "rubric.rows[1].id",
     "not scored by any artifact"),
    ("passing level unknown", ("minimum_level: proficient", "minimum_level: good"), "minimum_level: good", "rubric.passing.minimum_level",
     "not a rubric level"),
    ("points must decrease", ("{id: developing, name: Developing, points: 2}", "{id: developing, name: Developing, points: 5}"),
     "id: developing", "rubric.levels[2].points", "points must decrease"),
    ("duplicate level id", ("{id: developing, name: Developing, points: 2}", "{id: proficient, name: Developing, points: 2}"),
     "name: Developing", "rubric.levels[2].id", "listed twice"),
    ("missing image file", ("hours: 10", "hours: 10\nimage: images/nope.svg"), "image: images/nope.svg", "image", "does not exist"),
    ("image path escapes repo", ("hours: 10", "hours: 10\nimage: ../../secret.png"), "image: ../../secret.png", "image", "inside the repository"),
]


@pytest.mark.parametrize("case_id,replace,needle,field,message", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_cross_field_rules(tmp_path, case_id, replace, needle, field, message):
    assert replace[0] in BASE, replace[0]
    text = BASE.replace(replace[0], replace[1], 1)
    problems = _problems(tmp_path, text)
    first_line = needle.split("\n")[0]
    line = _line_of(text, first_line)
    expected = f"catalog/wait-time.yml:{line}: {field}: "
    assert any(p.startswith(expected) and message in p for p in problems), (expected, problems)


HOSTILE = [
    ("yaml syntax error", b"id: wait-time\ntitle: [unclosed\n", 3, "YAML syntax error"),
    ("tab indentation", b"id: wait-time\nresearch:\n\trationale: x\n", 3, "tab"),
    ("duplicate key", b"id: wait-time\ntitle: a\ntitle: b\n", 3, "duplicate key 'title' (first defined on line 2)"),
    ("python tag", b"id: !!python/object/apply:os.system ['echo pwned']\n", 1, "not allowed"),
    ("alias bomb", b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b]\n", 1,
     "anchors and aliases"),
    ("invalid utf-8", b"id: wait-time\ntitle: caf\xe9\n", 2, "not valid UTF-8"),
    ("binary file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "NUL bytes"),
    ("top level list", b"- id: wait-time\n", 1, "expected a mapping"),
    ("empty file", b"", 1, "expected a mapping"),
    ("deep nesting", b"a: " + b"[" * 200 + b"]" * 200 + b"\n", 1, ""),
]


@pytest.mark.parametrize("case_id,content,line,message", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_files_give_one_clear_error(tmp_path, case_id, content, line, message):
    make_district(tmp_path, stacks=None)
    (tmp_path / "catalog" / "wait-time.yml").write_bytes(content)
    with pytest.raises(ValidationError) as raised:
        load_catalog(tmp_path)
    problems = [str(p) for p in raised.value.problems]
    assert len(problems) == 1, problems
    prefix = "catalog/wait-time.yml: " if line is None else f"catalog/wait-time.yml:{line}: "
    assert problems[0].startswith(prefix), problems
    assert message in problems[0]


def test_multi_megabyte_file_is_refused_without_parsing(tmp_path):
    make_district(tmp_path, stacks=None)
    (tmp_path / "catalog" / "wait-time.yml").write_bytes(b"# " + b"x" * (3 * 1024 * 1024) + b"\n")
    with pytest.raises(ValidationError) as raised:
        load_catalog(tmp_path)
    assert "the limit is 2 MB" in str(raised.value.problems[0])


def test_symlink_out_of_repo_is_refused(tmp_path):
    outside = tmp_path / "outside.yml"
    outside.write_text(BASE)
    district = make_district(tmp_path / "district", stacks=None, credentials={"wait-time-two": credential_yaml("wait-time-two")})
    (district / "catalog" / "wait-time.yml").symlink_to(outside)
    with pytest.raises(ValidationError) as raised:
        load_catalog(district)
    assert "symbolic link" in str(raised.value.problems[0])


def test_bom_is_accepted(tmp_path):
    make_district(tmp_path)
    path = tmp_path / "catalog" / "wait-time.yml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert "wait-time" in load_catalog(tmp_path).credentials


def test_every_problem_in_every_file_is_reported(tmp_path):
    bad_one = BASE.replace("hours: 10", "hours: -1")
    bad_two = credential_yaml("wait-time-two").replace("status: active", "status: nope")
    make_district(tmp_path, credentials={"wait-time": bad_one, "wait-time-two": bad_two})
    with pytest.raises(ValidationError) as raised:
        load_catalog(tmp_path)
    files = {str(p).split(":")[0] for p in raised.value.problems}
    assert files == {"catalog/wait-time.yml", "catalog/wait-time-two.yml"}


STACK_CASES = [
    ("unknown credential with hint", STACKS_YML.replace("wait-time-two]", "wait-tim-two]"), "credentials: [", "stacks[0].credentials[1]",
     "no credential 'wait-tim-two' in the catalog (did you mean 'wait-time-two'?)"),
    ("capstone also a step", STACKS_YML.replace("    earns:", "    capstone: wait-time\n    earns:"), "capstone: wait-time", "stacks[0].capstone",
     "also listed in credentials"),
    ("duplicate stack id", STACKS_YML + STACKS_YML.split("stacks:\n", 1)[1], None, "stacks[1].id", "stack 'questioning' is listed twice"),
    ("unknown stack field", STACKS_YML.replace("    earns:", "    earnz: x\n    earns:"), "earnz", "stacks[0].earnz", "did you mean 'earns'"),
]


@pytest.mark.parametrize("case_id,stacks,needle,field,message", STACK_CASES, ids=[c[0] for c in STACK_CASES])
def test_stack_rules(tmp_path, case_id, stacks, needle, field, message):
    problems = _problems(tmp_path, BASE, stacks=stacks)
    matching = [p for p in problems if p.startswith("catalog/stacks.yml:") and f": {field}: " in p and message in p]
    assert matching, problems
    if needle:
        assert matching[0].startswith(f"catalog/stacks.yml:{_line_of(stacks, needle)}: ")


def test_retired_credential_in_stack_is_a_warning(tmp_path):
    make_district(tmp_path, credentials={"wait-time": BASE, "wait-time-two": credential_yaml("wait-time-two", status="retired")})
    catalog = load_catalog(tmp_path)
    assert any("retired" in str(w) for w in catalog.warnings)


def test_missing_alt_text_is_a_warning(tmp_path):
    text = BASE.replace('alt_text: "Badge: an hourglass"\n', "")
    make_district(tmp_path, credentials={"wait-time": text, "wait-time-two": credential_yaml("wait-time-two")})
    catalog = load_catalog(tmp_path)
    assert [str(w) for w in catalog.warnings] == ["catalog/wait-time.yml:1: alt_text: warning: no alt_text: screen-reader users will hear only the title"]


def test_field_reference_documents_every_field():
    reference = field_reference()
    for name in ("id", "rubric.levels[].points", "rubric.passing.minimum_level", "submission.artifacts[].rubric_rows",
                 "cost.amount", "alignments[].framework", "expires_after", "stacks[].capstone", "stacks[].earns.badge"):
        assert f"`{name}`" in reference, name

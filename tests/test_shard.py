"""A build sharded by teacher slug (CREDFOLIO_SHARD) merges into exactly the single build's site."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml
from mkdocs.exceptions import Abort
from site_build import build

from credfolio import cli, shard, synth, wallet
from credfolio.config import load_district
from credfolio.errors import ShardError
from credfolio.shard import MARKER_FILE, Shard, check_shards, merge_shards, parse_shard

#: Three teacher shards covering a-z0-9 (one mixes a range and a literal prefix), and the shared part.
SHARDS = ("a-h", "i-q,r", "s-z,0-9", "none")
EPOCH = "1790000000"


def tree(site: Path) -> dict[str, str]:
    """SHA-256 of every file under ``site``, by relative path."""
    return {path.relative_to(site).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(site.rglob("*")) if path.is_file()}


def build_part(root: Path, site: Path, spec: str | None) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        if spec is None:
            patch.delenv(shard.SHARD_ENV, raising=False)
        else:
            patch.setenv(shard.SHARD_ENV, spec)
        return build(root / "mkdocs.yml", site)


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> Path:
    """A synthetic district: 30 teachers, 24 with a wallet page, 50 badges; one teacher withdrew consent."""
    root = tmp_path_factory.mktemp("shard") / "district"
    synth.synthesize_district(root, teachers=30, badges=50, credentials=6, seed=3, processes=1)
    # their published badges become withdrawn-badge pages, which belong to the shared part
    teacher = wallet.teacher_path(load_district(root), "soren-celik")
    data = yaml.safe_load(teacher.read_text(encoding="utf-8"))
    data["consent"]["wallet_page"] = False
    teacher.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def sites(district, tmp_path_factory) -> dict[str | None, Path]:
    """The single build (key ``None``) and one build per part of :data:`SHARDS`."""
    folder = tmp_path_factory.mktemp("sites")
    return {spec: build_part(district, folder / f"site-{spec or 'single'}", spec) for spec in (None, *SHARDS)}


def teachers_of(district: Path) -> list[str]:
    return sorted(slug for slug, t in wallet.load_teachers(load_district(district)).items() if t.consent.wallet_page)


def test_the_merged_shards_are_the_single_build_byte_for_byte(sites, tmp_path):
    report = merge_shards([sites[spec] for spec in SHARDS], tmp_path / "merged")
    single, merged = tree(sites[None]), tree(tmp_path / "merged")
    assert sorted(merged.keys() ^ single.keys()) == []
    assert [path for path in single if single[path] != merged[path]] == []
    assert report.parts == len(SHARDS) and report.files == len(single)
    assert not (sites[None] / MARKER_FILE).exists()


def test_a_teacher_shard_writes_and_verifies_only_its_teachers(district, sites):
    part = sites["a-h"]
    marker = json.loads((part / MARKER_FILE).read_text(encoding="utf-8"))
    assert marker["covered"] and all(slug[0] in "abcdefgh" for slug in marker["covered"])
    assert marker["teachers"] == teachers_of(district)
    assert sorted(path.name for path in (part / "wallet").iterdir()) == marker["covered"]
    config = load_district(district)
    owners = {badge_id: (entry.issued or {}).get("teacher") or "" for badge_id, entry in wallet.read_state(config).badges.items()}
    published = [path.stem for path in (part / "badges").glob("*.json")]
    assert published and all(owners[badge_id][0] in "abcdefgh" for badge_id in published)
    # what names no teacher comes from the shared part only
    for shared in ("ledger.jsonl", "program", "verify", "catalog.json", "assets/credfolio/wallet.css"):
        assert not (part / shared).exists(), shared
    cache = district / ".cache" / "credfolio"
    assert (cache / "verdicts.shard-a-h.json").is_file() and (cache / "pages-manifest.shard-a-h.json").is_file()


def test_the_shared_part_names_no_teacher(sites):
    part = sites["none"]
    assert not (part / "wallet").exists() or not any((part / "wallet").iterdir())
    assert list((part / "badges").glob("*.json")) == []
    withdrawn = [path.parent.name for path in (part / "badges").glob("*/index.html")]
    assert withdrawn, "the synthetic district has withdrawn badges"
    for shared in ("ledger.jsonl", "program/index.html", "verify/index.html", "did.json", "catalog.json"):
        assert (part / shared).is_file(), shared


def test_a_shard_rebuilt_into_its_folder_is_unchanged(district, sites, tmp_path):
    part = tmp_path / "again"
    shutil.copytree(sites["i-q,r"], part)
    before = tree(part)
    build_part(district, part, "i-q,r")  # incremental: the shard's own manifest describes another folder, so all again
    build_part(district, part, "i-q,r")  # and now from its manifest
    assert tree(part) == before


def test_a_folder_reused_by_another_shard_keeps_none_of_its_pages(district, sites, tmp_path):
    part = tmp_path / "reused"
    for spec in ("a-h", "i-q,r", "a-h"):
        build_part(district, part, spec)
    assert tree(part) == tree(sites["a-h"])


# --- CREDFOLIO_SHARD values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "prefixes"), [
    pytest.param("a-c", ("a", "b", "c"), id="a range of first letters"),
    pytest.param("a-c,d", ("a", "b", "c", "d"), id="a range and a letter"),
    pytest.param(" 0-2 , mar ", ("0", "1", "2", "mar"), id="digits and a literal prefix, spaces around items"),
    pytest.param("8-b", ("8", "9", "a", "b"), id="a range from digits into letters"),
    pytest.param("S-T", ("s", "t"), id="upper case is read as lower case"),
])
def test_shard_values_parse_into_prefixes(text, prefixes):
    parsed = parse_shard(text)
    assert parsed.prefixes == prefixes and parsed.is_sharded and not parsed.writes_shared
    assert all(parsed.covers(prefix + "-smith") for prefix in prefixes)
    assert not parsed.covers("zz-top")


def test_none_and_unset_are_the_shared_part_and_everything():
    assert parse_shard("none") == Shard("none") and parse_shard("none").writes_shared
    assert not parse_shard("none").covers("ana")
    for unset in (None, "", "  "):
        assert parse_shard(unset) == Shard() and Shard().covers("ana") and Shard().writes_shared
    assert Shard().cache_name("verdicts.json") == "verdicts.json"
    assert parse_shard("a-c,d").cache_name("verdicts.json") == "verdicts.shard-a-c_d.json"


@pytest.mark.parametrize("text", [
    pytest.param("c-a", id="rejects a range that runs backwards"),
    pytest.param("a-", id="rejects a range without an end"),
    pytest.param("ab-cd", id="rejects a range of more than one character"),
    pytest.param("a,,b", id="rejects an empty item"),
    pytest.param("none,a", id="rejects none combined with prefixes"),
    pytest.param("é", id="rejects a character no slug has"),
    pytest.param("a*", id="rejects a wildcard"),
    pytest.param("../x", id="rejects a path"),
])
def test_bad_shard_values_are_a_typed_error_naming_the_variable(text):
    with pytest.raises(ShardError, match=shard.SHARD_ENV):
        parse_shard(text)


def test_a_bad_shard_value_fails_the_build_with_one_line(district, tmp_path, caplog):
    with pytest.raises(Abort):
        build_part(district, tmp_path / "site", "a-c,zz-top")
    errors = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].startswith(f"credfolio: {shard.SHARD_ENV}: 'zz-top'") and "\n" not in errors[0]


# --- checking a set of shards ------------------------------------------------------------------------------


@pytest.mark.parametrize(("specs", "slugs", "problem"), [
    pytest.param(("a-m", "n-z", "none"), None, "slugs starting with 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 are in no shard",
                 id="reports first characters no shard covers"),
    pytest.param(("a-m", "n-z,0-8", "mar", "none"), None, "slugs starting with 9 are in no shard",
                 id="reports a single uncovered digit"),
    pytest.param(("a-m", "n-z,0-9", "mar", "none"), None, "shards 'a-m' and 'mar' both cover slugs starting with mar",
                 id="reports two shards covering the same slugs"),
    pytest.param(("a-m", "n-z,0-9"), None, "exactly one part must be 'none'", id="reports a missing shared part"),
    pytest.param(("a-z,0-9", "none", "none"), None, "exactly one part must be 'none'", id="reports two shared parts"),
    pytest.param(("a-l", "mar", "n-z,0-9", "none"), ["mei-chen"], "teacher 'mei-chen' is in no shard",
                 id="reports a teacher between the shards"),
])
def test_check_shards_reports_gaps_and_overlaps(specs, slugs, problem):
    problems = check_shards([parse_shard(spec) for spec in specs], slugs)
    assert any(found.startswith(problem) for found in problems), problems


def test_the_test_shards_cover_every_teacher_once(district):
    assert check_shards([parse_shard(spec) for spec in SHARDS], teachers_of(district)) == []


# --- merging -----------------------------------------------------------------------------------------------


def _drop_a_shard(sites, tmp_path):
    return [sites[spec] for spec in SHARDS if spec != "i-q,r"], "is in no shard"


def _a_shard_twice(sites, tmp_path):
    return [sites[spec] for spec in SHARDS] + [sites["a-h"]], "shards 'a-h' and 'a-h' both cover"


def _a_file_in_two_parts(sites, tmp_path):
    shared = tmp_path / "shared"
    shutil.copytree(sites["none"], shared)
    name = next((sites["a-h"] / "wallet").iterdir()).name
    (shared / "wallet" / name).mkdir(parents=True)
    (shared / "wallet" / name / "index.html").write_text("a page of someone else's", encoding="utf-8")
    return [sites["a-h"], sites["i-q,r"], sites["s-z,0-9"], shared], f"wallet/{name}/index.html is in both"


def _the_single_build(sites, tmp_path):
    return [sites[None], *[sites[spec] for spec in SHARDS]], "not a sharded build"


def _other_teachers(sites, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(sites["none"], other)
    marker = json.loads((other / MARKER_FILE).read_text(encoding="utf-8"))
    marker["teachers"].append("zz-new-teacher")
    (other / MARKER_FILE).write_text(json.dumps(marker), encoding="utf-8")
    return [sites["a-h"], sites["i-q,r"], sites["s-z,0-9"], other], "built from other teachers"


@pytest.mark.parametrize("make", [
    pytest.param(_drop_a_shard, id="refuses when a teacher is in no shard"),
    pytest.param(_a_shard_twice, id="refuses a shard given twice"),
    pytest.param(_a_file_in_two_parts, id="refuses a file two parts contribute, naming it"),
    pytest.param(_the_single_build, id="refuses an unsharded build"),
    pytest.param(_other_teachers, id="refuses parts built from different wallets"),
])
def test_merge_refuses_parts_that_do_not_fit(sites, tmp_path, make):
    sources, message = make(sites, tmp_path)
    with pytest.raises(ShardError, match=message):
        merge_shards(sources, tmp_path / "merged")


def test_merge_refuses_a_folder_that_is_not_empty(sites, tmp_path):
    (tmp_path / "merged").mkdir()
    (tmp_path / "merged" / "old.html").write_text("", encoding="utf-8")
    with pytest.raises(ShardError, match="must be new or empty"):
        merge_shards([sites[spec] for spec in SHARDS], tmp_path / "merged")


def test_the_merge_command_reports_in_one_line(sites, tmp_path, capsys):
    parts = [str(sites[spec]) for spec in SHARDS]
    assert cli.main(["shards", "merge", *parts, "--into", str(tmp_path / "merged")]) == 0
    assert "merged 4 parts" in capsys.readouterr().out
    assert cli.main(["shards", "merge", *parts[1:], "--into", str(tmp_path / "again")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: teacher '") and error.count("\n") == 1


def test_the_check_command_lists_each_problem(district, capsys):
    assert cli.main(["shards", "check", *SHARDS, "--district", str(district)]) == 0
    assert cli.main(["shards", "check", "a-m", "n-z", "none", "--district", str(district)]) == 1
    assert "are in no shard" in capsys.readouterr().err

"""`credfolio migrate` and the district format: refusal of other formats, steps, backups, dirty trees, crashes.

credfolio's first published format is 1, so the real registry is empty. The tests register a real step
from a format-0 fixture (``extra.credfolio.district_name`` and the catalog's ``pd_hours`` renamed to
``name`` and ``hours``) and run the whole machinery on it.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from district_factory import MKDOCS_YML, make_district

from credfolio import migrate
from credfolio.catalog import load_catalog
from credfolio.cli import main
from credfolio.config import load_district
from credfolio.errors import ConfigError, MigrationError
from credfolio.migrate import (
    DistrictFiles,
    Migration,
    migrate_district,
    plan_migration,
    read_format,
    rename_key,
    set_scalar,
)

NOW = datetime(2026, 11, 28, 18, 30, tzinfo=UTC)
FORMAT_0_MKDOCS = """\
site_name: Testville Schools Micro-credentials
site_url: https://testville.github.io/mc/   # where the site lives
theme:
  name: material
extra:
  credfolio:
    format: 0
    # the district's name, as badges show it
    district_name: Testville School District
"""


def rename_format_0_fields(files: DistrictFiles) -> None:
    """The test step: format 0 called the district name `district_name` and credential hours `pd_hours`."""
    files.write("mkdocs.yml", rename_key(files.read("mkdocs.yml"), ("extra", "credfolio", "district_name"), "name", display="mkdocs.yml"))
    for relative in files.glob("catalog/*.yml"):
        if relative != "catalog/stacks.yml":
            files.write(relative, rename_key(files.read(relative), ("pd_hours",), "hours", display=relative))


TEST_MIGRATIONS = {0: Migration(0, "rename district_name to name and pd_hours to hours", rename_format_0_fields)}


@pytest.fixture
def format_0(tmp_path) -> Path:
    """A format-0 district: the current district fixture with the old names."""
    root = make_district(tmp_path / "district", mkdocs_yml=FORMAT_0_MKDOCS)
    for path in (root / "catalog").glob("wait-time*.yml"):
        path.write_text(path.read_text(encoding="utf-8").replace("\nhours: 10\n", "\npd_hours: 10   # PD hours\n"), encoding="utf-8")
    return root


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setattr(migrate, "MIGRATIONS", dict(TEST_MIGRATIONS))


def run(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = main(list(args))
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args], cwd=root,
                          capture_output=True, text=True, check=True, timeout=60).stdout


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and ".git" not in p.parts}


# --- load_district knows the format ------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "message"), [
    (0, "mkdocs.yml:5: extra.credfolio.format: format 0 is older than credfolio {v} reads (format 1): "
        "run `credfolio migrate` to update the district's files"),
    (2, "mkdocs.yml:5: extra.credfolio.format: format 2 is newer than credfolio {v} understands (format 1): "
        "upgrade credfolio (python -m pip install --upgrade credfolio)"),
], ids=["older format asks for migrate", "newer format asks for an upgrade"])
def test_load_district_refuses_other_formats_with_the_way_out(tmp_path, number, message):
    from credfolio import __version__

    make_district(tmp_path, mkdocs_yml=MKDOCS_YML.replace("format: 1", f"format: {number}"))
    with pytest.raises(ConfigError) as raised:
        load_district(tmp_path)
    assert str(raised.value) == message.format(v=__version__)


def test_a_missing_format_means_1(tmp_path):
    make_district(tmp_path, mkdocs_yml=MKDOCS_YML.replace("    format: 1\n", ""))
    assert load_district(tmp_path).settings.format == 1
    assert read_format(tmp_path) == 1


def test_check_reports_an_old_format_in_one_line(format_0):
    code, out, err = run("check", "--district", str(format_0))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "run `credfolio migrate`" in err


# --- migrate ------------------------------------------------------------------------------------------------


def test_current_district_is_already_at_format_1(tmp_path):
    make_district(tmp_path)
    before = snapshot(tmp_path)
    assert run("migrate", "--district", str(tmp_path)) == (0, "already at format 1: nothing to migrate\n", "")
    assert snapshot(tmp_path) == before


def test_migrate_applies_the_steps_keeps_comments_and_backs_up(format_0, registered):
    before = snapshot(format_0)
    code, out, err = run("migrate", "--district", str(format_0))
    assert (code, err) == (0, ""), err
    lines = out.splitlines()
    assert lines[0] == "format 0 → 1: rename district_name to name and pd_hours to hours"
    assert lines[1] == "migrated from format 0 to 1: changed catalog/wait-time-two.yml, catalog/wait-time.yml, mkdocs.yml"
    assert lines[-1] == "next: credfolio check, review `git diff`, commit; then delete the backup folder"
    config = (format_0 / "mkdocs.yml").read_text(encoding="utf-8")
    assert config == FORMAT_0_MKDOCS.replace("format: 0", "format: 1").replace("district_name:", "name:")
    assert "pd_hours: 10   # PD hours" not in (format_0 / "catalog" / "wait-time.yml").read_text(encoding="utf-8")
    assert "\nhours: 10   # PD hours\n" in (format_0 / "catalog" / "wait-time.yml").read_text(encoding="utf-8")
    assert load_district(format_0).name == "Testville School District"
    assert load_catalog(format_0).credentials["wait-time"].hours == 10
    backups = list((format_0 / ".credfolio-backup").iterdir())
    assert len(backups) == 1 and backups[0].name.endswith("-format-0")
    assert lines[2] == f"the previous files are in {backups[0]}"
    assert snapshot(backups[0]) == {name: data for name, data in before.items()
                                   if name in ("mkdocs.yml", "catalog/wait-time.yml", "catalog/wait-time-two.yml")}
    assert run("migrate", "--district", str(format_0)) == (0, "already at format 1: nothing to migrate\n", "")


def test_dirty_git_tree_is_refused_unless_forced(format_0, registered):
    git(format_0, "init", "-q", "-b", "main")
    git(format_0, "add", ".")
    git(format_0, "commit", "-q", "-m", "format 0")
    (format_0 / "catalog" / "wait-time.yml").write_text((format_0 / "catalog" / "wait-time.yml").read_text(encoding="utf-8") + "# edit\n",
                                                         encoding="utf-8")
    before = snapshot(format_0)
    code, out, err = run("migrate", "--district", str(format_0))
    assert (code, out) == (1, "")
    assert err == ("error: the git working tree has uncommitted changes (catalog/wait-time.yml): commit or stash them first, "
                   "so the migration is one change you can review and undo, or pass --force\n")
    assert snapshot(format_0) == before
    assert run("migrate", "--district", str(format_0), "--force")[0] == 0
    assert read_format(format_0) == 1


def test_clean_git_tree_migrates_into_one_reviewable_diff(format_0, registered):
    git(format_0, "init", "-q", "-b", "main")
    (format_0 / ".gitignore").write_text(".credfolio-backup/\n", encoding="utf-8")
    git(format_0, "add", ".")
    git(format_0, "commit", "-q", "-m", "format 0")
    assert run("migrate", "--district", str(format_0))[0] == 0
    assert sorted(git(format_0, "diff", "--name-only").split()) == ["catalog/wait-time-two.yml", "catalog/wait-time.yml", "mkdocs.yml"]


def test_a_run_killed_before_mkdocs_yml_converges_on_rerun(format_0, registered, monkeypatch):
    real = migrate.atomic_write_text

    def crash_on_config(path, text, **kwargs):
        if Path(path).name == "mkdocs.yml":
            raise KeyboardInterrupt("killed")
        real(path, text, **kwargs)

    monkeypatch.setattr(migrate, "atomic_write_text", crash_on_config)
    with pytest.raises(KeyboardInterrupt):
        migrate_district(format_0, now=NOW)
    assert read_format(format_0) == 0  # the format number moves last
    monkeypatch.setattr(migrate, "atomic_write_text", real)
    result = migrate_district(format_0, now=NOW)
    assert result.changed == ("mkdocs.yml",)  # the catalog steps were already applied, and are idempotent
    assert load_catalog(format_0).credentials["wait-time-two"].hours == 10 and load_district(format_0).name


@pytest.mark.parametrize(("edit", "message"), [
    (lambda root: (root / "mkdocs.yml").write_text(FORMAT_0_MKDOCS.replace("format: 0", "format: 3"), encoding="utf-8"),
     "the district is in format 3, newer than credfolio"),
    (lambda root: (root / "mkdocs.yml").write_text(FORMAT_0_MKDOCS.replace("format: 0", "format: -1"), encoding="utf-8"),
     "extra.credfolio.format: must be a whole number"),
    (lambda root: (root / "mkdocs.yml").write_text(FORMAT_0_MKDOCS.replace("format: 0", "format: zero"), encoding="utf-8"),
     "extra.credfolio.format: must be a whole number, not 'zero'"),
    (lambda root: (root / "mkdocs.yml").write_text(FORMAT_0_MKDOCS.replace("format: 0", "format: [0"), encoding="utf-8"),
     "mkdocs.yml:9: YAML syntax error"),
    (lambda root: (root / "mkdocs.yml").unlink(), "no mkdocs.yml in "),
    (lambda root: (root / "mkdocs.yml").write_text(FORMAT_0_MKDOCS + "    name: Testville\n", encoding="utf-8"),
     "mkdocs.yml:9: extra.credfolio.district_name: both 'district_name' and 'name' are present"),
], ids=["newer format", "negative format", "format not a number", "broken yaml", "no mkdocs.yml", "old and new key both present"])
def test_migrate_refuses_with_one_line_and_writes_nothing(format_0, registered, edit, message):
    edit(format_0)
    before = snapshot(format_0)
    code, out, err = run("migrate", "--district", str(format_0))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and message in err, err
    assert snapshot(format_0) == before


def test_a_missing_step_is_named(format_0):
    # the real registry has no step from format 0: format 1 is the first published format
    with pytest.raises(MigrationError, match="no migration from format 0 to 1"):
        plan_migration(format_0)


def test_a_district_without_a_format_line_gets_one(tmp_path):
    # when format 2 arrives, districts that never wrote `format:` (meaning 1) get the line added
    make_district(tmp_path, mkdocs_yml=MKDOCS_YML.replace("    format: 1\n", ""))
    steps = {1: Migration(1, "nothing else changes", lambda files: None)}
    result = migrate_district(tmp_path, now=NOW, migrations=steps, current=2)
    assert result.changed == ("mkdocs.yml",)
    text = (tmp_path / "mkdocs.yml").read_text(encoding="utf-8")
    assert "  credfolio:\n    format: 2\n    name: Testville School District\n" in text


def test_steps_cannot_reach_outside_the_district(format_0):
    steps = {0: Migration(0, "escape", lambda files: files.write("../outside.yml", "x"))}
    with pytest.raises(MigrationError, match="outside the district"):
        migrate_district(format_0, now=NOW, migrations=steps)
    assert not (format_0.parent / "outside.yml").exists()


def test_text_edits_change_only_their_bytes():
    text = "a:\n  b: 1   # keep\n  c: 'x'\n"
    assert set_scalar(text, ("a", "b"), "2") == "a:\n  b: 2   # keep\n  c: 'x'\n"
    assert rename_key(text, ("a", "c"), "d") == "a:\n  b: 1   # keep\n  d: 'x'\n"
    assert rename_key(text, ("a", "zzz"), "d") == text


def test_backups_never_overwrite_each_other(format_0, registered):
    shutil.copytree(format_0, format_0.parent / "copy")
    first = migrate_district(format_0, now=NOW)
    again = format_0.parent / "copy"
    shutil.copytree(format_0 / ".credfolio-backup", again / ".credfolio-backup")
    second = migrate_district(again, now=NOW)
    assert first.backup.name == "20261128T183000Z-format-0" and second.backup.name == "20261128T183000Z-format-0-2"

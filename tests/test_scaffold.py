"""`credfolio init` and the scaffold: a new district checks, signs, issues and builds; nothing is ever clobbered.

Also the GitHub Pages workflows (the scaffold's and this repository's): they parse, run check and the
strict build, and name every action by a full commit SHA.
"""

from __future__ import annotations

import glob
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from district_factory import REPO_ROOT
from site_build import build

from credfolio import __version__
from credfolio.cli import main
from credfolio.errors import ScaffoldError
from credfolio.scaffold import SCAFFOLD_PACKAGE_DIR, init_district, normalize_site_url, scaffold_files, validate_district_name

NAME = "Lakeside Union School District"
SITE_URL = "https://lakeside-usd.github.io/micro-credentials/"
SCAFFOLD_SOURCE = REPO_ROOT / "src" / "credfolio" / SCAFFOLD_PACKAGE_DIR
EXPECTED_FILES = {
    "mkdocs.yml", "README.md", ".gitignore", ".github/workflows/pages.yml", ".github/dependabot.yml",
    "catalog/wait-time.yml", "catalog/exit-tickets.yml", "catalog/stacks.yml",
    "wallet/README.md", "hooks/credfolio.py", "overrides/main.html",
    "docs/index.md", "docs/teachers.md", "docs/verifying.md",
}
WORKFLOWS = {
    "scaffold": SCAFFOLD_SOURCE / "dot-github" / "workflows" / "pages.yml",
    "repository": REPO_ROOT / ".github" / "workflows" / "pages.yml",
}
TEACHER_YML = """\
format: 1
slug: maria-lopez
display_name: María López
consent:
  wallet_page: true
"""


def run(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = main(list(args))
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


# --- init ---------------------------------------------------------------------------------------------------


def test_init_writes_the_district_and_prints_next_steps(tmp_path):
    code, out, err = run("init", str(tmp_path / "lakeside"), "--name", NAME, "--site-url", SITE_URL)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (f"created {tmp_path / 'lakeside'} ({len(EXPECTED_FILES)} files) for {NAME}, "
                                   "issuer did:web:lakeside-usd.github.io:micro-credentials")
    assert "credfolio keys generate" in out and "git init" in out and "Source: GitHub Actions" in out
    assert set(snapshot(tmp_path / "lakeside")) == EXPECTED_FILES
    gitignore = (tmp_path / "lakeside" / ".gitignore").read_text(encoding="utf-8").splitlines()
    for pattern in ("site/", "build/", ".cache/", "private/", "keys/", "*.pem", "*.key"):
        assert pattern in gitignore


@pytest.mark.parametrize(("site_url", "did", "did_document"), [
    (SITE_URL, "did:web:lakeside-usd.github.io:micro-credentials", "did.json"),
    ("https://credentials.lakeside.example/", "did:web:credentials.lakeside.example", ".well-known/did.json"),
], ids=["github pages project site", "custom domain at the root"])
def test_a_new_district_checks_signs_issues_and_builds(tmp_path, monkeypatch, site_url, did, did_document):
    """The whole afternoon: init, check, keys generate, issue a published badge, build (which verifies it)."""
    root, keys, private = tmp_path / "lakeside", tmp_path / "keys", tmp_path / "private"
    monkeypatch.setenv("CREDFOLIO_PRIVATE_DIR", str(private))
    assert run("init", str(root), "--name", NAME, "--site-url", site_url)[0] == 0

    code, out, err = run("check", "--district", str(root))
    assert (code, err) == (0, ""), err
    assert out.startswith(f"ok: {NAME}: 2 credentials (2 active, 0 draft, 0 retired) in 1 stacks, 0 warnings")

    code, out, err = run("keys", "generate", "--district", str(root), "--keys-dir", str(keys))
    assert code == 0, err
    assert (root / "wallet" / "did.json").is_file()

    (root / "wallet" / "teachers").mkdir()
    (root / "wallet" / "teachers" / "maria-lopez.yml").write_text(TEACHER_YML, encoding="utf-8")
    code, out, err = run("issue", "wait-time", "--name", "María López", "--email", "mlopez@lakeside.example",
                         "--teacher", "maria-lopez", "--district", str(root), "--keys-dir", str(keys))
    assert code == 0, err
    badge_id = out.split("badge ", 1)[1].split(" ", 1)[0]
    assert (root / "wallet" / "badges" / f"{badge_id}.json").is_file()

    site = build(root / "mkdocs.yml", tmp_path / "site")
    # did:web resolves a DID without a path at /.well-known/did.json, so that is where the site must serve it
    assert json.loads((site / did_document).read_text(encoding="utf-8"))["id"] == did
    assert (site / "verify" / "index.html").is_file()
    published = json.loads((site / "badges" / f"{badge_id}.json").read_text(encoding="utf-8"))
    assert published["issuer"]["id"] == did
    assert (site / "badges" / badge_id / "index.html").is_file()
    assert (site / "catalog" / "wait-time" / "index.html").is_file() and (site / "stacks" / "checking-for-understanding").is_dir()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert f"{NAME} micro-credentials" in home


def test_a_tampered_badge_fails_the_scaffold_build(tmp_path, monkeypatch, caplog):
    from mkdocs.exceptions import Abort

    root, keys = tmp_path / "lakeside", tmp_path / "keys"
    monkeypatch.setenv("CREDFOLIO_PRIVATE_DIR", str(tmp_path / "private"))
    init_district(root, name=NAME, site_url=SITE_URL)
    assert run("keys", "generate", "--district", str(root), "--keys-dir", str(keys))[0] == 0
    (root / "wallet" / "teachers").mkdir()
    (root / "wallet" / "teachers" / "maria-lopez.yml").write_text(TEACHER_YML, encoding="utf-8")
    code, out, _ = run("issue", "exit-tickets", "--name", "María López", "--email", "mlopez@lakeside.example",
                       "--teacher", "maria-lopez", "--district", str(root), "--keys-dir", str(keys))
    assert code == 0
    badge = next((root / "wallet" / "badges").glob("*.json"))
    badge.write_text(badge.read_text(encoding="utf-8").replace("María López", "Mario López"), encoding="utf-8")
    with pytest.raises(Abort):
        build(root / "mkdocs.yml", tmp_path / "site")
    assert f"wallet/badges/{badge.name} does not verify (proof:" in caplog.text


@pytest.mark.parametrize("existing", ["mkdocs.yml", "catalog/stacks.yml", ".github/workflows/pages.yml", "README.md"])
def test_init_refuses_to_clobber_and_writes_nothing(tmp_path, existing):
    root = tmp_path / "lakeside"
    (root / existing).parent.mkdir(parents=True, exist_ok=True)
    (root / existing).write_text("mine\n", encoding="utf-8")
    (root / "LICENSE").write_text("keep me\n", encoding="utf-8")
    before = snapshot(root)
    code, out, err = run("init", str(root), "--name", NAME, "--site-url", SITE_URL)
    assert (code, out) == (1, "")
    assert err == (f"error: {root / existing} already exists; credfolio init never overwrites files: "
                   "choose an empty folder (nothing was written)\n")
    assert snapshot(root) == before
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir()) == sorted(
        str(p.relative_to(root)) for p in (root / existing).parents if p != root and root in p.parents)


def test_init_counts_every_conflict(tmp_path):
    init_district(tmp_path / "d", name=NAME, site_url=SITE_URL)
    with pytest.raises(ScaffoldError, match=rf"\.github/dependabot\.yml and {len(EXPECTED_FILES) - 1} more already exist"):
        init_district(tmp_path / "d", name=NAME, site_url=SITE_URL)


def test_init_refuses_a_file_where_a_folder_must_go(tmp_path):
    root = tmp_path / "lakeside"
    root.mkdir()
    (root / "catalog").write_text("not a folder\n", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="already exist"):
        init_district(root, name=NAME, site_url=SITE_URL)
    assert snapshot(root) == {"catalog": b"not a folder\n"}


def test_a_write_failing_half_way_leaves_nothing_behind(tmp_path, monkeypatch):
    from credfolio import scaffold

    real, written = scaffold.create_new_file, []

    def disk_full_on_the_fifth_file(path, data, **kwargs):
        if len(written) == 4:
            raise OSError(28, "No space left on device", str(path))
        real(path, data, **kwargs)
        written.append(path)

    monkeypatch.setattr(scaffold, "create_new_file", disk_full_on_the_fifth_file)
    (tmp_path / "clone" / ".git").mkdir(parents=True)
    with pytest.raises(ScaffoldError, match=r"cannot write .*: No space left on device \(nothing was kept\)"):
        init_district(tmp_path / "clone", name=NAME, site_url=SITE_URL)
    assert [p.relative_to(tmp_path).as_posix() for p in sorted(tmp_path.rglob("*"))] == ["clone", "clone/.git"]


def test_init_into_a_fresh_clone_keeps_its_files(tmp_path):
    root = tmp_path / "clone"
    (root / ".git").mkdir(parents=True)
    (root / "LICENSE").write_text("Apache-2.0\n", encoding="utf-8")
    result = init_district(root, name=NAME, site_url=SITE_URL)
    assert set(result.files) == EXPECTED_FILES
    assert (root / "LICENSE").read_text(encoding="utf-8") == "Apache-2.0\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--site-url", "http://lakeside.github.io/mc/"], "error: --site-url must be the https address the site will be published at, "
                                                      "like https://<owner>.github.io/<repo>/ (got 'http://lakeside.github.io/mc/')"),
    (["--site-url", "lakeside.github.io/mc/"], "error: --site-url must be the https address the site will be published at, "
                                               "like https://<owner>.github.io/<repo>/ (got 'lakeside.github.io/mc/')"),
    (["--site-url", "https://lakeside.github.io/mc/?x=1"], "error: --site-url: site URL must not have a query string: https://lakeside.github.io/mc/?x=1"),
    (["--site-url", "https://lakeside.github.io/mc/?"], "error: --site-url: site URL must not have a query string: https://lakeside.github.io/mc/?"),
    (["--site-url", "https://lakeside.github.io/mc/#top"], "error: --site-url: site URL must not have a fragment (#…): https://lakeside.github.io/mc/#top"),
    (["--site-url", "https://user:pw@lakeside.github.io/mc/"], "error: --site-url: site URL must not contain a user name or password: https://user:pw@lakeside.github.io/mc/"),
    (["--site-url", "https://lakeside.github.io/my repo/"], "error: --site-url must not contain spaces: 'https://lakeside.github.io/my repo/'"),
    (["--site-url", "https://lakeside.github.io/m%20c/"], "error: --site-url: site URL path segment 'm%20c' cannot be part of a did:web "
                                                          "(use letters, digits, '.', '-' and '_' only): https://lakeside.github.io/m%20c/"),
    (["--site-url", "https://lake_side!/"], "error: --site-url: site URL needs a DNS host name (letters, digits, '-' and '.'): https://lake_side!/"),
    (["--name", "   "], "error: --name is empty; give the district's name, e.g. --name \"Riverbend Unified School District\""),
    (["--name", "x" * 121], "error: --name is 121 characters long; at most 120 are allowed"),
    (["--name", "Lakeside\nUSD"], "error: --name contains a control or unprintable character (U+000A)"),
    (["--name", "2025"], "error: --name must contain letters: '2025'"),
], ids=["http", "no scheme", "query", "empty query", "fragment", "credentials", "space", "percent-encoded path",
        "bad host", "blank name", "long name", "newline in name", "no letters"])
def test_bad_url_or_name_is_one_line_and_writes_nothing(tmp_path, args, message):
    options = {"--name": NAME, "--site-url": SITE_URL}
    options.update(dict(zip(args[::2], args[1::2], strict=True)))
    code, out, err = run("init", str(tmp_path / "d"), *[item for pair in options.items() for item in pair])
    assert (code, out, err) == (1, "", message + "\n")
    assert not (tmp_path / "d").exists()


def test_missing_options_are_usage_errors(tmp_path):
    code, _, err = run("init", str(tmp_path / "d"), "--name", NAME)
    assert code == 64 and "Missing option '--site-url'" in err


@pytest.mark.parametrize(("given", "normalized"), [
    ("https://lakeside.github.io/mc", "https://lakeside.github.io/mc/"),
    ("https://lakeside.github.io/mc//", "https://lakeside.github.io/mc/"),
    ("HTTPS://Lakeside.GitHub.io/mc/", "https://lakeside.github.io/mc/"),
    ("  https://credentials.lakeside.example  ", "https://credentials.lakeside.example/"),
], ids=["adds the trailing slash", "one trailing slash", "lower-cases scheme and host", "custom domain at the root"])
def test_site_url_normalization(given, normalized):
    assert normalize_site_url(given) == normalized


def test_names_are_escaped_wherever_they_go():
    name = 'Arts & "Sciences" <Academy> *District* \\ [1]'
    files = scaffold_files(name, SITE_URL)
    config = yaml.safe_load(files["mkdocs.yml"])
    assert config["extra"]["credfolio"]["name"] == name and config["copyright"] == name
    assert config["site_name"] == f"{name} Micro-credentials"
    heading = files["docs/index.md"].decode("utf-8").splitlines()[0]
    assert heading == "# Arts &amp; \"Sciences\" &lt;Academy&gt; \\*District\\* \\\\ \\[1\\] micro-credentials"
    assert validate_district_name("  Zoë's Ōtautahi District ") == "Zoë's Ōtautahi District"


def test_the_teacher_file_example_in_the_wallet_readme_loads(tmp_path):
    from credfolio.wallet import load_teacher

    readme = scaffold_files(NAME, SITE_URL)["wallet/README.md"].decode("utf-8")
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "maria-lopez.yml"
    path.write_text(example, encoding="utf-8")
    teacher = load_teacher(path)
    assert (teacher.slug, teacher.display_name, teacher.consent.wallet_page) == ("maria-lopez", "María López", True)


def test_the_workflow_pins_this_credfolio_version():
    workflow = scaffold_files(NAME, SITE_URL)[".github/workflows/pages.yml"].decode("utf-8")
    assert f'python -m pip install "credfolio=={__version__}"' in workflow
    with pytest.raises(ScaffoldError, match="not a release version"):
        scaffold_files(NAME, SITE_URL, version="main")


@pytest.mark.parametrize("relative", ["hooks/credfolio.py", "overrides/main.html"])
def test_scaffold_hooks_and_overrides_are_this_repositorys(relative):
    # the thin hooks and the OG-tag override ship inside the package; they must not drift from the sample's
    if (SCAFFOLD_SOURCE / relative).read_bytes() != (REPO_ROOT / relative).read_bytes():
        pytest.fail(f"{relative} changed: copy it to src/credfolio/{SCAFFOLD_PACKAGE_DIR}/{relative} so new districts get it too")


def test_the_scaffold_ships_as_package_data():
    patterns = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]["credfolio"]
    files = [path.relative_to(SCAFFOLD_SOURCE.parent).as_posix() for path in SCAFFOLD_SOURCE.rglob("*")
             if path.is_file() and "__pycache__" not in path.parts]
    # setuptools' globs skip dot-files, which is why the scaffold stores them as dot-*
    assert not [path for path in files if any(part.startswith(".") for part in path.split("/"))]
    # the same expansion setuptools applies to package-data patterns (glob, recursive, relative to the package)
    covered = {match for pattern in patterns for match in glob.glob(pattern, root_dir=SCAFFOLD_SOURCE.parent, recursive=True)}
    uncovered = sorted(set(files) - covered)
    if uncovered:
        pytest.xfail(f"pyproject.toml package-data needs \"{SCAFFOLD_PACKAGE_DIR}/**/*\" (owned by the lead); uncovered: {uncovered[0]}")


# --- the workflows ------------------------------------------------------------------------------------------

PINNED = re.compile(r"^\s*(?:- )?uses: (?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}) # (?P<tag>v\d+\.\d+\.\d+)$")


def _workflow(which: str) -> tuple[str, dict]:
    path = WORKFLOWS[which]
    if not path.exists():
        pytest.fail(f"{path.relative_to(REPO_ROOT)} is missing")
    text = path.read_text(encoding="utf-8")
    return text, yaml.safe_load(text)


@pytest.mark.parametrize("which", WORKFLOWS)
def test_workflow_pins_every_action_by_commit_sha(which):
    text, _ = _workflow(which)
    uses = [line for line in text.splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        assert PINNED.match(line), f"not pinned to a full commit SHA with its tag: {line.strip()}"
    actions = {PINNED.match(line)["action"] for line in uses}
    assert {"actions/checkout", "actions/setup-python", "actions/upload-pages-artifact", "actions/deploy-pages"} <= actions


def test_dependabot_keeps_the_scaffold_actions_current():
    config = yaml.safe_load(scaffold_files(NAME, SITE_URL)[".github/dependabot.yml"])
    assert config["version"] == 2
    assert [(u["package-ecosystem"], u["directory"]) for u in config["updates"]] == [("github-actions", "/")]


def test_both_workflows_pin_the_same_versions():
    pins = {}
    for which in WORKFLOWS:
        text, _ = _workflow(which)
        for line in text.splitlines():
            match = PINNED.match(line)
            if match:
                assert pins.setdefault(match["action"], (match["sha"], match["tag"])) == (match["sha"], match["tag"]), match["action"]


@pytest.mark.parametrize("which", WORKFLOWS)
def test_workflow_checks_builds_and_deploys_only_from_main(which):
    text, workflow = _workflow(which)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"]["branches"] == ["main"] and "pull_request" in triggers
    assert workflow["permissions"] == {"contents": "read"}
    assert "concurrency" in workflow and workflow["concurrency"]["group"]
    build_job, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = [step.get("run", "") for step in build_job["steps"]]
    assert "credfolio check" in runs and "mkdocs build --strict" in runs
    assert runs.index("credfolio check") < runs.index("mkdocs build --strict")
    upload = next(step for step in build_job["steps"] if "upload-pages-artifact" in step.get("uses", ""))
    assert upload["if"] == "github.event_name != 'pull_request'" and upload["with"]["path"] == "site"
    assert "github.event_name != 'pull_request'" in deploy["if"] and "refs/heads/main" in deploy["if"]
    assert deploy["needs"] == "build" and deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert "secrets." not in text  # signing happens on an admin's machine, never in CI


def test_repository_workflow_builds_the_sample_from_this_checkout():
    _, workflow = _workflow("repository")
    runs = [step.get("run", "") for step in workflow["jobs"]["build"]["steps"]]
    assert any("pip install -e ." in run for run in runs)
    assert "make verifier" in runs and runs.index("make verifier") < runs.index("mkdocs build --strict")

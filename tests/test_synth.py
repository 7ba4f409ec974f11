"""`credfolio synth`: a synthetic district that passes `check`, builds, and whose every badge verifies."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from site_build import build

from credfolio import synth
from credfolio.cli import main
from credfolio.resolve import SiteResolver
from credfolio.site import refuse_key_material
from credfolio.verify import verify_credential
from credfolio.wallet import read_state

TEACHERS, BADGES, CREDENTIALS = 12, 40, 6


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> tuple[Path, synth.SynthReport]:
    root = tmp_path_factory.mktemp("synth") / "district"
    report = synth.synthesize_district(root, teachers=TEACHERS, badges=BADGES, credentials=CREDENTIALS, seed=7)
    return root, report


@pytest.fixture(scope="module")
def built_site(district, tmp_path_factory) -> Path:
    root, _ = district
    return build(root / "mkdocs.yml", tmp_path_factory.mktemp("synth-site") / "site")


def test_passes_credfolio_check(district, capsys):
    root, _ = district
    assert main(["check", "--district", str(root)]) == 0
    assert capsys.readouterr().out.startswith(f"ok: Synthetic Unified School District: {CREDENTIALS} credentials ({CREDENTIALS} active")


def test_files_match_the_report(district):
    root, report = district
    assert report.credentials == CREDENTIALS == len([p for p in (root / "catalog").glob("*.yml") if p.name != "stacks.yml"])
    assert report.badges == BADGES + report.stack_badges
    assert report.public_badges == len(list((root / "wallet" / "badges").glob("*.json")))
    assert report.opted_in == len(list((root / "wallet" / "teachers").glob("*.yml"))) <= TEACHERS
    assert report.revoked >= 1 and report.suspended >= 1
    states = [entry.state(synth.AS_OF) for entry in read_state_of(root).badges.values()]
    assert states.count("revoked") == report.revoked and states.count("suspended") == report.suspended
    assert states.count("expired") == report.expired
    assert list((root / "wallet" / "status").glob("revocation-*.json"))


def read_state_of(root: Path):
    from credfolio.config import load_district

    return read_state(load_district(root))


def test_names_include_non_ascii_letters_and_apostrophes(tmp_path):
    profiles = synth.make_teachers(300, random.Random(3))
    names = [profile.display_name for profile, _ in profiles]
    assert any(not name.isascii() for name in names) and any("'" in name for name in names)
    assert len({profile.slug for profile, _ in profiles}) == 300


def test_nothing_private_is_written_into_the_district(district):
    root, _ = district
    refuse_key_material(root)  # raises on PEM or Multikey-encoded private keys
    names = {path.name for path in root.rglob("*")}
    assert not names & {"recipients.jsonl", "issuance-secret", "private-ledger.jsonl", "ledger.lock"}
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            # the only address is the district's role address; teachers' e-mails live in the (deleted) private folder
            assert text.count(f"@{synth.EMAIL_DOMAIN}") == text.count(f"professional.learning@{synth.EMAIL_DOMAIN}"), path


def test_every_badge_verifies_against_the_built_site(district, built_site):
    root, _ = district
    state = read_state_of(root)
    resolver = SiteResolver(built_site, synth.SITE_URL)
    badges = sorted((built_site / "badges").glob("*.json"))
    assert len(badges) == len(list((root / "wallet" / "badges").glob("*.json")))
    for path in badges:
        result = verify_credential(path.read_bytes(), now=synth.AS_OF, resolver=resolver)
        checks = {check.id: check.ok for check in result.checks}
        assert all(checks[name] is True for name in ("structure", "schema", "contexts", "proof", "issuer_key")), (path.name, result.to_json())
        assert result.state == expected_state(state.badges[path.stem]), path.name


def expected_state(entry) -> str:
    """What any verifier sees: revocation first, then the end date; suspension is ledger-only (OB 3.0
    allows one status entry), so a suspended badge verifies elsewhere."""
    if entry.revoked is not None:
        return "revoked"
    if entry.valid_until is not None and entry.valid_until <= synth.AS_OF:
        return "expired"
    return "verified"


def test_the_build_writes_wallet_and_badge_pages(district, built_site):
    root, report = district
    assert len(list((built_site / "wallet").glob("*/index.html"))) == report.opted_in
    assert len(list((built_site / "badges").glob("*/index.html"))) == report.public_badges
    assert (built_site / "did.json").is_file() and (built_site / "catalog" / "index.html").is_file()


def test_same_seed_same_district_except_the_key(tmp_path):
    first, second, other = tmp_path / "first", tmp_path / "second", tmp_path / "other"
    second.mkdir()  # an existing empty folder is fine
    for folder, seed in ((first, 5), (second, 5), (other, 6)):
        synth.synthesize_district(folder, teachers=4, badges=6, credentials=3, seed=seed, processes=1)

    def contents(root: Path) -> dict[str, object]:
        files: dict[str, object] = {}
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.name == "did.json":
                continue
            relative = str(path.relative_to(root))
            if path.suffix == ".json":
                document = json.loads(path.read_text(encoding="utf-8"))
                document.pop("proof")  # Ed25519 signatures are deterministic, but the key is new on every run
                files[relative] = document
            else:
                files[relative] = path.read_text(encoding="utf-8")
        return files

    assert contents(first) == contents(second)
    assert contents(first) != contents(other)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(["--teachers", "0", "--badges", "1", "--credentials", "1"], "number of teachers", id="no teachers"),
        pytest.param(["--teachers", "2", "--badges", "-1", "--credentials", "1"], "number of badges", id="negative badges"),
        pytest.param(["--teachers", "2", "--badges", "1", "--credentials", "0"], "number of credentials", id="no credentials"),
        pytest.param(["--teachers", "2", "--badges", "5", "--credentials", "2"], "2 teachers × 2 credentials", id="more badges than pairs"),
    ],
)
def test_bad_counts_are_one_line_usage_errors(tmp_path, capsys, arguments, message):
    assert main(["synth", *arguments, str(tmp_path / "district")]) == 64
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not (tmp_path / "district").exists()


def test_a_folder_that_is_not_empty_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me\n", encoding="utf-8")
    assert main(["synth", "--teachers", "2", "--badges", "1", "--credentials", "1", str(tmp_path)]) == 64
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not empty" in err[0]
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(["--teachers", "many", "--badges", "1", "--credentials", "1"], "'--teachers'", id="not a number"),
        pytest.param(["--teachers", "2", "--credentials", "1"], "Missing option '--badges'", id="missing option"),
        pytest.param(["--teachers", "2", "--badges", "1", "--credentials", "1", "--as-of", "1st May"], "'--as-of'", id="bad date"),
    ],
)
def test_malformed_options_are_usage_errors(tmp_path, capsys, arguments, message):
    assert main(["synth", *arguments, str(tmp_path / "district")]) == 64
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("Error:")] != []

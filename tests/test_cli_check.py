"""`credfolio check`: exit codes and one line per problem."""

from __future__ import annotations

import subprocess
import sys

from district_factory import MKDOCS_YML, REPO_ROOT, credential_yaml, make_district

from credfolio.cli import main


def test_clean_district_exits_zero_with_summary(tmp_path, capsys):
    make_district(tmp_path)
    assert main(["check", "--district", str(tmp_path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("ok: Testville School District: 2 credentials (2 active, 0 draft, 0 retired) in 1 stacks")


def test_problems_exit_one_with_one_line_each(tmp_path, capsys):
    bad = credential_yaml("wait-time").replace("hours: 10", "hours: 0").replace('status: active', 'status: live')
    make_district(tmp_path, credentials={"wait-time": bad, "wait-time-two": credential_yaml("wait-time-two")})
    assert main(["check", "--district", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "2 problems found"
    assert all(line.startswith("catalog/wait-time.yml:") for line in err[:-1])
    assert any(": status: " in line for line in err) and any(": hours: " in line for line in err)


def test_not_a_district_is_one_line(tmp_path, capsys):
    assert main(["check", "--district", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no mkdocs.yml" in err[0]


def test_bad_option_is_a_usage_error(capsys):
    assert main(["check", "--nope"]) == 64  # EX_USAGE; 2 means "status unknown" for verify


def test_sample_district_passes_check(capsys):
    assert main(["check", "--district", str(REPO_ROOT)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: Riverbend Unified School District")
    # nothing tracked in this repository looks like a private key (test fixtures split their key literals)
    assert out.rstrip().endswith(", 0 warnings")


def test_console_script_never_prints_a_traceback(tmp_path):
    make_district(tmp_path)
    (tmp_path / "catalog" / "wait-time.yml").write_bytes(b"\xff\xfe garbage \x00")
    result = subprocess.run([sys.executable, "-m", "credfolio.cli", "check", "--district", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "catalog/wait-time.yml: file contains NUL bytes" in result.stderr


def test_a_brand_colour_too_faint_to_read_is_a_warning_that_does_not_fail(tmp_path, capsys):
    # A light sky blue for links on white, and a pale yellow accent for focus rings: both under WCAG's minimum.
    colors = "    colors:\n      primary: \"#5fa8d3\"\n      accent: \"#ffe08a\"\n"
    make_district(tmp_path, mkdocs_yml=MKDOCS_YML + colors)
    assert main(["check", "--district", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "mkdocs.yml: extra.credfolio.colors.primary: warning: #5fa8d3 on white is 2.62:1; text and links in this colour need 4.5:1 (WCAG 1.4.3)",
        "mkdocs.yml: extra.credfolio.colors.accent: warning: #ffe08a on white is 1.29:1; focus rings and highlights in this colour need 3:1 (WCAG 1.4.11)",
    ]
    assert captured.out.strip().endswith("2 warnings")


def _git(root, *arguments):
    subprocess.run(["git", "-C", str(root), *arguments], check=True, capture_output=True)


def test_a_private_key_tracked_by_git_is_a_warning_that_says_what_to_do(tmp_path, capsys):
    import shutil

    import pytest
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from credfolio.keys import private_key_to_multikey

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    make_district(tmp_path)
    _git(tmp_path, "init", "-q")
    (tmp_path / "keys").mkdir()
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "keys" / "key-1.secret").write_text(private_key_to_multikey(Ed25519PrivateKey.generate()) + "\n")
    (tmp_path / "docs" / "notes.md").write_text("-----BEGIN " "PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ\n-----END PRIVATE KEY-----\n")
    # not keys: a public certificate named .pem, a signature that starts like a secret key, an untracked key
    (tmp_path / "docs" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (tmp_path / "docs" / "badge.json").write_text('{"proofValue": "z3u2y6roP2mRi2cGwY5SYhMjTRh6nBckJ84kMQZHKZ1CjxXzw6h79gazkKm1yLnDuYWLH24xKH9F75zXRYggyfJ3V"}')
    (tmp_path / "untracked.secret").write_text(private_key_to_multikey(Ed25519PrivateKey.generate()))
    _git(tmp_path, "add", "keys", "docs")
    assert main(["check", "--district", str(tmp_path)]) == 0  # a warning: the build itself refuses to publish keys
    captured = capsys.readouterr()
    warned = [line for line in captured.err.splitlines() if "tracked by git" in line]
    assert [line.split(":")[0] for line in warned] == ["docs/notes.md", "keys/key-1.secret"]
    assert "git rm --cached keys/key-1.secret" in warned[1] and "credfolio keys compromise" in warned[1]
    assert "2 warnings" in captured.out


def test_a_district_outside_git_gets_no_key_warning(tmp_path, capsys):
    make_district(tmp_path)
    (tmp_path / "key.secret").write_text("-----BEGIN " "PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ\n-----END PRIVATE KEY-----\n")
    assert main(["check", "--district", str(tmp_path)]) == 0
    assert "tracked by git" not in capsys.readouterr().err

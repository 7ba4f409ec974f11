"""`credfolio verify` and `credfolio keys`: output lines, exit codes, and the key store round trip."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from badge_factory import ISSUER_DID, NOW, SITE_URL, make_credential
from district_factory import make_district

from credfolio.cli import main
from credfolio.keys import KeyStore, did_key_for

NOW_TEXT = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_badge(site, document, name="badge.json") -> str:
    return str(site.write_json(f"wallet/jane-doe/credentials/{name}", document))


def _verify(capsys, *args: str) -> tuple[int, list[str], str]:
    code = main(["verify", *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_a_genuine_badge_prints_one_line_per_check_and_exits_zero(site, signed_credential, capsys):
    path = _write_badge(site, signed_credential)
    code, lines, _ = _verify(capsys, path, "--site", str(site.dir), "--site-url", SITE_URL, "--offline", "--now", NOW_TEXT)
    assert code == 0
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "✓ file", "✓ Open Badges format", "✓ vocabulary", "✓ signature", "✓ issuer key", "✓ dates", "✓ revocation status",
    ]
    assert lines[-1] == "VERIFIED: this badge is genuine, current and not revoked"


def test_json_output_is_the_verification_result(site, signed_credential, capsys):
    path = _write_badge(site, signed_credential)
    code, lines, _ = _verify(capsys, path, "--site", str(site.dir), "--site-url", SITE_URL, "--offline", "--now", NOW_TEXT, "--json")
    data = json.loads("\n".join(lines))
    assert code == 0 and data["verified"] is True and data["state"] == "verified"
    assert [check["id"] for check in data["checks"]] == ["structure", "schema", "contexts", "proof", "issuer_key", "dates", "status"]


def test_a_url_under_the_site_is_read_from_the_folder(site, signed_credential, capsys):
    _write_badge(site, signed_credential)
    url = SITE_URL + "wallet/jane-doe/credentials/badge.json"
    code, lines, _ = _verify(capsys, url, "--site", str(site.dir), "--site-url", SITE_URL, "--offline", "--now", NOW_TEXT)
    assert code == 0, lines


def test_the_site_url_comes_from_the_district_config(tmp_path, site, signed_credential, capsys):
    district = make_district(tmp_path / "district")  # site_url: https://testville.github.io/mc/
    path = _write_badge(site, signed_credential)
    code, lines, _ = _verify(capsys, path, "--site", str(site.dir), "--district", str(district), "--offline", "--now", NOW_TEXT)
    assert code == 0, lines


def test_revoked_exits_one(site, signed_credential, capsys):
    site.write_status_list(set_bits=[94567])
    code, lines, _ = _verify(capsys, _write_badge(site, signed_credential), "--site", str(site.dir), "--site-url", SITE_URL, "--offline", "--now", NOW_TEXT)
    assert code == 1
    assert lines[-2].startswith("✗ revocation status: the issuer has revoked this badge")
    assert lines[-1] == "REVOKED: the issuer has revoked this badge"


def test_unknown_status_exits_two_and_marks_the_check_with_a_question_mark(site, signed_credential, capsys):
    (site.dir / "status" / "1.json").unlink()
    code, lines, _ = _verify(capsys, _write_badge(site, signed_credential), "--site", str(site.dir), "--site-url", SITE_URL, "--offline", "--now", NOW_TEXT)
    assert code == 2
    assert lines[-2].startswith("? revocation status: status could not be checked")
    assert lines[-1].startswith("STATUS UNKNOWN")


def test_a_tampered_badge_exits_one(site, signed_credential, capsys):
    signed_credential["credentialSubject"]["achievement"]["name"] = "Advanced Wait Time"
    code, lines, _ = _verify(capsys, _write_badge(site, signed_credential), "--site", str(site.dir), "--site-url", SITE_URL, "--offline", "--now", NOW_TEXT)
    assert code == 1
    assert any(line.startswith("✗ signature: the signature does not match the contents") for line in lines)
    assert lines[-1] == "NOT VERIFIED: do not rely on this badge"


def test_duplicate_keys_in_the_file_fail_the_structure_check(site, signed_credential, capsys):
    path = site.dir / "dup.json"
    path.write_text(json.dumps(signed_credential).replace('"name": "Wait Time",', '"name": "Wait Time", "name": "Other",', 1))
    code, lines, _ = _verify(capsys, str(path), "--site", str(site.dir), "--site-url", SITE_URL, "--offline", "--now", NOW_TEXT)
    assert code == 1
    assert lines[0] == "✗ file: the credential has the key 'name' twice in one object"
    assert lines[1].startswith("? Open Badges format: not checked")


def test_verifying_later_reports_expiry(site, signed_credential, capsys):
    later = (NOW + timedelta(days=4 * 365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, lines, _ = _verify(capsys, _write_badge(site, signed_credential), "--site", str(site.dir), "--site-url", SITE_URL, "--offline", "--now", later)
    assert code == 1
    assert "✗ dates: it expired on 2028-05-31" in lines
    assert lines[-1].startswith("EXPIRED")


def test_a_did_key_badge_verifies_fully_offline(site, issuer_private_key, capsys):
    from credfolio.credential import IssuerProfile

    did = did_key_for(issuer_private_key.public_key())
    badge = site.sign(make_credential(issuer=IssuerProfile(did, "Self", SITE_URL), status=None), verification_method=f"{did}#{did[8:]}")
    code, lines, _ = _verify(capsys, _write_badge(site, badge), "--offline", "--now", NOW_TEXT)
    assert code == 0, lines


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["missing.json", "--offline"], "error: missing.json: cannot read the badge: No such file or directory"),
        (["http://testville.github.io/mc/b.json"], "error: http://testville.github.io/mc/b.json: only https URLs can be verified"),
        (["b.json", "--now", "yesterday"], "error: --now 'yesterday' is not a date and time with a time zone"),
        (["b.json", "--site-url", SITE_URL], "error: --site-url needs --site"),
        (["https://elsewhere.example/b.json", "--offline"], "could not be fetched"),
    ],
    ids=["missing file", "http URL", "unreadable --now", "--site-url without --site", "URL offline without a site"],
)
def test_bad_arguments_are_one_line_errors(tmp_path, monkeypatch, capsys, arguments, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = _verify(capsys, *arguments)
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and message in err


# --- keys -------------------------------------------------------------------------------------------


@pytest.fixture
def district(tmp_path):
    return make_district(tmp_path / "district")


def _keys(capsys, district, keys_dir, *args: str) -> tuple[int, str, str]:
    code = main(["keys", *args, "--district", str(district), "--keys-dir", str(keys_dir)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_keys_generate_list_export_and_sign_a_badge_that_verifies(tmp_path, district, site, capsys):
    keys_dir = tmp_path / "keys"
    passphrase = tmp_path / "passphrase.txt"
    passphrase.write_text("correct horse battery staple\n")
    code, out, err = _keys(capsys, district, keys_dir, "generate", "--passphrase-file", str(passphrase))
    assert code == 0, err
    assert out.startswith(f"created {ISSUER_DID}#key-1 (z6Mk")
    assert "not encrypted" not in err

    code, out, _ = _keys(capsys, district, keys_dir, "list")
    assert code == 0
    assert out.splitlines()[0] == ISSUER_DID
    assert "key-1  z6Mk" in out and "(signs new badges)" in out

    did_json = site.dir / "did.json"
    code, out, _ = _keys(capsys, district, keys_dir, "export-public", "--out", str(did_json))
    assert code == 0 and out.strip() == f"wrote {did_json}"
    document = json.loads(did_json.read_text())
    assert document["assertionMethod"] == [f"{ISSUER_DID}#key-1"]
    assert "secret" not in did_json.read_text().lower()

    signing = KeyStore(keys_dir).signing_key(ISSUER_DID, passphrase="correct horse battery staple")
    badge = site.sign(make_credential(status=None), private_key=signing.private_key, verification_method=signing.verification_method(ISSUER_DID))
    code, lines, _ = _verify(capsys, _write_badge(site, badge), "--site", str(site.dir), "--district", str(district), "--offline", "--now", NOW_TEXT)
    assert code == 0, lines


def test_keys_generate_without_passphrase_warns_and_refuses_a_second_time(tmp_path, district, capsys):
    keys_dir = tmp_path / "keys"
    code, _, err = _keys(capsys, district, keys_dir, "generate")
    assert code == 0 and "the private key is not encrypted" in err
    code, _, err = _keys(capsys, district, keys_dir, "generate")
    assert code == 1 and "already has keys" in err and "use rotate" in err


def test_keys_rotate_and_compromise(tmp_path, district, capsys):
    keys_dir = tmp_path / "keys"
    assert _keys(capsys, district, keys_dir, "generate")[0] == 0
    code, out, _ = _keys(capsys, district, keys_dir, "rotate")
    assert code == 0 and out.startswith(f"created {ISSUER_DID}#key-2")
    code, out, _ = _keys(capsys, district, keys_dir, "compromise", "key-1", "--since", "2025-09-01T08:00:00Z", "--yes")
    assert code == 0 and out.startswith(f"marked {ISSUER_DID}#key-1 compromised since 2025-09-01 08:00 UTC")
    _, out, _ = _keys(capsys, district, keys_dir, "list")
    assert "key-1" in out and "compromised since 2025-09-01 08:00 UTC" in out
    assert "key-2" in out.splitlines()[2] and "(signs new badges)" in out.splitlines()[2]
    _, out, _ = _keys(capsys, district, keys_dir, "export-public")
    document = json.loads(out)
    assert document["verificationMethod"][0]["revoked"] == "2025-09-01T08:00:00Z"
    assert document["assertionMethod"] == [f"{ISSUER_DID}#key-1", f"{ISSUER_DID}#key-2"]


def test_keys_compromise_asks_for_confirmation(tmp_path, district, capsys, monkeypatch):
    keys_dir = tmp_path / "keys"
    _keys(capsys, district, keys_dir, "generate")
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("n\n"))
    code, _, err = _keys(capsys, district, keys_dir, "compromise", "key-1")
    assert code == 130 and "aborted" in err


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["list"], "no keys for did:web:testville.github.io:mc"),
        (["rotate"], "no keys for did:web:testville.github.io:mc"),
        (["compromise", "key-1", "--since", "soon", "--yes"], "--since 'soon' is not a date and time"),
    ],
    ids=["list before generate", "rotate before generate", "unreadable --since"],
)
def test_keys_errors_are_one_line(tmp_path, district, capsys, arguments, message):
    code, _, err = _keys(capsys, district, tmp_path / "keys", *arguments)
    assert code == 1 and len(err.strip().splitlines()) == 1 and message in err


def test_keys_refuse_a_key_folder_inside_the_district(district, capsys):
    code, _, err = _keys(capsys, district, district / "keys", "generate")
    assert code == 1 and "private keys must never be in the repository" in err


def test_an_empty_passphrase_file_is_refused(tmp_path, district, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    code, _, err = _keys(capsys, district, tmp_path / "keys", "generate", "--passphrase-file", str(empty))
    assert code == 1 and "the first line is empty" in err


def test_keys_generate_prompts_for_a_passphrase_twice(tmp_path, district):
    from click.testing import CliRunner

    from credfolio.cli import cli

    keys_dir = tmp_path / "keys"
    result = CliRunner().invoke(
        cli, ["keys", "generate", "--passphrase", "--district", str(district), "--keys-dir", str(keys_dir)], input="s3cret words\ns3cret words\n"
    )
    assert result.exit_code == 0, result.output
    assert "not encrypted" not in result.output
    assert KeyStore(keys_dir).signing_key(ISSUER_DID, passphrase="s3cret words").private_key is not None

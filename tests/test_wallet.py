"""The wallet's data model: teacher files, the DID document, published paths, private recipients and the issuance secret."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import textwrap
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from issuing_factory import NOW, OPTED_IN, OPTED_OUT, make_issuing_district

from credfolio import issuance
from credfolio.errors import IssuanceError, IssueInputError, ValidationError
from credfolio.wallet import (
    Recipient,
    TeacherProfile,
    append_recipients,
    did_document_is_current,
    find_teacher,
    issuance_secret,
    ledger_path,
    load_teacher,
    load_teachers,
    public_badges,
    public_ledger_text,
    read_recipients,
    site_files,
    status_list_url,
    teacher_path,
    write_did_document,
    write_teacher,
)


@pytest.fixture
def district(tmp_path):
    return make_issuing_district(tmp_path)


def test_teacher_files_round_trip(district):
    assert load_teachers(district.config) == {OPTED_IN.slug: OPTED_IN, OPTED_OUT.slug: OPTED_OUT}
    text = teacher_path(district.config, OPTED_IN.slug).read_text(encoding="utf-8")
    assert "Siobhán O'Connor" in text and "@" not in text
    assert find_teacher(district.config, "nobody") is None
    assert OPTED_IN.opted_in and not OPTED_OUT.opted_in


def test_consent_defaults_to_private(district):
    path = teacher_path(district.config, "ana-lopez")
    path.write_text("format: 1\nslug: ana-lopez\ndisplay_name: Ana López\n", encoding="utf-8")
    teacher = load_teacher(path)
    assert teacher.opted_in
    assert not (teacher.consent.show_school or teacher.consent.show_role or teacher.consent.search_engines or teacher.consent.show_evidence)


BAD_TEACHERS = {
    "reports an unknown field with a hint": ("format: 1\nslug: ana-lopez\ndisplay_name: Ana\nemial: a@b.example\n", "4: emial: unknown field"),
    "reports a slug that differs from the file name": ("format: 1\nslug: ana\ndisplay_name: Ana\n", "2: slug: 'ana' does not match"),
    "reports a missing display name": ("format: 1\nslug: ana-lopez\n", "display_name: required field is missing"),
    "reports consent that is not true or false": ("format: 1\nslug: ana-lopez\ndisplay_name: Ana\nconsent:\n  wallet_page: yes please\n",
                                                  "5: consent.wallet_page: write true or false"),
    "reports an unknown consent": ("format: 1\nslug: ana-lopez\ndisplay_name: Ana\nconsent:\n  show_email: true\n",
                                   "consent.show_email: unknown field"),
    "reports a name with markup": ("format: 1\nslug: ana-lopez\ndisplay_name: <script>x</script>\n", "display_name:"),
    "reports a format from the future": ("format: 2\nslug: ana-lopez\ndisplay_name: Ana\n", "format: must be 1"),
}


@pytest.mark.parametrize(("text", "message"), BAD_TEACHERS.values(), ids=BAD_TEACHERS.keys())
def test_bad_teacher_files_name_file_line_and_field(district, text, message):
    path = teacher_path(district.config, "ana-lopez")
    path.write_text(text, encoding="utf-8")
    with pytest.raises((ValidationError, IssueInputError)) as caught:
        load_teacher(path, display="wallet/teachers/ana-lopez.yml")
    problems = caught.value.problems if isinstance(caught.value, ValidationError) else [caught.value]
    assert any(message in str(problem) and str(problem).startswith("wallet/teachers/ana-lopez.yml:") for problem in problems), problems


def test_load_teachers_reports_every_bad_file(district):
    for slug in ("a", "b"):
        teacher_path(district.config, slug).write_text(f"format: 1\nslug: {slug}\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_teachers(district.config)
    assert len(caught.value.problems) == 2


def test_a_teacher_slug_is_checked(district):
    with pytest.raises(IssueInputError, match="not a teacher slug"):
        find_teacher(district.config, "../etc/passwd")


def test_did_document_is_written_from_the_key_store_and_kept_when_unchanged(district):
    path = write_did_document(district.config, district.keys)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["id"] == district.config.issuer_did
    assert document["assertionMethod"] == [f"{district.config.issuer_did}#key-1"]
    assert "private" not in path.read_text(encoding="utf-8").lower()
    assert did_document_is_current(district.config, district.keys)
    modified = path.stat().st_mtime_ns
    write_did_document(district.config, district.keys)
    assert path.stat().st_mtime_ns == modified
    district.keys.rotate(district.config.issuer_did, now=NOW)
    assert not did_document_is_current(district.config, district.keys)
    write_did_document(district.config, district.keys)
    assert len(json.loads(path.read_text(encoding="utf-8"))["verificationMethod"]) == 2


def test_site_files_map_the_wallet_onto_the_published_paths(district):
    issuance.issue_badge(district.config, district.catalog, district.keys, credential_id="wait-time", name="Siobhán O'Connor",
                         email="soconnor@testville.example", now=NOW, teacher_slug=OPTED_IN.slug)
    published = {relative for _, relative in site_files(district.config)}
    badge = next(name for name in published if name.startswith("badges/"))
    assert published == {"did.json", "status/revocation-1.json", badge}
    # the ledger is published as text, with withdrawn teachers' slugs left out (public_ledger_text)
    assert public_ledger_text(district.config) == ledger_path(district.config).read_text(encoding="utf-8")
    assert status_list_url(district.config, "revocation", 1) == "https://testville.github.io/mc/status/revocation-1.json"
    from credfolio.keys import did_web_document_url

    assert did_web_document_url(district.config.issuer_did) == district.config.url("did.json")


def test_issuance_secret_is_private_and_stable(district):
    secret = issuance_secret(district.config)
    path = district.private / "issuance-secret"
    assert len(secret) == 32 and issuance_secret(district.config) == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(district.private.stat().st_mode) == 0o700
    path.write_text("damaged\n", encoding="ascii")
    with pytest.raises(IssuanceError, match="issuance secret is damaged"):
        issuance_secret(district.config)


def test_recipients_are_private_and_the_first_record_of_a_badge_wins(district):
    first = Recipient("0f6bd2a4-6d0e-5f0a-9c52-6a1f0a6c1c11", "ana@testville.example", "Ana", "salt1", "credential:wait-time")
    second = Recipient(first.badge_id, "ana@testville.example", "Ana L.", "salt2", "credential:wait-time")
    append_recipients(district.config, [first])
    append_recipients(district.config, [second])
    assert read_recipients(district.config) == {first.badge_id: first}
    assert stat.S_IMODE((district.private / "recipients.jsonl").stat().st_mode) == 0o600


def test_public_badges_lists_opted_in_badges_with_their_state(district):
    config, catalog, keys = district.config, district.catalog, district.keys
    public = issuance.issue_badge(config, catalog, keys, credential_id="wait-time", name="S", email="s@testville.example", now=NOW,
                                  teacher_slug=OPTED_IN.slug)
    issuance.issue_badge(config, catalog, keys, credential_id="wait-time", name="J", email="j@testville.example", now=NOW,
                         teacher_slug=OPTED_OUT.slug)
    issuance.suspend_badge(config, keys, public.badge_id, reason="under review", now=NOW)
    badges = public_badges(config, now=NOW)
    assert [(badge.entry.badge_id, badge.state) for badge in badges] == [(public.badge_id, "suspended")]
    assert badges[0].document["credentialSubject"]["name"] == "Siobhán O'Connor"
    assert public_badges(config, now=NOW, teacher="someone-else") == []


def test_write_teacher_refuses_invalid_profiles(district):
    from pydantic import ValidationError as PydanticValidationError

    with pytest.raises(PydanticValidationError):
        write_teacher(district.config, TeacherProfile("Bad Slug", "Name"))
    assert not any(name.startswith(".") for name in os.listdir(district.config.wallet_path / "teachers"))


def test_teacher_file_header_warns_against_personal_data(district):
    text = teacher_path(district.config, OPTED_IN.slug).read_text(encoding="utf-8")
    assert text.startswith("# A teacher who opted in")
    assert textwrap.dedent(text).count("display_name:") == 1


# --------------------------------------------------------------------------------------------------
# The committed sample wallet (regenerated by `make sample`, scripts/make_sample.py)

REPO = Path(__file__).resolve().parents[1]
SAMPLE_NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_the_committed_sample_wallet_verifies_against_its_did_json_and_status_lists(tmp_path):
    from credfolio.config import load_district
    from credfolio.keys import did_web_document_url
    from credfolio.resolve import SiteResolver
    from credfolio.verify import verify_credential
    from credfolio.wallet import read_state

    district = load_district(REPO)
    assert (REPO / "wallet" / "ledger.jsonl").is_file(), "the sample wallet is missing: run `make sample` and commit wallet/"
    site = tmp_path / "site"
    did_path = did_web_document_url(district.issuer_did).removeprefix(district.site_url)
    for source, relative in site_files(district):
        target = site / (did_path if relative == "did.json" else relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    resolver = SiteResolver(site, district.site_url)

    state = read_state(district)
    teachers = load_teachers(district)
    public = {badge_id: entry for badge_id, entry in state.badges.items() if entry.is_public}
    files = {path.stem for path in (REPO / "wallet" / "badges").glob("*.json")}
    assert files == set(public), "wallet/badges/ and the ledger disagree"
    assert len(public) >= 15 and len(teachers) >= 6
    expected = {"active": "verified", "expired": "expired", "revoked": "revoked", "suspended": "verified"}
    ledger_states, verified_states = Counter(), Counter()
    for badge_id, entry in public.items():
        document = json.loads((REPO / "wallet" / "badges" / f"{badge_id}.json").read_text(encoding="utf-8"))
        result = verify_credential(document, now=SAMPLE_NOW, resolver=resolver)
        ledger_state = entry.state(SAMPLE_NOW)
        assert result.state == expected[ledger_state], (badge_id, ledger_state, result.to_json())
        ledger_states[ledger_state] += 1
        verified_states[result.state] += 1
        assert entry.issued["teacher"] in teachers
        assert document["credentialSubject"]["name"] == teachers[entry.issued["teacher"]].display_name
    assert set(ledger_states) == {"active", "expired", "revoked", "suspended"}
    assert set(verified_states) == {"verified", "expired", "revoked"}
    assert any(entry.stack for entry in public.values()), "the sample shows a completed stack"
    assert any(entry.reissued_as for entry in public.values()), "the sample shows a re-issue"
    assert any(not entry.is_public for entry in state.badges.values()), "the sample has badges of teachers who did not opt in"
    names = {teacher.display_name for teacher in teachers.values()}
    assert {"José Ramírez", "Nguyễn Thị Lan", "Siobhán O'Connor"} <= names
    role_address = district.settings.contact_email.encode()  # the issuer's public contact, in every badge
    for path in (REPO / "wallet").rglob("*"):
        if path.is_file():
            addresses = set(re.findall(rb"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", path.read_bytes()))
            assert addresses <= {role_address}, f"{path} holds a personal e-mail address: {addresses}"

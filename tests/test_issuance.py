"""Issuing badges (single, from a review, bulk CSV), stack badges, expiry, revocation, suspension, re-issue, status lists."""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from issuing_factory import NOW, OPTED_IN, OPTED_OUT, csv_text, make_issuing_district, teacher_rows
from submission_factory import FAILING_SCORES, PASSING_SCORES, SUBMISSION_YML, write_submission

from credfolio import issuance
from credfolio.credential import email_matches
from credfolio.errors import IssuanceError, IssueInputError, LedgerError, ValidationError
from credfolio.review import load_review, review_submission, save_review
from credfolio.status import StatusList, decode_list, encode_list
from credfolio.submissions import load_submission, store_submission

#: The all-zero 131,072-entry list from the Bitstring Status List v1.0 Recommendation.
SPEC_EMPTY_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
EMAILS = re.compile(rb"[A-Za-z0-9._%+'-]+@(testville|riverbend)[A-Za-z0-9.-]*\.example")


@pytest.fixture
def district(tmp_path):
    return make_issuing_district(tmp_path)


def issue(district, credential_id="wait-time", *, name="Ana López", email="ana.lopez@testville.example", **options):
    return issuance.issue_badge(district.config, district.catalog, district.keys, credential_id=credential_id, name=name, email=email,
                                now=options.pop("now", NOW), rng=options.pop("rng", random.Random(1)), **options)


def assert_no_personal_data_in_repository(district, emails=()):
    """No e-mail address (nor the given ones) anywhere in the district repository."""
    for path in district.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not EMAILS.search(data), f"{path} holds an e-mail address"
            for email in emails:
                assert email.lower().encode() not in data.lower(), f"{path} holds {email}"


# --------------------------------------------------------------------------------------------------
# The whole workflow


def test_lifecycle_submit_review_resubmit_issue_verify_revoke(district, tmp_path):
    config, catalog = district.config, district.catalog
    definition = catalog.credentials["wait-time"]
    inbox = tmp_path / "inbox"
    first = load_submission(write_submission(inbox), catalog)
    store_submission(first, config.private_path)
    failed = review_submission(first, definition, reviewer="Dana Ruiz", reviewed=date(2026, 1, 10), scores=FAILING_SCORES,
                               feedback={"reflection": "Use evidence from the video to plan next steps."})
    failed_review = load_review(save_review(failed, config.private_path), catalog)
    assert failed_review.outcome == "resubmit"
    with pytest.raises(IssueInputError, match="not 'pass'"):
        issuance.issue_from_review(config, catalog, district.keys, review=failed_review, submission=first, now=NOW)

    second_text = SUBMISSION_YML.replace("id: 2025-03-14-ana-lopez-wait-time", "id: 2026-02-01-ana-lopez-wait-time") \
        .replace("submitted: 2025-03-14", f"submitted: 2026-02-01\nresubmission_of: {first.id}")
    second = load_submission(write_submission(inbox, second_text, "second.yml"), catalog)
    store_submission(second, config.private_path)
    passed = review_submission(second, definition, reviewer="Dana Ruiz", reviewed=date(2026, 2, 20), scores=PASSING_SCORES,
                               previous_review=failed_review.id)
    review = load_review(save_review(passed, config.private_path), catalog)
    badge = issuance.issue_from_review(config, catalog, district.keys, review=review, submission=second, now=NOW,
                                       teacher_slug=OPTED_IN.slug)
    assert badge.public and badge.path.parent == config.wallet_path / "badges"
    document = json.loads(badge.path.read_text(encoding="utf-8"))
    assert document["id"] == f"urn:uuid:{badge.badge_id}"
    assert document["awardedDate"] == "2026-02-20T00:00:00Z" and document["validFrom"] == "2026-02-20T00:00:00Z"
    assert document["credentialSubject"]["name"] == "Siobhán O'Connor"  # the name the teacher chose for her public wallet
    assert email_matches(document["credentialSubject"]["identifier"][0], "Ana.Lopez@testville.example")
    results = {r["resultDescription"].rsplit("#rubric-", 1)[1]: r["achievedLevel"].rsplit("-", 1)[1]
               for r in document["credentialSubject"]["result"]}
    assert results == PASSING_SCORES
    # consent: titles and notes of the evidence, no links (evidence_links_in_badge: false)
    assert document["evidence"] == [{"type": ["Evidence"], "name": "Classroom video", "narrative": "Minutes 3-7 show the pauses."}]

    verdict = district.verify(badge.path)
    assert verdict.state == "verified", verdict.to_json()

    change = issuance.revoke_badge(config, district.keys, badge.badge_id, reason="Evidence was not the teacher's own", now=NOW)
    assert not change.already and change.published == [config.wallet_path / "status" / "revocation-1.json"]
    verdict = district.verify(badge.path)
    assert verdict.state == "revoked"
    assert "revoked" in verdict.check("status").message
    revoked = district.events("revoked")
    assert revoked == [{"event": "revoked", "at": "2026-03-01T12:00:00Z", "badge": badge.badge_id,
                        "reason": "Evidence was not the teacher's own"}]
    assert_no_personal_data_in_repository(district, ["ana.lopez@testville.example", "Ana López"])


def test_issuing_the_same_award_twice_returns_the_first_badge(district):
    first = issue(district)
    again = issue(district, email=" ANA.LOPEZ@testville.example ", rng=random.Random(99))
    assert again.already_issued and again.badge_id == first.badge_id
    assert len(district.events("issued")) == 1
    other_day = issue(district, awarded=date(2026, 2, 1))
    assert other_day.badge_id != first.badge_id


def test_opted_in_badges_are_published_and_others_stay_private(district):
    public = issue(district, name="Siobhan (as on the roster)", email="soconnor@testville.example", teacher_slug=OPTED_IN.slug)
    withdrawn = issue(district, name="José Ramírez", email="jramirez@testville.example", teacher_slug=OPTED_OUT.slug)
    anonymous = issue(district, name="Nguyễn Thị Lan", email="lan@testville.example")
    assert public.public and public.url == "https://testville.github.io/mc/badges/%s.json" % public.badge_id
    for badge in (withdrawn, anonymous):
        assert not badge.public and badge.path == district.private / "badges" / f"{badge.badge_id}.json"
        assert os.stat(badge.path).st_mode & 0o077 == 0
        assert json.loads(badge.path.read_text(encoding="utf-8"))["credentialSubject"]["name"] in ("José Ramírez", "Nguyễn Thị Lan")
    issued = {event["badge"]: event for event in district.events("issued")}
    assert issued[public.badge_id]["teacher"] == OPTED_IN.slug and issued[public.badge_id]["public"] is True
    assert issued[public.badge_id]["page"] == f"https://testville.github.io/mc/badges/{public.badge_id}/"
    for badge in (withdrawn, anonymous):
        assert set(issued[badge.badge_id]) == {"event", "at", "badge", "id", "credential", "awarded", "valid_from", "key", "public"}
    for badge in (public, withdrawn, anonymous):
        assert district.verify(badge.path).state == "verified"
    # José's own teacher file (wallet_page: false) holds his display name; the others' names appear nowhere public
    assert_no_personal_data_in_repository(district, ["Nguyễn Thị Lan", "Siobhan (as on the roster)"])


def test_an_unknown_teacher_slug_is_refused(district):
    with pytest.raises(IssueInputError, match="no wallet/teachers/nobody.yml"):
        issue(district, teacher_slug="nobody")
    assert district.events("allocated") == []


@pytest.mark.parametrize(("options", "message"), [
    (dict(credential_id="wait-tim"), "no credential 'wait-tim' in the catalog (did you mean 'wait-time'?)"),
    (dict(credential_id="old-wait-time"), "credential 'old-wait-time' is retired"),
    (dict(email="not-an-address"), "'not-an-address' is not an e-mail address"),
    (dict(name="  "), "the name is empty"),
    (dict(name="Ana\x1b[31m"), "control characters"),
    (dict(name="Ana \u202eztreboR"), "bidirectional override"),
    (dict(evidence=["http://insecure.example/x"]), "is not an https link"),
    (dict(scores={"pausing": "proficient"}), "no level for rubric row reflection"),
    (dict(scores={"pausing": "developing", "reflection": "proficient"}), "these levels do not pass"),
    (dict(scores={"pausin": "proficient", "reflection": "proficient"}), "did you mean 'pausing'?"),
    (dict(awarded=date(2026, 3, 2)), "the award date 2026-03-02 is in the future"),
    (dict(valid_until=date(2026, 3, 1), awarded=date(2026, 3, 1)), "is not after the award date"),
], ids=["unknown credential", "retired credential", "bad e-mail", "empty name", "control characters in the name",
        "right-to-left override in the name", "evidence over http", "a rubric row not scored", "failing scores", "misspelt rubric row", "award date in the future",
        "end date not after the award date"])
def test_bad_single_issue_input_is_refused_before_anything_is_written(district, options, message):
    with pytest.raises(IssueInputError) as caught:
        issue(district, **options)
    assert message in str(caught.value)
    assert district.events("allocated") == []


# --------------------------------------------------------------------------------------------------
# Expiry


@pytest.mark.parametrize(("start", "duration", "end"), [
    (date(2025, 6, 1), "P3Y", date(2028, 6, 1)),
    (date(2024, 2, 29), "P1Y", date(2025, 2, 28)),
    (date(2026, 1, 31), "P1M", date(2026, 2, 28)),
    (date(2025, 11, 15), "P18M", date(2027, 5, 15)),
    (date(2025, 1, 1), "P1Y6M10D", date(2026, 7, 11)),
    (date(2025, 12, 31), "P10D", date(2026, 1, 10)),
], ids=["three years", "29 February plus a year", "31 January plus a month", "eighteen months", "years months and days", "days"])
def test_durations_add_calendar_years_months_and_days(start, duration, end):
    assert issuance.add_duration(start, duration) == end


@pytest.mark.parametrize("duration", ["", "P", "3Y", "PT5H", "P1W"])
def test_bad_durations_are_refused(duration):
    with pytest.raises(IssuanceError, match="not an ISO 8601 duration"):
        issuance.add_duration(date(2025, 1, 1), duration)


def test_expiry_comes_from_the_catalog_or_the_option_and_shows_in_verification(district):
    catalog_expiry = issue(district, "wait-time-two", awarded=date(2025, 6, 1))
    document = json.loads(catalog_expiry.path.read_text(encoding="utf-8"))
    assert document["validUntil"] == "2028-06-01T00:00:00Z"
    explicit = issue(district, "wait-time-two", awarded=date(2025, 1, 15), valid_until=date(2026, 1, 15))
    assert json.loads(explicit.path.read_text(encoding="utf-8"))["validUntil"] == "2026-01-15T00:00:00Z"
    no_expiry = issue(district, "wait-time", awarded=date(2025, 6, 1))
    assert "validUntil" not in json.loads(no_expiry.path.read_text(encoding="utf-8"))
    resolver = district.publish()
    assert district.verify(explicit.path, resolver=resolver).state == "expired"
    assert district.verify(catalog_expiry.path, resolver=resolver).state == "verified"
    from credfolio.wallet import read_state

    assert read_state(district.config).badges[explicit.badge_id].state(NOW) == "expired"


# --------------------------------------------------------------------------------------------------
# Stacks


def test_completing_a_stack_issues_its_badge_once(district):
    first = issue(district, "wait-time", awarded=date(2026, 1, 5), teacher_slug=OPTED_IN.slug)
    assert not district.events("issued")[-1].get("stack")
    issue(district, "wait-time-two", email="Ana.Lopez@Testville.example", awarded=date(2026, 2, 5), teacher_slug=OPTED_IN.slug)
    stack_events = [event for event in district.events("issued") if event.get("stack")]
    assert len(stack_events) == 1
    stack = stack_events[0]
    assert stack["stack"] == "questioning" and stack["awarded"] == "2026-02-05" and stack["teacher"] == OPTED_IN.slug
    path = district.config.wallet_path / "badges" / f"{stack['badge']}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["id"] == "https://testville.github.io/mc/stacks/questioning/"
    assert achievement["achievementType"] == "Certificate" and achievement["name"] == "Questioning Specialist"
    assert "Wait Time wait-time" in achievement["criteria"]["narrative"]
    assert f"urn:uuid:{first.badge_id}" in [item.get("id") for item in document["evidence"]]
    assert district.verify(path).state == "verified"
    issue(district, "wait-time", awarded=date(2026, 2, 20), teacher_slug=OPTED_IN.slug)  # a third award: no second stack badge
    assert len([event for event in district.events("issued") if event.get("stack")]) == 1


def test_no_stack_badge_when_a_credential_is_revoked_or_stacks_are_manual(tmp_path):
    district = make_issuing_district(tmp_path / "auto")
    first = issue(district, "wait-time")
    issuance.revoke_badge(district.config, district.keys, first.badge_id, reason="issued in error", now=NOW)
    issue(district, "wait-time-two")
    assert not [event for event in district.events("issued") if event.get("stack")]
    manual = make_issuing_district(tmp_path / "manual", stack_badges="manual")
    issue(manual, "wait-time")
    issue(manual, "wait-time-two")
    assert not [event for event in manual.events("issued") if event.get("stack")]


# --------------------------------------------------------------------------------------------------
# Revocation, suspension, re-issue


def test_revoking_twice_changes_nothing(district):
    badge = issue(district)
    issuance.revoke_badge(district.config, district.keys, badge.badge_id, reason="first", now=NOW)
    again = issuance.revoke_badge(district.config, district.keys, f"urn:uuid:{badge.badge_id}", reason="second",
                                  now=NOW + timedelta(days=1))
    assert again.already and again.reason == "first" and again.published == []
    assert len(district.events("revoked")) == 1


def test_an_interrupted_revocation_is_finished_by_running_it_again(district, monkeypatch):
    badge = issue(district)
    original = issuance._publish

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(issuance, "_publish", crash)
    with pytest.raises(KeyboardInterrupt):
        issuance.revoke_badge(district.config, district.keys, badge.badge_id, reason="x", now=NOW)
    assert district.verify(badge.path).state == "verified"  # recorded, not yet published
    monkeypatch.setattr(issuance, "_publish", original)
    change = issuance.revoke_badge(district.config, district.keys, badge.badge_id, reason="x", now=NOW)
    assert change.already and change.published
    assert district.verify(badge.path).state == "revoked"


def test_unknown_and_unfinished_badges_are_reported(district):
    with pytest.raises(IssuanceError, match="no badge 0f6bd2a4-6d0e-5f0a-9c52-6a1f0a6c1c11 in the ledger"):
        issuance.revoke_badge(district.config, district.keys, "0f6bd2a4-6d0e-5f0a-9c52-6a1f0a6c1c11", reason="x", now=NOW)
    with pytest.raises(LedgerError, match="not a badge id"):
        issuance.revoke_badge(district.config, district.keys, "talk-moves", reason="x", now=NOW)
    with pytest.raises(IssueInputError, match="give a reason"):
        issuance.revoke_badge(district.config, district.keys, issue(district).badge_id, reason="   ", now=NOW)


def test_a_private_reason_stays_out_of_the_ledger(district):
    badge = issue(district)
    issuance.revoke_badge(district.config, district.keys, badge.badge_id, reason="Personnel matter", now=NOW, publish_reason=False)
    assert "reason" not in district.events("revoked")[0]
    private = (district.private / "private-ledger.jsonl").read_text(encoding="utf-8")
    assert "Personnel matter" in private
    assert b"Personnel" not in (district.config.wallet_path / "ledger.jsonl").read_bytes()


def test_suspension_is_recorded_and_lifted(district):
    badge = issue(district)
    change = issuance.suspend_badge(district.config, district.keys, badge.badge_id, reason="Under review", now=NOW)
    assert not change.already
    again = issuance.suspend_badge(district.config, district.keys, badge.badge_id, reason="Under review", now=NOW)
    assert again.already
    from credfolio.wallet import read_state

    assert read_state(district.config).badges[badge.badge_id].state(NOW) == "suspended"
    assert issuance.unsuspend_badge(district.config, district.keys, badge.badge_id, now=NOW).already is False
    assert issuance.unsuspend_badge(district.config, district.keys, badge.badge_id, now=NOW).already is True
    assert read_state(district.config).badges[badge.badge_id].state(NOW) == "active"
    assert [event["event"] for event in district.events() if event.get("badge") == badge.badge_id][-2:] == ["suspended", "unsuspended"]
    issuance.revoke_badge(district.config, district.keys, badge.badge_id, reason="x", now=NOW)
    with pytest.raises(IssuanceError, match="a revoked badge cannot be suspended"):
        issuance.suspend_badge(district.config, district.keys, badge.badge_id, reason="x", now=NOW)


def test_suspending_needs_no_passphrase(tmp_path):
    district = make_issuing_district(tmp_path, passphrase="correct horse")
    badge = issue(district, passphrase="correct horse")
    issuance.suspend_badge(district.config, district.keys, badge.badge_id, reason="Under review", now=NOW)
    from credfolio.errors import KeyStoreError

    with pytest.raises(KeyStoreError, match="passphrase"):
        issuance.revoke_badge(district.config, district.keys, badge.badge_id, reason="x", now=NOW)
    assert district.events("revoked") == []  # nothing recorded when the key cannot sign the list


def test_reissue_to_a_new_email_links_and_revokes_the_old_badge(district):
    old = issue(district, teacher_slug=OPTED_IN.slug, evidence=["https://drive.example.org/v/1"],
                scores={"pausing": "exemplary", "reflection": "proficient"}, awarded=date(2026, 1, 20))
    new = issuance.reissue_badge(district.config, district.catalog, district.keys, old.badge_id,
                                 new_email="ana.lopez-garcia@testville.example", now=NOW, rng=random.Random(5))
    assert new.badge_id != old.badge_id and new.public
    old_document = json.loads(old.path.read_text(encoding="utf-8"))
    new_document = json.loads(new.path.read_text(encoding="utf-8"))
    assert new_document["awardedDate"] == old_document["awardedDate"] == "2026-01-20T00:00:00Z"
    assert new_document["validFrom"] == "2026-03-01T12:00:00Z"
    assert new_document["evidence"] == old_document["evidence"]
    assert new_document["credentialSubject"]["result"] == old_document["credentialSubject"]["result"]
    assert email_matches(new_document["credentialSubject"]["identifier"][0], "ana.lopez-garcia@testville.example")
    assert not email_matches(new_document["credentialSubject"]["identifier"][0], "ana.lopez@testville.example")
    revoked = district.events("revoked")[0]
    assert revoked["reason"] == "re-issued to a new e-mail address" and revoked["replaced_by"] == new.badge_id
    assert district.events("reissued")[0]["new_badge"] == new.badge_id
    assert [e for e in district.events("issued") if e["badge"] == new.badge_id][0]["replaces"] == old.badge_id
    resolver = district.publish()
    assert district.verify(new.path, resolver=resolver).state == "verified"
    assert district.verify(old.path, resolver=resolver).state == "revoked"
    again = issuance.reissue_badge(district.config, district.catalog, district.keys, old.badge_id,
                                   new_email="ana.lopez-garcia@testville.example", now=NOW)
    assert again.already_issued and again.badge_id == new.badge_id
    assert len(district.events("reissued")) == 1 and len(district.events("revoked")) == 1
    assert_no_personal_data_in_repository(district)


def test_reissue_refuses_the_same_address_and_revoked_badges(district):
    badge = issue(district)
    with pytest.raises(IssueInputError, match="current one"):
        issuance.reissue_badge(district.config, district.catalog, district.keys, badge.badge_id, new_email="ANA.LOPEZ@testville.example", now=NOW)
    issuance.revoke_badge(district.config, district.keys, badge.badge_id, reason="x", now=NOW)
    with pytest.raises(IssuanceError, match="a revoked badge is not re-issued"):
        issuance.reissue_badge(district.config, district.catalog, district.keys, badge.badge_id, new_email="new@testville.example", now=NOW)


# --------------------------------------------------------------------------------------------------
# Status lists


def test_status_list_encoding_matches_the_specifications_all_zero_example():
    assert encode_list(bytes(131_072 // 8)) == SPEC_EMPTY_LIST
    assert decode_list(SPEC_EMPTY_LIST) == bytes(16_384)


def test_published_lists_are_signed_and_set_the_revoked_bit_msb_first(district):
    badges = [issue(district, email=f"t{n}@testville.example") for n in range(3)]
    path = district.config.wallet_path / "status" / "revocation-1.json"
    empty = json.loads(path.read_text(encoding="utf-8"))
    assert empty["credentialSubject"]["encodedList"] == SPEC_EMPTY_LIST
    assert empty["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    issuance.revoke_badge(district.config, district.keys, badges[1].badge_id, reason="x", now=NOW)
    listed = json.loads(path.read_text(encoding="utf-8"))
    bits = decode_list(listed["credentialSubject"]["encodedList"])
    index = int(json.loads(badges[1].path.read_text(encoding="utf-8"))["credentialStatus"]["statusListIndex"])
    assert bits[index // 8] == 0x80 >> (index % 8)
    assert sum(bin(byte).count("1") for byte in bits) == 1
    assert StatusList(bits=bits).get(index)


def test_publish_rewrites_only_what_changed_and_resigns_after_rotation(district):
    issue(district)
    assert issuance.publish_status_lists(district.config, district.keys, now=NOW) == []
    district.keys.rotate(district.config.issuer_did, now=NOW)
    written = issuance.publish_status_lists(district.config, district.keys, now=NOW)
    assert len(written) == 1
    assert json.loads(written[0].read_text(encoding="utf-8"))["proof"][0]["verificationMethod"].endswith("#key-2")
    assert len(issuance.publish_status_lists(district.config, district.keys, now=NOW, force=True)) == 1
    assert Counter(event["event"] for event in district.events())["status-published"] == 3


def test_indexes_are_random_and_distinct(district):
    badges = [issue(district, email=f"t{n}@testville.example", rng=random.Random(n)) for n in range(5)]
    indexes = [int(json.loads(b.path.read_text(encoding="utf-8"))["credentialStatus"]["statusListIndex"]) for b in badges]
    assert len(set(indexes)) == 5 and indexes != sorted(indexes)


# --------------------------------------------------------------------------------------------------
# Bulk CSV


def test_bulk_issue_500_rows_exactly_once(district, tmp_path):
    rows = teacher_rows(500)
    path = tmp_path / "awards.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    seen = []
    report = issuance.issue_csv(district.config, district.catalog, district.keys, path, now=NOW, progress=lambda done, total: seen.append((done, total)))
    assert len(report.issued) == 500 and not report.already_issued
    assert seen[0] == (0, 500) and seen[-1] == (500, 500)
    again = issuance.issue_csv(district.config, district.catalog, district.keys, path, now=NOW)
    assert not again.issued and len(again.already_issued) == 500
    issued = district.events("issued")
    assert len(issued) == 500 and len({event["badge"] for event in issued}) == 500
    indexes = [slot["index"] for event in district.events("allocated") for slot in event["status"]]
    assert len(indexes) == len(set(indexes)) == 500
    names = {json.loads(badge.path.read_text(encoding="utf-8"))["credentialSubject"]["name"] for badge in report.issued}
    assert {"Siobhán O'Connor", "Nguyễn Thị Lan", "Zoë D'Angelo"} <= names
    resolver = district.publish()
    for badge in random.Random(0).sample(report.issued, 10):
        assert district.verify(badge.path, resolver=resolver).state == "verified"
    assert_no_personal_data_in_repository(district)


def test_bulk_columns_evidence_dates_scores_and_teachers(district, tmp_path):
    columns = ("credential", "name", "email", "teacher_slug", "evidence", "valid_until", "awarded", "request_id", "scores")
    rows = [
        {"credential": "wait-time", "name": "Siobhán O'Connor", "email": "soconnor@testville.example", "teacher_slug": OPTED_IN.slug,
         "evidence": "https://drive.example.org/a https://drive.example.org/b", "awarded": "2026-01-10",
         "scores": "pausing=exemplary; reflection=proficient"},
        {"credential": "wait-time-two", "name": "Siobhán O'Connor", "email": "soconnor@testville.example", "teacher_slug": OPTED_IN.slug,
         "valid_until": "2027-01-10", "awarded": "2026-01-10", "request_id": "spring-cohort"},
        {"credential": "wait-time", "name": "Siobhán O'Connor", "email": "soconnor@testville.example", "teacher_slug": OPTED_IN.slug,
         "awarded": "2026-01-10", "request_id": "second award"},
    ]
    path = tmp_path / "awards.csv"
    path.write_text(csv_text(rows, columns=columns), encoding="utf-8")
    report = issuance.issue_csv(district.config, district.catalog, district.keys, path, now=NOW)
    assert len(report.issued) == 3 and all(badge.public for badge in report.issued)
    assert len(report.stack_badges) == 1
    first = json.loads(report.issued[0].path.read_text(encoding="utf-8"))
    assert [item["id"] for item in first["evidence"]] == ["https://drive.example.org/a", "https://drive.example.org/b"]
    assert len(first["credentialSubject"]["result"]) == 2
    second = json.loads(report.issued[1].path.read_text(encoding="utf-8"))
    assert second["validUntil"] == "2027-01-10T00:00:00Z"
    assert report.issued[0].source.line == 2


def _write(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / "awards.csv"
    path.write_bytes(text.encode(encoding))
    return path


GOOD = [{"credential": "wait-time", "name": "Siobhán O'Connor", "email": "soconnor@testville.example"},
        {"credential": "wait-time-two", "name": "José Ramírez", "email": "jramirez@testville.example"}]


@pytest.mark.parametrize(("text", "issued"), [
    (csv_text(GOOD, bom=True), 2),
    (csv_text(GOOD, newline="\r\n"), 2),
    (csv_text(GOOD, delimiter=";"), 2),
    (csv_text(GOOD, delimiter="\t"), 2),
    ("Credential, Name , E-mail\n" .replace("E-mail", "email") + "wait-time,Ana,ana@testville.example\n\n\n", 1),
    (csv_text([{**GOOD[0], "name": "Line\nbreak inside quotes"}]).replace("Line\nbreak inside quotes", "O'Connor"), 1),
], ids=["a byte-order mark", "CRLF line ends", "semicolons (European spreadsheets)", "tabs", "headers in any case, blank lines", "quoted name"])
def test_csv_dialects_are_read(district, tmp_path, text, issued):
    report = issuance.issue_csv(district.config, district.catalog, district.keys, _write(tmp_path, text), now=NOW)
    assert len(report.issued) == issued


BAD_CSVS = {
    "reports a missing column": ("credential,name\nwait-time,Ana\n", ["awards.csv:1: header: missing column 'email'"]),
    "reports an unknown column with a hint": ("credential,name,email,evidense\nwait-time,Ana,a@testville.example,\n",
                                              ["awards.csv:1: evidense: unknown column (did you mean 'evidence'?)"]),
    "reports a bad e-mail address": ("credential,name,email\nwait-time,Ana,ana(at)testville\n",
                                     ["awards.csv:2: email: 'ana(at)testville' is not an e-mail address"]),
    "reports an unknown credential": ("credential,name,email\nwait-tme,Ana,a@testville.example\n",
                                      ["awards.csv:2: credential: no credential 'wait-tme' in the catalog (did you mean 'wait-time'?)"]),
    "reports an inactive credential": ("credential,name,email\nold-wait-time,Ana,a@testville.example\n",
                                       ["awards.csv:2: credential: credential 'old-wait-time' is retired"]),
    "reports duplicate rows": ("credential,name,email\nwait-time,Ana,a@testville.example\nwait-time,Ana L,A@testville.example\n",
                               ["awards.csv:3: duplicate of line 2"]),
    "reports a row with too many fields": ("credential,name,email\nwait-time,O'Connor, Siobhán,s@testville.example\n",
                                           ["awards.csv:2: 4 fields, but the header has 3"]),
    "reports an empty name": ("credential,name,email\nwait-time, ,a@testville.example\n", ["awards.csv:2: name: the name is empty"]),
    "reports a date that is not a date": ("credential,name,email,awarded\nwait-time,Ana,a@testville.example,03/01/2026\n",
                                          ["awards.csv:2: awarded: '03/01/2026' is not a date; write it as YYYY-MM-DD"]),
    "reports an award date in the future": ("credential,name,email,awarded\nwait-time,Ana,a@testville.example,2030-01-01\n",
                                            ["awards.csv:2: awarded: the award date 2030-01-01 is in the future"]),
    "reports an end date before the award": ("credential,name,email,awarded,valid_until\nwait-time,Ana,a@t.example,2026-01-01,2025-01-01\n",
                                             ["awards.csv:2: valid_until: valid until 2025-01-01 is not after the award date 2026-01-01"]),
    "reports evidence that is not https": ("credential,name,email,evidence\nwait-time,Ana,a@testville.example,ftp://x.example/y\n",
                                           ["awards.csv:2: evidence: 'ftp://x.example/y' is not an https link"]),
    "reports malformed scores": ("credential,name,email,scores\nwait-time,Ana,a@testville.example,pausing:proficient\n",
                                 ["awards.csv:2: scores: 'pausing:proficient' is not row=level"]),
    "reports a teacher who has not opted in": ("credential,name,email,teacher_slug\nwait-time,Ana,a@testville.example,ana-lopez\n",
                                               ["awards.csv:2: teacher_slug: no wallet/teachers/ana-lopez.yml"]),
    "reports an unclosed quote": ('credential,name,email\nwait-time,"Ana,a@testville.example\n', ["awards.csv:2:"]),
    "reports a file with only a header": ("credential,name,email\n", ["awards.csv:2: no rows below the header"]),
    "reports a Unicode line separator inside a name on its own line": (
        "credential,name,email\nwait-time,Ana\u2028López,a@testville.example\nwait-time,Bo,b@\n",
        ["awards.csv:2: name: the name contains control characters", "awards.csv:3: email:"]),
    "reports every bad row, not just the first": (
        "credential,name,email\nwait-tme,Ana,a@testville.example\nwait-time,Bo,bo@\nwait-time,Cy,cy@testville.example\n",
        ["awards.csv:2: credential:", "awards.csv:3: email:"]),
}


@pytest.mark.parametrize(("text", "expected"), BAD_CSVS.values(), ids=BAD_CSVS.keys())
def test_bad_csvs_report_every_row_and_issue_nothing(district, tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(ValidationError) as caught:
        issuance.issue_csv(district.config, district.catalog, district.keys, path, now=NOW)
    messages = [str(problem).replace(str(path), "awards.csv") for problem in caught.value.problems]
    for wanted in expected:
        assert any(message.startswith(wanted) for message in messages), messages
    assert len(messages) == len(expected)
    assert district.events("allocated") == [] and not (district.private / "recipients.jsonl").exists()


def test_an_empty_file_is_refused(district, tmp_path):
    with pytest.raises(IssueInputError, match="the file is empty"):
        issuance.issue_csv(district.config, district.catalog, district.keys, _write(tmp_path, "\n\n"), now=NOW)


def test_a_file_in_another_encoding_is_refused_with_its_line(district, tmp_path):
    path = _write(tmp_path, "credential,name,email\nwait-time,Siobhán,s@testville.example\n", encoding="latin-1")
    with pytest.raises(Exception, match=r"awards.csv:2: not valid UTF-8"):
        issuance.issue_csv(district.config, district.catalog, district.keys, path, now=NOW)


def test_skip_invalid_issues_the_good_rows_and_lists_the_bad_ones(district, tmp_path):
    text = "credential,name,email\nwait-tme,Ana,a@testville.example\nwait-time,Bo,bo@testville.example\n"
    report = issuance.issue_csv(district.config, district.catalog, district.keys, _write(tmp_path, text), now=NOW, skip_invalid=True)
    assert len(report.issued) == 1 and len(report.rejected) == 1
    assert str(report.rejected[0]).endswith("no credential 'wait-tme' in the catalog (did you mean 'wait-time'?)")


def test_badge_ids_cannot_be_guessed_from_an_email_address(tmp_path):
    """Two districts issuing the same award get unrelated badge ids (the request key is keyed by a private secret)."""
    first = make_issuing_district(tmp_path / "a")
    second = make_issuing_district(tmp_path / "b")
    assert issue(first).badge_id != issue(second).badge_id


def test_did_json_is_refreshed_before_issuing(district):
    did = district.config.wallet_path / "did.json"
    assert not did.exists()
    issue(district)
    assert json.loads(did.read_text(encoding="utf-8"))["id"] == district.config.issuer_did


def test_naive_times_are_refused(district):
    with pytest.raises(IssuanceError, match="timezone-aware"):
        issue(district, now=datetime(2026, 3, 1))
    assert NOW.tzinfo is UTC


def test_issued_badges_pass_the_1edtech_json_schema(district):
    schema_path = Path(__file__).resolve().parents[1].parent / "shared" / "standards" / "schemas" / "ob_v3p0_achievementcredential_schema.json"
    if not schema_path.is_file():
        pytest.skip(f"1EdTech OB 3.0 JSON Schema not found at {schema_path} (../shared/standards): cannot validate against it")
    from jsonschema import Draft201909Validator

    validator = Draft201909Validator(json.loads(schema_path.read_text(encoding="utf-8")))
    single = issue(district, "wait-time-two", teacher_slug=OPTED_IN.slug, evidence=["https://drive.example.org/v/1"],
                   scores={"pausing": "exemplary", "reflection": "proficient"}, awarded=date(2026, 1, 5))
    issue(district, "wait-time", teacher_slug=OPTED_IN.slug, awarded=date(2026, 1, 6))
    stack = next(event for event in district.events("issued") if event.get("stack"))
    for path in (single.path, district.config.wallet_path / "badges" / f"{stack['badge']}.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        errors = sorted(validator.iter_errors(document), key=lambda error: list(error.path))
        assert not errors, [f"{list(error.path)}: {error.message}" for error in errors]
        assert isinstance(document["credentialStatus"], dict)  # OB 3.0 allows exactly one status entry


def test_key_changes_refresh_did_json_and_are_logged(district):
    rotated = district.keys.rotate(district.config.issuer_did, now=NOW)
    path = issuance.record_key_change(district.config, district.keys, kind="key-rotated", key_id=rotated.key_id, now=NOW)
    assert [method["id"].rsplit("#", 1)[1] for method in json.loads(path.read_text(encoding="utf-8"))["verificationMethod"]] == ["key-1", "key-2"]
    assert district.events("key-rotated") == [{"event": "key-rotated", "at": "2026-03-01T12:00:00Z", "did": district.config.issuer_did,
                                               "key": "key-2"}]
    with pytest.raises(LedgerError, match="unknown key event"):
        issuance.record_key_change(district.config, district.keys, kind="key-lost", key_id="key-2", now=NOW)


def test_a_right_to_left_name_needs_no_override_and_is_issued_as_written(district):
    name = "سارا أحمد"
    badge = issue(district, name=name)
    assert json.loads(badge.path.read_text(encoding="utf-8"))["credentialSubject"]["name"] == name

"""The issuance ledger: event checks, folding into badge state, status index allocation, locking and torn lines."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from credfolio.errors import LedgerError
from credfolio.ledger import (
    LIST_SIZE,
    LedgerState,
    StatusSlot,
    key_event,
    normalize_badge_id,
    open_ledger,
    read_ledger,
)

ISSUER = "did:web:testville.github.io:mc"
AT = "2026-03-01T12:00:00Z"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
BADGE = "0f6bd2a4-6d0e-5f0a-9c52-6a1f0a6c1c11"
OTHER = "1a2b3c4d-0000-5000-8000-000000000002"


def created() -> dict:
    return {"event": "ledger-created", "at": AT, "format": 1, "issuer": ISSUER}


def allocated(badge: str = BADGE, index: int = 7, **extra) -> dict:
    return {"event": "allocated", "at": AT, "badge": badge, "credential": "wait-time",
            "status": [{"purpose": "revocation", "list": 1, "index": index}], **extra}


def issued(badge: str = BADGE, **extra) -> dict:
    event = {"event": "issued", "at": AT, "badge": badge, "id": f"urn:uuid:{badge}", "credential": "wait-time",
             "awarded": "2026-03-01", "valid_from": "2026-03-01T00:00:00Z", "key": f"{ISSUER}#key-1", "public": False}
    event.update(extra)
    return event


def write_ledger(path: Path, events: list[dict], tail: str = "") -> Path:
    path.write_text("".join(json.dumps(event) + "\n" for event in events) + tail, encoding="utf-8")
    return path


def test_folds_a_badge_through_its_life(tmp_path):
    events = [created(), allocated(), issued(valid_until="2027-03-01T00:00:00Z"),
              {"event": "suspended", "at": AT, "badge": BADGE, "reason": "under review"}]
    state = read_ledger(write_ledger(tmp_path / "ledger.jsonl", events))
    entry = state.badges[BADGE]
    assert entry.state(NOW) == "suspended"
    assert entry.suspended["reason"] == "under review"
    state.apply({"event": "unsuspended", "at": AT, "badge": BADGE})
    assert entry.state(NOW) == "active"
    assert entry.state(datetime(2027, 3, 1, tzinfo=UTC)) == "expired"
    state.apply({"event": "revoked", "at": AT, "badge": BADGE, "reason": "issued in error"})
    assert entry.state(NOW) == "revoked"
    assert state.set_indexes("revocation", 1) == {7}
    assert state.lists() == [("revocation", 1)]
    assert state.issuer == ISSUER


def test_an_allocated_badge_is_not_yet_issued(tmp_path):
    state = read_ledger(write_ledger(tmp_path / "ledger.jsonl", [created(), allocated()]))
    assert state.badges[BADGE].state(NOW) == "allocated"
    assert state.used == {("revocation", 1): {7}}


def test_a_missing_ledger_is_empty(tmp_path):
    state = read_ledger(tmp_path / "nothing.jsonl")
    assert state.events == 0 and not state.badges


BAD_LEDGERS = {
    "rejects a line that is not JSON": ([created()], "{not json\n", "not JSON"),
    "rejects an unknown event": ([created(), {"event": "deleted", "at": AT, "badge": BADGE}], "", "unknown event 'deleted'"),
    "rejects a timestamp without a zone": ([created(), {**allocated(), "at": "2026-03-01T12:00:00"}], "", "at: must be a UTC timestamp"),
    "rejects a first event other than ledger-created": ([allocated()], "", "the first event must be ledger-created"),
    "rejects a second ledger-created": ([created(), created()], "", "only be the first event"),
    "rejects issued before allocated": ([created(), issued()], "", "never allocated"),
    "rejects a badge allocated twice": ([created(), allocated(), allocated(index=8)], "", "allocated twice"),
    "rejects a status index used twice": ([created(), allocated(), allocated(OTHER)], "", "status index 7 of revocation-1 is used twice"),
    "rejects an index outside the list": ([created(), allocated(index=LIST_SIZE)], "", "status: must be"),
    "rejects an unknown status purpose": ([created(), {**allocated(), "status": [{"purpose": "deleted", "list": 1, "index": 1}]}], "",
                                          "status: must be"),
    "rejects issued twice": ([created(), allocated(), issued(), issued()], "", "issued twice"),
    "rejects a private badge that names its teacher": ([created(), allocated(), issued(teacher="ana-lopez")], "",
                                                       "names no teacher and no URL"),
    "rejects issued for another credential": ([created(), allocated(), issued(credential="other")], "", "another achievement"),
    "rejects an id that is not the badge's urn": ([created(), allocated(), issued(id="urn:uuid:" + OTHER)], "", "id: must be urn:uuid"),
    "rejects revoking a badge never issued": ([created(), allocated(), {"event": "revoked", "at": AT, "badge": BADGE}], "",
                                              "never issued"),
    "rejects revoking twice": ([created(), allocated(), issued(), {"event": "revoked", "at": AT, "badge": BADGE},
                                {"event": "revoked", "at": AT, "badge": BADGE}], "", "revoked twice"),
    "rejects suspending a revoked badge": ([created(), allocated(), issued(), {"event": "revoked", "at": AT, "badge": BADGE},
                                            {"event": "suspended", "at": AT, "badge": BADGE}], "", "already revoked"),
    "rejects lifting a suspension that does not exist": ([created(), allocated(), issued(), {"event": "unsuspended", "at": AT, "badge": BADGE}],
                                                         "", "is not suspended"),
    "rejects a re-issue naming a badge never issued": ([created(), allocated(), issued(),
                                                        {"event": "reissued", "at": AT, "badge": BADGE, "new_badge": OTHER}], "",
                                                       "never issued"),
    "rejects a reason spanning lines": ([created(), allocated(), issued(), {"event": "revoked", "at": AT, "badge": BADGE, "reason": "a\nb"}],
                                        "", "reason: must be one line"),
    "rejects a badge id that is not a UUID": ([created(), {**allocated(), "badge": "BADGE-1"}], "", "badge: must be a lower-case UUID"),
    "rejects a line that is not an object": ([created(), ["allocated"]], "", "must be a JSON object"),
}


@pytest.mark.parametrize(("events", "tail", "message"), BAD_LEDGERS.values(), ids=BAD_LEDGERS.keys())
def test_bad_ledger_lines_name_file_and_line(tmp_path, events, tail, message):
    path = write_ledger(tmp_path / "ledger.jsonl", events, tail)
    with pytest.raises(LedgerError) as caught:
        read_ledger(path, display="wallet/ledger.jsonl")
    assert message in str(caught.value)
    assert str(caught.value).startswith("wallet/ledger.jsonl:")
    line = int(str(caught.value).split(":")[1])
    assert 1 <= line <= len(events) + 1


def test_a_torn_last_line_is_ignored_when_reading_and_cut_when_opening(tmp_path):
    path = write_ledger(tmp_path / "ledger.jsonl", [created(), allocated()], tail='{"event":"issued","at":"2026')
    assert BADGE in read_ledger(path).badges
    with open_ledger(path, issuer=ISSUER, now=NOW) as ledger:
        ledger.append([issued()])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[-1])["event"] == "issued"


def test_open_creates_the_ledger_with_its_issuer(tmp_path):
    path = tmp_path / "wallet" / "ledger.jsonl"
    with open_ledger(path, issuer=ISSUER, now=NOW) as ledger:
        assert ledger.state.issuer == ISSUER
    assert json.loads(path.read_text(encoding="utf-8")) == created()


def test_open_refuses_another_issuers_ledger(tmp_path):
    path = write_ledger(tmp_path / "ledger.jsonl", [created()])
    with pytest.raises(LedgerError, match="belongs to did:web:testville.github.io:mc"):
        with open_ledger(path, issuer="did:web:elsewhere.example", now=NOW):
            pass


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path):
    path = tmp_path / "ledger.jsonl"
    with open_ledger(path, issuer=ISSUER, now=NOW):
        with pytest.raises(LedgerError, match="another credfolio command is writing the ledger"):
            with open_ledger(path, issuer=ISSUER, now=NOW):
                pass
    with open_ledger(path, issuer=ISSUER, now=NOW):
        pass  # released


def test_append_checks_before_writing_and_then_refuses_further_writes(tmp_path):
    path = tmp_path / "ledger.jsonl"
    with open_ledger(path, issuer=ISSUER, now=NOW) as ledger:
        before = path.read_bytes()
        with pytest.raises(LedgerError, match="never allocated"):
            ledger.append([issued()])
        assert path.read_bytes() == before
        with pytest.raises(LedgerError, match="earlier ledger write failed"):
            ledger.append([allocated()])


def test_key_events_are_recorded(tmp_path):
    path = tmp_path / "ledger.jsonl"
    with open_ledger(path, issuer=ISSUER, now=NOW) as ledger:
        ledger.append([key_event("key-rotated", did=ISSUER, key_id="key-2", at=NOW)])
    assert read_ledger(path).events == 2
    with pytest.raises(LedgerError, match="unknown key event"):
        key_event("key-lost", did=ISSUER, key_id="key-2", at=NOW)


def test_allocation_is_random_and_never_reuses_an_index():
    state = LedgerState(used={("revocation", 1): {1, 2, 3}})
    reserved: dict = {}
    rng = random.Random(7)
    slots = [state.allocate(["revocation"], rng, reserved)[0] for _ in range(2000)]
    indexes = [slot.index for slot in slots]
    assert len(set(indexes)) == 2000
    assert not {1, 2, 3} & set(indexes)
    assert all(slot.list == 1 for slot in slots)
    assert max(indexes) - min(indexes) > LIST_SIZE // 2  # spread over the list, not handed out in order
    assert sorted(indexes) != indexes


def test_allocation_fills_the_last_free_entries_then_starts_a_new_list():
    free = {5, 99_999}
    state = LedgerState(used={("revocation", 1): set(range(LIST_SIZE)) - free})
    reserved: dict = {}
    rng = random.Random(1)
    first = [state.allocate(["revocation"], rng, reserved)[0] for _ in range(2)]
    assert {slot.index for slot in first} == free and {slot.list for slot in first} == {1}
    assert state.allocate(["revocation"], rng, reserved)[0].list == 2


def test_one_index_per_purpose():
    slots = LedgerState().allocate(["revocation", "suspension"], random.Random(3), {})
    assert [slot.purpose for slot in slots] == ["revocation", "suspension"]
    assert slots[0].to_json() == {"purpose": "revocation", "list": 1, "index": slots[0].index}
    assert isinstance(slots[1], StatusSlot)


@pytest.mark.parametrize("text", [BADGE, BADGE.upper(), f"urn:uuid:{BADGE}", f"https://x.example/badges/{BADGE}.json",
                                  f"https://x.example/badges/{BADGE}/", f"  {BADGE} "])
def test_badge_ids_are_normalised(text):
    assert normalize_badge_id(text) == BADGE


@pytest.mark.parametrize("text", ["", "badge-1", "urn:uuid:", "12345", str(uuid.uuid4())[:-1]],
                         ids=["empty", "a slug", "an empty urn", "a number", "a truncated uuid"])
def test_junk_is_not_a_badge_id(text):
    with pytest.raises(LedgerError, match="is not a badge id"):
        normalize_badge_id(text)


def test_expiry_compares_with_the_end_date(tmp_path):
    until = NOW + timedelta(days=1)
    state = read_ledger(write_ledger(tmp_path / "l.jsonl", [created(), allocated(), issued(valid_until=until.strftime("%Y-%m-%dT%H:%M:%SZ"))]))
    entry = state.badges[BADGE]
    assert entry.state(until - timedelta(seconds=1)) == "active"
    assert entry.state(until) == "expired"

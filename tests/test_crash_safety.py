"""Crash safety: atomic files, durable appends, the ledger lock, and bulk issue killed with SIGKILL then resumed.

The end-to-end test runs the real CLI in a subprocess on a 200-row CSV, kills it with SIGKILL three
times at different moments, reruns it to completion and checks that every row got exactly one badge,
that every badge verifies and that no status index was handed out twice. The in-process tests stop a
run at each step of the issuing sequence deterministically.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from issuing_factory import NOW, csv_text, make_issuing_district, teacher_rows

from credfolio import fsutil, issuance, proof
from credfolio.issuance import badge_id_for, read_issue_csv, request_key
from credfolio.ledger import read_ledger
from credfolio.wallet import issuance_secret, status_list_path

REPO = Path(__file__).resolve().parents[1]


class Crash(BaseException):
    """Stands in for the process dying: not an Exception, so nothing on the way up handles it."""


# --------------------------------------------------------------------------------------------------
# fsutil


def test_an_interrupted_atomic_write_leaves_the_old_file_and_no_litter(tmp_path, monkeypatch):
    path = tmp_path / "badge.json"
    fsutil.atomic_write_json(path, {"version": 1})

    def die(*args):
        raise Crash

    monkeypatch.setattr(os, "replace", die)
    with pytest.raises(Crash):
        fsutil.atomic_write_json(path, {"version": 2})
    assert json.loads(path.read_text(encoding="utf-8")) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["badge.json"]


def test_a_batch_write_is_complete_private_where_asked_and_leaves_no_litter(tmp_path):
    files = [(tmp_path / ("private" if n % 2 else "public") / f"{n}.json", f'{{"n": {n}}}\n'.encode(), bool(n % 2)) for n in range(30)]
    fsutil.atomic_write_many(files)
    for path, data, private in files:
        assert path.read_bytes() == data
        assert path.stat().st_mode & 0o777 == (0o600 if private else 0o644)
    assert not [p for p in tmp_path.rglob(".*.tmp")]


def test_a_batch_interrupted_before_renaming_changes_no_file(tmp_path, monkeypatch):
    files = [(tmp_path / f"{n}.json", b"new", False) for n in range(10)]
    for path, _, _ in files:
        path.write_bytes(b"old")

    def die(*args):
        raise Crash

    monkeypatch.setattr(os, "replace", die)
    with pytest.raises(Crash):
        fsutil.atomic_write_many(files)
    assert {path.read_bytes() for path, _, _ in files} == {b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(path.name for path, _, _ in files)


def test_stale_temporaries_are_removed(tmp_path):
    (tmp_path / ".badge.json.abc123.tmp").write_text("{", encoding="utf-8")
    (tmp_path / "badge.json").write_text("{}", encoding="utf-8")
    assert fsutil.remove_stale_temporaries(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["badge.json"]
    assert fsutil.remove_stale_temporaries(tmp_path / "missing") == 0


def test_appends_are_whole_lines_and_a_torn_tail_is_cut(tmp_path):
    path = tmp_path / "log.jsonl"
    fsutil.append_lines(path, ['{"n":1}', '{"n":2}'])
    with open(path, "ab") as handle:
        handle.write(b'{"n":3, "half')
    assert [text for _, text in fsutil.read_lines(path)] == ['{"n":1}', '{"n":2}']
    assert fsutil.repair_torn_tail(path) is True
    assert fsutil.repair_torn_tail(path) is False
    fsutil.append_lines(path, ['{"n":3}'])
    assert path.read_text(encoding="utf-8") == '{"n":1}\n{"n":2}\n{"n":3}\n'


def test_private_files_are_created_private(tmp_path):
    fsutil.append_lines(tmp_path / "private" / "recipients.jsonl", ["{}"], private=True)
    fsutil.atomic_write_json(tmp_path / "private" / "badges" / "b.json", {}, private=True)
    assert (tmp_path / "private").stat().st_mode & 0o077 == 0
    assert (tmp_path / "private" / "recipients.jsonl").stat().st_mode & 0o077 == 0
    assert (tmp_path / "private" / "badges" / "b.json").stat().st_mode & 0o077 == 0


LOCK_HOLDER = textwrap.dedent("""
    import os, sys, time
    from credfolio.fsutil import exclusive_lock
    with exclusive_lock(sys.argv[1]):
        if os.fork() == 0:          # a worker forked while the lock is held (as parallel signing does)
            time.sleep(60)
            os._exit(0)
        print("locked", flush=True)
        time.sleep(60)
""")


def test_the_lock_dies_with_its_holder_even_when_a_forked_child_lives_on(tmp_path):
    lock = tmp_path / "ledger.lock"
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(lock)], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(BlockingIOError):
            with fsutil.exclusive_lock(lock, blocking=False):
                pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        with fsutil.exclusive_lock(lock, blocking=False):  # the orphaned child does not keep it
            pass
    finally:
        _kill_group(holder)


def test_the_lock_excludes_a_second_holder_in_the_same_process(tmp_path):
    lock = tmp_path / "ledger.lock"
    with fsutil.exclusive_lock(lock):
        with pytest.raises(BlockingIOError):
            with fsutil.exclusive_lock(lock, blocking=False):
                pass
        with pytest.raises(BlockingIOError):
            with fsutil.exclusive_lock(lock):
                pass
    with fsutil.exclusive_lock(lock, blocking=False):
        pass


# --------------------------------------------------------------------------------------------------
# Stopping a run at each step, deterministically


def _crash_on(monkeypatch, target, name, *, after: int = 0):
    """Make ``target.name`` raise :class:`Crash` on its ``after + 1``-th call."""
    original = getattr(target, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after:
            raise Crash
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)


STEPS = {
    "after the recipients, before allocating": (issuance, "append_recipients", 0, "after"),
    "after allocating, before signing": (proof.BulkSigner, "sign", 0, None),
    "after some badge files, before their issued events": (issuance, "atomic_write_many", 0, "partial"),
    "after the first batch is recorded": (proof.BulkSigner, "sign", 1, None),
    "while publishing the status list": (issuance, "_publish", 0, None),
}


@pytest.mark.parametrize(("target", "name", "after", "when"), STEPS.values(), ids=STEPS.keys())
def test_a_run_stopped_at_any_step_is_finished_by_rerunning_it(tmp_path, monkeypatch, target, name, after, when):
    district = make_issuing_district(tmp_path)
    path = tmp_path / "awards.csv"
    path.write_text(csv_text(teacher_rows(90)), encoding="utf-8")
    if when == "after":  # let the recipients be written, then die
        original = issuance.append_recipients

        def write_then_die(*args, **kwargs):
            original(*args, **kwargs)
            raise Crash

        monkeypatch.setattr(issuance, "append_recipients", write_then_die)
    elif when == "partial":  # the first 7 badge files of a batch reach the disk, then the process dies
        original_many = issuance.atomic_write_many

        def write_some_then_die(files):
            original_many(list(files)[:7])
            raise Crash

        monkeypatch.setattr(issuance, "atomic_write_many", write_some_then_die)
    else:
        _crash_on(monkeypatch, target, name, after=after)
    with pytest.raises(Crash):
        issuance.issue_csv(district.config, district.catalog, district.keys, path, now=NOW, processes=1)
    allocated_before = {event["badge"]: event["status"] for event in district.events("allocated")}
    monkeypatch.undo()
    report = issuance.issue_csv(district.config, district.catalog, district.keys, path, now=NOW, processes=1)
    assert len(report.issued) + len(report.already_issued) == 90
    _assert_exactly_once(district, path, 90)
    for event in district.events("allocated"):  # an allocation survives the crash unchanged
        if event["badge"] in allocated_before:
            assert event["status"] == allocated_before[event["badge"]]
    resolver = district.publish()
    for badge in random.Random(0).sample(report.issued + report.already_issued, 5):
        assert district.verify(badge.path, resolver=resolver).state == "verified"


# --------------------------------------------------------------------------------------------------
# SIGKILL, for real


def test_bulk_issue_killed_three_times_then_resumed_issues_each_row_exactly_once(tmp_path):
    district = make_issuing_district(tmp_path)
    path = tmp_path / "awards.csv"
    rows = [{**row, "awarded": "2026-01-15"} for row in teacher_rows(200)]  # the CLI's clock is the real one
    path.write_text(csv_text(rows, columns=("credential", "name", "email", "awarded")), encoding="utf-8")
    command = [sys.executable, "-m", "credfolio.cli", "issue", "--csv", str(path), *district.cli_options()]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    ledger = district.config.wallet_path / "ledger.jsonl"
    rng = random.Random(20260301)
    kills = 0
    for extra_delay in (rng.uniform(0.0, 0.25), rng.uniform(0.25, 0.6), rng.uniform(0.1, 0.5)):
        size_before = ledger.stat().st_size if ledger.exists() else 0
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            # wait until this run has written to the ledger, then let it run a little further
            while process.poll() is None and time.monotonic() < deadline:
                if ledger.exists() and ledger.stat().st_size > size_before:
                    break
                time.sleep(0.02)
            time.sleep(extra_delay)
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)  # the command only, as `kill -9 PID` does
                kills += 1
            process.wait(timeout=30)
        finally:
            _kill_group(process)  # then any signing worker it may have left behind
    assert kills >= 2, "the runs finished before they could be killed; the test did not exercise a crash"
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = done.stdout.splitlines()[0]
    assert summary.startswith("issued ") and "rows skipped" in summary
    _assert_exactly_once(district, path, 200)
    badges = sorted((district.private / "badges").glob("*.json"))
    assert len(badges) == 200 and not list((district.private / "badges").glob(".*"))
    resolver = district.publish()
    checked_at = datetime.now(UTC) + timedelta(minutes=1)  # the status list was signed with the CLI's real clock
    states = {district.verify(badge, resolver=resolver, now=checked_at).state for badge in badges}
    assert states == {"verified"}
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.stdout.startswith("issued 0 badges") and "200 already issued" in rerun.stdout


def _assert_exactly_once(district, path: Path, rows: int) -> None:
    """One issued badge per CSV row (by the row's request key), nothing left half-done, no index used twice."""
    state = read_ledger(district.config.wallet_path / "ledger.jsonl")  # re-checks every event, incl. index reuse
    requests, problems = read_issue_csv(path, district.config, district.catalog, now=NOW)
    assert not problems and len(requests) == rows
    secret = issuance_secret(district.config)
    expected = {badge_id_for(request_key(secret, request)) for request in requests}
    issued = [event["badge"] for event in district.events("issued")]
    assert len(issued) == len(set(issued)) == rows
    assert set(issued) == expected
    assert all(entry.is_issued for entry in state.badges.values())
    indexes = [slot.index for entry in state.badges.values() for slot in entry.slots]
    assert len(indexes) == len(set(indexes)) == rows
    recipients = {json.loads(line)["badge_id"] for line in (district.private / "recipients.jsonl").read_text(encoding="utf-8").splitlines()}
    assert recipients == expected


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL what is left of the process group this test started (orphaned workers)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if process.poll() is None:
        process.wait(timeout=10)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


# --------------------------------------------------------------------------------------------------
# SIGKILL at seeded random moments: revoke, status publish, bulk issue — then rerun and check convergence

KILL_ROUNDS = 5
MAX_ROUNDS = 10  # runs that finish before their kill point do not count; stop trying after this many
ROWS_PER_ROUND = 40
CLI_ENV = {**os.environ, "PYTHONPATH": str(REPO / "src")}


class _KillClock:
    """Seeded random kill moments that adapt to how fast this machine runs the command.

    Half of the kill points are a delay from the start (start-up to the end of the work); the other half
    wait until ``watch`` (the ledger) grows and die a moment later, which lands between the ledger append
    and the status-list write or inside the write. A run that finishes before its kill point tells the
    clock how long a whole run takes here, so the next kill point falls inside the run: a fast machine
    (or one with the build's speed-ups) still gets killed mid-work instead of failing the test.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.whole_run = 2.5  # seconds from start to exit, until a finished run says otherwise
        self.after_append = 0.15  # seconds from the ledger growing to exit

    def run(self, command: list[str], *, watch: Path) -> bool:
        """Start ``command`` and SIGKILL it at the next kill point; True when it was killed before it finished."""
        size_before = watch.stat().st_size if watch.exists() else 0
        after_ledger_write = self.rng.random() < 0.5
        fraction = self.rng.uniform(0.05, 0.9)
        started = time.monotonic()
        grew_at = None
        process = subprocess.Popen(command, env=CLI_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            if after_ledger_write:
                deadline = started + 60
                while process.poll() is None and time.monotonic() < deadline:
                    if watch.exists() and watch.stat().st_size > size_before:
                        grew_at = time.monotonic()
                        break
                    time.sleep(0.002)
                time.sleep(fraction * self.after_append)
            else:
                while process.poll() is None and time.monotonic() < started + fraction * self.whole_run:
                    time.sleep(0.002)
            killed = process.poll() is None
            if killed:
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
            if not killed:
                ended = time.monotonic()
                self.whole_run = min(self.whole_run, ended - started)
                if grew_at is not None:
                    self.after_append = min(self.after_append, ended - grew_at)
            return killed
        finally:
            _kill_group(process)


def _issued_district(tmp_path: Path, count: int):
    district = make_issuing_district(tmp_path)
    requests = [issuance.IssueRequest(name=row["name"], email=row["email"], awarded=NOW.date(), credential="wait-time")
                for row in teacher_rows(count)]
    report = issuance.issue_requests(district.config, district.catalog, district.keys, requests, now=NOW, processes=1)
    assert len(report.issued) == count
    return district, [badge.badge_id for badge in report.issued]


def _assert_converged(district, *, revoked: set[str] | None = None) -> dict[str, int]:
    """Ledger, status lists, badge files and folders agree after a crash and a rerun; returns the verdict counts."""
    from credfolio.status import StatusList

    state = read_ledger(district.config.wallet_path / "ledger.jsonl")  # re-checks every event, index reuse included
    events = district.events()
    issued = [event["badge"] for event in events if event["event"] == "issued"]
    assert len(issued) == len(set(issued)), "a badge was issued twice"
    revocations = [event["badge"] for event in events if event["event"] == "revoked"]
    assert len(revocations) == len(set(revocations)), "a badge was revoked twice"
    if revoked is not None:
        assert set(revocations) == revoked
    indexes = [(slot.purpose, slot.list, slot.index) for entry in state.badges.values() for slot in entry.slots]
    assert len(indexes) == len(set(indexes)), "a status index was handed out twice"
    # every status list holds exactly the ledger's bits and is signed
    for purpose, number in state.lists():
        path = status_list_path(district.config, purpose, number)
        document = json.loads(path.read_text(encoding="utf-8"))
        bits = StatusList.from_encoded(document["credentialSubject"]["encodedList"])
        flagged = {index for index in range(bits.size) if bits.get(index)}
        assert flagged == state.set_indexes(purpose, number), f"{path.name} disagrees with the ledger"
        assert document.get("proof")
    # no temporary file anywhere in the repository or the private folder
    litter = [p for folder in (district.root, district.private) for p in folder.rglob("*") if p.name.endswith(".tmp")]
    assert litter == []
    # every badge file is whole JSON and verifies (revoked ones as revoked)
    resolver = district.publish()
    states: dict[str, int] = {}
    for path in sorted(district.private.glob("badges/*.json")) + sorted(district.config.wallet_path.glob("badges/*.json")):
        result = district.verify(path, resolver=resolver, now=datetime.now(UTC) + timedelta(minutes=1))
        badge_id = path.stem
        expected = "revoked" if badge_id in set(revocations) else "verified"
        assert result.state == expected, (badge_id, [check.message for check in result.checks if not check.ok])
        states[result.state] = states.get(result.state, 0) + 1
    return states


def test_revoke_killed_at_random_moments_then_rerun_revokes_each_badge_once_and_the_list_matches(tmp_path):
    district, badges = _issued_district(tmp_path, 12)
    ledger = district.config.wallet_path / "ledger.jsonl"
    clock = _KillClock(random.Random(20261128))
    targets: list[str] = []
    kills = 0
    for badge_id in badges[:MAX_ROUNDS]:  # a run that finished uses up its badge; the next one is killed sooner
        command = [sys.executable, "-m", "credfolio.cli", "revoke", badge_id, "--reason", "Issued in error", *district.cli_options()]
        targets.append(badge_id)
        kills += clock.run(command, watch=ledger)
        if kills == KILL_ROUNDS:
            break
    assert kills >= 3, "the runs finished before they could be killed; the test did not exercise a crash"
    for badge_id in targets:  # rerun each revoke (in-process: the same code path as the command, without start-up)
        issuance.revoke_badge(district.config, district.keys, badge_id, reason="Issued in error", now=datetime.now(UTC))
    states = _assert_converged(district, revoked=set(targets))
    assert states == {"revoked": len(targets), "verified": len(badges) - len(targets)}


def test_status_publish_killed_at_random_moments_then_rerun_leaves_a_whole_signed_list(tmp_path):
    district, badges = _issued_district(tmp_path, 12)
    for badge_id in badges[:3]:
        issuance.revoke_badge(district.config, district.keys, badge_id, reason="Issued in error", now=NOW)
    ledger = district.config.wallet_path / "ledger.jsonl"
    clock = _KillClock(random.Random(1128))
    command = [sys.executable, "-m", "credfolio.cli", "status", "publish", "--force", *district.cli_options()]
    kills = 0
    for _ in range(MAX_ROUNDS):
        kills += clock.run(command, watch=ledger)
        if kills == KILL_ROUNDS:
            break
    assert kills >= 3, "the runs finished before they could be killed; the test did not exercise a crash"
    done = subprocess.run([sys.executable, "-m", "credfolio.cli", "status", "publish", *district.cli_options()],
                          env=CLI_ENV, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    states = _assert_converged(district, revoked=set(badges[:3]))
    assert states == {"revoked": 3, "verified": len(badges) - 3}


def test_bulk_issue_killed_at_five_random_moments_then_rerun_converges(tmp_path):
    district = make_issuing_district(tmp_path)
    path = tmp_path / "awards.csv"
    rows = [{**row, "awarded": "2026-01-15"} for row in teacher_rows(ROWS_PER_ROUND * MAX_ROUNDS)]
    command = [sys.executable, "-m", "credfolio.cli", "issue", "--csv", str(path), *district.cli_options()]
    ledger = district.config.wallet_path / "ledger.jsonl"
    clock = _KillClock(random.Random(281126))
    kills = rounds = 0
    while kills < KILL_ROUNDS and rounds < MAX_ROUNDS:
        rounds += 1  # every round adds rows, so a run that finished leaves the next one work to be killed in
        path.write_text(csv_text(rows[:ROWS_PER_ROUND * rounds], columns=("credential", "name", "email", "awarded")), encoding="utf-8")
        kills += clock.run(command, watch=ledger)
    assert kills >= 3, "the runs finished before they could be killed; the test did not exercise a crash"
    done = subprocess.run(command, env=CLI_ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    _assert_exactly_once(district, path, ROWS_PER_ROUND * rounds)
    states = _assert_converged(district, revoked=set())
    assert states == {"verified": ROWS_PER_ROUND * rounds}

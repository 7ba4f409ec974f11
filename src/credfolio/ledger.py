"""The issuance ledger: ``wallet/ledger.jsonl``, an append-only public record of every badge event.

One JSON object per line, oldest first. The ledger is public (it is committed and published with
the site), so it never holds a name or an e-mail address: badges are named by their UUID, teachers
only by the slug of an opted-in teacher's wallet file. Personal data lives in the private folder
(:mod:`credfolio.wallet`).

Events (``event`` field; every event has ``at``, a UTC timestamp):

``ledger-created``   ``format`` (1) and ``issuer`` (the district's DID); always the first line
``allocated``        ``badge``, ``credential`` or ``stack``, ``status`` (list of ``{purpose, list, index}``)
                     — written *before* signing, so a status index is never handed out twice
``issued``           ``badge``, ``id`` (``urn:uuid:…``), ``credential`` or ``stack``, ``awarded`` (date),
                     ``valid_from``, ``valid_until``?, ``key`` (verification method), ``public`` (bool),
                     ``teacher``? (slug, public badges only), ``url``? / ``page``? (public badges only),
                     ``replaces``? (re-issues)
``revoked``          ``badge``, ``reason``? (when the district publishes it), ``replaced_by``?
``suspended``        ``badge``, ``reason``?
``unsuspended``      ``badge``
``reissued``         ``badge`` (old), ``new_badge``
``key-generated`` / ``key-rotated`` / ``key-compromised``   ``did``, ``key``
``status-published`` ``purpose``, ``list``, ``url``, ``set`` (number of set bits)

:class:`LedgerState` folds the events into the current state of every badge and the set of used
status indexes. :func:`open_ledger` holds an exclusive lock for a whole command, drops a torn last
line left by a crash (it was never acted on: every step waits for its line to be on disk) and
checks every line; :meth:`Ledger.append` writes and ``fsync``s before the caller moves on.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from credfolio.errors import LedgerError, Location
from credfolio.fsutil import append_lines, exclusive_lock, json_line, read_lines, repair_torn_tail
from credfolio.status import MIN_LIST_LENGTH, STATUS_PURPOSES

FORMAT_VERSION = 1
LEDGER_FILE = "ledger.jsonl"
#: Entries per status list; a new list (``revocation-2`` …) starts when one is full.
LIST_SIZE = MIN_LIST_LENGTH
#: Below this share of free entries, allocation picks from the free indexes instead of probing at random.
_PROBE_FREE_SHARE = 1 / 16

BADGE_EVENTS = ("allocated", "issued", "revoked", "suspended", "unsuspended", "reissued")
KEY_EVENTS = ("key-generated", "key-rotated", "key-compromised")
EVENTS = ("ledger-created", *BADGE_EVENTS, *KEY_EVENTS, "status-published")

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def timestamp(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC; naive datetimes are refused."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise LedgerError(f"time {moment!r} must be a timezone-aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """Inverse of :func:`timestamp`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def normalize_badge_id(text: str) -> str:
    """The canonical badge id (lower-case UUID) of ``text``: a UUID, ``urn:uuid:<uuid>`` or a badge URL ending in one.

    Raises :class:`LedgerError` when ``text`` names no badge.
    """
    candidate = text.strip() if isinstance(text, str) else ""
    if candidate.lower().startswith("urn:uuid:"):
        candidate = candidate[len("urn:uuid:") :]
    candidate = candidate.rstrip("/")
    if "/" in candidate:
        candidate = candidate.rsplit("/", 1)[1]
    if candidate.lower().endswith(".json"):
        candidate = candidate[: -len(".json")]
    try:
        return str(uuid.UUID(candidate))
    except ValueError:
        raise LedgerError(f"{text!r} is not a badge id (expected a UUID such as 3f1c0e9a-…, or urn:uuid:…)") from None


@dataclass(frozen=True)
class StatusSlot:
    """One status index handed to a badge: bit ``index`` of list ``<purpose>-<list>``."""

    purpose: str
    list: int
    index: int

    def to_json(self) -> dict[str, Any]:
        """``{"purpose", "list", "index"}``."""
        return {"purpose": self.purpose, "list": self.list, "index": self.index}


@dataclass
class BadgeEntry:
    """Everything the ledger says about one badge."""

    badge_id: str
    credential: str | None
    stack: str | None
    slots: tuple[StatusSlot, ...]
    allocated_at: datetime
    issued: dict[str, Any] | None = None
    revoked: dict[str, Any] | None = None
    suspended: dict[str, Any] | None = None
    reissued_as: str | None = None

    @property
    def achievement_key(self) -> str:
        """``credential:<id>`` or ``stack:<id>``."""
        return f"credential:{self.credential}" if self.credential else f"stack:{self.stack}"

    @property
    def is_issued(self) -> bool:
        """Signed and written (an ``issued`` event exists)."""
        return self.issued is not None

    @property
    def is_public(self) -> bool:
        """Its JSON is published in ``wallet/badges/`` (an opted-in teacher's badge)."""
        return bool(self.issued and self.issued.get("public"))

    @property
    def valid_until(self) -> datetime | None:
        """The ``validUntil`` recorded at issue, if any."""
        text = self.issued.get("valid_until") if self.issued else None
        return parse_timestamp(text) if text else None

    @property
    def awarded(self) -> date | None:
        """The award date recorded at issue."""
        return date.fromisoformat(self.issued["awarded"]) if self.issued else None

    def state(self, now: datetime) -> str:
        """``allocated`` (not finished), ``revoked``, ``suspended``, ``expired`` or ``active`` as of ``now``."""
        if not self.is_issued:
            return "allocated"
        if self.revoked is not None:
            return "revoked"
        if self.suspended is not None:
            return "suspended"
        until = self.valid_until
        if until is not None and until <= now:
            return "expired"
        return "active"


@dataclass
class LedgerState:
    """The ledger folded into current state (see :meth:`apply`)."""

    badges: dict[str, BadgeEntry] = field(default_factory=dict)
    used: dict[tuple[str, int], set[int]] = field(default_factory=dict)
    issuer: str | None = None
    events: int = 0

    def apply(self, event: Mapping[str, Any], *, where: Location | None = None) -> None:
        """Check one event against the state so far and fold it in; :class:`LedgerError` when it does not fit."""
        _check_event(event, where)
        kind = event["event"]
        at = parse_timestamp(event["at"])
        if kind == "ledger-created":
            if self.events:
                raise LedgerError("ledger-created may only be the first event", location=where)
            self.issuer = event["issuer"]
        elif self.events == 0:
            raise LedgerError("the first event must be ledger-created", location=where)
        elif kind == "allocated":
            badge_id = event["badge"]
            if badge_id in self.badges:
                raise LedgerError(f"badge {badge_id} is allocated twice", location=where)
            slots = tuple(StatusSlot(slot["purpose"], slot["list"], slot["index"]) for slot in event["status"])
            for slot in slots:
                taken = self.used.setdefault((slot.purpose, slot.list), set())
                if slot.index in taken:
                    raise LedgerError(f"status index {slot.index} of {slot.purpose}-{slot.list} is used twice", location=where)
                taken.add(slot.index)
            self.badges[badge_id] = BadgeEntry(badge_id, event.get("credential"), event.get("stack"), slots, at)
        elif kind in BADGE_EVENTS:
            entry = self.badges.get(event["badge"])
            if entry is None:
                raise LedgerError(f"{kind} names badge {event['badge']}, which was never allocated", location=where)
            self._apply_badge_event(kind, entry, event, where)
        self.events += 1

    def _apply_badge_event(self, kind: str, entry: BadgeEntry, event: Mapping[str, Any], where: Location | None) -> None:
        if kind == "issued":
            if entry.issued is not None:
                raise LedgerError(f"badge {entry.badge_id} is issued twice", location=where)
            if (event.get("credential"), event.get("stack")) != (entry.credential, entry.stack):
                raise LedgerError(f"badge {entry.badge_id} is issued for another achievement than it was allocated for", location=where)
            entry.issued = dict(event)
            return
        if entry.issued is None:
            raise LedgerError(f"{kind} names badge {entry.badge_id}, which was never issued", location=where)
        if kind == "revoked":
            if entry.revoked is not None:
                raise LedgerError(f"badge {entry.badge_id} is revoked twice", location=where)
            entry.revoked = dict(event)
        elif kind == "suspended":
            if entry.revoked is not None or entry.suspended is not None:
                raise LedgerError(f"badge {entry.badge_id} cannot be suspended: it is already {'revoked' if entry.revoked else 'suspended'}",
                                  location=where)
            entry.suspended = dict(event)
        elif kind == "unsuspended":
            if entry.suspended is None:
                raise LedgerError(f"badge {entry.badge_id} is not suspended", location=where)
            entry.suspended = None
        elif kind == "reissued":
            if entry.reissued_as is not None:
                raise LedgerError(f"badge {entry.badge_id} is re-issued twice", location=where)
            if event["new_badge"] not in self.badges or self.badges[event["new_badge"]].issued is None:
                raise LedgerError(f"re-issue of {entry.badge_id} names {event['new_badge']}, which was never issued", location=where)
            entry.reissued_as = event["new_badge"]

    # queries

    def lists(self) -> list[tuple[str, int]]:
        """``(purpose, number)`` of every status list that has at least one index handed out."""
        return sorted(self.used)

    def set_indexes(self, purpose: str, number: int) -> set[int]:
        """Indexes whose bit is set in list ``<purpose>-<number>``: revoked badges, or currently suspended ones."""
        indexes: set[int] = set()
        for entry in self.badges.values():
            flagged = entry.revoked is not None if purpose == "revocation" else entry.suspended is not None
            if not flagged:
                continue
            indexes.update(slot.index for slot in entry.slots if slot.purpose == purpose and slot.list == number)
        return indexes

    def allocate(self, purposes: Iterable[str], rng: random.Random, reserved: dict[tuple[str, int], set[int]]) -> tuple[StatusSlot, ...]:
        """A fresh random index for each purpose, never used in the ledger nor in ``reserved`` (which is updated).

        ``reserved`` holds indexes handed out in this batch but not yet in the ledger. Lists fill in
        order: list ``n + 1`` is used only when list ``n`` has no free entry left. Indexes are random
        (as Bitstring Status List recommends, so neighbouring badges say nothing about each other):
        probing while the list is mostly free, a uniform choice among the free indexes once it is
        nearly full.
        """
        slots = []
        for purpose in purposes:
            number = 1
            while True:
                taken = self.used.get((purpose, number), set())
                pending = reserved.setdefault((purpose, number), set())
                free = LIST_SIZE - len(taken) - len(pending)
                if free > 0:
                    break
                number += 1
            if free >= LIST_SIZE * _PROBE_FREE_SHARE:
                while True:
                    index = rng.randrange(LIST_SIZE)
                    if index not in taken and index not in pending:
                        break
            else:
                index = rng.choice([i for i in range(LIST_SIZE) if i not in taken and i not in pending])
            pending.add(index)
            slots.append(StatusSlot(purpose, number, index))
        return tuple(slots)


def _check_event(event: Mapping[str, Any], where: Location | None) -> None:
    """Field-level checks of one event (types and formats); relations are checked by :meth:`LedgerState.apply`."""
    if not isinstance(event, Mapping):
        raise LedgerError("each line must be a JSON object", location=where)
    kind = event.get("event")
    if kind not in EVENTS:
        raise LedgerError(f"unknown event {kind!r} (known: {', '.join(EVENTS)})", location=where)

    def need(name: str, check, what: str, *, optional: bool = False) -> None:
        if name not in event:
            if not optional:
                raise LedgerError(f"{kind}: {name}: is required", location=where)
            return
        if not check(event[name]):
            raise LedgerError(f"{kind}: {name}: must be {what}", location=where)

    is_text = lambda value: isinstance(value, str) and 0 < len(value) <= 2000 and "\n" not in value  # noqa: E731
    need("at", lambda v: isinstance(v, str) and bool(_TIMESTAMP.match(v)), "a UTC timestamp like 2026-01-31T09:00:00Z")
    if kind in BADGE_EVENTS:
        need("badge", lambda v: isinstance(v, str) and bool(_UUID.match(v)), "a lower-case UUID")
    if kind == "ledger-created":
        need("format", lambda v: v == FORMAT_VERSION, f"{FORMAT_VERSION}")
        need("issuer", is_text, "the issuer DID")
    elif kind in ("allocated", "issued"):
        slug = lambda v: isinstance(v, str) and bool(_SLUG.match(v))  # noqa: E731
        need("credential", slug, "a credential id", optional=True)
        need("stack", slug, "a stack id", optional=True)
        if ("credential" in event) == ("stack" in event):
            raise LedgerError(f"{kind}: exactly one of credential and stack is required", location=where)
    if kind == "allocated":
        need("status", _valid_slots, "a list of {purpose, list, index} with distinct purposes")
    elif kind == "issued":
        need("id", lambda v: isinstance(v, str) and v == f"urn:uuid:{event.get('badge')}", "urn:uuid:<badge>")
        need("awarded", lambda v: isinstance(v, str) and bool(_DATE.match(v)), "a date like 2026-01-31")
        need("valid_from", lambda v: isinstance(v, str) and bool(_TIMESTAMP.match(v)), "a UTC timestamp")
        need("valid_until", lambda v: isinstance(v, str) and bool(_TIMESTAMP.match(v)), "a UTC timestamp", optional=True)
        need("key", is_text, "a verification method id")
        need("public", lambda v: isinstance(v, bool), "true or false")
        need("teacher", lambda v: isinstance(v, str) and bool(_SLUG.match(v)), "a teacher slug", optional=True)
        need("url", is_text, "a URL", optional=True)
        need("page", is_text, "a URL", optional=True)
        need("replaces", lambda v: isinstance(v, str) and bool(_UUID.match(v)), "a badge UUID", optional=True)
        if not event.get("public") and any(name in event for name in ("teacher", "url", "page")):
            raise LedgerError("issued: a badge that is not public names no teacher and no URL", location=where)
    elif kind in ("revoked", "suspended"):
        need("reason", is_text, "one line of text", optional=True)
        if kind == "revoked":
            need("replaced_by", lambda v: isinstance(v, str) and bool(_UUID.match(v)), "a badge UUID", optional=True)
    elif kind == "reissued":
        need("new_badge", lambda v: isinstance(v, str) and bool(_UUID.match(v)), "a badge UUID")
    elif kind in KEY_EVENTS:
        need("did", is_text, "the issuer DID")
        need("key", is_text, "a key id such as key-2")
    elif kind == "status-published":
        need("purpose", lambda v: isinstance(v, str) and v in STATUS_PURPOSES, "a status purpose")
        need("list", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "a list number (1, 2, …)")
        need("url", is_text, "the list URL")
        need("set", lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= LIST_SIZE, "the number of set bits")


def _valid_slots(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    purposes = set()
    for slot in value:
        if not isinstance(slot, dict) or set(slot) != {"purpose", "list", "index"}:
            return False
        if not isinstance(slot["purpose"], str) or slot["purpose"] not in STATUS_PURPOSES or slot["purpose"] in purposes:
            return False
        purposes.add(slot["purpose"])
        for name, low, high in (("list", 1, 1_000_000), ("index", 0, LIST_SIZE - 1)):
            number = slot[name]
            if not isinstance(number, int) or isinstance(number, bool) or not low <= number <= high:
                return False
    return True


def read_ledger(path: Path, *, display: str | None = None) -> LedgerState:
    """Read and check a ledger without locking it (for pages and reports); a missing file is an empty ledger.

    A torn last line (a crash mid-append) is ignored. Any other bad line raises :class:`LedgerError`
    naming ``file:line``.
    """
    path = Path(path)
    display = display or str(path)
    state = LedgerState()
    try:
        lines = read_lines(path)
    except UnicodeDecodeError as error:
        raise LedgerError(f"not valid UTF-8: {error.reason}", location=Location(display)) from None
    except OSError as error:
        raise LedgerError(f"cannot read the ledger: {error.strerror or error}", location=Location(display)) from None
    for number, line in lines:
        where = Location(display, number)
        try:
            event = json.loads(line)
        except json.JSONDecodeError as error:
            raise LedgerError(f"not JSON: {error.msg}", location=where) from None
        state.apply(event, where=where)
    return state


class Ledger:
    """An open, locked ledger: its folded :attr:`state` and durable :meth:`append`."""

    def __init__(self, path: Path, state: LedgerState, *, display: str) -> None:
        self.path = Path(path)
        self.state = state
        self.display = display
        self._broken = False

    def append(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Check ``events`` against the state, then write them in one append and ``fsync``.

        If a check or the write fails, this ledger object refuses further appends (the command must
        stop; the file holds only what was fully written, and the next run starts from that).
        """
        events = [dict(event) for event in events]
        if not events:
            return
        if self._broken:
            raise LedgerError("an earlier ledger write failed; stop and run the command again", location=Location(self.display))
        try:
            for event in events:
                self.state.apply(event, where=Location(self.display))
            append_lines(self.path, [json_line(event) for event in events])
        except BaseException:
            self._broken = True
            raise


@contextlib.contextmanager
def open_ledger(path: Path, *, issuer: str, now: datetime, lock: Path | None = None, display: str | None = None) -> Iterator[Ledger]:
    """Lock the ledger at ``path`` for one command, repair a torn tail, read it, and create it if new.

    ``lock`` is the lock file (default: ``.ledger.lock`` next to the ledger); issuance keeps it in
    the private folder so the public repository stays clean. Raises :class:`LedgerError` when
    another credfolio command holds the lock, when the ledger belongs to another issuer DID, or
    when a line is bad.
    """
    path = Path(path)
    display = display or str(path)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(exclusive_lock(lock or path.with_name(".ledger.lock"), private=lock is not None, blocking=False))
        except BlockingIOError:
            raise LedgerError("another credfolio command is writing the ledger; wait for it to finish and try again",
                              location=Location(display)) from None
        repair_torn_tail(path)
        state = read_ledger(path, display=display)
        ledger = Ledger(path, state, display=display)
        if state.events == 0:
            ledger.append([{"event": "ledger-created", "at": timestamp(now), "format": FORMAT_VERSION, "issuer": issuer}])
        elif state.issuer != issuer:
            raise LedgerError(f"this ledger belongs to {state.issuer}, but the district's DID is {issuer}; "
                              "did site_url change? Badges must keep their issuer", location=Location(display, 1))
        yield ledger


def key_event(kind: str, *, did: str, key_id: str, at: datetime) -> dict[str, Any]:
    """A ``key-generated`` / ``key-rotated`` / ``key-compromised`` event for :meth:`Ledger.append`."""
    if kind not in KEY_EVENTS:
        raise LedgerError(f"unknown key event {kind!r} (known: {', '.join(KEY_EVENTS)})")
    return {"event": kind, "at": timestamp(at), "did": did, "key": key_id}

"""Issuing badges — one, from a passed review, or in bulk from a CSV — and revoking, suspending and re-issuing them.

Every badge goes through the same crash-safe sequence, each step durable before the next:

1. the private recipient record (e-mail, name, salt) is appended and ``fsync``ed;
2. ``allocated`` (badge id, random status index) is appended to the public ledger and ``fsync``ed;
3. the credential is built and signed (bulk: in parallel over every CPU, :func:`credfolio.proof.sign_many`);
4. the badge file is written atomically (``wallet/badges/`` for opted-in teachers, the private folder otherwise);
5. ``issued`` is appended to the ledger.

A badge's id is a UUID derived from a request key — an HMAC, under the district's private issuance
secret, of (credential, normalised e-mail, award date, CSV ``request_id``) — so rerunning the same
command after ``kill -9`` at any point finds the same badges: an ``issued`` badge is skipped, an
``allocated`` one is finished with the index it already has, and a status index is never handed out
twice. Status lists are rebuilt from the ledger and re-signed (:func:`publish_status_lists`); their
files are replaced atomically, so a crash leaves the old list or the new one.

Status entries: Open Badges 3.0 allows one ``credentialStatus`` object (``[0..1]`` in the data model;
``type: object`` in the 1EdTech JSON Schema, which the 1EdTech validator enforces), so every badge
carries one ``BitstringStatusListEntry`` with purpose ``revocation``. Suspension is recorded in the
public ledger (and shown on the badge page) but cannot be seen by third-party verifiers until OB
allows a second entry (1EdTech/openbadges-specification#623); the ledger and lists are already
organised by purpose for that day.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import difflib
import hashlib
import hmac
import io
import json
import random
import re
import secrets
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from credfolio.credential import IssuerProfile, build_credential, normalize_email, rubric_results, with_recipient_and_status
from credfolio.errors import (
    CredentialError,
    CredfolioError,
    IssuanceError,
    IssueInputError,
    Location,
    ValidationError,
)
from credfolio.fsutil import atomic_write_json, atomic_write_many, json_text, remove_stale_temporaries
from credfolio.ledger import (
    LIST_SIZE,
    BadgeEntry,
    Ledger,
    StatusSlot,
    key_event,
    normalize_badge_id,
    open_ledger,
    parse_timestamp,
    timestamp,
)
from credfolio.status import StatusList, status_entry, status_list_credential
from credfolio.wallet import (
    Recipient,
    TeacherProfile,
    append_private_note,
    append_recipients,
    badge_json_url,
    badge_page_url,
    did_document_is_current,
    find_teacher,
    issuance_secret,
    ledger_path,
    private_badge_path,
    public_badge_path,
    read_recipients,
    status_list_path,
    status_list_url,
    write_did_document,
)
from credfolio.yamlfile import read_text

if TYPE_CHECKING:
    from credfolio.catalog import Catalog, CredentialDefinition, Stack
    from credfolio.config import DistrictConfig
    from credfolio.keys import IssuerKey, KeyStore
    from credfolio.review import Review
    from credfolio.submissions import Submission

#: Status purposes every new badge gets an entry for (OB 3.0 allows exactly one entry; see the module docstring).
BADGE_STATUS_PURPOSES: tuple[str, ...] = ("revocation",)
#: Namespace of badge UUIDs (uuid5 of the request key).
BADGE_NAMESPACE = uuid.UUID("8ecbb779-03ad-57b2-a781-00c9a1a59171")
REISSUE_REASON = "re-issued to a new e-mail address"
#: Lock file (in the private folder) held by every command that writes the ledger.
LOCK_FILE = "ledger.lock"

CSV_COLUMNS = ("credential", "name", "email", "teacher_slug", "evidence", "valid_until", "awarded", "request_id", "scores")
REQUIRED_COLUMNS = ("credential", "name", "email")
MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_CSV_ROWS = 100_000
#: Most badges signed per batch (a run is split into about eight batches of at least 40): large enough
#: to keep every CPU busy, small enough for a lively progress bar and to lose little work to a crash.
SIGN_BATCH = 250

_HTTPS_URL = re.compile(r"^https://[^\s<>\"'`]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")

Progress = Callable[[int, int], None]


# --------------------------------------------------------------------------------------------------
# Requests and results


@dataclass(frozen=True)
class IssueRequest:
    """One badge to issue: a catalog credential (or a stack) for one teacher.

    ``scores`` maps rubric row ids to level ids (recorded as OB ``Result`` objects); ``results`` are
    ready-made Result objects (re-issues copy them). ``valid_until`` overrides the credential's
    ``expires_after``; ``valid_from`` defaults to the award date. ``teacher`` is the slug of an
    opted-in teacher file. ``request_id`` distinguishes two intended awards with the same
    credential, e-mail and date. ``source`` says which CSV line the request came from.
    """

    name: str
    email: str
    awarded: date
    credential: str | None = None
    stack: str | None = None
    evidence: tuple[Mapping[str, Any], ...] = ()
    scores: Mapping[str, str] | None = None
    results: tuple[Mapping[str, Any], ...] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    teacher: str | None = None
    request_id: str | None = None
    replaces: str | None = None
    source: Location | None = None

    @property
    def achievement_key(self) -> str:
        """``credential:<id>`` or ``stack:<id>``."""
        return f"credential:{self.credential}" if self.credential else f"stack:{self.stack}"

    def key_material(self) -> list[str]:
        """What makes two requests "the same award" (and therefore the same badge)."""
        email = normalize_email(self.email)
        if self.replaces:
            return ["reissue", self.replaces, email]
        if self.stack:
            return ["stack", self.stack, email]
        return ["credential", self.credential or "", email, self.awarded.isoformat(), self.request_id or ""]


def request_key(secret: bytes, request: IssueRequest) -> str:
    """HMAC-SHA256 (hex) of the request's :meth:`~IssueRequest.key_material` under the issuance secret."""
    material = json.dumps(request.key_material(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hmac.new(secret, material, hashlib.sha256).hexdigest()


def badge_id_for(key: str) -> str:
    """The badge UUID of a request key (uuid5, so the same request always gives the same badge)."""
    return str(uuid.uuid5(BADGE_NAMESPACE, key))


@dataclass(frozen=True)
class IssuedBadge:
    """A badge that exists: where its file is, whether it is public, and whether this run created it."""

    badge_id: str
    credential: str | None
    stack: str | None
    public: bool
    path: Path
    url: str | None = None
    teacher: str | None = None
    already_issued: bool = False
    source: Location | None = None

    @property
    def id(self) -> str:
        """The credential ``id``: ``urn:uuid:<badge-id>``."""
        return f"urn:uuid:{self.badge_id}"


@dataclass
class IssueReport:
    """What an issue run did."""

    issued: list[IssuedBadge] = field(default_factory=list)
    already_issued: list[IssuedBadge] = field(default_factory=list)
    stack_badges: list[IssuedBadge] = field(default_factory=list)
    rejected: list[CredfolioError] = field(default_factory=list)
    published: list[Path] = field(default_factory=list)
    did_document_written: bool = False


@dataclass(frozen=True)
class StatusChange:
    """The outcome of revoke / suspend / unsuspend: ``already`` when nothing had to change."""

    badge_id: str
    action: str
    already: bool
    at: datetime
    reason: str | None
    published: list[Path]


# --------------------------------------------------------------------------------------------------
# Dates


def start_of_day(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def add_duration(start: date, duration: str) -> date:
    """``start`` plus an ISO 8601 duration of years, months and days (``P3Y``, ``P18M``, ``P1Y6M10D``).

    Months are calendar months; a day that does not exist in the target month becomes its last day
    (31 January + P1M = 28 or 29 February).
    """
    match = _DURATION.match(duration or "")
    if not match or duration == "P":
        raise IssuanceError(f"{duration!r} is not an ISO 8601 duration of years, months and days (like P3Y)")
    years, months, days = (int(part) if part else 0 for part in match.groups())
    month_index = start.month - 1 + months
    year = start.year + years + month_index // 12
    month = month_index % 12 + 1
    last_day = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(start.day, last_day)) + timedelta(days=days)


def _require_now(now: datetime) -> datetime:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise IssuanceError("now must be a timezone-aware datetime")
    return now.astimezone(UTC).replace(microsecond=0)


# --------------------------------------------------------------------------------------------------
# Achievements and issuer


def issuer_profile(district: DistrictConfig) -> IssuerProfile:
    """The district as the badges' issuer: did:web, name, site, contact address and logo."""
    logo = district.settings.logo
    return IssuerProfile(
        did=district.issuer_did,
        name=district.name,
        url=district.site_url,
        email=district.settings.contact_email,
        image_url=district.url(logo) if logo else None,
    )


def credential_achievement(definition: CredentialDefinition, district: DistrictConfig) -> dict[str, Any]:
    """The catalog entry's OB 3.0 Achievement, as embedded in its badges (without ``@context``)."""
    from credfolio.exports import achievement_json

    return achievement_json(definition, district, standalone=False)


def stack_achievement(stack: Stack, catalog: Catalog, district: DistrictConfig) -> dict[str, Any]:
    """The Achievement a completed stack earns.

    ``achievementType`` is ``Certificate`` — the OB term (an exact match of CTDL's) for a credential
    that designates the knowledge and skills of a programme, which is what a pathway of
    micro-credentials is, and the type the catalog's CTDL export gives stacks.
    """
    from credfolio.exports import issuer_profile as profile_json
    from credfolio.exports import stack_path
    from credfolio.render import markdown_to_text

    page = district.url(stack_path(stack.id))
    titles = [catalog.credentials[cid].title if cid in catalog.credentials else cid for cid in stack.credentials]
    lines = [f"Earn every micro-credential of the {stack.title} pathway:", ""]
    lines += [f"- {title}" for title in titles]
    if stack.capstone:
        capstone = catalog.credentials[stack.capstone].title if stack.capstone in catalog.credentials else stack.capstone
        lines += ["", f"Then earn the capstone, {capstone}."]
    return {
        "id": page,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": stack.earns.title,
        "description": stack.earns.description or markdown_to_text(stack.description) or stack.title,
        "criteria": {"id": page, "narrative": "\n".join(lines) + "\n"},
        "creator": profile_json(district),
        "humanCode": stack.id,
        "inLanguage": "en",
    }


def _level_ids(achievement: Mapping[str, Any], scores: Mapping[str, str]) -> dict[str, str]:
    """Catalog row/level ids → the full ResultDescription / RubricCriterionLevel ids of the Achievement."""
    rows = {description["id"].rsplit("#rubric-", 1)[-1]: description for description in achievement.get("resultDescription", [])}
    mapped: dict[str, str] = {}
    for row_id, level_id in scores.items():
        row = rows.get(row_id)
        if row is None:
            raise CredentialError(f"rubric row {row_id!r} is not in the credential's rubric")
        wanted = f"{row['id']}-{level_id}"
        if not any(level.get("id") == wanted for level in row.get("rubricCriterionLevel", [])):
            raise CredentialError(f"{level_id!r} is not a level of rubric row {row_id!r}")
        mapped[row["id"]] = wanted
    return mapped


# --------------------------------------------------------------------------------------------------
# The issuing engine


@dataclass
class _Job:
    request: IssueRequest
    key: str
    badge_id: str
    achievement: dict[str, Any]
    teacher: TeacherProfile | None
    valid_until: datetime | None
    recipient: Recipient | None = None
    unsigned: dict[str, Any] | None = None

    @property
    def public(self) -> bool:
        return self.teacher is not None and self.teacher.opted_in


class _Issuer:
    """One locked issuing session: the ledger, the private recipients, the signing key and the clock."""

    def __init__(self, district: DistrictConfig, catalog: Catalog, key: IssuerKey, ledger: Ledger, *, now: datetime,
                 rng: random.Random, processes: int | None, progress: Progress | None) -> None:
        self.district = district
        self.catalog = catalog
        self.key = key
        self.ledger = ledger
        self.now = now
        self.rng = rng
        self.processes = processes
        self.progress = progress
        self.secret = issuance_secret(district)
        self.recipients = read_recipients(district)
        self.issuer = issuer_profile(district)
        self.verification_method = key.verification_method(district.issuer_did)
        self._teachers: dict[str, TeacherProfile | None] = {}
        self._achievements: dict[str, dict[str, Any]] = {}
        # A run killed mid-write leaves a hidden temporary file; we hold the lock, so none is in use.
        for folder in (district.wallet_path, district.wallet_path / "badges", district.wallet_path / "status",
                       district.private_path / "badges"):
            remove_stale_temporaries(folder)

    # planning

    def teacher(self, slug: str | None) -> TeacherProfile | None:
        if slug is None:
            return None
        if slug not in self._teachers:
            self._teachers[slug] = find_teacher(self.district, slug)
        return self._teachers[slug]

    def achievement(self, request: IssueRequest) -> dict[str, Any]:
        cache_key = request.achievement_key
        if cache_key not in self._achievements:
            if request.credential:
                definition = self.catalog.credentials.get(request.credential)
                if definition is None:
                    raise IssueInputError(f"no credential '{request.credential}' in the catalog", location=request.source)
                self._achievements[cache_key] = credential_achievement(definition, self.district)
            else:
                stack = next((s for s in self.catalog.stacks if s.id == request.stack), None)
                if stack is None:
                    raise IssueInputError(f"no stack '{request.stack}' in the catalog", location=request.source)
                self._achievements[cache_key] = stack_achievement(stack, self.catalog, self.district)
        return self._achievements[cache_key]

    def plan(self, request: IssueRequest) -> _Job:
        key = request_key(self.secret, request)
        teacher = self.teacher(request.teacher)
        if request.teacher is not None and teacher is None:
            raise IssueInputError(f"no wallet/teachers/{request.teacher}.yml: the teacher has not opted in to a public wallet "
                                  "(leave the teacher out to issue the badge privately)", location=request.source)
        valid_until = request.valid_until
        if valid_until is None and request.credential:
            expires_after = self.catalog.credentials[request.credential].expires_after if request.credential in self.catalog.credentials else None
            if expires_after:
                valid_until = start_of_day(add_duration(request.awarded, expires_after))
        return _Job(request, key, badge_id_for(key), self.achievement(request), teacher, valid_until,
                    recipient=self.recipients.get(badge_id_for(key)))

    def build(self, job: _Job, slots: Sequence[StatusSlot], salt: str) -> dict[str, Any]:
        request = job.request
        results = list(request.results)
        if request.scores:
            results = rubric_results(job.achievement, _level_ids(job.achievement, request.scores))
        slot = slots[0]
        return build_credential(
            credential_id=f"urn:uuid:{job.badge_id}",
            issuer=self.issuer,
            achievement=job.achievement,
            recipient_email=request.email,
            salt=salt,
            valid_from=request.valid_from or start_of_day(request.awarded),
            valid_until=job.valid_until,
            awarded=start_of_day(request.awarded),
            evidence=request.evidence,
            results=results,
            status=status_entry(status_list_url(self.district, slot.purpose, slot.list), slot.index, slot.purpose),
            recipient_name=job.teacher.display_name if job.public else request.name,
        )

    def finish(self, job: _Job) -> dict[str, Any]:
        """The badge checked with placeholders, now with its allocated status index and the recipient's salt."""
        slot = self.ledger.state.badges[job.badge_id].slots[0]
        return with_recipient_and_status(
            job.unsigned,  # type: ignore[arg-type]
            recipient_email=job.request.email, salt=job.recipient.salt,  # type: ignore[union-attr]
            status=status_entry(status_list_url(self.district, slot.purpose, slot.list), slot.index, slot.purpose),
        )

    # running

    def run(self, requests: Sequence[IssueRequest], report: IssueReport, *, stack_pass: bool = False) -> list[IssuedBadge]:
        """Issue ``requests`` (planned, checked, allocated, signed, written); returns the badges this run created."""
        jobs: list[_Job] = []
        seen: set[str] = set()
        for request in requests:
            job = self.plan(request)
            if job.badge_id in seen:
                continue  # the same award twice in one run (CSV duplicates are refused earlier)
            seen.add(job.badge_id)
            entry = self.ledger.state.badges.get(job.badge_id)
            if entry is not None and entry.is_issued:
                if not stack_pass:
                    report.already_issued.append(self._issued_badge(entry, request.source, already=True))
                continue
            if entry is not None and entry.achievement_key != request.achievement_key:
                raise IssuanceError(f"badge {job.badge_id} is allocated for {entry.achievement_key}, not {request.achievement_key}")
            jobs.append(job)
        if not jobs:
            return []

        # Check every badge can be built before anything is written (bad evidence, unknown rubric rows …).
        for job in jobs:
            try:
                job.unsigned = self.build(job, [StatusSlot(BADGE_STATUS_PURPOSES[0], 1, 0)], "check")
            except CredentialError as error:
                raise IssueInputError(error.message, location=job.request.source) from None

        new_recipients = []
        for job in jobs:
            if job.recipient is None:
                job.recipient = Recipient(
                    badge_id=job.badge_id, email=job.request.email.strip(), name=job.request.name, salt=_new_salt(self.rng),
                    achievement=job.request.achievement_key, teacher=job.request.teacher, request_id=job.request.request_id,
                )
                new_recipients.append(job.recipient)
        append_recipients(self.district, new_recipients)
        self.recipients.update({recipient.badge_id: recipient for recipient in new_recipients})

        reserved: dict[tuple[str, int], set[int]] = {}
        allocations = []
        for job in jobs:
            if job.badge_id not in self.ledger.state.badges:
                slots = self.ledger.state.allocate(BADGE_STATUS_PURPOSES, self.rng, reserved)
                event = {"event": "allocated", "at": timestamp(self.now), "badge": job.badge_id, **_achievement_field(job.request),
                         "status": [slot.to_json() for slot in slots]}
                allocations.append(event)
        self.ledger.append(allocations)

        created: list[IssuedBadge] = []
        total = len(jobs)
        done = 0
        if self.progress:
            self.progress(0, total)
        batch_size = min(SIGN_BATCH, max(40, -(-total // 8)))
        with self._signer(total) as signer:
            for start in range(0, total, batch_size):
                batch = jobs[start : start + batch_size]
                unsigned = [self.finish(job) for job in batch]
                # the workers sign and serialize; the badge files are durable before their ledger lines
                texts = signer.sign(unsigned, verification_method=self.verification_method, created=self.now, finish=json_text)
                atomic_write_many(
                    (public_badge_path(self.district, job.badge_id) if job.public else private_badge_path(self.district, job.badge_id),
                     text.encode("utf-8"), not job.public)
                    for job, text in zip(batch, texts)
                )
                self.ledger.append([self._issued_event(job, document) for job, document in zip(batch, unsigned)])
                for job in batch:
                    created.append(self._issued_badge(self.ledger.state.badges[job.badge_id], job.request.source))
                done += len(batch)
                if self.progress:
                    self.progress(done, total)
        return created

    def _signer(self, total: int):
        from credfolio.proof import BulkSigner

        processes = self.processes
        if processes is None and total < 16:
            processes = 1  # starting worker processes costs more than it saves for a handful of badges
        return BulkSigner(self.key.private_key, processes=processes)  # type: ignore[arg-type]

    def _issued_event(self, job: _Job, document: Mapping[str, Any]) -> dict[str, Any]:
        event: dict[str, Any] = {"event": "issued", "at": timestamp(self.now), "badge": job.badge_id, "id": document["id"]}
        event.update(_achievement_field(job.request))
        event["awarded"] = job.request.awarded.isoformat()
        event["valid_from"] = document["validFrom"]
        if "validUntil" in document:
            event["valid_until"] = document["validUntil"]
        event["key"] = self.verification_method
        event["public"] = job.public
        if job.public:
            event["teacher"] = job.teacher.slug  # type: ignore[union-attr]
            event["url"] = badge_json_url(self.district, job.badge_id)
            event["page"] = badge_page_url(self.district, job.badge_id)
        if job.request.replaces:
            event["replaces"] = job.request.replaces
        return event

    def _issued_badge(self, entry: BadgeEntry, source: Location | None, *, already: bool = False) -> IssuedBadge:
        public = entry.is_public
        path = public_badge_path(self.district, entry.badge_id) if public else private_badge_path(self.district, entry.badge_id)
        issued = entry.issued or {}
        return IssuedBadge(entry.badge_id, entry.credential, entry.stack, public, path, issued.get("url"), issued.get("teacher"),
                           already_issued=already, source=source)

    # stacks

    def stack_requests(self, emails: set[str]) -> list[IssueRequest]:
        """Stack badges the teachers with these e-mail addresses have now earned (``stack_badges: auto``)."""
        wanted = {normalize_email(email) for email in emails}
        holdings: dict[str, list[tuple[Recipient, BadgeEntry]]] = {}
        for badge_id, recipient in self.recipients.items():
            email = normalize_email(recipient.email)
            entry = self.ledger.state.badges.get(badge_id)
            if email in wanted and entry is not None and entry.credential and entry.state(self.now) == "active":
                holdings.setdefault(email, []).append((recipient, entry))
        requests = []
        for email, held in sorted(holdings.items()):
            by_credential = {entry.credential: (recipient, entry) for recipient, entry in sorted(held, key=lambda item: item[1].awarded)}
            for stack in self.catalog.stacks:
                if not stack.earns.badge or not all(cid in by_credential for cid in stack.all_credentials):
                    continue
                parts = [by_credential[cid] for cid in stack.all_credentials]
                latest = max(parts, key=lambda item: (item[1].awarded, item[1].allocated_at))
                teacher = next((r.teacher for r, _ in sorted(parts, key=lambda item: item[1].awarded, reverse=True) if r.teacher), None)
                if teacher is not None and self.teacher(teacher) is None:
                    teacher = None  # the teacher withdrew from the public wallet: the stack badge stays private
                evidence = tuple(
                    {"id": f"urn:uuid:{entry.badge_id}", "name": self.catalog.credentials[entry.credential].title,
                     "description": "Micro-credential badge earned on the pathway"}
                    for _, entry in parts if entry.credential in self.catalog.credentials
                )
                requests.append(IssueRequest(name=latest[0].name, email=latest[0].email, awarded=latest[1].awarded,  # type: ignore[arg-type]
                                             stack=stack.id, evidence=evidence, teacher=teacher))
        return requests


def _achievement_field(request: IssueRequest) -> dict[str, str]:
    return {"credential": request.credential} if request.credential else {"stack": request.stack}  # type: ignore[dict-item]


def _new_salt(rng: random.Random) -> str:
    """128 random bits as URL-safe text (from ``rng``, which is the system CSPRNG unless a test injects one)."""
    import base64

    return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode("ascii").rstrip("=")


def _signing_key(district: DistrictConfig, keystore: KeyStore, passphrase: str | bytes | None) -> IssuerKey:
    return keystore.signing_key(district.issuer_did, passphrase=passphrase)


@contextlib.contextmanager
def _session(district: DistrictConfig, catalog: Catalog, key: IssuerKey, *, now: datetime, rng: random.Random | None = None,
             processes: int | None = None, progress: Progress | None = None) -> Iterator[_Issuer]:
    with _open_ledger(district, now) as ledger:
        yield _Issuer(district, catalog, key, ledger, now=now, rng=rng or secrets.SystemRandom(), processes=processes, progress=progress)


def _open_ledger(district: DistrictConfig, now: datetime):
    """The district's ledger, locked through a lock file in the private folder."""
    path = ledger_path(district)
    return open_ledger(path, issuer=district.issuer_did, now=now, lock=district.private_path / LOCK_FILE, display=_display(district, path))


def _display(district: DistrictConfig, path: Path) -> str:
    try:
        return str(path.relative_to(district.root))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------------------------
# Public API: issuing


def issue_requests(
    district: DistrictConfig,
    catalog: Catalog,
    keystore: KeyStore,
    requests: Sequence[IssueRequest],
    *,
    now: datetime,
    passphrase: str | bytes | None = None,
    progress: Progress | None = None,
    processes: int | None = None,
    rng: random.Random | None = None,
    publish: bool = True,
) -> IssueReport:
    """Issue every request exactly once (rerunning is safe), then any stack badges now earned, then publish status lists.

    ``progress(done, total)`` is called as batches of badges are signed. ``rng`` (status indexes and
    salts) defaults to the system's cryptographic generator. Also refreshes ``wallet/did.json`` when
    it does not match the key store, so new badges verify once published.
    """
    now = _require_now(now)
    key = _signing_key(district, keystore, passphrase)
    report = IssueReport()
    with _session(district, catalog, key, now=now, rng=rng, processes=processes, progress=progress) as issuer:
        if not did_document_is_current(district, keystore):
            write_did_document(district, keystore)
            report.did_document_written = True
        report.issued.extend(issuer.run(requests, report))
        if district.settings.stack_badges == "auto" and catalog.stacks:
            emails = {request.email for request in requests}
            issuer.progress = None
            report.stack_badges.extend(issuer.run(issuer.stack_requests(emails), report, stack_pass=True))
        if publish:
            report.published = _publish(issuer.ledger, district, lambda: key, now=now, current_method=issuer.verification_method)
    return report


def issue_badge(
    district: DistrictConfig,
    catalog: Catalog,
    keystore: KeyStore,
    *,
    credential_id: str,
    name: str,
    email: str,
    now: datetime,
    evidence: Sequence[str | Mapping[str, Any]] = (),
    scores: Mapping[str, str] | None = None,
    valid_until: datetime | date | None = None,
    awarded: date | None = None,
    review: Review | None = None,
    teacher_slug: str | None = None,
    request_id: str | None = None,
    passphrase: str | bytes | None = None,
    rng: random.Random | None = None,
) -> IssuedBadge:
    """Issue one badge of catalog credential ``credential_id`` to ``name`` <``email``>.

    ``evidence`` holds https URLs or Evidence objects; ``scores`` the rubric levels (row → level);
    ``review`` (a passed review) supplies the scores and the award date. The badge is public only
    when ``teacher_slug`` names an opted-in teacher file. Issuing the same award again returns the
    existing badge (``already_issued``). Raises :class:`IssueInputError` for bad input.
    """
    now = _require_now(now)
    definition = _active_definition(catalog, credential_id, None)
    if review is not None:
        _check_review(review, definition)
        scores = review.scores
        awarded = awarded or review.reviewed
    request = IssueRequest(
        name=_clean_name(name, None),
        email=_clean_email(email, None),
        awarded=awarded or now.date(),
        credential=definition.id,
        evidence=tuple(_evidence_object(item, number, None) for number, item in enumerate(evidence, start=1)),
        scores=_check_scores(definition, scores, None) if scores else None,
        valid_until=_valid_until(valid_until),
        teacher=teacher_slug,
        request_id=request_id,
    )
    _check_dates(request, now, None)
    report = issue_requests(district, catalog, keystore, [request], now=now, passphrase=passphrase, rng=rng)
    return (report.issued or report.already_issued)[0]


def issue_from_review(
    district: DistrictConfig,
    catalog: Catalog,
    keystore: KeyStore,
    *,
    review: Review,
    submission: Submission,
    now: datetime,
    teacher_slug: str | None = None,
    valid_until: datetime | date | None = None,
    passphrase: str | bytes | None = None,
    rng: random.Random | None = None,
) -> IssuedBadge:
    """Issue the badge a passed review earns: the teacher from the submission, rubric levels from the review.

    Evidence goes into the badge only as far as the teacher consented in the submission (titles and
    notes with ``show_evidence_on_badge``, links also with ``evidence_links_in_badge``). The award
    date is the review date; the request id is the submission id, so issuing twice is harmless.
    """
    definition = _active_definition(catalog, review.credential_id, None)
    if submission.id != review.submission_id or submission.credential_id != review.credential_id:
        raise IssueInputError(f"the review is of submission '{review.submission_id}' ({review.credential_id}), "
                              f"not of '{submission.id}' ({submission.credential_id})")
    evidence = []
    for title, url, note in submission.public_evidence(definition):
        item: dict[str, Any] = {"name": title}
        if url:
            item["id"] = url
        if note:
            item["narrative"] = note
        evidence.append(item)
    return issue_badge(district, catalog, keystore, credential_id=definition.id, name=submission.teacher.name,
                       email=submission.teacher.email, now=now, evidence=evidence, valid_until=valid_until, review=review,
                       teacher_slug=teacher_slug, request_id=f"submission:{submission.id}", passphrase=passphrase, rng=rng)


def issue_csv(
    district: DistrictConfig,
    catalog: Catalog,
    keystore: KeyStore,
    csv_path: Path,
    *,
    now: datetime,
    skip_invalid: bool = False,
    passphrase: str | bytes | None = None,
    progress: Progress | None = None,
    processes: int | None = None,
    rng: random.Random | None = None,
) -> IssueReport:
    """Bulk issue from a CSV (columns in :data:`CSV_COLUMNS`; see docs/guide/issuing.md).

    The whole file is checked first; any bad row raises :class:`ValidationError` listing every
    problem (``file:line: column: reason``) and nothing is issued — unless ``skip_invalid``, which
    issues the good rows and lists the bad ones in ``report.rejected``.
    """
    now = _require_now(now)
    requests, problems = read_issue_csv(csv_path, district, catalog, now=now)
    if problems and not skip_invalid:
        raise ValidationError(problems)
    report = issue_requests(district, catalog, keystore, requests, now=now, passphrase=passphrase, progress=progress,
                            processes=processes, rng=rng)
    report.rejected = problems
    return report


# --------------------------------------------------------------------------------------------------
# Checking input


def _active_definition(catalog: Catalog, credential_id: str, where: Location | None) -> CredentialDefinition:
    definition = catalog.credentials.get(credential_id.strip() if isinstance(credential_id, str) else credential_id)
    if definition is None:
        hint = difflib.get_close_matches(str(credential_id), sorted(catalog.credentials), n=1)
        raise IssueInputError(f"no credential '{credential_id}' in the catalog" + (f" (did you mean '{hint[0]}'?)" if hint else ""),
                              location=where)
    if definition.status != "active":
        raise IssueInputError(f"credential '{definition.id}' is {definition.status}; only active credentials are awarded", location=where)
    return definition


def _check_review(review: Review, definition: CredentialDefinition) -> None:
    where = Location(str(review.path)) if getattr(review, "path", None) else None
    if review.credential_id != definition.id:
        raise IssueInputError(f"the review is for '{review.credential_id}', not '{definition.id}'", location=where)
    if not review.passed:
        raise IssueInputError(f"the review outcome is '{review.outcome}', not 'pass': no badge can be issued", location=where)


def _clean_name(name: Any, where: Location | None) -> str:
    text = unicodedata.normalize("NFC", name.strip()) if isinstance(name, str) else ""
    if not text:
        raise IssueInputError("the name is empty", location=where)
    if len(text) > 200:
        raise IssueInputError(f"the name is {len(text)} characters long (at most 200)", location=where)
    if _CONTROL.search(text) or any(unicodedata.category(ch) in ("Zl", "Zp", "Cc") for ch in text):
        raise IssueInputError("the name contains control characters (tabs, line breaks, escape codes)", location=where)
    if _BIDI_CONTROL.search(text):
        # An override can make a name read differently in other people's wallets (the signed text is what
        # they show); right-to-left names need none of these, the Unicode algorithm orders them.
        raise IssueInputError("the name contains a bidirectional override or isolate character (U+202A-U+202E, U+2066-U+2069)", location=where)
    return text


def _clean_email(email: Any, where: Location | None) -> str:
    from credfolio.submissions import EMAIL_PATTERN

    text = email.strip() if isinstance(email, str) else ""
    if not text:
        raise IssueInputError("the e-mail address is empty", location=where)
    if len(text) > 254 or not re.match(EMAIL_PATTERN, text):
        raise IssueInputError(f"'{text[:80]}' is not an e-mail address", location=where)
    return text


def _evidence_object(item: str | Mapping[str, Any], number: int, where: Location | None) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    url = item.strip() if isinstance(item, str) else ""
    if not _HTTPS_URL.match(url) or len(url) > 2000 or not urlsplit(url).netloc:
        raise IssueInputError(f"'{url[:80]}' is not an https link", location=where)
    return {"id": url, "name": f"Evidence {number}"}


def _check_scores(definition: CredentialDefinition, scores: Mapping[str, str], where: Location | None) -> dict[str, str]:
    rows = [row.id for row in definition.rubric.rows]
    levels = [level.id for level in definition.rubric.levels]
    for row, level in scores.items():
        if row not in rows:
            hint = difflib.get_close_matches(row, rows, n=1)
            raise IssueInputError(f"'{row}' is not a rubric row of {definition.id} (rows: {', '.join(rows)})"
                                  + (f"; did you mean '{hint[0]}'?" if hint else ""), location=where)
        if level not in levels:
            raise IssueInputError(f"'{level}' is not a rubric level (levels: {', '.join(levels)})", location=where)
    missing = [row for row in rows if row not in scores]
    if missing:
        raise IssueInputError(f"no level for rubric row{'s' if len(missing) > 1 else ''} {', '.join(missing)}", location=where)
    if not definition.passes(dict(scores)):
        raise IssueInputError(f"these levels do not pass ({definition.passing_rule_text()})", location=where)
    return dict(scores)


def _valid_until(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and (value.tzinfo is None or value.utcoffset() is None):
            raise IssueInputError("valid-until must have a time zone")
        return value
    return start_of_day(value)


def _check_dates(request: IssueRequest, now: datetime, where: Location | None, labels: Mapping[str, str] | None = None) -> None:
    def located(column: str) -> Location | None:
        if where is None or labels is None:
            return where
        return dataclasses.replace(where, field=labels.get(column, column))

    if request.awarded > now.date():
        raise IssueInputError(f"the award date {request.awarded.isoformat()} is in the future", location=located("awarded"))
    if request.valid_until is not None and request.valid_until <= start_of_day(request.awarded):
        raise IssueInputError(f"valid until {request.valid_until.date().isoformat()} is not after the award date "
                              f"{request.awarded.isoformat()}", location=located("valid_until"))


# --------------------------------------------------------------------------------------------------
# The bulk CSV


def read_issue_csv(path: Path, district: DistrictConfig, catalog: Catalog, *, now: datetime,
                   display: str | None = None) -> tuple[list[IssueRequest], list[CredfolioError]]:
    """Parse and check a bulk-issue CSV completely: ``(requests of the good rows, every problem)``.

    Accepts UTF-8 with or without a BOM, LF or CRLF line ends, and ``,`` ``;`` or tab as the
    delimiter (chosen by which one splits the header into known column names). Problems name the
    file, the line and the column as written in the header.
    """
    path = Path(path)
    display = display or str(path)
    now = _require_now(now)
    text = read_text(path, display, max_bytes=MAX_CSV_BYTES)
    # Only CR and LF end lines (str.splitlines would also split at U+2028 and friends inside a name).
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        raise IssueInputError("the file is empty; the first line must name the columns (" + ", ".join(CSV_COLUMNS) + ")",
                              location=Location(display, 1))
    delimiter, header = _sniff_header(lines[header_index])
    header_line = header_index + 1
    problems: list[CredfolioError] = []
    columns: dict[str, int] = {}
    for position, raw in enumerate(header):
        name = _column_key(raw)
        if name in CSV_COLUMNS:
            if name in columns:
                problems.append(IssueInputError(f"column '{raw.strip()}' appears twice", location=Location(display, header_line, raw.strip())))
            columns[name] = position
        elif raw.strip():
            hint = difflib.get_close_matches(name, CSV_COLUMNS, n=1)
            problems.append(IssueInputError("unknown column" + (f" (did you mean '{hint[0]}'?)" if hint else f"; columns are {', '.join(CSV_COLUMNS)}"),
                                            location=Location(display, header_line, raw.strip())))
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            problems.append(IssueInputError(f"missing column '{required}' (required: {', '.join(REQUIRED_COLUMNS)})",
                                            location=Location(display, header_line, "header")))
    if any(required not in columns for required in REQUIRED_COLUMNS):
        return [], problems
    labels = {name: header[position].strip() for name, position in columns.items()}

    body = "\n".join(lines[header_index + 1 :])
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True)
    requests: list[IssueRequest] = []
    first_line: dict[str, int] = {}
    slug_for_email: dict[str, tuple[str | None, int]] = {}
    teachers: dict[str, bool] = {}
    line = header_line
    rows = 0
    while True:
        start = header_line + reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(IssueInputError(f"cannot read this line: {error} (check the quotes)", location=Location(display, start)))
            break
        line = start
        if not any(cell.strip() for cell in row):
            continue
        rows += 1
        if rows > MAX_CSV_ROWS:
            problems.append(IssueInputError(f"more than {MAX_CSV_ROWS} rows; split the file", location=Location(display, line)))
            break
        where = Location(display, line)
        if len(row) != len(header):
            problems.append(IssueInputError(f"{len(row)} fields, but the header has {len(header)} (a stray '{delimiter}' or a missing quote?)",
                                            location=where))
            continue
        request, row_problems = _read_row(row, columns, labels, where, catalog, now)
        if request is not None and request.teacher is not None:
            if request.teacher not in teachers:
                try:
                    teachers[request.teacher] = find_teacher(district, request.teacher) is not None
                except CredfolioError as error:
                    row_problems.append(IssueInputError(str(error), location=Location(display, line, labels.get("teacher_slug"))))
                    teachers[request.teacher] = True
            if not teachers[request.teacher]:
                row_problems.append(IssueInputError(f"no wallet/teachers/{request.teacher}.yml: this teacher has not opted in to a "
                                                    "public wallet (leave the column empty to issue privately)",
                                                    location=Location(display, line, labels["teacher_slug"])))
        if request is not None and not row_problems:
            email = normalize_email(request.email)
            previous = slug_for_email.setdefault(email, (request.teacher, line))
            if previous[0] != request.teacher:
                row_problems.append(IssueInputError(f"line {previous[1]} gives this e-mail address the teacher "
                                                    f"'{previous[0] or ''}'; use the same teacher_slug for one person",
                                                    location=Location(display, line, labels.get("teacher_slug", "email"))))
            identity = json.dumps([request.credential, email, request.awarded.isoformat(), request.request_id or ""])
            if identity in first_line:
                row_problems.append(IssueInputError(f"duplicate of line {first_line[identity]} (same credential, e-mail and award date; "
                                                    "add a request_id column to award it twice)", location=where))
            else:
                first_line[identity] = line
        if row_problems:
            problems.extend(row_problems)
        elif request is not None:
            requests.append(request)
    if rows == 0 and not problems:
        problems.append(IssueInputError("no rows below the header", location=Location(display, header_line + 1)))
    return requests, problems


def _column_key(raw: str) -> str:
    return re.sub(r"[\s-]+", "_", raw.strip().lower().lstrip("\ufeff"))


def _sniff_header(line: str) -> tuple[str, list[str]]:
    best: tuple[int, int, str, list[str]] | None = None
    for delimiter in (",", ";", "\t"):
        try:
            header = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        known = sum(1 for cell in header if _column_key(cell) in CSV_COLUMNS)
        candidate = (known, len(header), delimiter, header)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    assert best is not None
    return best[2], best[3]


def _read_row(row: list[str], columns: dict[str, int], labels: dict[str, str], where: Location, catalog: Catalog,
              now: datetime) -> tuple[IssueRequest | None, list[CredfolioError]]:
    problems: list[CredfolioError] = []

    def cell(name: str) -> str:
        return row[columns[name]].strip() if name in columns else ""

    def at(name: str) -> Location:
        return dataclasses.replace(where, field=labels.get(name, name))

    def attempt(name: str, function: Callable[[], Any]) -> Any:
        try:
            return function()
        except IssueInputError as error:
            problems.append(IssueInputError(error.message, location=at(name)))
            return None

    definition = attempt("credential", lambda: _active_definition(catalog, cell("credential"), None) if cell("credential")
                         else _raise("the credential id is empty"))
    name = attempt("name", lambda: _clean_name(cell("name"), None))
    email = attempt("email", lambda: _clean_email(cell("email"), None))
    teacher = cell("teacher_slug") or None
    if teacher is not None and not re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", teacher):
        problems.append(IssueInputError(f"'{teacher[:80]}' is not a teacher slug (lowercase letters, digits, single hyphens)",
                                        location=at("teacher_slug")))
        teacher = None
    evidence = attempt("evidence", lambda: tuple(_evidence_object(url, n, None) for n, url in enumerate(cell("evidence").split(), start=1)))
    awarded = attempt("awarded", lambda: _parse_date(cell("awarded")) if cell("awarded") else now.date())
    valid_until = attempt("valid_until", lambda: start_of_day(_parse_date(cell("valid_until"))) if cell("valid_until") else None)
    request_id = cell("request_id") or None
    if request_id is not None and (len(request_id) > 100 or _CONTROL.search(request_id)):
        problems.append(IssueInputError("a request id is at most 100 characters of plain text", location=at("request_id")))
    scores = None
    if cell("scores") and definition is not None:
        scores = attempt("scores", lambda: _check_scores(definition, _parse_scores(cell("scores")), None))
    if problems:
        return None, problems
    request = IssueRequest(name=name, email=email, awarded=awarded, credential=definition.id, evidence=evidence or (),
                           scores=scores, valid_until=valid_until, teacher=teacher, request_id=request_id, source=where)
    try:
        _check_dates(request, now, where, labels)
    except IssueInputError as error:
        problems.append(error)
        return None, problems
    return request, problems


def _raise(message: str) -> Any:
    raise IssueInputError(message)


def _parse_date(text: str) -> date:
    if not _DATE.match(text):
        raise IssueInputError(f"'{text[:40]}' is not a date; write it as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise IssueInputError(f"'{text}' is not a real date") from None


def _parse_scores(text: str) -> dict[str, str]:
    scores: dict[str, str] = {}
    for part in (piece.strip() for piece in text.split(";")):
        if not part:
            continue
        row, sep, level = (item.strip() for item in part.partition("="))
        if not sep or not row or not level:
            raise IssueInputError(f"'{part[:60]}' is not row=level (write scores as row=level;row=level)")
        if row in scores:
            raise IssueInputError(f"rubric row '{row}' is scored twice")
        scores[row] = level
    return scores


# --------------------------------------------------------------------------------------------------
# Revocation, suspension, re-issue


def _load_entry(ledger: Ledger, badge_id: str) -> BadgeEntry:
    entry = ledger.state.badges.get(badge_id)
    if entry is None:
        raise IssuanceError(f"no badge {badge_id} in the ledger")
    if not entry.is_issued:
        raise IssuanceError(f"badge {badge_id} was allocated but never issued; rerun the issue command that started it")
    return entry


def _clean_reason(reason: str) -> str:
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not text:
        raise IssueInputError("give a reason (--reason)")
    if len(text) > 500 or _CONTROL.search(text):
        raise IssueInputError("the reason must be plain text of at most 500 characters")
    return text


def _change_status(district: DistrictConfig, keystore: KeyStore, badge_id: str, *, action: str, now: datetime,
                   reason: str | None, publish_reason: bool, passphrase: str | bytes | None) -> StatusChange:
    now = _require_now(now)
    badge_id = normalize_badge_id(badge_id)
    reason = _clean_reason(reason) if action != "unsuspended" else None  # type: ignore[arg-type]
    key_holder: list[IssuerKey] = []

    def key() -> IssuerKey:
        if not key_holder:
            key_holder.append(_signing_key(district, keystore, passphrase))
        return key_holder[0]

    if action == "revoked":
        key()  # fail before recording anything when the key cannot be used
    method = _current_method(district, keystore)
    with _open_ledger(district, now) as ledger:
        entry = _load_entry(ledger, badge_id)
        already_event: dict[str, Any] | None = None
        if action == "revoked" and entry.revoked is not None:
            already_event = entry.revoked
        elif action == "suspended":
            if entry.revoked is not None:
                raise IssuanceError(f"badge {badge_id} is revoked (on {entry.revoked['at'][:10]}); a revoked badge cannot be suspended")
            already_event = entry.suspended
        elif action == "unsuspended" and entry.suspended is None:
            already_event = {"at": timestamp(now)}
        if already_event is not None:
            published = _publish(ledger, district, key, now=now, current_method=method)
            return StatusChange(badge_id, action, True, parse_timestamp(already_event["at"]), already_event.get("reason"), published)
        event: dict[str, Any] = {"event": action, "at": timestamp(now), "badge": badge_id}
        if reason and publish_reason:
            event["reason"] = reason
        if reason and not publish_reason:
            append_private_note(district, {"event": action, "at": event["at"], "badge": badge_id, "reason": reason})
        ledger.append([event])
        published = _publish(ledger, district, key, now=now, current_method=method)
    return StatusChange(badge_id, action, False, now, reason, published)


def revoke_badge(district: DistrictConfig, keystore: KeyStore, badge_id: str, *, reason: str, now: datetime,
                 publish_reason: bool = True, passphrase: str | bytes | None = None) -> StatusChange:
    """Revoke a badge for good: record it in the ledger (with the reason, unless kept private) and re-sign its status list.

    Revoking a revoked badge changes nothing and returns ``already=True`` (the list is still
    republished, finishing a run that was interrupted). An unknown badge id raises :class:`IssuanceError`.
    """
    return _change_status(district, keystore, badge_id, action="revoked", now=now, reason=reason,
                          publish_reason=publish_reason, passphrase=passphrase)


def suspend_badge(district: DistrictConfig, keystore: KeyStore, badge_id: str, *, reason: str, now: datetime,
                  publish_reason: bool = True, passphrase: str | bytes | None = None) -> StatusChange:
    """Suspend a badge until :func:`unsuspend_badge` (recorded in the public ledger, shown on the badge page)."""
    return _change_status(district, keystore, badge_id, action="suspended", now=now, reason=reason,
                          publish_reason=publish_reason, passphrase=passphrase)


def unsuspend_badge(district: DistrictConfig, keystore: KeyStore, badge_id: str, *, now: datetime,
                    passphrase: str | bytes | None = None) -> StatusChange:
    """Lift a suspension."""
    return _change_status(district, keystore, badge_id, action="unsuspended", now=now, reason=None, publish_reason=True,
                          passphrase=passphrase)


def reissue_badge(district: DistrictConfig, catalog: Catalog, keystore: KeyStore, badge_id: str, *, new_email: str,
                  now: datetime, passphrase: str | bytes | None = None, rng: random.Random | None = None) -> IssuedBadge:
    """Re-issue a badge to the teacher's new e-mail address (an identity change).

    The new badge has the same achievement, award date, end date, evidence and rubric results, and
    a new id, salt and status index; the ledger links the two (``reissued``, ``replaces``,
    ``replaced_by``) and the old badge is revoked with the reason "re-issued to a new e-mail
    address". Rerunning after a crash finishes the same re-issue.
    """
    now = _require_now(now)
    badge_id = normalize_badge_id(badge_id)
    new_email = _clean_email(new_email, None)
    key = _signing_key(district, keystore, passphrase)
    with _session(district, catalog, key, now=now, rng=rng) as issuer:
        ledger = issuer.ledger
        old = _load_entry(ledger, badge_id)
        recipient = issuer.recipients.get(badge_id)
        if recipient is None:
            raise IssuanceError(f"no recipient record for badge {badge_id} in {district.private_path}; it cannot be re-issued here")
        if old.reissued_as is None:
            if old.revoked is not None:
                raise IssuanceError(f"badge {badge_id} is revoked; a revoked badge is not re-issued")
            if old.suspended is not None:
                raise IssuanceError(f"badge {badge_id} is suspended; unsuspend it before re-issuing")
            if normalize_email(new_email) == normalize_email(recipient.email):
                raise IssueInputError("the new e-mail address is the badge's current one")
        path = public_badge_path(district, badge_id) if old.is_public else private_badge_path(district, badge_id)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise IssuanceError(f"cannot read the badge to re-issue: {error}", location=Location(str(path))) from None
        valid_until = old.valid_until
        request = IssueRequest(
            name=recipient.name, email=new_email, awarded=old.awarded, credential=old.credential, stack=old.stack,  # type: ignore[arg-type]
            evidence=tuple(document.get("evidence", [])), results=tuple(document.get("credentialSubject", {}).get("result", [])),
            valid_from=now, valid_until=valid_until, teacher=recipient.teacher, replaces=badge_id,
        )
        report = IssueReport()
        created = issuer.run([request], report)
        new = (created or report.already_issued)[0]
        events = []
        if old.reissued_as is None:
            events.append({"event": "reissued", "at": timestamp(now), "badge": badge_id, "new_badge": new.badge_id})
        if old.revoked is None:
            events.append({"event": "revoked", "at": timestamp(now), "badge": badge_id, "reason": REISSUE_REASON,
                           "replaced_by": new.badge_id})
        ledger.append(events)
        _publish(ledger, district, lambda: key, now=now, current_method=issuer.verification_method)
    return new


# --------------------------------------------------------------------------------------------------
# Key events


def record_key_change(district: DistrictConfig, keystore: KeyStore, *, kind: str, key_id: str, now: datetime) -> Path:
    """After ``keys generate`` / ``rotate`` / ``compromise``: rewrite ``wallet/did.json`` and log the key event.

    ``kind`` is ``key-generated``, ``key-rotated`` or ``key-compromised``. Returns the did.json path.
    Status lists signed by a key that no longer signs are re-signed by the next ``status publish``
    (or any issue/revoke), which needs the new private key.
    """
    now = _require_now(now)
    event = key_event(kind, did=district.issuer_did, key_id=key_id, at=now)
    with _open_ledger(district, now) as ledger:
        path = write_did_document(district, keystore)
        ledger.append([event])
    return path


# --------------------------------------------------------------------------------------------------
# Status lists


def publish_status_lists(district: DistrictConfig, keystore: KeyStore, *, now: datetime, passphrase: str | bytes | None = None,
                         force: bool = False) -> list[Path]:
    """Rebuild every status list from the ledger and re-sign those that changed; returns the files written.

    A list is rewritten when its bits differ from the ledger, when it is missing, or when it was
    signed by a key that is no longer the signing key (``force`` rewrites all). Each file is
    replaced atomically; a ``status-published`` event records it.
    """
    now = _require_now(now)
    key = _signing_key(district, keystore, passphrase)
    with _open_ledger(district, now) as ledger:
        return _publish(ledger, district, lambda: key, now=now, current_method=key.verification_method(district.issuer_did), force=force)


def _publish(ledger: Ledger, district: DistrictConfig, key: Callable[[], IssuerKey], *, now: datetime, current_method: str,
             force: bool = False) -> list[Path]:
    """Re-sign the lists whose bits, issuer or key differ from what they should be.

    ``current_method`` is the verification method new proofs are made with; ``key`` loads the
    private key only when a list actually has to be signed (suspending needs no passphrase).
    """
    from credfolio.proof import create_proof

    remove_stale_temporaries(district.wallet_path / "status")
    written: list[Path] = []
    for purpose, number in ledger.state.lists():
        bits = StatusList(LIST_SIZE)
        flagged = ledger.state.set_indexes(purpose, number)
        for index in flagged:
            bits.set(index)
        path = status_list_path(district, purpose, number)
        url = status_list_url(district, purpose, number)
        if not force and _list_is_current(_read_json_object(path), url=url, purpose=purpose, encoded=bits.encode(),
                                          issuer=district.issuer_did, method=current_method):
            continue
        signing = key()
        unsigned = status_list_credential(list_url=url, issuer_did=district.issuer_did, purpose=purpose, bits=bits.to_bytes(), valid_from=now)
        signed = create_proof(unsigned, private_key=signing.private_key, verification_method=signing.verification_method(district.issuer_did),  # type: ignore[arg-type]
                              created=now)
        atomic_write_json(path, signed)
        ledger.append([{"event": "status-published", "at": timestamp(now), "purpose": purpose, "list": number, "url": url,
                        "set": len(flagged)}])
        written.append(path)
    return written


def _list_is_current(document: dict[str, Any] | None, *, url: str, purpose: str, encoded: str, issuer: str, method: str) -> bool:
    if document is None or document.get("id") != url or document.get("issuer") != issuer:
        return False
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("encodedList") != encoded or subject.get("statusPurpose") != purpose:
        return False
    proofs = document.get("proof")
    return isinstance(proofs, list) and len(proofs) == 1 and isinstance(proofs[0], dict) and proofs[0].get("verificationMethod") == method


def _current_method(district: DistrictConfig, keystore: KeyStore) -> str:
    """The verification method the key store signs with now (public metadata only, no passphrase)."""
    keys = [key for key in keystore.list_keys(district.issuer_did) if key.revoked is None]
    if not keys:
        raise IssuanceError(f"every key of {district.issuer_did} is marked compromised; rotate to create a new key")
    return keys[-1].verification_method(district.issuer_did)


def _read_json_object(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None

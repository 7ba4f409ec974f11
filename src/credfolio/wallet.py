"""The wallet's data: opted-in teachers, their signed badges, the issuer's DID document, and private recipients.

Public (committed to the district repository and published with the site) — never an e-mail address:

``wallet/teachers/<slug>.yml``     one file per teacher who OPTED IN to a public wallet: display name,
                                   optional school and role, and what they consent to show
``wallet/badges/<badge-id>.json``  signed badges of opted-in teachers
``wallet/ledger.jsonl``            the append-only ledger (:mod:`credfolio.ledger`)
``wallet/status/<purpose>-<n>.json`` signed Bitstring Status List credentials
``wallet/did.json``                the issuer's DID document (public keys only), so a CI build that never
                                   sees a private key can publish it

Private (``district.private_path``, outside the repository):

``recipients.jsonl``     badge id → e-mail, name, salt, teacher slug: who each badge belongs to
``badges/<badge-id>.json`` signed badges of teachers who did not opt in; the district e-mails them
``private-ledger.jsonl`` reasons the district chose not to publish
``issuance-secret``      the key that turns (credential, e-mail, date, request id) into a badge id, so a
                         public badge id can never be traced back to an e-mail address by guessing

Published URLs (the site build copies ``wallet/`` files to these paths): ``did.json`` at the site
root (the did:web document; ``.well-known/did.json`` for a site at a domain's root), ``status/<purpose>-<n>.json``, ``badges/<badge-id>.json``, ``ledger.jsonl``,
and the badge page ``badges/<badge-id>/``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from credfolio.errors import CredfolioError, IssueInputError, IssuanceError, Location, ValidationError
from credfolio.fsutil import append_lines, atomic_write_json, atomic_write_text, fsync_dir, json_line, make_dirs, read_lines
from credfolio.ledger import LEDGER_FILE, BadgeEntry, LedgerState, read_ledger
from credfolio.yamlfile import FieldPath, dotted, load_yaml

if TYPE_CHECKING:
    from credfolio.config import DistrictConfig
    from credfolio.keys import KeyStore

TEACHER_FORMAT = 1
TEACHERS_DIR = "teachers"
BADGES_DIR = "badges"
STATUS_DIR = "status"
DID_FILE = "did.json"
RECIPIENTS_FILE = "recipients.jsonl"
PRIVATE_LEDGER_FILE = "private-ledger.jsonl"
ISSUANCE_SECRET_FILE = "issuance-secret"
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"

#: No control characters, no markup brackets, no bidirectional overrides or isolates (they could make a name
#: read differently than it is written; right-to-left names need none of them).
_NAME = r"^[^\x00-\x1f\x7f<>\u202a-\u202e\u2066-\u2069]*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
DisplayText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=_NAME)]


# --------------------------------------------------------------------------------------------------
# Paths and URLs


def wallet_path(district: DistrictConfig, *parts: str) -> Path:
    """A path inside the district's ``wallet/`` folder."""
    return district.wallet_path.joinpath(*parts)


def ledger_path(district: DistrictConfig) -> Path:
    """``wallet/ledger.jsonl``."""
    return wallet_path(district, LEDGER_FILE)


def did_document_path(district: DistrictConfig) -> Path:
    """``wallet/did.json``."""
    return wallet_path(district, DID_FILE)


def public_badge_path(district: DistrictConfig, badge_id: str) -> Path:
    """``wallet/badges/<badge-id>.json`` (opted-in teachers)."""
    return wallet_path(district, BADGES_DIR, f"{badge_id}.json")


def private_badge_path(district: DistrictConfig, badge_id: str) -> Path:
    """``<private>/badges/<badge-id>.json`` (teachers who did not opt in)."""
    return district.private_path / BADGES_DIR / f"{badge_id}.json"


def status_list_name(purpose: str, number: int) -> str:
    """``revocation-1.json``."""
    return f"{purpose}-{number}.json"


def status_list_path(district: DistrictConfig, purpose: str, number: int) -> Path:
    """``wallet/status/<purpose>-<n>.json``."""
    return wallet_path(district, STATUS_DIR, status_list_name(purpose, number))


def status_list_url(district: DistrictConfig, purpose: str, number: int) -> str:
    """The published URL of a status list, ``https://…/status/<purpose>-<n>.json`` (stable forever)."""
    return district.url(f"{STATUS_DIR}/{status_list_name(purpose, number)}")


def badge_json_url(district: DistrictConfig, badge_id: str) -> str:
    """Where a public badge's signed JSON is published (what wallets import and QR codes point at)."""
    return district.url(f"{BADGES_DIR}/{badge_id}.json")


def badge_page_url(district: DistrictConfig, badge_id: str) -> str:
    """The public badge page, ``https://…/badges/<badge-id>/``."""
    return district.url(f"{BADGES_DIR}/{badge_id}/")


def public_badge_files(district: DistrictConfig) -> list[Path]:
    """Badge files in ``wallet/badges/`` whose teacher currently has wallet-page consent."""
    directory = wallet_path(district, BADGES_DIR)
    if not directory.is_dir():
        return []
    consenting = {slug for slug, teacher in load_teachers(district).items() if teacher.consent.wallet_page}
    state = read_state(district)
    files = []
    for path in sorted(directory.glob("*.json")):
        entry = state.badges.get(path.stem)
        teacher = entry.issued.get("teacher") if entry is not None and entry.issued else None
        if path.is_file() and (entry is None or teacher in consenting):
            # a file the ledger does not know is still published, so the build's verification catches it
            files.append(path)
    return files


def site_files(district: DistrictConfig) -> list[tuple[Path, str]]:
    """``(file in wallet/, path in the built site)`` for everything the site publishes from the wallet.

    ``did.json`` goes where did:web resolves it (:func:`did_document_site_path`), status lists to ``status/``,
    public badges to ``badges/`` — only those whose teacher consents to a wallet page today, because a
    badge names its teacher. The ledger is published separately (:func:`public_ledger_text`).
    """
    files: list[tuple[Path, str]] = []
    did = did_document_path(district)
    if did.is_file():
        files.append((did, did_document_site_path(district)))
    status = wallet_path(district, STATUS_DIR)
    if status.is_dir():
        files.extend((path, f"{STATUS_DIR}/{path.name}") for path in sorted(status.glob("*.json")) if path.is_file())
    for badge in public_badge_files(district):
        files.append((badge, f"{BADGES_DIR}/{badge.name}"))
    for path, _ in files:
        _refuse_link(district, path)
    return files


def _refuse_link(district: DistrictConfig, path: Path) -> None:
    """A symbolic link in wallet/ could publish any file of the machine that builds the site (a key, a record)."""
    if path.is_symlink():
        raise IssuanceError("is a symbolic link; the site publishes only regular files from the wallet folder",
                            location=Location(_display(district, path)))


def did_document_site_path(district: DistrictConfig) -> str:
    """Where the site publishes ``did.json``: where did:web resolves the district's DID.

    ``did.json`` for a site under a path (``https://owner.github.io/repo/``), and
    ``.well-known/did.json`` for a site at a domain's root (``https://credentials.district.org/``).
    """
    from urllib.parse import urlsplit

    from credfolio.keys import did_web_document_url

    document_path = urlsplit(did_web_document_url(district.issuer_did)).path
    return document_path[len(urlsplit(district.site_url).path):]


#: Fields of an ``issued`` event that point at a teacher; left out of the published ledger once consent ends.
_TEACHER_FIELDS = ("teacher", "url", "page")


def public_ledger_text(district: DistrictConfig) -> str | None:
    """The ledger as the site publishes it, or ``None`` when there is no ledger yet.

    Every event is kept (the published record stays complete and append-only in shape), but an
    ``issued`` event whose teacher no longer consents to a wallet page loses its teacher slug and
    URLs: a slug is usually the teacher's name, and withdrawing consent must remove it from the site.
    """
    path = ledger_path(district)
    if not path.is_file():
        return None
    consenting = {slug for slug, teacher in load_teachers(district).items() if teacher.consent.wallet_page}
    lines = []
    for _, line in read_lines(path):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            raise IssuanceError("ledger line is not JSON", location=Location(_display(district, path))) from None
        if isinstance(event, dict) and event.get("event") == "issued" and event.get("teacher") not in (None, *consenting):
            line = json_line({name: value for name, value in event.items() if name not in _TEACHER_FIELDS})
        lines.append(line + "\n")
    return "".join(lines)


# --------------------------------------------------------------------------------------------------
# Teachers (public, opted in)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class WalletConsent(_Model):
    """What an opted-in teacher agreed to show. Everything beyond the wallet page itself defaults to no."""

    wallet_page: bool = Field(True, description="Publish a wallet page and the teacher's badges; false keeps new badges private.")
    show_school: bool = Field(False, description="Show the school on the wallet and badge pages.")
    show_role: bool = Field(False, description="Show the role on the wallet and badge pages.")
    search_engines: bool = Field(False, description="Let search engines index the wallet page (noindex otherwise).")
    show_evidence: bool = Field(False, description="Show evidence links recorded in badges on the pages.")


class TeacherFile(_Model):
    """``wallet/teachers/<slug>.yml``."""

    format: int = Field(TEACHER_FORMAT, description="File format version (1).")
    slug: Slug = Field(description="Same as the file name; used in page URLs.")
    display_name: DisplayText = Field(description="Name as the teacher wants it shown (also the name in their public badges).")
    school: DisplayText | None = Field(None, description="School, shown only with consent.show_school.")
    role: DisplayText | None = Field(None, description="Role, shown only with consent.show_role.")
    consent: WalletConsent = Field(default_factory=WalletConsent, description="What the teacher agreed to show.")


@dataclass(frozen=True)
class TeacherProfile:
    """An opted-in teacher (see :class:`TeacherFile` for the fields)."""

    slug: str
    display_name: str
    school: str | None = None
    role: str | None = None
    consent: WalletConsent = field(default_factory=WalletConsent)

    @property
    def opted_in(self) -> bool:
        """Whether new badges are published (the teacher has a file and ``consent.wallet_page`` is true)."""
        return self.consent.wallet_page

    def to_data(self) -> dict[str, Any]:
        """The file's fields in their documented order (absent optional fields left out)."""
        data: dict[str, Any] = {"format": TEACHER_FORMAT, "slug": self.slug, "display_name": self.display_name}
        if self.school:
            data["school"] = self.school
        if self.role:
            data["role"] = self.role
        data["consent"] = self.consent.model_dump()
        return data


def teacher_path(district: DistrictConfig, slug: str) -> Path:
    """``wallet/teachers/<slug>.yml``."""
    return wallet_path(district, TEACHERS_DIR, f"{slug}.yml")


def load_teacher(path: Path, *, display: str | None = None) -> TeacherProfile:
    """Read and check one teacher file; problems raise :class:`ValidationError` (``file:line: field: message``)."""
    from credfolio.submissions import located_problems

    path = Path(path)
    document = load_yaml(path, display or str(path))

    def locate(field_path: FieldPath) -> Location:
        return Location(document.display_name, document.line_of(field_path), dotted(field_path) or None)

    if not isinstance(document.data, dict):
        raise IssueInputError("expected a teacher file (key: value lines)", location=Location(document.display_name, 1))
    try:
        parsed = TeacherFile.model_validate(document.data)
    except PydanticValidationError as error:
        known = set(TeacherFile.model_fields) | set(WalletConsent.model_fields)
        raise ValidationError(located_problems(error, locate, IssueInputError, known)) from None
    if parsed.format != TEACHER_FORMAT:
        raise IssueInputError(f"must be {TEACHER_FORMAT}", location=locate(("format",)))
    if parsed.slug != path.stem:
        raise IssueInputError(f"'{parsed.slug}' does not match the file name '{path.name}'", location=locate(("slug",)))
    return TeacherProfile(parsed.slug, parsed.display_name, parsed.school, parsed.role, parsed.consent)


def find_teacher(district: DistrictConfig, slug: str) -> TeacherProfile | None:
    """The opted-in teacher ``slug``, or ``None`` when there is no ``wallet/teachers/<slug>.yml``."""
    if not isinstance(slug, str) or not re.match(SLUG_PATTERN, slug):
        raise IssueInputError(f"'{slug}' is not a teacher slug: use lowercase letters, digits and single hyphens")
    path = teacher_path(district, slug)
    if not path.exists():
        return None
    return load_teacher(path, display=_display(district, path))


def load_teachers(district: DistrictConfig) -> dict[str, TeacherProfile]:
    """Every teacher file in ``wallet/teachers/``, by slug; every bad file is reported at once."""
    folder = wallet_path(district, TEACHERS_DIR)
    teachers: dict[str, TeacherProfile] = {}
    problems: list[CredfolioError] = []
    if not folder.is_dir():
        return teachers
    for path in sorted(folder.glob("*.yml")):
        try:
            teacher = load_teacher(path, display=_display(district, path))
        except ValidationError as error:
            problems.extend(error.problems)
            continue
        except CredfolioError as error:
            problems.append(error)
            continue
        teachers[teacher.slug] = teacher
    if problems:
        raise ValidationError(problems)
    return teachers


def write_teacher(district: DistrictConfig, teacher: TeacherProfile) -> Path:
    """Write ``wallet/teachers/<slug>.yml`` atomically (used when a teacher opts in)."""
    from credfolio.submissions import dump_yaml

    TeacherFile.model_validate(teacher.to_data())
    path = teacher_path(district, teacher.slug)
    atomic_write_text(path, "# A teacher who opted in to a public wallet. Never add an e-mail address here.\n" + dump_yaml(teacher.to_data()))
    return path


def _display(district: DistrictConfig, path: Path) -> str:
    try:
        return str(path.relative_to(district.root))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------------------------
# The DID document


def write_did_document(district: DistrictConfig, keystore: KeyStore) -> Path:
    """Write ``wallet/did.json`` from the key store (public keys only); run after generate/rotate/compromise.

    Returns the path. Writing is skipped when the file already holds exactly this document, so
    repeated calls leave git clean.
    """
    document = keystore.did_document(district.issuer_did)
    path = did_document_path(district)
    if _read_json(path) != document:
        atomic_write_json(path, document)
    return path


def did_document_is_current(district: DistrictConfig, keystore: KeyStore) -> bool:
    """Whether ``wallet/did.json`` equals what the key store says (so new badges will verify once published)."""
    return _read_json(did_document_path(district)) == keystore.did_document(district.issuer_did)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


# --------------------------------------------------------------------------------------------------
# Recipients (private)


@dataclass(frozen=True)
class Recipient:
    """Who a badge belongs to (private): written before the badge's status indexes are allocated."""

    badge_id: str
    email: str
    name: str
    salt: str
    achievement: str  # credential:<id> or stack:<id>
    teacher: str | None = None
    request_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``recipients.jsonl`` record."""
        return {key: value for key, value in asdict(self).items() if value is not None}


def recipients_path(district: DistrictConfig) -> Path:
    """``<private>/recipients.jsonl``."""
    return district.private_path / RECIPIENTS_FILE


def read_recipients(district: DistrictConfig) -> dict[str, Recipient]:
    """Every recipient record by badge id; the first record of a badge wins (a crashed run may have written one twice)."""
    path = recipients_path(district)
    recipients: dict[str, Recipient] = {}
    for number, line in read_lines(path):
        try:
            data = json.loads(line)
            recipient = Recipient(**data)
        except (json.JSONDecodeError, TypeError) as error:
            raise IssuanceError(f"unreadable recipient record: {error}", location=Location(str(path), number)) from None
        recipients.setdefault(recipient.badge_id, recipient)
    return recipients


def append_recipients(district: DistrictConfig, recipients: Iterable[Recipient]) -> None:
    """Append recipient records durably (``fsync``) to the private folder."""
    append_lines(recipients_path(district), [json_line(r.to_json()) for r in recipients], private=True)


def append_private_note(district: DistrictConfig, record: dict[str, Any]) -> None:
    """Append a record the district keeps private (e.g. a revocation reason it does not publish)."""
    append_lines(district.private_path / PRIVATE_LEDGER_FILE, [json_line(record)], private=True)


def issuance_secret(district: DistrictConfig) -> bytes:
    """The district's private issuance key (32 random bytes), created on first use in the private folder.

    Badge ids are derived from it, so rerunning the same bulk issue finds the same badges, while
    nobody without it can test whether a given e-mail address earned a given badge.
    """
    path = district.private_path / ISSUANCE_SECRET_FILE
    if not path.exists():
        make_dirs(path.parent, private=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            try:
                os.write(descriptor, (secrets.token_hex(32) + "\n").encode("ascii"))
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            fsync_dir(path.parent)
    text = path.read_text(encoding="ascii").strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise IssuanceError("the issuance secret is damaged (expected 64 hex digits); restore it from your backup",
                            location=Location(str(path)))
    return bytes.fromhex(text)


# --------------------------------------------------------------------------------------------------
# Reading badges back


@dataclass(frozen=True)
class WalletBadge:
    """A public badge as the wallet pages see it: its ledger entry, its state and its signed JSON."""

    entry: BadgeEntry
    state: str
    document: dict[str, Any]
    path: Path


def read_state(district: DistrictConfig) -> LedgerState:
    """The ledger folded into current state (read-only, no lock)."""
    return read_ledger(ledger_path(district), display=_display(district, ledger_path(district)))


def public_badges(district: DistrictConfig, *, now: datetime, teacher: str | None = None) -> list[WalletBadge]:
    """Published badges (optionally of one teacher), oldest award first, with their state as of ``now``."""
    state = read_state(district)
    badges: list[WalletBadge] = []
    for entry in state.badges.values():
        if not entry.is_public or (teacher is not None and entry.issued.get("teacher") != teacher):  # type: ignore[union-attr]
            continue
        path = public_badge_path(district, entry.badge_id)
        document = _read_json(path)
        if not isinstance(document, dict):
            raise IssuanceError("badge listed in the ledger is missing or unreadable", location=Location(_display(district, path)))
        badges.append(WalletBadge(entry, entry.state(now), document, path))
    badges.sort(key=lambda badge: (badge.entry.awarded, badge.entry.badge_id))
    return badges

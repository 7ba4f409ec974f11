"""Build unsigned Open Badges 3.0 ``OpenBadgeCredential`` documents (on VC Data Model 2.0) and check their shape.

The shape follows the project template in ``../shared/standards/README.md`` §1: contexts
``[credentials/v2, ob/v3p0/context-3.0.3.json]``, an embedded issuer ``Profile``, a hashed e-mail
``IdentityObject`` as the recipient, rubric ``Result`` objects, top-level ``evidence`` and an optional
``BitstringStatusListEntry``. Every property the 1EdTech JSON Schema types as an array is emitted as an
array (``type``, ``proof``, ``evidence``, ``result`` …), and every term is defined by one of the two
contexts, so canonicalization never silently drops anything.

:func:`shape_problems` is the structural check shared by the builder (which refuses to emit a document
with problems) and :mod:`credfolio.verify` (which reports them as the ``schema`` check).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from credfolio.contexts import CREDENTIALS_V2, OB_V3P0
from credfolio.errors import CredentialError

#: ``@context`` of every credential credfolio issues, in the order OB 3.0 requires.
CREDENTIAL_CONTEXT: tuple[str, str] = (CREDENTIALS_V2, OB_V3P0)
#: ``type`` of every credential credfolio issues.
CREDENTIAL_TYPE: tuple[str, str] = ("VerifiableCredential", "OpenBadgeCredential")

# The OB 3.0 schema accepts any 3.x context file name in position 2 (``context-3.0.3.json`` and siblings).
_OB_CONTEXT_PATTERN = re.compile(r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$")
# Extensible enumerations: a listed value or an ``ext:`` term (``ob_v3p0/extending.md``).
_EXT_TERM = re.compile(r"^ext:[A-Za-z0-9._|-]+$")
# DateTimeZ: an XSD dateTime with a mandatory zone designator. Fractional seconds are valid input from
# other issuers; credfolio itself never writes them (see :func:`format_datetime`).
_DATETIME_Z = re.compile(r"^\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# C0 controls other than TAB, LF and CR, and DEL: pyld 3.3.0 emits some of them raw where RDFC-1.0
# requires escapes, so a signature over such a string would not verify elsewhere (standards README §3.6).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_HASH = re.compile(r"^(sha256|md5)\$([0-9a-fA-F]+)$")

ACHIEVEMENT_TYPES = frozenset(
    "Achievement ApprenticeshipCertificate Assessment Assignment AssociateDegree Award Badge BachelorDegree Certificate "
    "CertificateOfCompletion Certification CommunityService Competency Course CoCurricular Degree Diploma DoctoralDegree "
    "Fieldwork GeneralEducationDevelopment JourneymanCertificate LearningProgram License Membership ProfessionalDoctorate "
    "QualityAssuranceCredential MasterCertificate MasterDegree MicroCredential ResearchDoctorate SecondarySchoolDiploma".split()
)
IDENTIFIER_TYPES = frozenset(
    "name sourcedId systemId productId userName accountId emailAddress nationalIdentityNumber isbn issn lisSourcedId "
    "oneRosterSourcedId sisSourcedId ltiContextId ltiDeploymentId ltiToolId ltiPlatformId ltiUserId identifier".split()
)
RESULT_TYPES = frozenset(
    "GradePointAverage LetterGrade Percent PerformanceLevel PredictedScore RawScore Result RubricCriterion "
    "RubricCriterionLevel RubricScore ScaledScore Status".split()
)
RESULT_STATUSES = frozenset("Completed Enrolled Failed InProgress OnHold Provisional Withdrew".split())
STATUS_PURPOSES = frozenset({"revocation", "suspension", "refresh", "message"})

_EVIDENCE_KEYS = frozenset({"id", "type", "name", "narrative", "description", "genre", "audience"})


@dataclass(frozen=True)
class IssuerProfile:
    """The district as the credential's issuer: its did:web, display name, homepage and optional contact/logo."""

    did: str
    name: str
    url: str
    email: str | None = None
    image_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The embedded OB 3.0 ``Profile`` object (``type`` as an array, ``image`` as an Image object)."""
        profile: dict[str, Any] = {"id": self.did, "type": ["Profile"], "name": self.name, "url": self.url}
        if self.email:
            profile["email"] = self.email
        if self.image_url:
            profile["image"] = {"id": self.image_url, "type": "Image"}
        return profile


# --------------------------------------------------------------------------------------------------
# Recipient identity


def normalize_email(email: str) -> str:
    """The form of an e-mail address that credfolio hashes: surrounding white space removed, lower case.

    OB 3.0 does not say how to normalize an address before hashing (1EdTech/openbadges-specification#2
    was closed without a rule). District systems disagree on case (``Jane.Doe@District.org`` in the SIS,
    ``jane.doe@district.org`` in the LMS), domains are case-insensitive by RFC 5321, and in practice
    mail providers treat the local part case-insensitively too, so lower-casing lets the same teacher
    always match her own badge. :func:`email_matches` also accepts hashes of the un-lowered address
    that other issuers may have produced.
    """
    return email.strip().lower()


def new_salt() -> str:
    """A fresh random salt for one recipient identity (128 bits, URL-safe text)."""
    return secrets.token_urlsafe(16)


def identity_object(email: str, *, salt: str) -> dict[str, Any]:
    """The OB 3.0 ``IdentityObject`` for a hashed e-mail recipient.

    ``identityHash`` is ``"sha256$" + hex(SHA-256(UTF-8(normalized email + salt)))`` — identifier
    followed by salt, as the spec's ``IdentityHash`` class defines (its example:
    ``a@example.com`` + ``Kosher`` → ``sha256$b5809d8a…ef399``).
    """
    if not isinstance(email, str) or not _EMAIL.match(normalize_email(email)) or _CONTROL_CHARACTERS.search(email):
        raise CredentialError(f"recipient e-mail {email!r} is not an e-mail address")
    if not isinstance(salt, str) or not salt or _CONTROL_CHARACTERS.search(salt):
        raise CredentialError("the identity salt must be a non-empty string without control characters")
    digest = hashlib.sha256((normalize_email(email) + salt).encode("utf-8")).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def email_matches(identity: Mapping[str, Any], email: str) -> bool:
    """Whether ``email`` is the address an ``IdentityObject`` (hashed or plain) identifies.

    Tries the normalized address first and the address exactly as given (stripped) second, so hashes
    made by issuers that did not lower-case still match. Comparison is constant-time.
    """
    if not isinstance(identity, Mapping) or identity.get("identityType") != "emailAddress" or not isinstance(email, str):
        return False
    stored = identity.get("identityHash")
    if not isinstance(stored, str):
        return False
    candidates = dict.fromkeys([normalize_email(email), email.strip()])
    if identity.get("hashed") is not True:
        return any(hmac.compare_digest(stored.strip().lower(), candidate.lower()) for candidate in candidates)
    match = _HASH.match(stored)
    if not match:
        return False
    algorithm, expected = match.group(1), match.group(2).lower()
    salt = identity.get("salt") or ""
    if not isinstance(salt, str):
        return False
    for candidate in candidates:
        actual = hashlib.new(algorithm, (candidate + salt).encode("utf-8")).hexdigest()
        if hmac.compare_digest(actual, expected):
            return True
    return False


# --------------------------------------------------------------------------------------------------
# Dates


def format_datetime(moment: datetime) -> str:
    """``moment`` as a DateTimeZ in UTC without fractional seconds, e.g. ``2025-06-01T00:00:00Z``.

    Fractional seconds are dropped (not rounded) so the value never claims a later time; a naive
    datetime is refused because its zone would be a guess.
    """
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise CredentialError(f"date {moment!r} must be a timezone-aware datetime")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: Any) -> datetime | None:
    """Parse a DateTimeZ string (zone required, fractional seconds allowed); ``None`` when it is not one."""
    if not isinstance(text, str) or not _DATETIME_Z.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------------
# Building


def build_credential(
    *,
    credential_id: str,
    issuer: IssuerProfile,
    achievement: Mapping[str, Any],
    recipient_email: str,
    salt: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    awarded: datetime | None = None,
    name: str | None = None,
    evidence: Iterable[Mapping[str, Any]] = (),
    results: Iterable[Mapping[str, Any]] = (),
    status: Mapping[str, Any] | list[Mapping[str, Any]] | None = None,
    recipient_name: str | None = None,
) -> dict[str, Any]:
    """Build an unsigned OB 3.0 ``OpenBadgeCredential`` for one teacher and one achievement.

    ``credential_id`` is the https URL where the signed JSON will be published (or a ``urn:uuid:``);
    ``achievement`` is the catalog entry's Achievement JSON (``id``, ``type`` with ``Achievement``,
    ``name``, ``description``, ``criteria`` required); the recipient is identified only by a salted
    hash of ``recipient_email``. ``awarded`` (default ``valid_from``) keeps the original award date
    across re-issues. ``status`` is one ``BitstringStatusListEntry`` (see
    :func:`credfolio.status.status_entry`); OB 3.0's schema allows a single ``credentialStatus`` object,
    so a list must hold exactly one entry. ``recipient_name`` becomes ``credentialSubject.name``
    (``name`` is defined for every node by the OB context, and wallets display it).

    Raises :class:`CredentialError` naming the field for any invalid input, including strings with C0
    control characters, non-https URLs, and anything that would fail :func:`shape_problems`.
    """
    _require_uri("credential id", credential_id, schemes=("https", "urn"))
    if not isinstance(issuer, IssuerProfile):
        raise CredentialError("issuer must be an IssuerProfile")
    _require_uri("issuer.did", issuer.did, schemes=("did",))
    _require_text("issuer.name", issuer.name)
    _require_uri("issuer.url", issuer.url, schemes=("https",))
    if issuer.email is not None and not _EMAIL.match(issuer.email):
        raise CredentialError(f"issuer.email {issuer.email!r} is not an e-mail address")
    if issuer.image_url is not None:
        _require_uri("issuer.image", issuer.image_url, schemes=("https", "data"))
    achievement_json = _checked_achievement(achievement)
    valid_from_text = format_datetime(valid_from)
    valid_until_text = None
    if valid_until is not None:
        valid_until_text = format_datetime(valid_until)
        if valid_until <= valid_from:
            raise CredentialError(f"validUntil {valid_until_text} must be later than validFrom {valid_from_text}")
    awarded_text = format_datetime(awarded if awarded is not None else valid_from)

    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [identity_object(recipient_email, salt=salt)],
        "achievement": achievement_json,
    }
    if recipient_name is not None:
        subject["name"] = _require_text("recipient name", recipient_name)
    result_list = [_checked_result(index, result) for index, result in enumerate(results)]
    if result_list:
        subject["result"] = result_list

    credential: dict[str, Any] = {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": credential_id,
        "type": list(CREDENTIAL_TYPE),
        "name": _require_text("name", name if name is not None else achievement_json["name"]),
        "issuer": issuer.to_json(),
        "validFrom": valid_from_text,
    }
    if valid_until_text is not None:
        credential["validUntil"] = valid_until_text
    credential["awardedDate"] = awarded_text
    credential["credentialSubject"] = subject
    evidence_list = [_checked_evidence(index, item) for index, item in enumerate(evidence)]
    if evidence_list:
        credential["evidence"] = evidence_list
    if status is not None:
        credential["credentialStatus"] = _checked_status(status)

    _reject_control_characters(credential, "")
    problems = shape_problems(credential)
    if problems:
        raise CredentialError(f"the credential would not be valid Open Badges 3.0: {problems[0]}")
    return credential


def with_recipient_and_status(credential: Mapping[str, Any], *, recipient_email: str, salt: str,
                              status: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an unsigned credential from :func:`build_credential` with another salted recipient hash and status entry.

    Bulk issuance builds (and so checks) every badge with a placeholder salt and status before it
    writes anything; once salts and status indexes are allocated, it swaps just those two parts in
    instead of building and checking each badge a second time. Both parts are checked here.
    """
    subject = credential.get("credentialSubject") if isinstance(credential, Mapping) else None
    if not isinstance(subject, Mapping) or "credentialStatus" not in credential:
        raise CredentialError("not a credential from build_credential (no credentialSubject or credentialStatus)")
    result = dict(credential)
    result["credentialSubject"] = {**subject, "identifier": [identity_object(recipient_email, salt=salt)]}
    entry = _checked_status(status)
    _reject_control_characters(entry, "credentialStatus")
    problems: list[str] = []
    _check_status_entry(entry, "credentialStatus", problems)
    if problems:
        raise CredentialError(f"the credential would not be valid Open Badges 3.0: {problems[0]}")
    result["credentialStatus"] = entry
    return result


def rubric_results(achievement: Mapping[str, Any], scores: Mapping[str, str]) -> list[dict[str, Any]]:
    """OB ``Result`` objects recording which rubric level a reviewer gave for each scored row.

    ``achievement["resultDescription"]`` holds one ``ResultDescription`` per rubric row, each with its
    ``rubricCriterionLevel`` list. ``scores`` maps a row to a level, by full id or by the catalog's
    short id: a row ``…/wait-time/#rubric-pausing`` is ``pausing`` (its fragment without a ``rubric-``
    or ``rubric/`` prefix, or its last ``/``/``:`` segment), and a level
    ``…#rubric-pausing-proficient`` is ``proficient`` (what follows the row id). Results come out in the
    achievement's row order. Unknown or ambiguous rows and levels raise :class:`CredentialError`.
    """
    descriptions = achievement.get("resultDescription") if isinstance(achievement, Mapping) else None
    if not isinstance(descriptions, list) or not descriptions:
        raise CredentialError("achievement.resultDescription: the achievement has no rubric rows to score")
    chosen: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for row_key, level_key in scores.items():
        row_index, row = _match_by_id(descriptions, row_key, what="rubric row")
        levels = row.get("rubricCriterionLevel")
        if not isinstance(levels, list) or not levels:
            raise CredentialError(f"achievement.resultDescription[{row_index}]: rubric row {row_key!r} has no levels")
        _, level = _match_by_id(levels, level_key, what=f"level of rubric row {row_key!r}", parent_id=row["id"])
        chosen[row_index] = (row, level)
    return [
        {"type": ["Result"], "resultDescription": row["id"], "achievedLevel": level["id"]}
        for _, (row, level) in sorted(chosen.items())
    ]


def _match_by_id(items: list[Any], key: str, *, what: str, parent_id: str | None = None) -> tuple[int, dict[str, Any]]:
    exact = [(i, item) for i, item in enumerate(items) if isinstance(item, Mapping) and item.get("id") == key]
    if exact:
        return exact[0][0], dict(exact[0][1])
    by_name = [
        (i, item)
        for i, item in enumerate(items)
        if isinstance(item, Mapping) and isinstance(item.get("id"), str) and key in _short_names(item["id"], parent_id)
    ]
    if len(by_name) == 1:
        return by_name[0][0], dict(by_name[0][1])
    if not by_name:
        raise CredentialError(f"unknown {what}: {key!r}")
    raise CredentialError(f"ambiguous {what}: {key!r} matches {len(by_name)} ids")


def _short_names(item_id: str, parent_id: str | None) -> set[str]:
    """The short ids a full rubric id answers to (see :func:`rubric_results`)."""
    names = {re.split(r"[/:]", item_id)[-1]}
    if "#" in item_id:
        fragment = item_id.split("#", 1)[1]
        names |= {fragment, fragment.removeprefix("rubric-"), fragment.removeprefix("rubric/"), fragment.rsplit("/", 1)[-1]}
    if parent_id and item_id.startswith(parent_id) and len(item_id) > len(parent_id):
        names.add(item_id[len(parent_id) :].lstrip("-/#:"))
    return {name for name in names if name}


def _checked_achievement(achievement: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(achievement, Mapping):
        raise CredentialError("achievement must be an Achievement JSON object")
    result = _plain_json(achievement, "achievement")
    _require_uri("achievement.id", result.get("id"), schemes=("https", "urn"))
    types = result.get("type")
    if not isinstance(types, list) or "Achievement" not in types:
        raise CredentialError('achievement.type must be an array containing "Achievement"')
    _require_text("achievement.name", result.get("name"))
    _require_text("achievement.description", result.get("description"))
    criteria = result.get("criteria")
    if not isinstance(criteria, dict) or not (criteria.get("narrative") or criteria.get("id")):
        raise CredentialError("achievement.criteria must have a narrative or an id (the criteria page URL)")
    return result


def _checked_result(index: int, result: Mapping[str, Any]) -> dict[str, Any]:
    field = f"credentialSubject.result[{index}]"
    if not isinstance(result, Mapping):
        raise CredentialError(f"{field} must be a Result object")
    item = _plain_json(result, field)
    types = item.get("type")
    if not isinstance(types, list) or "Result" not in types:
        raise CredentialError(f'{field}.type must be an array containing "Result"')
    return item


def _checked_evidence(index: int, evidence: Mapping[str, Any]) -> dict[str, Any]:
    field = f"evidence[{index}]"
    if not isinstance(evidence, Mapping):
        raise CredentialError(f"{field} must be an object with a name")
    unknown = sorted(set(evidence) - _EVIDENCE_KEYS)
    if unknown:
        raise CredentialError(f"{field}: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(_EVIDENCE_KEYS))})")
    item: dict[str, Any] = {"type": ["Evidence"]}
    if evidence.get("type") not in (None, ["Evidence"], "Evidence"):
        raise CredentialError(f'{field}.type must be ["Evidence"]')
    if evidence.get("id") is not None:
        item["id"] = _require_uri(f"{field}.id", evidence["id"], schemes=("https", "data", "urn"))
    item["name"] = _require_text(f"{field}.name", evidence.get("name"))
    for key in ("narrative", "description", "genre", "audience"):
        if evidence.get(key) is not None:
            item[key] = _require_text(f"{field}.{key}", evidence[key])
    return item


def _checked_status(status: Mapping[str, Any] | list[Mapping[str, Any]]) -> dict[str, Any]:
    if isinstance(status, list):
        if len(status) != 1:
            raise CredentialError("credentialStatus: Open Badges 3.0 allows exactly one status entry")
        status = status[0]
    if not isinstance(status, Mapping):
        raise CredentialError("credentialStatus must be a status entry object")
    entry = _plain_json(status, "credentialStatus")
    _require_uri("credentialStatus.id", entry.get("id"), schemes=("https",))
    if entry.get("type") == "BitstringStatusListEntry":
        _require_uri("credentialStatus.statusListCredential", entry.get("statusListCredential"), schemes=("https",))
    return entry


def _plain_json(value: Any, field: str) -> Any:
    """A deep copy made of dict/list/str/int/float/bool/None only, so the result serializes as given."""
    if isinstance(value, Mapping):
        copy: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CredentialError(f"{field}: keys must be strings, got {key!r}")
            copy[key] = _plain_json(item, f"{field}.{key}")
        return copy
    if isinstance(value, list | tuple):
        return [_plain_json(item, f"{field}[{i}]") for i, item in enumerate(value)]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise CredentialError(f"{field}: {type(value).__name__} is not a JSON value")


def _require_text(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CredentialError(f"{field} must be a non-empty string")
    if _CONTROL_CHARACTERS.search(value):
        raise CredentialError(f"{field} contains a control character")
    return value


_NOT_IN_URIS = re.compile(r'["<>`\\{}|^]')


def _require_uri(field: str, value: Any, *, schemes: tuple[str, ...]) -> str:
    if not isinstance(value, str) or not value or _CONTROL_CHARACTERS.search(value) or any(c.isspace() for c in value):
        raise CredentialError(f"{field} must be a URL without spaces, got {value!r}")
    if _NOT_IN_URIS.search(value):
        # RFC 3986 has no place for these raw; they only ever serve to break out of an attribute or a link
        raise CredentialError(f"{field} must be a URL without quotes, angle brackets or backticks (percent-encode them), got {value!r}")
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        allowed = ", ".join(f"{s}:" for s in schemes)
        raise CredentialError(f"{field} must start with {allowed} (got {value!r})")
    if parts.scheme == "https" and not parts.netloc:
        raise CredentialError(f"{field} must be an absolute https URL with a host (got {value!r})")
    if parts.scheme in ("urn", "did") and ":" not in value[len(parts.scheme) + 1 :]:
        raise CredentialError(f"{field} is not a valid {parts.scheme}: identifier (got {value!r})")
    return value


def _reject_control_characters(value: Any, path: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_control_characters(key, path)
            _reject_control_characters(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _reject_control_characters(item, f"{path}[{i}]")
    elif isinstance(value, str) and _CONTROL_CHARACTERS.search(value):
        raise CredentialError(f"{path or 'credential'} contains a control character")


# --------------------------------------------------------------------------------------------------
# Shape check (the verifier's ``schema`` check)


def shape_problems(credential: Any) -> list[str]:
    """Every way ``credential`` departs from the OB 3.0 ``AchievementCredential`` shape, as plain sentences.

    Mirrors the 1EdTech JSON Schema's ``required`` lists, types and arrays (``type``, ``proof``,
    ``evidence``, ``result``, ``identifier`` …), the ``@context`` positions 1–2, the embedded issuer
    ``Profile``, ``AchievementSubject`` (``id`` or an ``identifier``), ``Achievement``, ``IdentityObject``,
    ``Image`` and ``BitstringStatusListEntry`` fields. Each problem starts with the JSON path. An empty
    list means the shape is valid; the signature and dates are checked elsewhere.
    """
    problems: list[str] = []
    if not isinstance(credential, dict):
        return ["the credential must be a JSON object"]
    _check_context(credential.get("@context"), problems)
    _check_uri_field(credential, "id", "id", problems, required=True)
    _check_types(credential, "type", problems, required=("VerifiableCredential",), one_of=("OpenBadgeCredential", "AchievementCredential"))
    for key in ("name", "description"):
        _check_string_field(credential, key, key, problems)
    _check_image(credential.get("image"), "image", problems)
    _check_issuer(credential.get("issuer"), problems)
    _check_date_field(credential, "validFrom", "validFrom", problems, required=True)
    _check_date_field(credential, "validUntil", "validUntil", problems)
    _check_date_field(credential, "awardedDate", "awardedDate", problems)
    _check_subject(credential.get("credentialSubject"), problems)
    _check_object_array(credential, "evidence", "evidence", problems, _check_evidence)
    if "credentialStatus" in credential:
        _check_status_entry(credential["credentialStatus"], "credentialStatus", problems)
    if "proof" in credential:
        _check_object_array(credential, "proof", "proof", problems, _check_proof_shape)
    for key in ("credentialSchema", "termsOfUse", "endorsement"):
        _check_object_array(credential, key, key, problems, lambda item, path, problems: _check_string_field(item, "type", path, problems, required=True))
    if "refreshService" in credential and not isinstance(credential["refreshService"], dict):
        problems.append("refreshService: must be an object with id and type")
    return problems


def _check_context(context: Any, problems: list[str]) -> None:
    if not isinstance(context, list):
        problems.append("@context: must be an array starting with the VC 2.0 and OB 3.0 contexts")
        return
    if len(context) < 2:
        problems.append("@context: must list at least the VC 2.0 and OB 3.0 contexts")
    if not context or context[0] != CREDENTIALS_V2:
        problems.append(f"@context[0]: must be {CREDENTIALS_V2}")
    if len(context) >= 2 and not (isinstance(context[1], str) and _OB_CONTEXT_PATTERN.match(context[1])):
        problems.append(f"@context[1]: must be the Open Badges 3.0 context ({OB_V3P0})")
    for index, item in enumerate(context[2:], start=2):
        if not isinstance(item, str | dict):
            problems.append(f"@context[{index}]: must be a URL or an object")


def _check_types(node: dict[str, Any], path: str, problems: list[str], *, required: tuple[str, ...] = (), one_of: tuple[str, ...] = ()) -> None:
    types = node.get("type")
    label = f"{path}.type" if path != "type" else "type"
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        wanted = required + one_of[:1]
        problems.append(f"{label}: must be an array of strings containing {', '.join(repr(t) for t in wanted)}")
        return
    for name in required:
        if name not in types:
            problems.append(f"{label}: must contain {name!r}")
    if one_of and not any(name in types for name in one_of):
        problems.append(f"{label}: must contain {' or '.join(repr(n) for n in one_of)}")


def _check_string_field(node: dict[str, Any], key: str, path: str, problems: list[str], *, required: bool = False) -> None:
    label = f"{path}.{key}" if path != key else key
    if key not in node:
        if required:
            problems.append(f"{label}: is required")
        return
    if not isinstance(node[key], str):
        problems.append(f"{label}: must be a string")


def _check_uri_field(node: dict[str, Any], key: str, path: str, problems: list[str], *, required: bool = False) -> None:
    label = f"{path}.{key}" if path != key else key
    if key not in node:
        if required:
            problems.append(f"{label}: is required")
        return
    value = node[key]
    if not isinstance(value, str) or not urlsplit(value).scheme or any(c.isspace() for c in value):
        problems.append(f"{label}: must be a URI")


def _check_date_field(node: dict[str, Any], key: str, path: str, problems: list[str], *, required: bool = False) -> None:
    label = f"{path}.{key}" if path != key else key
    if key not in node:
        if required:
            problems.append(f"{label}: is required")
        return
    if parse_datetime(node[key]) is None:
        problems.append(f"{label}: must be a date and time with a time zone, like 2025-06-01T00:00:00Z")


def _check_enum_ext(node: dict[str, Any], key: str, path: str, allowed: frozenset[str], problems: list[str], *, required: bool = False) -> None:
    label = f"{path}.{key}"
    if key not in node:
        if required:
            problems.append(f"{label}: is required")
        return
    value = node[key]
    if not isinstance(value, str) or not (value in allowed or _EXT_TERM.match(value)):
        problems.append(f"{label}: {value!r} is not a defined value (or an ext: term)")


def _check_image(image: Any, path: str, problems: list[str]) -> None:
    if image is None:
        return
    if not isinstance(image, dict):
        problems.append(f"{path}: must be an Image object {{id, type: \"Image\"}}, not a bare URL")
        return
    if not isinstance(image.get("id"), str):
        problems.append(f"{path}.id: is required (the image URL or data: URI)")
    if image.get("type") != "Image":
        problems.append(f'{path}.type: must be "Image"')
    extra = sorted(set(image) - {"id", "type", "caption"})
    if extra:
        problems.append(f"{path}: unexpected field {extra[0]!r} (an Image has only id, type and caption)")


def _check_object_array(node: dict[str, Any], key: str, path: str, problems: list[str], check_item) -> None:
    if key not in node:
        return
    items = node[key]
    if not isinstance(items, list):
        problems.append(f"{path}: must be an array")
        return
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"{path}[{index}]: must be an object")
        else:
            check_item(item, f"{path}[{index}]", problems)


def _check_issuer(issuer: Any, problems: list[str]) -> None:
    if issuer is None:
        problems.append("issuer: is required")
        return
    if isinstance(issuer, str):
        if not urlsplit(issuer).scheme:
            problems.append("issuer: must be a URI or a Profile object")
        return
    if not isinstance(issuer, dict):
        problems.append("issuer: must be a Profile object")
        return
    _check_uri_field(issuer, "id", "issuer", problems, required=True)
    _check_types(issuer, "issuer", problems, required=("Profile",))
    for key in ("name", "url", "email", "phone", "description"):
        _check_string_field(issuer, key, "issuer", problems)
    _check_image(issuer.get("image"), "issuer.image", problems)


def _check_subject(subject: Any, problems: list[str]) -> None:
    if subject is None:
        problems.append("credentialSubject: is required")
        return
    if not isinstance(subject, dict):
        problems.append("credentialSubject: must be one AchievementSubject object")
        return
    _check_types(subject, "credentialSubject", problems, required=("AchievementSubject",))
    if "id" in subject:
        _check_uri_field(subject, "id", "credentialSubject", problems)
    if "identifier" in subject:
        _check_object_array(subject, "identifier", "credentialSubject.identifier", problems, _check_identity_object)
    if "id" not in subject and not (isinstance(subject.get("identifier"), list) and subject["identifier"]):
        problems.append("credentialSubject: needs an id or at least one identifier naming the recipient")
    _check_string_field(subject, "name", "credentialSubject", problems)
    _check_image(subject.get("image"), "credentialSubject.image", problems)
    achievement = subject.get("achievement")
    if achievement is None:
        problems.append("credentialSubject.achievement: is required")
    elif not isinstance(achievement, dict):
        problems.append("credentialSubject.achievement: must be an Achievement object")
    else:
        _check_achievement(achievement, "credentialSubject.achievement", problems)
    _check_object_array(subject, "result", "credentialSubject.result", problems, _check_result)


def _check_identity_object(item: dict[str, Any], path: str, problems: list[str]) -> None:
    if item.get("type") != "IdentityObject":
        problems.append(f'{path}.type: must be "IdentityObject"')
    if not isinstance(item.get("hashed"), bool):
        problems.append(f"{path}.hashed: must be true or false")
    _check_string_field(item, "identityHash", path, problems, required=True)
    _check_enum_ext(item, "identityType", path, IDENTIFIER_TYPES, problems, required=True)
    _check_string_field(item, "salt", path, problems)
    extra = sorted(set(item) - {"type", "hashed", "identityHash", "identityType", "salt"})
    if extra:
        problems.append(f"{path}: unexpected field {extra[0]!r}")


def _check_achievement(achievement: dict[str, Any], path: str, problems: list[str]) -> None:
    _check_uri_field(achievement, "id", path, problems, required=True)
    _check_types(achievement, path, problems, required=("Achievement",))
    _check_string_field(achievement, "name", path, problems, required=True)
    _check_string_field(achievement, "description", path, problems, required=True)
    criteria = achievement.get("criteria")
    if criteria is None:
        problems.append(f"{path}.criteria: is required")
    elif not isinstance(criteria, dict):
        problems.append(f"{path}.criteria: must be an object with id and/or narrative")
    else:
        _check_string_field(criteria, "id", f"{path}.criteria", problems)
        _check_string_field(criteria, "narrative", f"{path}.criteria", problems)
    _check_enum_ext(achievement, "achievementType", path, ACHIEVEMENT_TYPES, problems)
    _check_image(achievement.get("image"), f"{path}.image", problems)
    for key in ("humanCode", "version", "inLanguage", "fieldOfStudy", "specialization"):
        _check_string_field(achievement, key, path, problems)
    if "tag" in achievement and not (isinstance(achievement["tag"], list) and all(isinstance(t, str) for t in achievement["tag"])):
        problems.append(f"{path}.tag: must be an array of strings")
    _check_object_array(achievement, "alignment", f"{path}.alignment", problems, _check_alignment)
    _check_object_array(achievement, "resultDescription", f"{path}.resultDescription", problems, _check_result_description)


def _check_alignment(item: dict[str, Any], path: str, problems: list[str]) -> None:
    _check_types(item, path, problems, required=("Alignment",))
    _check_string_field(item, "targetName", path, problems, required=True)
    _check_uri_field(item, "targetUrl", path, problems, required=True)
    for key in ("targetCode", "targetDescription", "targetFramework", "targetType"):
        _check_string_field(item, key, path, problems)


def _check_result_description(item: dict[str, Any], path: str, problems: list[str]) -> None:
    _check_uri_field(item, "id", path, problems, required=True)
    _check_types(item, path, problems, required=("ResultDescription",))
    _check_string_field(item, "name", path, problems, required=True)
    _check_enum_ext(item, "resultType", path, RESULT_TYPES, problems, required=True)
    for key in ("requiredLevel", "requiredValue", "valueMin", "valueMax"):
        _check_string_field(item, key, path, problems)
    if "allowedValue" in item and not (isinstance(item["allowedValue"], list) and all(isinstance(v, str) for v in item["allowedValue"])):
        problems.append(f"{path}.allowedValue: must be an array of strings")
    _check_object_array(item, "rubricCriterionLevel", f"{path}.rubricCriterionLevel", problems, _check_rubric_level)
    _check_object_array(item, "alignment", f"{path}.alignment", problems, _check_alignment)


def _check_rubric_level(item: dict[str, Any], path: str, problems: list[str]) -> None:
    _check_uri_field(item, "id", path, problems, required=True)
    _check_types(item, path, problems, required=("RubricCriterionLevel",))
    _check_string_field(item, "name", path, problems, required=True)
    for key in ("description", "level", "points"):
        _check_string_field(item, key, path, problems)


def _check_result(item: dict[str, Any], path: str, problems: list[str]) -> None:
    _check_types(item, path, problems, required=("Result",))
    for key in ("resultDescription", "achievedLevel", "value"):
        _check_string_field(item, key, path, problems)
    if "status" in item and item["status"] not in RESULT_STATUSES:
        problems.append(f"{path}.status: {item['status']!r} is not a result status")


def _check_evidence(item: dict[str, Any], path: str, problems: list[str]) -> None:
    _check_types(item, path, problems, required=("Evidence",))
    for key in ("id", "narrative", "name", "description", "genre", "audience"):
        _check_string_field(item, key, path, problems)


def _check_proof_shape(item: dict[str, Any], path: str, problems: list[str]) -> None:
    _check_string_field(item, "type", path, problems, required=True)
    for key in ("created", "cryptosuite", "proofPurpose", "proofValue", "verificationMethod"):
        _check_string_field(item, key, path, problems)


def _check_status_entry(entry: Any, path: str, problems: list[str]) -> None:
    if not isinstance(entry, dict):
        problems.append(f"{path}: must be one status entry object")
        return
    _check_uri_field(entry, "id", path, problems, required=True)
    _check_string_field(entry, "type", path, problems, required=True)
    if entry.get("type") != "BitstringStatusListEntry":
        return
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        problems.append(f"{path}.statusPurpose: is required (for example \"revocation\")")
    index = entry.get("statusListIndex")
    if not (isinstance(index, str) and index.isascii() and index.isdigit()):
        problems.append(f"{path}.statusListIndex: must be a whole number written as a string, like \"94567\"")
    list_url = entry.get("statusListCredential")
    if not (isinstance(list_url, str) and urlsplit(list_url).scheme in ("https", "http") and urlsplit(list_url).netloc):
        problems.append(f"{path}.statusListCredential: must be the URL of the status list credential")
    elif entry.get("id") == list_url:
        problems.append(f"{path}.id: must not be the status list URL itself")

"""Verify an Open Badges 3.0 credential and report every check separately, in plain language.

:func:`verify_credential` never raises for a bad credential: it returns a :class:`VerificationResult`
with seven checks, always in this order —

``structure``   the input is one JSON object (strict parse: duplicate keys refused)
``schema``      the OB 3.0 ``AchievementCredential`` shape (:func:`credfolio.credential.shape_problems`)
``contexts``    every JSON-LD context is bundled and every term is defined (nothing is silently unsigned)
``proof``       every proof is a valid ``DataIntegrityProof`` / ``eddsa-rdfc-2022`` signature
``issuer_key``  each signing key belongs to the issuer: listed in its DID document's ``assertionMethod``,
                controlled by the issuer, a Multikey, not ``revoked`` when the proof was made
``dates``       ``validFrom`` has arrived (with clock skew) and ``validUntil`` has not passed
``status``      the Bitstring Status List says the badge is not revoked or suspended

— and a ``state``: ``verified``, ``expired``, ``revoked``, ``suspended``, ``failed`` or
``unknown-status``. A status that could not be checked is never reported as valid.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from credfolio.baking import MAX_CREDENTIAL_BYTES as BAKED_CREDENTIAL_LIMIT
from credfolio.contexts import CONTEXT_URLS, document_loader
from credfolio.credential import parse_datetime, shape_problems
from credfolio.errors import CredfolioError, KeyStoreError, ProofError, ResolutionError, StatusError
from credfolio.keys import multikey_to_public_key
from credfolio.proof import canonicalize, verify_proof
from credfolio.resolve import Resolver, parse_json
from credfolio.status import check_status

CHECK_IDS = ("structure", "schema", "contexts", "proof", "issuer_key", "dates", "status")
STATES = ("verified", "expired", "revoked", "suspended", "failed", "unknown-status")

#: Raw credentials larger than this are refused unread: the largest a baked badge may carry (:mod:`credfolio.baking`).
MAX_CREDENTIAL_BYTES = BAKED_CREDENTIAL_LIMIT

#: More proofs than this are refused unchecked: each costs a canonicalization and a key lookup, and
#: real credentials carry one or two.
MAX_PROOFS = 16

SUPPORTED_PROOF_TYPE = "DataIntegrityProof"
SUPPORTED_CRYPTOSUITE = "eddsa-rdfc-2022"

_NOT_READ = "not checked: the input is not a readable credential"


@dataclass
class Check:
    """One verification step: ``ok`` is ``True`` (passed), ``False`` (failed) or ``None`` (could not be determined)."""

    id: str
    ok: bool | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """``{"id", "ok", "message"}``."""
        return {"id": self.id, "ok": self.ok, "message": self.message}


@dataclass
class VerificationResult:
    """The outcome of :func:`verify_credential`: overall ``state`` plus every check."""

    verified: bool
    state: str
    checks: list[Check] = field(default_factory=list)

    def check(self, check_id: str) -> Check:
        """The check with id ``check_id``."""
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(check_id)

    def to_json(self) -> dict[str, Any]:
        """``{"verified", "state", "checks": [{"id", "ok", "message"}, …]}``."""
        return {"verified": self.verified, "state": self.state, "checks": [check.to_json() for check in self.checks]}


def verify_credential(
    document: Mapping[str, Any] | str | bytes,
    *,
    now: datetime,
    resolver: Resolver,
    loader: Callable[..., Any] = document_loader,
    clock_skew: timedelta = timedelta(minutes=5),
) -> VerificationResult:
    """Verify a credential (a parsed object, or its JSON text/bytes) as of ``now``.

    ``resolver`` supplies DID documents and status lists (see :mod:`credfolio.resolve`); ``loader``
    supplies JSON-LD contexts (bundled only, by default). Raises only for misuse (a naive ``now``,
    no resolver); everything wrong with the credential is reported in the result.
    """
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("verify_credential needs a timezone-aware `now`")
    if resolver is None or not hasattr(resolver, "resolve_did") or not hasattr(resolver, "fetch_json"):
        raise ValueError("verify_credential needs a resolver (see credfolio.resolve)")
    session = _Session(now=now, resolver=resolver, loader=loader, clock_skew=clock_skew)

    credential, structure = _check_structure(document)
    if credential is None:
        checks = [structure] + [Check(check_id, None, _NOT_READ) for check_id in CHECK_IDS[1:]]
        return VerificationResult(False, "failed", checks)

    schema = _check_schema(credential)
    contexts, canonical = _check_contexts(credential, session)
    proof, issuer_key = _check_signatures(credential, session, canonical=canonical)
    dates, date_outcome = _check_dates(credential, session)
    status, status_outcome = _check_status(credential, session)

    checks = [structure, schema, contexts, proof, issuer_key, dates, status]
    state = _state(checks[:5], date_outcome, status_outcome)
    return VerificationResult(state == "verified", state, checks)


# --------------------------------------------------------------------------------------------------


@dataclass
class _Session:
    now: datetime
    resolver: Resolver
    loader: Callable[..., Any]
    clock_skew: timedelta
    methods: dict[str, _Method] = field(default_factory=dict)


@dataclass
class _Method:
    """A resolved verification method, or why it could not be resolved."""

    method: dict[str, Any] | None = None
    controller_document: dict[str, Any] | None = None
    error: str | None = None


def _state(core: list[Check], date_outcome: str, status_outcome: str) -> str:
    if any(check.ok is not True for check in core) or date_outcome in ("invalid", "not-yet-valid") or status_outcome == "invalid":
        return "failed"
    if status_outcome in ("revoked", "suspended"):
        return status_outcome
    if date_outcome == "expired":
        return "expired"
    if status_outcome == "unknown":
        return "unknown-status"
    return "verified"


# --- structure / schema / contexts ----------------------------------------------------------------


def _check_structure(document: Any) -> tuple[dict[str, Any] | None, Check]:
    if isinstance(document, bytes | bytearray | str):
        size = len(document.encode("utf-8", "surrogatepass")) if isinstance(document, str) else len(document)
        if size > MAX_CREDENTIAL_BYTES:
            # Refused before parsing, so a huge input costs no more than reading it (no badge comes close).
            return None, Check("structure", False, f"the credential is {size:,} bytes; credfolio verifies credentials of at most {MAX_CREDENTIAL_BYTES:,} bytes")
        try:
            parsed = parse_json(bytes(document) if isinstance(document, bytearray) else document, source="the credential")
        except ResolutionError as error:
            return None, Check("structure", False, error.message)
    else:
        parsed = document
    if not isinstance(parsed, Mapping):
        return None, Check("structure", False, f"the credential must be a JSON object, not {_json_kind(parsed)}")
    try:
        credential = copy.deepcopy(dict(parsed))  # never touch the caller's object
    except RecursionError:
        return None, Check("structure", False, "the credential is nested too deeply")
    return credential, Check("structure", True, "the credential is one well-formed JSON object")


def _check_schema(credential: dict[str, Any]) -> Check:
    try:
        problems = shape_problems(credential)
    except RecursionError:
        problems = ["the credential is nested too deeply"]
    if not problems:
        return Check("schema", True, "it has the fields and shapes Open Badges 3.0 requires")
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    return Check("schema", False, f"not a valid Open Badges 3.0 credential: {problems[0]}{more}")


def _check_contexts(credential: dict[str, Any], session: _Session) -> tuple[Check, str | None]:
    """The contexts check, and the canonical N-Quads of the unsigned credential when it passes.

    The signature check hashes those same N-Quads, so the credential is canonicalized once.
    """
    contexts = credential.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    unknown = [c for c in contexts if isinstance(c, str) and c not in CONTEXT_URLS]
    if unknown:
        return Check("contexts", False, f"it uses a vocabulary (JSON-LD context) credfolio does not know and will not download: {unknown[0]}"), None
    if any(not isinstance(c, str | dict) for c in contexts):
        return Check("contexts", False, "its @context holds something that is neither a URL nor an object"), None
    unsigned = {key: value for key, value in credential.items() if key != "proof"}
    try:
        canonical = canonicalize(unsigned, loader=session.loader)
    except ProofError as error:  # CanonicalizationError: undefined term, control character, unknown context …
        return Check("contexts", False, f"its contents cannot be read safely: {error.message}"), None
    except Exception as error:  # noqa: BLE001 - hostile JSON-LD must produce a failed check, not a crash
        return Check("contexts", False, f"its contents cannot be read as linked data: {type(error).__name__}: {error}"), None
    return Check("contexts", True, "every field is defined by a known vocabulary, so the signature covers all of it"), canonical


# --- proof + issuer key ---------------------------------------------------------------------------


def _proof_list(document: dict[str, Any]) -> list[Any]:
    proofs = document.get("proof")
    if proofs is None:
        return []
    return proofs if isinstance(proofs, list) else [proofs]


def _check_signatures(credential: dict[str, Any], session: _Session, *, canonical: str | None) -> tuple[Check, Check]:
    issuer_id = _issuer_id(credential)
    proof_results, key_results = _evaluate_proofs(credential, issuer_id, session, canonical=canonical)
    return _combine("proof", proof_results), _combine("issuer_key", key_results)


def _evaluate_proofs(
    document: dict[str, Any], issuer_id: str | None, session: _Session, *, canonical: str | None
) -> tuple[list[tuple[bool | None, str]], list[tuple[bool | None, str]]]:
    """One (ok, message) per proof for the signature, and per supported proof for the key's ownership.

    ``canonical`` is the document's canonical N-Quads without proofs; ``None`` when its contents
    cannot be read safely, in which case no signature is checked.
    """
    proofs = _proof_list(document)
    if not proofs:
        return [(False, "it has no signature (no proof), so anyone could have written it")], [
            (None, "not checked: there is no signature whose key could be checked")
        ]
    if len(proofs) > MAX_PROOFS:
        return [(False, f"it has {len(proofs):,} proofs; credfolio checks at most {MAX_PROOFS} (no credential needs more), so none was checked")], [
            (None, "not checked: the signatures were not checked")
        ]
    unsigned = {key: value for key, value in document.items() if key != "proof"}
    signature_results: list[tuple[bool | None, str]] = []
    key_results: list[tuple[bool | None, str]] = []
    first_with_value: dict[str, int] = {}
    for number, proof in enumerate(proofs, start=1):
        label = "the signature" if len(proofs) == 1 else f"signature {number} of {len(proofs)}"
        if not isinstance(proof, dict):
            signature_results.append((False, f"{label} is not a proof object"))
            continue
        proof_value = proof.get("proofValue")
        if isinstance(proof_value, str) and proof_value in first_with_value:
            # A proof set never needs one signature twice; counted twice, it could pass for a second signer.
            signature_results.append((False, f"{label} repeats signature {first_with_value[proof_value]}: a proof set never holds the same signature twice"))
            continue
        if isinstance(proof_value, str):
            first_with_value[proof_value] = number
        proof_type, suite = proof.get("type"), proof.get("cryptosuite")
        if proof_type != SUPPORTED_PROOF_TYPE or suite != SUPPORTED_CRYPTOSUITE:
            kind = f"{proof_type} / {suite}" if suite else str(proof_type)
            signature_results.append(
                (False, f"{label} uses {kind}, which credfolio cannot check (it verifies {SUPPORTED_PROOF_TYPE} with {SUPPORTED_CRYPTOSUITE})")
            )
            continue
        method_id = proof.get("verificationMethod")
        if not isinstance(method_id, str) or not method_id:
            signature_results.append((False, f"{label} does not say which key made it (no verificationMethod)"))
            continue
        method_id = _normalize_method_id(method_id)
        resolved = _resolve_method(method_id, session)
        key_results.append(_check_key_ownership(method_id, resolved, proof, issuer_id, label))
        if proof.get("proofPurpose") != "assertionMethod":
            signature_results.append((False, f"{label} has purpose {proof.get('proofPurpose')!r}; a credential needs \"assertionMethod\""))
            continue
        public_key, key_source = _signature_key(method_id, resolved)
        if public_key is None:
            signature_results.append((None, f"{label} could not be checked: {key_source}"))
            continue
        if canonical is None:
            signature_results.append((None, f"{label} was not checked because the contents cannot be read safely (see contexts)"))
            continue
        try:
            verify_proof(unsigned, proof, public_key=public_key, loader=session.loader, canonical_document=canonical)
        except ProofError as error:
            signature_results.append((False, f"{label} does not match the contents: the credential was changed after signing, or signed by another key ({error.message})"))
            continue
        except Exception as error:  # noqa: BLE001 - hostile input must produce a failed check, not a crash
            signature_results.append((False, f"{label} could not be checked: {type(error).__name__}: {error}"))
            continue
        signature_results.append((True, f"{label} is valid ({SUPPORTED_CRYPTOSUITE}, key {key_source})"))
    if not key_results:
        key_results.append((None, "not checked: no signature credfolio can check names a key"))
    return signature_results, key_results


def _normalize_method_id(method_id: str) -> str:
    """A bare ``did:key:z…`` names its only key, ``did:key:z…#z…`` (as DCC and 1EdTech verifiers read it)."""
    if method_id.startswith("did:key:") and "#" not in method_id:
        return f"{method_id}#{method_id[len('did:key:'):]}"
    return method_id


def _signature_key(method_id: str, resolved: _Method) -> tuple[Any, str]:
    """The public key to check a signature with, and a description of where it came from."""
    if resolved.method is not None:
        multikey = resolved.method.get("publicKeyMultibase")
        try:
            return multikey_to_public_key(multikey), method_id
        except (KeyStoreError, TypeError, ValueError, AttributeError):
            return None, f"the key {method_id} is not an Ed25519 Multikey"
    # A key id whose fragment is itself a Multikey (``https://issuer#z6Mk…``) lets us check the
    # mathematics of the signature even when the issuer's key document cannot be fetched; whether the
    # key belongs to the issuer is the separate issuer_key check, which then fails.
    fragment = method_id.rsplit("#", 1)[1] if "#" in method_id else ""
    if fragment.startswith("z6Mk"):
        try:
            return multikey_to_public_key(fragment), f"{fragment[:12]}… named in the proof; its owner is checked under issuer_key"
        except KeyStoreError:
            pass
    return None, f"the signing key could not be found ({resolved.error})"


def _resolve_method(method_id: str, session: _Session) -> _Method:
    if method_id in session.methods:
        return session.methods[method_id]
    result = _Method()
    base = method_id.split("#", 1)[0]
    try:
        if method_id.startswith("did:"):
            document = session.resolver.resolve_did(base)
        elif method_id.startswith("https://"):
            document = session.resolver.fetch_json(base)
        else:
            raise ResolutionError(f"{method_id!r} is not a DID URL or an https URL")
        if not isinstance(document, dict):
            raise ResolutionError(f"the key document for {base} is not a JSON object")
        result.controller_document = document
        result.method = _find_method(document, method_id)
        if result.method is None:
            raise ResolutionError(f"{base} lists no key with the id {method_id}")
    except ResolutionError as error:
        result.error = error.message
    except CredfolioError as error:
        result.error = error.message
    session.methods[method_id] = result
    return result


def _find_method(document: dict[str, Any], method_id: str) -> dict[str, Any] | None:
    candidates: list[Any] = []
    for relationship in ("verificationMethod", "assertionMethod"):
        value = document.get(relationship)
        if isinstance(value, list):
            candidates.extend(value)
    for candidate in candidates:
        if isinstance(candidate, dict) and candidate.get("id") == method_id:
            return candidate
    return None


def _check_key_ownership(method_id: str, resolved: _Method, proof: dict[str, Any], issuer_id: str | None, label: str) -> tuple[bool | None, str]:
    if issuer_id is None:
        return False, "the credential does not name its issuer, so no key can be its issuer's"
    base = method_id.split("#", 1)[0]
    if "#" not in method_id or base != issuer_id:
        return False, f"{label} was made with {method_id}, which is not a key of the issuer {issuer_id}"
    if resolved.method is None:
        return False, f"the issuer's key {method_id} could not be found: {resolved.error}"
    document = resolved.controller_document or {}
    if document.get("id") != issuer_id:
        return False, f"the key document for {issuer_id} says it belongs to {document.get('id')!r}"
    listed = document.get("assertionMethod")
    listed_ids = [item if isinstance(item, str) else item.get("id") if isinstance(item, dict) else None for item in listed] if isinstance(listed, list) else []
    if method_id not in listed_ids:
        return False, f"the issuer has not authorized {method_id} to sign credentials (it is not listed under assertionMethod)"
    method = resolved.method
    if method.get("controller") != issuer_id:
        return False, f"the key {method_id} is controlled by {method.get('controller')!r}, not by the issuer {issuer_id}"
    if method.get("type") != "Multikey":
        return False, f"the key {method_id} is of type {method.get('type')!r}; credfolio accepts Ed25519 Multikey keys"
    multikey = method.get("publicKeyMultibase")
    try:
        if not isinstance(multikey, str) or not multikey.startswith("z6Mk"):
            raise KeyStoreError("not z6Mk…")
        multikey_to_public_key(multikey)
    except KeyStoreError:
        return False, f"the key {method_id} is not an Ed25519 Multikey (publicKeyMultibase z6Mk…)"
    created_text = proof.get("created")
    created = parse_datetime(created_text) if created_text is not None else None
    if created_text is not None and created is None:
        return False, f"{label} has an unreadable creation date {created_text!r}"
    for limit_name, wording in (("revoked", "was marked compromised"), ("expires", "expired")):
        if limit_name not in method:
            continue
        limit = parse_datetime(method[limit_name])
        if limit is None:
            return False, f"the key {method_id} has an unreadable {limit_name} date {method[limit_name]!r}"
        if created is None:
            return False, f"the key {method_id} {wording} on {_day(limit)} and {label} has no date, so it may have been made afterwards"
        if created >= limit:
            return False, f"the key {method_id} {wording} on {_day(limit)}; {label} was made on {_day(created)}, after that"
    note = ""
    if "revoked" in method:
        note = f" (the key was retired on {_day(parse_datetime(method['revoked']))}, after this signature was made)"
    return True, f"signed with {method_id}, a key the issuer {issuer_id} publishes for signing credentials{note}"


def _combine(check_id: str, results: list[tuple[bool | None, str]]) -> Check:
    failures = [message for ok, message in results if ok is False]
    if failures:
        return Check(check_id, False, "; ".join(failures))
    unknown = [message for ok, message in results if ok is None]
    if unknown:
        return Check(check_id, None, "; ".join(unknown))
    return Check(check_id, True, "; ".join(message for _, message in results))


def _issuer_id(document: dict[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return issuer["id"]
    return None


# --- dates ----------------------------------------------------------------------------------------


def _check_dates(document: dict[str, Any], session: _Session) -> tuple[Check, str]:
    valid_from_text = document.get("validFrom")
    valid_from = parse_datetime(valid_from_text)
    if valid_from is None:
        return Check("dates", False, "it has no readable start date (validFrom)"), "invalid"
    if valid_from > session.now + session.clock_skew:
        return Check("dates", False, f"it is not valid yet: it starts on {_day(valid_from)}"), "not-yet-valid"
    if "validUntil" in document:
        valid_until = parse_datetime(document["validUntil"])
        if valid_until is None:
            return Check("dates", False, f"its end date (validUntil) {document['validUntil']!r} cannot be read"), "invalid"
        if valid_until <= session.now:
            return Check("dates", False, f"it expired on {_day(valid_until)}"), "expired"
        return Check("dates", True, f"valid from {_day(valid_from)} until {_day(valid_until)}"), "ok"
    return Check("dates", True, f"valid from {_day(valid_from)}, with no end date"), "ok"


def _day(moment: datetime | None) -> str:
    """``2028-06-01`` for midnight UTC, else ``2028-06-01 14:30 UTC``."""
    if moment is None:
        return "an unknown date"
    moment = moment.astimezone(UTC)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# --- status ---------------------------------------------------------------------------------------

_STATUS_RANK = {"revoked": 0, "suspended": 1, "invalid": 2, "unknown": 3, "ok": 4}


def _check_status(document: dict[str, Any], session: _Session) -> tuple[Check, str]:
    entries = document.get("credentialStatus")
    if entries is None or entries == []:
        return Check("status", True, "no status entry: the issuer cannot revoke this badge"), "ok"
    if not isinstance(entries, list):
        entries = [entries]
    outcomes = [_check_status_entry(entry, document, session) for entry in entries]
    kind = min((outcome for outcome, _ in outcomes), key=_STATUS_RANK.__getitem__)
    messages = "; ".join(message for outcome, message in outcomes if outcome == kind)
    ok = {"ok": True, "unknown": None}.get(kind, False)
    return Check("status", ok, messages), kind


def _check_status_entry(entry: Any, document: dict[str, Any], session: _Session) -> tuple[str, str]:
    if not isinstance(entry, dict):
        return "invalid", "its status entry is not an object"
    entry_type = entry.get("type")
    if entry_type != "BitstringStatusListEntry":
        return "unknown", f"status could not be checked: credfolio does not support the status type {entry_type!r}"
    list_url = entry.get("statusListCredential")
    purpose = entry.get("statusPurpose")
    index = entry.get("statusListIndex")
    if not isinstance(list_url, str) or not list_url.startswith("https://"):
        return "invalid", f"its status entry does not point at an https status list (statusListCredential {list_url!r})"
    if not (isinstance(index, str) and index.isascii() and index.isdigit()):
        return "invalid", f"its status entry has an unreadable index {index!r}"
    try:
        list_credential = session.resolver.fetch_json(list_url)
    except ResolutionError as error:
        reason = error.message if error.message.startswith(list_url) else f"{list_url} could not be fetched: {error.message}"
        return "unknown", f"status could not be checked: status list {reason}"
    except Exception as error:  # noqa: BLE001 - a resolver bug must not turn into "valid"
        return "unknown", f"status could not be checked: status list {list_url} could not be fetched: {type(error).__name__}: {error}"
    outcome, problem = _verify_status_list(list_credential, list_url, _issuer_id(document), session)
    if outcome != "ok":
        return outcome, problem
    try:
        is_set = check_status(entry, list_credential)
    except StatusError as error:
        return "invalid", f"the status list {list_url} cannot be used: {error.message}"
    if not is_set:
        return "ok", f"not {_purpose_word(purpose)} (status list {list_url}, entry {index}, checked)"
    if purpose == "revocation":
        return "revoked", f"the issuer has revoked this badge (status list {list_url}, entry {index})"
    if purpose == "suspension":
        return "suspended", f"the issuer has suspended this badge (status list {list_url}, entry {index})"
    return "ok", f"status list {list_url} entry {index} is set for {purpose!r}, which does not affect validity"


def _purpose_word(purpose: Any) -> str:
    return {"revocation": "revoked", "suspension": "suspended"}.get(purpose, f"flagged for {purpose!r}")


def _verify_status_list(list_credential: dict[str, Any], list_url: str, credential_issuer: str | None, session: _Session) -> tuple[str, str]:
    """Check the status list credential's own shape, vocabulary, signatures, key and dates."""
    unusable = f"status could not be checked: the status list {list_url}"
    types = list_credential.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        return "invalid", f"the status list {list_url} is not a BitstringStatusListCredential"
    contexts = list_credential.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    unknown = [c for c in contexts if isinstance(c, str) and c not in CONTEXT_URLS]
    if unknown:
        return "unknown", f"{unusable} uses a vocabulary credfolio does not know: {unknown[0]}"
    try:
        canonical = canonicalize({k: v for k, v in list_credential.items() if k != "proof"}, loader=session.loader)
    except Exception as error:  # noqa: BLE001 - any failure to read the list safely means its data cannot be trusted
        message = error.message if isinstance(error, CredfolioError) else f"{type(error).__name__}: {error}"
        return "invalid", f"the status list {list_url} cannot be read safely: {message}"
    list_issuer = _issuer_id(list_credential)
    proofs = _proof_list(list_credential)
    unsupported = [p for p in proofs if not (isinstance(p, dict) and p.get("type") == SUPPORTED_PROOF_TYPE and p.get("cryptosuite") == SUPPORTED_CRYPTOSUITE)]
    if proofs and unsupported:
        kind = unsupported[0].get("type") if isinstance(unsupported[0], dict) else "an unreadable proof"
        return "unknown", f"{unusable} is signed with {kind}, which credfolio cannot check"
    signatures, keys = _evaluate_proofs(list_credential, list_issuer, session, canonical=canonical)
    for ok, message in signatures + keys:
        if ok is False:
            return "invalid", f"the status list {list_url} is not genuine: {message}"
    for ok, message in signatures + keys:
        if ok is None:
            return "unknown", f"{unusable} could not be verified: {message}"
    if credential_issuer is not None and list_issuer != credential_issuer:
        return "unknown", f"{unusable} was published by {list_issuer!r}, not by the badge's issuer {credential_issuer}"
    valid_from = parse_datetime(list_credential.get("validFrom")) if "validFrom" in list_credential else None
    if valid_from is not None and valid_from > session.now + session.clock_skew:
        return "unknown", f"{unusable} is not valid until {_day(valid_from)}"
    if "validUntil" in list_credential:
        valid_until = parse_datetime(list_credential["validUntil"])
        if valid_until is None or valid_until <= session.now:
            return "unknown", f"{unusable} expired on {_day(valid_until)}; the issuer must publish a fresh list"
    return "ok", ""


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return type(value).__name__

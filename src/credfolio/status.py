"""Bitstring Status List v1.0: the bitset, its ``encodedList`` form, status entries and the status check.

A status list is a bitstring of at least 131,072 bits (16 KiB) published inside a signed
``BitstringStatusListCredential``. Bit ``i`` is the status of the credential whose
``credentialStatus.statusListIndex`` is ``i``; index 0 is the left-most bit, i.e. the most significant
bit of byte 0 (W3C Recommendation, 15 May 2025). ``encodedList`` is Multibase base64url without
padding (prefix ``u``) of the GZIP-compressed bitstring.

Allocating indexes and keeping the revocation ledger belong to issuance, not here.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from credfolio.contexts import CREDENTIALS_V2
from credfolio.errors import StatusError

#: Minimum number of entries a list must have (spec: "at least 16KB"), which is also credfolio's list size.
MIN_LIST_LENGTH = 131_072
#: Largest decompressed list :func:`decode_list` accepts; bounds memory for a hostile gzip bomb.
MAX_DECODED_BYTES = 16 * 1024 * 1024
#: ``statusPurpose`` values defined by Bitstring Status List v1.0.
STATUS_PURPOSES = frozenset({"revocation", "suspension", "refresh", "message"})

_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class StatusList:
    """A fixed-size bitset where bit ``i`` is the status of the credential at index ``i`` (MSB-first)."""

    def __init__(self, size: int = MIN_LIST_LENGTH, *, bits: bytes | None = None) -> None:
        if bits is not None:
            size = len(bits) * 8
        if not isinstance(size, int) or size <= 0 or size % 8:
            raise StatusError(f"a status list size must be a positive multiple of 8 bits, got {size!r}")
        self._bits = bytearray(bits) if bits is not None else bytearray(size // 8)

    @classmethod
    def from_encoded(cls, encoded: str) -> StatusList:
        """The list an ``encodedList`` value describes (see :func:`decode_list`)."""
        return cls(bits=decode_list(encoded))

    @property
    def size(self) -> int:
        """Number of entries (bits) in the list."""
        return len(self._bits) * 8

    def get(self, index: int) -> bool:
        """Whether bit ``index`` is set."""
        byte, mask = self._locate(index)
        return bool(self._bits[byte] & mask)

    def set(self, index: int, value: bool = True) -> None:
        """Set (``True``) or clear (``False``) bit ``index``."""
        byte, mask = self._locate(index)
        if value:
            self._bits[byte] |= mask
        else:
            self._bits[byte] &= ~mask & 0xFF

    def to_bytes(self) -> bytes:
        """The raw bitstring."""
        return bytes(self._bits)

    def encode(self) -> str:
        """The ``encodedList`` value for this list."""
        return encode_list(self.to_bytes())

    def _locate(self, index: int) -> tuple[int, int]:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.size:
            raise StatusError(f"status list index {index!r} is outside the list (0 to {self.size - 1})")
        return index // 8, 0x80 >> (index % 8)


def encode_list(bits: bytes) -> str:
    """``encodedList`` for a raw bitstring: ``"u"`` + base64url (no padding) of GZIP(bits).

    ``mtime=0`` keeps the gzip header constant, so rebuilding the same list gives byte-identical
    output and a clean git diff. Level 6 is zlib's default, the level the JavaScript reference
    implementations use; with it the spec's all-zero example is reproduced byte for byte.
    """
    compressed = gzip.compress(bytes(bits), compresslevel=6, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode_list(encoded: str, *, max_bytes: int = MAX_DECODED_BYTES) -> bytes:
    """The raw bitstring of an ``encodedList`` value.

    Raises :class:`StatusError` for anything but Multibase base64url (``u``) of one GZIP member, and
    for lists that would decompress to more than ``max_bytes`` (decompression stops there).
    """
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusError("encodedList must be Multibase base64url text starting with 'u'")
    body = encoded[1:].rstrip("=")
    if not _BASE64URL.match(body):
        raise StatusError("encodedList contains characters that are not base64url")
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as error:
        raise StatusError(f"encodedList is not valid base64url: {error}") from None
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing only
    try:
        bits = decompressor.decompress(compressed, max_bytes + 1)
    except zlib.error as error:
        raise StatusError(f"encodedList is not GZIP data: {error}") from None
    if len(bits) > max_bytes or decompressor.unconsumed_tail:
        raise StatusError(f"encodedList expands to more than {max_bytes} bytes; refusing to read it")
    if not decompressor.eof:
        raise StatusError("encodedList is truncated GZIP data")
    if decompressor.unused_data:
        raise StatusError("encodedList has data after the GZIP stream")
    return bits


def status_entry(list_url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    """The ``credentialStatus`` value pointing at bit ``index`` of the list published at ``list_url``."""
    if not isinstance(list_url, str) or not list_url.startswith("https://") or "#" in list_url:
        raise StatusError(f"status list URL must be an https URL without a fragment, got {list_url!r}")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise StatusError(f"status list index must be a non-negative integer, got {index!r}")
    _require_purpose(purpose)
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    *,
    list_url: str,
    issuer_did: str,
    purpose: str,
    bits: bytes,
    valid_from: datetime,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` publishing ``bits`` at ``list_url``.

    Sign it with :func:`credfolio.proof.create_proof` like any credential. ``ttl_ms`` tells verifiers
    how long they may cache the list.
    """
    from credfolio.credential import format_datetime

    _require_purpose(purpose)
    if len(bits) * 8 < MIN_LIST_LENGTH:
        raise StatusError(f"a status list must have at least {MIN_LIST_LENGTH} entries, got {len(bits) * 8}")
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encode_list(bits),
    }
    if ttl_ms is not None:
        if not isinstance(ttl_ms, int) or isinstance(ttl_ms, bool) or ttl_ms <= 0:
            raise StatusError(f"ttl must be a positive number of milliseconds, got {ttl_ms!r}")
        subject["ttl"] = ttl_ms
    return {
        "@context": [CREDENTIALS_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": format_datetime(valid_from),
        "credentialSubject": subject,
    }


def check_status(entry: Mapping[str, Any], list_credential: Mapping[str, Any]) -> bool:
    """Whether the status ``entry`` points at a set bit in ``list_credential`` (e.g. ``True`` = revoked).

    Follows the spec's validation algorithm after the list credential's proof has been verified (that
    is the caller's job, see :mod:`credfolio.verify`): the list must be a
    ``BitstringStatusListCredential``, its ``statusPurpose`` must match the entry's, it must have at
    least 131,072 entries (STATUS_LIST_LENGTH_ERROR) and the index must fall inside it (RANGE_ERROR).
    Any of these problems raises :class:`StatusError`.
    """
    if not isinstance(entry, Mapping) or entry.get("type") != "BitstringStatusListEntry":
        raise StatusError("the status entry is not a BitstringStatusListEntry")
    purpose = entry.get("statusPurpose")
    index_text = entry.get("statusListIndex")
    if not (isinstance(index_text, str) and index_text.isascii() and index_text.isdigit()):
        raise StatusError(f"statusListIndex must be a whole number written as a string, got {index_text!r}")
    size = entry.get("statusSize", 1)
    if size not in (1, "1"):
        raise StatusError(f"statusSize {size!r} is not supported (only one bit per credential)")
    if not isinstance(list_credential, Mapping):
        raise StatusError("the status list is not a JSON object")
    types = list_credential.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        raise StatusError("the status list credential does not have type BitstringStatusListCredential")
    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, Mapping) or subject.get("type") != "BitstringStatusList":
        raise StatusError("the status list credential's subject is not a BitstringStatusList")
    list_purposes = subject.get("statusPurpose")
    if isinstance(list_purposes, str):
        list_purposes = [list_purposes]
    if not isinstance(list_purposes, list) or purpose not in list_purposes:
        raise StatusError(f"the status list is for {subject.get('statusPurpose')!r}, but the credential asks about {purpose!r}")
    bits = StatusList(bits=decode_list(subject.get("encodedList")))  # type: ignore[arg-type]
    if bits.size < MIN_LIST_LENGTH:
        raise StatusError(f"the status list has only {bits.size} entries; the minimum is {MIN_LIST_LENGTH}")
    index = int(index_text)
    if index >= bits.size:
        raise StatusError(f"status index {index} is outside the list of {bits.size} entries")
    return bits.get(index)


def _require_purpose(purpose: str) -> None:
    if not isinstance(purpose, str) or purpose not in STATUS_PURPOSES:
        raise StatusError(f"status purpose must be one of {', '.join(sorted(STATUS_PURPOSES))}, got {purpose!r}")

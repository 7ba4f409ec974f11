"""Bitstring Status List v1.0: bit order, encodedList, entries, list credentials and the status check."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from badge_factory import ISSUED, ISSUER_DID, PEER_CORPUS, STATUS_LIST_URL
from credfolio.contexts import CREDENTIALS_V2
from credfolio.errors import StatusError
from credfolio.proof import canonicalize
from credfolio.status import (
    MIN_LIST_LENGTH,
    StatusList,
    check_status,
    decode_list,
    encode_list,
    status_entry,
    status_list_credential,
)

# Bitstring Status List v1.0, the all-zero example list (16 KiB of zero bytes).
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
DCC_LIST = PEER_CORPUS / "sites" / "dcc-verifier-core" / "digitalcredentials" / "verifier-core" / "refs" / "heads" / "main" / "src" / "test-fixtures" / "status" / "e5WK8CbZ1GjycuPombrj"


def _encoded(raw: bytes, *, level: int = 6) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(raw, compresslevel=level, mtime=0)).decode().rstrip("=")


def test_the_spec_example_decodes_to_16384_zero_bytes():
    assert decode_list(SPEC_EXAMPLE) == bytes(16384)


def test_our_encoding_of_an_empty_list_is_the_spec_example_byte_for_byte():
    assert encode_list(bytes(16384)) == SPEC_EXAMPLE
    assert StatusList().encode() == SPEC_EXAMPLE


def test_encoding_round_trips_and_is_stable():
    bits = StatusList()
    for index in (0, 7, 8, 94567, MIN_LIST_LENGTH - 1):
        bits.set(index)
    encoded = bits.encode()
    assert encoded == bits.encode()  # gzip mtime=0: rebuilding gives identical bytes
    assert "=" not in encoded and encoded.startswith("u")
    assert StatusList.from_encoded(encoded).to_bytes() == bits.to_bytes()


def test_bit_zero_is_the_most_significant_bit_of_byte_zero():
    bits = StatusList(16)
    bits.set(0)
    bits.set(9)
    assert bits.to_bytes() == bytes([0b1000_0000, 0b0100_0000])
    assert bits.get(0) and bits.get(9) and not bits.get(1) and not bits.get(8)


def test_set_false_clears_a_bit_and_leaves_its_neighbours():
    bits = StatusList(8, bits=b"\xff")
    bits.set(3, False)
    assert bits.to_bytes() == bytes([0b1110_1111])


@pytest.mark.parametrize("index", [-1, MIN_LIST_LENGTH, True, "5"], ids=["negative", "one past the end", "a bool", "a string"])
def test_indexes_outside_the_list_are_refused(index):
    with pytest.raises(StatusError, match="outside the list"):
        StatusList().get(index)


def test_the_dcc_peer_list_has_bits_2_6_and_8_set_in_100000():
    if not DCC_LIST.is_file():
        pytest.skip(f"peer corpus not found at {PEER_CORPUS} (../shared/peer-corpus): cannot read the DCC status list")
    encoded = json.loads(DCC_LIST.read_text())["credentialSubject"]["encodedList"]
    bits = StatusList.from_encoded(encoded)
    assert bits.size == 100_000
    assert [i for i in range(bits.size) if bits.get(i)] == [2, 6, 8]


BAD_ENCODINGS = {
    "no multibase prefix": ("H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA", "starting with 'u'"),
    "base58 multibase": ("z3yMApqCuCjXDWPrbjfR5mjCPTHqFG8Pux1TxQrEM", "starting with 'u'"),
    "standard base64 characters": ("uH4sIAAAAAAAAA+3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA", "not base64url"),
    "not gzip": ("u" + base64.urlsafe_b64encode(b"plain bytes").decode().rstrip("="), "not GZIP data"),
    "truncated gzip": (SPEC_EXAMPLE[:29], "truncated GZIP data"),
    "trailing data after gzip": (_encoded(bytes(16)) + "AAAA", "data after the GZIP stream"),
    "the DCC tampered list": ("uH4sIAAAAAAAAA-I-CHANGED-THISAAwFwBZnztF9QwAAA", "not valid base64url"),
    "not a string": (None, "starting with 'u'"),
}


@pytest.mark.parametrize("encoded, message", list(BAD_ENCODINGS.values()), ids=list(BAD_ENCODINGS))
def test_bad_encodings_are_refused(encoded, message):
    with pytest.raises(StatusError, match=message):
        decode_list(encoded)


def test_a_gzip_bomb_is_refused_without_inflating_it_all():
    bomb = _encoded(bytes(17 * 1024 * 1024), level=9)  # 17 MiB of zeros compress to ~17 KB
    assert len(bomb) < 40_000
    with pytest.raises(StatusError, match="more than 16777216 bytes"):
        decode_list(bomb)
    with pytest.raises(StatusError, match="more than 1024 bytes"):
        decode_list(encode_list(bytes(2048)), max_bytes=1024)


def test_status_entry_shape():
    assert status_entry(STATUS_LIST_URL, 94567) == {
        "id": STATUS_LIST_URL + "#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": STATUS_LIST_URL,
    }


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((("http://x.org/s.json", 1)), "https URL"),
        ((STATUS_LIST_URL + "#x", 1), "without a fragment"),
        ((STATUS_LIST_URL, -1), "non-negative integer"),
        ((STATUS_LIST_URL, "5"), "non-negative integer"),
        ((STATUS_LIST_URL, 1, "deletion"), "status purpose must be one of"),
    ],
    ids=["http list", "list URL with fragment", "negative index", "index as text", "unknown purpose"],
)
def test_status_entry_refuses_bad_arguments(arguments, message):
    with pytest.raises(StatusError, match=message):
        status_entry(*arguments)


def test_status_list_credential_shape_and_vocabulary():
    bits = StatusList()
    bits.set(5)
    credential = status_list_credential(
        list_url=STATUS_LIST_URL, issuer_did=ISSUER_DID, purpose="revocation", bits=bits.to_bytes(), valid_from=ISSUED, ttl_ms=86_400_000
    )
    assert credential == {
        "@context": [CREDENTIALS_V2],
        "id": STATUS_LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER_DID,
        "validFrom": "2025-06-01T00:00:00Z",
        "credentialSubject": {
            "id": STATUS_LIST_URL + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": bits.encode(),
            "ttl": 86_400_000,
        },
    }
    assert canonicalize(credential)  # every term is defined by credentials/v2


def test_status_list_credential_refuses_short_lists():
    with pytest.raises(StatusError, match="at least 131072 entries"):
        status_list_credential(list_url=STATUS_LIST_URL, issuer_did=ISSUER_DID, purpose="revocation", bits=bytes(100), valid_from=ISSUED)


def _list(set_bits=(), *, purpose="revocation", size=MIN_LIST_LENGTH):
    bits = StatusList(size)
    for index in set_bits:
        bits.set(index)
    credential = status_list_credential(list_url=STATUS_LIST_URL, issuer_did=ISSUER_DID, purpose="revocation", bits=bytes(MIN_LIST_LENGTH // 8), valid_from=ISSUED)
    credential["credentialSubject"]["statusPurpose"] = purpose
    credential["credentialSubject"]["encodedList"] = bits.encode()
    return credential


def test_check_status_reads_the_entrys_bit():
    listing = _list([94567])
    assert check_status(status_entry(STATUS_LIST_URL, 94567), listing) is True
    assert check_status(status_entry(STATUS_LIST_URL, 94566), listing) is False
    assert check_status(status_entry(STATUS_LIST_URL, 0), _list([0])) is True


def test_a_list_may_serve_several_purposes():
    listing = _list([3], purpose=["revocation", "suspension"])
    assert check_status(status_entry(STATUS_LIST_URL, 3, "suspension"), listing) is True


CHECK_ERRORS = {
    "purpose mismatch": (status_entry(STATUS_LIST_URL, 1, "suspension"), _list(), "the status list is for 'revocation'"),
    "list shorter than 131072 entries": (status_entry(STATUS_LIST_URL, 1), _list(size=100_000), "has only 100000 entries"),
    "index past the end": (status_entry(STATUS_LIST_URL, MIN_LIST_LENGTH), _list(), "outside the list of 131072"),
    "index as a number": ({**status_entry(STATUS_LIST_URL, 1), "statusListIndex": 1}, _list(), "whole number written as a string"),
    "negative index": ({**status_entry(STATUS_LIST_URL, 1), "statusListIndex": "-1"}, _list(), "whole number written as a string"),
    "multi-bit statusSize": ({**status_entry(STATUS_LIST_URL, 1), "statusSize": 2}, _list(), "statusSize 2 is not supported"),
    "other entry type": ({**status_entry(STATUS_LIST_URL, 1), "type": "StatusList2021Entry"}, _list(), "not a BitstringStatusListEntry"),
    "list without the list type": (status_entry(STATUS_LIST_URL, 1), {**_list(), "type": ["VerifiableCredential"]}, "type BitstringStatusListCredential"),
    "subject of another type": (status_entry(STATUS_LIST_URL, 1), {**_list(), "credentialSubject": {"type": "StatusList2021"}}, "not a BitstringStatusList"),
    "undecodable list": (status_entry(STATUS_LIST_URL, 1), {**_list(), "credentialSubject": {**_list()["credentialSubject"], "encodedList": "u!!"}}, "not base64url"),
}


@pytest.mark.parametrize("entry, listing, message", list(CHECK_ERRORS.values()), ids=list(CHECK_ERRORS))
def test_check_status_errors_follow_the_spec(entry, listing, message):
    with pytest.raises(StatusError, match=message):
        check_status(entry, listing)

"""Multibase base58btc (prefix ``z``), the only multibase encoding Multikey and eddsa proofs use.

Small enough to keep in-house rather than add a dependency: Bitcoin's alphabet, leading zero bytes
written as ``1``.
"""

from __future__ import annotations

BASE58BTC_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BASE58BTC_PREFIX = "z"
_INDEX = {char: value for value, char in enumerate(BASE58BTC_ALPHABET)}


def b58encode(data: bytes) -> str:
    """Encode bytes as base58btc (no multibase prefix)."""
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(BASE58BTC_ALPHABET[remainder])
    return "1" * leading_zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Decode base58btc text (no multibase prefix); :class:`ValueError` on a character outside the alphabet."""
    number = 0
    for char in text:
        value = _INDEX.get(char)
        if value is None:
            raise ValueError(f"{char!r} is not a base58btc character")
        number = number * 58 + value
    leading_zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading_zeros + body


def encode_multibase(data: bytes) -> str:
    """Multibase base58btc: ``"z"`` followed by the base58btc text."""
    return BASE58BTC_PREFIX + b58encode(data)


def decode_multibase(text: str) -> bytes:
    """Decode a multibase base58btc string; :class:`ValueError` if the prefix is not ``z`` or a character is invalid."""
    if not isinstance(text, str) or not text.startswith(BASE58BTC_PREFIX):
        raise ValueError("not multibase base58btc (must start with 'z')")
    return b58decode(text[1:])

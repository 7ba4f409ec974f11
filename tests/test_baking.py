"""Baking: PNG iTXt and SVG CDATA per OB 3.0, replacement on re-bake, and hardened extraction."""

from __future__ import annotations

import struct
import zlib

import pytest

from credfolio import baking
from credfolio.errors import BakingError

CREDENTIAL = '{"id":"urn:uuid:1","name":"Café ]]> <&> \u2028 credential"}'
SVG = '<?xml version="1.0"?>\n<!-- a badge -->\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>t</title><rect width="1" height="1"/></svg>\n'


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def tiny_png(*extra: bytes) -> bytes:
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return baking.PNG_SIGNATURE + ihdr + b"".join(extra) + idat + chunk(b"IEND", b"")


def itxt_chunks(png: bytes) -> list[bytes]:
    return [body for kind, body, _s, _e in baking._chunks(png) if kind == b"iTXt"]


def test_png_bake_writes_one_uncompressed_itxt_after_ihdr():
    baked = baking.bake_png(tiny_png(), CREDENTIAL)
    chunks = list(baking._chunks(baked))
    assert [kind for kind, *_ in chunks][:2] == [b"IHDR", b"iTXt"]
    (body,) = itxt_chunks(baked)
    assert body == b"openbadgecredential\x00\x00\x00\x00\x00" + CREDENTIAL.encode("utf-8")
    assert baking.extract_png(baked) == CREDENTIAL
    assert baking.extract_credential(baked) == CREDENTIAL


def test_png_rebake_replaces_the_existing_chunk():
    twice = baking.bake_png(baking.bake_png(tiny_png(), "old"), CREDENTIAL)
    assert len(itxt_chunks(twice)) == 1
    assert baking.extract_png(twice) == CREDENTIAL


def test_png_keeps_other_text_chunks():
    other = chunk(b"iTXt", b"Comment\x00\x00\x00\x00\x00hello")
    baked = baking.bake_png(tiny_png(other), CREDENTIAL)
    assert len(itxt_chunks(baked)) == 2
    assert baking.extract_png(baked) == CREDENTIAL


def _compressed(png: bytes) -> bytes:
    body = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(b"{}")
    return tiny_png(chunk(b"iTXt", body))


def _bad_crc(png: bytes) -> bytes:
    baked = bytearray(baking.bake_png(png, CREDENTIAL))
    baked[60] ^= 0xFF  # inside the iTXt text
    return bytes(baked)


def _truncated(png: bytes) -> bytes:
    return baking.bake_png(png, CREDENTIAL)[:-20]


def _no_signature(png: bytes) -> bytes:
    return b"GIF89a" + png[6:]


def _unterminated(png: bytes) -> bytes:
    return tiny_png(chunk(b"iTXt", b"openbadgecredential\x00\x00\x00no-terminators"))


def _not_baked(png: bytes) -> bytes:
    return png


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(_compressed, id="refuses a compressed iTXt chunk"),
        pytest.param(_bad_crc, id="refuses a chunk whose CRC does not match"),
        pytest.param(_truncated, id="refuses a truncated PNG"),
        pytest.param(_no_signature, id="refuses a file without the PNG signature"),
        pytest.param(_unterminated, id="refuses an iTXt without language and keyword terminators"),
        pytest.param(_not_baked, id="reports a PNG without a baked credential"),
    ],
)
def test_png_extraction_rejects(mutate):
    with pytest.raises(BakingError):
        baking.extract_png(mutate(tiny_png()))


def test_png_extraction_caps_the_image_size(monkeypatch):
    monkeypatch.setattr(baking, "MAX_IMAGE_BYTES", 100)
    with pytest.raises(BakingError, match="at most 100"):
        baking.extract_png(baking.bake_png(tiny_png(), CREDENTIAL))


def test_svg_bake_puts_the_credential_right_after_the_root():
    baked = baking.bake_svg(SVG, CREDENTIAL)
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked
    root_end = baked.index(">", baked.index("<svg")) + 1
    assert baked[root_end:].startswith("<openbadges:credential><![CDATA[")
    assert baking.extract_svg(baked) == CREDENTIAL
    assert baking.extract_credential(baked.encode("utf-8")) == CREDENTIAL


def test_svg_rebake_replaces_the_existing_element():
    twice = baking.bake_svg(baking.bake_svg(SVG, "old"), CREDENTIAL)
    assert twice.count("<openbadges:credential>") == 1
    assert twice.count("xmlns:openbadges") == 1
    assert baking.extract_svg(twice) == CREDENTIAL


def test_svg_extraction_reads_a_jws_attribute():
    svg = SVG.replace('viewBox="0 0 10 10">', f'viewBox="0 0 10 10" xmlns:openbadges="{baking.OB_NAMESPACE}"><openbadges:credential verify="a.b.c"/>')
    assert baking.extract_svg(svg) == "a.b.c"


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
    "<openbadges:credential>&b;</openbadges:credential></svg>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
    "<openbadges:credential>&x;</openbadges:credential></svg>"
)


@pytest.mark.parametrize(
    "svg",
    [
        pytest.param(BILLION_LAUGHS, id="refuses entity expansion (billion laughs)"),
        pytest.param(XXE, id="refuses an external entity (XXE)"),
        pytest.param("<svg xmlns='http://www.w3.org/2000/svg'><unclosed></svg>", id="refuses malformed XML"),
        pytest.param("<html><body/></html>", id="refuses a root that is not svg"),
        pytest.param(SVG, id="reports an SVG without a baked credential"),
    ],
)
def test_svg_extraction_rejects(svg):
    with pytest.raises(BakingError):
        baking.extract_svg(svg)


def test_svg_extraction_caps_the_credential_size(monkeypatch):
    baked = baking.bake_svg(SVG, "x" * 500)
    monkeypatch.setattr(baking, "MAX_CREDENTIAL_BYTES", 100)
    with pytest.raises(BakingError, match="larger than 100"):
        baking.extract_svg(baked)


def test_svg_bake_refuses_a_foreign_openbadges_prefix():
    svg = SVG.replace('viewBox="0 0 10 10"', 'viewBox="0 0 10 10" xmlns:openbadges="https://example.org/other"')
    with pytest.raises(BakingError, match="prefix openbadges"):
        baking.bake_svg(svg, CREDENTIAL)


def test_bake_refuses_an_empty_credential():
    with pytest.raises(BakingError):
        baking.bake_png(tiny_png(), "")
    with pytest.raises(BakingError):
        baking.bake_svg(SVG, "")

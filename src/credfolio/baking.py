"""Baked badges: an Open Badges 3.0 credential embedded in its PNG or SVG image (OB 3.0 "Baked Badge").

* PNG — one ``iTXt`` chunk with keyword ``openbadgecredential``, compression flag 0 (the spec forbids
  compressing it), empty language tag and translated keyword; the text is the credential JSON. Baking
  replaces any chunk already there, so an image holds exactly one; it goes right after ``IHDR``.
* SVG — ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on the root ``<svg>`` and, directly after
  its start tag, one ``<openbadges:credential><![CDATA[…]]></openbadges:credential>``.

Extraction reads images from anywhere (an upload, a download), so it is hardened: input and credential
sizes are capped, PNG chunks are walked with length and CRC checks, and SVG is read with expat with
every DTD, entity declaration and external entity refused (no billion laughs, no XXE). Like the
1EdTech validator, extractors take the first credential they find.
"""

from __future__ import annotations

import re
import struct
import xml.parsers.expat
import zlib
from collections.abc import Callable, Iterator

from credfolio.errors import BakingError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"
OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
SVG_PREFIX = "openbadges"

#: Largest image extraction will read (badge images are kilobytes; a credential is a few tens).
MAX_IMAGE_BYTES = 16 * 1024 * 1024
#: Largest embedded credential extraction will return.
MAX_CREDENTIAL_BYTES = 2 * 1024 * 1024
_MAX_CHUNK = 2**31 - 1

_ROOT_START = re.compile(
    r"<svg(?P<attributes>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?P<close>/?)>",
)
_PROLOG = re.compile(r"\A(?:\ufeff)?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_EXISTING_SVG_CREDENTIAL = re.compile(
    r"\s*<openbadges:credential\b[^>]*?(?:/>|>.*?</openbadges:credential\s*>)", re.DOTALL
)


# --- PNG -------------------------------------------------------------------------------------------------


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes, int, int]]:
    """``(type, data, start, end)`` of every chunk, checking lengths, CRCs and the IHDR…IEND frame."""
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image (the PNG signature is missing)")
    position, first = len(PNG_SIGNATURE), True
    while True:
        if position + 12 > len(data):
            raise BakingError("truncated PNG: the IEND chunk is missing")
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if length > _MAX_CHUNK or end > len(data):
            raise BakingError(f"truncated PNG: the {kind.decode('latin-1')!r} chunk runs past the end of the file")
        if not re.fullmatch(rb"[A-Za-z]{4}", kind):
            raise BakingError("damaged PNG: a chunk has an invalid type")
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise BakingError(f"damaged PNG: the CRC of the {kind.decode('ascii')} chunk does not match")
        if first and kind != b"IHDR":
            raise BakingError("damaged PNG: the first chunk is not IHDR")
        first = False
        yield kind, body, position, end
        if kind == b"IEND":
            return
        position = end


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _itxt_keyword(body: bytes) -> bytes:
    return body.split(b"\x00", 1)[0]


def bake_png(image: bytes, credential: str) -> bytes:
    """Return ``image`` with ``credential`` (JSON text or a compact JWS) in one uncompressed iTXt chunk.

    Any ``openbadgecredential`` chunk already in the image is dropped, so a re-baked image still
    holds exactly one. Raises :class:`BakingError` for a damaged PNG.
    """
    if not isinstance(credential, str) or not credential:
        raise BakingError("nothing to bake: the credential text is empty")
    text = credential.encode("utf-8")
    if len(text) > MAX_CREDENTIAL_BYTES:
        raise BakingError(f"the credential is {len(text)} bytes; baked credentials are limited to {MAX_CREDENTIAL_BYTES}")
    # keyword NUL, compression flag 0, compression method 0, empty language tag NUL, empty translated keyword NUL
    itxt = _chunk(b"iTXt", PNG_KEYWORD + b"\x00\x00\x00" + b"\x00" + b"\x00" + text)
    parts = [PNG_SIGNATURE]
    for kind, body, start, end in _chunks(bytes(image)):
        if kind == b"iTXt" and _itxt_keyword(body) == PNG_KEYWORD:
            continue
        parts.append(image[start:end])
        if kind == b"IHDR":
            parts.append(itxt)
    return b"".join(parts)


def extract_png(data: bytes) -> str:
    """The credential text of the first ``openbadgecredential`` iTXt chunk of a PNG.

    Raises :class:`BakingError` when there is none, when it is compressed (the spec forbids it),
    malformed or larger than :data:`MAX_CREDENTIAL_BYTES`, or when the PNG is damaged or too large.
    """
    _check_size(data)
    chunks = list(_chunks(bytes(data)))  # the whole file must be a well-formed PNG, not just its start
    for kind, body, _start, _end in chunks:
        if kind != b"iTXt" or _itxt_keyword(body) != PNG_KEYWORD:
            continue
        rest = body[len(PNG_KEYWORD) + 1 :]
        if len(rest) < 2:
            raise BakingError("malformed openbadgecredential iTXt chunk (no compression fields)")
        if rest[0] != 0:
            raise BakingError("the openbadgecredential iTXt chunk is compressed; Open Badges 3.0 forbids compressing it")
        try:
            _language, _translated, text = rest[2:].split(b"\x00", 2)
        except ValueError:
            raise BakingError("malformed openbadgecredential iTXt chunk (language tag or translated keyword not terminated)") from None
        if len(text) > MAX_CREDENTIAL_BYTES:
            raise BakingError(f"the embedded credential is larger than {MAX_CREDENTIAL_BYTES} bytes")
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError:
            raise BakingError("the embedded credential is not UTF-8 text") from None
    raise BakingError("the PNG holds no baked credential (no iTXt chunk with keyword openbadgecredential)")


# --- SVG -------------------------------------------------------------------------------------------------


def _cdata(text: str) -> str:
    # "]]>" cannot appear inside CDATA: end the section and start a new one between "]]" and ">".
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake_svg(svg: str, credential: str) -> str:
    """Return ``svg`` with ``credential`` embedded as ``<openbadges:credential>`` right after the root start tag.

    The root must be ``<svg>``; the SVG is parsed safely first (no DTD or entities). An
    ``openbadges:credential`` element already present is replaced.
    """
    if not isinstance(credential, str) or not credential:
        raise BakingError("nothing to bake: the credential text is empty")
    if len(credential.encode("utf-8")) > MAX_CREDENTIAL_BYTES:
        raise BakingError(f"baked credentials are limited to {MAX_CREDENTIAL_BYTES} bytes")
    _parse_svg(svg.encode("utf-8"), want_credential=False)
    cleaned = _EXISTING_SVG_CREDENTIAL.sub("", svg)
    prolog = _PROLOG.match(cleaned)
    position = prolog.end() if prolog else 0
    root = _ROOT_START.match(cleaned, position)
    if root is None:
        raise BakingError("the image's root element is not <svg …> (cannot bake it)")
    if root.group("close"):
        raise BakingError("the image's <svg> element is empty")
    attributes = root.group("attributes")
    declared = re.search(r"\sxmlns:openbadges\s*=\s*([\"'])(.*?)\1", attributes)
    if declared and declared.group(2) != OB_NAMESPACE:
        raise BakingError(f"the image binds the prefix openbadges to {declared.group(2)!r}, not {OB_NAMESPACE}")
    if not declared:
        attributes += f' xmlns:{SVG_PREFIX}="{OB_NAMESPACE}"'
    element = f"<{SVG_PREFIX}:credential>{_cdata(credential)}</{SVG_PREFIX}:credential>"
    baked = cleaned[: root.start()] + f"<svg{attributes}>" + element + cleaned[root.end() :]
    _parse_svg(baked.encode("utf-8"), want_credential=True)  # the result must read back
    return baked


#: Characters XML 1.0 does not allow anywhere, even inside CDATA (JSON text may hold U+FFFE, for one).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def svg_baker(svg: str) -> Callable[[str], str]:
    """A function baking credentials into ``svg`` exactly as :func:`bake_svg` does, with the SVG checked once.

    A site build bakes thousands of badges into a few dozen images; parsing the image twice per badge
    cost more than rendering the page. The image is checked and split once here; each bake then joins
    the parts around the credential's CDATA. A credential holding a character XML forbids goes through
    :func:`bake_svg` (which refuses it with the usual error).
    """
    marker = "credfolio-credential-placeholder"
    template = bake_svg(svg, marker)
    head, tail = template.split(_cdata(marker), 1)

    def bake(credential: str) -> str:
        if not isinstance(credential, str) or not credential or _XML_INVALID.search(credential) or \
                len(credential.encode("utf-8")) > MAX_CREDENTIAL_BYTES:
            return bake_svg(svg, credential)
        return head + _cdata(credential) + tail

    return bake


def extract_svg(data: bytes | str) -> str:
    """The credential of the first ``openbadges:credential`` element of an SVG (its CDATA text, or its ``verify`` JWS).

    Parsed with expat, refusing any DTD, entity declaration or external entity. Raises
    :class:`BakingError` when there is no credential, the SVG is malformed or the sizes exceed the limits.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    _check_size(raw)
    found = _parse_svg(raw, want_credential=True)
    assert found is not None
    return found


class _SvgReader:
    """expat callbacks: note the root element and collect the first credential element's text."""

    def __init__(self) -> None:
        self.root: str | None = None
        self.inside = 0  # depth inside the credential element; 0 when outside
        self.parts: list[str] = []
        self.size = 0
        self.result: str | None = None

    def refuse(self, *_args: object) -> None:
        raise BakingError("the SVG declares a DTD or entities; baked SVG images must not")

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
        if self.inside:
            self.inside += 1
        elif name == _CREDENTIAL_ELEMENT and self.result is None:
            if attributes.get("verify"):
                self.result = attributes["verify"]
            else:
                self.inside = 1

    def end(self, _name: str) -> None:
        if self.inside:
            self.inside -= 1
            if not self.inside:
                self.result = "".join(self.parts)

    def text(self, data: str) -> None:
        if self.inside:
            self.size += len(data)
            if self.size > MAX_CREDENTIAL_BYTES:
                raise BakingError(f"the embedded credential is larger than {MAX_CREDENTIAL_BYTES} bytes")
            self.parts.append(data)


_CREDENTIAL_ELEMENT = f"{OB_NAMESPACE} credential"


def _parse_svg(raw: bytes, *, want_credential: bool) -> str | None:
    reader = _SvgReader()
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = reader.refuse
    parser.EntityDeclHandler = reader.refuse
    parser.UnparsedEntityDeclHandler = reader.refuse
    parser.ExternalEntityRefHandler = reader.refuse
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    try:
        parser.Parse(raw, True)
    except xml.parsers.expat.ExpatError as error:
        raise BakingError(f"malformed SVG: {xml.parsers.expat.ErrorString(error.code)} at line {error.lineno}") from None
    if reader.root != f"{SVG_NAMESPACE} svg":
        raise BakingError("not an SVG image (the root element is not an SVG <svg>)")
    if want_credential and reader.result is None:
        raise BakingError("the SVG holds no baked credential (no openbadges:credential element)")
    return reader.result


# --- either ----------------------------------------------------------------------------------------------


def extract_credential(data: bytes) -> str:
    """The credential baked into a PNG or SVG image (sniffed from the first bytes)."""
    _check_size(data)
    if bytes(data[:8]) == PNG_SIGNATURE:
        return extract_png(data)
    return extract_svg(data)


def _check_size(data: bytes) -> None:
    if len(data) > MAX_IMAGE_BYTES:
        raise BakingError(f"the image is {len(data)} bytes; at most {MAX_IMAGE_BYTES} are read")

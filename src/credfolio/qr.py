"""QR codes as accessible inline SVG (no images to fetch, crisp in print).

The ``qrcode`` package encodes the data; this module draws its module matrix as one SVG path of
horizontal runs, with a white quiet zone, no fixed size (CSS sizes it) and a ``<title>`` so screen
readers announce what the code points to.

Two choices keep a 500-credential catalog build fast (see bench/results.md, "Catalog build"):

* the path is written from the matrix rather than by the package's ``SvgPathImage`` factory, which
  draws module by module (about 7 ms per code against 0.2 ms);
* the mask pattern is fixed (pattern 2). All eight masks give valid ISO/IEC 18004 symbols that every
  reader decodes; picking the lowest-penalty one means encoding the code eight more times (about
  9 ms per code). For site URLs of this shape pattern 2 scored within 1 % of the best penalty on
  average (8 % at worst) in a sample of 30 URLs.

A wallet build draws one code per badge, so :func:`qr_matrix` also skips the package's slowest steps
while producing exactly its matrix (a test compares the two): the version is fitted with a plain
integer bit buffer instead of ``qrcode``'s bit-by-bit one, the Reed–Solomon codewords come from log/antilog
tables instead of polynomial objects, and the data modules are placed along a placement order worked
out once per version (from ``qrcode``'s own function patterns) — about 1 ms per code instead of 5–10 ms.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import cache
from html import escape

import qrcode
import qrcode.base
import qrcode.constants
import qrcode.exceptions
import qrcode.util
from qrcode.LUT import rsPoly_LUT

SVG_NS = "http://www.w3.org/2000/svg"
MASK_PATTERN = 2
QUIET_ZONE = 4


ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR module matrix for ``data`` (error correction M, quiet zone included), dark = True.

    The same matrix as ``qrcode.QRCode(error_correction=M, border=4, mask_pattern=2)`` makes, faster.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE, mask_pattern=MASK_PATTERN)
    code.add_data(data)
    chunks = code.data_list
    version = _fit_version(chunks)
    codewords = _codewords(version, chunks)
    template, order, mask = _layout(version)
    matrix = [row[:] for row in template]
    # every data bit XOR its mask bit, as one binary string (places past the codewords hold 0 XOR mask)
    stream = (int.from_bytes(bytes(codewords), "big") << (len(order) - 8 * len(codewords))) ^ mask
    for (row, column), bit in zip(order, format(stream, f"0{len(order)}b"), strict=True):
        matrix[row][column] = bit == "1"
    blank = [False] * (len(matrix) + 2 * QUIET_ZONE)
    edge = [False] * QUIET_ZONE
    return ([blank[:] for _ in range(QUIET_ZONE)] + [edge + row + edge for row in matrix]
            + [blank[:] for _ in range(QUIET_ZONE)])


class _Bits:
    """A bit buffer on one Python integer (``qrcode``'s ``BitBuffer`` appends bit by bit)."""

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, number: int, length: int) -> None:
        self.value = (self.value << length) | (number & ((1 << length) - 1))
        self.length += length

    def put_bit(self, bit: bool) -> None:
        self.put(1 if bit else 0, 1)

    def __len__(self) -> int:
        return self.length


def _encoded(chunks: list[qrcode.util.QRData], version: int) -> _Bits:
    bits = _Bits()
    sizes = qrcode.util.mode_sizes_for_version(version)
    for chunk in chunks:
        bits.put(chunk.mode, 4)
        bits.put(len(chunk), sizes[chunk.mode])
        chunk.write(bits)
    return bits


def _fit_version(chunks: list[qrcode.util.QRData]) -> int:
    """The smallest version the data fits (``QRCode.best_fit``)."""
    start = 1
    while True:
        sizes = qrcode.util.mode_sizes_for_version(start)
        version = bisect_left(qrcode.util.BIT_LIMIT_TABLE[ERROR_CORRECTION], len(_encoded(chunks, start)), start)
        if version == 41:
            raise qrcode.exceptions.DataOverflowError()
        if sizes is qrcode.util.mode_sizes_for_version(version):
            return version
        start = version


def _codewords(version: int, chunks: list[qrcode.util.QRData]) -> list[int]:
    """Data and error-correction codewords, interleaved (``qrcode.util.create_data``)."""
    bits = _encoded(chunks, version)
    blocks = qrcode.base.rs_blocks(version, ERROR_CORRECTION)
    limit = sum(block.data_count * 8 for block in blocks)
    if bits.length > limit:
        raise qrcode.exceptions.DataOverflowError()
    bits.put(0, min(limit - bits.length, 4))
    if bits.length % 8:
        bits.put(0, 8 - bits.length % 8)
    padding = (limit - bits.length) // 8
    for number in range(padding):
        bits.put(0xEC if number % 2 == 0 else 0x11, 8)
    data = bits.value.to_bytes(limit // 8, "big")
    exp, log = _EXP, qrcode.base.LOG_TABLE
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        count = block.data_count
        ec_count = block.total_count - count
        terms = _generator_logs(ec_count)
        block_data = list(data[offset:offset + count])
        message = block_data + [0] * ec_count  # long division in place: the tail becomes the remainder
        offset += count
        for position in range(count):
            coefficient = message[position]
            if coefficient:
                shift = log[coefficient]
                for step, term_log in terms:
                    message[position + step] ^= exp[shift + term_log]
        data_blocks.append(block_data)
        ec_blocks.append(message[count:])
    interleaved = []
    for group in (data_blocks, ec_blocks):
        for index in range(max(len(block) for block in group)):
            interleaved.extend(block[index] for block in group if index < len(block))
    return interleaved


#: GF(256) antilogarithms twice over, so a sum of two logarithms needs no ``% 255``.
_EXP = list(qrcode.base.EXP_TABLE[:255]) * 2


@cache
def _generator_logs(ec_count: int) -> tuple[tuple[int, int], ...]:
    """``(power, log of coefficient)`` of the non-zero terms after the leading one of the generator polynomial."""
    generator = rsPoly_LUT[ec_count]
    return tuple((step, qrcode.base.LOG_TABLE[term]) for step, term in enumerate(generator) if step and term)


class _LayoutProbe(qrcode.QRCode):
    """Stops ``qrcode`` right before it places data, keeping the function patterns and format bits."""

    def map_data(self, data, mask_pattern):  # noqa: ANN001 - qrcode's signature
        self.template = [row[:] for row in self.modules]


@cache
def _layout(version: int) -> tuple[list[list[bool | None]], list[tuple[int, int]], int]:
    """The matrix without data, the order data bits are placed in, and the mask bits in that order (as one integer)."""
    probe = _LayoutProbe(version=version, error_correction=ERROR_CORRECTION, mask_pattern=MASK_PATTERN)
    probe.data_cache = []
    probe.makeImpl(False, MASK_PATTERN)
    template = probe.template
    size = len(template)
    mask_function = qrcode.util.mask_func(MASK_PATTERN)
    order, mask = [], []
    row, step = size - 1, -1
    for column in range(size - 1, 0, -2):  # the zigzag of QRCode.map_data
        if column <= 6:
            column -= 1
        while True:
            for current in (column, column - 1):
                if template[row][current] is None:
                    order.append((row, current))
                    mask.append(bool(mask_function(row, current)))
            row += step
            if row < 0 or row >= size:
                row -= step
                step = -step
                break
    return template, order, int("".join("1" if bit else "0" for bit in mask), 2)


_DARK_RUN = re.compile(rb"\x01+")


def _path(matrix: list[list[bool]]) -> str:
    parts = []
    for y, row in enumerate(matrix):
        for run in _DARK_RUN.finditer(bytes(row)):  # bools as bytes: dark modules are \x01
            start, length = run.start(), run.end() - run.start()
            parts.append(f"M{start},{y}h{length}v1h-{length}z")
    return "".join(parts)


def qr_svg(data: str, *, title: str, element_id: str = "qr", css_class: str = "cf-qr") -> str:
    """Return an inline ``<svg role="img">`` QR code for ``data`` with ``title`` as its accessible name.

    ``element_id`` must be unique on the page; it also prefixes the id of the ``<title>`` element.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", element_id):
        raise ValueError(f"element_id must be a simple HTML id, got {element_id!r}")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_ -]*", css_class):
        raise ValueError(f"css_class must be plain class names, got {css_class!r}")
    matrix = qr_matrix(data)
    size = len(matrix)
    title_id = f"{element_id}-title"
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {size} {size}" id="{element_id}" class="{css_class}" role="img" '
        f'aria-labelledby="{title_id}" focusable="false" shape-rendering="crispEdges">'
        f'<title id="{title_id}">{escape(title, quote=False)}</title>'
        f'<rect width="{size}" height="{size}" fill="#ffffff"/>'
        f'<path d="{_path(matrix)}" fill="#000000"/>'
        "</svg>"
    )

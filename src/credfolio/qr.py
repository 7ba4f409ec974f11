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
"""

from __future__ import annotations

import re
from html import escape

import qrcode
import qrcode.constants

SVG_NS = "http://www.w3.org/2000/svg"
MASK_PATTERN = 2
QUIET_ZONE = 4


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR module matrix for ``data`` (error correction M, quiet zone included), dark = True."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE, mask_pattern=MASK_PATTERN)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def _path(matrix: list[list[bool]]) -> str:
    parts = []
    for y, row in enumerate(matrix):
        x, width = 0, len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                parts.append(f"M{start},{y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
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

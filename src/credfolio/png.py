"""PNG badge images: the default badge design (``catalog/badge.svg``) drawn as a raster image with Pillow.

A baked PNG needs a real PNG of the badge. Rasterising arbitrary SVG needs a native library (cairo,
resvg), so instead the default design — district colours, issuer, the title on up to four lines, the
hours — is drawn again here with the same geometry, at 2x for sharp display. Pillow's bundled scalable
font (``ImageFont.load_default(size=…)``, Pillow >= 10.1) keeps the output independent of the fonts
installed on the build machine. A district that supplies its own PNG badge image gets that image
baked instead (see :mod:`credfolio.pages`).
"""

from __future__ import annotations

import io
import textwrap
from decimal import Decimal

from credfolio.errors import SiteError
from credfolio.render import format_hours

#: Drawing scale over the SVG's 240×240 user units.
SCALE = 2
_SIZE = 240


def title_layout(title: str) -> tuple[list[str], int]:
    """``(lines, font_size)`` of a badge title, as the SVG badge lays it out (large type when it fits)."""
    for width, max_lines, font_size in ((13, 3, 21), (15, 3, 19), (19, 4, 16)):
        lines = textwrap.wrap(title, width=width) or [title]
        if len(lines) <= max_lines and max(len(line) for line in lines) <= width:
            return lines, font_size
    lines = textwrap.wrap(title, width=19, break_long_words=True) or [title]
    if len(lines) > 4:
        lines = lines[:4]
        lines[-1] = lines[-1][:18].rstrip() + "…"
    return lines, 16


def badge_png(*, title: str, hours: float | Decimal, issuer: str, colors: dict[str, str]) -> bytes:
    """Draw the default badge as PNG bytes.

    ``colors`` holds ``primary``, ``accent``, ``primary_text`` and ``accent_text`` (``#rrggbb``);
    ``issuer`` is the short district name (upper-cased here, cut at 26 characters like the SVG).
    """
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:  # pragma: no cover - Pillow is a dependency
        raise SiteError("baked PNG badges need Pillow: pip install 'pillow>=10.1'") from None

    def font(size: float):
        return ImageFont.load_default(size=size * SCALE)

    def at(value: float) -> float:
        return value * SCALE

    image = Image.new("RGBA", (_SIZE * SCALE, _SIZE * SCALE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse([at(2), at(2), at(238), at(238)], fill=colors["primary"])
    ring = _blend(colors["primary_text"], colors["primary"], 0.45)
    draw.ellipse([at(14), at(14), at(226), at(226)], outline=ring, width=2 * SCALE)

    issuer = issuer.upper()
    if len(issuer) > 26:
        issuer = issuer[:25].rstrip() + "…"
    draw.text((at(120), at(62)), issuer, font=font(12), fill=colors["primary_text"], anchor="ms")

    lines, font_size = title_layout(title)
    line_height = font_size + 4
    baseline = 118 - (len(lines) - 1) * line_height / 2 + font_size / 3
    title_font = font(font_size)
    for index, line in enumerate(lines):
        draw.text((at(120), at(baseline + index * line_height)), line, font=title_font, fill=colors["primary_text"], anchor="ms")

    draw.rounded_rectangle([at(50), at(162), at(190), at(194)], radius=at(16), fill=colors["accent"])
    draw.text((at(120), at(183)), f"{format_hours(hours)} HOURS", font=font(14), fill=colors["accent_text"], anchor="ms")

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _blend(color: str, background: str, opacity: float) -> str:
    """``color`` at ``opacity`` over ``background`` (both ``#rrggbb``)."""
    channels = []
    for i in (1, 3, 5):
        top, bottom = int(color[i : i + 2], 16), int(background[i : i + 2], 16)
        channels.append(round(top * opacity + bottom * (1 - opacity)))
    return "#" + "".join(f"{c:02x}" for c in channels)

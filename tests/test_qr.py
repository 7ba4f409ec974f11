"""QR codes as accessible inline SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import qrcode
import qrcode.constants

from credfolio.qr import MASK_PATTERN, SVG_NS, qr_matrix, qr_svg

URL = "https://riverbend-usd.github.io/micro-credentials/catalog/talk-moves/"


def test_qr_svg_is_an_accessible_inline_image():
    svg = qr_svg(URL, title="QR code linking to the page", element_id="qr")
    assert not svg.startswith("<?xml")
    root = ET.fromstring(svg)
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "qr-title"
    assert root.get("width") is None and root.get("height") is None and root.get("viewBox")
    title = root.find(f"{{{SVG_NS}}}title")
    assert title is not None and title.get("id") == "qr-title" and title.text == "QR code linking to the page"
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert ids == ["qr", "qr-title"]


def _drawn_matrix(svg: str) -> list[list[bool]]:
    root = ET.fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    grid = [[False] * size for _ in range(size)]
    for x, y, width in re.findall(r"M(\d+),(\d+)h(\d+)v1h-\3z", root.find(f"{{{SVG_NS}}}path").get("d")):
        for column in range(int(x), int(x) + int(width)):
            grid[int(y)][column] = True
    return grid


def test_qr_svg_draws_exactly_the_qrcode_matrix():
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, mask_pattern=MASK_PATTERN)
    code.add_data(URL)
    code.make(fit=True)
    expected = [list(row) for row in code.get_matrix()]
    assert _drawn_matrix(qr_svg(URL, title="t")) == expected
    assert qr_matrix(URL) == code.get_matrix()


def test_qr_svg_has_a_quiet_zone_and_a_white_background():
    root = ET.fromstring(qr_svg(URL, title="t"))
    grid = _drawn_matrix(qr_svg(URL, title="t"))
    assert not any(grid[0]) and not any(row[0] for row in grid)
    background = root.find(f"{{{SVG_NS}}}rect")
    assert background.get("fill") == "#ffffff"


def test_qr_svg_escapes_its_title():
    svg = qr_svg(URL, title='<script>alert(1)</script>"')
    assert "<script>" not in svg
    assert ET.fromstring(svg).find(f"{{{SVG_NS}}}title").text == '<script>alert(1)</script>"'


@pytest.mark.parametrize("element_id", ['x" onload="alert(1)', "1starts-with-digit", "", "has space"],
                         ids=["attribute breakout", "leading digit", "empty", "space"])
def test_qr_svg_refuses_an_unsafe_element_id(element_id):
    with pytest.raises(ValueError):
        qr_svg(URL, title="t", element_id=element_id)


def _reference_matrix(data: str) -> list[list[bool]]:
    """The matrix straight from the qrcode package (what qr_matrix must reproduce, faster)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, mask_pattern=MASK_PATTERN)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


@pytest.mark.parametrize("data", [
    URL,
    "https://riverbend.github.io/mc/badges/cd613e30-d8f1-6adf-91b7-584a2265b1f5/",
    "https://x.example/" + "0123456789" * 4,  # a long digit run becomes a numeric segment
    "HTTPS://X.EXAMPLE/ABC DEF 0123456789 ABCDEFGHIJKLMNOPQRSTU",  # an alphanumeric segment
    "Zoë “O’Brien” & Co — ü€𝄞" * 3,
    "x",
    "y" * 1200,  # version 30-something, several blocks of two sizes
], ids=["catalog URL", "badge URL", "numeric run", "alphanumeric run", "non-ASCII", "one byte", "large code"])
def test_qr_matrix_is_the_qrcode_packages_matrix(data):
    assert qr_matrix(data) == _reference_matrix(data)


def test_qr_matrix_matches_qrcode_for_many_badge_urls():
    import random
    import uuid

    rng = random.Random(20261128)
    for _ in range(60):
        url = f"https://district{rng.randrange(100)}.github.io/mc/badges/{uuid.UUID(int=rng.getrandbits(128))}/"
        assert qr_matrix(url) == _reference_matrix(url), url

"""QR codes as accessible inline SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import qrcode

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

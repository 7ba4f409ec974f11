"""QR codes as accessible inline SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import qrcode

from credfolio.qr import SVG_NS, qr_svg

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


def test_qr_svg_encodes_the_data_with_the_qrcode_matrix():
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(URL)
    code.make(fit=True)
    size = len(code.get_matrix())
    root = ET.fromstring(qr_svg(URL, title="t"))
    assert root.get("viewBox") == f"0 0 {size} {size}"
    dark_modules = sum(row.count(True) for row in code.get_matrix())
    path = root.find(f"{{{SVG_NS}}}path")
    assert path is not None and path.get("d").count("z") == dark_modules


def test_qr_svg_escapes_its_title():
    svg = qr_svg(URL, title='<script>alert(1)</script>"')
    assert "<script>" not in svg
    assert ET.fromstring(svg).find(f"{{{SVG_NS}}}title").text == '<script>alert(1)</script>"'


@pytest.mark.parametrize("element_id", ['x" onload="alert(1)', "1starts-with-digit", "", "has space"],
                         ids=["attribute breakout", "leading digit", "empty", "space"])
def test_qr_svg_refuses_an_unsafe_element_id(element_id):
    with pytest.raises(ValueError):
        qr_svg(URL, title="t", element_id=element_id)

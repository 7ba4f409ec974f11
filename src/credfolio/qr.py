"""QR codes as accessible inline SVG (no images to fetch, crisp in print).

The matrix comes from the ``qrcode`` package's SVG path factory; this module only makes the result fit
to inline in HTML: no XML declaration, no fixed millimetre size (CSS sizes it), no duplicate ids, and a
``<title>`` so screen readers announce what the code points to.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import qrcode
import qrcode.constants
import qrcode.image.svg

SVG_NS = "http://www.w3.org/2000/svg"


def qr_svg(data: str, *, title: str, element_id: str = "qr", css_class: str = "cf-qr") -> str:
    """Return an inline ``<svg role="img">`` QR code for ``data`` with ``title`` as its accessible name.

    ``element_id`` must be unique on the page; it prefixes the id of the ``<title>`` element.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", element_id):
        raise ValueError(f"element_id must be a simple HTML id, got {element_id!r}")
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image()
    root = ET.fromstring(image.to_string(encoding="unicode"))
    for attribute in ("width", "height"):
        root.attrib.pop(attribute, None)
    title_id = f"{element_id}-title"
    root.set("id", element_id)
    root.set("class", css_class)
    root.set("role", "img")
    root.set("aria-labelledby", title_id)
    root.set("focusable", "false")
    for element in root.iter():
        if element is not root:
            element.attrib.pop("id", None)
    title_element = ET.Element(f"{{{SVG_NS}}}title", {"id": title_id})
    title_element.text = title
    # A white quiet zone of its own, so the code stays scannable on a dark colour scheme.
    background = ET.Element(f"{{{SVG_NS}}}rect", {"width": "100%", "height": "100%", "fill": "#ffffff"})
    root.insert(0, background)
    root.insert(0, title_element)
    ET.register_namespace("", SVG_NS)
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)

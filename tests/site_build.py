"""Builders for catalog-site tests: MkDocs builds of the sample district and of small test districts.

The sample site (the repository root) is built once per test session (:func:`sample_site`) and shared
by every module that asserts on it, so the suite stays fast.
"""

from __future__ import annotations

import atexit
import json
import logging
import shutil
import tempfile
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml
from district_factory import CREDENTIAL_YML, REPO_ROOT, make_district

HOOK_FILE = REPO_ROOT / "hooks" / "credfolio.py"
OVERRIDES = REPO_ROOT / "overrides"

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>'
JS_LINK = "[click me](javascript:alert(1))"
PAYLOAD = SCRIPT + ATTRIBUTE_BREAKOUT


def build(config_file: Path, site_dir: Path) -> Path:
    """Run ``mkdocs build`` for ``config_file`` into ``site_dir`` (in-process, quiet)."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    config = load_config(config_file=str(config_file), site_dir=str(site_dir))
    mkdocs_build(config)
    return site_dir


@cache
def sample_site() -> Path:
    """The sample district (repository root) built once per session into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="credfolio-sample-site-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return build(REPO_ROOT / "mkdocs.yml", folder / "site")


def district_mkdocs_yml(*, name: str = "Testville School District", short_name: str | None = None) -> str:
    """mkdocs.yml of a test district wired to the repository's hooks and theme overrides."""
    settings: dict[str, Any] = {"format": 1, "name": name, "contact_email": "pl@testville.example"}
    if short_name:
        settings["short_name"] = short_name
    config = {
        "site_name": "Testville Schools Micro-credentials",
        "site_url": "https://testville.github.io/mc/",
        "strict": True,
        "theme": {"name": "material", "custom_dir": str(OVERRIDES), "font": False,
                  "palette": [{"scheme": "default", "primary": "custom", "accent": "custom"}]},
        "hooks": [str(HOOK_FILE)],
        "plugins": ["search"],
        "extra": {"credfolio": settings},
    }
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def build_district(root: Path, **district_options: Any) -> tuple[Path, Path]:
    """Make a test district (see ``make_district``), build it, return ``(district_root, site_dir)``."""
    mkdocs_options = {key: district_options.pop(key) for key in ("name", "short_name") if key in district_options}
    make_district(root, mkdocs_yml=district_mkdocs_yml(**mkdocs_options), **district_options)
    (root / "docs").mkdir(exist_ok=True)
    if not (root / "docs" / "index.md").exists():
        (root / "docs" / "index.md").write_text("# Testville micro-credentials\n", encoding="utf-8")
    site_dir = root / "site"
    build(root / "mkdocs.yml", site_dir)
    return root, site_dir


def hostile_credential(credential_id: str, *, status: str = "active") -> str:
    """A valid credential whose every free-text field carries an XSS payload (YAML text)."""
    base = yaml.safe_load(CREDENTIAL_YML.format(id=credential_id, status=status, title_suffix="x"))
    md = PAYLOAD + " " + JS_LINK
    base.update(
        {
            "title": "T " + PAYLOAD,
            "summary": "S " + PAYLOAD,
            "alt_text": "A " + PAYLOAD,
            "competency": "C " + PAYLOAD,
            "key_method": "K " + md,
            "method_components": [{"title": "MC " + PAYLOAD, "description": "MD " + md}],
            "research": {"rationale": "R " + md, "citations": [{"text": "Cite " + PAYLOAD, "url": "https://doi.org/10.1/x"}]},
            "resources": [{"title": "Res " + PAYLOAD, "url": "https://example.org/r", "kind": "article", "description": "RD " + PAYLOAD}],
            "hours": 7.5,
            "cost": {"amount": 25, "currency": "USD", "note": "N " + PAYLOAD},
            "eligibility": {"roles": ["Role " + PAYLOAD], "requires_students": True, "note": "E " + PAYLOAD},
            "subjects": ["Subj " + PAYLOAD],
            "alignments": [{"framework": "F " + PAYLOAD, "code": "<b>1</b>", "name": "AN " + PAYLOAD, "url": "https://example.org/std"}],
            "provider": {"name": "P " + PAYLOAD, "url": "https://example.org/p"},
            "credit": [{"authority": "Auth " + PAYLOAD, "note": "CN " + PAYLOAD}],
            "tags": [SCRIPT, ATTRIBUTE_BREAKOUT],
            "expires_after": "P2Y",
        }
    )
    submission = base["submission"]
    submission["overview"][0]["prompt"] = "Q " + PAYLOAD
    artifact = submission["artifacts"][0]
    artifact.update({"title": "Art " + PAYLOAD, "description": "AD " + md, "format": "Fmt " + PAYLOAD})
    submission["reflection"][0]["prompt"] = "Refl " + PAYLOAD
    rubric = base["rubric"]
    for index, level in enumerate(rubric["levels"]):
        level["name"] = f"L{index} " + PAYLOAD
        level["description"] = "LD " + PAYLOAD
    for row in rubric["rows"]:
        row["criterion"] = "Crit " + PAYLOAD
        row["descriptors"] = {key: "D " + PAYLOAD for key in row["descriptors"]}
    return yaml.safe_dump(base, sort_keys=False, allow_unicode=True)


def hostile_stacks(credential_ids: list[str]) -> str:
    """stacks.yml whose text fields carry the payload."""
    return yaml.safe_dump(
        {
            "format": 1,
            "stacks": [
                {
                    "id": "hostile",
                    "title": "Stack " + PAYLOAD,
                    "description": "SD " + PAYLOAD + " " + JS_LINK,
                    "credentials": credential_ids[:-1],
                    "capstone": credential_ids[-1],
                    "earns": {"title": "Earns " + PAYLOAD, "description": "ED " + PAYLOAD, "badge": True, "credit": "Cr " + PAYLOAD},
                }
            ],
        },
        sort_keys=False,
        allow_unicode=True,
    )


class Element:
    """A parsed HTML element: tag, attributes, text content and children."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element] = []
        self.text_parts: list[str] = []

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts + [child.text for child in self.children]).split())

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        return [
            element for element in self.iter()
            if element.tag == tag and all(element.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
        "path", "rect", "circle", "line", "stop"}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.text_parts.append(data)


def parse_html(text: str) -> Element:
    """Parse HTML into a small element tree (good enough for assertions on generated pages)."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def page(site_dir: Path, path: str) -> Element:
    """Parse ``site_dir/<path>/index.html``."""
    return parse_html((site_dir / path / "index.html").read_text(encoding="utf-8"))


def content(site_dir: Path, path: str) -> Element:
    """The page's main content (Material's article), parsed."""
    root = page(site_dir, path)
    articles = [element for element in root.iter() if element.tag == "article" and element.has_class("md-content__inner")]
    assert articles, f"no content article in {path}"
    return articles[0]


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))

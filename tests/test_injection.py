"""Injection: a whole district whose every staff-, teacher- and CSV-supplied string is hostile builds inert.

One module-scoped district carries the payloads below in every text field of its catalog (credentials
and stacks), its config (district name, short name, description), its teacher files (display name,
school, role), the evidence of its badges (names and descriptions), the reasons of a revocation and a
suspension, and a stack badge built from them. The site is built with MkDocs and every generated file is
parsed: no payload becomes an element, an event-handler attribute, a ``javascript:`` link, a second
script in a JSON data block, a comment or CDATA break-out in SVG, or an evaluated template expression;
baked PNG and SVG images still carry the exact signed credential. URL fields refuse non-https schemes at
load time (parametrized over fields × hostile URLs).
"""

from __future__ import annotations

import json
import re
import shutil
import zlib
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from district_factory import CREDENTIAL_YML, STACKS_YML, credential_yaml, make_district
from lxml import etree
from site_build import build, district_mkdocs_yml, parse_html

from credfolio import baking, issuance
from credfolio.catalog import load_catalog
from credfolio.config import load_district
from credfolio.errors import CredfolioError
from credfolio.keys import KeyStore
from credfolio.wallet import TeacherProfile, WalletConsent, write_teacher

#: 123456789 × 9: if a template ever evaluates catalog text, this number appears in the output.
EVALUATED = "1111111101"

#: One payload per injection technique (name → text). Every free-text field gets all of them.
PAYLOADS = {
    "script element": "<script>alert(1)</script>",
    "attribute breakout": '"><img src=x onerror=alert(1)>',
    "single-quote breakout": "'><svg onload=alert(1)>",
    "backtick": "`${alert(1)}`",
    "javascript url": "javascript:alert(1)",
    "closing script in JSON": "</script><script>alert(1)</script>",
    "CDATA end": "]]><script>alert(1)</script>",
    "comment": "<!-- --><iframe src=javascript:alert(1)>",
    "jinja": "{{ 123456789 * 9 }}{% if true %}JINJA-RAN{% endif %}",
    "markdown js link": "[md link](javascript:alert(1))",
    "markdown raw html": '<a href="javascript:alert(1)">raw</a><object data=x></object>',
    "rtl override": "\u202egpj.exe",
}
HOSTILE = " ".join(PAYLOADS.values())
#: Teacher names, schools and roles refuse ``<`` and ``>`` and control characters; what is left of each payload.
NAME_SAFE = " ".join(text.replace("<", "").replace(">", "") for text in PAYLOADS.values())

#: Credential fields that are identifiers, enumerations or URLs (validated, not free text).
_NOT_TEXT = {"id", "version", "status", "url", "kind", "currency", "minimum_level", "rubric_rows", "grade_bands",
             "word_limit", "points", "amount", "hours", "expires_after", "requires_students", "code",
             "credentials", "capstone", "badge"}

#: The config's e-mail pattern refuses quotes, angle brackets and ?; what it lets through (&, +, /, =, {}) pages must escape.
HOSTILE_EMAIL = "pl&+x/={}~@testville.example"

#: Bidirectional overrides and isolates, which teacher names refuse (a name must read as it is written).
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"

HOSTILE_URLS = {
    "javascript": "javascript:alert(1)",
    "javascript uppercase": "JAVASCRIPT:alert(1)",
    "javascript with leading space": " javascript:alert(1)",
    "javascript with tab": "java\tscript:alert(1)",
    "data html": "data:text/html,<script>alert(1)</script>",
    "vbscript": "vbscript:msgbox(1)",
    "http": "http://example.org/",
    "protocol-relative": "//evil.example/",
    "https with quote breakout": 'https://example.org/"onmouseover="alert(1)',
    "https with newline": "https://example.org/\r\nSet-Cookie: x=1",
    "https with space": "https://example.org/ onmouseover=alert(1)",
}


# --------------------------------------------------------------------------------------------------
# The hostile district


def _poison(value: Any, key: str | None, payload: str, counter: list[int]) -> Any:
    """Append ``payload`` to every free-text string in a catalog document (counts the fields)."""
    if isinstance(value, dict):
        return {k: (v if k in _NOT_TEXT else _poison(v, k, payload, counter)) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(item, key, payload, counter) for item in value]
    if isinstance(value, str) and key not in _NOT_TEXT:
        counter[0] += 1
        return payload[:40] if key == "tags" else value[:2] + " " + payload
    return value


def credential_id(number: int) -> str:
    return f"hostile-{number:02d}"


def hostile_credential_yaml(number: int, payload: str, counter: list[int]) -> str:
    """A valid credential with every optional text field present, ``payload`` in each of them."""
    document = yaml.safe_load(CREDENTIAL_YML.format(id=credential_id(number), status="active", title_suffix="x"))
    document.update({
        "cost": {"amount": 25, "currency": "USD", "note": "Fee"},
        "eligibility": {"roles": ["Teacher"], "requires_students": True, "note": "Open to all"},
        "provider": {"name": "Provider", "url": "https://example.org/p"},
        "credit": [{"authority": "State board", "note": "Counts 10 hours"}],
        "tags": ["tag"],
    })
    document["resources"][0]["description"] = "Resource description"
    document["submission"]["artifacts"][0]["format"] = "PDF"
    for level in document["rubric"]["levels"]:
        level["description"] = "Level description"
    poisoned = _poison(document, None, payload, counter)
    poisoned["alignments"][0]["code"] = payload[:40]
    counter[0] += 1
    return yaml.safe_dump(poisoned, sort_keys=False, allow_unicode=True)


def hostile_stacks_yaml(counter: list[int]) -> str:
    """One stack per payload, each of two hostile credentials (stack n: credentials n and n+1)."""
    stacks = []
    for number, payload in enumerate(PAYLOADS.values()):
        stack = {"id": f"stack-{number:02d}", "title": "Stack", "description": "Stack description",
                 "credentials": [credential_id(number), credential_id((number + 1) % len(PAYLOADS))],
                 "earns": {"title": "Earns", "description": "Earns description", "badge": True, "credit": "Credit"}}
        stacks.append(_poison(stack, None, payload, counter))
    return yaml.safe_dump({"format": 1, "stacks": stacks}, sort_keys=False, allow_unicode=True)


def _fit(text: str, limit: int) -> str:
    """As many whole payloads as fit in ``limit`` characters."""
    kept = ""
    for payload in PAYLOADS.values():
        if len(kept) + len(payload) + 1 > limit:
            break
        kept += " " + payload
    return (text + kept)[:limit]


class HostileSite:
    """Where the hostile district and its built site are, and how many placements got a payload."""

    def __init__(self, root: Path, site: Path, placements: int, revoked: list[str], evidence_badge: str) -> None:
        self.root, self.site, self.placements = root, site, placements
        self.revoked, self.evidence_badge = revoked, evidence_badge


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> HostileSite:
    """Payload n goes into credential n, stack n, teacher n, the evidence and the status reason of n's badges."""
    folder = tmp_path_factory.mktemp("injection")
    counter = [0]
    credentials = {credential_id(n): hostile_credential_yaml(n, payload, counter) for n, payload in enumerate(PAYLOADS.values())}
    stacks = hostile_stacks_yaml(counter)
    config = yaml.safe_load(district_mkdocs_yml(name=_fit("District", 120), short_name=_fit("S", 40)))
    config["extra"]["credfolio"].update({"description": ("D " + HOSTILE)[:500], "private_dir": str(folder / "private"),
                                         "contact_email": HOSTILE_EMAIL})
    counter[0] += 3 * len(PAYLOADS)  # name, short name and description carry (some of) every payload
    root = make_district(folder / "district", credentials=credentials, stacks=stacks,
                         mkdocs_yml=yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# Testville micro-credentials\n", encoding="utf-8")
    district = load_district(root)
    catalog = load_catalog(root)
    keys = KeyStore(folder / "keys")
    now = datetime.now(UTC).replace(microsecond=0)
    keys.generate(district.issuer_did, now=now - timedelta(days=400))
    requests = []
    for number, payload in enumerate(PAYLOADS.values()):
        name_safe = re.sub(f"[<>{_BIDI_CONTROLS}]", "", payload)  # teacher files refuse < and > and bidi overrides
        teacher = TeacherProfile(f"hostile-teacher-{number:02d}", f"T{number} {name_safe}", school=f"School {name_safe}",
                                 role=f"Role {name_safe}",
                                 consent=WalletConsent(show_school=True, show_role=True, show_evidence=True, search_engines=True))
        write_teacher(district, teacher)
        evidence = (
            {"id": f"https://example.org/evidence/{number}?q=%22%3E%3Cscript%3E", "name": f"E {payload}",
             "description": f"ED {payload}", "narrative": f"EN {payload}"},
            {"name": f"Unlinked {payload}"},
        )
        for credential in (credential_id(number), credential_id((number + 1) % len(PAYLOADS))):
            definition = catalog.credentials[credential]
            requests.append(issuance.IssueRequest(
                name=teacher.display_name, email=f"t{number}@testville.example", awarded=date.today() - timedelta(days=30),
                credential=credential, scores={row.id: definition.rubric.levels[0].id for row in definition.rubric.rows},
                teacher=teacher.slug, evidence=evidence))
    counter[0] += 8 * len(PAYLOADS)  # teacher name, school, role; 4 evidence texts; a status reason
    report = issuance.issue_requests(district, catalog, keys, requests, now=now - timedelta(days=20))
    by_teacher: dict[str, list[str]] = {}
    for badge in report.issued:
        by_teacher.setdefault(badge.teacher or "", []).append(badge.badge_id)
    revoked = []
    for number, payload in enumerate(PAYLOADS.values()):
        first = by_teacher[f"hostile-teacher-{number:02d}"][0]
        change = issuance.revoke_badge if number % 2 == 0 else issuance.suspend_badge
        change(district, keys, first, reason=f"Changed {payload}", now=now - timedelta(days=10))
        revoked.append(first)
    site = build(root / "mkdocs.yml", folder / "site")
    return HostileSite(root, site, counter[0], revoked, by_teacher["hostile-teacher-00"][1])


# --------------------------------------------------------------------------------------------------
# Checks on what was built

_EXECUTABLE_URL = re.compile(r"^(javascript|vbscript|data|file):", re.IGNORECASE)
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "background", "srcset", "cite"}
_SCRIPT_TYPES = {None, "", "text/javascript", "module", "application/javascript"}
_DATA_TYPES = {"application/json", "application/ld+json"}
_FORBIDDEN_ELEMENTS = {"iframe", "object", "embed", "frame", "frameset", "applet", "base"}


def _scheme_text(url: str) -> str:
    # browsers drop ASCII whitespace and control characters inside a scheme before matching it
    return re.sub(r"[\x00-\x20]", "", unescape(url))


def _allowed_data_url(tag: str, attribute: str, attrs: dict[str, str | None], url: str) -> bool:
    if tag == "img" and attribute == "src" and url.startswith("data:image/"):
        return True
    return tag == "link" and "icon" in (attrs.get("rel") or "") and url == "data:,"


def _site_script(src: str) -> bool:
    """A script element may only load this site's own files (relative URLs, no scheme or host)."""
    parts = urlsplit(src)
    return not parts.scheme and not parts.netloc and parts.path.endswith(".js")


def html_problems(text: str, relative: str) -> list[str]:
    """Every sign that a payload became markup in one HTML page."""
    problems = []
    for element in parse_html(text).iter():
        tag = element.tag
        if tag in _FORBIDDEN_ELEMENTS:
            problems.append(f"{relative}: <{tag}> element")
        for name, value in element.attrs.items():
            if name.startswith("on"):
                problems.append(f"{relative}: <{tag} {name}=…> event handler")
            if name in _URL_ATTRIBUTES and value:
                url = _scheme_text(value)
                if _EXECUTABLE_URL.match(url) and not _allowed_data_url(tag, name, element.attrs, url):
                    problems.append(f"{relative}: <{tag} {name}={value[:40]!r}>")
            if name == "style" and "javascript" in (value or "").lower():
                problems.append(f"{relative}: style attribute with a script URL")
        if tag == "meta" and (element.attrs.get("http-equiv") or "").lower() == "refresh":
            problems.append(f"{relative}: meta refresh")
        if tag == "script":
            kind = element.attrs.get("type")
            body = "".join(element.text_parts)
            if kind in _DATA_TYPES:
                if re.search(r"</script|<!--|<script", body, re.IGNORECASE):
                    problems.append(f"{relative}: a JSON data block can break out of its element")
                try:
                    json.loads(body)
                except ValueError:
                    problems.append(f"{relative}: a JSON data block is not JSON")
            elif kind in _SCRIPT_TYPES:
                src = element.attrs.get("src")
                if src is not None and not _site_script(src):
                    problems.append(f"{relative}: script from {src!r}")
                if "alert(" in body or "JINJA" in body:
                    problems.append(f"{relative}: a payload runs as inline script")
    return problems


def _svg_problems(raw: bytes, relative: str) -> list[str]:
    problems = []
    try:
        tree = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError as error:
        return [f"{relative}: not well-formed XML ({error})"]
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local in ("script", "foreignObject", "iframe", "handler"):
            problems.append(f"{relative}: <{local}> element")
        for name, value in element.attrib.items():
            local_name = etree.QName(name).localname
            if local_name.startswith("on"):
                problems.append(f"{relative}: {local_name} attribute")
            if local_name == "href" and _EXECUTABLE_URL.match(_scheme_text(value)):
                problems.append(f"{relative}: href {value[:40]!r}")
    return problems


def _generated_files(site: Path, *suffixes: str) -> list[Path]:
    return [path for path in sorted(site.rglob("*")) if path.is_file() and path.suffix in suffixes]


def test_every_field_carries_every_payload(hostile):
    # what the report counts: payloads × fields that received them
    fields = hostile.placements // len(PAYLOADS)
    assert hostile.placements == fields * len(PAYLOADS) and fields >= 60
    print(f"\ninjection: {len(PAYLOADS)} payloads × {fields} fields = {hostile.placements} placements")


def test_no_payload_becomes_markup_in_any_html_page(hostile):
    pages = _generated_files(hostile.site, ".html")
    kinds = {path.relative_to(hostile.site).parts[0] for path in pages}
    assert {"catalog", "wallet", "badges", "verify", "program"} <= kinds, kinds
    problems = []
    for path in pages:
        problems += html_problems(path.read_text(encoding="utf-8"), str(path.relative_to(hostile.site)))
    assert problems == []


def test_no_template_ever_evaluates_catalog_or_teacher_text(hostile):
    for path in _generated_files(hostile.site, ".html", ".svg", ".xml", ".json", ".md", ".csv", ".jsonl", ".txt"):
        text = path.read_text(encoding="utf-8")
        assert EVALUATED not in text, path.relative_to(hostile.site)
        for match in re.finditer("JINJA-RAN", text):  # only ever right after its (maybe escaped) {% if %} tag
            assert "%" in text[max(0, match.start() - 30):match.start()], path.relative_to(hostile.site)


def test_the_payloads_reached_the_pages_as_text(hostile):
    """The suite is not vacuous: the hostile strings are on the pages, as text."""
    for number, payload in enumerate(PAYLOADS.values()):
        wallet = hostile.site / "wallet" / f"hostile-teacher-{number:02d}" / "index.html"
        assert payload.replace("<", "").replace(">", "") in parse_html(wallet.read_text(encoding="utf-8")).text, number
        credential = hostile.site / "catalog" / credential_id(number) / "index.html"
        page_text = parse_html(credential.read_text(encoding="utf-8")).text
        if "markdown" not in next(iter(k for k, v in PAYLOADS.items() if v == payload)):
            assert " ".join(payload.split()) in page_text, number
        changed = parse_html((hostile.site / "badges" / hostile.revoked[number] / "index.html").read_text(encoding="utf-8")).text
        assert "Changed " + " ".join(payload.split()) in changed, number
    evidence = parse_html((hostile.site / "badges" / hostile.evidence_badge / "index.html").read_text(encoding="utf-8")).text
    assert "E <script>alert(1)</script>" in evidence


def test_svg_images_and_the_sitemap_are_well_formed_and_inert(hostile):
    files = _generated_files(hostile.site, ".svg", ".xml")
    assert any(path.parent.name == "badges" for path in files), "no baked SVG badge was published"
    problems = []
    for path in files:
        problems += _svg_problems(path.read_bytes(), str(path.relative_to(hostile.site)))
    assert problems == []


def test_baked_svg_and_png_carry_the_exact_signed_credential(hostile):
    badges = hostile.site / "badges"
    baked = 0
    for json_path in sorted(badges.glob("*.json")):
        signed = json.loads(json_path.read_text(encoding="utf-8"))
        svg = json_path.with_suffix(".svg")
        png = json_path.with_suffix(".png")
        if not svg.exists():
            continue
        assert json.loads(baking.extract_svg(svg.read_bytes())) == signed
        assert json.loads(baking.extract_png(png.read_bytes())) == signed
        _assert_png_chunks_valid(png.read_bytes())
        baked += 1
    assert baked >= 4


def _assert_png_chunks_valid(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, kinds = 8, []
    while offset < len(data):
        length = int.from_bytes(data[offset:offset + 4], "big")
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        crc = int.from_bytes(data[offset + 8 + length:offset + 12 + length], "big")
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"iTXt":
            keyword, _, rest = body.partition(b"\x00")
            assert keyword == b"openbadgecredential" and rest[:2] == b"\x00\x00"  # uncompressed
            rest[2:].split(b"\x00", 2)[2].decode("utf-8")  # language and translated keyword, then UTF-8 text
        kinds.append(kind)
        offset += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and kinds.count(b"iTXt") == 1


def test_share_links_are_well_formed_urls(hostile):
    for page in sorted((hostile.site / "badges").glob("*/index.html")):
        for element in parse_html(page.read_text(encoding="utf-8")).iter():
            href = element.attrs.get("href") if element.tag == "a" else None
            if not href or href.startswith(("#", "../", "certificate/")):
                continue
            assert not re.search(r"[\s<>\"'`\u202e]", href), (page.parent.name, href[:80])
            assert urlsplit(href).scheme in ("https", "mailto", ""), href[:80]


def test_the_search_index_and_json_exports_stay_data(hostile):
    for path in _generated_files(hostile.site, ".json"):
        json.loads(path.read_text(encoding="utf-8"))  # still JSON, whatever the text inside
    index = json.loads((hostile.site / "search" / "search_index.json").read_text(encoding="utf-8"))
    for doc in index["docs"]:
        for field in ("title", "text"):
            assert "<script" not in doc[field] and "<img" not in doc[field] and "<iframe" not in doc[field], doc["location"]


# --------------------------------------------------------------------------------------------------
# URL fields refuse anything but https


def _set_url(document: dict[str, Any], field: str, url: str) -> None:
    if field == "resources":
        document["resources"][0]["url"] = url
    elif field == "research citation":
        document["research"]["citations"][0]["url"] = url
    elif field == "alignment":
        document["alignments"][0]["url"] = url
    elif field == "provider":
        document["provider"] = {"name": "Provider", "url": url}


URL_FIELDS = ("resources", "research citation", "alignment", "provider")


@pytest.mark.parametrize("url", HOSTILE_URLS.values(), ids=HOSTILE_URLS.keys())
@pytest.mark.parametrize("field", URL_FIELDS)
def test_catalog_url_fields_refuse_non_https_urls(tmp_path, field, url):
    document = yaml.safe_load(credential_yaml("wait-time"))
    _set_url(document, field, url)
    make_district(tmp_path, credentials={"wait-time": yaml.safe_dump(document, allow_unicode=True)}, stacks=None)
    with pytest.raises(CredfolioError) as raised:
        load_catalog(tmp_path)
    assert "url" in str(raised.value)


@pytest.mark.parametrize("url", HOSTILE_URLS.values(), ids=HOSTILE_URLS.keys())
def test_evidence_links_refuse_non_https_urls(tmp_path, url):
    from credfolio.credential import _checked_evidence

    if url.startswith("data:"):
        pytest.skip("data: evidence (an embedded file) is allowed in the credential; pages never link it")
    with pytest.raises(CredfolioError):
        _checked_evidence(0, {"id": url, "name": "Video"})


@pytest.mark.parametrize("field", ["contact_email", "logo", "linkedin_organization_id"])
@pytest.mark.parametrize("value", [pytest.param('x"@y.org"><script>', id="breakout"), pytest.param("javascript:alert(1)", id="javascript"),
                                   pytest.param("../../etc/passwd.png\n<script>", id="path and newline")])
def test_config_link_fields_refuse_hostile_values(tmp_path, field, value):
    config = yaml.safe_load(district_mkdocs_yml())
    config["extra"]["credfolio"][field] = value
    make_district(tmp_path, mkdocs_yml=yaml.safe_dump(config, allow_unicode=True))
    with pytest.raises(CredfolioError):
        load_district(tmp_path)


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_teacher_names_with_markup_are_refused_or_kept_as_text(tmp_path, payload):
    from credfolio.wallet import TeacherFile

    data = {"format": 1, "slug": "t", "display_name": "Ana " + payload}
    if re.search(f"[<>{_BIDI_CONTROLS}]", payload):
        with pytest.raises(Exception):
            TeacherFile.model_validate(data)
    else:
        assert TeacherFile.model_validate(data).display_name == ("Ana " + payload).strip()

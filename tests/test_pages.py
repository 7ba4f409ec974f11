"""Wallet, badge, certificate and program pages of the built sample site, and privacy on a copied district."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from markupsafe import escape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import qrcode
import qrcode.constants
import yaml
from district_factory import REPO_ROOT
from site_build import build, page, sample_site

from credfolio import baking, pages
from credfolio.render import format_hours
from credfolio.config import load_district
from credfolio.qr import MASK_PATTERN, QUIET_ZONE, SVG_NS
from credfolio.resolve import SiteResolver
from credfolio.verify import verify_credential
from credfolio.wallet import load_teachers, public_badges

NOW = datetime.now(UTC)


@cache
def district():
    return load_district(REPO_ROOT)


@cache
def badges():
    return public_badges(district(), now=NOW)


def badge_html(badge_id: str) -> str:
    return (sample_site() / "badges" / badge_id / "index.html").read_text(encoding="utf-8")


def test_every_opted_in_teacher_has_a_wallet_page():
    site = sample_site()
    teachers = load_teachers(district())
    assert len(teachers) == 7
    for slug, teacher in teachers.items():
        html = (site / "wallet" / slug / "index.html").read_text(encoding="utf-8")
        assert f"<h1><bdi>{escape(teacher.display_name)}</bdi></h1>" in html
        robots = "index, follow" if teacher.consent.search_engines else "noindex, nofollow"
        assert f'<meta name="robots" content="{robots}">' in html
        assert (site / "wallet" / slug / "transcript.csv").is_file()


def test_school_and_role_only_with_consent():
    site = sample_site()
    for slug, teacher in load_teachers(district()).items():
        html = (site / "wallet" / slug / "index.html").read_text(encoding="utf-8")
        if teacher.school:
            assert (teacher.school in html) == teacher.consent.show_school, slug
        if teacher.role:
            assert (teacher.role in html) == teacher.consent.show_role, slug


def test_every_public_badge_has_a_page_certificate_json_png_and_svg():
    site = sample_site()
    assert len(badges()) >= 15
    for badge in badges():
        badge_id = badge.entry.badge_id
        for relative in (f"{badge_id}/index.html", f"{badge_id}/certificate/index.html", f"{badge_id}.json",
                         f"{badge_id}.png", f"{badge_id}.svg"):
            assert (site / "badges" / relative).is_file(), relative


def test_pages_are_standalone_with_a_strict_content_security_policy():
    site = sample_site()
    for path in [*site.glob("badges/*/index.html"), *site.glob("wallet/*/index.html"), site / "program" / "index.html"]:
        html = path.read_text(encoding="utf-8")
        policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
        assert "default-src &#39;self&#39;" in policy and "unsafe" not in policy
        assert "md-" not in html  # no theme markup
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html), path  # no inline script
        assert " style=" not in html
        for url in re.findall(r'(?:src|href)="(https?://[^"]+)"', html):
            assert url.startswith(district().site_url) or "<link" not in url, url
        assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="https?://(?!riverbend-usd\.github\.io)', html), path


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_baked_images_extract_to_the_badge_json_and_verify(kind):
    site = sample_site()
    resolver = SiteResolver(site, district().site_url)
    for badge in badges():
        badge_id = badge.entry.badge_id
        published = (site / "badges" / f"{badge_id}.json").read_text(encoding="utf-8")
        extracted = baking.extract_credential((site / "badges" / f"{badge_id}.{kind}").read_bytes())
        assert extracted == published
        assert json.loads(extracted) == badge.document
        result = verify_credential(extracted, now=NOW, resolver=resolver)
        assert result.state not in ("failed", "unknown-status"), (badge_id, result.to_json())
        assert result.check("proof").ok is True and result.check("issuer_key").ok is True


def test_the_baked_png_is_a_real_image():
    from PIL import Image

    site = sample_site()
    badge_id = badges()[0].entry.badge_id
    with Image.open(site / "badges" / f"{badge_id}.png") as image:
        assert image.size == (480, 480)
        image.verify()


def _drawn_matrix(svg: str) -> list[list[bool]]:
    root = ET.fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    grid = [[False] * size for _ in range(size)]
    for x, y, width in re.findall(r"M(\d+),(\d+)h(\d+)v1h-\3z", root.find(f"{{{SVG_NS}}}path").get("d")):
        for column in range(int(x), int(x) + int(width)):
            grid[int(y)][column] = True
    return grid


def test_qr_code_encodes_the_badge_page_url():
    for badge in badges():
        badge_id = badge.entry.badge_id
        url = district().url(f"badges/{badge_id}/")
        html = badge_html(badge_id)
        svg = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="[^"]+" id="qr".*?</svg>', html, re.DOTALL).group(0)
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE, mask_pattern=MASK_PATTERN)
        code.add_data(url)
        code.make(fit=True)
        assert _drawn_matrix(svg) == code.get_matrix()
        assert f">{url}</a>" in html  # the URL in text beside it
        certificate = (sample_site() / "badges" / badge_id / "certificate" / "index.html").read_text(encoding="utf-8")
        assert url in certificate and 'id="qr"' in certificate


def test_badge_page_links_linkedin_verify_downloads_and_open_graph():
    badge = next(b for b in badges() if b.state == "active" and b.entry.credential)
    badge_id = badge.entry.badge_id
    root = page(sample_site(), f"badges/{badge_id}")
    metas = {m.attrs.get("property"): m.attrs.get("content") for m in root.find_all("meta") if m.attrs.get("property")}
    assert metas["og:url"] == district().url(f"badges/{badge_id}/")
    assert metas["og:image"] == district().url(f"badges/{badge_id}.png")
    assert metas["og:title"] and metas["og:description"]
    links = [a.attrs.get("href") for a in root.find_all("a")]
    linkedin = next(href for href in links if href and href.startswith("https://www.linkedin.com/profile/add?"))
    params = {key: values[0] for key, values in parse_qs(urlsplit(linkedin).query).items()}
    assert params["certUrl"] == district().url(f"badges/{badge_id}/")
    assert params["certId"] == badge_id
    assert params["organizationName"] == district().name
    assert params["issueYear"] == str(badge.entry.awarded.year) and params["issueMonth"] == str(badge.entry.awarded.month)
    assert f"../{badge_id}.json" in links and f"../{badge_id}.png" in links and f"../{badge_id}.svg" in links
    assert "certificate/" in links
    verify = next(href for href in links if href and href.startswith("../../verify/?"))
    assert parse_qs(urlsplit(verify).query)["url"] == [district().url(f"badges/{badge_id}.json")]
    assert any(href and href.startswith("mailto:?") for href in links)
    assert 'data-credfolio-verifier="panel"' in badge_html(badge_id)


def test_revoked_badge_says_so_with_its_reason():
    revoked = [b for b in badges() if b.state == "revoked"]
    assert revoked
    for badge in revoked:
        html = badge_html(badge.entry.badge_id)
        assert "This badge has been revoked" in html
        reason = badge.entry.revoked.get("reason")
        if reason:
            assert f"<strong>Reason:</strong> {reason}" in html.replace("&#39;", "'")
        assert "linkedin.com" not in html


@pytest.mark.parametrize("state, banner", [("suspended", "This badge is suspended"), ("expired", "This badge has expired")])
def test_suspended_and_expired_badges_say_so(state, banner):
    chosen = [b for b in badges() if b.state == state]
    if not chosen:
        pytest.skip(f"the sample wallet has no {state} badge as of today")
    for badge in chosen:
        assert banner in badge_html(badge.entry.badge_id)


def test_transcript_hours_add_up():
    site = sample_site()
    catalog_hours = {}
    from credfolio.catalog import load_catalog

    catalog = load_catalog(REPO_ROOT)
    for slug in load_teachers(district()):
        rows = list(csv.reader(io.StringIO((site / "wallet" / slug / "transcript.csv").read_text(encoding="utf-8"))))
        header, body, total = rows[0], rows[1:-1], rows[-1]
        assert header[:5] == ["credential", "hours", "awarded", "state", "counted"]
        counted = sum((Decimal(row[1]) for row in body if row[4] == "yes"), Decimal(0))
        assert Decimal(total[1]) == counted
        expected = sum(
            (Decimal(str(catalog.credentials[b.entry.credential].hours)) for b in public_badges(district(), now=NOW, teacher=slug)
             if b.entry.credential and b.state in ("active", "expired")),
            Decimal(0),
        )
        assert counted == expected, slug
        html = (site / "wallet" / slug / "index.html").read_text(encoding="utf-8")
        assert f"<td class=\"cf-num\" data-cf-total>{format_hours(counted)}</td>" in html
        catalog_hours[slug] = counted
    assert any(catalog_hours.values())


def test_wallet_shows_pathway_progress_with_the_next_step():
    html = (sample_site() / "wallet" / "aisha-bello" / "index.html").read_text(encoding="utf-8")
    assert "Pathway progress" in html and "Teacher Leadership" in html
    assert re.search(r'Next step: <a href="\.\./\.\./catalog/[a-z0-9-]+/">', html)


def test_program_page_suppresses_small_counts_and_has_a_csv():
    site = sample_site()
    html = (site / "program" / "index.html").read_text(encoding="utf-8")
    assert "fewer than 5" in html and "<svg" in html
    rows = list(csv.reader(io.StringIO((site / "program" / "program.csv").read_text(encoding="utf-8"))))
    assert rows[0] == ["chart", "group", "value"]
    for _chart, _group, value in rows[1:]:
        assert value == "fewer than 5" or Decimal(value) >= 5 or Decimal(value) == 0
    for teacher in load_teachers(district()).values():
        assert teacher.display_name not in html


def test_school_year_runs_july_to_june():
    assert pages.school_year(date(2025, 7, 1)) == "2025–26"
    assert pages.school_year(date(2026, 6, 30)) == "2025–26"


@pytest.mark.parametrize("value, cell", [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("@x", "'@x"), ("Talk moves", "Talk moves")])
def test_csv_cells_cannot_become_formulas(value, cell):
    assert pages.csv_cell(value) == cell


def test_no_email_address_in_any_generated_page():
    site = sample_site()
    for path in [*site.glob("wallet/**/*"), *site.glob("badges/*/**/*.html"), *site.glob("program/*")]:
        if path.is_file():
            assert not re.search(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]", path.read_text(encoding="utf-8")), path


# --- privacy and escaping on a copied district -----------------------------------------------------------------

HOSTILE_NAME = "Zoë \"O'Brien\" & Co onmouseover=alert(1) {{ 7*7 }}"


@cache
def altered_site() -> tuple[Path, str, list[str]]:
    """A copy of the sample district where one teacher withdrew consent and another has a hostile display name."""
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="credfolio-pages-")) / "district"
    for name in ("catalog", "wallet", "docs", "hooks", "overrides"):
        if (REPO_ROOT / name).exists():
            shutil.copytree(REPO_ROOT / name, root / name)
    shutil.copy(REPO_ROOT / "mkdocs.yml", root / "mkdocs.yml")
    teachers = root / "wallet" / "teachers"
    withdrawn = teachers / "darnell-washington.yml"
    data = yaml.safe_load(withdrawn.read_text(encoding="utf-8"))
    data["consent"]["wallet_page"] = False
    withdrawn.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    hostile = teachers / "priya-raghunathan.yml"
    data = yaml.safe_load(hostile.read_text(encoding="utf-8"))
    data["display_name"] = HOSTILE_NAME
    hostile.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    withdrawn_badges = [json.loads(p.read_text())["id"][9:] for p in (root / "wallet" / "badges").glob("*.json")
                        if json.loads(p.read_text())["credentialSubject"].get("name") == "Darnell Washington"]
    site = build(root / "mkdocs.yml", root / "site")
    import atexit

    atexit.register(shutil.rmtree, root.parent, ignore_errors=True)
    return site, "Darnell Washington", withdrawn_badges


def test_a_teacher_who_withdrew_consent_appears_nowhere():
    site, name, withdrawn_badges = altered_site()
    assert withdrawn_badges
    assert not (site / "wallet" / "darnell-washington").exists()
    for badge_id in withdrawn_badges:
        for suffix in (".json", ".png", ".svg", "/certificate/index.html"):
            assert not (site / "badges" / f"{badge_id}{suffix}").exists(), suffix
        # the permanent URL still answers, naming no one
        html = (site / "badges" / badge_id / "index.html").read_text(encoding="utf-8")
        assert "This badge is not public" in html and 'content="noindex, nofollow"' in html
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert name.encode("utf-8") not in data, path
            # the slug is the name too: the published ledger drops it once consent ends
            assert b"darnell-washington" not in data, path
    ledger = [json.loads(line) for line in (site / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    issued = {event["badge"]: event for event in ledger if event["event"] == "issued"}
    for badge_id in withdrawn_badges:
        assert issued[badge_id]["public"] is True and not {"teacher", "url", "page"} & issued[badge_id].keys()


def test_templates_escape_the_display_name():
    site, _name, _ = altered_site()
    wallet_html = (site / "wallet" / "priya-raghunathan" / "index.html").read_text(encoding="utf-8")
    escaped = "Zoë &#34;O&#39;Brien&#34; &amp; Co onmouseover=alert(1) {{ 7*7 }}"
    assert f"<h1><bdi>{escaped}</bdi></h1>" in wallet_html
    assert HOSTILE_NAME not in wallet_html
    for path in [*site.glob("badges/*/index.html"), *site.glob("badges/*/certificate/index.html")]:
        html = path.read_text(encoding="utf-8")
        assert HOSTILE_NAME not in html, path
    assert any(escaped in path.read_text(encoding="utf-8") for path in site.glob("badges/*/index.html"))


def test_qr_code_decodes_to_the_badge_page_url_with_a_real_decoder():
    zxingcpp = pytest.importorskip("zxingcpp", reason="the zxing-cpp QR decoder is not installed (test extra)")
    from PIL import Image

    for badge in badges()[:5]:
        badge_id = badge.entry.badge_id
        svg = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="[^"]+" id="qr".*?</svg>', badge_html(badge_id), re.DOTALL).group(0)
        matrix = _drawn_matrix(svg)
        scale = 6
        image = Image.new("L", (len(matrix) * scale, len(matrix) * scale), 255)
        for y, row in enumerate(matrix):
            for x, dark in enumerate(row):
                if dark:
                    image.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
        decoded = [result.text for result in zxingcpp.read_barcodes(image)]
        assert decoded == [district().url(f"badges/{badge_id}/")]


def _entry(number: int, credential: str | None, awarded: str, *, stack: str | None = None, revoked: bool = False):
    from credfolio.ledger import BadgeEntry

    entry = BadgeEntry(f"00000000-0000-0000-0000-{number:012d}", credential, stack, (), NOW)
    entry.issued = {"awarded": awarded, "public": False}
    entry.revoked = {"reason": "x"} if revoked else None
    return entry


def test_program_report_counts_unrevoked_badges_and_suppresses_small_numbers():
    from credfolio.catalog import load_catalog

    catalog = load_catalog(REPO_ROOT)
    talk = catalog.credentials["talk-moves"]
    entries = [_entry(i, "talk-moves", "2025-09-01") for i in range(6)]
    entries += [_entry(10 + i, "exit-tickets", "2026-08-01") for i in range(2)]
    entries += [_entry(20, "talk-moves", "2025-09-01", revoked=True)]
    report = pages.program_report(catalog, entries)
    charts = {chart["id"]: {bar.label: bar.shown for bar in chart["bars"]} for chart in report["charts"]}
    assert charts["per-credential"][talk.title] == "6"
    assert charts["per-credential"][catalog.credentials["exit-tickets"].title] is None  # 2: suppressed
    assert charts["per-year"] == {"2025–26": "6", "2026–27": None}
    assert charts["hours-per-year"]["2025–26"] == format_hours(Decimal(str(talk.hours)) * 6)
    assert charts["hours-per-year"]["2026–27"] is None
    assert report["total_badges_shown"] == "8"
    assert report["stacks_completed_shown"] == "0"
    text = pages.program_csv(report)
    assert "fewer than 5" in text and ",2\r\n" not in text


def test_generated_pages_are_out_of_search_and_sitemap():
    site = sample_site()
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = [doc["location"] for doc in index["docs"]]
    assert not [loc for loc in locations if loc.startswith(("wallet/", "badges/", "program/"))]
    sitemap = site / "sitemap.xml"
    if sitemap.is_file():
        text = sitemap.read_text(encoding="utf-8")
        assert "/wallet/" not in text and "/badges/" not in text and "/program/" not in text

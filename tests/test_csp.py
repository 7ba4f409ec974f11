"""Content-Security-Policy: every generated page carries one, and the sample site runs under it in Chromium.

The unit tests cover :mod:`credfolio.csp` (hashing exactly the inline scripts a browser would run, placing
the meta before them). The site tests check every HTML file of the built sample site. The browser test
opens the home page, a credential page, the catalog with its filters, a wallet page, a badge page and the
verify page in headless Chromium, listens for ``securitypolicyviolation`` events and CSP console
messages, and checks that search, the facet filters and the in-browser verifier still work.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_build import parse_html, sample_site

from credfolio import csp

META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


# --- credfolio.csp ------------------------------------------------------------------------------------------


def test_the_policy_allows_only_this_site_and_the_given_hashes():
    policy = _directives(csp.content_security_policy(["'sha256-abc='"]))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", "'sha256-abc='"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'", "https:"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


INLINE_CASES = {
    "a plain inline script is hashed": ('<script>var a=1</script>', ["var a=1"]),
    "text/javascript and module are hashed": ('<script type="text/javascript">a()</script><script type=module>b()</script>', ["a()", "b()"]),
    "a JSON data block is not": ('<script id="__config" type="application/json">{"a":1}</script>', []),
    "JSON-LD is not": ('<script type="application/ld+json">{}</script>', []),
    "a script with src is not": ('<script src="x.js"></script><script defer src="y.js">ignored</script>', []),
    "upper-case tags and multi-line bodies": ('<SCRIPT>\nline1\nline2\n</SCRIPT >', ["\nline1\nline2\n"]),
}


@pytest.mark.parametrize(("html", "bodies"), INLINE_CASES.values(), ids=INLINE_CASES.keys())
def test_inline_script_hashes(html, bodies):
    assert csp.inline_script_hashes(html) == [_sha(body) for body in bodies]


def test_the_meta_goes_right_after_the_charset_before_any_script():
    html = '<!doctype html><html><head><meta charset="utf-8"><script>x()</script><title>t</title></head><body></body></html>'
    out = csp.add_content_security_policy(html)
    assert out.index("Content-Security-Policy") < out.index("<script>")
    assert out.index('<meta charset="utf-8">') < out.index("Content-Security-Policy")
    assert _sha("x()") in unescape(META.search(out).group(1))


def test_a_page_without_charset_gets_it_after_head_and_a_page_with_a_policy_is_left_alone():
    assert "Content-Security-Policy" in csp.add_content_security_policy("<html><head><title>t</title></head></html>")
    own = '<head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'"></head>'
    assert csp.add_content_security_policy(own) == own
    assert csp.add_content_security_policy("<p>a fragment</p>") == "<p>a fragment</p>"


def test_mkdocs_serve_pages_get_no_policy_so_live_reload_keeps_working():
    from credfolio import site

    html = "<html><head><meta charset='utf-8'></head></html>"
    try:
        site.on_startup("serve", False)
        assert site.on_post_page(html, None, {}) == html
        assert site.on_post_template(html, "404.html", {}) == html
        site.on_startup("build", False)
        assert "Content-Security-Policy" in site.on_post_page(html, None, {})
        assert "Content-Security-Policy" in site.on_post_template(html, "404.html", {})
        assert site.on_post_template("<urlset/>", "sitemap.xml", {}) == "<urlset/>"
    finally:
        site.on_startup("build", False)


# --- the built sample site ----------------------------------------------------------------------------------


def _html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_generated_page_has_a_policy_before_its_first_script():
    site = sample_site()
    files = _html_files(site)
    assert len(files) > 40
    kinds = set()
    for path in files:
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(site).as_posix()
        match = META.search(text)
        assert match, f"{relative} has no Content-Security-Policy meta"
        first_script = text.find("<script")
        assert first_script == -1 or match.start() < first_script, relative
        policy = _directives(unescape(match.group(1)))
        assert "'unsafe-inline'" not in policy.get("script-src", []) and "'unsafe-eval'" not in policy.get("script-src", []), relative
        assert policy.get("object-src") == ["'none'"] or policy.get("default-src") == ["'none'"], relative
        kinds.add(relative.split("/")[0])
        # every inline script that would run is allowed by hash; everything else loads from this site
        hashes = set(policy.get("script-src", []))
        for element in parse_html(text).iter():
            if element.tag != "script":
                continue
            kind = element.attrs.get("type") or ""
            if "src" in element.attrs:
                assert not urlsplit(element.attrs["src"]).netloc, (relative, element.attrs["src"])
            elif kind in ("", "text/javascript", "module"):
                assert _sha("".join(element.text_parts)) in hashes, relative
    assert {"catalog", "stacks", "guide", "wallet", "badges", "verify", "program", "404.html", "index.html"} <= kinds


# --- in Chromium ------------------------------------------------------------------------------------------------

WAIT_FOR_VERDICT = "() => !['idle', 'verifying'].includes(document.getElementById('verification').dataset.state)"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline') + ' ' + (event.sourceFile || '') + ':' + event.lineNumber);
});
"""


def _badge_page(site: Path, state: str = "active") -> str:
    for html_file in sorted(site.glob("badges/*/index.html")):
        if re.search(rf'<body class="[^"]*cf-badge--{state}\b', html_file.read_text(encoding="utf-8")):
            return f"badges/{html_file.parent.name}/"
    pytest.skip(f"the sample wallet has no {state} badge (run `make sample`)")


@pytest.fixture(scope="module")
def chromium_page():
    from browser_util import launch_chromium, require_browser, serve_folder, verifier_bundle

    require_browser()
    verifier_bundle()
    from playwright.sync_api import sync_playwright

    site = sample_site()
    with serve_folder(site) as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context()
        outside: list[str] = []

        def guard(route):
            if urlsplit(route.request.url).hostname != "127.0.0.1":
                outside.append(route.request.url)
                return route.abort()
            return route.continue_()

        context.route("**/*", guard)
        context.add_init_script(RECORD_VIOLATIONS)  # init scripts run outside the page's policy
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        try:
            yield page, base_url, site, console, outside
        finally:
            browser.close()


def _open(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("load")
    return page.evaluate("() => window.__cspViolations")


def test_the_sample_site_runs_under_its_policy_with_search_filters_and_verification_working(chromium_page):
    page, base_url, site, console, outside = chromium_page
    violations: dict[str, list[str]] = {}

    # home page, and Material's search (a web worker fetching the index) finds a credential
    violations["home"] = _open(page, base_url)
    page.set_viewport_size({"width": 1280, "height": 900})  # the search box sits in the header at desktop width
    # the worker may still be loading the index: type again until it answers
    for attempt in range(4):
        page.fill("input.md-search__input", "")
        page.locator("input.md-search__input").press_sequentially("talk moves", delay=20)
        try:
            page.wait_for_selector(".md-search-result__item", timeout=10_000)
            break
        except Exception:
            assert attempt < 3, ("search found nothing", page.evaluate("() => window.__cspViolations"), console)
    assert page.locator(".md-search-result__item").count() > 0
    violations["home with search"] = page.evaluate("() => window.__cspViolations")

    credential = "catalog/talk-moves/" if (site / "catalog/talk-moves").is_dir() else next(
        p.parent.relative_to(site).as_posix() + "/" for p in sorted(site.glob("catalog/*/index.html")))
    violations["credential page"] = _open(page, base_url + credential)

    # the browse page: the facet filters narrow the list and say so
    violations["catalog with filters"] = _open(page, base_url + "catalog/")
    page.wait_for_selector("#cf-filters:not([hidden])")
    total = page.locator("#cf-cards .cf-card").count()
    boxes = page.locator("#cf-filters input[type=checkbox]")
    narrowed = False
    for index in range(boxes.count()):
        boxes.nth(index).check()
        shown = page.locator("#cf-cards .cf-card:not([hidden])").count()
        if 0 < shown < total:
            narrowed = True
            assert page.locator("#cf-count").inner_text().startswith(f"Showing {shown} of {total}")
            break
        boxes.nth(index).uncheck()
    assert narrowed, "no facet narrowed the catalog"
    violations["catalog after filtering"] = page.evaluate("() => window.__cspViolations")

    wallet = next(p.parent.relative_to(site).as_posix() + "/" for p in sorted(site.glob("wallet/*/index.html")))
    violations["wallet page"] = _open(page, base_url + wallet)

    violations["badge page"] = _open(page, base_url + _badge_page(site))
    page.wait_for_function(WAIT_FOR_VERDICT, timeout=20_000)
    assert page.evaluate("() => document.getElementById('verification').dataset.state") == "verified"
    violations["badge page after its verdict"] = page.evaluate("() => window.__cspViolations")

    violations["verify page"] = _open(page, base_url + "verify/")

    assert {name: found for name, found in violations.items() if found} == {}
    assert [text for text in console if "Content Security Policy" in text or "Content-Security-Policy" in text] == []
    # the listener does hear violations: an injected inline script is blocked and reported
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.head.append(s); }")
    page.wait_for_function("() => window.__cspViolations.length > 0", timeout=5_000)
    assert page.evaluate("() => window.__ran") is None
    assert outside == []

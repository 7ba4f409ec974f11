"""Accessibility of the sample site in real headless Chromium: axe-core on every page type, keyboard paths, reflow, motion.

The sample district (the repository root) is built once (``site_build.sample_site``) and served on 127.0.0.1.
Debian's Chromium runs it through Playwright (``browser_util``); axe-core comes from the pinned npm package in
``tests/interop`` (``make interop-deps``) and is evaluated into each page after it loads. What is checked:

* axe-core with the WCAG 2.0/2.1 A and AA rules on one page of every type, in the light and the dark colour
  scheme: any serious or critical violation fails, printed as rule id and target selectors; a few structural
  best-practice rules (heading order, landmarks, one h1) fail at any impact;
* at 320 CSS px with reduced motion: no horizontal scrolling of the page (wide tables scroll inside a
  focusable region instead), no transition or animation longer than a hundredth of a second;
* keyboard only: every facet filter of the catalog is reached with Tab and operated with Space, arrows and
  digits, and the live result count says what changed; the verify page's paste box, file input and button
  are reached with Tab and a sample badge verified, with the verdict and each check in a live region;
  every focused element shows a focus indicator;
* the QR codes on badge pages and certificates are paired with their URL in text.

Nothing leaves 127.0.0.1: every other request is aborted and recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from browser_util import REPO_ROOT, launch_chromium, require_browser, serve_folder, verifier_bundle
from site_build import page as parsed_page
from site_build import sample_site

AXE_JS = REPO_ROOT / "tests" / "interop" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")
#: Best-practice rules about page structure (not WCAG-tagged in axe, so run by id): they fail at any impact.
STRUCTURE_RULES = [
    "heading-order",
    "page-has-heading-one",
    "landmark-one-main",
    "landmark-unique",
    "landmark-no-duplicate-main",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "landmark-main-is-top-level",
    "region",
]
#: Rules that only bite at a narrow width: content that scrolls inside a region needs keyboard access; zoom stays allowed.
NARROW_RULES = ["scrollable-region-focusable", "meta-viewport"]
#: 320 CSS px is WCAG 1.4.10's reflow width (1280 px at 400 % zoom); one pixel absorbs sub-pixel rounding.
NARROW = 320
REFLOW_TOLERANCE = 1
WAIT_FOR_VERDICT = "() => !['idle', 'verifying'].includes(document.getElementById('verification').dataset.state)"
SCHEMES = ("light", "dark")


# --- the sample site and its page types ------------------------------------------------------------------------


def _body_classes(html_file: Path) -> set[str]:
    match = re.search(r'<body class="([^"]*)"', html_file.read_text(encoding="utf-8"))
    return set(match.group(1).split()) if match else set()


def _badge_pages_by_state(site: Path) -> dict[str, str]:
    """The first badge page of each state in the sample site: state -> ``badges/<id>/``."""
    found: dict[str, str] = {}
    for html_file in sorted(site.glob("badges/*/index.html")):
        for state in ("active", "expired", "revoked", "suspended"):
            if f"cf-badge--{state}" in _body_classes(html_file):
                found.setdefault(state, f"badges/{html_file.parent.name}/")
    return found


def _first(site: Path, pattern: str) -> str:
    folders = sorted(path.parent for path in site.glob(pattern))
    assert folders, f"the sample site has no page matching {pattern}"
    return folders[0].relative_to(site).as_posix() + "/"


def _page_types(site: Path, site_url: str) -> dict[str, str]:
    """Page type -> path (relative to the site root, with query) of one page of that type in the sample site."""
    badges = _badge_pages_by_state(site)
    assert "active" in badges, "the sample wallet has no valid badge (run `make sample`)"
    active_id = badges["active"].split("/")[1]
    types = {
        "site home": "",
        "catalog home with facet filters": "catalog/",
        "credential page with rubric table": "catalog/talk-moves/" if (site / "catalog/talk-moves").is_dir() else _first(site, "catalog/*/index.html"),
        "stack page with pathway diagram": _first(site, "stacks/*/index.html"),
        "wallet page": _first(site, "wallet/*/index.html"),
        "badge page": badges["active"],
        "certificate": f"badges/{active_id}/certificate/",
        "program report": "program/",
        "verify page before a verdict": "verify/",
        "verify page after a verdict": "verify/?url=" + quote(f"{site_url}badges/{active_id}.json", safe=""),
        "guide page": "guide/verifying/" if (site / "guide/verifying").is_dir() else _first(site, "guide/*/index.html"),
    }
    for state in ("revoked", "expired", "suspended"):
        if state in badges:
            types[f"{state} badge page"] = badges[state]
    return types


def _sample() -> tuple[Path, dict[str, str]]:
    from credfolio.config import load_district

    site = sample_site()
    return site, _page_types(site, load_district(REPO_ROOT).site_url)


# Page types by name, for test ids; which page of the sample site stands for each is found after the build.
PAGE_TYPES = [
    "site home", "catalog home with facet filters", "credential page with rubric table", "stack page with pathway diagram",
    "wallet page", "badge page", "revoked badge page", "expired badge page", "suspended badge page", "certificate",
    "program report", "verify page before a verdict", "verify page after a verdict", "guide page",
]


# --- browser fixtures --------------------------------------------------------------------------------------------


class Browser:
    """One Chromium for the module, the served sample site, and what left (or tried to leave) 127.0.0.1."""

    def __init__(self, chromium, base_url: str, site: Path, paths: dict[str, str]) -> None:
        self.chromium = chromium
        self.base_url = base_url
        self.site = site
        self.paths = paths
        self.outside_requests: list[str] = []
        self._tabs: dict[str, object] = {}

    def context(self, **options):
        context = self.chromium.new_context(**options)

        def guard(route):
            if urlsplit(route.request.url).hostname != "127.0.0.1":
                self.outside_requests.append(route.request.url)
                return route.abort()
            return route.continue_()

        context.route("**/*", guard)
        return context

    def tab(self, name: str, **options):
        """A page kept open for the module under ``name`` (one per colour scheme or viewport), reused by tests."""
        if name not in self._tabs:
            self._tabs[name] = self.context(**options).new_page()
        return self._tabs[name]

    def open(self, tab, page_type: str):
        if page_type not in self.paths:
            pytest.skip(f"the sample site has no {page_type}")
        tab.goto(self.base_url + self.paths[page_type])
        tab.wait_for_load_state("load")
        if tab.query_selector("#verification") and page_type != "verify page before a verdict":
            tab.wait_for_function(WAIT_FOR_VERDICT, timeout=20_000)
        if page_type == "verify page after a verdict":
            assert tab.evaluate("() => document.getElementById('verification').dataset.state") == "verified"
        return tab


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE_JS.is_file():
        pytest.skip(f"axe-core is not installed at {AXE_JS.relative_to(REPO_ROOT)} — run `make interop-deps` (npm ci in tests/interop)")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_browser()
    verifier_bundle()
    from playwright.sync_api import sync_playwright

    site, paths = _sample()
    with serve_folder(site) as base_url, sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield Browser(chromium, base_url, site, paths)
        finally:
            chromium.close()


# --- axe-core ------------------------------------------------------------------------------------------------------

RUN_AXE = """async ([tags, ruleIds]) => {
  // One pass: the WCAG-tagged rules plus rules switched on by id.
  const rules = Object.fromEntries(ruleIds.map((id) => [id, {enabled: true}]));
  const only = tags.length ? {type: 'tag', values: tags} : {type: 'rule', values: ruleIds};
  const result = await axe.run(document, {runOnly: only, rules, resultTypes: ['violations']});
  return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' '))}));
}"""


def _report(violations: list[dict]) -> str:
    return "\n".join(f"  {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["targets"][:10]) for v in violations)


def _run_axe(tab, axe_source: str) -> dict:
    if not tab.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, so the pages' Content-Security-Policy (script-src 'self') stays in force.
        tab.evaluate(axe_source)
    return tab.evaluate(RUN_AXE, [WCAG_TAGS, STRUCTURE_RULES])


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_axe_finds_no_serious_violation(browser, axe_source, page_type, scheme):
    tab = browser.open(browser.tab(scheme, color_scheme=scheme), page_type)
    material_scheme = tab.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
    if material_scheme is not None:
        # Material's palette follows prefers-color-scheme (a fresh context has no stored toggle choice).
        assert material_scheme == {"light": "default", "dark": "slate"}[scheme]
    violations = _run_axe(tab, axe_source)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS or v["id"] in STRUCTURE_RULES]
    assert not failing, f"{page_type} ({scheme}): axe-core violations:\n{_report(failing)}"


# --- reflow at 320 px and reduced motion ---------------------------------------------------------------------

LONGEST_MOTION = """() => {
  const seconds = (value) => Math.max(...value.split(',').map((part) => parseFloat(part) * (part.trim().endsWith('ms') ? 0.001 : 1)));
  let longest = {seconds: 0, element: ''};
  for (const element of document.querySelectorAll('*')) {
    for (const pseudo of [null, '::before', '::after']) {
      const style = getComputedStyle(element, pseudo);
      const total = seconds(style.transitionDuration) + seconds(style.transitionDelay) + seconds(style.animationDuration);
      if (total > longest.seconds) longest = {seconds: total, element: element.tagName.toLowerCase() + (element.className ? '.' + String(element.className).split(' ').join('.') : '')};
    }
  }
  return {longest, scrollBehavior: getComputedStyle(document.documentElement).scrollBehavior, running: document.getAnimations().length};
}"""
WIDER_THAN_VIEWPORT = """(limit) => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > limit && getComputedStyle(e).position !== 'fixed')
  .slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : ''))"""


@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_page_reflows_at_320_px_and_honours_reduced_motion(browser, axe_source, page_type):
    tab = browser.open(browser.tab("narrow", viewport={"width": NARROW, "height": 720}, reduced_motion="reduce"), page_type)
    width = tab.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= NARROW + REFLOW_TOLERANCE, (
        f"{page_type}: the page scrolls sideways at {NARROW} px ({width} px wide); too wide: {tab.evaluate(WIDER_THAN_VIEWPORT, NARROW + REFLOW_TOLERANCE)}"
    )
    # What is too wide for 320 px (rubric and transcript tables) scrolls inside its own region, which a
    # keyboard user must be able to focus to scroll (axe checks this only where something does scroll).
    if not tab.evaluate("() => typeof window.axe === 'object'"):
        tab.evaluate(axe_source)
    scrolling = tab.evaluate(RUN_AXE, [[], NARROW_RULES])
    assert not scrolling, f"{page_type} at {NARROW} px:\n{_report(scrolling)}"
    motion = tab.evaluate(LONGEST_MOTION)
    assert motion["longest"]["seconds"] <= 0.01, f"{page_type}: motion despite prefers-reduced-motion: {motion['longest']}"
    assert motion["scrollBehavior"] != "smooth"
    assert motion["running"] == 0


# --- keyboard paths ------------------------------------------------------------------------------------------

FOCUS = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  // A visually hidden native input (Material's palette toggle) shows its focus on its label, the next sibling.
  const indicated = (candidate) => {
    const style = getComputedStyle(candidate);
    return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  };
  return {
    id: element.id, name: element.name || '', type: element.type || '', value: element.value ?? '', tag: element.tagName.toLowerCase(),
    inFilters: !!element.closest('#cf-filters'),
    describe: element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') + (element.name ? `[name=${element.name}]` : '') + (element.value ? `[value=${element.value}]` : ''),
    visible: [element, ...(element.labels || []), ...(element.nextElementSibling?.tagName === 'LABEL' ? [element.nextElementSibling] : [])].some(indicated),
  };
}"""


def _press(tab, key: str) -> dict | None:
    tab.keyboard.press(key)
    focused = tab.evaluate(FOCUS)
    assert focused is None or focused["visible"], f"no visible focus indicator after {key} on {focused['describe']}"
    return focused


def _skip_to_content(tab) -> None:
    """Tab to the page's skip link and follow it with Enter, as keyboard users do past the site navigation."""
    link = _press(tab, "Tab")
    assert link is not None and link["tag"] == "a" and "skip" in tab.evaluate("() => document.activeElement.textContent").lower(), link
    _press(tab, "Enter")


def _tab_until(tab, predicate, *, key: str = "Tab", limit: int = 300) -> dict:
    for _ in range(limit):
        focused = _press(tab, key)
        if focused is not None and predicate(focused):
            return focused
    pytest.fail(f"{key} pressed {limit} times without reaching the element")


COUNT_STATE = """() => ({
  text: document.getElementById('cf-count').textContent,
  live: document.getElementById('cf-count').getAttribute('aria-live'),
  shown: [...document.querySelectorAll('#cf-cards > .cf-card')].filter((card) => !card.hidden).length,
  total: document.querySelectorAll('#cf-cards > .cf-card').length,
  query: location.search,
})"""
FILTER_CONTROLS = """() => [...document.querySelectorAll('#cf-filters input, #cf-filters button')]
  .map((control) => `${control.name}=${control.value}`)"""


def _assert_announced(state: dict) -> None:
    assert state["live"] == "polite"
    if state["shown"] == state["total"]:
        assert state["text"] == f"Showing all {state['total']} micro-credentials"
    else:
        assert state["text"] == f"Showing {state['shown']} of {state['total']} micro-credentials"


def test_keyboard_alone_reaches_and_operates_every_facet_filter(browser):
    tab = browser.tab("keyboard", color_scheme="light")
    tab.goto(browser.base_url + browser.paths["catalog home with facet filters"])
    tab.wait_for_selector("#cf-filters:not([hidden])")
    controls = set(tab.evaluate(FILTER_CONTROLS))
    everything = tab.evaluate(COUNT_STATE)
    operated: set[str] = set()
    # A value can match every credential (a subject next to credentials for all subjects); each facet must narrow with some value.
    narrowing_facets: set[str] = set()
    choice_facets = set(tab.evaluate("() => [...document.querySelectorAll('#cf-filters input[type=checkbox], #cf-filters input[type=radio]')].map((c) => c.name)"))

    _skip_to_content(tab)
    focused = _tab_until(tab, lambda f: f["inFilters"], limit=5)
    while focused is not None and focused["inFilters"]:
        key = f"{focused['name']}={focused['value']}"
        if focused["type"] == "checkbox":
            _press(tab, "Space")
            narrowed = tab.evaluate(COUNT_STATE)
            _assert_announced(narrowed)
            assert f"{focused['name']}=" in narrowed["query"]
            assert tab.evaluate("() => document.activeElement.checked")
            if narrowed["shown"] < everything["total"]:
                narrowing_facets.add(focused["name"])
            _press(tab, "Space")
            assert tab.evaluate(COUNT_STATE)["shown"] == everything["total"]
            operated.add(key)
        elif focused["type"] == "radio":
            # A radio group is one tab stop; arrows move through it and select as they go.
            seen = [focused["value"]]
            for _ in range(10):
                moved = _press(tab, "ArrowDown")
                if moved["value"] in seen:
                    break
                seen.append(moved["value"])
                state = tab.evaluate(COUNT_STATE)
                _assert_announced(state)
                assert f"cost={moved['value']}" in state["query"]
                if state["shown"] < everything["total"]:
                    narrowing_facets.add("cost")
            operated.update(f"cost={value}" for value in seen)
            assert tab.evaluate(COUNT_STATE)["shown"] == everything["total"], "the arrows did not come back to Any"
        elif focused["type"] == "number":
            # Typed digits: at least the longest credential's hours, or at most 1 hour, narrow the list.
            longest = max(float(h) for h in tab.evaluate("() => [...document.querySelectorAll('#cf-cards > .cf-card')].map((c) => c.dataset.hours)"))
            for digit in str(int(longest)) if focused["name"] == "hours_min" else "1":
                _press(tab, digit)
            state = tab.evaluate(COUNT_STATE)
            _assert_announced(state)
            assert state["shown"] < everything["total"], f"{focused['name']} did not change the list"
            assert f"{focused['name']}=" in state["query"]
            # The arrows step the number too.
            _press(tab, "ArrowDown" if focused["name"] == "hours_min" else "ArrowUp")
            stepped = tab.evaluate("(name) => document.querySelector(`#cf-filters [name=${name}]`).value", focused["name"])
            assert stepped in (str(int(longest) - 1), "2"), stepped
            _assert_announced(tab.evaluate(COUNT_STATE))
            _press(tab, "Control+a")
            _press(tab, "Backspace")
            assert tab.evaluate(COUNT_STATE)["shown"] == everything["total"]
            operated.add(key)
        elif focused["tag"] == "button":
            operated.add(key)  # Clear filters: operated in the next test
            break
        focused = _press(tab, "Tab")
    assert operated == controls, f"not reached or not operated by keyboard: {sorted(controls - operated)}"
    assert narrowing_facets == choice_facets, f"no value of {sorted(choice_facets - narrowing_facets)} narrowed the list"


def test_keyboard_alone_clears_the_filters_with_the_reset_button(browser):
    tab = browser.tab("keyboard", color_scheme="light")
    tab.goto(browser.base_url + browser.paths["catalog home with facet filters"] + "?hours_max=0.5")
    tab.wait_for_selector("#cf-filters:not([hidden])")
    assert tab.evaluate(COUNT_STATE)["shown"] < tab.evaluate(COUNT_STATE)["total"]
    _skip_to_content(tab)
    _tab_until(tab, lambda f: f["tag"] == "button" and f["inFilters"], limit=60)
    _press(tab, "Enter")
    tab.wait_for_function("() => !location.search")
    state = tab.evaluate(COUNT_STATE)
    _assert_announced(state)
    assert state["shown"] == state["total"]


def test_keyboard_alone_switches_the_colour_scheme(browser):
    tab = browser.context(color_scheme="light").new_page()
    try:
        tab.goto(browser.base_url + browser.paths["guide page"])
        _tab_until(tab, lambda f: f["name"] == "__palette", limit=10)
        _press(tab, "Enter")  # the toggle is a radio that is already checked: Material switches on Enter
        assert tab.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == "slate"
    finally:
        tab.context.close()


def _active_badge_json(browser) -> Path:
    badge_id = browser.paths["badge page"].split("/")[1]
    return browser.site / "badges" / f"{badge_id}.json"


READ_VERDICT = """() => {
  const region = document.getElementById('verification');
  return {
    state: region.dataset.state,
    live: region.getAttribute('aria-live'),
    busy: region.getAttribute('aria-busy'),
    verdict: region.querySelector('[data-role="verdict"]').textContent,
    checks: [...region.querySelectorAll('[data-check]')].map((item) => item.textContent.trim()),
    label: region.getAttribute('aria-labelledby') && document.getElementById(region.getAttribute('aria-labelledby')).textContent,
  };
}"""


def _assert_verified_and_announced(tab) -> None:
    tab.wait_for_function(WAIT_FOR_VERDICT, timeout=20_000)
    verdict = tab.evaluate(READ_VERDICT)
    assert (verdict["state"], verdict["live"], verdict["busy"]) == ("verified", "polite", "false"), verdict
    assert "Verified" in verdict["verdict"]
    # Every check is in the live region as words (a mark alone would be colour and shape only).
    assert len(verdict["checks"]) >= 5 and all(" — passed: " in text for text in verdict["checks"]), verdict["checks"]


def test_keyboard_alone_verifies_a_sample_badge_on_the_verify_page(browser):
    tab = browser.tab("keyboard", color_scheme="light")
    tab.goto(browser.base_url + browser.paths["verify page before a verdict"])
    tab.wait_for_load_state("load")
    badge = _active_badge_json(browser)

    _tab_until(tab, lambda f: f["id"] == "verify-input")
    tab.keyboard.insert_text(badge.read_text(encoding="utf-8"))
    assert _press(tab, "Tab")["id"] == "verify-button"
    _press(tab, "Enter")
    _assert_verified_and_announced(tab)

    tab.goto(browser.base_url + browser.paths["verify page before a verdict"])
    tab.wait_for_load_state("load")
    _tab_until(tab, lambda f: f["id"] == "verify-file")
    with tab.expect_file_chooser() as chooser:
        tab.keyboard.press("Space")
    chooser.value.set_files(str(badge))
    _assert_verified_and_announced(tab)


# --- text alternatives ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("page_type", ["badge page", "certificate", "credential page with rubric table"])
def test_the_qr_code_is_paired_with_its_url_in_text(page_type):
    site, paths = _sample()
    root = parsed_page(site, paths[page_type].rstrip("/"))
    canonical = [link.attrs["href"] for link in root.find_all("link", rel="canonical")]
    qr = [svg for svg in root.iter() if svg.tag == "svg" and svg.has_class("cf-qr")]
    assert len(qr) == 1
    assert qr[0].attrs.get("role") == "img" and qr[0].find_all("title")[0].text
    page_url = canonical[0] if canonical else None
    container_text = qr[0].parent.text
    assert page_url is None or page_url in container_text, container_text
    assert re.search(r"https://\S+", container_text), f"{page_type}: the QR code has no URL in text beside it"


def test_badge_states_are_written_in_words_not_only_in_colour():
    site, paths = _sample()
    for state in ("active", "expired", "revoked", "suspended"):
        page_type = "badge page" if state == "active" else f"{state} badge page"
        if page_type not in paths:
            continue
        root = parsed_page(site, paths[page_type].rstrip("/"))
        marks = [span for span in root.iter() if span.tag == "span" and span.has_class(f"cf-state--{state}")]
        assert marks, page_type
        words = marks[0].text.replace("✓", "").replace("⌛", "").replace("✕", "").replace("‖", "").strip()
        assert len(words) >= 4, f"{page_type}: the state badge says only {marks[0].text!r}"


def test_credential_and_badge_images_have_alternative_text():
    site, paths = _sample()
    for page_type in ("credential page with rubric table", "badge page"):
        root = parsed_page(site, paths[page_type].rstrip("/"))
        images = [img for img in root.iter() if img.tag == "img" and (img.has_class("cf-credential__badge") or img.has_class("cf-badge__image"))]
        assert images and all((img.attrs.get("alt") or "").strip() for img in images), page_type


def test_no_request_left_127_0_0_1(browser):
    assert browser.outside_requests == []


def _visible_headings(element, hidden: bool = False) -> Iterator[int]:
    hidden = hidden or "hidden" in element.attrs or element.attrs.get("aria-hidden") == "true"
    if re.fullmatch(r"h[1-6]", element.tag) and not hidden:
        yield int(element.tag[1])
    for child in element.children:
        yield from _visible_headings(child, hidden)


@pytest.mark.parametrize("page_type", [t for t in PAGE_TYPES if "verdict" not in t])
def test_headings_never_skip_a_level_without_javascript(page_type):
    # axe's heading-order sees the page after its scripts ran; this reads the HTML as served, hidden parts left out
    # (the catalog's filter form stays hidden until its script runs).
    site, paths = _sample()
    if page_type not in paths:
        pytest.skip(f"the sample site has no {page_type}")
    levels = list(_visible_headings(parsed_page(site, paths[page_type].split("?")[0].rstrip("/"))))
    assert levels and levels.count(1) == 1, f"{page_type}: headings {levels}"
    jumps = [(before, after) for before, after in zip(levels, levels[1:]) if after > before + 1]
    assert not jumps, f"{page_type}: a heading skips a level: {jumps} in {levels}"

"""The in-browser verifier in real headless Chromium: verdicts, parity with Python, inputs, keyboard, privacy, budget.

Every case is laid out as its own small district site (did.json, status/1.json, badges/badge.json and the
verify/ page with the bundle, written by :mod:`credfolio.browser`) under one folder served on 127.0.0.1.
Each page gets the same fixed clock as the Python verifier, and every case is verified by both; their
states and every check's outcome must agree. One browser serves the whole module, one page per case.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import struct
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from badge_factory import NOW, SITE_URL, Site, achievement, make_credential
from browser_util import REPO_ROOT, launch_chromium, require_browser, serve_folder, verifier_bundle
from credfolio.browser import write_verify_page
from credfolio.config import DistrictConfig, DistrictSettings
from credfolio.verify import CHECK_IDS, verify_credential
from credfolio.baking import bake_png, bake_svg
from test_verify import CORPUS, CORPUS_NOW, SITES, STATUS_LIST_PROBLEMS, TAMPERS, _corpus_files, _corpus_resolver

#: The whole verify page (HTML, script, style, and the JSON it fetches), gzipped file by file.
TRANSFER_BUDGET = 150 * 1024
BADGE_URL = SITE_URL + "badges/badge.json"


def _publish(publish):
    def mutate(site, credential):
        publish(site)
        return credential

    return mutate


def _lone_surrogate_in_name(site, credential):
    # Only raw JSON text can carry one (a \\ud800 escape); Python and JavaScript strings both keep it.
    return json.dumps(credential).replace('"name": "Wait Time"', '"name": "Wait \\ud800 Time"', 1)


def _emoji_in_names(site, credential):
    # Astral characters are surrogate pairs in JavaScript and single code points in Python: both must accept them.
    return site.sign(make_credential(name="Wait Time ⏳😀", achievement={**achievement(), "name": "Wait Time 😀"}))


#: case id -> (mutation of a freshly signed badge and its site, the state both verifiers must reach)
PARITY_CASES = {
    "valid badge": (None, "verified"),
    "emoji in the names, signed": (_emoji_in_names, "verified"),
    "lone surrogate in name": (_lone_surrogate_in_name, "failed"),
    **{case_id: (tamper.mutate, tamper.state) for case_id, tamper in TAMPERS.items()},
    **{f"status list: {case_id}": (_publish(publish), state) for case_id, (publish, state, _, _) in STATUS_LIST_PROBLEMS.items()},
}
WAIT_FOR_VERDICT = "() => !['idle', 'verifying'].includes(document.getElementById('verification').dataset.state)"
READ_VERDICT = """() => {
  const region = document.getElementById('verification');
  return {
    state: region.dataset.state,
    duration: Number(region.dataset.durationMs),
    localPreview: region.dataset.localPreview,
    checks: Object.fromEntries([...region.querySelectorAll('[data-check]')].map((e) => [e.dataset.check, e.dataset.ok])),
    messages: Object.fromEntries([...region.querySelectorAll('[data-check]')].map((e) => [e.dataset.check, e.textContent])),
    verdict: region.querySelector('[data-role="verdict"]').textContent,
    note: document.querySelector('[data-role="local-note"]').hidden ? '' : document.querySelector('[data-role="local-note"]').textContent,
    backends: document.querySelector('[data-credfolio-verifier]').credfolioResult?.signatureBackends ?? [],
  };
}"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _district(root: Path) -> DistrictConfig:
    return DistrictConfig(root=root, site_url=SITE_URL, site_name="Testville Schools", settings=DistrictSettings(name="Testville School District"))


def _python_oks(result) -> dict[str, str]:
    return {check.id: "unknown" if check.ok is None else str(check.ok).lower() for check in result.checks}


class Served:
    """The folder of case sites, its URL, and what the browser asked for."""

    def __init__(self, folder: Path, base_url: str) -> None:
        self.folder = folder
        self.base_url = base_url
        self.cases: dict[str, tuple[str, object]] = {}  # case id -> (page URL, Python result)
        self.outside_requests: list[str] = []
        self.console_errors: list[str] = []


@pytest.fixture(scope="module")
def bundle() -> Path:
    require_browser()
    return verifier_bundle()


@pytest.fixture(scope="module")
def served(tmp_path_factory, bundle):
    folder = tmp_path_factory.mktemp("browser-sites")
    district = _district(folder)
    pending = {}
    for case_id, (mutate, _) in PARITY_CASES.items():
        site = Site(folder / "cases" / _slug(case_id))
        document = site.sign(make_credential())
        if mutate is not None:
            document = mutate(site, document)
        text = document if isinstance(document, str) else json.dumps(document, indent=2, ensure_ascii=False)
        site.dir.joinpath("badges").mkdir(exist_ok=True)
        site.dir.joinpath("badges", "badge.json").write_text(text, encoding="utf-8")
        write_verify_page(site.dir, district, bundle)
        pending[case_id] = (site, document)
    with serve_folder(folder) as base_url:
        result = Served(folder, base_url)
        for case_id, (site, document) in pending.items():
            page_url = f"{base_url}cases/{_slug(case_id)}/verify/?url={quote(BADGE_URL, safe='')}"
            result.cases[case_id] = (page_url, verify_credential(document, now=NOW, resolver=site.resolver()))
        yield result


@pytest.fixture(scope="module")
def context(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context()

        def guard(route):
            # Nothing may leave 127.0.0.1: anything else is recorded and never sent.
            if urlsplit(route.request.url).hostname != "127.0.0.1":
                served.outside_requests.append(route.request.url)
                return route.abort()
            return route.continue_()

        context.route("**/*", guard)
        context.on("console", lambda message: served.console_errors.append(message.text) if message.type == "error" else None)
        yield context
        context.close()
        browser.close()


def _open(context, url: str, *, init_script: str | None = None):
    page = context.new_page()
    page.clock.set_fixed_time(NOW)
    if init_script:
        page.add_init_script(init_script)
    page.goto(url)
    return page


def _verdict(page) -> dict:
    page.wait_for_function(WAIT_FOR_VERDICT, timeout=15_000)
    return page.evaluate(READ_VERDICT)


# --- parity with the Python verifier -------------------------------------------------------------------


@pytest.mark.parametrize("case_id", list(PARITY_CASES), ids=list(PARITY_CASES))
def test_the_browser_and_python_verifiers_agree(context, served, case_id):
    page_url, python = served.cases[case_id]
    page = _open(context, page_url)
    try:
        browser = _verdict(page)
    finally:
        page.close()
    assert python.state == PARITY_CASES[case_id][1]
    assert (browser["state"], browser["checks"]) == (python.state, _python_oks(python)), browser["messages"]
    assert list(browser["checks"]) == list(CHECK_IDS)
    print(f"\n[{case_id}] {browser['state']} in {browser['duration']} ms")


def test_a_valid_badge_shows_each_check_in_words_and_the_local_preview_note(context, served):
    page = _open(context, served.cases["valid badge"][0])
    try:
        verdict = _verdict(page)
        assert verdict["verdict"] == "✓ Verified"
        assert verdict["messages"]["status"].startswith("✓Revocation status — passed: not revoked (status list https://testville.github.io/mc/status/1.json")
        assert verdict["localPreview"] == "true"
        assert verdict["note"].startswith("Local preview: addresses under https://testville.github.io/mc/ were read from http://127.0.0.1:")
        assert page.get_attribute("#verification", "aria-live") == "polite"
        assert verdict["backends"] == ["webcrypto"]
    finally:
        page.close()


def test_the_noble_fallback_verifies_where_webcrypto_has_no_ed25519(context, served):
    refuse_ed25519 = """
      const importKey = crypto.subtle.importKey.bind(crypto.subtle);
      crypto.subtle.importKey = (format, data, algorithm, ...rest) =>
        (algorithm && (algorithm === 'Ed25519' || algorithm.name === 'Ed25519'))
          ? Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError'))
          : importKey(format, data, algorithm, ...rest);
    """
    for case_id, state in (("valid badge", "verified"), ("signed by another key claiming the district DID", "failed")):
        page = _open(context, served.cases[case_id][0], init_script=refuse_ed25519)
        try:
            verdict = _verdict(page)
        finally:
            page.close()
        assert (verdict["state"], verdict["backends"]) == (state, ["noble"]), verdict


# --- inputs --------------------------------------------------------------------------------------------


def _verify_page(served) -> str:
    return f"{served.base_url}cases/{_slug('valid badge')}/verify/"


def _badge_text(served) -> str:
    return (served.folder / "cases" / _slug("valid badge") / "badges" / "badge.json").read_text(encoding="utf-8")


def test_pasted_json_verifies(context, served):
    page = _open(context, _verify_page(served))
    try:
        page.fill("#verify-input", _badge_text(served))
        page.click("#verify-button")
        assert _verdict(page)["state"] == "verified"
    finally:
        page.close()


def _png(text_chunk: tuple[str, str] | None = None) -> bytes:
    """A 1×1 grey PNG, optionally with one uncompressed iTXt chunk (keyword, text)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    extra = b""
    if text_chunk is not None:
        keyword, text = text_chunk
        extra = chunk(b"iTXt", keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8"))
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + extra + chunk(b"IDAT", zlib.compress(b"\0\x80")) + chunk(b"IEND", b"")


SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4" cx="5" cy="5"/></svg>'


@pytest.mark.parametrize(
    "name, make, state",
    [
        ("badge.json", lambda text: text.encode("utf-8"), "verified"),
        ("badge.png", lambda text: bake_png(_png(), text), "verified"),
        ("badge.svg", lambda text: bake_svg(SVG, text).encode("utf-8"), "verified"),
        ("not-baked.png", lambda text: _png(("Comment", "hello")), "failed"),
    ],
    ids=["uploaded JSON", "uploaded baked PNG", "uploaded baked SVG", "a PNG without a baked badge"],
)
def test_uploaded_files_verify(context, served, tmp_path, name, make, state):
    path = tmp_path / name
    path.write_bytes(make(_badge_text(served)))
    page = _open(context, _verify_page(served))
    try:
        page.set_input_files("#verify-file", str(path))
        verdict = _verdict(page)
        assert verdict["state"] == state, verdict
        if state == "failed":
            assert "no badge baked into it" in verdict["messages"]["structure"]
    finally:
        page.close()


def test_a_dropped_baked_png_verifies(context, served):
    png = bake_png(_png(), _badge_text(served))
    page = _open(context, _verify_page(served))
    try:
        transfer = page.evaluate_handle(
            """(bytes) => {
                const transfer = new DataTransfer();
                transfer.items.add(new File([new Uint8Array(bytes)], 'badge.png', {type: 'image/png'}));
                return transfer;
            }""",
            list(png),
        )
        page.dispatch_event("[data-role=drop]", "drop", {"dataTransfer": transfer})
        assert _verdict(page)["state"] == "verified"
    finally:
        page.close()


def test_keyboard_alone_reaches_the_paste_box_the_verify_button_and_the_file_input(context, served):
    page = _open(context, _verify_page(served))
    try:
        reached = []
        for _ in range(6):
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.id || document.activeElement.tagName")
            if focused not in reached:
                reached.append(focused)
        controls = [focused for focused in reached if focused.startswith("verify-")]
        assert controls == ["verify-input", "verify-button", "verify-file"], reached
        page.focus("#verify-input")
        page.keyboard.insert_text(_badge_text(served))
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        assert _verdict(page)["state"] == "verified"
        for control in ("verify-input", "verify-file"):
            assert page.evaluate(f"document.querySelector('label[for={control}]').textContent.trim().length > 10")
    finally:
        page.close()


def test_a_cross_origin_credential_without_cors_is_reported_as_cors(context, served):
    page = context.new_page()
    page.clock.set_fixed_time(NOW)
    # Intercepted in the page, never sent. A browser reports a CORS refusal exactly like an unreachable
    # host (a TypeError, by design), so a refused request stands in for the other site's missing
    # Access-Control-Allow-Origin header (Playwright's route.fulfill would add one).
    page.route("https://badges.other-district.example/**", lambda route: route.abort("accessdenied"))
    try:
        page.goto(_verify_page(served) + "?url=" + quote("https://badges.other-district.example/b.json", safe=""))
        verdict = _verdict(page)
        assert verdict["state"] == "failed"
        assert "does not allow other sites to read this file (CORS)" in verdict["messages"]["structure"]
    finally:
        page.close()


def test_the_camera_button_is_hidden_without_barcode_detector(context, served):
    page = _open(context, _verify_page(served))
    try:
        has_detector = page.evaluate("typeof window.BarcodeDetector !== 'undefined'")
        assert page.is_hidden("#verify-scan") is not has_detector
        assert page.is_visible("#verify-file")
    finally:
        page.close()


# --- the sample district's own badges ------------------------------------------------------------------


def test_every_sample_wallet_badge_gets_the_python_verdict_in_the_browser(context, tmp_path_factory, bundle):
    from credfolio.config import load_district
    from credfolio.resolve import SiteResolver

    wallet = REPO_ROOT / "wallet"
    badges = sorted((wallet / "badges").glob("*.json"))
    if not (wallet / "did.json").is_file() or not badges:
        pytest.skip("the sample wallet (wallet/did.json, wallet/badges/*.json) is not there")
    district = load_district(REPO_ROOT)
    site = tmp_path_factory.mktemp("sample-site")
    shutil.copyfile(wallet / "did.json", site / "did.json")
    shutil.copytree(wallet / "status", site / "status")
    shutil.copytree(wallet / "badges", site / "badges")
    write_verify_page(site, district, bundle)
    now = datetime.now(UTC).replace(microsecond=0)
    resolver = SiteResolver(site, district.site_url)
    states = {}
    with serve_folder(site) as base_url:
        page = context.new_page()
        page.clock.set_fixed_time(now)
        page.goto(base_url + "verify/")
        try:
            for badge in badges:
                python = verify_credential(badge.read_bytes(), now=now, resolver=resolver)
                page.evaluate("(url) => document.querySelector('[data-credfolio-verifier]').credfolioVerify.verifyUrl(url)", district.url(f"badges/{badge.name}"))
                browser = page.evaluate(READ_VERDICT)
                assert (browser["state"], browser["checks"]) == (python.state, _python_oks(python)), (badge.name, browser["messages"])
                states[browser["state"]] = states.get(browser["state"], 0) + 1
        finally:
            page.close()
    print(f"\n[sample wallet] {len(badges)} badges, browser == Python: {states}")
    assert states.get("verified")


def test_the_peer_corpus_gets_the_python_verdict_in_the_browser(context, served):
    files = _corpus_files()
    if not files:
        pytest.skip("peer corpus not found (../shared/peer-corpus)")
    link = served.folder / "peer-sites"
    if not link.exists():
        link.symlink_to(SITES, target_is_directory=True)  # served read-only, never copied
    local = {prefix: served.base_url + "peer-sites/" + str(Path(folder).relative_to(SITES)) + "/" for prefix, folder in _corpus_resolver()._mapping}
    page = context.new_page()
    page.clock.set_fixed_time(CORPUS_NOW)
    page.goto(_verify_page(served))
    states: dict[str, int] = {}
    disagreements = []
    try:
        page.wait_for_function("() => window.credfolioVerifier !== undefined")
        for path in files:
            python = verify_credential(path.read_bytes(), now=CORPUS_NOW, resolver=_corpus_resolver())
            browser = page.evaluate(
                """async ([bytes, local]) => {
                    const {verifyCredential, makeFetchBytes, makeFetchJson} = window.credfolioVerifier;
                    const prefixOf = (url) => Object.keys(local).sort((a, b) => b.length - a.length).find((p) => url.startsWith(p));
                    const mapUrl = (url) => local[prefixOf(url)] + url.slice(prefixOf(url).length);
                    const fetchMapped = makeFetchJson(makeFetchBytes({mapUrl, origin: location.origin}));
                    // Like FolderMapResolver: a URL outside the mapped folders is never requested.
                    const fetchJson = async (url) => {
                        if (!prefixOf(url)) throw new Error(`${url} could not be fetched: it is not under any of the mapped folders`);
                        return fetchMapped(url);
                    };
                    const result = await verifyCredential(new Uint8Array(bytes), {fetchJson});
                    return {state: result.state, checks: Object.fromEntries(result.checks.map((c) => [c.id, c.ok === null ? 'unknown' : String(c.ok)]))};
                }""",
                [list(path.read_bytes()), local],
            )
            if (browser["state"], browser["checks"]) != (python.state, _python_oks(python)):
                disagreements.append((str(path.relative_to(CORPUS)), browser, python.to_json()))
            states[browser["state"]] = states.get(browser["state"], 0) + 1
    finally:
        page.close()
    print(f"\n[peer corpus] {len(files)} third-party credentials, browser == Python: {states}")
    assert disagreements == [], json.dumps(disagreements, indent=1)


def test_only_a_page_served_from_this_computer_maps_the_district_site(context, served):
    page = _open(context, _verify_page(served))
    try:
        mapped = page.evaluate(
            """(siteUrl) => ['https://verify.testville.example/mc/verify/', 'http://localhost:8000/mc/verify/', 'http://[::1]:8000/verify/'].map((href) => {
                const mapping = window.credfolioVerifier.urlMapping({siteUrl, siteRoot: '../'}, new URL(href));
                return [mapping.localPreview, mapping.mapUrl(siteUrl + 'did.json'), mapping.mapUrl('https://other.example/did.json')];
            })""",
            SITE_URL,
        )
    finally:
        page.close()
    assert mapped == [
        [False, SITE_URL + "did.json", "https://other.example/did.json"],
        [True, "http://localhost:8000/mc/did.json", "https://other.example/did.json"],
        [True, "http://[::1]:8000/did.json", "https://other.example/did.json"],
    ]


# --- privacy and budget ---------------------------------------------------------------------------------


def test_the_verify_page_stays_within_its_transfer_budget(context, served):
    sizes: dict[str, tuple[int, int]] = {}

    def record(response):
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
            return
        sizes[urlsplit(response.url).path] = (len(body), len(gzip.compress(body, compresslevel=9)))

    page = context.new_page()
    page.clock.set_fixed_time(NOW)
    page.on("response", record)
    try:
        started = time.perf_counter()
        page.goto(served.cases["valid badge"][0])
        verdict = _verdict(page)
        elapsed = time.perf_counter() - started
    finally:
        page.close()
    assert verdict["state"] == "verified"
    raw = sum(r for r, _ in sizes.values())
    gzipped = sum(g for _, g in sizes.values())
    lines = "\n".join(f"  {path}: {r:,} bytes, {g:,} gzipped" for path, (r, g) in sorted(sizes.items()))
    print(f"\n[transfer] verify page, valid badge: {len(sizes)} files, {raw:,} bytes raw, {gzipped:,} bytes gzipped "
          f"(budget {TRANSFER_BUDGET:,})\n{lines}\n[timing] verdict {verdict['duration']} ms after the script started; "
          f"{elapsed * 1000:.0f} ms from navigation")
    assert any(path.endswith("verifier.js") for path in sizes)
    assert gzipped <= TRANSFER_BUDGET


def test_no_request_left_127_0_0_1_and_the_content_security_policy_held(context, served):
    # Runs last in this module (pytest keeps file order): every page above went through the guard.
    assert served.outside_requests == []
    assert [error for error in served.console_errors if "Content Security Policy" in error] == []

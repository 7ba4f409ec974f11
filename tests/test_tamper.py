"""The tamper corpus (tests/tamper_corpus.py) through all three verifiers: Python, `credfolio verify --json`, the browser.

Each mutation of a genuine sample-district badge must not verify, and the first failing check must be
the one the corpus names (plus any it lists under ``also``). The browser verifier runs the whole corpus
in one headless-Chromium page and must agree with Python on the state and on every check's outcome.
A positive control (the untampered badge) verifies in all three.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tamper_corpus import BENIGN_REWRITES, Mutation, Sample, build_corpus, find_sample, self_issued_with_duplicate_values, write_site

from credfolio.config import load_district
from credfolio.resolve import SiteResolver
from credfolio.verify import CHECK_IDS, MAX_CREDENTIAL_BYTES, VerificationResult, verify_credential

REPO_ROOT = Path(__file__).resolve().parents[1]
#: "Bounded, no hang": the slowest mutation (10 MB, deep nesting) must be decided well within this.
PER_CASE_SECONDS = 10.0
CONTROL = "untampered badge"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _first_failing(oks: dict[str, bool | None]) -> str | None:
    return next((check_id for check_id in CHECK_IDS if oks[check_id] is False), None)


def _oks(result: VerificationResult) -> dict[str, bool | None]:
    return {check.id: check.ok for check in result.checks}


@dataclass
class Case:
    """One mutation written out: its badge file, the site it resolves against, and the Python verdict."""

    mutation: Mutation | None
    badge: Path
    site: Path
    python: VerificationResult
    seconds: float


@dataclass
class Corpus:
    sample: Sample
    site_url: str
    root: Path
    cases: dict[str, Case]


def _district_site_url() -> str:
    return load_district(REPO_ROOT).site_url


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    site_url = _district_site_url()
    root = tmp_path_factory.mktemp("tamper")
    district_site = root / "sites" / "district"
    sample = None
    if (REPO_ROOT / "wallet" / "did.json").is_file():
        resolver = SiteResolver(write_site(district_site), site_url)

        def verify(raw: bytes, now) -> str:
            return verify_credential(raw, now=now, resolver=resolver).state

        sample = find_sample(site_url, verify)
    if sample is None:
        pytest.skip("no sample badge to tamper with: wallet/badges/ has no verified badge with validUntil and a status entry (run `make sample`)")
    cases: dict[str, Case] = {}
    (root / "badges").mkdir()
    for mutation in [None, *build_corpus(sample)]:
        case_id = CONTROL if mutation is None else mutation.id
        raw = sample.raw if mutation is None else mutation.mutate(sample.raw)
        if mutation is not None and mutation.did_document is None:
            assert raw != sample.raw, f"{case_id}: the mutation left the badge unchanged"
        site = district_site if mutation is None or mutation.did_document is None else write_site(root / "sites" / _slug(case_id), mutation)
        badge = root / "badges" / f"{_slug(case_id)}.json"
        badge.write_bytes(raw)
        started = time.perf_counter()
        python = verify_credential(raw, now=sample.now, resolver=SiteResolver(site, site_url))
        cases[case_id] = Case(mutation, badge, site, python, time.perf_counter() - started)
    for rewrite in BENIGN_REWRITES:
        raw = rewrite.mutate(sample.raw)
        badge = root / "badges" / f"benign-{_slug(rewrite.id)}.json"
        badge.write_bytes(raw)
        python = verify_credential(raw, now=sample.now, resolver=SiteResolver(district_site, site_url))
        cases[_benign(rewrite.id)] = Case(None, badge, district_site, python, 0.0)
    raw = self_issued_with_duplicate_values(sample)
    badge = root / "badges" / "self-issued-with-duplicate-values.json"
    badge.write_bytes(raw)
    python = verify_credential(raw, now=sample.now, resolver=SiteResolver(district_site, site_url))
    cases[SELF_ISSUED] = Case(None, badge, district_site, python, 0.0)
    return Corpus(sample, site_url, root, cases)


def _benign(rewrite_id: str) -> str:
    return f"benign: {rewrite_id}"


#: The untampered badge and rewrites of its JSON syntax only: all three verifiers must accept each.
SELF_ISSUED = "another issuer's badge with repeated values"
CONTROLS = [CONTROL, *(_benign(rewrite.id) for rewrite in BENIGN_REWRITES), SELF_ISSUED]


def _mutation_ids() -> list[str]:
    """The corpus ids, for parametrizing (built from the sample wallet without verifying it)."""
    from tamper_corpus import WALLET

    badges = sorted((WALLET / "badges").glob("*.json")) if (WALLET / "did.json").is_file() else []
    if not badges:
        return []
    from datetime import UTC, datetime

    stand_in = Sample(badges[0], badges[0].read_bytes(), "https://example.invalid/", "did:web:example.invalid", datetime.now(UTC), datetime.now(UTC))
    return [mutation.id for mutation in build_corpus(stand_in)]


MUTATION_IDS = _mutation_ids()


def test_the_corpus_is_large_and_covers_every_check_it_should(corpus):
    mutations = [case.mutation for case in corpus.cases.values() if case.mutation is not None]
    assert len(corpus.cases) == len(CONTROLS) + len(mutations)
    assert len(mutations) >= 45
    assert [m.id for m in mutations] == MUTATION_IDS
    by_check: dict[str, int] = {}
    for mutation in mutations:
        by_check[mutation.expected] = by_check.get(mutation.expected, 0) + 1
    print(f"\n[tamper corpus] {len(mutations)} mutations of {corpus.sample.badge_path.name}; expected first failing check: {by_check}")
    assert set(by_check) == {"structure", "schema", "contexts", "proof", "issuer_key"}


# --- (a) the Python verifier --------------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", CONTROLS, ids=CONTROLS)
def test_each_control_verifies_in_python(corpus, case_id):
    case = corpus.cases[case_id]
    assert case.python.state == "verified", case.python.to_json()


@pytest.mark.parametrize("case_id", MUTATION_IDS, ids=MUTATION_IDS)
def test_python_rejects_the_mutation_naming_the_right_check(corpus, case_id):
    case = corpus.cases[case_id]
    result, mutation = case.python, case.mutation
    oks = _oks(result)
    failing = {check_id for check_id, ok in oks.items() if ok is False}
    assert result.verified is False and result.state != "verified", result.to_json()
    assert _first_failing(oks) == mutation.expected, json.dumps(result.to_json(), indent=1, ensure_ascii=False)[:3000]
    assert mutation.also <= failing, result.to_json()
    assert case.seconds < PER_CASE_SECONDS


# --- (b) credfolio verify --json ----------------------------------------------------------------------------


def _cli(corpus: Corpus, case: Case, capsys) -> tuple[int, str, str]:
    from credfolio.cli import main

    now = corpus.sample.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    code = main(["verify", str(case.badge), "--site", str(case.site), "--site-url", corpus.site_url, "--offline", "--now", now, "--json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case_id", CONTROLS, ids=CONTROLS)
def test_each_control_verifies_with_the_cli(corpus, capsys, case_id):
    code, out, _ = _cli(corpus, corpus.cases[case_id], capsys)
    assert code == 0 and json.loads(out)["state"] == "verified"


@pytest.mark.parametrize("case_id", MUTATION_IDS, ids=MUTATION_IDS)
def test_the_cli_exits_one_and_names_the_failing_check(corpus, capsys, case_id):
    case = corpus.cases[case_id]
    code, out, err = _cli(corpus, case, capsys)
    assert code == 1, (out, err)
    if case.badge.stat().st_size > MAX_CREDENTIAL_BYTES:
        # The command refuses to read a file this large before verifying (one line, exit 1, no JSON).
        assert out == "" and "larger than" in err, err
        return
    data = json.loads(out)
    oks = {check["id"]: check["ok"] for check in data["checks"]}
    assert data["verified"] is False
    assert _first_failing(oks) == case.mutation.expected, out[:3000]
    assert (data["state"], oks) == (case.python.state, _oks(case.python))


def test_the_installed_command_exits_one_for_a_tampered_badge_and_zero_for_the_genuine_one(corpus):
    # Two real processes (the rest run in-process for speed): the console script's exit codes and JSON.
    script = Path(sys.executable).with_name("credfolio")
    if not script.is_file():
        pytest.skip(f"the credfolio console script is not installed next to {sys.executable}")
    now = corpus.sample.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for case_id, code in ((CONTROL, 0), ("achievement name changed", 1)):
        case = corpus.cases[case_id]
        completed = subprocess.run(
            [str(script), "verify", str(case.badge), "--site", str(case.site), "--site-url", corpus.site_url, "--offline", "--now", now, "--json"],
            capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"},
        )
        assert completed.returncode == code, completed.stderr
        data = json.loads(completed.stdout)
        assert data["state"] == case.python.state
        if code:
            assert _first_failing({c["id"]: c["ok"] for c in data["checks"]}) == "proof"


# --- (c) the browser verifier -------------------------------------------------------------------------------

VERIFY_ALL = """async ([cases, siteUrl, now]) => {
  const {verifyCredential, makeFetchBytes, makeFetchJson} = window.credfolioVerifier;
  const results = {};
  for (const [caseId, badgeUrl, siteFolderUrl] of cases) {
    const mapUrl = (url) => (url.startsWith(siteUrl) ? siteFolderUrl + url.slice(siteUrl.length) : url);
    const fetchMapped = makeFetchJson(makeFetchBytes({mapUrl, origin: location.origin}));
    // Like SiteResolver: a URL outside the district's site is never requested.
    const fetchJson = async (url) => {
      if (!url.startsWith(siteUrl)) throw new Error(`${url} could not be fetched: it is not under the site folder`);
      return fetchMapped(url);
    };
    const bytes = new Uint8Array(await (await fetch(badgeUrl)).arrayBuffer());
    const started = performance.now();
    try {
      const result = await verifyCredential(bytes, {fetchJson, now});
      results[caseId] = {state: result.state, verified: result.verified, ms: performance.now() - started,
        checks: Object.fromEntries(result.checks.map((c) => [c.id, c.ok])),
        messages: Object.fromEntries(result.checks.map((c) => [c.id, c.message.slice(0, 400)]))};
    } catch (error) {
      results[caseId] = {error: `${error.name}: ${error.message}`};
    }
  }
  return results;
}"""


@pytest.fixture(scope="module")
def browser_results(corpus):
    from browser_util import launch_chromium, require_browser, serve_folder, verifier_bundle

    require_browser()
    bundle = verifier_bundle()
    from playwright.sync_api import sync_playwright

    from credfolio.browser import write_verify_page

    # The page lives in the district's site folder, so its paste box resolves did.json and the status list there.
    write_verify_page(corpus.root / "sites" / "district", load_district(REPO_ROOT), bundle)
    outside: list[str] = []
    with serve_folder(corpus.root) as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context()

            def guard(route):
                if urlsplit(route.request.url).hostname != "127.0.0.1":
                    outside.append(route.request.url)
                    return route.abort()
                return route.continue_()

            context.route("**/*", guard)
            page = context.new_page()
            page.clock.set_fixed_time(corpus.sample.now)
            page.goto(base_url + "sites/district/verify/")
            page.wait_for_function("() => window.credfolioVerifier !== undefined")
            cases = [
                [case_id, base_url + case.badge.relative_to(corpus.root).as_posix(), base_url + case.site.relative_to(corpus.root).as_posix() + "/"]
                for case_id, case in corpus.cases.items()
            ]
            started = time.perf_counter()
            results = page.evaluate(VERIFY_ALL, [cases, corpus.site_url, corpus.sample.now.timestamp() * 1000])
            print(f"\n[tamper corpus] browser: {len(cases)} cases in {time.perf_counter() - started:.1f} s, one page")
            pasted = _paste(page, corpus)
        finally:
            browser.close()
    assert outside == []
    return results, pasted


def _paste(page, corpus: Corpus) -> dict[str, str]:
    """The verify page's own paste box, for the genuine badge and a duplicate-key tamper (the UI's text path)."""
    states = {}
    for case_id in (CONTROL, "duplicate name key", "achievement name changed"):
        page.evaluate("() => { document.getElementById('verification').dataset.state = 'idle'; }")
        page.fill("#verify-input", corpus.cases[case_id].badge.read_text(encoding="utf-8"))
        page.click("#verify-button")
        page.wait_for_function("() => !['idle', 'verifying'].includes(document.getElementById('verification').dataset.state)", timeout=15_000)
        states[case_id] = page.evaluate("() => document.getElementById('verification').dataset.state")
    return states


def test_each_control_verifies_in_the_browser(corpus, browser_results):
    results, pasted = browser_results
    for case_id in CONTROLS:
        assert results[case_id]["state"] == "verified", (case_id, results[case_id])
    assert pasted == {CONTROL: "verified", "duplicate name key": "failed", "achievement name changed": "failed"}


@pytest.mark.parametrize("case_id", MUTATION_IDS, ids=MUTATION_IDS)
def test_the_browser_rejects_the_mutation_like_python(corpus, browser_results, case_id):
    case = corpus.cases[case_id]
    browser = browser_results[0][case_id]
    assert "error" not in browser, browser
    assert browser["verified"] is False and browser["state"] != "verified", browser
    assert _first_failing(browser["checks"]) == case.mutation.expected, browser["messages"]
    assert (browser["state"], browser["checks"]) == (case.python.state, _oks(case.python)), (browser["messages"], case.python.to_json())
    assert browser["ms"] < PER_CASE_SECONDS * 1000

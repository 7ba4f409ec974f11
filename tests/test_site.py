"""The catalog site: the sample district built by MkDocs, plus small test districts (XSS, overrides, stacks)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from district_factory import REPO_ROOT, STANDARDS, credential_yaml
from site_build import (
    ATTRIBUTE_BREAKOUT,
    SCRIPT,
    build_district,
    content,
    hostile_credential,
    hostile_stacks,
    load_json,
    page,
    parse_html,
    sample_site,
)

from credfolio import exports, site
from credfolio.catalog import CredentialDefinition, Stack, load_catalog
from credfolio.config import load_district

SITE_URL_PREFIX = "https://riverbend-usd.github.io/micro-credentials/"


@pytest.fixture(scope="module")
def site_dir() -> Path:
    return sample_site()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(REPO_ROOT)


@pytest.fixture(scope="module")
def district():
    return load_district(REPO_ROOT)


# --- credential pages ----------------------------------------------------------------------------------------


def test_every_credential_has_a_page_with_an_accessible_rubric_and_the_passing_rule(site_dir, catalog):
    assert catalog.credentials, "the sample catalog is empty"
    for definition in catalog.credentials.values():
        main = content(site_dir, f"catalog/{definition.id}")
        tables = [t for t in main.find_all("table") if t.attrs.get("id") == "rubric"]
        assert len(tables) == 1, definition.id
        table = tables[0]
        caption = table.find_all("caption")
        assert caption and definition.passing_rule_text() in caption[0].text, definition.id
        column_headers = [th for th in table.find_all("th") if th.attrs.get("scope") == "col"]
        row_headers = [th for th in table.find_all("th") if th.attrs.get("scope") == "row"]
        assert [th.text for th in column_headers][1:] == [
            f"{level.name} ({level.points} {'point' if level.points == 1 else 'points'})" for level in definition.rubric.levels
        ]
        assert [th.text for th in row_headers] == [row.criterion for row in definition.rubric.rows]
        for row in definition.rubric.rows:
            assert table.find_all("tr", id=f"rubric-{row.id}"), (definition.id, row.id)
        assert f"Passing rule: {definition.passing_rule_text()}" in main.text
        assert main.find_all("h1")[0].text == definition.title


def test_credential_pages_show_the_six_step_journey_and_every_part_of_the_submission(site_dir, catalog):
    for definition in catalog.credentials.values():
        main = content(site_dir, f"catalog/{definition.id}")
        steps = [h3.attrs.get("id") for h3 in main.find_all("h3")]
        assert steps[:6] == ["step-choose", "step-learn", "step-apply", "step-submit", "step-feedback", "step-earn"]
        text = main.text
        for question in definition.submission.overview:
            assert f"(up to {question.word_limit} words)" in text
            assert main.find_all("li", id=f"part1-{question.id}")
        for artifact in definition.submission.artifacts:
            assert main.find_all("li", id=f"part2-{artifact.id}")
        for prompt in definition.submission.reflection:
            assert main.find_all("li", id=f"part3-{prompt.id}")
        for component in definition.method_components:
            assert " ".join(component.title.split()) in text
        for citation in definition.research.citations:
            assert " ".join(citation.text.split())[:60] in text
        badge = [img for img in main.find_all("img") if img.has_class("cf-credential__badge")]
        assert badge and badge[0].attrs["alt"] and badge[0].attrs["src"] == exports.badge_filename(definition)
        assert (site_dir / "catalog" / definition.id / exports.badge_filename(definition)).is_file()
        qr = [svg for svg in main.find_all("svg") if svg.attrs.get("role") == "img" and svg.has_class("cf-qr")]
        assert qr and qr[0].find_all("title")[0].text.endswith(f"catalog/{definition.id}/")
        assert SITE_URL_PREFIX + f"catalog/{definition.id}/" in text


def test_retired_and_draft_credentials_are_marked_and_offer_no_submission_template(site_dir, catalog):
    for definition in catalog.credentials.values():
        folder = site_dir / "catalog" / definition.id
        main = content(site_dir, f"catalog/{definition.id}")
        template_links = [a for a in main.find_all("a") if a.attrs.get("href") == "submission-template.md"]
        if definition.is_offered:
            assert (folder / "submission-template.md").is_file()
            assert template_links
            assert not [p for p in main.find_all("p") if p.has_class("cf-status")]
        else:
            assert not (folder / "submission-template.md").exists(), definition.id
            assert not template_links
            banners = [p for p in main.find_all("p") if p.has_class("cf-status")]
            assert banners and "not accepting submissions" in banners[0].text


def test_submission_template_lists_every_part_with_word_limits(site_dir, catalog):
    definition = next(d for d in catalog.active)
    text = (site_dir / "catalog" / definition.id / "submission-template.md").read_text(encoding="utf-8")
    assert text.startswith("# Submission: ")
    for heading in ("## Part 1: Overview questions", "## Part 2: Artifacts", "## Part 3: Reflection"):
        assert heading in text
    for question in definition.submission.overview:
        assert f"Up to {question.word_limit} words." in text
    assert text.count("Link to your artifact:") == len(definition.submission.artifacts)
    assert text.count("### 3.") == len(definition.submission.reflection)


def test_credential_pages_carry_social_preview_tags(site_dir, catalog, district):
    definition = catalog.active[0]
    meta = {
        (element.attrs.get("property") or element.attrs.get("name")): element.attrs.get("content")
        for element in page(site_dir, f"catalog/{definition.id}").find_all("meta")
    }
    assert meta["og:title"] == definition.title
    assert meta["og:description"] == definition.summary
    assert meta["og:url"] == exports.credential_url(district, definition.id)
    # link previews (LinkedIn, Slack, Teams) ignore SVG, so an SVG badge gets a PNG drawn beside it
    assert meta["og:image"] == exports.credential_url(district, definition.id) + "social.png"
    image = site_dir / "catalog" / definition.id / "social.png"
    assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert meta["twitter:card"] == "summary"


def test_generated_pages_have_unique_ids_and_a_table_of_contents(site_dir, catalog):
    paths = ["catalog"] + [f"catalog/{cid}" for cid in catalog.credentials] + [f"stacks/{s.id}" for s in catalog.stacks]
    for path in paths:
        root = page(site_dir, path)
        ids = [element.attrs["id"] for element in root.iter() if element.attrs.get("id")]
        duplicates = {i for i in ids if ids.count(i) > 1}
        assert not duplicates, (path, duplicates)
    toc = page(site_dir, f"catalog/{next(iter(catalog.credentials))}")
    toc_links = {a.attrs.get("href") for nav in toc.find_all("nav") if nav.has_class("md-nav--secondary") for a in nav.find_all("a")}
    assert {"#at-a-glance", "#how-to-earn", "#step-feedback"} <= toc_links


# --- catalog home -----------------------------------------------------------------------------------------------


def test_catalog_home_lists_active_cards_with_labelled_facets(site_dir, catalog):
    main = content(site_dir, "catalog")
    cards = [li for li in main.find_all("li") if li.has_class("cf-card")]
    assert [card.attrs["id"] for card in cards] == [f"card-{d.id}" for d in catalog.active]
    for card in cards:
        for attribute in ("data-subjects", "data-grades", "data-stacks", "data-frameworks", "data-hours", "data-cost"):
            assert attribute in card.attrs, attribute
        json.loads(card.attrs["data-subjects"])
    form = main.find_all("form", id="cf-filters")[0]
    assert "hidden" in form.attrs, "filters only appear once the script runs, so the page works without JS"
    legends = [legend.text for legend in form.find_all("legend")]
    expected = ["Subject", "Grade band", "Hours", "Cost", "Alignment framework"] + (["Stack"] if catalog.stacks else [])
    assert set(expected) <= set(legends)
    labels_for = {label.attrs.get("for") for label in form.find_all("label")}
    for control in form.find_all("input"):
        labelled = control.attrs.get("id") in labels_for or control.parent.tag == "label"
        assert labelled, control.attrs
    count = main.find_all("p", id="cf-count")[0]
    assert count.attrs.get("aria-live") == "polite"
    scripts = [s.attrs.get("src") for s in page(site_dir, "catalog").find_all("script")]
    assert "../assets/credfolio/catalog-filter.js" in scripts


def test_catalog_home_lists_retired_and_draft_credentials_separately(site_dir, catalog):
    main = content(site_dir, "catalog")
    not_offered = [d for d in catalog.credentials.values() if not d.is_offered]
    cards = {li.attrs.get("id") for li in main.find_all("li") if li.has_class("cf-card")}
    for definition in not_offered:
        assert f"card-{definition.id}" not in cards
    if not_offered:
        section = main.find_all("ul", class_="cf-not-offered")[0]
        assert {a.attrs["href"] for a in section.find_all("a")} == {f"{d.id}/" for d in not_offered}


def test_nav_has_a_catalog_section_with_browse_and_the_stacks(site_dir, catalog):
    root = page(site_dir, "")
    primary = [nav for nav in root.find_all("nav") if nav.has_class("md-nav--primary")][0]
    links = [(a.text, a.attrs.get("href")) for a in primary.find_all("a")]
    assert ("Browse", "catalog/") in links
    for stack in catalog.stacks:
        assert (stack.title, f"stacks/{stack.id}/") in links
    assert not any(href and href.startswith("catalog/") and href != "catalog/" for _, href in links)


# --- search ------------------------------------------------------------------------------------------------------


def test_search_index_finds_every_credential_and_no_wallet_pages(site_dir, catalog):
    from html import escape

    docs = load_json(site_dir / "search" / "search_index.json")["docs"]
    by_location = {doc["location"]: doc for doc in docs}
    for definition in catalog.credentials.values():
        doc = by_location[f"catalog/{definition.id}/"]
        assert doc["title"] == escape(definition.title, quote=False)
        text = " ".join(re.sub(r"<[^>]+>", " ", doc["text"]).split())
        for field in (definition.summary, definition.competency, site.key_method_lead(definition.key_method)):
            assert escape(" ".join(field.split()), quote=False) in text, (definition.id, field[:40])
    assert not [doc["location"] for doc in docs if doc["location"].startswith(("wallet/", "badges/", "verify/"))]
    # only the short version of each credential page is indexed: one entry per page, no rubric text
    credential_entries = [doc for doc in docs if doc["location"].startswith("catalog/") and doc["location"] != "catalog/"]
    assert len(credential_entries) == len(catalog.credentials)
    some_descriptor = next(iter(catalog.active[0].rubric.rows[0].descriptors.values()))
    assert not any(some_descriptor[:50] in doc["text"] for doc in docs)


@pytest.mark.parametrize(
    ("key_method", "lead"),
    [
        ("The educator **pauses**. Then more.", "The educator pauses."),
        ("No full stop here", "No full stop here"),
        ("Word " * 200, ("Word " * 200).strip()[:400].rsplit(" ", 1)[0] + "…"),
        ("Uses [links](https://example.org) well! Next.", "Uses links well!"),
    ],
    ids=["first sentence", "no sentence end", "long text is cut at a word", "markdown removed"],
)
def test_key_method_lead_is_the_first_sentence(key_method, lead):
    assert site.key_method_lead(key_method) == lead


# --- exports -----------------------------------------------------------------------------------------------------


def _achievement_validator():
    schema_path = STANDARDS / "schemas" / "ob_v3p0_achievementcredential_schema.json"
    if not schema_path.exists():
        pytest.skip(f"OB 3.0 JSON schema not found at {schema_path} (../shared/standards is absent)")
    from jsonschema import Draft201909Validator

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return Draft201909Validator({"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/Achievement"})


def test_every_achievement_json_validates_against_the_ob_schema(site_dir, catalog):
    validator = _achievement_validator()
    for definition in catalog.credentials.values():
        document = load_json(site_dir / "catalog" / definition.id / "achievement.json")
        errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]
        assert not errors, (definition.id, errors[:5])
        assert document["id"] == SITE_URL_PREFIX + f"catalog/{definition.id}/"
        assert document["image"]["id"] == document["id"] + exports.badge_filename(definition)


def test_every_achievement_json_canonicalizes_without_undefined_terms(site_dir, catalog):
    proof = pytest.importorskip("credfolio.proof", reason="credfolio.proof (canonicalize) is not available yet")
    for definition in catalog.credentials.values():
        document = load_json(site_dir / "catalog" / definition.id / "achievement.json")
        nquads = proof.canonicalize(document)
        assert "issuer-dependent" not in nquads
        assert f"<{document['id']}>" in nquads


def test_catalog_json_round_trips_every_yaml_field(site_dir, catalog, district):
    data = load_json(site_dir / "catalog.json")
    assert data["format"] == exports.CATALOG_JSON_FORMAT
    assert data["district"]["issuer"] == district.issuer_did
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["generated"])
    entries = {entry["id"]: entry for entry in data["credentials"]}
    assert set(entries) == set(catalog.credentials)
    for credential_id, entry in entries.items():
        fields = {k: v for k, v in entry.items() if k not in exports.DERIVED_CREDENTIAL_KEYS}
        assert set(fields) == set(CredentialDefinition.model_fields)
        assert CredentialDefinition.model_validate(fields) == catalog.credentials[credential_id]
        assert entry["url"] == exports.credential_url(district, credential_id)
        assert entry["passing_rule"] == catalog.credentials[credential_id].passing_rule_text()
    stacks = {entry["id"]: entry for entry in data["stacks"]}
    for stack in catalog.stacks:
        fields = {k: v for k, v in stacks[stack.id].items() if k not in exports.DERIVED_STACK_KEYS}
        assert Stack.model_validate(fields) == stack
        assert stacks[stack.id]["total_hours"] == float(catalog.stack_hours(stack))


def test_build_timestamp_is_the_last_commit_not_the_clock(tmp_path):
    import os
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    environment = dict(os.environ, GIT_AUTHOR_DATE="2024-03-01T08:00:00Z", GIT_COMMITTER_DATE="2024-03-01T08:00:00Z",
                       GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
                       GIT_COMMITTER_EMAIL="t@example.org", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
    for command in (["git", "init", "-q"], ["git", "add", "mkdocs.yml"], ["git", "commit", "-q", "-m", "x"]):
        subprocess.run(command, cwd=tmp_path, env=environment, check=True, capture_output=True)
    moment = site.build_timestamp(tmp_path, {})
    assert exports.format_timestamp(moment) == "2024-03-01T08:00:00Z"


def test_ctdl_export_expands_offline_to_ctdl_terms(site_dir, catalog):
    from pyld import jsonld

    def refuse(url, options=None):
        raise AssertionError(f"CTDL export tried to load {url}")

    document = load_json(site_dir / "ctdl.json")
    expanded = jsonld.expand(document, {"documentLoader": refuse})
    micro = "https://purl.org/ctdl/terms/MicroCredential"
    nodes = [node for node in expanded if micro in node.get("@type", [])]
    assert len(nodes) == len(catalog.credentials)

    def keys(value):
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from keys(item)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)

    assert all(key.startswith(("@", "https://purl.org/ctdl/terms/")) for key in keys(expanded))


# --- site quality -------------------------------------------------------------------------------------------------


def _html_files(site_dir: Path):
    return sorted(site_dir.rglob("*.html"))


def test_no_script_stylesheet_or_image_is_loaded_from_another_host(site_dir):
    offenders = []
    for path in _html_files(site_dir):
        root = parse_html(path.read_text(encoding="utf-8"))
        for element in root.iter():
            attribute = {"script": "src", "link": "href", "img": "src", "source": "src", "iframe": "src"}.get(element.tag)
            if element.tag == "link" and element.attrs.get("rel") in ("canonical", "alternate", "prev", "next"):
                continue
            value = (element.attrs.get(attribute) or "") if attribute else ""
            if value.startswith(("http:", "https:", "//")) and not value.startswith(SITE_URL_PREFIX):
                offenders.append((str(path.relative_to(site_dir)), element.tag, value))
    assert not offenders, offenders[:10]


def test_print_stylesheet_hides_chrome_and_keeps_rubric_rows_whole():
    css = (REPO_ROOT / "src" / "credfolio" / "static" / "catalog.css").read_text(encoding="utf-8")
    media = css[css.index("@media print"):]
    for needle in (".md-header", ".md-sidebar", ".md-footer", ".md-search", "break-inside: avoid", "attr(href)", ".cf-qr"):
        assert needle in media, needle


def test_brand_colours_feed_the_custom_palette(site_dir, district):
    css = (site_dir / "assets" / "credfolio" / "brand.css").read_text(encoding="utf-8")
    assert f"--md-primary-fg-color: {district.settings.colors.primary};" in css
    assert f"--cf-accent: {district.settings.colors.accent};" in css


def test_sample_site_build_is_reproducible(site_dir, tmp_path):
    from site_build import build

    second = build(REPO_ROOT / "mkdocs.yml", tmp_path / "again")
    first_catalog, second_catalog = load_json(site_dir / "catalog.json"), load_json(second / "catalog.json")
    # "generated" is the last commit's date, which moves only when someone commits between the builds
    first_catalog.pop("generated"), second_catalog.pop("generated")
    assert first_catalog == second_catalog
    assert (second / "ctdl.json").read_bytes() == (site_dir / "ctdl.json").read_bytes()
    first_files = sorted(p.relative_to(site_dir) for p in (site_dir / "catalog").rglob("*") if p.is_file())
    for relative in first_files:
        assert (second / relative).read_bytes() == (site_dir / relative).read_bytes(), relative


# --- test districts: stacks, overrides, hostile text ---------------------------------------------------------------


@pytest.fixture(scope="module")
def factory_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("factory")
    credentials = {
        "wait-time": credential_yaml("wait-time"),
        "wait-time-two": credential_yaml("wait-time-two"),
        "old-wait-time": credential_yaml("old-wait-time", status="retired"),
    }
    return build_district(root, credentials=credentials)


def test_stack_page_has_ordered_credentials_total_hours_and_a_static_pathway_diagram(factory_site):
    root, site_dir = factory_site
    main = content(site_dir, "stacks/questioning")
    assert main.find_all("h1")[0].text == "Questioning"
    diagram = main.find_all("svg")[0]
    assert diagram.attrs["role"] == "img"
    assert diagram.find_all("title") and diagram.find_all("desc")
    assert not diagram.find_all("a"), "the diagram is an image; links inside role=img are nested interactive content"
    listed = [li for ol in main.find_all("ol") if ol.has_class("cf-pathway-list") for li in ol.find_all("li")]
    assert [li.find_all("a")[0].attrs["href"] for li in listed] == ["../../catalog/wait-time/", "../../catalog/wait-time-two/"]
    assert "About 20 hours" in main.text
    assert "Questioning Specialist" in main.text
    html = (site_dir / "stacks" / "questioning" / "index.html").read_text(encoding="utf-8")
    assert "mermaid" not in html.lower()


def test_factory_district_catalog_home_shows_stack_facet_and_retired_list(factory_site):
    _, site_dir = factory_site
    main = content(site_dir, "catalog")
    assert "Stack" in [legend.text for legend in main.find_all("legend")]
    retired = main.find_all("ul", class_="cf-not-offered")[0]
    assert "Retired" in retired.text
    assert not (site_dir / "catalog" / "old-wait-time" / "submission-template.md").exists()
    assert (site_dir / "catalog" / "old-wait-time" / "achievement.json").exists()


def test_a_district_template_override_is_used(tmp_path):
    override = tmp_path / "overrides" / "credfolio" / "catalog"
    override.mkdir(parents=True)
    (override / "stack.html").write_text(
        '<h1 id="title">{{ stack.title }}</h1><p class="district-marker">Our own stack page: {{ total_hours | hours }} hours</p>\n',
        encoding="utf-8",
    )
    _, site_dir = build_district(tmp_path)
    main = content(site_dir, "stacks/questioning")
    assert main.find_all("p", class_="district-marker")[0].text == "Our own stack page: 20 hours"
    # the other templates still come from the package
    assert content(site_dir, "catalog/wait-time").find_all("table", id="rubric")


def test_a_docs_page_at_a_generated_address_fails_the_build(tmp_path, caplog):
    from mkdocs.exceptions import Abort

    (tmp_path / "docs" / "catalog").mkdir(parents=True)
    (tmp_path / "docs" / "catalog" / "index.md").write_text("# Mine\n", encoding="utf-8")
    with pytest.raises(Abort):
        build_district(tmp_path)
    assert "docs/catalog/index.md would hide the generated home page" in caplog.text


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    credentials = {
        "hostile-one": hostile_credential("hostile-one"),
        "hostile-two": hostile_credential("hostile-two"),
        "hostile-retired": hostile_credential("hostile-retired", status="retired"),
    }
    return build_district(
        root,
        credentials=credentials,
        stacks=hostile_stacks(["hostile-one", "hostile-two"]),
        name="Testville " + SCRIPT,
        short_name="TV " + ATTRIBUTE_BREAKOUT[:20],
    )


def _markup_files(site_dir: Path):
    return [p for p in sorted(site_dir.rglob("*")) if p.suffix in (".html", ".svg", ".xml", ".md") and p.is_file()]


def test_xss_payloads_in_catalog_text_come_out_escaped_in_every_page_and_image(hostile_site):
    _, site_dir = hostile_site
    files = _markup_files(site_dir)
    assert any(p.name == "badge.svg" for p in files) and any(p.name == "submission-template.md" for p in files)
    for path in files:
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(site_dir)
        assert "<script>alert" not in text, relative
        assert "<img src=x" not in text, relative
        assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", text, re.IGNORECASE), relative
        assert "](javascript:" not in text, relative
        if path.suffix in (".html", ".svg"):
            for element in parse_html(text).iter():
                assert not [name for name in element.attrs if name.startswith("on")], (relative, element.tag, element.attrs)
                if element.tag == "script" and element.attrs.get("type") == "application/json":
                    # JSON-in-HTML data blocks may carry the payload as data, but escaped so it cannot
                    # close the element or be parsed as markup
                    assert "</" not in element.text and "<script" not in element.text, relative
                    json.loads(element.text)
                elif element.tag == "script":
                    assert "alert(1)" not in element.text, relative
    # the payload did reach the pages, as text
    home = (site_dir / "catalog" / "index.html").read_text(encoding="utf-8")
    assert "T &lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in home


def test_xss_payloads_stay_inert_in_json_exports_and_the_search_index(hostile_site):
    _, site_dir = hostile_site
    for path in sorted(site_dir.rglob("*.json")):
        data = load_json(path)
        if path.name == "achievement.json":
            narrative = data["criteria"]["narrative"]
            assert "<script" not in narrative and "<img" not in narrative and "](javascript:" not in narrative
            assert data["name"].startswith("T <script>")  # data stays data; consumers escape it
    index = load_json(site_dir / "search" / "search_index.json")
    for doc in index["docs"]:
        for field in ("title", "text"):
            assert "<script" not in doc[field] and "<img" not in doc[field], doc


def test_hostile_markdown_keeps_formatting_but_loses_scripts_and_javascript_links(hostile_site):
    _, site_dir = hostile_site
    main = content(site_dir, "catalog/hostile-one")
    key_method = [div for div in main.find_all("div") if div.has_class("cf-md")][0]
    links = key_method.find_all("a")
    assert links and all("href" not in a.attrs for a in links)
    assert "click me" in key_method.text


def test_build_timestamp_prefers_source_date_epoch(tmp_path):
    moment = site.build_timestamp(tmp_path, {"SOURCE_DATE_EPOCH": "1700000000"})
    assert exports.format_timestamp(moment) == "2023-11-14T22:13:20Z"


def test_build_timestamp_rejects_a_malformed_source_date_epoch(tmp_path):
    from credfolio.errors import SiteError

    with pytest.raises(SiteError, match="SOURCE_DATE_EPOCH"):
        site.build_timestamp(tmp_path, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_build_timestamp_outside_git_uses_the_newest_catalog_file(tmp_path):
    (tmp_path / "catalog").mkdir()
    path = tmp_path / "catalog" / "a.yml"
    path.write_text("x", encoding="utf-8")
    import os

    os.utime(path, (1600000000, 1600000000))
    moment = site.build_timestamp(tmp_path, {}, catalog_dir=tmp_path / "catalog")
    assert exports.format_timestamp(moment) == "2020-09-13T12:26:40Z"


@pytest.mark.parametrize(
    ("duration", "text"),
    [(None, "Does not expire"), ("P3Y", "3 years"), ("P1Y6M", "1 year 6 months"), ("P30D", "30 days")],
    ids=["no expiry", "years", "years and months", "days"],
)
def test_expiry_text(duration, text):
    assert site.expiry_text(duration) == text


def test_contrast_text_picks_the_readable_colour():
    assert site.contrast_text("#1f4e79") == "#ffffff"
    assert site.contrast_text("#ffe066") == "#000000"


def test_toc_tokens_nest_headings_and_escape_their_text():
    tokens = site.toc_tokens('<h1 id="t">A &amp; B</h1><h2 id="x">X</h2><h3 id="y">&lt;Y&gt;</h3><h2 id="z">Z</h2><h2>no id</h2>')
    assert tokens == [{"level": 1, "id": "t", "name": "A &amp; B", "children": [
        {"level": 2, "id": "x", "name": "X", "children": [{"level": 3, "id": "y", "name": "&lt;Y&gt;", "children": []}]},
        {"level": 2, "id": "z", "name": "Z", "children": []},
    ]}]



def test_write_exports_copies_a_given_badge_image_and_draws_the_others(tmp_path):
    from datetime import UTC, datetime

    root = tmp_path / "district"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    credentials = {
        "wait-time": credential_yaml("wait-time") + "image: images/wait-time.png\n",
        "wait-time-two": credential_yaml("wait-time-two"),
    }
    from district_factory import make_district

    make_district(root, credentials=credentials)
    (root / "images").mkdir()
    (root / "images" / "wait-time.png").write_bytes(png)
    catalog, district = load_catalog(root), load_district(root)
    written = site.write_exports(catalog, district, tmp_path / "site", generated=datetime(2025, 1, 1, tzinfo=UTC))
    names = {str(path) for path in written}
    assert {"catalog/wait-time/badge.png", "catalog/wait-time-two/badge.svg", "catalog.json", "ctdl.json"} <= names
    assert (tmp_path / "site" / "catalog" / "wait-time" / "badge.png").read_bytes() == png
    drawn = (tmp_path / "site" / "catalog" / "wait-time-two" / "badge.svg").read_text(encoding="utf-8")
    assert 'role="img"' in drawn and "<title" in drawn and "10 HOURS" in drawn
    achievement = load_json(tmp_path / "site" / "catalog" / "wait-time" / "achievement.json")
    assert achievement["image"]["id"].endswith("/catalog/wait-time/badge.png")


@pytest.mark.parametrize(
    "colors, expected",
    [
        ({}, []),
        ({"primary": "#1f4e79", "accent": "#b35c00"}, []),
        ({"primary": "#767676"}, []),  # 4.54:1, just above the line
        ({"primary": "#777777"}, ["primary on white 4.48"]),  # 4.48:1 prints as 4.48, never rounded up to 4.5
        ({"accent": "#ffe08a"}, ["accent on white 1.29"]),
        ({"accent": "#101010"}, ["accent on the dark scheme's background 1.18"]),
    ],
    ids=["the defaults pass", "the sample's colours pass", "grey at 4.54:1 passes", "grey at 4.48:1 warns",
         "a pale accent warns on white", "a near-black accent warns on the dark scheme"],
)
def test_brand_colours_are_checked_for_contrast_where_they_are_drawn(tmp_path, colors, expected):
    from credfolio.config import Colors, DistrictConfig, DistrictSettings
    from credfolio.site import brand_contrast_warnings

    district = DistrictConfig(root=tmp_path, site_url="https://testville.github.io/mc/", site_name="Testville",
                              settings=DistrictSettings(name="Testville", colors=Colors(**colors)))
    warnings = brand_contrast_warnings(district)
    summary = [re.sub(r"^mkdocs\.yml: extra\.credfolio\.colors\.(\w+): warning: #\w+ (on .*) is ([\d.]+):1; .*$", r"\1 \2 \3", w) for w in warnings]
    assert summary == expected


def test_social_images_drawn_on_every_cpu_equal_the_serial_ones(monkeypatch):
    district = load_district(REPO_ROOT)
    definitions = [definition for _, definition in sorted(load_catalog(REPO_ROOT).credentials.items())]
    monkeypatch.setenv("CREDFOLIO_BUILD_WORKERS", "1")
    serial = site._draw_social_images(district, definitions)
    monkeypatch.setattr(site, "SOCIAL_IMAGE_PARALLEL_THRESHOLD", 1)
    monkeypatch.setenv("CREDFOLIO_BUILD_WORKERS", "2")
    parallel = site._draw_social_images(district, definitions)
    assert list(parallel) == [definition.id for definition in definitions]
    assert parallel == serial
    assert all(image.startswith(b"\x89PNG\r\n\x1a\n") for image in parallel.values())
    one = definitions[0]
    assert serial[one.id] == site.badge_png_for(district, title=one.title, hours=one.hours)

"""Build the district site from the catalog (and, later, the wallet) inside MkDocs' build.

The hooks in ``hooks/credfolio.py`` call the ``on_*`` functions here. How the catalog becomes pages:

1. :func:`on_config` loads and validates the district and catalog once, and registers the catalog's
   CSS/JS and the district's brand colours.
2. :func:`on_files` adds *virtual* Markdown pages (``File.generated``): ``catalog/index.md`` (browse),
   ``catalog/<id>.md`` per credential (out of the nav) and ``stacks/<id>.md`` per stack, and puts a
   "Catalog" section into the nav. The virtual Markdown carries only the title; going through MkDocs
   is what lets Material's search index them.
3. :func:`on_page_content` renders the body of those pages with Jinja from the overridable templates
   in ``credfolio/templates/catalog/`` (autoescaped), and gives the page a table of contents and
   social-preview metadata. Search plugins index a short version of each page (title, summary,
   competency, the key method's first sentence, tags); :func:`on_page_context` swaps the full body
   back in afterwards.
4. :func:`on_post_build` writes the files that are not pages: badge images, ``achievement.json``,
   submission templates, ``catalog.json`` and ``ctdl.json``.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from html import escape, unescape
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from mkdocs.config.config_options import ExtraScriptValue
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url, nest_paths

from credfolio import browser, csp, exports, pages, submissions, verdicts, wallet
from credfolio.shard import Shard, record_shard, shard_from_environment
from credfolio.catalog import GRADE_BANDS, Catalog, CredentialDefinition, Stack
from credfolio.config import DistrictConfig, load_district
from credfolio.errors import CredfolioError, SiteError
from credfolio.qr import qr_svg
from credfolio.render import markdown_to_text, template_environment, text_environment

_STATE_KEY = "credfolio_state"
ASSETS_DIR = "assets/credfolio"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_FILES = ("catalog.css", "catalog-filter.js")
BRAND_CSS = f"{ASSETS_DIR}/brand.css"
CATALOG_HOME = "catalog/index.md"
NAV_SECTION = "Catalog"
RESERVED_CREDENTIAL_IDS = frozenset({"index"})
#: How much of the key method the search index holds: its first sentence, at most this many characters.
#: The whole key method of 500 credentials would make a ~250 KB (gzipped) index; this keeps it near 130 KB.
SEARCH_KEY_METHOD_CHARS = 400


# --- MkDocs events ---------------------------------------------------------------------------------------


def on_config(config):
    """Load and validate the district and its catalog once per build; fail the build on any problem."""
    root = Path(config["config_file_path"]).parent
    try:
        district = load_district(root)
        catalog = load_catalog_for_site(root, district)
        generated = build_timestamp(root, catalog_dir=district.catalog_path)
        shard = shard_from_environment()
    except CredfolioError as error:
        problems = getattr(error, "problems", [error])
        raise PluginError("credfolio: " + "; ".join(str(p) for p in problems)) from None
    if not config["use_directory_urls"]:
        raise PluginError(
            "credfolio: use_directory_urls must stay true: credential and badge URLs are directory URLs "
            "(catalog/<id>/) and are embedded in every badge"
        )
    for path in (BRAND_CSS, f"{ASSETS_DIR}/catalog.css"):
        if path not in [str(item) for item in config["extra_css"]]:
            config["extra_css"].append(path)
    script = f"{ASSETS_DIR}/catalog-filter.js"
    if script not in [str(item) for item in config["extra_javascript"]]:
        value = ExtraScriptValue(script)
        value.defer = True
        config["extra_javascript"].append(value)
    if district.settings.logo and not config["theme"].get("logo"):
        config["theme"]["logo"] = district.settings.logo
    # `mkdocs serve` cleans the site folder before each rebuild: keep the last wallet pages for an incremental one
    pages.stash_previous_pages(district, Path(config["site_dir"]), shard=shard)
    config["extra"][_STATE_KEY] = _BuildState(
        district=district,
        catalog=catalog,
        env=template_environment(root),
        text_env=text_environment(root),
        generated=generated,
        shard=shard,
    )
    return config


def on_files(files: Files, config) -> Files:
    """Add the catalog's assets and virtual pages, and the Catalog section of the nav."""
    state = _state(config)
    for name in STATIC_FILES:
        files.append(File.generated(config, f"{ASSETS_DIR}/{name}", abs_src_path=str(STATIC_DIR / name)))
    files.append(File.generated(config, BRAND_CSS, content=brand_css(state.district)))

    state.pages.clear()
    catalog = state.catalog
    _add_page(files, config, state, GeneratedPage(CATALOG_HOME, "home", "", "Browse the catalog", _home_description(state)))
    for definition in sorted(catalog.credentials.values(), key=lambda d: d.id):
        _add_page(
            files, config, state,
            GeneratedPage(f"catalog/{definition.id}.md", "credential", definition.id, definition.title, definition.summary),
            in_nav=False,
        )
    for stack in catalog.stacks:
        description = stack.earns.description or f"A pathway of {len(stack.all_credentials)} micro-credentials."
        _add_page(files, config, state, GeneratedPage(f"stacks/{stack.id}.md", "stack", stack.id, stack.title, description))
    _add_nav_section(files, config, state)
    return files


def on_page_content(html: str, page, config, files) -> str:
    """Render the body of a generated catalog page from its Jinja template.

    Returns the short *search* version of the page (title, summary, competency, the key method's first
    sentence, tags), which is
    what search plugins index in ``on_page_context``; :func:`on_page_context` then puts the full body
    back. This keeps a 500-credential index small without relying on any theme's exclusion markup.
    """
    state = config["extra"].get(_STATE_KEY)
    generated = state.pages.get(page.file.src_uri) if state is not None else None
    if generated is None:
        return html
    link = _linker(page.url)
    try:
        template, context, search = _page_template(state, generated, link)
        body = state.env.get_template(template).render(**context)
        search_body = state.env.get_template("catalog/search.html").render(**search)
    except jinja2.TemplateError as error:
        raise PluginError(f"credfolio: template error while rendering {page.file.src_uri}: {error}") from None
    page.meta["title"] = Markup(escape(generated.title))
    page.meta["description"] = Markup(escape(generated.description))
    page.meta["credfolio_og"] = _social_meta(state, generated, page.url)
    page.toc = get_toc(toc_tokens(body))
    state.bodies[page.file.src_uri] = body
    return search_body


def on_page_context(context, page, config, nav):
    """Put the full body of a generated page back once search plugins have indexed the short one.

    The hook runs this late (low priority), after every plugin's ``on_page_context``.
    """
    state = config["extra"].get(_STATE_KEY)
    if state is not None:
        body = state.bodies.pop(page.file.src_uri, None)
        if body is not None:
            page.content = body
    return context


def on_startup(command: str, dirty: bool = False) -> None:
    """Remember whether this is ``mkdocs serve``: its live-reload script is inline and unhashable."""
    global _SERVING
    _SERVING = command == "serve"


_SERVING = False


def on_post_page(output: str, page, config) -> str:
    """Give every MkDocs-rendered page a Content-Security-Policy (see :mod:`credfolio.csp`).

    Not under ``mkdocs serve``: the live-reload script it injects into each page is inline and
    changes on every request, so a hash-based policy would stop the preview from reloading.
    """
    return output if _SERVING else csp.add_content_security_policy(output)


def on_post_template(output: str, template_name: str, config) -> str:
    """The same policy for the theme's static HTML templates (``404.html``)."""
    if _SERVING or not template_name.endswith(".html"):
        return output
    return csp.add_content_security_policy(output)


def _page_template(state: _BuildState, generated: GeneratedPage, link: Callable[[str], str]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Template name, its context, and the search-version context of a generated page."""
    catalog = state.catalog
    if generated.kind == "home":
        context = _home_context(state, link)
        search = {"title": "Micro-credential catalog", "paragraphs": [generated.description], "markdown": []}
        return "catalog/home.html", context, search
    if generated.kind == "credential":
        definition = catalog.credentials[generated.object_id]
        search = {
            "title": definition.title,
            "paragraphs": [definition.summary, definition.competency, key_method_lead(definition.key_method)] + list(definition.tags),
            "markdown": [],
        }
        return "catalog/credential.html", _credential_context(state, definition, link), search
    stack = next(s for s in catalog.stacks if s.id == generated.object_id)
    search = {"title": stack.title, "paragraphs": [stack.earns.title], "markdown": [stack.description]}
    return "catalog/stack.html", _stack_context(state, stack, link), search


def on_post_build(config) -> None:
    """Write exports, publish and verify the wallet, render wallet/badge pages and the verify page.

    A sharded build (:mod:`credfolio.shard`) writes only its part: a teacher shard its teachers' badges
    and wallet pages, the ``none`` part everything that names no teacher.
    """
    state = config["extra"].get(_STATE_KEY)
    if state is None:
        return
    site_dir = Path(config["site_dir"])
    shard = state.shard
    try:
        if shard.writes_shared:
            write_exports(state.catalog, state.district, site_dir, generated=state.generated,
                          env=state.env, text_env=state.text_env)
        pages.restore_previous_pages(state.district, site_dir)
        publish_wallet(state.district, site_dir, now=datetime.now(UTC), shard=shard)
        # no env: large wallets render in worker processes, which build the district's environment themselves
        summary = pages.write_wallet_pages(state.district, state.catalog, site_dir, now=datetime.now(UTC), shard=shard)
        if shard.writes_shared:
            browser.write_verify_page(site_dir, state.district, browser.ensure_verifier_bundle(state.district.root), env=state.env)
        refuse_key_material(site_dir)
        record_shard(site_dir, shard, covered=summary.covered, teachers=summary.teachers)
    except CredfolioError as error:
        raise PluginError(f"credfolio: {error}") from None


def publish_wallet(district: DistrictConfig, site_dir: Path, *, now: datetime, cache: bool = True,
                   workers: int | None = None, stats: verdicts.CacheStats | None = None, shard: Shard = Shard()) -> int:
    """Copy did.json, status lists, public badges and the ledger into the site, then verify every badge.

    This is the build-time guarantee: a badge that does not verify against the site being published
    (edited by hand, signed by a key that is not in did.json, missing status list) fails the build.
    Revoked, suspended and expired badges are published as they are: their pages say so.
    Verification runs on every core for a large wallet, and with ``cache`` a verdict is reused while
    the badge, the documents it was checked against and its validity window are unchanged
    (:mod:`credfolio.verdicts`). Returns the number of badges published.

    A sharded build publishes and verifies only the badges of the ``shard``'s teachers (``did.json`` and
    the status lists are copied too, to verify against), and the ledger only in the shared part.
    """
    badges: list[tuple[str, Path]] = []
    files = wallet.site_files(district)
    if shard.is_sharded:
        owners = {badge_id: entry.issued.get("teacher") if entry.issued else None
                  for badge_id, entry in wallet.read_state(district).badges.items()}
        files = [(source, relative) for source, relative in files
                 if not relative.startswith(f"{wallet.BADGES_DIR}/") or _in_shard(shard, owners.get(Path(relative).stem))]
    for source, relative in files:
        target = site_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(source, target)
        except OSError as error:
            raise SiteError(f"cannot publish {source}: {error.strerror or error}") from None
        if relative.startswith("badges/") and relative.endswith(".json"):
            badges.append((f"{district.settings.wallet_dir}/{relative}", target))
    ledger = wallet.public_ledger_text(district) if shard.writes_shared else None
    if ledger is not None:
        (site_dir / wallet.LEDGER_FILE).write_text(ledger, encoding="utf-8")
    results = verdicts.verify_badges(badges, site_dir=site_dir, site_url=district.site_url, now=now,
                                     cache_file=verdicts.cache_path(district.root, shard) if cache else None,
                                     workers=workers, stats=stats)
    problems = [f"{result.display} does not verify ({result.reason})" for result in results
                if result.state in ("failed", "unknown-status")]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SiteError(problems[0] + more + "; fix or re-issue it before publishing")
    return len(badges)


def _in_shard(shard: Shard, teacher: object) -> bool:
    # A badge file the ledger does not know (teacher None) is published by the shared part, so that
    # the build's verification still catches it exactly once.
    return shard.covers(teacher) if isinstance(teacher, str) else shard.writes_shared


def refuse_key_material(site_dir: Path) -> None:
    """Fail the build if anything that looks like a private key ended up in the site folder."""
    from credfolio.keys import holds_private_key_material

    for path in sorted(site_dir.rglob("*")):
        if path.is_file() and not path.is_symlink() and holds_private_key_material(path.read_bytes()):
            raise SiteError(f"{path.relative_to(site_dir)} contains private key material; refusing to publish the site")


# --- build state and generated pages --------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedPage:
    """A virtual page of the catalog: where it lives, what renders it, and its title/description."""

    src_uri: str
    kind: str  # "home", "credential" or "stack"
    object_id: str
    title: str
    description: str


@dataclass
class _BuildState:
    """The loaded district and catalog, shared between hook events of one build."""

    district: DistrictConfig
    catalog: Catalog
    env: jinja2.Environment
    text_env: jinja2.Environment
    generated: datetime
    #: The part of the site this build writes (``$CREDFOLIO_SHARD``; default: all of it).
    shard: Shard = field(default_factory=Shard)
    pages: dict[str, GeneratedPage] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)


def _state(config) -> _BuildState:
    state = config["extra"].get(_STATE_KEY)
    if state is None:
        raise PluginError("credfolio: on_config did not run; list hooks/credfolio.py under `hooks:` in mkdocs.yml")
    return state


def load_catalog_for_site(root: Path, district: DistrictConfig) -> Catalog:
    """Load the catalog and refuse ids the site cannot publish (``index`` is the catalog home)."""
    from credfolio.catalog import load_catalog

    catalog = load_catalog(root, district.settings.catalog_dir)
    for credential_id in catalog.credentials:
        if credential_id in RESERVED_CREDENTIAL_IDS:
            raise SiteError(f"the id '{credential_id}' is reserved for the catalog home; rename the credential",
                            location=None)
    return catalog


def _add_page(files: Files, config, state: _BuildState, page: GeneratedPage, *, in_nav: bool = True) -> None:
    existing = files.get_file_from_path(page.src_uri)
    if existing is not None:
        raise PluginError(
            f"credfolio: docs/{page.src_uri} would hide the generated {page.kind} page at the same address; "
            "rename or remove it"
        )
    # The Markdown carries only the title (JSON is valid YAML, so no title can break the front matter);
    # the body is rendered from templates in on_page_content.
    content = f"---\ntitle: {json.dumps(page.title)}\n---\n"
    inclusion = InclusionLevel.UNDEFINED if in_nav else InclusionLevel.NOT_IN_NAV
    files.append(File.generated(config, page.src_uri, content=content, inclusion=inclusion))
    state.pages[page.src_uri] = page


def _add_nav_section(files: Files, config, state: _BuildState) -> None:
    """Put "Catalog" (Browse, then one entry per stack) into the nav, after the home page."""
    catalog = state.catalog
    section = {NAV_SECTION: [{"Browse": CATALOG_HOME}] + [f"stacks/{stack.id}.md" for stack in catalog.stacks]}
    nav = config["nav"]
    if nav is None:
        from mkdocs.structure.files import file_sort_key

        pages = sorted(
            (f for f in files.documentation_pages() if f.inclusion.is_in_nav() and f.src_uri not in state.pages),
            key=file_sort_key,
        )
        nav = nest_paths(f.src_uri for f in pages)
        position = 1 if nav and nav[0] == "index.md" else 0
        nav.insert(position, section)
        config["nav"] = nav
    elif CATALOG_HOME not in json.dumps(nav):
        nav.insert(1 if nav else 0, section)


def _linker(page_url: str) -> Callable[[str], str]:
    def link(target: str) -> str:
        return get_relative_url(target, page_url)

    return link


def _home_description(state: _BuildState) -> str:
    count = len(state.catalog.active)
    return f"{count} teacher micro-credential{'s' if count != 1 else ''} from {state.district.name}: filter by subject, grade band, stack, hours and cost."


# --- template contexts ---------------------------------------------------------------------------------------


def _district_context(district: DistrictConfig) -> dict[str, Any]:
    return {
        "name": district.name,
        "short_name": district.settings.short_name or district.name,
        "contact_email": district.settings.contact_email,
        "site_url": district.site_url,
    }


def _stack_summary(catalog: Catalog, stack: Stack) -> dict[str, Any]:
    return {
        "id": stack.id,
        "title": stack.title,
        "page_path": exports.stack_path(stack.id),
        "earns_title": stack.earns.title,
        "capstone_id": stack.capstone,
        "count": len(stack.all_credentials),
        "total_hours": catalog.stack_hours(stack),
    }


def _card(catalog: Catalog, definition: CredentialDefinition) -> dict[str, Any]:
    stacks = [_stack_summary(catalog, stack) for stack in catalog.stacks_for(definition.id)]
    return {
        "definition": definition,
        "page_path": exports.credential_path(definition.id),
        "badge_path": exports.credential_path(definition.id) + exports.badge_filename(definition),
        "stacks": stacks,
        "stack_ids": [stack["id"] for stack in stacks],
        "frameworks": sorted({alignment.framework for alignment in definition.alignments}),
    }


def _home_context(state: _BuildState, link: Callable[[str], str]) -> dict[str, Any]:
    catalog = state.catalog
    items = [_card(catalog, definition) for definition in catalog.active]
    not_offered = sorted(
        (_card(catalog, d) for d in catalog.credentials.values() if not d.is_offered),
        key=lambda item: (item["definition"].status, item["definition"].title.lower()),
    )
    active = catalog.active
    hours = [definition.hours for definition in active] or [0]
    facets = {
        "subjects": sorted({s for d in active for s in d.subjects}, key=lambda s: (s != "All subjects", s.lower())),
        "grades": [band for band in GRADE_BANDS if any(band in d.grade_bands for d in active)],
        "stacks": [{"id": stack.id, "title": stack.title} for stack in catalog.stacks],
        "frameworks": sorted({a.framework for d in active for a in d.alignments}, key=str.lower),
        "hours_min": min(hours),
        "hours_max": max(hours),
    }
    return {
        "district": _district_context(state.district),
        "items": items,
        "not_offered": not_offered,
        "facets": facets,
        "stacks": [_stack_summary(catalog, stack) for stack in catalog.stacks],
        "exports": {"catalog": exports.CATALOG_JSON_FILE, "ctdl": exports.CTDL_JSON_FILE},
        "link": link,
    }


def key_method_lead(key_method: str, limit: int = SEARCH_KEY_METHOD_CHARS) -> str:
    """The first sentence of the key method as plain text, cut at a word boundary after ``limit`` characters."""
    text = " ".join(markdown_to_text(key_method).split())
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    sentence = match.group(1) if match else text
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + "…"
    return sentence


def expiry_text(duration: str | None) -> str:
    """``P3Y`` → ``3 years``; ``None`` → ``Does not expire``."""
    if not duration:
        return "Does not expire"
    parts = []
    for amount, unit in re.findall(r"(\d+)([YMD])", duration):
        name = {"Y": "year", "M": "month", "D": "day"}[unit]
        parts.append(f"{int(amount)} {name}{'' if int(amount) == 1 else 's'}")
    return " ".join(parts) or duration


def _credential_context(state: _BuildState, definition: CredentialDefinition, link: Callable[[str], str]) -> dict[str, Any]:
    catalog, district = state.catalog, state.district
    page_path = exports.credential_path(definition.id)
    page_url = district.url(page_path)
    return {
        "definition": definition,
        "district": _district_context(district),
        "stacks": [_stack_summary(catalog, stack) for stack in catalog.stacks_for(definition.id)],
        "rows_by_id": {row.id: row for row in definition.rubric.rows},
        "levels_described": any(level.description for level in definition.rubric.levels),
        "expiry_text": expiry_text(definition.expires_after),
        "badge_path": page_path + exports.badge_filename(definition),
        "achievement_path": page_path + exports.ACHIEVEMENT_FILE,
        "submission_template_path": page_path + exports.SUBMISSION_TEMPLATE_FILE,
        "submission_yaml_path": page_path + exports.SUBMISSION_YAML_FILE,
        "page_url": page_url,
        "qr_svg": Markup(qr_svg(page_url, title=f"QR code linking to {page_url}", element_id="qr")),
        "link": link,
    }


def pathway_diagram(catalog: Catalog, stack: Stack) -> dict[str, Any]:
    """Layout of a stack's pathway diagram: one box per credential, top to bottom, capstone last."""
    width, margin, gap, line_height = 640, 8, 44, 22
    nodes: list[dict[str, Any]] = []
    y = margin
    for credential_id in stack.all_credentials:
        definition = catalog.credentials[credential_id]
        lines = _wrap(definition.title, width=48, max_lines=2)
        height = 48 + line_height * len(lines)
        nodes.append({
            "y": y,
            "height": height,
            "lines": lines,
            "hours": definition.hours,
            "capstone": credential_id == stack.capstone,
            "page_path": exports.credential_path(credential_id),
        })
        y += height + gap
    titles = [catalog.credentials[cid].title for cid in stack.credentials]
    description = "In order: " + "; then ".join(titles) + "."
    if stack.capstone:
        description += f" Capstone, earned last: {catalog.credentials[stack.capstone].title}."
    return {
        "id": f"pathway-{stack.id}",
        "title": stack.title,
        "description": description,
        "width": width,
        "height": y - gap + margin,
        "margin": margin,
        "gap": gap,
        "nodes": nodes,
    }


def _stack_context(state: _BuildState, stack: Stack, link: Callable[[str], str]) -> dict[str, Any]:
    catalog = state.catalog
    steps = [
        {"definition": catalog.credentials[cid], "capstone": cid == stack.capstone, "page_path": exports.credential_path(cid)}
        for cid in stack.all_credentials
    ]
    return {
        "stack": stack,
        "steps": steps,
        "total_hours": catalog.stack_hours(stack),
        "diagram": pathway_diagram(catalog, stack),
        "stack_badges_auto": state.district.settings.stack_badges == "auto",
        "district": _district_context(state.district),
        "link": link,
    }


def _social_meta(state: _BuildState, page: GeneratedPage, page_url: str) -> dict[str, str]:
    district = state.district
    meta = {
        "title": page.title,
        "description": page.description,
        "url": district.url(page_url),
        "site_name": district.name,
    }
    if page.kind == "credential":
        definition = state.catalog.credentials[page.object_id]
        meta["image"] = exports.credential_url(district, definition.id) + exports.social_image_filename(definition)
        meta["image_alt"] = definition.alt_text or f"Badge: {definition.title}"
    return meta


def _wrap(text: str, *, width: int, max_lines: int) -> list[str]:
    lines = textwrap.wrap(text, width=width, break_long_words=True) or [text]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "…"
    return lines


# --- table of contents ---------------------------------------------------------------------------------------


_HEADING = re.compile(r"<h([1-3])\b([^>]*)>(.*?)</h\1\s*>", re.IGNORECASE | re.DOTALL)
_ID_ATTRIBUTE = re.compile(r"""\bid\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def toc_tokens(html: str) -> list[dict[str, Any]]:
    """Table-of-contents tokens (as python-markdown's toc extension makes them) for rendered HTML.

    h1–h3 headings with an id, nested by level; names are the headings' text, HTML-escaped. (A regular
    expression is enough: the input is our own rendered template output, and it is several times
    faster than a full HTML parse on a 500-page catalog.)
    """
    root: list[dict[str, Any]] = []
    stack: list[dict[str, Any]] = []
    for match in _HEADING.finditer(html):
        found = _ID_ATTRIBUTE.search(match.group(2))
        if not found:
            continue
        ident = unescape(next(group for group in found.groups() if group is not None))
        text = " ".join(unescape(_TAG.sub("", match.group(3))).split())
        level = int(match.group(1))
        token = {"level": level, "id": ident, "name": escape(text), "children": []}
        while stack and stack[-1]["level"] >= level:
            stack.pop()
        (stack[-1]["children"] if stack else root).append(token)
        stack.append(token)
    return root


# --- files that are not pages --------------------------------------------------------------------------------


def write_exports(catalog: Catalog, district: DistrictConfig, site_dir: Path, *, generated: datetime,
                  env: jinja2.Environment | None = None, text_env: jinja2.Environment | None = None) -> list[Path]:
    """Write badges, achievement.json, submission templates, catalog.json and ctdl.json into ``site_dir``.

    Returns the paths written (relative to ``site_dir``), in a stable order.
    """
    env = env or template_environment(district.root)
    text_env = text_env or text_environment(district.root)
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        target = site_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(Path(relative))

    social_images = _draw_social_images(district, [definition for _, definition in sorted(catalog.credentials.items())
                                                   if exports.social_image_filename(definition) == exports.SOCIAL_IMAGE_FILE])
    for credential_id in sorted(catalog.credentials):
        definition = catalog.credentials[credential_id]
        folder = exports.credential_path(credential_id)
        badge = folder + exports.badge_filename(definition)
        if definition.image:
            source = district.root / definition.image
            target = site_dir / badge
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(source, target)
            except OSError as error:
                raise SiteError(f"cannot copy badge image {definition.image}: {error.strerror or error}") from None
            written.append(Path(badge))
        else:
            write(badge, badge_svg(definition, district, env))
        if credential_id in social_images:
            social = site_dir / (folder + exports.SOCIAL_IMAGE_FILE)
            social.write_bytes(social_images[credential_id])
            written.append(Path(folder + exports.SOCIAL_IMAGE_FILE))
        write(folder + exports.ACHIEVEMENT_FILE, exports.to_json_text(exports.achievement_json(definition, district)))
        if definition.is_offered:
            write(folder + exports.SUBMISSION_TEMPLATE_FILE, submission_template(definition, district, text_env))
            write(folder + exports.SUBMISSION_YAML_FILE, submissions.submission_template(definition, district))
    write(exports.CATALOG_JSON_FILE, exports.to_json_text(exports.catalog_json(catalog, district, generated=generated)))
    write(exports.CTDL_JSON_FILE, exports.to_json_text(exports.ctdl_json(catalog, district)))
    return written


def submission_template(definition: CredentialDefinition, district: DistrictConfig, text_env: jinja2.Environment | None = None) -> str:
    """The Markdown submission template a teacher downloads (Parts 1–3 with word limits and link slots)."""
    text_env = text_env or text_environment(district.root)
    return text_env.get_template("catalog/submission-template.md").render(
        c=definition,
        page_url=exports.credential_url(district, definition.id),
        criteria={row.id: row.criterion for row in definition.rubric.rows},
    )


def badge_png_for(district: DistrictConfig, *, title: str, hours: float | Decimal) -> bytes:
    """The default badge drawn as PNG in the district's colours (see :func:`credfolio.png.badge_png`)."""
    return _draw_badge_png((title, hours, district.settings.short_name or district.name, _badge_palette(district)))


#: Below this many images a process pool costs more to start than drawing them here saves.
SOCIAL_IMAGE_PARALLEL_THRESHOLD = 64


def _draw_social_images(district: DistrictConfig, definitions: list[CredentialDefinition]) -> dict[str, bytes]:
    """The drawn PNG of each credential (by id), on every CPU for a large catalog (~10 ms of Pillow each)."""
    issuer, palette = district.settings.short_name or district.name, _badge_palette(district)
    arguments = [(definition.title, definition.hours, issuer, palette) for definition in definitions]
    workers = pages.worker_count(None)
    if workers < 2 or len(arguments) < SOCIAL_IMAGE_PARALLEL_THRESHOLD:
        images = [_draw_badge_png(item) for item in arguments]
    else:
        chunk_size = max(8, len(arguments) // (workers * 4))
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=pages.pool_context()) as pool:
            images = list(pool.map(_draw_badge_png, arguments, chunksize=chunk_size))
    return {definition.id: image for definition, image in zip(definitions, images, strict=True)}


def _badge_palette(district: DistrictConfig) -> dict[str, str]:
    colors = district.settings.colors
    return {"primary": colors.primary, "accent": colors.accent,
            "primary_text": contrast_text(colors.primary), "accent_text": contrast_text(colors.accent)}


def _draw_badge_png(arguments: tuple[str, float | Decimal, str, dict[str, str]]) -> bytes:
    # Module level, so a process pool can pickle it.
    from credfolio.png import badge_png

    title, hours, issuer, palette = arguments
    return badge_png(title=title, hours=hours, issuer=issuer, colors=palette)


def badge_svg(definition: CredentialDefinition, district: DistrictConfig, env: jinja2.Environment | None = None) -> str:
    """Draw the default badge: district colours, the title on up to four lines, and the hours."""
    env = env or template_environment(district.root)
    colors = district.settings.colors
    # Large type on up to three lines when the title fits, else smaller type on up to four; longer
    # titles are cut with an ellipsis (the alt text and caption carry the full title).
    for width, max_lines, font_size in ((13, 3, 21), (15, 3, 19), (19, 4, 16)):
        lines = textwrap.wrap(definition.title, width=width) or [definition.title]
        if len(lines) <= max_lines and max(len(line) for line in lines) <= width:
            break
    else:
        lines = _wrap(definition.title, width=19, max_lines=4)
    line_height = font_size + 4
    title_y = 118 - (len(lines) - 1) * line_height / 2 + font_size / 3
    issuer = (district.settings.short_name or district.name).upper()
    if len(issuer) > 26:
        issuer = issuer[:25].rstrip() + "…"
    return env.get_template("catalog/badge.svg").render(
        alt=definition.alt_text or f"Badge: {definition.title}",
        colors={
            "primary": colors.primary,
            "accent": colors.accent,
            "primary_text": contrast_text(colors.primary),
            "accent_text": contrast_text(colors.accent),
        },
        issuer=issuer,
        lines=lines,
        font_size=font_size,
        line_height=line_height,
        title_y=f"{title_y:.1f}",
        hours=definition.hours,
    )


# --- branding ---------------------------------------------------------------------------------------------------


def _channel(value: float) -> float:
    value /= 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def _luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def contrast_text(background: str) -> str:
    """White or black, whichever reads better on ``background``."""
    return "#ffffff" if contrast_ratio(background, "#ffffff") >= contrast_ratio(background, "#000000") else "#000000"


#: Where each brand colour is drawn, against which backgrounds, and the WCAG 2.1 ratio it needs there. The primary
#: colour is link and heading text on white (1.4.3, 4.5:1; the dark scheme gets a lightened shade, see brand_css);
#: the accent colour marks focus, the rubric's passing level and status notes on both schemes (1.4.11, 3:1).
#: Text drawn *on* a brand colour is white or black by contrast_text, which always reaches 4.5:1.
_BRAND_CONTRAST = {
    "primary": (("white", "#ffffff"),), "accent": (("white", "#ffffff"), ("the dark scheme's background", "#1e2129")),
}
_BRAND_MINIMUM = {"primary": (4.5, "text and links in this colour need 4.5:1 (WCAG 1.4.3)"),
                  "accent": (3.0, "focus rings and highlights in this colour need 3:1 (WCAG 1.4.11)")}


def brand_contrast_warnings(district: DistrictConfig) -> list[str]:
    """One ``mkdocs.yml: extra.credfolio.colors.<name>: warning: …`` line per brand colour that is too faint where it is drawn."""
    warnings = []
    colors = district.settings.colors.model_dump()
    for name, backgrounds in _BRAND_CONTRAST.items():
        minimum, why = _BRAND_MINIMUM[name]
        for label, background in backgrounds:
            ratio = contrast_ratio(colors[name], background)
            if ratio < minimum:
                warnings.append(f"mkdocs.yml: extra.credfolio.colors.{name}: warning: {colors[name]} on {label} is "
                                f"{ratio:.2f}:1; {why}")
    return warnings


def _mix(color: str, other: str, weight: float) -> str:
    """``weight`` of ``other`` mixed into ``color`` (sRGB, like CSS color-mix)."""
    channels = []
    for i in (1, 3, 5):
        a, b = int(color[i:i + 2], 16), int(other[i:i + 2], 16)
        channels.append(round(a * (1 - weight) + b * weight))
    return "#" + "".join(f"{c:02x}" for c in channels)


def brand_css(district: DistrictConfig) -> str:
    """CSS custom properties from the district's colours, also feeding Material's ``custom`` palette."""
    colors = district.settings.colors
    primary, accent = colors.primary, colors.accent
    primary_text, accent_text = contrast_text(primary), contrast_text(accent)
    # On the dark scheme links need a lighter shade of the brand colour to stay readable.
    dark_link = primary
    for step in range(1, 11):
        if contrast_ratio(dark_link, "#1e2129") >= 4.5:
            break
        dark_link = _mix(primary, "#ffffff", step / 10)
    return f"""/* Generated by credfolio from extra.credfolio.colors in mkdocs.yml. */
:root {{
  --cf-primary: {primary};
  --cf-primary-text: {primary_text};
  --cf-accent: {accent};
  --cf-accent-text: {accent_text};
}}
[data-md-color-scheme="slate"] {{
  --cf-primary: {dark_link};
}}
[data-md-color-primary="custom"] {{
  --md-primary-fg-color: {primary};
  --md-primary-fg-color--light: {_mix(primary, "#ffffff", 0.25)};
  --md-primary-fg-color--dark: {_mix(primary, "#000000", 0.25)};
  --md-primary-bg-color: {primary_text};
  --md-primary-bg-color--light: {primary_text}b3;
}}
[data-md-color-accent="custom"] {{
  --md-accent-fg-color: {accent};
  --md-accent-fg-color--transparent: {accent}1a;
  --md-accent-bg-color: {accent_text};
  --md-accent-bg-color--light: {accent_text}b3;
}}
[data-md-color-scheme="slate"][data-md-color-primary="custom"] {{
  --md-typeset-a-color: {dark_link};
}}
"""


# --- reproducible build time -------------------------------------------------------------------------------


def build_timestamp(root: Path, environ: dict[str, str] | None = None, *, catalog_dir: Path | None = None) -> datetime:
    """The build's timestamp: SOURCE_DATE_EPOCH, else the last commit's date, else the newest catalog file.

    Never the wall clock, so two builds of the same commit produce identical files.
    """
    environ = dict(os.environ) if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise SiteError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {epoch!r}") from None
    try:
        result = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True, timeout=20, check=False
        )
        if result.returncode == 0 and result.stdout.strip().isdigit():
            return datetime.fromtimestamp(int(result.stdout.strip()), tz=UTC)
    except (OSError, subprocess.SubprocessError):
        pass
    candidates = [root / "mkdocs.yml"] + sorted((catalog_dir or root / "catalog").glob("*.yml"))
    times = [path.stat().st_mtime for path in candidates if path.is_file()]
    return datetime.fromtimestamp(int(max(times)) if times else 0, tz=UTC)


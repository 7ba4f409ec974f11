"""Rendering for generated pages: the template environments and Markdown → sanitized HTML.

Catalog text is written by district staff but treated as untrusted. Two rules keep it inert:

* HTML templates (``.html``, ``.svg``, ``.xml``) autoescape every value; Markdown is allowed only in the
  fields the catalog schema marks (md), and :func:`render_markdown` turns it into HTML that ``nh3``
  has reduced to basic formatting and ``https:``/``mailto:`` links.
* Markdown templates (``.md``, e.g. the submission template teachers download) escape every value
  for Markdown through the environment's ``finalize`` hook, so a title cannot become a link, a
  heading or raw HTML in whatever renders the file later.

Templates ship in the package (``credfolio/templates``); a district overrides any of them by placing a
file with the same relative name under ``<district>/overrides/credfolio/``.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from pathlib import Path

import jinja2
import markdown
import nh3
from markupsafe import Markup

#: Where a district puts template overrides, relative to its root.
OVERRIDES_DIR = Path("overrides") / "credfolio"

#: Tags Markdown fields may produce; everything else is reduced to its text.
ALLOWED_TAGS = frozenset(
    {"a", "abbr", "b", "blockquote", "br", "code", "em", "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "ul"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
ALLOWED_URL_SCHEMES = frozenset({"https", "mailto"})

_AUTOESCAPED = ("html", "htm", "svg", "xml")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#])")
_LINK_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _only_fragments(url: str) -> str | None:
    # Relative links are refused except in-page anchors (#rubric): catalog text is published on
    # many pages and in exports, where a relative path would point somewhere different each time.
    return url if url.startswith("#") else None


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    url_relative=_only_fragments,
    link_rel="noopener noreferrer",
)
_TEXT_ONLY = nh3.Cleaner(tags=set())


_MARKDOWN = markdown.Markdown(extensions=["sane_lists"], output_format="html")


@functools.lru_cache(maxsize=4096)
def _markdown_html(text: str) -> str:
    # One converter for the whole build: constructing a Markdown instance costs more than converting
    # a field, and a catalog has thousands of fields. reset() clears state between documents. The
    # cache serves the fields a build converts twice (page and submission template, page and CTDL).
    return _MARKDOWN.reset().convert(text)


def render_markdown(text: str | None) -> Markup:
    """Render a Markdown field to sanitized HTML (basic formatting, https/mailto links only)."""
    if not text:
        return Markup("")
    return Markup(_CLEANER.clean(_markdown_html(str(text))).strip())


def markdown_to_text(text: str | None) -> str:
    """Plain text of a Markdown field (for exports that carry no markup, such as CTDL descriptions)."""
    if not text:
        return ""
    html = _markdown_html(str(text))
    html = re.sub(r"</(p|li|blockquote|pre|h\d)>", "\n", html)
    plain = _TEXT_ONLY.clean(html)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'").replace("&amp;", "&")
    return "\n".join(line.strip() for line in plain.splitlines() if line.strip())


def escape_markdown(value: object) -> str:
    """Escape plain text so Markdown shows it literally (no links, emphasis, headings or HTML)."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        # Markup never reaches a Markdown template legitimately; treat it as text like anything else.
        value = str(value)
    # Angle brackets become entities rather than backslash escapes: every Markdown dialect shows
    # &lt; as "<", while not all of them honour "\<" (Python-Markdown, for one, does not).
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", str(value))
    return text.replace("<", "&lt;").replace(">", "&gt;")


def safe_markdown_source(text: str | None) -> str:
    """A Markdown field made safe to embed in other Markdown (e.g. an OB criteria narrative).

    Raw HTML is reduced to text (``<`` becomes ``&lt;``, which Markdown shows literally), and link
    destinations other than https, mailto and in-page anchors lose their link syntax, so a renderer
    that does not sanitize still cannot produce a script or a ``javascript:`` link.
    """
    if not text:
        return ""
    cleaned = _TEXT_ONLY.clean(str(text))

    def neutralise_inline(match: re.Match[str]) -> str:
        destination = match.group(2).strip().lstrip("<")
        if _link_allowed(destination):
            return match.group(0)
        return match.group(1) + "\\(" + match.group(2)

    cleaned = re.sub(r"(\])\((\s*[^)\s]*)", neutralise_inline, cleaned)

    def neutralise_reference(match: re.Match[str]) -> str:
        if _link_allowed(match.group(2).strip()):
            return match.group(0)
        return "\\" + match.group(0).lstrip()

    return re.sub(r"^( {0,3}\[[^\]\n]+\]:)\s*(\S*)", lambda m: neutralise_reference(m), cleaned, flags=re.MULTILINE)


def _link_allowed(destination: str) -> bool:
    if destination.startswith("#"):
        return True
    match = _LINK_SCHEME.match(destination)
    if not match:
        return False
    return match.group(0)[:-1].lower() in ALLOWED_URL_SCHEMES


def format_hours(hours: float | Decimal | int) -> str:
    """``15.0`` → ``"15"``, ``7.5`` → ``"7.5"``."""
    value = Decimal(str(hours)).normalize()
    text = format(value, "f")
    return text


def format_money(amount: float, currency: str) -> str:
    """``0`` → ``"Free"``; ``50`` USD → ``"$50"``; ``12.5`` EUR → ``"12.50 EUR"``."""
    if amount == 0:
        return "Free"
    whole = float(amount).is_integer()
    number = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    if currency == "USD":
        return f"${number}"
    return f"{number} {currency}"


def _finalize_markdown(value: object) -> str:
    return escape_markdown(value)


def template_environment(district_root: Path | str | None = None) -> jinja2.Environment:
    """Jinja environment for HTML/SVG templates: district overrides first, then the package templates.

    Autoescaping is on for every HTML, SVG and XML template (and for templates given as strings).
    """
    env = jinja2.Environment(
        loader=_loader(district_root),
        autoescape=jinja2.select_autoescape(enabled_extensions=_AUTOESCAPED, default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    _add_filters(env)
    return env


def text_environment(district_root: Path | str | None = None) -> jinja2.Environment:
    """Jinja environment for Markdown templates: every ``{{ value }}`` is escaped for Markdown."""
    env = jinja2.Environment(
        loader=_loader(district_root),
        autoescape=False,
        finalize=_finalize_markdown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    _add_filters(env)
    return env


def _loader(district_root: Path | str | None) -> jinja2.BaseLoader:
    loaders: list[jinja2.BaseLoader] = []
    if district_root is not None:
        overrides = Path(district_root) / OVERRIDES_DIR
        if overrides.is_dir():
            loaders.append(jinja2.FileSystemLoader(str(overrides)))
    loaders.append(jinja2.PackageLoader("credfolio", "templates"))
    return jinja2.ChoiceLoader(loaders)


def _add_filters(env: jinja2.Environment) -> None:
    env.filters["markdown"] = render_markdown
    env.filters["hours"] = format_hours
    env.filters["money"] = format_money
    env.filters["markdown_text"] = markdown_to_text

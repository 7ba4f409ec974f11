"""Rendering: Markdown fields to sanitized HTML, Markdown escaping, and the template environments."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from credfolio import render


@pytest.mark.parametrize(
    ("markdown", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("<img src=x onerror=alert(1)>", "<img"),
        ('<a href="https://ok.example" onclick="alert(1)">x</a>', "onclick"),
        ("[x](javascript:alert(1))", "javascript:"),
        ("[x](JAVASCRIPT:alert(1))", "JAVASCRIPT:"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ("[x](http://plain.example/)", "http://"),
        ("[x](//evil.example/)", "//evil"),
        ("[x](../relative/)", "../relative"),
        ("<https://ok.example/?q=\"><script>alert(1)</script>>", "<script"),
        ('<p style="position:fixed">x</p>', "style"),
        ('<span class="md-button">x</span>', "class"),
        ("<iframe src=https://evil.example></iframe>", "<iframe"),
        ("<svg><script>alert(1)</script></svg>", "<svg"),
        ('<a href="https://ok.example" target="_blank">x</a>', "target"),
    ],
    ids=[
        "script tag", "img onerror", "event handler attribute", "javascript link", "javascript link in capitals",
        "data link", "plain http link", "protocol-relative link", "relative link", "autolink breakout",
        "style attribute", "class attribute", "iframe", "inline svg", "target attribute",
    ],
)
def test_render_markdown_removes_unsafe_html_and_links(markdown, forbidden):
    html = render.render_markdown(markdown)
    assert isinstance(html, Markup)
    assert forbidden not in html


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**bold** and *em*", "<p><strong>bold</strong> and <em>em</em></p>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("Use `code`.", "<p>Use <code>code</code>.</p>"),
        ("[guide](https://example.org/g)", '<p><a href="https://example.org/g" rel="noopener noreferrer">guide</a></p>'),
        ("[mail](mailto:pl@example.org)", '<p><a href="mailto:pl@example.org" rel="noopener noreferrer">mail</a></p>'),
        ("[rubric](#rubric)", '<p><a href="#rubric" rel="noopener noreferrer">rubric</a></p>'),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("a < b & c", "<p>a &lt; b &amp; c</p>"),
    ],
    ids=["emphasis", "list", "code", "https link", "mailto link", "in-page anchor", "blockquote", "plain angle bracket"],
)
def test_render_markdown_keeps_basic_formatting(markdown, expected):
    assert render.render_markdown(markdown) == expected


def test_render_markdown_reduces_headings_to_text():
    html = render.render_markdown("## Heading\n\ntext")
    assert "<h2" not in html and "Heading" in html


def test_render_markdown_of_nothing_is_empty():
    assert render.render_markdown(None) == "" and render.render_markdown("") == ""


def test_markdown_to_text_drops_markup_and_keeps_lines():
    assert render.markdown_to_text("A **b** & c\n\n- one\n- two\n\n<script>x</script>") == "A b & c\none\ntwo"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[x](javascript:1)", "\\[x\\](javascript:1)"),
        ("# not a heading", "\\# not a heading"),
        ("*not em*", "\\*not em\\*"),
        ("back\\slash", "back\\\\slash"),
        ("What's it?", "What's it?"),
    ],
    ids=["plain", "html", "link syntax", "heading", "emphasis", "backslash", "apostrophe stays readable"],
)
def test_escape_markdown(text, expected):
    assert render.escape_markdown(text) == expected


@pytest.mark.parametrize(
    ("source", "forbidden", "kept"),
    [
        ("Hi <script>alert(1)</script>", "<script", "Hi"),
        ("[a](javascript:alert(1))", "](javascript:", "[a]"),
        ("[a][r]\n\n[r]: javascript:alert(1)", "\n[r]: javascript:", "[a][r]"),
        ("[a](https://ok.example)", None, "[a](https://ok.example)"),
        ("[a](#rubric)", None, "[a](#rubric)"),
        ("**bold** text", None, "**bold** text"),
    ],
    ids=["script", "javascript inline link", "javascript reference definition", "https link kept", "anchor kept", "emphasis kept"],
)
def test_safe_markdown_source(source, forbidden, kept):
    safe = render.safe_markdown_source(source)
    if forbidden:
        assert forbidden not in safe
    assert kept in safe


@pytest.mark.parametrize(
    ("hours", "text"), [(15, "15"), (15.0, "15"), (7.5, "7.5"), (0.25, "0.25"), (100.0, "100")],
    ids=["int", "whole float", "half", "quarter", "hundred"],
)
def test_format_hours(hours, text):
    assert render.format_hours(hours) == text


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(0, "USD", "Free"), (50, "USD", "$50"), (12.5, "USD", "$12.50"), (1200, "USD", "$1,200"), (40, "EUR", "40 EUR")],
    ids=["free", "whole dollars", "cents", "thousands", "other currency"],
)
def test_format_money(amount, currency, text):
    assert render.format_money(amount, currency) == text


def test_html_templates_autoescape_every_value():
    env = render.template_environment()
    assert env.from_string("{{ v }}").render(v='<b a="1">') == "&lt;b a=&#34;1&#34;&gt;"
    assert env.get_template("catalog/search.html").render(title="<i>", paragraphs=["<b>"], markdown=[]).count("&lt;") == 2


def test_markdown_templates_escape_every_value_for_markdown():
    env = render.text_environment()
    assert env.from_string("# {{ v }}").render(v="[x](javascript:1) <b>") == "# \\[x\\](javascript:1) &lt;b&gt;"


def test_district_overrides_win_over_package_templates(tmp_path):
    folder = tmp_path / "overrides" / "credfolio" / "catalog"
    folder.mkdir(parents=True)
    (folder / "search.html").write_text("district {{ title }}", encoding="utf-8")
    env = render.template_environment(tmp_path)
    assert env.get_template("catalog/search.html").render(title="<x>") == "district &lt;x&gt;"
    assert env.get_template("catalog/credential.html").filename.endswith("credfolio/templates/catalog/credential.html")


def test_without_overrides_the_package_templates_are_used(tmp_path):
    env = render.template_environment(tmp_path)
    template = env.get_template("catalog/search.html")
    assert template.filename.endswith("credfolio/templates/catalog/search.html")

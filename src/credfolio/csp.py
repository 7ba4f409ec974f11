"""Content-Security-Policy for the pages MkDocs renders (catalog, stacks, guides, 404).

Wallet, badge, certificate, program and verify pages come from credfolio's own templates, which run
no inline script and carry their policy in the template. Pages rendered by MkDocs and Material do run
a few small inline scripts (Material's ``__md_scope``/``__md_get`` helpers, the palette restore and the
tab-anchor fix); rather than allow ``'unsafe-inline'``, :func:`add_content_security_policy` hashes each
inline script of the page at build time and allows exactly those (``'sha256-…'``). Catalog text never
reaches an inline script (JSON data blocks are not executed), so a payload cannot acquire a hash.

The policy: this site's own scripts, styles, fonts and images (plus ``data:`` images such as Material's
inline SVG icons), ``connect-src 'self' https:`` (search index; the verifier fetches DID documents and
status lists of other issuers), no plugins, no ``<base>`` elsewhere, forms only to this site.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

#: Directives every MkDocs-rendered page gets; ``script-src`` adds the hashes of the page's inline scripts.
BASE_DIRECTIVES = (
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "font-src 'self'",
    "connect-src 'self' https:",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
)

_SCRIPT = re.compile(r"<script(?P<attrs>(?:\s[^>]*)?)>(?P<body>.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)
_EXECUTABLE_TYPES = frozenset({"", "text/javascript", "application/javascript", "module"})
_EXISTING = re.compile(r"""<meta\s[^>]*http-equiv\s*=\s*["']?content-security-policy""", re.IGNORECASE)
_CHARSET = re.compile(r"<meta\s+charset\s*=[^>]*>", re.IGNORECASE)
_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    """The policy text; ``script_hashes`` are CSP source expressions such as ``'sha256-…'``."""
    script_src = " ".join(["script-src 'self'", *sorted(set(script_hashes))])
    return "; ".join([BASE_DIRECTIVES[0], script_src, *BASE_DIRECTIVES[1:]])


def inline_script_hashes(html: str) -> list[str]:
    """``'sha256-…'`` of every inline script the page would execute (data blocks and ``src`` scripts excluded)."""
    hashes = []
    for match in _SCRIPT.finditer(html):
        attrs = match.group("attrs") or ""
        kind = _TYPE.search(attrs)
        if _SRC.search(attrs) or (kind and kind.group(1).lower() not in _EXECUTABLE_TYPES):
            continue
        digest = hashlib.sha256(match.group("body").encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return hashes


def add_content_security_policy(html: str) -> str:
    """Put a ``<meta http-equiv="Content-Security-Policy">`` first in ``<head>`` (after ``<meta charset>``).

    A page that already has a policy is returned unchanged; a document without ``<head>`` too (a
    fragment is not a page). The meta must come before the first script it governs.
    """
    if _EXISTING.search(html):
        return html
    anchor = _CHARSET.search(html) or _HEAD.search(html)
    if anchor is None:
        return html
    meta = f'\n    <meta http-equiv="Content-Security-Policy" content="{content_security_policy(inline_script_hashes(html))}">'
    return html[: anchor.end()] + meta + html[anchor.end():]

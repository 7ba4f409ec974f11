"""Resolve DIDs and fetch status lists: from a built site folder, from mapped folders, or over https.

A verifier needs two things from the outside world: the issuer's DID document (``did:web`` →
``https://…/did.json``; ``did:key`` is computed locally) and the status list credential a badge points
at. Both come through a :class:`Resolver`, injected into :func:`credfolio.verify.verify_credential`,
so tests and ``credfolio verify --site`` resolve from local folders and never touch the network.

Every fetch is bounded in size, parses strict JSON (duplicate keys refused) and fails with a
:class:`~credfolio.errors.ResolutionError` whose message says what could not be fetched and why.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from credfolio.errors import ResolutionError
from credfolio.keys import did_key_document, did_web_document_url

#: Largest document any resolver reads. did.json files are < 8 KiB and a 131,072-entry status list
#: credential is ~1 KiB; 1 MB leaves room for big lists while bounding a hostile response.
DEFAULT_MAX_BYTES = 1_000_000

# GitHub Pages serves extensionless files (e.g. status lists without ".json") as application/octet-stream;
# the content is still parsed strictly as JSON, so accepting the type loses nothing.
_JSON_CONTENT_TYPES = ("application/json", "application/ld+json", "application/did+json", "application/did+ld+json", "text/plain",
                       "application/octet-stream")


@runtime_checkable
class Resolver(Protocol):
    """Where DID documents and JSON documents (status lists, credentials) come from."""

    def resolve_did(self, did: str) -> dict[str, Any]:
        """The DID document of ``did`` (no fragment); :class:`ResolutionError` when it cannot be had."""
        ...

    def fetch_json(self, url: str) -> dict[str, Any]:
        """The JSON object published at ``url``; :class:`ResolutionError` when it cannot be had."""
        ...


def parse_json(data: bytes | str, *, source: str = "document") -> Any:
    """Strict JSON: UTF-8, no duplicate keys, no ``NaN``/``Infinity``; :class:`ResolutionError` otherwise.

    Duplicate keys matter for signed documents: parsers disagree on which value wins, so a verifier
    and a wallet could read different claims from the same bytes.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ResolutionError(f"{source} is not UTF-8 text: {error.reason} at byte {error.start}") from None
    if data.startswith("\ufeff"):
        data = data[1:]
    try:
        return json.loads(data, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ResolutionError(f"{source} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except _DuplicateKey as error:
        raise ResolutionError(f"{source} has the key {error.key!r} twice in one object") from None
    except _BadConstant as error:
        raise ResolutionError(f"{source} contains {error.constant}, which is not JSON") from None
    except RecursionError:
        raise ResolutionError(f"{source} is nested too deeply") from None
    except ValueError as error:  # e.g. an integer longer than Python's 4,300-digit conversion limit
        raise ResolutionError(f"{source} is not valid JSON: {error}".split(";")[0]) from None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _BadConstant(ValueError):
    def __init__(self, constant: str) -> None:
        super().__init__(constant)
        self.constant = constant


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _reject_constant(constant: str) -> Any:
    raise _BadConstant(constant)


class BaseResolver:
    """Shared DID logic: ``did:key`` is expanded locally, ``did:web`` is fetched through :meth:`fetch_json`."""

    def resolve_did(self, did: str) -> dict[str, Any]:
        """The DID document of ``did``; checks that a did:web document's ``id`` is the DID itself."""
        if not isinstance(did, str) or not did.startswith("did:"):
            raise ResolutionError(f"{did!r} is not a DID")
        if "#" in did:
            did = did.split("#", 1)[0]
        if did.startswith("did:key:"):
            return did_key_document(did)
        if did.startswith("did:web:"):
            url = did_web_document_url(did)
            try:
                document = self.fetch_json(url)
            except ResolutionError as error:
                raise ResolutionError(f"DID document of {did} could not be fetched: {error.message}") from None
            if document.get("id") != did:
                raise ResolutionError(f"DID document at {url} is for {document.get('id')!r}, not {did}")
            return document
        method = did.split(":", 2)[1] if did.count(":") >= 2 else did
        raise ResolutionError(f"{did}: DID method {method!r} is not supported (only did:web and did:key)")

    def fetch_json(self, url: str) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def covers(self, url: str) -> bool:
        """Whether this resolver is the authority for ``url`` (see :class:`ChainResolver`)."""
        return True


def _require_object(document: Any, url: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise ResolutionError(f"{url} is not a JSON object")
    return document


class FolderMapResolver(BaseResolver):
    """Serve https URLs from local folders: ``{"https://host/path/": Path("DIR")}`` maps ``https://host/path/x/y`` to ``DIR/x/y``.

    The longest matching prefix wins. Query strings and fragments are ignored (a static host ignores
    them too). A path may not escape its folder (``..``, percent-encoded separators, symlinks
    pointing outside are all refused), only regular files are read, and no more than ``max_bytes``.
    Useful for the peer corpus (one folder per host) and, through :class:`SiteResolver`, for a
    district's built site.
    """

    def __init__(self, mapping: Mapping[str, Path | str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._mapping: list[tuple[str, Path]] = []
        for prefix, folder in mapping.items():
            parts = urlsplit(prefix)
            if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
                raise ResolutionError(f"folder mapping prefix must be an https URL without query or fragment: {prefix!r}")
            normalized = prefix if prefix.endswith("/") else prefix + "/"
            self._mapping.append((normalized, Path(folder)))
        self._mapping.sort(key=lambda item: len(item[0]), reverse=True)
        self.max_bytes = max_bytes

    def covers(self, url: str) -> bool:
        """Whether ``url`` falls under one of the mapped prefixes."""
        return self._match(url) is not None

    def fetch_json(self, url: str) -> dict[str, Any]:
        """Read the file ``url`` maps to and parse it as strict JSON."""
        return _require_object(parse_json(self.fetch_bytes(url), source=url), url)

    def fetch_bytes(self, url: str) -> bytes:
        """The raw bytes of the file ``url`` maps to (at most ``max_bytes``)."""
        path = self.path_for(url)
        try:
            with open(path, "rb") as handle:
                data = handle.read(self.max_bytes + 1)
        except FileNotFoundError:
            raise ResolutionError(f"{url} could not be fetched: no file {path}") from None
        except OSError as error:
            raise ResolutionError(f"{url} could not be fetched: {error.strerror or error}") from None
        if len(data) > self.max_bytes:
            raise ResolutionError(f"{url} could not be fetched: larger than {self.max_bytes} bytes")
        return data

    def path_for(self, url: str) -> Path:
        """The file inside a mapped folder that ``url`` names; :class:`ResolutionError` if there is none."""
        match = self._match(url)
        if match is None:
            where = self._mapping[0][0] if len(self._mapping) == 1 else "any of the mapped folders"
            raise ResolutionError(f"{url} could not be fetched: it is not under {where}")
        prefix, folder = match
        relative = urlsplit(url).path[len(urlsplit(prefix).path) :]
        segments = relative.split("/")
        decoded = [unquote(segment) for segment in segments]
        if not relative or relative.endswith("/") or any(
            segment in ("", ".", "..") or "/" in segment or "\\" in segment or "\0" in segment for segment in decoded
        ):
            raise ResolutionError(f"{url} could not be fetched: not a file path inside the site")
        root = Path(os.path.realpath(folder))
        candidate = Path(os.path.realpath(root.joinpath(*decoded)))
        if candidate != root and root not in candidate.parents:
            raise ResolutionError(f"{url} could not be fetched: the path leaves the site folder")
        if candidate.exists() and not candidate.is_file():
            raise ResolutionError(f"{url} could not be fetched: {candidate} is not a file")
        return candidate

    def _match(self, url: str) -> tuple[str, Path] | None:
        if not isinstance(url, str):
            return None
        parts = urlsplit(url)
        if parts.scheme != "https":
            return None
        bare = f"https://{parts.netloc}{parts.path}"
        for prefix, folder in self._mapping:
            if bare.startswith(prefix):
                return prefix, folder
        return None


class SiteResolver(FolderMapResolver):
    """Resolve a district's own URLs (badges, status lists, its did:web document) from its built site folder.

    ``site_url`` is where the folder is published, e.g. ``https://riverbend.github.io/mc/``; its
    did:web ``did:web:riverbend.github.io:mc`` resolves to ``site_dir/did.json``.
    """

    def __init__(self, site_dir: Path | str, site_url: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__({site_url: Path(site_dir)}, max_bytes=max_bytes)
        self.site_dir = Path(site_dir)
        self.site_url = self._mapping[0][0]


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to https URLs, at most a few times."""

    max_redirections = 3

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        if urlsplit(newurl).scheme != "https":
            raise ResolutionError(f"{req.full_url} redirects to {newurl}, which is not https")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class HttpsResolver(BaseResolver):
    """Fetch over https with urllib: https only (redirects too), a timeout, a size limit and JSON content only."""

    def __init__(self, *, timeout: float = 5.0, max_bytes: int = DEFAULT_MAX_BYTES, opener: urllib.request.OpenerDirector | None = None) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        # Only https URLs are requested and redirects elsewhere are refused, so the opener's default
        # file:/ftp:/data: handlers are never reached.
        self._opener = opener or urllib.request.build_opener(_HttpsOnlyRedirects())

    def fetch_json(self, url: str) -> dict[str, Any]:
        """GET ``url`` (https only) and parse the body as strict JSON."""
        return _require_object(parse_json(self.fetch_bytes(url), source=url), url)

    def fetch_bytes(self, url: str) -> bytes:
        """GET ``url`` (https only) and return the body (at most ``max_bytes``)."""
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme != "https" or not parts.netloc:
            raise ResolutionError(f"{url} could not be fetched: only https URLs are fetched")
        request = urllib.request.Request(
            url.split("#", 1)[0],
            headers={"Accept": "application/json, application/ld+json;q=0.9, */*;q=0.1", "User-Agent": "credfolio-verifier"},
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                final_url = response.geturl() if hasattr(response, "geturl") else url
                if urlsplit(final_url).scheme != "https":
                    raise ResolutionError(f"{url} could not be fetched: ended at {final_url}, which is not https")
                content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                if content_type and not (content_type in _JSON_CONTENT_TYPES or content_type.endswith("+json")):
                    raise ResolutionError(f"{url} could not be fetched: the server sent {content_type}, not JSON")
                data = response.read(self.max_bytes + 1)
        except ResolutionError as error:
            raise ResolutionError(error.message if error.message.startswith(url) else f"{url} could not be fetched: {error.message}") from None
        except urllib.error.HTTPError as error:
            raise ResolutionError(f"{url} could not be fetched: the server answered {error.code} {error.reason}") from None
        except urllib.error.URLError as error:
            raise ResolutionError(f"{url} could not be fetched: {error.reason}") from None
        except (OSError, ValueError) as error:  # timeouts, connection resets, malformed URLs
            raise ResolutionError(f"{url} could not be fetched: {error}") from None
        if len(data) > self.max_bytes:
            raise ResolutionError(f"{url} could not be fetched: larger than {self.max_bytes} bytes")
        return data


class ChainResolver(BaseResolver):
    """Ask resolvers in order; the first whose :meth:`covers` says yes answers (folders before the network).

    A URL under a mapped site folder is answered from that folder only — a missing local file is an
    error, never a silent fall-through to the network.
    """

    def __init__(self, *resolvers: Resolver) -> None:
        if not resolvers:
            raise ValueError("ChainResolver needs at least one resolver")
        self.resolvers = resolvers

    def covers(self, url: str) -> bool:
        """Whether any resolver in the chain covers ``url``."""
        return any(_covers(resolver, url) for resolver in self.resolvers)

    def fetch_json(self, url: str) -> dict[str, Any]:
        """Fetch ``url`` from the first resolver that covers it."""
        return self._resolver_for(url).fetch_json(url)

    def fetch_bytes(self, url: str) -> bytes:
        """Raw bytes of ``url`` from the first resolver that covers it (it must offer ``fetch_bytes``)."""
        resolver = self._resolver_for(url)
        fetch_bytes = getattr(resolver, "fetch_bytes", None)
        if fetch_bytes is None:
            raise ResolutionError(f"{url} could not be fetched: its resolver only serves parsed JSON")
        return fetch_bytes(url)

    def _resolver_for(self, url: str) -> Resolver:
        for resolver in self.resolvers:
            if _covers(resolver, url):
                return resolver
        raise ResolutionError(f"{url} could not be fetched: no resolver is configured for it")


def _covers(resolver: Resolver, url: str) -> bool:
    covers = getattr(resolver, "covers", None)
    return True if covers is None else bool(covers(url))

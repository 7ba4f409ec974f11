"""Build-time verification of every published badge: on both cores, and cached by content hash.

The site build refuses to publish a badge that does not verify (:func:`credfolio.site.publish_wallet`).
Verifying means canonicalizing every badge (RDFC-1.0) twice, which dominates the cost of a large
build; but a badge that did not change verifies the same way again, so :func:`verify_badges` keeps
each verdict in ``<district>/.cache/credfolio/verdicts.json`` and reuses it only while everything
the verdict was made from is unchanged:

* the badge's bytes (the cache key is their SHA-256);
* the bytes of every document the verifier fetched for it — the DID document (``did.json``: a key
  marked compromised or removed changes it) and each status list (a revocation changes it) — recorded
  by URL and SHA-256 while the verdict was made, and compared with the site being published;
* the moment: a verdict holds only between the validity dates around the build's ``now`` (the
  badge's and its status lists' ``validFrom`` less the verifier's clock skew, and ``validUntil``), so
  a cached "verified" ends when the badge expires;
* the verifier itself: a fingerprint of credfolio's code and bundled contexts.

A sharded build (:mod:`credfolio.shard`) keeps its verdicts in a file of its own,
``verdicts.shard-<value>.json``, so that shards sharing a CI cache do not overwrite one another's.

Only definite verdicts are kept (verified, expired, revoked, suspended); a failure or an unknown status
is verified afresh each time. The cache lives outside the site and outside git (``.cache/`` is
ignored), is written atomically, and a damaged or foreign cache file is ignored and rebuilt.

Misses are verified in a process pool (``forkserver`` or ``spawn``, as for the pages) when there are
at least :data:`PARALLEL_THRESHOLD` of them.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import math
import multiprocessing
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import credfolio
from credfolio import fsutil
from credfolio.credential import parse_datetime
from credfolio.errors import ResolutionError
from credfolio.resolve import SiteResolver, parse_json
from credfolio.shard import Shard

CACHE_DIR = ".cache/credfolio"
CACHE_FILE = "verdicts.json"
CACHE_FORMAT = 1
#: Verdicts that depend only on the inputs recorded with them (never "failed" or "unknown-status").
CACHEABLE_STATES = frozenset({"verified", "expired", "revoked", "suspended"})
#: Below this many badges to verify, a process pool costs more to start than it saves.
PARALLEL_THRESHOLD = 150
WORKERS_ENV = "CREDFOLIO_BUILD_WORKERS"
#: The clock skew the build verifies with (also what the cached validity windows are computed with).
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying one published badge: its state and, when it failed, the first failing check."""

    display: str
    state: str
    reason: str
    cached: bool = False


@dataclass
class CacheStats:
    """How many verdicts came from the cache and how many were computed (and with how many processes)."""

    hits: int = 0
    misses: int = 0
    workers: int = 1


def cache_path(district_root: Path | str, shard: Shard | None = None) -> Path:
    """``<district>/.cache/credfolio/verdicts.json`` (a file of its own per shard of a sharded build)."""
    return Path(district_root) / CACHE_DIR / (shard.cache_name(CACHE_FILE) if shard is not None else CACHE_FILE)


def verify_badges(
    badges: list[tuple[str, Path]],
    *,
    site_dir: Path,
    site_url: str,
    now: datetime,
    cache_file: Path | None = None,
    workers: int | None = None,
    parallel_threshold: int = PARALLEL_THRESHOLD,
    stats: CacheStats | None = None,
) -> list[Verdict]:
    """Verify published badges ``(display name, file in the site)`` against the site folder, as of ``now``.

    Returns one :class:`Verdict` per badge, in order. With ``cache_file``, verdicts are reused while
    their inputs are unchanged (see the module docstring) and the file is rewritten with the verdicts
    of these badges only.
    """
    stats = stats if stats is not None else CacheStats()
    fingerprint = verifier_fingerprint()
    entries = _load(cache_file, fingerprint) if cache_file is not None else {}
    current = _CurrentBytes(SiteResolver(site_dir, site_url))
    results: list[Verdict | None] = [None] * len(badges)
    keys: list[str] = []
    misses: list[tuple[int, str, str]] = []
    kept: dict[str, dict[str, Any]] = {}
    for position, (display, path) in enumerate(badges):
        key = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        keys.append(key)
        entry = entries.get(key)
        if entry is not None and _still_holds(entry, now, current):
            results[position] = Verdict(display, entry["state"], "", cached=True)
            kept[key] = entry
        else:
            misses.append((position, display, str(path)))
    stats.hits, stats.misses = len(badges) - len(misses), len(misses)
    count = _worker_count(workers)
    if count < 2 or len(misses) < parallel_threshold:
        count = 1
        computed = _verify_chunk((site_dir.as_posix(), site_url, now, misses))
    else:
        size = max(16, math.ceil(len(misses) / (count * 8)))
        chunks = [(site_dir.as_posix(), site_url, now, misses[start:start + size]) for start in range(0, len(misses), size)]
        with concurrent.futures.ProcessPoolExecutor(max_workers=count, mp_context=_pool_context()) as pool:
            computed = [item for chunk in pool.map(_verify_chunk, chunks) for item in chunk]
    stats.workers = count
    for position, display, state, reason, entry in computed:
        results[position] = Verdict(display, state, reason)
        if entry is not None:
            kept[keys[position]] = entry
    if cache_file is not None:
        _save(cache_file, fingerprint, kept)
    return [result for result in results if result is not None]


# --- one verification, recorded ----------------------------------------------------------------------------


class _RecordingResolver(SiteResolver):
    """A site resolver that remembers the SHA-256 (or absence) of every file it serves, and what it parsed."""

    def __init__(self, site_dir: Path | str, site_url: str) -> None:
        super().__init__(site_dir, site_url)
        self.seen: dict[str, str | None] = {}
        self.documents: list[dict[str, Any]] = []

    def fetch_bytes(self, url: str) -> bytes:
        try:
            data = super().fetch_bytes(url)
        except ResolutionError:
            self.seen[url] = None
            raise
        self.seen[url] = hashlib.sha256(data).hexdigest()
        return data

    def fetch_json(self, url: str) -> dict[str, Any]:
        document = super().fetch_json(url)
        self.documents.append(document)
        return document


def _verify_chunk(task: tuple[str, str, datetime, list[tuple[int, str, str]]]) -> list[tuple[int, str, str, str, dict[str, Any] | None]]:
    """Verify ``(position, display, path)`` items; return ``(position, display, state, reason, cache entry)``."""
    from credfolio.verify import verify_credential

    site_dir, site_url, now, items = task
    results = []
    for position, display, path in items:
        resolver = _RecordingResolver(site_dir, site_url)
        data = Path(path).read_bytes()
        result = verify_credential(data, now=now, resolver=resolver, clock_skew=CLOCK_SKEW)
        reason = ""
        if result.state in ("failed", "unknown-status"):
            failing = next((check for check in result.checks if check.ok is not True), None)
            reason = f"{failing.id}: {failing.message}" if failing else result.state
        entry = None
        if result.state in CACHEABLE_STATES:
            window = _window(data, resolver.documents, now)
            if window is not None:
                entry = {"state": result.state, "deps": resolver.seen, "from": window[0], "until": window[1]}
        results.append((position, display, result.state, reason, entry))
    return results


def _window(badge: bytes, fetched: list[dict[str, Any]], now: datetime) -> tuple[str | None, str | None] | None:
    """``(from, until)`` around ``now`` in which every date the verdict compared with ``now`` compares the same way.

    ``None`` when a date cannot be read (such a verdict is not cached).
    """
    try:
        document = parse_json(badge, source="the badge")
    except ResolutionError:
        return None
    if not isinstance(document, dict):
        return None
    thresholds: list[datetime] = []
    for item in [document, *fetched]:
        for name, shift in (("validFrom", -CLOCK_SKEW), ("validUntil", timedelta(0))):
            if name in item:
                moment = parse_datetime(item[name])
                if moment is None:
                    return None
                thresholds.append(moment + shift)
    before = [moment for moment in thresholds if moment <= now]
    after = [moment for moment in thresholds if moment > now]
    return (max(before).isoformat() if before else None, min(after).isoformat() if after else None)


# --- reuse ----------------------------------------------------------------------------------------------------


class _CurrentBytes:
    """SHA-256 of files of the site being published, read once per build."""

    def __init__(self, resolver: SiteResolver) -> None:
        self.resolver = resolver
        self.hashes: dict[str, str | None] = {}

    def sha256(self, url: str) -> str | None:
        if url not in self.hashes:
            try:
                self.hashes[url] = hashlib.sha256(self.resolver.fetch_bytes(url)).hexdigest()
            except ResolutionError:
                self.hashes[url] = None
        return self.hashes[url]


def _still_holds(entry: dict[str, Any], now: datetime, current: _CurrentBytes) -> bool:
    try:
        start = datetime.fromisoformat(entry["from"]) if entry["from"] else None
        end = datetime.fromisoformat(entry["until"]) if entry["until"] else None
        if (start is not None and now < start) or (end is not None and now >= end):
            return False
        return all(current.sha256(url) == digest for url, digest in entry["deps"].items())
    except (KeyError, TypeError, ValueError, AttributeError):
        return False  # a damaged entry is verified afresh


def _load(path: Path, fingerprint: str) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no cache yet, or a damaged one: everything is verified
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("fingerprint") != fingerprint:
        return {}
    entries = data.get("verdicts")
    if not isinstance(entries, dict):
        return {}
    return {key: entry for key, entry in entries.items()
            if isinstance(entry, dict) and entry.get("state") in CACHEABLE_STATES and isinstance(entry.get("deps"), dict)}


def _save(path: Path, fingerprint: str, entries: dict[str, dict[str, Any]]) -> None:
    data = {"format": CACHE_FORMAT, "fingerprint": fingerprint, "verdicts": entries}
    try:
        fsutil.atomic_write_bytes(Path(path), json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    except OSError:
        pass  # a cache that cannot be written only costs the next build time


_PACKAGE_DIR = Path(credfolio.__file__).resolve().parent
_fingerprints: dict[str, str] = {}


def code_fingerprint(modules: tuple[str, ...], *extra_folders: Path) -> str:
    """SHA-256 over credfolio's version and the source of ``credfolio.<module>`` (each of ``modules``) and every credfolio module it imports.

    Imports are followed through the source (``import credfolio.x`` / ``from credfolio import x`` /
    ``from credfolio.x import …``, at any depth), so a change to any code the result depends on gives
    a new fingerprint while unrelated modules can change freely. Files under ``extra_folders`` count too.
    """
    import ast

    key = "\0".join([*modules, *map(str, extra_folders)])
    if key in _fingerprints:
        return _fingerprints[key]
    seen: set[str] = set()
    pending = list(modules)
    while pending:
        name = pending.pop()
        path = _PACKAGE_DIR / f"{name}.py"
        if name in seen or not path.is_file():
            continue
        seen.add(name)
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.ImportFrom) and node.module and (node.module == "credfolio" or node.module.startswith("credfolio.")):
                if node.module == "credfolio":
                    pending.extend(alias.name for alias in node.names)
                else:
                    pending.append(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                pending.extend(alias.name.split(".")[1] for alias in node.names if alias.name.startswith("credfolio."))
    digest = hashlib.sha256(credfolio.__version__.encode("utf-8"))
    files = [_PACKAGE_DIR / f"{name}.py" for name in sorted(seen)]
    for folder in extra_folders:
        files += sorted(path for path in Path(folder).rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    for path in files:
        digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    _fingerprints[key] = digest.hexdigest()
    return _fingerprints[key]


def verifier_fingerprint() -> str:
    """:func:`code_fingerprint` of the verifier and this module, with the bundled JSON-LD contexts."""
    return code_fingerprint(("verify", "verdicts"), _PACKAGE_DIR / "contexts")


# --- processes ------------------------------------------------------------------------------------------------


def _worker_count(requested: int | None) -> int:
    if requested is None:
        configured = os.environ.get(WORKERS_ENV, "").strip()
        if configured.isdigit():
            requested = int(configured)
        else:
            requested = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, requested)


def _pool_context() -> multiprocessing.context.BaseContext:
    # Never fork: `mkdocs serve` runs threads, and a forked copy of a threaded process can deadlock.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["credfolio.pages", "credfolio.verdicts", "credfolio.verify"])
    return context


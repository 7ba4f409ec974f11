"""Wallet, badge, certificate and program pages: standalone HTML rendered with Jinja after the MkDocs build.

:func:`write_wallet_pages` runs in ``on_post_build`` once :func:`credfolio.site.publish_wallet` has
copied (and verified) the public badges. It writes, for every teacher with ``consent.wallet_page``:

``wallet/<slug>/index.html``            the wallet: badge cards, pathway progress, PD-hours transcript
``wallet/<slug>/transcript.csv``        the transcript as CSV
``badges/<badge-id>/index.html``        what was earned, state, the in-browser verification panel
                                        (:func:`credfolio.browser.verification_panel_html`), QR code,
                                        LinkedIn, share, downloads
``badges/<badge-id>/certificate/index.html``  a one-page printable certificate
``badges/<badge-id>.png`` / ``.svg``    the badge image baked with the signed credential

and, for the district, ``program/index.html`` and ``program/program.csv`` (aggregates only, counts
under :data:`SUPPRESS_BELOW` suppressed). The pages are not MkDocs pages: they are out of the nav,
the search index and the sitemap, depend on no theme, load only this site's own CSS and script
(a Content-Security-Policy allows nothing else), and wallet-related pages carry ``noindex`` unless
the teacher opted into search engines.

Privacy: a badge whose teacher has no teacher file or withdrew ``consent.wallet_page`` gets no badge
page, certificate or baked image, and its published JSON (which carries the teacher's name) is removed
from the site, so withdrawing consent and rebuilding removes everything of theirs. Its URL keeps
answering (it may be printed as a QR code) with a page that names no one and shows no detail. No page
shows an e-mail address.

Speed. Templates (``credfolio/templates/wallet/``) are compiled once per process; each page's context
is a handful of small dictionaries; work shared by many pages (an achievement's badge image, the
prepared SVG baker) is done once. Above :data:`PARALLEL_THRESHOLD` pages the badge, withdrawn and
wallet pages are rendered by a pool of worker processes (``forkserver`` where available, else
``spawn`` — never a plain ``fork`` of a MkDocs process that may run server threads): the main process
plans the work as small picklable tasks in chunks, each worker rebuilds the Jinja environment from the
district root once and writes its pages itself. Serial and parallel builds write byte-identical
files. ``CREDFOLIO_BUILD_WORKERS`` sets the number of processes (``1`` renders serially).

Incremental rebuilds: a manifest in ``<district>/.cache/credfolio/`` records a hash of every page
group's inputs (the badge file, its ledger entry and state, the teacher's file, which other badges are
public) under a fingerprint of everything shared (catalog, templates, configuration, credfolio's
code). A rebuild into the same site folder skips groups whose inputs and output files are unchanged,
and deletes the files of groups that no longer exist (a withdrawn consent still removes every page).

Sharded builds (``CREDFOLIO_SHARD``, :mod:`credfolio.shard`) render the badge and wallet pages of one
shard's teachers, or (``none``) the withdrawn-badge pages, the program page and the assets; each shard
keeps a manifest of its own (``pages-manifest.shard-<value>.json``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import hashlib
import io
import json
import math
import multiprocessing
import os
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from markupsafe import Markup

import credfolio
from credfolio import baking, exports, fsutil, wallet
from credfolio.browser import verification_panel_html
from credfolio.catalog import Catalog, CredentialDefinition
from credfolio.config import DistrictConfig
from credfolio.errors import CredfolioError, SiteError
from credfolio.ledger import BadgeEntry
from credfolio.linkedin import Certification, add_to_profile_url, linkedin_fields
from credfolio.qr import qr_svg
from credfolio.render import format_hours, render_markdown, template_environment
from credfolio.shard import Shard, last_shard_spec

GENERATED_BY = "credfolio"
STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSETS_DIR = "assets/credfolio"
STATIC_FILES = ("wallet.css", "wallet.js")
BRAND_CSS = f"{ASSETS_DIR}/brand.css"
PROGRAM_DIR = "program"
#: Aggregates below this count are shown as "fewer than 5" so that no teacher can be identified.
SUPPRESS_BELOW = 5
SUPPRESSED_TEXT = f"fewer than {SUPPRESS_BELOW}"

#: Only this site's own files: pages run no inline script or style and make no third-party request.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        # the verification panel fetches DID documents and status lists, which may live on another https host
        "connect-src 'self' https:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)

#: Below this many pages a process pool costs more to start than it saves: render in this process.
PARALLEL_THRESHOLD = 200
#: Environment variable: number of rendering processes (``1`` = serial; default: the CPUs available).
WORKERS_ENV = "CREDFOLIO_BUILD_WORKERS"
CACHE_DIR = ".cache/credfolio"
MANIFEST_FILE = "pages-manifest.json"
MANIFEST_FORMAT = 1

STATE_TEXT = {
    "active": "Valid",
    "expired": "Expired",
    "revoked": "Revoked",
    "suspended": "Suspended",
}


@dataclass(frozen=True)
class PagesSummary:
    """What :func:`write_wallet_pages` wrote."""

    wallets: int
    badges: int
    withdrawn: int
    #: Page groups rendered in this build, and those left as they were (incremental rebuild).
    rendered: int = 0
    reused: int = 0
    workers: int = 1
    #: Slugs of the teachers whose pages this build is responsible for (all of them unless sharded),
    #: and of every teacher with a wallet page.
    covered: tuple[str, ...] = ()
    teachers: tuple[str, ...] = ()


# --- entry point -------------------------------------------------------------------------------------------


def write_wallet_pages(
    district: DistrictConfig,
    catalog: Catalog,
    site_dir: Path | str,
    *,
    now: datetime,
    env: jinja2.Environment | None = None,
    workers: int | None = None,
    parallel_threshold: int = PARALLEL_THRESHOLD,
    incremental: bool = True,
    shard: Shard = Shard(),
) -> PagesSummary:
    """Write every wallet, badge, certificate and program page into ``site_dir`` (see the module docstring).

    ``workers`` is the number of rendering processes (default: ``$CREDFOLIO_BUILD_WORKERS``, else the
    CPUs available); the pool is used only above ``parallel_threshold`` pages, and never with a custom
    ``env`` (a Jinja environment cannot cross processes; workers rebuild the district's own). With
    ``incremental``, page groups whose inputs did not change since the last build into the same
    ``site_dir`` are left as they are. A ``shard`` (:mod:`credfolio.shard`) writes only the badge and
    wallet pages of its teachers, or (``none``) only the withdrawn-badge pages, the program page and
    the assets; the counts in the summary are of what it is responsible for.
    """
    site_dir = Path(site_dir)
    custom_env = env is not None
    env = env or template_environment(district.root)
    teachers = {slug: t for slug, t in wallet.load_teachers(district).items() if t.consent.wallet_page}
    state = wallet.read_state(district)
    published: list[_Published] = []
    withdrawn: list[str] = []
    for entry in state.badges.values():
        if not entry.is_public:
            continue
        if entry.issued.get("teacher") in teachers:  # type: ignore[union-attr]
            published.append(_Published(entry, entry.state(now), str(wallet.public_badge_path(district, entry.badge_id))))
        else:
            # wallet.site_files already left its JSON out of the site (it names the teacher)
            withdrawn.append(entry.badge_id)
    published.sort(key=lambda badge: (badge.entry.awarded, badge.entry.badge_id))
    withdrawn.sort()
    if shard.writes_shared:
        _copy_static(site_dir)
    renderer = _Renderer(district, catalog, site_dir, env, now)
    renderer.teachers = teachers
    # Badge images are shared by every badge of an achievement: drawn once here, handed to the workers.
    for badge in published:
        renderer.badge_image(renderer.achievement(badge.entry))
    by_teacher: dict[str, list[_Published]] = defaultdict(list)
    for badge in published:
        by_teacher[badge.entry.issued["teacher"]].append(badge)  # type: ignore[index]
    public_ids = frozenset(badge.entry.badge_id for badge in published)  # all of them: pages link across shards

    covered = sorted(slug for slug in teachers if shard.covers(slug))
    withdrawn = withdrawn if shard.writes_shared else []
    published = [badge for badge in published if shard.covers(badge.entry.issued["teacher"])]  # type: ignore[index]
    tasks: list[_Task] = [("withdrawn", badge_id, None) for badge_id in withdrawn]
    tasks += [("badge", badge.entry.badge_id, badge) for badge in published]
    tasks += [("wallet", slug, by_teacher.get(slug, [])) for slug in covered]
    manifest = _Manifest.load(district, site_dir, shard) if incremental else None
    if manifest is None:
        # This build rewrites pages without recording them: a later incremental build must not trust the old record.
        with contextlib.suppress(FileNotFoundError):
            _Manifest.path_for(district, shard).unlink()
    if manifest is not None:
        fingerprint = _build_fingerprint(district)
        hashes = {_task_key(task): _task_hash(task, teachers, public_ids, district) for task in tasks}
        todo = manifest.plan(site_dir, fingerprint, hashes)
        tasks = [task for task in tasks if _task_key(task) in todo]
    reused = len(withdrawn) + len(published) + len(covered) - len(tasks)

    job = _Job(district, catalog, str(site_dir), now, teachers, public_ids, dict(renderer._images))
    pages_to_render = sum(2 if kind == "badge" else 1 for kind, _, _ in tasks)
    count = worker_count(workers)
    if custom_env or count < 2 or pages_to_render < parallel_threshold:
        count = 1
        _render_tasks(renderer, tasks, public_ids)
    else:
        _render_in_pool(job, tasks, count)
    if shard.writes_shared:
        renderer.program(state.badges.values())
    if manifest is not None:
        manifest.save()
    return PagesSummary(wallets=len(covered), badges=len(published), withdrawn=len(withdrawn),
                        rendered=len(tasks), reused=reused, workers=count,
                        covered=tuple(covered), teachers=tuple(sorted(teachers)))


# --- parallel rendering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Published:
    """A public badge as the page planner sees it: ledger entry, state, and where its signed JSON is."""

    entry: BadgeEntry
    state: str
    path: str


#: ``(kind, id, data)``: ``("badge", badge id, _Published)``, ``("withdrawn", badge id, None)`` or
#: ``("wallet", teacher slug, [_Published, …])``.
_Task = tuple[str, str, Any]


@dataclass(frozen=True)
class _Job:
    """Everything a worker needs to render any task of this build (picklable: plain data, no environment)."""

    district: DistrictConfig
    catalog: Catalog
    site_dir: str
    now: datetime
    teachers: dict[str, wallet.TeacherProfile]
    public_ids: frozenset[str]
    images: dict[str, tuple[bytes, str]]


def worker_count(requested: int | None) -> int:
    """Processes a build uses for parallel work: ``requested``, else ``CREDFOLIO_BUILD_WORKERS``, else the CPUs."""
    if requested is None:
        configured = os.environ.get(WORKERS_ENV, "").strip()
        if configured:
            try:
                requested = int(configured)
            except ValueError:
                raise SiteError(f"{WORKERS_ENV} must be a whole number of processes, got {configured!r}") from None
        else:
            requested = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, requested)


def _render_tasks(renderer: _Renderer, tasks: list[_Task], public_ids: frozenset[str]) -> int:
    for kind, ident, data in tasks:
        if kind == "badge":
            renderer.badge(renderer.load_badge(data), renderer.teacher(data), public_ids)
        elif kind == "withdrawn":
            renderer.withdrawn(ident)
        else:
            renderer.wallet(renderer.teachers[ident], data)
    return len(tasks)


_worker_renderer: _Renderer | None = None
_worker_public_ids: frozenset[str] = frozenset()


def _init_worker(job: _Job) -> None:
    """Per worker process: one Jinja environment (templates compile once), one renderer, the shared images."""
    global _worker_renderer, _worker_public_ids
    renderer = _Renderer(job.district, job.catalog, Path(job.site_dir), template_environment(job.district.root), job.now)
    renderer._images.update(job.images)
    renderer.teachers = job.teachers
    _worker_renderer, _worker_public_ids = renderer, job.public_ids


def _render_chunk(tasks: list[_Task]) -> tuple[int, str | None]:
    assert _worker_renderer is not None
    try:
        return _render_tasks(_worker_renderer, tasks, _worker_public_ids), None
    except CredfolioError as error:
        # Exceptions with keyword-only fields do not survive pickling; the message does.
        return 0, str(error)


def pool_context() -> multiprocessing.context.BaseContext:
    """The start method for the build's process pools (forkserver, else spawn; never fork)."""
    # Never fork: `mkdocs serve` runs threads, and a forked copy of a threaded process can deadlock.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["credfolio.pages", "credfolio.verdicts", "credfolio.verify"])
    return context


def _render_in_pool(job: _Job, tasks: list[_Task], workers: int) -> None:
    # Small chunks keep both cores busy to the end; each chunk costs one round trip of pickled entries.
    chunk_size = max(8, math.ceil(len(tasks) / (workers * 8)))
    chunks = [tasks[start:start + chunk_size] for start in range(0, len(tasks), chunk_size)]
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(),
                                                initializer=_init_worker, initargs=(job,)) as pool:
        futures = [pool.submit(_render_chunk, chunk) for chunk in chunks]
        for future in concurrent.futures.as_completed(futures):
            _count, problem = future.result()
            if problem is not None:
                pool.shutdown(cancel_futures=True)  # the build fails: do not render the rest
                raise SiteError(problem)


# --- incremental rebuilds ---------------------------------------------------------------------------------


def _task_key(task: _Task) -> str:
    return f"{task[0]}:{task[1]}"


def _task_outputs(key: str, *, removing: bool = False) -> list[str]:
    """Site paths a page group writes; ``removing``: also what goes with it when the group goes away."""
    kind, ident = key.split(":", 1)
    if kind == "badge":
        # a badge's published JSON names its teacher: when its pages go, it goes (publish_wallet copies it back if due)
        return [f"badges/{ident}/index.html", f"badges/{ident}/certificate/index.html",
                f"badges/{ident}.png", f"badges/{ident}.svg"] + ([f"badges/{ident}.json"] if removing else [])
    if kind == "withdrawn":
        return [f"badges/{ident}/index.html"]
    return [f"wallet/{ident}/index.html", f"wallet/{ident}/transcript.csv"]


#: Where the last build's pages wait while MkDocs cleans the site folder: in the district's cache when it
#: is on the same file system as the site (a rename moves a whole tree at once), else in this hidden
#: folder of the site folder (MkDocs' cleaning leaves entries starting with "." alone).
PREVIOUS_DIR = ".credfolio-previous"
PREVIOUS_CACHE_DIR = "previous-site"
#: The folders of the site that hold only pages this module writes (and the badge JSON publish_wallet copies).
GENERATED_TREES = ("badges", "wallet")


def _stash_locations(district: DistrictConfig, site_dir: Path) -> list[Path]:
    cache = district.root / CACHE_DIR / PREVIOUS_CACHE_DIR
    return [cache, site_dir / PREVIOUS_DIR]


def stash_previous_pages(district: DistrictConfig, site_dir: Path | str, *, shard: Shard = Shard()) -> bool:
    """Before MkDocs cleans ``site_dir`` (``mkdocs serve`` rebuilds), move the last build's pages aside.

    Only when the incremental manifest describes this site folder, so that the next
    :func:`write_wallet_pages` can keep what did not change instead of rendering every page again.
    Returns whether anything was moved.
    """
    site_dir = Path(site_dir)
    for stash in _stash_locations(district, site_dir):
        if stash.exists():
            shutil.rmtree(stash, ignore_errors=True)  # left by a build that failed: never trusted
    manifest = _Manifest.load(district, site_dir, shard)
    if not manifest.groups or not site_dir.is_dir():
        return False
    if last_shard_spec(site_dir) != shard.spec:
        return False  # the folder holds another shard's pages (or a whole site's): none of them may stay
    stash = _stash_locations(district, site_dir)[1]
    with contextlib.suppress(OSError):
        cache = _stash_locations(district, site_dir)[0]
        cache.parent.mkdir(parents=True, exist_ok=True)
        if os.stat(cache.parent).st_dev == os.stat(site_dir).st_dev:
            stash = cache  # outside the site: a build that fails later leaves no old pages in the site folder
    moved = False
    for name in GENERATED_TREES:
        if (site_dir / name).is_dir() and not (site_dir / name).is_symlink():
            stash.mkdir(parents=True, exist_ok=True)
            os.replace(site_dir / name, stash / name)
            moved = True
    return moved


def restore_previous_pages(district: DistrictConfig, site_dir: Path | str) -> None:
    """Put stashed pages back where the build has not written anything of its own, and drop the stash.

    Run before :func:`credfolio.site.publish_wallet`; :func:`write_wallet_pages` then deletes what
    is gone and rewrites what changed.
    """
    site_dir = Path(site_dir)
    for stash in _stash_locations(district, site_dir):
        if not stash.is_dir():
            continue
        for name in GENERATED_TREES:
            if (stash / name).is_dir() and not (site_dir / name).exists():
                os.replace(stash / name, site_dir / name)
        shutil.rmtree(stash, ignore_errors=True)
    # Signed badge files are not pages: publish_wallet copies exactly the ones due, so none is kept.
    for path in (site_dir / "badges").glob("*.json"):
        path.unlink()


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


def _entry_data(badge: _Published) -> dict[str, Any]:
    return {"entry": asdict(badge.entry), "state": badge.state}


def _task_hash(task: _Task, teachers: dict[str, wallet.TeacherProfile], public_ids: frozenset[str],
               district: DistrictConfig) -> str:
    """A hash of everything a page group's files are made from, besides what the build fingerprint covers."""
    kind, ident, data = task
    if kind == "withdrawn":
        return _digest(kind, ident)
    if kind == "wallet":
        return _digest(kind, teachers[ident].to_data(), [_entry_data(badge) for badge in data])
    badge: _Published = data
    text = Path(badge.path).read_bytes()
    # The page links other badges it names (a stack's component badges) only while they are public.
    mentioned = sorted(ident for ident in {raw.decode("ascii") for raw in _UUID_REFERENCE.findall(text)} if ident in public_ids)
    teacher = teachers[badge.entry.issued["teacher"]]  # type: ignore[index]
    return _digest(kind, hashlib.sha256(text).hexdigest(), _entry_data(badge), teacher.to_data(), mentioned,
                   (badge.entry.revoked or {}).get("replaced_by") in public_ids, badge.entry.reissued_as in public_ids)


_PACKAGE_DIR = Path(credfolio.__file__).resolve().parent
_UUID_REFERENCE = re.compile(rb"urn:uuid:([0-9a-fA-F-]{36})")


def _build_fingerprint(district: DistrictConfig) -> str:
    """A hash of what every page shares: the code and templates that render them, overrides, mkdocs.yml and the catalog."""
    from credfolio.verdicts import code_fingerprint

    digest = hashlib.sha256(code_fingerprint(("pages",), _PACKAGE_DIR / "templates").encode("ascii"))
    for folder in (district.root / "overrides", district.catalog_path):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    digest.update((district.root / "mkdocs.yml").read_bytes() if (district.root / "mkdocs.yml").is_file() else b"")
    return digest.hexdigest()


@dataclass
class _Manifest:
    """Page groups written into one site folder, with the hash of their inputs (``.cache/credfolio/``)."""

    path: Path
    site_dir: str
    fingerprint: str = ""
    groups: dict[str, str] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def path_for(district: DistrictConfig, shard: Shard) -> Path:
        """``.cache/credfolio/pages-manifest.json``, a file of its own per shard (their groups differ)."""
        return district.root / CACHE_DIR / shard.cache_name(MANIFEST_FILE)

    @classmethod
    def load(cls, district: DistrictConfig, site_dir: Path, shard: Shard = Shard()) -> _Manifest:
        """The manifest of the last build into ``site_dir``; an unreadable one counts as none."""
        manifest = cls(cls.path_for(district, shard), str(site_dir.resolve()))
        try:
            data = json.loads(manifest.path.read_text(encoding="utf-8"))
            if (isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT and data.get("site_dir") == manifest.site_dir
                    and isinstance(data.get("groups"), dict)
                    and all(isinstance(k, str) and isinstance(v, str) for k, v in data["groups"].items())):
                manifest.fingerprint = str(data.get("fingerprint") or "")
                manifest.groups = data["groups"]
        except (OSError, ValueError):
            pass  # no manifest, or a damaged one: everything is rendered
        return manifest

    def plan(self, site_dir: Path, fingerprint: str, hashes: dict[str, str]) -> set[str]:
        """Delete the files of groups that are gone; return the groups to render."""
        same_build = fingerprint == self.fingerprint
        for key in self.groups.keys() - hashes.keys():
            for relative in _task_outputs(key, removing=True):
                with contextlib.suppress(FileNotFoundError):
                    (site_dir / relative).unlink()
                with contextlib.suppress(OSError):  # the folder goes too once it is empty
                    (site_dir / relative).parent.rmdir()
        todo = set()
        for key, digest in hashes.items():
            unchanged = same_build and self.groups.get(key) == digest
            if not unchanged or not all((site_dir / relative).is_file() for relative in _task_outputs(key)):
                todo.add(key)
        self.fingerprint, self.current = fingerprint, hashes
        # Until this build finishes, the groups about to be written are recorded with no hash: if it stops
        # half way, the next build renders them again (or deletes them, if they are gone by then).
        pending = {key: ("" if key in todo else digest) for key, digest in hashes.items()}
        self._write(pending)
        return todo

    def save(self) -> None:
        """Record this build (atomically; a cache that cannot be written only costs the next build time)."""
        self._write(self.current)

    def _write(self, groups: dict[str, str]) -> None:
        data = {"format": MANIFEST_FORMAT, "site_dir": self.site_dir, "fingerprint": self.fingerprint, "groups": groups}
        try:
            fsutil.atomic_write_bytes(self.path, json.dumps(data, sort_keys=True).encode("utf-8"))
        except OSError:
            with contextlib.suppress(OSError):  # an outdated record must not survive: no record means a full render
                self.path.unlink()


def _copy_static(site_dir: Path) -> None:
    target = site_dir / ASSETS_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name in STATIC_FILES:
        shutil.copyfile(STATIC_DIR / name, target / name)


# --- small helpers -----------------------------------------------------------------------------------------


def relative_root(page_path: str) -> str:
    """The site root relative to the page at site path ``page_path`` (``badges/x/`` → ``../../``)."""
    depth = len([part for part in page_path.strip("/").split("/") if part])
    return "../" * depth


def school_year(day: date) -> str:
    """The July–June school year of ``day``: 2025-09-01 → ``2025–26``."""
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}–{str(start + 1)[-2:]}"


def suppressed(count: int | Decimal) -> str | None:
    """``None`` when ``count`` may be shown, else the text shown instead."""
    return SUPPRESSED_TEXT if 0 < count < SUPPRESS_BELOW else None


def csv_cell(value: object) -> str:
    """A CSV cell that spreadsheets will not run as a formula (a leading = + - @ tab or CR is quoted with ')."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


def _fragment(url: str | None) -> str:
    return url.rsplit("#", 1)[1] if url and "#" in url else ""


def _parse_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _display(district: DistrictConfig, path: Path) -> str:
    try:
        return str(path.relative_to(district.root))
    except ValueError:
        return str(path)


def _write(path: Path, text: str | bytes) -> None:
    # Plain writes: the site folder is build output (MkDocs itself writes pages the same way), and a
    # rename per file costs more than the render on a large district.
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


# --- rendering ---------------------------------------------------------------------------------------------


class _Renderer:
    """Renders pages for one build; caches per-achievement work (badge images) across badges."""

    def __init__(self, district: DistrictConfig, catalog: Catalog, site_dir: Path, env: jinja2.Environment, now: datetime) -> None:
        self.district, self.catalog, self.site_dir, self.env, self.now = district, catalog, site_dir, env, now
        self.stacks = {stack.id: stack for stack in catalog.stacks}
        self.teachers: dict[str, wallet.TeacherProfile] = {}
        self._images: dict[str, tuple[bytes, str]] = {}
        self._svg_bakers: dict[str, Any] = {}
        self._templates = {name: env.get_template(f"wallet/{name}.html")
                           for name in ("wallet", "badge", "certificate", "program", "withdrawn")}

    # shared pieces

    def _render(self, name: str, page_path: str, **context: Any) -> None:
        root = relative_root(page_path)
        try:
            html = self._templates[name].render(
                district=self.district,
                root=root,
                css=[root + BRAND_CSS, root + f"{ASSETS_DIR}/wallet.css"],
                script=root + f"{ASSETS_DIR}/wallet.js",
                content_security_policy=CONTENT_SECURITY_POLICY,
                generated_by=GENERATED_BY,
                **context,
            )
        except jinja2.TemplateError as error:
            raise SiteError(f"wallet/{name}.html: the template cannot be rendered for {page_path}: {error}") from None
        _write(self.site_dir / page_path / "index.html", html)

    def achievement(self, entry: BadgeEntry) -> dict[str, Any]:
        """Title, catalog page, badge image path and hours of what a badge was awarded for."""
        if entry.credential:
            definition = self.catalog.credentials.get(entry.credential)
            if definition is None:
                return {"kind": "credential", "id": entry.credential, "definition": None, "page_path": None,
                        "image_path": None, "hours": None, "title": entry.credential}
            return {
                "kind": "credential",
                "id": definition.id,
                "definition": definition,
                "title": definition.title,
                "page_path": exports.credential_path(definition.id),
                "image_path": exports.credential_path(definition.id) + exports.badge_filename(definition),
                "alt": definition.alt_text or f"Badge: {definition.title}",
                "hours": Decimal(str(definition.hours)),
            }
        stack = self.stacks.get(entry.stack or "")
        if stack is None:
            return {"kind": "stack", "id": entry.stack, "definition": None, "page_path": None,
                    "image_path": None, "hours": None, "title": entry.stack}
        return {
            "kind": "stack",
            "id": stack.id,
            "stack": stack,
            "definition": None,
            "title": stack.earns.title,
            "page_path": exports.stack_path(stack.id),
            "image_path": exports.stack_path(stack.id) + "badge.svg",
            "alt": f"Badge: {stack.earns.title}",
            "hours": self.catalog.stack_hours(stack),
        }

    def badge_image(self, achievement: dict[str, Any]) -> tuple[bytes, str]:
        """``(png bytes, svg text)`` of an achievement's badge image, made once per achievement."""
        key = f"{achievement['kind']}:{achievement['id']}"
        if key in self._images:
            return self._images[key]
        from credfolio.png import badge_png
        from credfolio.site import badge_svg, contrast_text

        colors = self.district.settings.colors
        palette = {"primary": colors.primary, "accent": colors.accent,
                   "primary_text": contrast_text(colors.primary), "accent_text": contrast_text(colors.accent)}
        issuer = self.district.settings.short_name or self.district.name
        title, hours = achievement["title"], achievement["hours"] or 0
        definition = achievement.get("definition")
        png = svg = None
        if definition is not None and definition.image:
            source = self.district.root / definition.image
            data = source.read_bytes()
            if definition.image.lower().endswith(".png"):
                png = data
            else:
                svg = data.decode("utf-8")
        if svg is None:
            drawable = definition or SimpleNamespace(title=title, alt_text=achievement.get("alt"), hours=hours)
            svg = badge_svg(drawable, self.district, self.env)  # type: ignore[arg-type]
            if achievement["kind"] == "stack" and achievement.get("image_path"):
                _write(self.site_dir / achievement["image_path"], svg)
        if png is None:
            png = badge_png(title=title, hours=hours, issuer=issuer, colors=palette)
        self._images[key] = (png, svg)
        return png, svg

    # badge pages

    def load_badge(self, published: _Published) -> tuple[wallet.WalletBadge, str]:
        """The signed badge of a planned page (its parsed JSON and its text, read once)."""
        path = Path(published.path)
        try:
            text = path.read_text(encoding="utf-8")
            document = json.loads(text)
        except (OSError, UnicodeDecodeError, ValueError):
            document, text = None, ""
        if not isinstance(document, dict):
            raise SiteError(f"{_display(self.district, path)}: badge listed in the ledger is missing or unreadable")
        return wallet.WalletBadge(published.entry, published.state, document, path), text

    def teacher(self, published: _Published) -> wallet.TeacherProfile:
        """The (consenting) teacher a planned badge belongs to."""
        return self.teachers[published.entry.issued["teacher"]]  # type: ignore[index]

    def withdrawn(self, badge_id: str) -> None:
        """The page left at ``badges/<badge-id>/`` of a badge whose holder withdrew consent: no name, no details."""
        page_path = f"badges/{badge_id}/"
        self._render("withdrawn", page_path, badge_id=badge_id, robots="noindex, nofollow",
                     page_url=wallet.badge_page_url(self.district, badge_id))

    def badge(self, loaded: tuple[wallet.WalletBadge, str], teacher: wallet.TeacherProfile, public_ids: frozenset[str]) -> None:
        """Write the badge page, its certificate and the baked PNG/SVG of a badge read by :meth:`load_badge`."""
        badge, credential_text = loaded
        entry, badge_id = badge.entry, badge.entry.badge_id
        page_path = f"badges/{badge_id}/"
        achievement = self.achievement(entry)
        png, svg = self.badge_image(achievement)
        key = f"{achievement['kind']}:{achievement['id']}"
        try:
            if key not in self._svg_bakers:
                self._svg_bakers[key] = baking.svg_baker(svg)
            _write(self.site_dir / f"badges/{badge_id}.png", baking.bake_png(png, credential_text))
            _write(self.site_dir / f"badges/{badge_id}.svg", self._svg_bakers[key](credential_text))
        except CredfolioError as error:
            raise SiteError(f"cannot bake badge {badge_id}: {error}") from None
        context = self.badge_context(badge, teacher, achievement, public_ids)
        self._render("badge", page_path, **context)
        self._render("certificate", page_path + "certificate/", **context)

    def badge_context(self, badge: wallet.WalletBadge, teacher: wallet.TeacherProfile, achievement: dict[str, Any],
                      public_ids: frozenset[str]) -> dict[str, Any]:
        """Everything the badge and certificate templates show."""
        district, entry, document = self.district, badge.entry, badge.document
        badge_id = entry.badge_id
        page_url = wallet.badge_page_url(district, badge_id)
        json_url = wallet.badge_json_url(district, badge_id)
        subject = document.get("credentialSubject") or {}
        ob_achievement = subject.get("achievement") or {}
        awarded = _parse_date(document.get("awardedDate")) or _parse_date(document.get("validFrom"))
        valid_from = _parse_date(document.get("validFrom"))
        valid_until = _parse_date(document.get("validUntil"))
        certification = Certification(
            name=achievement["title"],
            organization_name=district.name,
            organization_id=district.settings.linkedin_organization_id,
            issued=awarded or valid_from or self.now,
            expires=valid_until,
            url=page_url,
            credential_id=badge_id,
        )
        share_subject = f"My micro-credential: {achievement['title']}"
        share_body = f"{teacher.display_name} earned {achievement['title']} from {district.name}.\n\nSee and verify it: {page_url}"
        replaced_by = (entry.revoked or {}).get("replaced_by") or entry.reissued_as
        definition: CredentialDefinition | None = achievement.get("definition")
        return {
            "badge_id": badge_id,
            "teacher": self.teacher_context(teacher),
            "achievement": achievement,
            "ob_achievement": ob_achievement,
            "state": badge.state,
            "state_text": STATE_TEXT.get(badge.state, badge.state),
            "revoked_reason": (entry.revoked or {}).get("reason"),
            "suspended_reason": (entry.suspended or {}).get("reason"),
            "revoked_at": _parse_date((entry.revoked or {}).get("at")),
            "replaced_by": replaced_by if replaced_by in public_ids else None,
            "awarded": awarded,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "issuer": document.get("issuer") or {},
            "criteria_html": render_markdown((ob_achievement.get("criteria") or {}).get("narrative")),
            "passing_rule": definition.passing_rule_text() if definition else None,
            "competency": definition.competency if definition else ob_achievement.get("description"),
            "results": self.results(subject, ob_achievement),
            "evidence": self.evidence(document, teacher, public_ids),
            "credit": list(definition.credit) if definition else [],
            "page_url": page_url,
            "json_url": json_url,
            "image_url": district.url(f"badges/{badge_id}.png"),
            "qr_svg": Markup(qr_svg(page_url, title=f"QR code linking to {page_url}", element_id="qr")),
            "linkedin_url": add_to_profile_url(certification),
            "linkedin_fields": linkedin_fields(certification),
            "mailto": "mailto:?" + urlencode({"subject": share_subject, "body": share_body}, quote_via=quote),
            "verify_path": "verify/?" + urlencode({"url": json_url}),
            # the in-browser verifier (credfolio.browser) checks this badge when the page opens
            "panel": verification_panel_html(json_url, district=district, page_path=f"badges/{badge_id}/index.html", env=self.env),
            "robots": "index, follow" if teacher.consent.search_engines else "noindex, nofollow",
            "hours": achievement.get("hours"),
        }

    def teacher_context(self, teacher: wallet.TeacherProfile) -> dict[str, Any]:
        """Name, and school and role only where the teacher consented to show them."""
        return {
            "slug": teacher.slug,
            "name": teacher.display_name,
            "school": teacher.school if teacher.consent.show_school else None,
            "role": teacher.role if teacher.consent.show_role else None,
            "wallet_path": f"wallet/{teacher.slug}/",
        }

    @staticmethod
    def results(subject: dict[str, Any], ob_achievement: dict[str, Any]) -> list[dict[str, str]]:
        """Rubric rows with the level achieved, named from the signed Achievement's ResultDescriptions."""
        descriptions = {d.get("id"): d for d in ob_achievement.get("resultDescription") or [] if isinstance(d, dict)}
        rows = []
        for result in subject.get("result") or []:
            if not isinstance(result, dict):
                continue
            description = descriptions.get(result.get("resultDescription")) or {}
            levels = {level.get("id"): level for level in description.get("rubricCriterionLevel") or [] if isinstance(level, dict)}
            level = levels.get(result.get("achievedLevel")) or {}
            required = levels.get(description.get("requiredLevel")) or {}
            rows.append({
                "criterion": str(description.get("name") or _fragment(result.get("resultDescription"))),
                "level": str(level.get("name") or _fragment(result.get("achievedLevel"))),
                "level_description": str(level.get("description") or ""),
                "required": str(required.get("name") or ""),
            })
        return rows

    def evidence(self, document: dict[str, Any], teacher: wallet.TeacherProfile, public_ids: frozenset[str]) -> list[dict[str, Any]]:
        """Evidence the teacher chose to show: https links, and badges this one was earned through."""
        items = []
        for item in document.get("evidence") or []:
            if not isinstance(item, dict):
                continue
            ident = str(item.get("id") or "")
            link = None
            if ident.startswith("urn:uuid:") and ident[9:] in public_ids:
                link = f"badges/{ident[9:]}/"  # a badge on this site (a stack's component badges)
            elif not teacher.consent.show_evidence:
                continue
            elif ident.startswith("https://"):
                link = ident
            items.append({"name": str(item.get("name") or ident), "description": str(item.get("description") or ""),
                          "link": link, "internal": bool(link and not link.startswith("https://"))})
        return items

    # wallet pages

    def wallet(self, teacher: wallet.TeacherProfile, badges: list[_Published]) -> None:
        """Write ``wallet/<slug>/`` and its transcript CSV."""
        cards, transcript = [], []
        earned: dict[str, str] = {}  # credential id → state of the best badge
        stacks_earned: set[str] = set()
        for badge in badges:
            achievement = self.achievement(badge.entry)
            cards.append({
                "badge_id": badge.entry.badge_id,
                "achievement": achievement,
                "awarded": badge.entry.awarded,
                "state": badge.state,
                "state_text": STATE_TEXT.get(badge.state, badge.state),
            })
            if badge.entry.credential:
                if badge.state == "active" or earned.get(badge.entry.credential) != "active":
                    earned[badge.entry.credential] = badge.state
                definition = achievement.get("definition")
                counted = badge.state in ("active", "expired")
                transcript.append({
                    "badge_id": badge.entry.badge_id,
                    "title": achievement["title"],
                    "hours": achievement["hours"],
                    "awarded": badge.entry.awarded,
                    "state": badge.state,
                    "state_text": STATE_TEXT.get(badge.state, badge.state),
                    "counted": counted and achievement["hours"] is not None,
                    "credit": [f"{note.authority}: {note.note}" for note in definition.credit] if definition else [],
                })
            elif badge.state == "active" and badge.entry.stack:
                stacks_earned.add(badge.entry.stack)
        total = sum((row["hours"] for row in transcript if row["counted"]), Decimal(0))
        page_path = f"wallet/{teacher.slug}/"
        context = {
            "teacher": self.teacher_context(teacher),
            "cards": sorted(cards, key=lambda card: (card["awarded"] or date.min), reverse=True),
            "pathways": self.pathways(earned, stacks_earned),
            "transcript": transcript,
            "total_hours": total,
            "robots": "index, follow" if teacher.consent.search_engines else "noindex, nofollow",
            "page_url": self.district.url(page_path),
        }
        self._render("wallet", page_path, **context)
        _write(self.site_dir / page_path / "transcript.csv", transcript_csv(teacher.display_name, self.district.name, transcript, total))

    def pathways(self, earned: dict[str, str], stacks_earned: set[str]) -> list[dict[str, Any]]:
        """Progress on every stack the teacher has started: earned and remaining steps, the next step."""
        progress = []
        for stack in self.catalog.stacks:
            steps = []
            for credential_id in stack.all_credentials:
                definition = self.catalog.credentials.get(credential_id)
                steps.append({
                    "id": credential_id,
                    "title": definition.title if definition else credential_id,
                    "earned": earned.get(credential_id) == "active",
                    "page_path": exports.credential_path(credential_id),
                    "capstone": credential_id == stack.capstone,
                })
            done = sum(1 for step in steps if step["earned"])
            if not done and stack.id not in stacks_earned:
                continue
            remaining = [step for step in steps if not step["earned"]]
            progress.append({
                "stack": stack,
                "page_path": exports.stack_path(stack.id),
                "steps": steps,
                "earned": done,
                "total": len(steps),
                "remaining": len(remaining),
                "next": remaining[0] if remaining else None,
                "completed": stack.id in stacks_earned or not remaining,
            })
        return progress

    # the program page

    def program(self, entries: Iterable[BadgeEntry]) -> None:
        """Write ``program/`` and ``program/program.csv`` from the ledger (every issued, unrevoked badge)."""
        report = program_report(self.catalog, entries)
        self._render("program", PROGRAM_DIR + "/", report=report, robots="index, follow",
                     page_url=self.district.url(PROGRAM_DIR + "/"))
        _write(self.site_dir / PROGRAM_DIR / "program.csv", program_csv(report))


# --- transcript --------------------------------------------------------------------------------------------

TRANSCRIPT_COLUMNS = ("credential", "hours", "awarded", "state", "counted", "credit_notes", "badge_id")


def transcript_csv(name: str, district_name: str, rows: list[dict[str, Any]], total: Decimal) -> str:
    """The PD-hours transcript as CSV: one row per credential badge, then the total of counted hours."""
    lines: list[list[object]] = [list(TRANSCRIPT_COLUMNS)]
    for row in rows:
        lines.append([
            row["title"],
            format_hours(row["hours"]) if row["hours"] is not None else "",
            row["awarded"].isoformat() if row["awarded"] else "",
            row["state_text"],
            "yes" if row["counted"] else "no",
            "; ".join(row["credit"]),
            row["badge_id"],
        ])
    lines.append(["Total hours counted", format_hours(total), "", "", "", f"{name}, {district_name}", ""])
    return _csv(lines)


# --- program report ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: a label and a count (``shown`` is ``None`` when the count is suppressed)."""

    label: str
    count: int | Decimal
    shown: str | None


def _bars(counter: dict[str, int | Decimal], *, keep_order: bool = False, unit: str = "") -> list[Bar]:
    items = list(counter.items()) if keep_order else sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    bars = []
    for label, count in items:
        hidden = suppressed(count)
        bars.append(Bar(label, count, None if hidden else format_hours(count) + unit))
    return bars


def program_report(catalog: Catalog, entries: Iterable[BadgeEntry]) -> dict[str, Any]:
    """Aggregates over issued, unrevoked badges: per credential, per stack, per school year; stacks completed; PD hours.

    Revoked badges are left out (a re-issued badge counts once, as its replacement). Every count
    under :data:`SUPPRESS_BELOW` is suppressed, and so are PD hours resting on fewer badges.
    """
    per_credential: Counter[str] = Counter()
    per_stack: Counter[str] = Counter()
    per_year: Counter[str] = Counter()
    hours_per_year: dict[str, Decimal] = defaultdict(Decimal)
    stacks_completed: Counter[str] = Counter()
    total_hours, credential_badges = Decimal(0), 0
    for entry in entries:
        if not entry.is_issued or entry.revoked is not None or entry.awarded is None:
            continue
        year = school_year(entry.awarded)
        if entry.credential:
            definition = catalog.credentials.get(entry.credential)
            title = definition.title if definition else entry.credential
            per_credential[title] += 1
            per_year[year] += 1
            credential_badges += 1
            for stack in catalog.stacks_for(entry.credential):
                per_stack[stack.title] += 1
            if definition:
                hours = Decimal(str(definition.hours))
                hours_per_year[year] += hours
                total_hours += hours
        elif entry.stack:
            stack = next((s for s in catalog.stacks if s.id == entry.stack), None)
            stacks_completed[stack.earns.title if stack else entry.stack] += 1
    years = sorted(per_year)
    year_hours = {year: hours_per_year[year] for year in years}
    hours_bars = [Bar(year, year_hours[year], None if suppressed(per_year[year]) else format_hours(year_hours[year]))
                  for year in years]
    total_completed = sum(stacks_completed.values())
    return {
        "charts": [
            _chart("per-credential", "Badges awarded per micro-credential", _bars(per_credential)),
            _chart("per-stack", "Badges awarded per stack (pathway)", _bars(per_stack)),
            _chart("per-year", "Badges awarded per school year (July–June)", _bars(per_year, keep_order=True)),
            _chart("hours-per-year", "PD hours earned per school year", hours_bars),
            _chart("stacks-completed", "Stacks completed", _bars(stacks_completed)),
        ],
        "total_badges": credential_badges,
        "total_badges_shown": suppressed(credential_badges) or str(credential_badges),
        "total_hours_shown": suppressed(credential_badges) or format_hours(total_hours),
        "stacks_completed_shown": suppressed(total_completed) or str(total_completed),
        "suppress_below": SUPPRESS_BELOW,
        "suppressed_text": SUPPRESSED_TEXT,
    }


def _chart(chart_id: str, title: str, bars: list[Bar]) -> dict[str, Any]:
    """Layout of a horizontal bar chart drawn as static SVG (suppressed bars are drawn without length)."""
    label_width, bar_width, value_width, row, gap = 300, 260, 100, 22, 8
    largest = max((bar.count for bar in bars if bar.shown is not None), default=0) or 1
    rows = []
    for index, bar in enumerate(bars):
        length = 0 if bar.shown is None else max(2, round(float(bar.count) / float(largest) * bar_width))
        label = bar.label if len(bar.label) <= 44 else bar.label[:43].rstrip() + "…"
        rows.append({"y": index * (row + gap), "label": label, "full_label": bar.label, "length": length,
                     "text": bar.shown or SUPPRESSED_TEXT})
    return {
        "id": chart_id,
        "title": title,
        "bars": bars,
        "rows": rows,
        "row_height": row,
        "label_width": label_width,
        "value_x": label_width + bar_width + 8,
        "width": label_width + bar_width + value_width,
        "height": max(1, len(bars)) * (row + gap),
    }


def program_csv(report: dict[str, Any]) -> str:
    """The program report as CSV: ``chart, group, value`` rows (suppressed values as text)."""
    lines: list[list[object]] = [["chart", "group", "value"]]
    for chart in report["charts"]:
        for bar in chart["bars"]:
            lines.append([chart["title"], bar.label, bar.shown or SUPPRESSED_TEXT])
    lines.append(["Totals", "Badges awarded", report["total_badges_shown"]])
    lines.append(["Totals", "PD hours earned", report["total_hours_shown"]])
    lines.append(["Totals", "Stacks completed", report["stacks_completed_shown"]])
    return _csv(lines)


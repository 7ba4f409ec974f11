"""Sharding the site build by teacher slug, and merging the shards into one site.

A large district splits the build's per-teacher work — verifying each published badge, its baked
PNG/SVG copies, its badge and certificate pages, and the teacher's wallet page — over several CI jobs.
Each job runs ``mkdocs build`` with ``CREDFOLIO_SHARD`` set (:data:`SHARD_ENV`):

``a-c,d,mar``  a *teacher shard*: only the teachers whose slug starts with one of these prefixes. An
               item ``x-y`` is an inclusive range of first characters (``a-c`` is ``a``, ``b``, ``c``;
               ``0-9`` the digits); any other item is a literal prefix of letters and digits (``mar``).
``none``       the *shared part*: everything that names no teacher — the MkDocs pages (catalog, stacks,
               search), exports, ``did.json``, ``status/``, ``ledger.jsonl``, ``program/``, ``verify/``,
               credfolio's assets and the pages of withdrawn badges.
unset          the whole site, as without sharding.

A teacher shard's output counts only under ``badges/`` and ``wallet/`` (MkDocs still writes its own
pages there, but :func:`merge_shards` ignores them). Each sharded build leaves a :data:`MARKER_FILE`
naming its shard, the teachers it covered and every teacher with a wallet page; :func:`merge_shards`
reads those to refuse a merge that would leave a teacher out or write a file twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from credfolio.errors import ShardError

SHARD_ENV = "CREDFOLIO_SHARD"
SHARED_SPEC = "none"
#: Written into a sharded build's site folder; MkDocs' cleaning leaves names starting with "." alone,
#: so an unsharded build removes it (:func:`record_shard`).
MARKER_FILE = ".credfolio-shard.json"
MARKER_FORMAT = 1
#: The only folders a teacher shard contributes to the merged site.
TEACHER_TREES = ("badges", "wallet")
#: Characters a teacher slug can start with (``wallet.SLUG_PATTERN``): what a shard list has to cover.
FIRST_CHARACTERS = string.digits + string.ascii_lowercase

_RANGE = re.compile(r"^([a-z0-9])-([a-z0-9])$")
_PREFIX = re.compile(r"^[a-z0-9]+$")


@dataclass(frozen=True)
class Shard:
    """Which part of the site a build writes (see the module docstring).

    ``spec`` is the ``CREDFOLIO_SHARD`` value (``None``: unsharded); ``prefixes`` the slug prefixes of a
    teacher shard, ranges expanded to single characters.
    """

    spec: str | None = None
    prefixes: tuple[str, ...] = ()

    @property
    def is_sharded(self) -> bool:
        """Whether this build writes only a part of the site."""
        return self.spec is not None

    @property
    def writes_shared(self) -> bool:
        """Whether this build writes the parts that name no teacher (unsharded, or ``none``)."""
        return self.spec is None or self.spec == SHARED_SPEC

    def covers(self, slug: str) -> bool:
        """Whether this build writes the pages (and verifies the badges) of the teacher ``slug``."""
        return self.spec is None or slug.startswith(self.prefixes)

    def cache_name(self, filename: str) -> str:
        """A cache file name of its own per shard (``verdicts.json`` → ``verdicts.shard-a-c_d.json``).

        CI jobs of different shards may restore one another's cache: separate files keep each shard's
        verdicts and page manifest from being overwritten by another's.
        """
        if self.spec is None:
            return filename
        stem, dot, suffix = filename.rpartition(".")
        return f"{stem}.shard-{self.spec.replace(',', '_')}{dot}{suffix}"


def parse_shard(text: str | None) -> Shard:
    """Parse a ``CREDFOLIO_SHARD`` value; ``None`` or blank means unsharded. Raises :class:`ShardError`."""
    if text is None or not text.strip():
        return Shard()
    items = [item.strip() for item in text.strip().lower().split(",")]
    if items == [SHARED_SPEC]:
        return Shard(SHARED_SPEC)
    prefixes: list[str] = []
    for item in items:
        found = _RANGE.match(item)
        if item == SHARED_SPEC:
            raise ShardError(f"{SHARD_ENV}: {SHARED_SPEC!r} (the shared part) cannot be combined with prefixes, got {text!r}")
        if found:
            first, last = FIRST_CHARACTERS.index(found.group(1)), FIRST_CHARACTERS.index(found.group(2))
            if first > last:
                raise ShardError(f"{SHARD_ENV}: the range {item!r} runs backwards (write it as "
                                 f"{found.group(2)}-{found.group(1)}), in {text!r}")
            prefixes.extend(FIRST_CHARACTERS[first:last + 1])
        elif _PREFIX.match(item):
            prefixes.append(item)
        else:
            raise ShardError(f"{SHARD_ENV}: {item!r} is neither a range of first characters (a-c, 0-9) nor a prefix of "
                             f"letters and digits (mar); expected a comma-separated list such as 'a-c,d' or 'none', got {text!r}")
    spec = ",".join(items)
    return Shard(spec, tuple(dict.fromkeys(prefixes)))


def shard_from_environment(environ: Mapping[str, str] | None = None) -> Shard:
    """The shard of this build, from ``$CREDFOLIO_SHARD``."""
    environ = os.environ if environ is None else environ
    return parse_shard(environ.get(SHARD_ENV))


def check_shards(shards: Iterable[Shard], slugs: Iterable[str] | None = None, *, by_first_character: bool = True) -> list[str]:
    """Problems of a set of shards meant to build one site together (empty when they fit).

    Every slug must belong to exactly one teacher shard, and exactly one part must be ``none``. With
    ``by_first_character``, every character a slug can start with (``a-z0-9``) must be covered by a
    single-character prefix or range, so that a teacher added later cannot fall between the shards;
    with ``slugs`` (the district's teachers) each slug is checked as well.
    """
    shards = list(shards)
    problems: list[str] = []
    shared = [shard for shard in shards if shard.spec == SHARED_SPEC]
    teacher_shards = [shard for shard in shards if shard.is_sharded and shard.spec != SHARED_SPEC]
    if any(not shard.is_sharded for shard in shards):
        problems.append("an unsharded build cannot be combined with shards")
    if len(shared) != 1:
        problems.append(f"exactly one part must be {SHARED_SPEC!r} (the shared part), found {len(shared)}")
    uncovered = [character for character in FIRST_CHARACTERS if by_first_character
                 and not any(character in shard.prefixes for shard in teacher_shards)]
    if uncovered:
        partly = sorted({p for shard in teacher_shards for p in shard.prefixes if p[0] in uncovered})
        problems.append(f"slugs starting with {', '.join(uncovered)} are in no shard (the shards together should cover "
                        f"a-z and 0-9)" + (f"; {', '.join(partly)} cover only some of them" if partly else ""))
    for index, shard in enumerate(teacher_shards):
        for other in teacher_shards[index + 1:]:
            both = sorted({max(p, q, key=len) for p in shard.prefixes for q in other.prefixes
                           if p.startswith(q) or q.startswith(p)})
            if both:
                problems.append(f"shards {shard.spec!r} and {other.spec!r} both cover slugs starting with {', '.join(both)}")
    for slug in sorted(set(slugs or ())):
        owners = [shard.spec for shard in teacher_shards if shard.covers(slug)]
        if len(owners) != 1:
            problems.append(f"teacher {slug!r} is in {'no shard' if not owners else 'shards ' + ', '.join(map(repr, owners))}")
    return problems


# --- the marker a sharded build leaves ------------------------------------------------------------------------


def record_shard(site_dir: Path | str, shard: Shard, *, covered: Iterable[str], teachers: Iterable[str]) -> None:
    """Leave :data:`MARKER_FILE` in a sharded build's site folder; remove a stale one from an unsharded build."""
    marker = Path(site_dir) / MARKER_FILE
    if not shard.is_sharded:
        marker.unlink(missing_ok=True)
        return
    data = {"format": MARKER_FORMAT, "shard": shard.spec, "covered": sorted(covered), "teachers": sorted(teachers)}
    marker.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def last_shard_spec(site_dir: Path | str) -> str | None:
    """The ``CREDFOLIO_SHARD`` of the last build into ``site_dir`` (``None``: unsharded, or unknown)."""
    try:
        data = json.loads((Path(site_dir) / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("shard") if isinstance(data, dict) and isinstance(data.get("shard"), str) else None


@dataclass(frozen=True)
class ShardBuild:
    """A sharded build's site folder, as its marker describes it."""

    site_dir: Path
    shard: Shard
    covered: tuple[str, ...]
    teachers: tuple[str, ...]


def read_shard_build(site_dir: Path | str) -> ShardBuild:
    """Read the marker of a sharded build; :class:`ShardError` when the folder is not one."""
    site_dir = Path(site_dir)
    marker = site_dir / MARKER_FILE
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ShardError(f"{site_dir}: not a sharded build (no {MARKER_FILE}); build it with {SHARD_ENV} set") from None
    except (OSError, ValueError) as error:
        raise ShardError(f"{marker}: unreadable shard marker: {error}") from None
    if (not isinstance(data, dict) or data.get("format") != MARKER_FORMAT or not isinstance(data.get("shard"), str)
            or not all(isinstance(data.get(key), list) for key in ("covered", "teachers"))):
        raise ShardError(f"{marker}: not a credfolio shard marker of format {MARKER_FORMAT}")
    return ShardBuild(site_dir, parse_shard(data["shard"]), tuple(map(str, data["covered"])), tuple(map(str, data["teachers"])))


# --- merging ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeReport:
    """What :func:`merge_shards` copied."""

    files: int
    parts: int
    teachers: int


def merge_shards(sources: Iterable[Path | str], into: Path | str) -> MergeReport:
    """Copy the site folders of a sharded build's parts into ``into`` (new or empty), checking they fit.

    From the ``none`` part everything is copied; from each teacher shard only ``badges/`` and
    ``wallet/``. Refuses (:class:`ShardError`, naming the file) a path that two parts contribute, a
    teacher with a wallet page that no shard covered, parts built from different wallets, and any set
    of parts that is not exactly one ``none`` plus teacher shards.
    """
    builds = [read_shard_build(source) for source in sources]
    into = Path(into)
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise ShardError(f"{into}: the merged site folder must be new or empty")
    # first characters no teacher has are fine here: the teachers themselves are checked below
    problems = check_shards([build.shard for build in builds], by_first_character=False)
    if problems:
        raise ShardError(f"cannot merge these parts: {problems[0]}")
    teachers = builds[0].teachers
    for build in builds[1:]:
        if build.teachers != teachers:
            raise ShardError(f"{build.site_dir} was built from other teachers than {builds[0].site_dir} "
                             "(every part must be built from the same commit)")
    owner: dict[str, Path] = {}
    for build in builds:
        for slug in build.covered:
            if slug in owner:
                raise ShardError(f"teacher {slug!r} was built by both {owner[slug]} and {build.site_dir}")
            owner[slug] = build.site_dir
    missing = sorted(set(teachers) - owner.keys())
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ShardError(f"teacher {missing[0]!r}{more} is in no shard: add a shard covering the prefix "
                         f"(the shards together should cover a-z and 0-9)")

    plan: dict[str, Path] = {}
    for build in builds:
        for relative, path in _contribution(build):
            if relative in plan:
                raise ShardError(f"{relative} is in both {_part_of(plan[relative], builds)} "
                                 f"and {build.site_dir}; a file must come from one part only")
            plan[relative] = path
    for relative in sorted(plan):
        target = into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(plan[relative], target)
    return MergeReport(files=len(plan), parts=len(builds), teachers=len(teachers))


def _contribution(build: ShardBuild) -> list[tuple[str, Path]]:
    """``(site path, file)`` of every file a part contributes to the merged site."""
    roots = [build.site_dir] if build.shard.writes_shared else [build.site_dir / name for name in TEACHER_TREES]
    files = []
    for root in roots:
        for path in sorted(root.rglob("*")) if root.is_dir() else ():
            relative = path.relative_to(build.site_dir).as_posix()
            if path.is_file() and relative != MARKER_FILE:
                files.append((relative, path))
    return files


def _part_of(path: Path, builds: list[ShardBuild]) -> Path:
    return next(build.site_dir for build in builds if path.is_relative_to(build.site_dir))

"""The district's file format and ``credfolio migrate``.

A district declares its format in ``mkdocs.yml`` (``extra.credfolio.format``; missing means 1).
:func:`credfolio.config.load_district` refuses an older format (run ``credfolio migrate``) and a newer
one (upgrade credfolio). When a release changes the shape of ``mkdocs.yml``, the catalog or the wallet,
it bumps :data:`~credfolio.config.DISTRICT_FORMAT` and registers one step in :data:`MIGRATIONS`
that turns format *n* into *n + 1*.

How a migration runs (:func:`migrate_district`):

1. refuse when the git working tree has uncommitted changes (unless ``force``), so the migration is
   one reviewable diff that ``git checkout .`` can undo;
2. run every step from the district's format up to the current one on a :class:`DistrictFiles`
   (in memory: steps read and write text, nothing touches the disk yet);
3. copy every file about to change into ``.credfolio-backup/<UTC time>-format-<n>/``;
4. replace the changed files atomically, ``mkdocs.yml`` (with the new format number) **last**: a run
   killed half-way leaves the old format number, so the next run applies the steps again. Steps
   must therefore be idempotent (renaming a key that is already renamed changes nothing).

Step functions edit text with :func:`rename_key` / :func:`set_scalar` (which change only the bytes
they must, so comments and formatting survive) rather than by re-dumping YAML.

Format 1 is the first published format, so this release registers no steps; the machinery is
exercised by the tests with a format-0 fixture.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import yaml

from credfolio.config import CONFIG_FILE, DISTRICT_FORMAT
from credfolio.errors import MigrationError
from credfolio.fsutil import atomic_write_text, create_new_file

BACKUP_DIR = ".credfolio-backup"
MAX_FILE_BYTES = 2 * 1024 * 1024
FORMAT_PATH = ("extra", "credfolio", "format")


class DistrictFiles:
    """The district's text files as migration steps see them: reads come from disk, writes are staged."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._staged: dict[str, str] = {}

    def path(self, relative: str) -> Path:
        """The file ``relative`` (POSIX, inside the district) on disk."""
        parts = PurePosixPath(relative).parts
        if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
            raise MigrationError(f"a migration step asked for a path outside the district: {relative!r}")
        return self.root.joinpath(*parts)

    def exists(self, relative: str) -> bool:
        """Whether ``relative`` exists (staged or on disk)."""
        return relative in self._staged or self.path(relative).is_file()

    def read(self, relative: str) -> str:
        """The current text of ``relative`` (a staged write wins over the disk)."""
        if relative in self._staged:
            return self._staged[relative]
        path = self.path(relative)
        if path.is_symlink():
            raise MigrationError(f"{relative} is a symbolic link; migrate does not follow links")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise MigrationError(f"{relative}: cannot read: {error.strerror or error}") from None
        if len(data) > MAX_FILE_BYTES:
            raise MigrationError(f"{relative}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MigrationError(f"{relative}: not UTF-8 text (byte {error.start})") from None

    def write(self, relative: str, text: str) -> None:
        """Stage new text for ``relative``; nothing is written until every step has run."""
        self.path(relative)
        self._staged[relative] = text

    def glob(self, pattern: str) -> list[str]:
        """Relative POSIX paths of existing files matching ``pattern`` (e.g. ``catalog/*.yml``), sorted."""
        return sorted(path.relative_to(self.root).as_posix() for path in self.root.glob(pattern)
                      if path.is_file() and not path.is_symlink())

    def changes(self) -> dict[str, str]:
        """``{relative path: new text}`` of the files whose text actually changed."""
        changed = {}
        for relative, text in self._staged.items():
            path = self.path(relative)
            if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
                changed[relative] = text
        return changed


@dataclass(frozen=True)
class Migration:
    """One step: turns a district in ``from_format`` into ``from_format + 1``."""

    from_format: int
    summary: str
    apply: Callable[[DistrictFiles], None]

    @property
    def to_format(self) -> int:
        """The format the step produces."""
        return self.from_format + 1


#: The registered steps, by the format they start from. Format 1 is the first, so none yet.
MIGRATIONS: dict[int, Migration] = {}


def register(from_format: int, summary: str) -> Callable[[Callable[[DistrictFiles], None]], Callable[[DistrictFiles], None]]:
    """Decorator that registers a step function in :data:`MIGRATIONS`."""

    def decorator(function: Callable[[DistrictFiles], None]) -> Callable[[DistrictFiles], None]:
        if from_format in MIGRATIONS:
            raise ValueError(f"a migration from format {from_format} is already registered")
        MIGRATIONS[from_format] = Migration(from_format, summary, function)
        return function

    return decorator


@dataclass(frozen=True)
class MigrationResult:
    """What :func:`migrate_district` did."""

    from_format: int
    to_format: int
    steps: tuple[Migration, ...] = ()
    changed: tuple[str, ...] = ()
    backup: Path | None = None

    @property
    def already_current(self) -> bool:
        """True when the district was already at the current format (nothing was written)."""
        return not self.steps


def read_format(root: Path | str) -> int:
    """The district's format as declared in ``mkdocs.yml`` (missing means 1)."""
    if not (Path(root) / CONFIG_FILE).is_file():
        raise MigrationError(f"no {CONFIG_FILE} in {root}; run credfolio migrate in a district folder or pass --district")
    node = _find(_compose(DistrictFiles(Path(root)).read(CONFIG_FILE), CONFIG_FILE), FORMAT_PATH)
    if node is None:
        return 1
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int" or not node.value.isdigit():
        raise MigrationError(f"{CONFIG_FILE}:{node.start_mark.line + 1}: extra.credfolio.format: must be a whole number, "
                             f"not {getattr(node, 'value', '…')!r}")
    return int(node.value)


def plan_migration(root: Path | str, *, migrations: dict[int, Migration] | None = None,
                   current: int = DISTRICT_FORMAT) -> list[Migration]:
    """The steps that take the district in ``root`` to ``current`` (empty when it is already there)."""
    migrations = MIGRATIONS if migrations is None else migrations
    found = read_format(root)
    if found > current:
        from credfolio import __version__

        raise MigrationError(f"the district is in format {found}, newer than credfolio {__version__} understands "
                             f"(format {current}): upgrade credfolio (python -m pip install --upgrade credfolio)")
    steps = []
    for number in range(found, current):
        if number not in migrations:
            raise MigrationError(f"this credfolio has no migration from format {number} to {number + 1}; "
                                 "migrate with the credfolio release that introduced it first (see CHANGELOG.md)")
        steps.append(migrations[number])
    return steps


def migrate_district(root: Path | str, *, now: datetime, force: bool = False,
                     migrations: dict[int, Migration] | None = None, current: int = DISTRICT_FORMAT) -> MigrationResult:
    """Bring the district in ``root`` to format ``current``; see the module docstring for the guarantees.

    Raises :class:`MigrationError` (nothing written) on a dirty git working tree unless ``force``,
    on a format newer than ``current``, a missing step or a step that fails.
    """
    root = Path(root)
    found = read_format(root)
    steps = plan_migration(root, migrations=migrations, current=current)
    if not steps:
        return MigrationResult(from_format=found, to_format=found)
    if not force:
        _refuse_dirty_tree(root)
    files = DistrictFiles(root)
    for step in steps:
        try:
            step.apply(files)
        except MigrationError:
            raise
        except (ValueError, KeyError, yaml.YAMLError) as error:
            raise MigrationError(f"migration {step.from_format} → {step.to_format} ({step.summary}) failed: {error}; "
                                 "nothing was written") from None
    files.write(CONFIG_FILE, _set_format(files.read(CONFIG_FILE), current))
    changes = files.changes()
    backup = _back_up(root, changes, found, now)
    # mkdocs.yml last: until it carries the new number, a rerun applies the (idempotent) steps again
    for relative in sorted(changes, key=lambda name: name == CONFIG_FILE):
        atomic_write_text(files.path(relative), changes[relative])
    return MigrationResult(from_format=found, to_format=current, steps=tuple(steps),
                           changed=tuple(sorted(changes)), backup=backup)


# --- text edits for step functions ----------------------------------------------------------------------


def rename_key(text: str, path: Iterable[str], new_name: str, *, display: str = "file") -> str:
    """Rename the mapping key at ``path`` (e.g. ``("extra", "credfolio", "district_name")``) to ``new_name``.

    Only the key's own characters change. Returns ``text`` unchanged when the key is absent (so a
    step can run twice); raises :class:`MigrationError` when both the old and the new key exist.
    """
    *parents, old_name = tuple(path)
    mapping = _find(_compose(text, display), tuple(parents)) if parents else _compose(text, display)
    if not isinstance(mapping, yaml.MappingNode):
        return text
    keys = {key.value: key for key, _ in mapping.value if isinstance(key, yaml.ScalarNode)}
    if old_name not in keys:
        return text
    if new_name in keys:
        where = ".".join((*parents, old_name))
        raise MigrationError(f"{display}:{keys[old_name].start_mark.line + 1}: {where}: both {old_name!r} and {new_name!r} "
                             "are present; remove one by hand and run credfolio migrate again")
    key = keys[old_name]
    return text[: key.start_mark.index] + new_name + text[key.end_mark.index:]


def set_scalar(text: str, path: Iterable[str], value: str, *, display: str = "file") -> str:
    """Replace the scalar at ``path`` with ``value`` (written as given, e.g. ``"2"`` or ``'"text"'``)."""
    node = _find(_compose(text, display), tuple(path))
    if not isinstance(node, yaml.ScalarNode):
        raise MigrationError(f"{display}: {'.'.join(path)}: expected a single value to update; edit it by hand")
    return text[: node.start_mark.index] + value + text[node.end_mark.index:]


def _set_format(text: str, number: int) -> str:
    """``mkdocs.yml`` with ``extra.credfolio.format: number``, added above the first setting when missing."""
    if _find(_compose(text, CONFIG_FILE), FORMAT_PATH) is not None:
        return set_scalar(text, FORMAT_PATH, str(number), display=CONFIG_FILE)
    settings = _find(_compose(text, CONFIG_FILE), FORMAT_PATH[:-1])
    if isinstance(settings, yaml.MappingNode) and not settings.flow_style and settings.value:
        first = settings.value[0][0]
        line_start = first.start_mark.index - first.start_mark.column
        if not text[line_start:first.start_mark.index].strip():
            return text[:line_start] + " " * first.start_mark.column + f"format: {number}\n" + text[line_start:]
    raise MigrationError(f"{CONFIG_FILE}: add `format: {number}` under extra.credfolio by hand, then run credfolio migrate again")


def _compose(text: str, display: str) -> yaml.Node | None:
    # compose, not load: positions are kept and tags (MkDocs' !ENV, !!python/name:) are never constructed
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        raise MigrationError(f"{display}:{mark.line + 1 if mark else '?'}: YAML syntax error: {error.problem}") from None
    except yaml.YAMLError as error:
        raise MigrationError(f"{display}: YAML error: {str(error).splitlines()[0]}") from None


def _find(node: yaml.Node | None, path: tuple[str, ...]) -> yaml.Node | None:
    for name in path:
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((value for key, value in node.value if isinstance(key, yaml.ScalarNode) and key.value == name), None)
    return node


# --- safety -------------------------------------------------------------------------------------------


def _refuse_dirty_tree(root: Path) -> None:
    try:
        result = subprocess.run(["git", "status", "--porcelain", "--untracked-files=normal", "--", "."],
                                cwd=root, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return  # no git: the backup is the way back
    if result.returncode != 0:
        return  # not a git repository
    dirty = [line[3:] for line in result.stdout.splitlines() if line.strip()]
    if dirty:
        more = f" and {len(dirty) - 1} more" if len(dirty) > 1 else ""
        raise MigrationError(f"the git working tree has uncommitted changes ({dirty[0]}{more}): commit or stash them first, "
                             "so the migration is one change you can review and undo, or pass --force")


def _back_up(root: Path, changes: dict[str, str], found: int, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    folder = root / BACKUP_DIR / f"{stamp}-format-{found}"
    number = 1
    while folder.exists():
        number += 1
        folder = root / BACKUP_DIR / f"{stamp}-format-{found}-{number}"
    for relative in sorted(changes):
        source = root.joinpath(*PurePosixPath(relative).parts)
        if source.is_file():
            create_new_file(folder.joinpath(*PurePosixPath(relative).parts), source.read_bytes())
    return folder


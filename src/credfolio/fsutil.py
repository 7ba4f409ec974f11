"""Crash-safe file writes: whole files replaced atomically, JSON Lines appended durably.

``kill -9`` or a power cut at any moment must leave every file either as it was or as intended,
never half-written:

* :func:`atomic_write_bytes` writes a temporary file in the same folder, ``fsync``s it, renames it
  over the target with ``os.replace`` (atomic on POSIX) and ``fsync``s the folder so the rename
  itself is durable.
* :func:`append_lines` appends complete lines with one ``write`` and ``fsync``s before returning,
  so a caller that goes on to the next step knows the record is on disk. A crash can at most leave
  a torn last line (no trailing newline); :func:`repair_torn_tail` drops it before the next append
  and readers ignore it — a record that was never fully written was never acted on.

Private files (personal data, secrets) are created ``0600`` in ``0700`` folders.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO


def make_dirs(folder: Path, *, private: bool = False) -> None:
    """Create ``folder`` and missing parents (``0700`` each when ``private``)."""
    folder = Path(folder)
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700 if private else 0o777)
            fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def atomic_write_bytes(path: Path, data: bytes, *, private: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically and durably (temp file + fsync + ``os.replace`` + folder fsync)."""
    path = Path(path)
    make_dirs(path.parent, private=private)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if private:
            os.fchmod(descriptor, 0o600)
        else:
            os.fchmod(descriptor, 0o644)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    fsync_dir(path.parent)


def _write_temporary(path: Path, data: bytes, private: bool) -> str:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(descriptor, 0o600 if private else 0o644)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return temporary


#: Threads that write and ``fsync`` a batch of files at once (``fsync`` releases the GIL, and the
#: file system commits concurrent syncs together, so a batch costs a few journal commits, not one each).
_WRITE_THREADS = 8


def atomic_write_many(files: Iterable[tuple[Path, bytes, bool]]) -> None:
    """:func:`atomic_write_bytes` for a batch of ``(path, data, private)``, durable when it returns.

    Every file is written to a temporary and synced in parallel threads, then each is renamed into
    place and each folder is synced once. A crash leaves every target either as it was or complete.
    """
    batch = [(Path(path), data, private) for path, data, private in files]
    for folder, private in {(path.parent, private) for path, _, private in batch}:
        make_dirs(folder, private=private)
    temporaries: list[str] = []
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(_WRITE_THREADS, max(1, len(batch)))) as pool:
            futures = [pool.submit(_write_temporary, path, data, private) for path, data, private in batch]
            failure = None
            for future in futures:
                try:
                    temporaries.append(future.result())
                except BaseException as error:  # collect the rest so none is left behind, then raise
                    failure = failure or error
            if failure is not None:
                raise failure
        for temporary, (path, _, _) in zip(temporaries, batch):
            os.replace(temporary, path)
    except BaseException:
        for temporary in temporaries:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise
    for folder in {path.parent for path, _, _ in batch}:
        fsync_dir(folder)


def create_new_file(path: Path, data: bytes, *, private: bool = False) -> None:
    """Create ``path`` atomically with ``data``; raise :class:`FileExistsError` if it exists (never overwrites).

    The data goes to a temporary file in the same folder, is flushed to disk, then hard-linked into
    place (``link`` fails rather than replace), so a crash leaves either no file or the whole file.
    """
    path = Path(path)
    make_dirs(path.parent, private=private)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(descriptor, 0o600 if private else 0o644)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:
            # file systems without hard links: reserve the name exclusively, then swap the content in
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600 if private else 0o644))
            os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    fsync_dir(path.parent)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files an interrupted :func:`atomic_write_bytes` left in ``folder``; returns how many.

    Only call this while holding the lock that serialises writers to ``folder``: a temporary file of
    a write in progress elsewhere would otherwise be removed under it.
    """
    removed = 0
    try:
        candidates = list(Path(folder).iterdir())
    except FileNotFoundError:
        return 0
    for path in candidates:
        if path.name.startswith(".") and path.name.endswith(".tmp") and path.is_file() and not path.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed


def atomic_write_text(path: Path, text: str, *, private: bool = False) -> None:
    """:func:`atomic_write_bytes` of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), private=private)


def json_text(data: Any) -> str:
    """Stable, readable JSON: UTF-8 (no ``\\u`` escapes), two-space indent, trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def atomic_write_json(path: Path, data: Any, *, private: bool = False) -> None:
    """Write ``data`` as :func:`json_text` atomically."""
    atomic_write_text(path, json_text(data), private=private)


def json_line(record: Any) -> str:
    """One compact JSON Lines record (no newline inside, UTF-8 kept readable)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def append_lines(path: Path, lines: Iterable[str], *, private: bool = False) -> None:
    """Append complete lines to ``path`` in one write and ``fsync`` before returning.

    Each line must not contain a newline; the file is created (``0600`` when ``private``) if missing.
    """
    payload = "".join(line + "\n" for line in lines).encode("utf-8")
    if not payload:
        return
    path = Path(path)
    existed = path.exists()
    if not existed:
        make_dirs(path.parent, private=private)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600 if private else 0o644)
    try:
        view = memoryview(payload)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if not existed:
        fsync_dir(path.parent)


def repair_torn_tail(path: Path) -> bool:
    """Cut a torn last line (bytes after the final newline) left by a crash mid-append; ``True`` if one was cut."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if size == 0:
        return False
    with open(path, "r+b") as handle:
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return False
        keep = _last_newline_end(handle, size)
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    return True


def _last_newline_end(handle: BinaryIO, size: int) -> int:
    """Offset just after the last ``\\n`` in the file (0 when there is none)."""
    block = 65536
    end = size
    while end > 0:
        start = max(0, end - block)
        handle.seek(start)
        chunk = handle.read(end - start)
        position = chunk.rfind(b"\n")
        if position >= 0:
            return start + position + 1
        end = start
    return 0


def read_lines(path: Path) -> list[tuple[int, str]]:
    """``(line number, text)`` of every complete line; a torn last line (no newline) is left out."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    text = raw.decode("utf-8", errors="strict")
    parts = text.split("\n")
    complete = parts[:-1]  # the element after the last newline is empty, or a torn line
    return [(number, line) for number, line in enumerate(complete, start=1) if line.strip()]


_HELD: set[str] = set()
_HELD_GUARD = threading.Lock()


@contextlib.contextmanager
def exclusive_lock(path: Path, *, private: bool = False, blocking: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on the lock file ``path`` (created if needed) so two runs never interleave.

    A POSIX record lock (``lockf``) rather than ``flock``: it belongs to this process only, so worker
    processes forked while it is held (parallel signing) do not inherit it and cannot keep it alive
    after this process is killed; the kernel releases it when the holder dies, even by ``kill -9``.
    Record locks do not exclude the same process, and closing *any* descriptor of the file drops
    them, so the process also keeps a registry of the lock files it holds and refuses a second
    holder before opening the file again; ``path`` must be a file used for nothing else. With
    ``blocking=False`` a lock held elsewhere raises :class:`BlockingIOError` at once (in-process
    contention always does).
    """
    path = Path(path)
    make_dirs(path.parent, private=private)
    key = os.path.realpath(path)
    with _HELD_GUARD:
        if key in _HELD:
            raise BlockingIOError(f"{path} is already locked by this process")
        _HELD.add(key)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600 if private else 0o644)
        try:
            try:
                fcntl.lockf(descriptor, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except PermissionError as error:  # some systems report a held record lock as EACCES
                raise BlockingIOError(str(error)) from None
            yield
        finally:
            os.close(descriptor)
    finally:
        with _HELD_GUARD:
            _HELD.discard(key)

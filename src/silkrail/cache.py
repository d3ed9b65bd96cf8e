"""Files under ``$SILKRAIL_HOME`` that several processes build, read and clean up at once.

Every cache file is written to a temporary file of its own in the same directory (its name
carries the writer's process id) and moved into place with one atomic ``os.replace``, so a
reader sees the old file or the new one, never a half-written one. Each cache file has a
lock file beside it (``.NAME.lock``, a :class:`filelock.FileLock`, which works on every OS):
a process holds it while it reads the file, the one process that builds a missing file holds
it while it builds (the others wait, then read what it wrote), and cleanup deletes a file only
while holding its lock. Taking a lock touches the lock file and the cache file, so their
modification times say when the cache file was last used: cleanup removes only files of other
inputs that nobody used for :data:`STALE_AFTER_S`, since another checkout, virtualenv or
container may share the same home and still need them.

The locks are exclusive (``filelock`` has no shared mode): two processes reading the same file
take turns, which costs a load of a few tenths of a second at most. Cleanup may delete a lock
file while another process waits on it; that process sees the path gone once it has the lock
and locks the file now at the path instead. (Should a third process have made a new lock file
in between, two processes could build the same file at once; each writes atomically, so the
result is the same file, built twice.)
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from filelock import FileLock, Timeout

STALE_AFTER_S = 7 * 24 * 3600
"""A cache file of other inputs unused this long (seconds) is removed by :func:`remove_stale`."""

TEMP_STALE_AFTER_S = 24 * 3600
"""A temporary file this old is left over from a writer that died: no write takes a day."""


def lock_path(path: Path) -> Path:
    """The lock file of cache file ``path``."""
    return path.with_name(f".{path.name}.lock")


@contextlib.contextmanager
def locked(path: Path, *, shared: bool = False, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the lock of cache file ``path`` (``shared``: to read it; else to write it).

    ``on_wait`` is called once if another process holds the lock and this one has to wait.
    In a home this process may not write to, reading goes ahead without a lock: nobody can
    build or delete files there through silkrail either."""
    path = Path(path)
    lock = lock_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        if not shared:
            raise
    while True:
        file_lock = FileLock(lock, mode=0o666)
        try:
            try:
                file_lock.acquire(timeout=0)
            except Timeout:
                if on_wait is not None:
                    on_wait()
                    on_wait = None
                file_lock.acquire()
        except OSError:
            if not shared:
                raise
            yield  # a read-only home: read without a lock
            return
        try:
            if not lock.exists():
                continue  # cleanup removed this lock file while we waited: lock the new one
            for p in (lock, path):
                with contextlib.suppress(OSError):
                    os.utime(p)
            yield
            return
        finally:
            file_lock.release()


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[IO[bytes]]:
    """A binary file to write ``path`` through: a temporary file of this process in the same
    directory, flushed to disk and moved onto ``path`` in one step when the block ends
    without error, removed otherwise. Permissions follow the umask, as for any new file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def last_used(path: Path) -> float:
    """When cache file ``path`` was last written or locked (seconds since the epoch)."""
    times = []
    for p in (path, lock_path(path)):
        with contextlib.suppress(OSError):
            times.append(p.stat().st_mtime)
    return max(times, default=0.0)


def remove_stale(
    home: Path, patterns: tuple[str, ...], keep: Callable[[str], bool], now: float | None = None
) -> list[Path]:
    """Delete cache files matching ``patterns`` in ``home`` that ``keep`` does not keep, that
    nobody used for :data:`STALE_AFTER_S` and that no process holds a lock on; and leftover
    temporary files of those kinds. Returns the paths removed."""
    home = Path(home)
    now = time.time() if now is None else now
    removed = []
    for pattern in patterns:
        for path in sorted(home.glob(pattern)):
            if keep(path.name) or now - last_used(path) < STALE_AFTER_S:
                continue
            if _remove_unlocked(path, now):
                removed.append(path)
        for tmp in sorted(home.glob(f".{pattern}.*.tmp")):
            with contextlib.suppress(OSError):
                if now - tmp.stat().st_mtime >= TEMP_STALE_AFTER_S:
                    tmp.unlink()
                    removed.append(tmp)
    return removed


def _remove_unlocked(path: Path, now: float) -> bool:
    """Remove ``path`` and its lock file if no process holds the lock and it is still stale
    once the lock is ours (a reader may have touched it in between).

    Trying the lock may itself touch the lock file (some ``filelock`` releases open it with
    ``O_TRUNC``, even when another process holds it), so the check reads the lock file's time
    from before and the cache file's time now (every reader touches both), and a try that
    leaves the file in place puts the lock file's time back."""
    lock = lock_path(path)
    lock_before = _mtime(lock)

    def untouched() -> bool:
        if lock_before is not None:
            with contextlib.suppress(OSError):
                os.utime(lock, (lock_before, lock_before))
        return False

    file_lock = FileLock(lock, mode=0o666)
    try:
        file_lock.acquire(timeout=0)
    except (Timeout, OSError):
        return untouched()
    try:
        used = max(_mtime(path) or 0.0, lock_before or 0.0)
        if not lock.exists() or now - used < STALE_AFTER_S:
            return untouched()
        path.unlink(missing_ok=True)
        # a lock file held open cannot go on Windows, where its release removes it
        with contextlib.suppress(OSError):
            lock.unlink(missing_ok=True)
        return True
    finally:
        file_lock.release()


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None

"""Files under the home shared by processes: atomic writes, locks, and cleanup that leaves
files in use, recently used or kept alone."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from filelock import FileLock, Timeout

from silkrail import cache

STALE_DAYS = cache.STALE_AFTER_S / 86400 + 1


def _cache_file(home: Path, name: str, age_days: float) -> Path:
    """A cache file last used ``age_days`` ago."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / name
    path.write_bytes(b"cached")
    t = time.time() - age_days * 86400
    os.utime(path, (t, t))
    return path


def test_atomic_write_replaces_in_one_step(tmp_path: Path) -> None:
    """An existing file is replaced by the new content; no temporary file is left."""
    target = tmp_path / "home" / "outlines-1.json"
    target.parent.mkdir()
    target.write_bytes(b"old")
    with cache.atomic_write(target) as fh:
        fh.write(b"new")
        assert target.read_bytes() == b"old"  # readers see the old file until the end
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["outlines-1.json"]


def test_a_failed_atomic_write_leaves_the_old_file(tmp_path: Path) -> None:
    """An error while writing keeps the previous file and removes the temporary one."""
    target = tmp_path / "network-aa.npz"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), cache.atomic_write(target) as fh:
        fh.write(b"half")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["network-aa.npz"]


def test_cleanup_removes_only_stale_unkept_files(tmp_path: Path) -> None:
    """Of other inputs' files, a stale one goes (with its lock file); a recent one stays,
    and so does a stale one the caller keeps, and a file of another kind."""
    stale = _cache_file(tmp_path, "network-aa.npz", STALE_DAYS)
    recent = _cache_file(tmp_path, "network-bb.npz", 1)
    kept = _cache_file(tmp_path, "network-cc.npz", STALE_DAYS)
    other = _cache_file(tmp_path, "tracking.sqlite", STALE_DAYS)
    _cache_file(tmp_path, cache.lock_path(stale).name, STALE_DAYS)  # as after a use long ago
    removed = cache.remove_stale(tmp_path, ("network-*.npz",), keep=lambda name: name == kept.name)
    assert removed == [stale]
    assert not stale.exists() and not cache.lock_path(stale).exists()
    assert recent.exists() and kept.exists() and other.exists()


def test_a_lock_marks_a_file_as_used(tmp_path: Path) -> None:
    """Reading a file under its lock makes it recent again: cleanup then keeps it."""
    old = _cache_file(tmp_path, "landmarks-aa-1-any.npz", STALE_DAYS)
    with cache.locked(old, shared=True):
        pass
    assert cache.remove_stale(tmp_path, ("landmarks-*.npz",), keep=lambda name: False) == []
    assert old.exists()


def test_a_file_in_use_is_not_removed(tmp_path: Path) -> None:
    """A stale file whose lock another open file holds stays until the lock is released."""
    old = _cache_file(tmp_path, "network-aa.npz", STALE_DAYS)
    held = FileLock(cache.lock_path(old))
    held.acquire()
    try:
        t = time.time() - STALE_DAYS * 86400
        os.utime(cache.lock_path(old), (t, t))
        assert cache.remove_stale(tmp_path, ("network-*.npz",), keep=lambda name: False) == []
        assert old.exists()
    finally:
        held.release()
    assert cache.remove_stale(tmp_path, ("network-*.npz",), keep=lambda name: False) == [old]


def test_leftover_temporary_files_go_after_a_day(tmp_path: Path) -> None:
    """A temporary file of a writer that died a day ago is removed; a young one (a write in
    progress) is not."""
    dead = _cache_file(tmp_path, ".network-aa.npz.4242-0a0b0c0d.tmp", 1.5)
    live = _cache_file(tmp_path, ".network-aa.npz.4343-0a0b0c0d.tmp", 0)
    assert cache.remove_stale(tmp_path, ("network-*.npz",), keep=lambda name: False) == [dead]
    assert live.exists()


def test_a_waiting_process_is_told_and_then_gets_the_lock(tmp_path: Path) -> None:
    """Taking a lock another open file holds calls ``on_wait`` once, then waits for it."""
    target = tmp_path / "network-aa.npz"
    held = FileLock(cache.lock_path(target))
    held.acquire()
    told, got = threading.Event(), threading.Event()

    def build() -> None:
        with cache.locked(target, on_wait=told.set):
            got.set()

    builder = threading.Thread(target=build)
    builder.start()
    try:
        assert told.wait(60)
        assert not got.is_set()
    finally:
        held.release()
        builder.join(60)
    assert got.is_set()


def test_a_lock_file_removed_while_waiting_is_not_trusted(tmp_path: Path) -> None:
    """Cleanup may delete a lock file a process is waiting on: that process then locks the
    file now at the path (which others see), not the deleted one."""
    target = tmp_path / "network-aa.npz"
    lock = cache.lock_path(target)
    held = FileLock(lock)
    held.acquire()
    told = threading.Event()
    others_blocked: list[bool] = []

    def read() -> None:
        with cache.locked(target, shared=True, on_wait=told.set):
            other = FileLock(lock)  # a writer arriving now locks the file at the path
            try:
                other.acquire(timeout=0)
                other.release()
                others_blocked.append(False)
            except Timeout:
                others_blocked.append(True)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        assert told.wait(60)
        lock.unlink()
    finally:
        held.release()
        reader.join(60)
    assert others_blocked == [True]


def test_silkrail_imports_and_caches_without_fcntl(tmp_path: Path) -> None:
    """Windows has no fcntl: with it gone, silkrail, its cache, the network store and the
    tracking store import, and a cache file is written and read under its lock."""
    code = (
        "import sys; sys.modules['fcntl'] = None\n"
        "import silkrail, silkrail.cache as c, silkrail.network.store, silkrail.tracking.store\n"
        "from pathlib import Path\n"
        f"p = Path({str(tmp_path)!r}) / 'network-aa.npz'\n"
        "with c.locked(p):\n"
        "    with c.atomic_write(p) as fh: fh.write(b'x')\n"
        "with c.locked(p, shared=True): print(p.read_bytes().decode())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "x"


def test_the_home_is_the_platforms_cache_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without SILKRAIL_HOME the cache goes to the platform's cache directory (XDG on Linux)."""
    from silkrail.settings import get_settings

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert get_settings(environ={}).home == tmp_path / "xdg" / "silkrail"
    assert get_settings(environ={"SILKRAIL_HOME": str(tmp_path / "h")}).home == tmp_path / "h"


def test_the_reference_year_reads_silkrail_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """'Today' decides which planned lines are open: ``SILKRAIL_TODAY`` when set (a bad date is
    an error naming it), else the current date; read on every query, as the whole settings are."""
    import datetime as dt

    from silkrail.errors import DataError
    from silkrail.settings import get_settings, reference_year

    monkeypatch.setenv("SILKRAIL_TODAY", "2031-05-01")
    assert reference_year() == 2031 == get_settings().reference_date().year
    monkeypatch.setenv("SILKRAIL_TODAY", "")
    assert reference_year() == dt.date.today().year
    monkeypatch.setenv("SILKRAIL_TODAY", "next year")
    with pytest.raises(DataError) as caught:
        reference_year()
    assert caught.value.field == "SILKRAIL_TODAY" and "YYYY-MM-DD" in caught.value.reason

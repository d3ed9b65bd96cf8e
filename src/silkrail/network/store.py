"""Save and load a built network: one ``.npz`` per inputs hash under ``$SILKRAIL_HOME``.

The file holds every array plus the metadata as JSON bytes, and is written atomically.
Loading checks the hash, the array set and the lengths; a corrupt or stale file raises
:class:`CacheError`, and :func:`silkrail.load_network` rebuilds instead of using it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from silkrail.errors import CacheError
from silkrail.network.model import EDGE_ARRAYS, GEOM_ARRAYS, NODE_ARRAYS, Network

FORMAT_VERSION = 2
_META_KEYS = ("countries", "passages", "crossings", "lines", "ports", "places", "meta", "ferries")


def network_path(home: Path, inputs_hash: str) -> Path:
    return Path(home) / f"network-{inputs_hash[:16]}.npz"


def save_network(net: Network, path: Path) -> Path:
    """Write ``net`` to ``path`` atomically (temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {k: getattr(net, k) for k in _META_KEYS}
    meta["names"] = {str(k): v for k, v in net.names.items()}
    meta["format_version"] = FORMAT_VERSION
    payload = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode()
    arrays = {k: getattr(net, k) for k in (*NODE_ARRAYS, *EDGE_ARRAYS, *GEOM_ARRAYS)}
    arrays["meta_json"] = np.frombuffer(payload, dtype=np.uint8)
    arrays["meta_sha256"] = np.frombuffer(hashlib.sha256(payload).digest(), dtype=np.uint8)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".network-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_network_file(path: Path, *, expected_hash: str | None = None) -> Network:
    """Read a saved network; raise CacheError if it is unreadable, incomplete or stale."""
    path = Path(path)
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise CacheError(f"{path}: unreadable network cache ({exc})") from exc
    needed = {*NODE_ARRAYS, *EDGE_ARRAYS, *GEOM_ARRAYS, "meta_json", "meta_sha256"}
    missing = needed - arrays.keys()
    if missing:
        raise CacheError(f"{path}: network cache lacks {', '.join(sorted(missing))}")
    payload = arrays.pop("meta_json").tobytes()
    if hashlib.sha256(payload).digest() != arrays.pop("meta_sha256").tobytes():
        raise CacheError(f"{path}: network cache metadata does not match its checksum")
    meta: dict[str, Any] = json.loads(payload)
    if meta.get("format_version") != FORMAT_VERSION:
        raise CacheError(f"{path}: network cache format {meta.get('format_version')} is outdated")
    if expected_hash and meta["meta"].get("inputs_hash") != expected_hash:
        raise CacheError(f"{path}: network cache was built from other inputs")
    n, e = len(arrays["lat"]), len(arrays["u"])
    if any(len(arrays[k]) != n for k in NODE_ARRAYS) or any(
        len(arrays[k]) != e for k in EDGE_ARRAYS if k != "geom_ptr"
    ):
        raise CacheError(f"{path}: network cache arrays have inconsistent lengths")
    if len(arrays["geom_ptr"]) != e + 1 or int(arrays["geom_ptr"][-1]) != len(arrays["geom_lat"]):
        raise CacheError(f"{path}: network cache geometry is truncated")
    if e and (int(arrays["u"].max()) >= n or int(arrays["v"].max()) >= n):
        raise CacheError(f"{path}: network cache edges point past the node arrays")
    names = {int(k): v for k, v in meta.pop("names").items()}
    meta.pop("format_version")
    return Network(**arrays, names=names, **meta)


BUILD_STEPS = 12


def load_network(
    path: Path | None = None,
    *,
    settings: Any = None,
    rebuild: bool = False,
    progress: bool = True,
) -> Network:
    """The built network: from ``path`` if given, else from the cache under ``$SILKRAIL_HOME``,
    building it (with a progress bar) when it is missing, stale or corrupt."""
    from silkrail.settings import get_settings

    if path is not None:
        return load_network_file(Path(path))
    settings = settings or get_settings()
    from silkrail.network.inputs import inputs_fingerprint

    inputs_hash, _ = inputs_fingerprint(settings)
    target = network_path(settings.home, inputs_hash)
    if target.exists() and not rebuild:
        try:
            return load_network_file(target, expected_hash=inputs_hash)
        except CacheError as exc:
            _notice(f"rebuilding: {exc}")
    return build_and_save(settings, target, progress=progress)


def build_and_save(settings: Any, target: Path, *, progress: bool = True) -> Network:
    """Build the network, save it to ``target`` and remove caches of older inputs."""
    from silkrail.network.build import build_network

    if progress:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("[bold]building network[/] {task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=_console(),
            transient=False,
        ) as bar:
            task = bar.add_task("", total=BUILD_STEPS)

            def step(label: str) -> None:
                bar.update(task, description=label, advance=1)

            net = build_network(settings, progress=step)
            bar.update(task, description="saving", completed=BUILD_STEPS)
            save_network(net, target)
    else:
        net = build_network(settings)
        save_network(net, target)
    for old in Path(target).parent.glob("network-*.npz"):
        if old != Path(target):
            old.unlink(missing_ok=True)
    return net


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _notice(message: str) -> None:
    _console().print(f"[yellow]{message}[/]")

"""Save and load a built network: one ``.npz`` per inputs hash under ``$SILKRAIL_HOME``.

The file holds every array plus the metadata as JSON bytes, and is written atomically.
Loading checks the hash, the array set and the lengths; a corrupt or stale file raises
:class:`CacheError`, and :func:`silkrail.load_network` rebuilds instead of using it.
Several processes may share one home (see :mod:`silkrail.cache`): one builds a missing
network while the others wait for it, and cleanup leaves other inputs' files in use alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ValidationError

from silkrail import cache
from silkrail.errors import CacheError, DataError
from silkrail.network import records
from silkrail.network._validation import first_problem
from silkrail.network.model import EDGE_ARRAYS, GEOM_ARRAYS, NODE_ARRAYS, RECORD_TYPES, Network
from silkrail.network.records import Crossing, Ferry, Line, NetworkPlace, Port, R

if TYPE_CHECKING:
    from silkrail.settings import Settings

log = logging.getLogger(__name__)

FORMAT_VERSION = 2


class _SavedMeta(BaseModel):
    """The JSON a saved network carries beside its arrays: the name tables, the metadata, each
    record table as rows (checked row by row when read) and the node names."""

    countries: list[str]
    passages: list[str]
    meta: dict[str, object]
    crossings: object = None
    lines: object = None
    ports: object = None
    ferries: object = None
    places: object = None
    names: dict[str, str]
    format_version: int


def network_path(home: Path, inputs_hash: str) -> Path:
    return Path(home) / f"network-{inputs_hash[:16]}.npz"


def save_network(net: Network, path: Path) -> Path:
    """Write ``net`` to ``path`` atomically (a temporary file of this process, then rename)."""
    path = Path(path)
    meta = {
        "countries": net.countries,
        "passages": net.passages,
        "meta": net.meta,
        **{table: [records.to_dict(r) for r in getattr(net, table)] for table in RECORD_TYPES},
        "names": {str(k): v for k, v in net.names.items()},
        "format_version": FORMAT_VERSION,
    }
    payload = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode()
    arrays = {
        **{k: getattr(net, k) for k in (*NODE_ARRAYS, *EDGE_ARRAYS, *GEOM_ARRAYS)},
        "meta_json": np.frombuffer(payload, dtype=np.uint8),
        "meta_sha256": np.frombuffer(hashlib.sha256(payload).digest(), dtype=np.uint8),
    }
    with cache.atomic_write(path) as fh:
        np.savez(fh, **arrays)
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
    doc = json.loads(payload)
    version = doc.get("format_version") if isinstance(doc, dict) else None
    if version != FORMAT_VERSION:
        raise CacheError(f"{path}: network cache format {version} is outdated")
    try:
        saved = _SavedMeta.model_validate(doc)
    except ValidationError as exc:
        raise CacheError(f"{path}: network cache metadata does not fit ({first_problem(exc)})") from None
    if expected_hash and saved.meta.get("inputs_hash") != expected_hash:
        raise CacheError(f"{path}: network cache was built from other inputs")
    net = Network(
        **arrays,
        countries=saved.countries,
        passages=saved.passages,
        names={int(k): v for k, v in saved.names.items()},
        crossings=_records(path, "crossings", Crossing, saved.crossings),
        lines=_records(path, "lines", Line, saved.lines),
        ports=_records(path, "ports", Port, saved.ports),
        places=_records(path, "places", NetworkPlace, saved.places),
        meta=saved.meta,
        ferries=_records(path, "ferries", Ferry, saved.ferries),
    )
    n, e = net.n_nodes, net.n_edges
    if any(len(getattr(net, k)) != n for k in NODE_ARRAYS) or any(
        len(getattr(net, k)) != e for k in EDGE_ARRAYS if k != "geom_ptr"
    ):
        raise CacheError(f"{path}: network cache arrays have inconsistent lengths")
    if len(net.geom_ptr) != e + 1 or int(net.geom_ptr[-1]) != len(net.geom_lat):
        raise CacheError(f"{path}: network cache geometry is truncated")
    if e and (int(net.u.max()) >= n or int(net.v.max()) >= n):
        raise CacheError(f"{path}: network cache edges point past the node arrays")
    return net


def _records(path: Path, table: str, cls: type[R], rows: object) -> tuple[R, ...]:
    """The typed records of one table of a saved network; CacheError if a row does not fit."""
    if not isinstance(rows, list):
        raise CacheError(f"{path}: network cache lacks its {table}")
    try:
        return tuple(records.from_dict(cls, row, f"{table}[{i}]") for i, row in enumerate(rows))
    except (DataError, TypeError) as exc:
        raise CacheError(f"{path}: network cache {exc}") from exc


BUILD_STEPS = 13
"""How many times a build calls its ``progress`` callback (its steps, then 'saving')."""

Progress = Callable[[str], None]


def load_network(
    path: Path | None = None,
    *,
    settings: Settings | None = None,
    rebuild: bool = False,
    progress: Progress | bool | None = None,
) -> Network:
    """The built network: from ``path`` if given, else from the cache under ``$SILKRAIL_HOME``,
    building it when it is missing, stale or corrupt. A build logs its steps (logger
    ``silkrail.network``) and calls ``progress`` with each step's label, so that a front end
    can draw a bar (``True``/``False`` mean the same as ``None``: the library draws nothing)."""
    from silkrail.settings import get_settings

    if path is not None:
        return load_network_file(Path(path))
    settings = settings or get_settings()
    from silkrail.network.inputs import inputs_fingerprint

    inputs_hash, _ = inputs_fingerprint(settings)
    target = network_path(settings.home, inputs_hash)
    if not rebuild:
        with cache.locked(target, shared=True, on_wait=_waiting):
            net = _load_cached(target, inputs_hash)
        if net is not None:
            return net
    with cache.locked(target, on_wait=_waiting):
        # another process may have built it while this one waited for the lock
        net = None if rebuild else _load_cached(target, inputs_hash, quiet=True)
        if net is None:
            net = _build(settings, target, progress=_callback(progress))
    remove_stale_caches(settings.home, inputs_hash)
    return net


def _callback(progress: Progress | bool | None) -> Progress | None:
    return None if isinstance(progress, bool) else progress


def _load_cached(target: Path, inputs_hash: str, *, quiet: bool = False) -> Network | None:
    """The cached network at ``target``, or None if it is missing, stale or corrupt."""
    if not target.exists():
        return None
    try:
        return load_network_file(target, expected_hash=inputs_hash)
    except CacheError as exc:
        if not quiet:
            log.warning("rebuilding the network: %s", exc)
        return None


def build_and_save(settings: Settings, target: Path, *, progress: Progress | bool | None = None) -> Network:
    """Build the network and save it to ``target`` (holding its lock, so a process sharing the
    home waits rather than reads a half-built cache), then remove stale caches of other inputs."""
    with cache.locked(target, on_wait=_waiting):
        net = _build(settings, target, progress=_callback(progress))
    remove_stale_caches(Path(target).parent, net.meta.get("inputs_hash", ""))
    return net


def remove_stale_caches(home: Path, inputs_hash: str) -> list[Path]:
    """Remove network, landmark and place-index files of inputs other than ``inputs_hash`` that no process
    has used for a week and none holds (another checkout may share this home and still use
    its own network; see :mod:`silkrail.cache`). Returns the paths removed."""
    prefixes = (
        f"network-{inputs_hash[:16]}.",
        f"landmarks-{inputs_hash[:16]}-",
        f"places-{inputs_hash[:16]}-",
    )
    return cache.remove_stale(
        Path(home),
        ("network-*.npz", "landmarks-*.npz", "places-*.sqlite"),
        keep=lambda name: name.startswith(prefixes),
    )


def _build(settings: Settings, target: Path, *, progress: Progress | None = None) -> Network:
    """Build the network and save it to ``target``; the caller holds the target's lock."""
    from silkrail.network.build import build_network

    log.info("building the network (inputs %s)", target.name)
    net = build_network(settings, progress=progress)
    if progress is not None:
        progress("saving")
    save_network(net, target)
    return net


def _waiting() -> None:
    log.warning("another process is building the network; waiting for it")

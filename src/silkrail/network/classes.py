"""Line classes: what kind of railway each rail edge of the network is.

The OSM-derived extract says where track runs, not what it is: a new electrified double-track
line and a century-old single track look the same. Trains run at very different speeds on them,
so every rail edge gets a class:

- ``high_speed``: lines where passenger trains run at 200 km/h or more - dedicated high-speed
  lines (no freight) and upgraded main lines such as Moscow–St Petersburg (freight there keeps a
  modern line's speed);
- ``modern``: modern electrified double-track lines that carry freight (the Trans-Siberian, the
  Lanzhou–Xinjiang line, the China–Laos railway, ...);
- ``conventional``: the ordinary main line, single or double track, electrified or not;
- ``secondary``: slow lines: mountain single track, light branch lines, the metre gauge no
  section describes.

Where the classes come from, in order (a later rule wins where two apply):

1. the fallback: ``conventional``, or the class ``line_classes.yaml`` gives a gauge (metre gauge
   no section describes is ``secondary``; the metre-gauge main lines that were rebuilt to double
   track or electrified have sections of their own);
2. the curated lines of ``lines.yaml``, classed from their own record (design speed, traffic,
   electrification, gauge: :func:`class_of_line`);
3. the curated sections of ``line_classes.yaml``: a named railway with its class and sources,
   laid on the track along the shortest mapped path through its points.

The classes are computed from the network once and kept in its caches (and beside it in the
home, keyed by the network and the file), so they are read, not recomputed, by later runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import logging
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from silkrail.network.class_names import CLASS_NAMES
from silkrail.network.model import EdgeKind, Network
from silkrail.network.records import Line

if TYPE_CHECKING:
    from silkrail.network._classes_file import ClassesFile

log = logging.getLogger(__name__)

CLASSES_VERSION = "3"  # bump when the classification rules change: part of the cache key
CACHE_KEY = "network.line_classes"


class LineClass(IntEnum):
    """The class of a rail edge (``NONE`` for edges that are not track: sea, ports, ferries)."""

    HIGH_SPEED = 0
    MODERN = 1
    CONVENTIONAL = 2
    SECONDARY = 3
    NONE = -1

    @property
    def label(self) -> str:
        return self.name.lower()


def class_named(name: str) -> LineClass:
    return LineClass[name.upper()]


# -- the curated file (its schema is imported when the file is read: routing stays light) -------

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "line_classes.yaml"
SNAP_KM = 15.0
"""A section's point must lie within this distance of track to be used."""
DETOUR = 2.2
"""A section's track between two of its points is at most this much longer than the straight
line (plus 50 km); a longer path means the points do not lie on one mapped railway."""


def load_classes_file(path: Path | None = None) -> ClassesFile:
    """``line_classes.yaml``, validated (a bad record names its file, line and field)."""
    from silkrail.network._classes_file import ClassesFile
    from silkrail.network.loader import validate_file

    parsed, _ = validate_file(Path(path) if path else DATA_FILE, ClassesFile)
    return parsed


# -- classification ----------------------------------------------------------------------------


def class_of_line(line: Line) -> LineClass:
    """The class of a curated line from its own record: passenger-only at 200 km/h or more is
    high speed; electrified at 120 km/h or more is modern; metre gauge or 60 km/h or less is
    secondary; anything else conventional."""
    speed = float(line.design_speed_kmh or 0.0)
    if line.traffic == "passenger" and speed >= 200:
        return LineClass.HIGH_SPEED
    if line.gauge_mm <= 1067 or (speed and speed <= 60):
        return LineClass.SECONDARY
    if line.electrified and speed >= 120:
        return LineClass.MODERN
    return LineClass.CONVENTIONAL


@dataclass(frozen=True)
class Classification:
    """Per edge of a network: its line class, and which curated record set it (-1: the
    fallback; ``lines.yaml`` lines first, then the sections of ``line_classes.yaml``)."""

    line_class: NDArray[np.int8]
    record: NDArray[np.int16]
    records: tuple[str, ...]  # "lines.yaml: <id>" or "line_classes.yaml: <id>"
    unplaced: tuple[str, ...]  # sections (or stretches of them) not found on the track
    digest: str = ""  # of the rules and the file it was computed from (keys what depends on it)
    max_speed_kmh: NDArray[np.float32] = dataclasses.field(default_factory=lambda: np.zeros(0, np.float32))
    """The line's top speed where its record gives one (a section's max speed, a line's design
    speed), 0 elsewhere."""
    freight_class: NDArray[np.int8] = dataclasses.field(default_factory=lambda: np.zeros(0, np.int8))
    """The class freight trains run at on each edge: the line class, except on a dedicated
    passenger line (a section with ``freight: false``, a curated passenger line), where it is the
    class the track had before that record was laid."""

    def record_of(self, edge: int) -> str | None:
        r = int(self.record[edge])
        return None if r < 0 else self.records[r]


def _rail_mask(net: Network) -> NDArray[np.bool_]:
    return (net.edge_kind == EdgeKind.RAIL) | (net.edge_kind == EdgeKind.BORDER)


def classify(net: Network, classes: ClassesFile | None = None) -> Classification:
    """The class of every edge of ``net`` (see the module's rules)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    from silkrail.network import geo
    from silkrail.network.model import GAUGES_MM

    f = classes if classes is not None else load_classes_file()
    rail = _rail_mask(net)
    out = np.full(net.n_edges, int(LineClass.NONE), np.int8)
    out[rail] = int(class_named(f.fallback.default))
    for mm, name in f.fallback.by_gauge.items():
        if mm not in GAUGES_MM:
            continue
        bit = 1 << GAUGES_MM.index(mm)
        only = net.edge_gauge == bit  # track of this gauge alone (dual gauge keeps the default)
        out[rail & only] = int(class_named(name))
    freight_cls = out.copy()  # the class freight runs at (a passenger-only record leaves it)
    record = np.full(net.n_edges, -1, np.int16)
    vmax = np.zeros(net.n_edges, np.float32)
    names: list[str] = []
    unplaced: list[str] = []

    # curated lines: the edges the build laid for them, or the track between their stations
    rail_e = np.flatnonzero(rail)
    u, v = net.u[rail_e].astype(np.int64), net.v[rail_e].astype(np.int64)
    km = np.maximum(net.km[rail_e].astype(np.float64), 1e-6)
    n = net.n_nodes
    shortest: dict[tuple[int, int], tuple[int, float]] = {}  # the shorter of parallel edges
    for a, b, e, k in zip(u.tolist(), v.tolist(), rail_e.tolist(), km.tolist(), strict=True):
        key = (min(a, b), max(a, b))
        if key not in shortest or k < shortest[key][1]:
            shortest[key] = (e, k)
    csr = sp.csr_matrix(
        (
            np.array([k for _, k in shortest.values()] * 2),
            (
                np.array([a for a, _ in shortest] + [b for _, b in shortest]),
                np.array([b for _, b in shortest] + [a for a, _ in shortest]),
            ),
        ),
        shape=(n, n),
    )

    def lay(path_nodes: list[int], cls: LineClass, rec: int, speed: float, freight: bool = True) -> None:
        for x, y in itertools.pairwise(path_nodes):
            e = shortest.get((min(x, y), max(x, y)))
            if e is not None:
                out[e[0]] = int(cls)
                record[e[0]] = rec
                vmax[e[0]] = speed
                if freight:
                    freight_cls[e[0]] = int(cls)

    def path_between(a: int, b: int, limit: float) -> list[int] | None:
        dist, pred = dijkstra(csr, indices=a, limit=limit, return_predecessors=True)
        if not np.isfinite(dist[b]):
            return None
        path = [b]
        while path[-1] != a:
            path.append(int(pred[path[-1]]))
        return path[::-1]

    for i, line in enumerate(net.lines):
        cls = class_of_line(line)
        rec = len(names)
        names.append(f"lines.yaml: {line.id}")
        laid = rail & (net.line == i)
        carries_freight = line.traffic != "passenger"
        out[laid] = int(cls)
        record[laid] = rec
        vmax[laid] = float(line.design_speed_kmh or 0.0)
        if carries_freight:
            freight_cls[laid] = int(cls)
        if laid.any():
            continue
        stops = [int(x) for x in line.nodes if x >= 0]
        for a, b in itertools.pairwise(stops):
            gc = float(geo.haversine_km(net.lat[a], net.lon[a], net.lat[b], net.lon[b]))
            p = path_between(a, b, gc * DETOUR + 50.0)
            if p is not None:
                lay(p, cls, rec, float(line.design_speed_kmh or 0.0), carries_freight)

    # curated sections: snapped to rail nodes, joined by the shortest mapped path
    rail_nodes = np.unique(np.r_[u, v])
    if len(rail_nodes) and f.sections:
        snapper = geo.Snapper(net.lat[rail_nodes], net.lon[rail_nodes], rail_nodes)
        for sec in f.sections:
            rec = len(names)
            names.append(f"line_classes.yaml: {sec.id}")
            cls = class_named(sec.line_class)
            nodes, dist = snapper.nearest([p.lat for p in sec.via], [p.lon for p in sec.via])
            pts = [
                (int(nd), p.name)
                for nd, d, p in zip(np.atleast_1d(nodes), np.atleast_1d(dist), sec.via, strict=True)
                if d <= SNAP_KM
            ]
            if len(pts) < len(sec.via):
                unplaced.append(
                    f"{sec.id}: {len(sec.via) - len(pts)} point(s) farther than {SNAP_KM:g} km from track"
                )
            for (a, a_name), (b, b_name) in itertools.pairwise(pts):
                gc = float(geo.haversine_km(net.lat[a], net.lon[a], net.lat[b], net.lon[b]))
                p = path_between(a, b, gc * DETOUR + 50.0)
                if p is None:
                    unplaced.append(f"{sec.id}: no mapped track from {a_name} to {b_name}")
                    continue
                lay(p, cls, rec, float(sec.max_speed_kmh or 0.0), sec.freight)
    for text in unplaced:
        log.info("line classes: %s", text)
    return Classification(
        out, record, tuple(names), tuple(unplaced), max_speed_kmh=vmax, freight_class=freight_cls
    )


def line_classes(net: Network, *, home: Path | None = None, path: Path | None = None) -> Classification:
    """The classification of ``net``: kept in the network's caches, and in ``home`` (default:
    the settings' home) keyed by the network's inputs and the file's content."""
    hit = net.caches.get(CACHE_KEY)
    if isinstance(hit, Classification):
        return hit
    file = Path(path) if path else DATA_FILE
    digest = hashlib.sha256(CLASSES_VERSION.encode() + file.read_bytes()).hexdigest()[:16]
    key = f"{str(net.meta.get('inputs_hash', ''))[:16]}-{digest}"
    result: Classification | None = None
    cache_path: Path | None = None
    if net.meta.get("inputs_hash"):
        if home is None:
            from silkrail.settings import get_settings

            home = get_settings().home
        cache_path = Path(home) / f"line-classes-{key}.npz"
        result = _read(cache_path, net.n_edges)
    if result is None:
        result = classify(net, load_classes_file(file))
        if cache_path is not None:
            _write(cache_path, result)
    result = dataclasses.replace(result, digest=digest)
    net.caches[CACHE_KEY] = result
    return result


def line_id(record: str) -> str:
    """The bare id of a classification record ("line_classes.yaml: trans-siberian" ->
    "trans-siberian")."""
    return record.rpartition(": ")[2]


def edge_line_record(net: Network) -> tuple[NDArray[np.int16], tuple[str, ...]]:
    """Per edge, the curated line or section that set its class (an index into the ids; -1: the
    fallback, no curated line), and the ids."""
    c = line_classes(net)
    return c.record, tuple(line_id(r) for r in c.records)


def edge_line_class(net: Network) -> NDArray[np.int8]:
    """The :class:`LineClass` value of every edge of ``net`` (-1 where it is not track)."""
    return line_classes(net).line_class


def edge_freight_class(net: Network) -> NDArray[np.int8]:
    """The :class:`LineClass` freight trains run at on every edge of ``net`` (-1 where it is not
    track): the line class, except on dedicated passenger lines (see :class:`Classification`)."""
    return line_classes(net).freight_class


REFERENCE_HIGH_SPEED_KMH = 250.0
"""The top speed a high-speed line's passenger speed parameter refers to: on a line built for
350 km/h trains run 350 / 250 times as fast (where the line's record gives its top speed)."""


def high_speed_scale(net: Network) -> NDArray[np.float64]:
    """Per edge, a high-speed line's top speed over :data:`REFERENCE_HIGH_SPEED_KMH` (1 on other
    track and where the top speed is not known)."""
    c = line_classes(net)
    known = (c.line_class == int(LineClass.HIGH_SPEED)) & (c.max_speed_kmh > 0)
    return np.where(known, c.max_speed_kmh.astype(np.float64) / REFERENCE_HIGH_SPEED_KMH, 1.0)


def _read(path: Path, n_edges: int) -> Classification | None:
    import zipfile

    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh, np.load(fh) as data:
            saved = _Saved(**{name: data[name] for name in _SAVED})
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if any(len(a) != n_edges for a in (saved.line_class, saved.record, saved.freight_class)):
        return None
    return Classification(
        saved.line_class.astype(np.int8),
        saved.record.astype(np.int16),
        tuple(str(x) for x in saved.records.tolist()),
        tuple(str(x) for x in saved.unplaced.tolist()),
        max_speed_kmh=saved.max_speed_kmh.astype(np.float32),
        freight_class=saved.freight_class.astype(np.int8),
    )


@dataclasses.dataclass(frozen=True)
class _Saved:
    """The arrays of a saved classification (:func:`_write`), as stored."""

    line_class: NDArray[np.int8]
    record: NDArray[np.int16]
    max_speed_kmh: NDArray[np.float32]
    freight_class: NDArray[np.int8]
    records: NDArray[np.str_]
    unplaced: NDArray[np.str_]


_SAVED = tuple(f.name for f in dataclasses.fields(_Saved))


def _write(path: Path, c: Classification) -> None:
    from silkrail import cache

    try:
        with cache.locked(path), cache.atomic_write(path) as fh:
            np.savez(
                fh,
                line_class=c.line_class,
                record=c.record,
                max_speed_kmh=c.max_speed_kmh,
                freight_class=c.freight_class,
                records=np.array(c.records, dtype=str),
                unplaced=np.array(c.unplaced, dtype=str),
            )
    except OSError:
        pass  # a home this process may not write to: classify again next time


__all__ = [
    "CLASS_NAMES",
    "Classification",
    "LineClass",
    "class_named",
    "class_of_line",
    "classify",
    "edge_freight_class",
    "edge_line_class",
    "edge_line_record",
    "high_speed_scale",
    "line_classes",
    "line_id",
    "load_classes_file",
]

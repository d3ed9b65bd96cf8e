"""The graph under construction and the build report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.sparse.csgraph import dijkstra

from silkrail.network import geo
from silkrail.network.curated import Curated
from silkrail.network.model import (
    EdgeKind,
    WaterKind,
)
from silkrail.network.records import Crossing, Ferry, Line, Port
from silkrail.network.validate import Problem, Severity

Progress = Callable[[str], None]

# --- a mutable graph under construction -----------------------------------------------------


@dataclass
class EdgeList:
    """Rail edges as they grow: chunks of ``u``, ``v`` and of each column of
    :data:`EDGE_DEFAULTS`, joined into :class:`EdgeArrays` by :meth:`arrays`."""

    u: list[np.ndarray] = field(default_factory=list)
    v: list[np.ndarray] = field(default_factory=list)
    cols: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))

    def add(self, u: ArrayLike, v: ArrayLike, **cols: ArrayLike) -> None:
        u_a = np.atleast_1d(np.asarray(u, dtype=np.int64))
        self.u.append(u_a)
        self.v.append(np.atleast_1d(np.asarray(v, dtype=np.int64)))
        for k, default in EDGE_DEFAULTS.items():
            val = cols.get(k, default)
            self.cols[k].append(np.broadcast_to(np.asarray(val), u_a.shape).copy())

    def arrays(self) -> EdgeArrays:
        """The edges so far as one array per column; none changes gauge or belongs to a
        crossing yet."""
        u = np.concatenate(self.u)
        n = len(u)
        return EdgeArrays(
            u=u,
            v=np.concatenate(self.v),
            **{k: np.concatenate(self.cols[k]) for k in EDGE_DEFAULTS},
            change=np.zeros(n, bool),
            crossing=np.full(n, -1, np.int32),
            water_cc=np.full(n, "", dtype="<U2"),
        )

    @classmethod
    def of(cls, arrays: EdgeArrays) -> EdgeList:
        """An edge list holding the ``u``, ``v`` and :data:`EDGE_DEFAULTS` columns of ``arrays``."""
        out = cls()
        out.u, out.v = [np.asarray(arrays.u, dtype=np.int64)], [np.asarray(arrays.v, dtype=np.int64)]
        columns = arrays.columns()
        out.cols = defaultdict(list, {k: [columns[k]] for k in EDGE_DEFAULTS})
        return out

    def split(self, i: int, node: int, frac: float) -> None:
        """Cut edge ``i`` at ``node``: (u, node) keeps ``frac`` of its km, (node, v) the rest."""
        arr = self.arrays()
        v, km = int(arr.v[i]), float(arr.km[i])
        columns = arr.columns()
        cols = {k: columns[k][i] for k in EDGE_DEFAULTS if k != "km"}
        arr.v[i], arr.km[i] = node, km * frac
        self.u, self.v = [arr.u], [arr.v]
        self.cols = defaultdict(list, {k: [columns[k]] for k in EDGE_DEFAULTS})
        self.add(node, v, km=km * (1 - frac), **cols)


EDGE_DEFAULTS: dict[str, int | float] = {
    "edge_kind": EdgeKind.RAIL,
    "km": 0.0,
    "edge_gauge": -1,  # -1: derive from the end nodes
    "line": -1,
    "year_open": 0,
    "passage": 0,
    "port": -1,
    "water": WaterKind.OPEN,
}
"""The columns an :class:`EdgeList` carries besides ``u`` and ``v``, and the value of each
where :meth:`EdgeList.add` is not given one."""


@dataclass(frozen=True)
class EdgeArrays:
    """Edges frozen into arrays, one entry per edge: what the later steps read and replace
    column by column (rail: ``water_cc`` is empty; sea: ``change`` false and ``crossing`` -1)."""

    u: np.ndarray
    v: np.ndarray
    edge_kind: np.ndarray
    km: np.ndarray
    edge_gauge: np.ndarray
    line: np.ndarray
    year_open: np.ndarray
    passage: np.ndarray
    port: np.ndarray
    water: np.ndarray
    change: np.ndarray
    crossing: np.ndarray
    water_cc: np.ndarray

    @classmethod
    def of(cls, edges: EdgeList, water_cc: np.ndarray | None = None) -> EdgeArrays:
        """The arrays of ``edges`` (see :meth:`EdgeList.arrays`), with ``water_cc`` if given."""
        arr = edges.arrays()
        return arr if water_cc is None else replace(arr, water_cc=water_cc)

    def __len__(self) -> int:
        return len(self.u)

    def columns(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def take(self, which: np.ndarray) -> EdgeArrays:
        """The edges ``which`` selects (a mask or indices), every column alike."""
        return EdgeArrays(**{k: v[which] for k, v in self.columns().items()})

    def appended(self, more: EdgeArrays, *, keep_dtypes: bool) -> EdgeArrays:
        """These edges followed by ``more``; ``keep_dtypes`` casts ``more`` to these columns' types
        first (else numpy's promotion decides)."""
        ours, theirs = self.columns(), more.columns()
        if keep_dtypes:
            theirs = {k: v.astype(ours[k].dtype) for k, v in theirs.items()}
        return EdgeArrays(**{k: np.r_[ours[k], theirs[k]] for k in ours})


@dataclass(frozen=True)
class SeaNodes:
    """The maritime network's nodes then the ports', numbered after the rail nodes."""

    lat: np.ndarray
    lon: np.ndarray
    node_kind: np.ndarray
    cc: np.ndarray


@dataclass
class BuildCounts:
    """What each step did, in the order the steps run (the network's metadata keeps them as one
    JSON object in this order; ``network info`` and the build summary read them)."""

    # keep_continents: the raw graph, and what lies outside Europe and Asia
    raw_nodes: int = 0
    raw_edges: int = 0
    self_loops_dropped: int = 0
    outside_europe_asia_nodes: int = 0
    # join_line_ends
    line_ends_joined: int = 0
    # close_gaps
    dead_ends: int = 0
    gaps_closed: int = 0
    gaps_closed_between_pieces: int = 0
    gaps_closed_km: float = 0.0
    # relabel_slivers
    border_slivers_relabelled: int = 0
    border_sliver_rounds: int = 0
    # drop_fragments
    components: int = 0
    fragments_dropped: int = 0
    fragments_dropped_km: float = 0.0
    components_kept: int = 0
    # mark_restricted_lines
    restricted_line_km: float = 0.0
    # make_crossings
    crossings_curated: int = 0
    crossings_uncurated: int = 0
    # add_sea: the waters, the ports
    inland_water_km: dict[str, float] = field(default_factory=dict)  # by country
    port_approach_km: float = 0.0
    inland_ports: int = 0
    sea_nodes: int = 0
    ports: int = 0
    rail_ports: int = 0
    # add_ferries
    ferries: int = 0
    # place_anchors
    place_anchors: int = 0


@dataclass
class BuildReport:
    problems: list[Problem] = field(default_factory=list)
    counts: BuildCounts = field(default_factory=BuildCounts)

    def add(self, severity: Severity, message: str, where: str) -> None:
        self.problems.append(Problem(severity, message, where))


def csr_of(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> sp.csr_matrix:
    w = np.maximum(w, 1e-6)  # scipy treats explicit zeros as missing edges
    return sp.coo_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()


def path_nodes(csr: sp.csr_matrix, a: int, b: int, limit: float) -> list[int] | None:
    dist, pred = dijkstra(csr, indices=a, return_predecessors=True, limit=limit)
    if not np.isfinite(dist[b]):
        return None
    path = [b]
    while path[-1] != a:
        path.append(int(pred[path[-1]]))
    return path[::-1]


@dataclass
class BuildState:
    """Everything a build carries from step to step. Node ids index ``lat``/``lon``/``node_cc``
    (and ``node_gauge`` once gauges are known); :meth:`compact` renumbers them everywhere at once.

    Until :meth:`freeze` the rail edges grow in ``edges``; from then on the node set is fixed and
    the steps read and replace ``rail`` (with ``csr`` and ``snapper`` over it). The fields set
    by a later step have no value before it runs.
    """

    curated: Curated
    report: BuildReport
    year: int  # 'today': which track counts as existing
    lat: np.ndarray
    lon: np.ndarray
    node_cc: np.ndarray
    edges: EdgeList
    protected: set[int] = field(default_factory=set)  # nodes that must survive contraction
    lines: list[Line] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    crossings: list[Crossing] = field(default_factory=list)
    ports: list[Port] = field(default_factory=list)
    ferries: list[Ferry] = field(default_factory=list)
    locodes: dict[str, int] = field(default_factory=dict)
    # set by freeze(), replaced by the steps after it
    rail: EdgeArrays = field(init=False)
    csr: sp.csr_matrix = field(init=False)
    snapper: geo.Snapper = field(init=False)
    # set by assign_gauges
    node_gauge: np.ndarray = field(init=False)
    # set by add_sea (add_ferries appends to sea_edges)
    sea_nodes: SeaNodes = field(init=False)
    sea_edges: EdgeArrays = field(init=False)
    passages: list[str] = field(init=False)

    def freeze(self) -> None:
        """Fix the rail graph: its edges become ``rail``, with the graph and the nearest-node
        index over it."""
        self.rail = EdgeArrays.of(self.edges)
        self.reweigh()
        self.snapper = geo.Snapper(self.lat, self.lon)

    def reweigh(self) -> None:
        """The rail graph ``csr`` after ``rail`` gained edges."""
        self.csr = csr_of(len(self.lat), self.rail.u, self.rail.v, self.rail.km)

    def compact(self, keep: np.ndarray) -> np.ndarray:
        """Keep the nodes where ``keep`` is true, renumbered in order, in every structure that
        names a node (the nodes' arrays, the edges, protected nodes, names, lines, crossings,
        ports, ferries, UN/LOCODEs); edges with a dropped end go. Returns the old-to-new map
        (-1: dropped). Node arrays longer than ``keep`` (rail and sea nodes together) are the
        caller's to cut."""
        remap = np.full(len(keep), -1, dtype=np.int64)
        remap[keep] = np.arange(int(keep.sum()))
        n_rail = len(self.lat)
        rail_keep = keep[:n_rail]
        self.lat, self.lon, self.node_cc = self.lat[rail_keep], self.lon[rail_keep], self.node_cc[rail_keep]
        arr = self.edges.arrays()
        kept = arr.take((remap[arr.u] >= 0) & (remap[arr.v] >= 0))
        self.edges = EdgeList.of(replace(kept, u=remap[kept.u], v=remap[kept.v]))
        self.renumber(remap)
        return remap

    def renumber(self, remap: np.ndarray) -> None:
        """Apply an old-to-new node map to every record that names a node (see :meth:`compact`)."""

        def node(n: int) -> int:
            return int(remap[n])

        self.protected = {node(n) for n in self.protected if remap[n] >= 0}
        self.names = {node(k): v for k, v in self.names.items() if remap[k] >= 0}
        self.lines = [replace(ln, nodes=tuple(node(n) for n in ln.nodes)) for ln in self.lines]
        self.crossings = [replace(c, nodes=tuple(node(n) for n in c.nodes)) for c in self.crossings]
        self.ports = [
            replace(
                p, node=node(p.node), terminal_node=None if p.terminal_node is None else node(p.terminal_node)
            )
            for p in self.ports
        ]
        self.ferries = [replace(f, nodes=(node(f.nodes[0]), node(f.nodes[1]))) for f in self.ferries]
        self.locodes = {k: node(v) for k, v in self.locodes.items()}

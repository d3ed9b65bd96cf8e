"""Track: countries kept, breaks in the mapped track joined, border slivers relabelled, fragments dropped."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

from silkrail.network import geo
from silkrail.network.build.params import DEFAULT_PARAMS, BuildParams
from silkrail.network.build.state import BuildReport, BuildState, EdgeList, csr_of
from silkrail.network.curated import Curated
from silkrail.network.sources import RawRail


def keep_continents(
    curated: Curated, raw: RawRail, outlines: geo.Countries, year: int, params: BuildParams = DEFAULT_PARAMS
) -> BuildState:
    """The state a build starts from: every node of the raw track gets its country, and only the
    track of params.continents is kept."""
    cc = outlines.locate(raw.lat, raw.lon)
    kept = {c for c, k in zip(outlines.codes, outlines.continents, strict=True) if k in params.continents}
    keep = np.isin(cc, sorted(kept))
    new_id = np.full(len(cc), -1, dtype=np.int64)
    new_id[keep] = np.arange(int(keep.sum()))
    e_keep = keep[raw.u] & keep[raw.v]
    edges = EdgeList()
    edges.add(new_id[raw.u[e_keep]], new_id[raw.v[e_keep]], km=raw.km[e_keep])
    s = BuildState(
        curated=curated,
        report=BuildReport(),
        year=year,
        lat=raw.lat[keep],
        lon=raw.lon[keep],
        node_cc=cc[keep],
        edges=edges,
    )
    c = s.report.counts
    c.raw_nodes, c.raw_edges, c.self_loops_dropped = len(raw.lat), len(raw.u), raw.self_loops_dropped
    c.outside_europe_asia_nodes = int((~keep).sum())
    return s


def drop_fragments(s: BuildState, params: BuildParams = DEFAULT_PARAMS) -> None:
    """Drop the pieces of track shorter than params.min_fragment_km that hold no protected node
    (yards, mapping debris)."""
    arr = s.edges.arrays()
    n_comp, label = connected_components(csr_of(len(s.lat), arr.u, arr.v, arr.km), directed=False)
    comp_km = np.bincount(label[arr.u], weights=arr.km, minlength=n_comp)
    comp_protected = np.zeros(n_comp, bool)
    comp_protected[label[list(s.protected)]] = True
    keep_comp = (comp_km >= params.min_fragment_km) | comp_protected
    c = s.report.counts
    c.components, c.components_kept = int(n_comp), int(keep_comp.sum())
    c.fragments_dropped = int((~keep_comp).sum())
    c.fragments_dropped_km = round(float(comp_km[~keep_comp].sum()), 1)
    s.compact(keep_comp[label])


def relabel_slivers(s: BuildState, params: BuildParams = DEFAULT_PARAMS) -> None:
    """:func:`smooth_slivers` on the state, keeping the runs that hold a side of a crossing."""
    sides = crossing_side_nodes(s.curated, s.lat, s.lon, params=params)
    s.node_cc = smooth_slivers(s.node_cc, s.edges, s.protected, s.report, keep=sides, params=params)


def crossing_side_nodes(
    curated: Curated, lat: np.ndarray, lon: np.ndarray, *, params: BuildParams = DEFAULT_PARAMS
) -> set[int]:
    """The track nearest to each side of a curated border crossing (within params.snap_km): a short run
    of track holding one is a real crossing, not a sliver."""
    pts = [p for rec in curated.borders.crossings if rec.kind == "border" for p in rec.sides]
    if not pts:
        return set()
    nodes, km = geo.Snapper(lat, lon).nearest([p.lat for p in pts], [p.lon for p in pts])
    return {int(n) for n, d in zip(nodes, km, strict=True) if d <= params.snap_km}


def smooth_slivers(
    node_cc: np.ndarray,
    edges: EdgeList,
    protected: set[int],
    report: BuildReport,
    *,
    keep: set[int] | None = None,
    params: BuildParams = DEFAULT_PARAMS,
) -> np.ndarray:
    """Relabel border slivers: a run of track shorter than params.sliver_km labelled country B, entered
    and left from country A only (a line that runs along a border, where the 1 km outlines put a
    few nodes on the wrong side), takes country A. Runs holding a curated point or a node of
    ``keep`` (the sides of curated crossings) are kept.

    Where the outlines alternate along a line (A, B, A, B, A), every short run has a single
    neighbouring country and relabelling them all at once would swap the labels rather than
    join the runs, so the runs are relabelled in rounds: first those that touch a run which is
    not itself a sliver, and never two neighbours in the same round."""
    arr = edges.arrays()
    u, v, km = arr.u, arr.v, arr.km
    n = len(node_cc)
    pinned = np.zeros(n, bool)
    pinned[list(protected | (keep or set()))] = True
    out = node_cc.copy()
    fixed = rounds = 0
    while True:
        rounds += 1
        same = out[u] == out[v]
        g = sp.coo_matrix(
            (np.ones(int(same.sum()) * 2), (np.r_[u[same], v[same]], np.r_[v[same], u[same]])),
            shape=(n, n),
        ).tocsr()
        _, label = connected_components(g, directed=False)
        comp_km = np.bincount(label[u[same]], weights=km[same], minlength=label.max() + 1)
        kept = np.zeros(label.max() + 1, bool)
        kept[label[pinned]] = True
        neighbours: dict[int, set[int]] = defaultdict(set)
        countries: dict[int, set[str]] = defaultdict(set)
        exits: dict[int, int] = defaultdict(int)
        for a, b in zip(u[~same].tolist(), v[~same].tolist(), strict=True):
            for x, y in ((a, b), (b, a)):
                neighbours[int(label[x])].add(int(label[y]))
                countries[int(label[x])].add(str(out[y]))
                exits[int(label[x])] += 1
        slivers = {
            c
            for c, cs in countries.items()
            if len(cs) == 1 and exits[c] >= 2 and comp_km[c] < params.sliver_km and not kept[c]
        }
        anchored = [c for c in slivers if neighbours[c] - slivers] or list(slivers)
        touched: set[int] = set()
        flipped = 0
        for c in sorted(anchored, key=lambda c: (comp_km[c], c)):
            if c in touched or neighbours[c] & touched:
                continue
            out[label == c] = next(iter(countries[c]))
            touched |= {c} | neighbours[c]
            flipped += 1
        fixed += flipped
        if not flipped:
            break
    report.counts.border_slivers_relabelled, report.counts.border_sliver_rounds = fixed, rounds
    return out


def close_gaps(s: BuildState, params: BuildParams = DEFAULT_PARAMS) -> None:
    """Join dead ends to nearby track they are not already connected to.

    The OSM-derived graph has thousands of dead ends; many are breaks where a line was cut
    in the extract (a bridge, a station throat, a border). A dead end within params.gap_km of a node
    of another component, or of a node of its own component that is far away by rail, gets
    a straight edge to it."""
    lat, lon, edges = s.lat, s.lon, s.edges
    arr = edges.arrays()
    n = len(lat)
    deg = np.bincount(np.r_[arr.u, arr.v], minlength=n)
    dead = np.flatnonzero(deg == 1)
    csr = csr_of(n, arr.u, arr.v, arr.km)
    _, label = connected_components(csr, directed=False)
    nodes, dist = geo.Snapper(lat, lon).nearest(lat[dead], lon[dead], k=6)
    other: list[tuple[int, int, float]] = []
    same: list[tuple[int, int, float]] = []
    for i, d in enumerate(dead.tolist()):
        nearest_same: tuple[int, int, float] | None = None
        for j in range(1, nodes.shape[1]):
            c, km = int(nodes[i, j]), float(dist[i, j])
            if km > params.gap_km:
                break
            if csr[d, c] != 0:
                continue
            if label[c] != label[d]:
                other.append((d, c, km))  # another piece within reach wins over track of its own
                nearest_same = None
                break
            nearest_same = nearest_same or (d, c, km)
        if nearest_same is not None:
            same.append(nearest_same)
    far: list[tuple[int, int, float]] = []
    for start in range(0, len(same), 256):
        chunk = same[start : start + 256]
        src = np.array([d for d, _, _ in chunk])
        dd = dijkstra(csr, indices=src, limit=params.gap_detour * params.gap_km + 3.0)
        for row, (d, c, km) in enumerate(chunk):
            if dd[row, c] > params.gap_detour * km + 3.0:
                far.append((d, c, km))
    links = {(min(d, c), max(d, c)): km for d, c, km in other + far}
    if links:
        pairs = np.array(list(links), dtype=np.int64)
        edges.add(pairs[:, 0], pairs[:, 1], km=np.array(list(links.values())))
    counts = s.report.counts
    counts.dead_ends, counts.gaps_closed = len(dead), len(links)
    counts.gaps_closed_between_pieces = len({(min(d, c), max(d, c)) for d, c, _ in other})
    counts.gaps_closed_km = round(float(sum(links.values())), 1)

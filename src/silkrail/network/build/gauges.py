"""Gauges: transshipment yards joined, curated points snapped, a gauge for every node and edge."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import replace

import numpy as np

from silkrail.network import geo
from silkrail.network.build.params import DEFAULT_PARAMS, BuildParams
from silkrail.network.build.state import BuildReport, BuildState, EdgeArrays, EdgeList, path_nodes
from silkrail.network.curated import Point
from silkrail.network.model import (
    gauge_mask,
)


def link_yards(s: BuildState, params: BuildParams = DEFAULT_PARAMS) -> None:
    """A break-of-gauge record describes a transshipment yard: where the mapped track of the
    two gauges does not meet, the yard is the link, and becomes an edge between the sides."""
    curated, csr, snapper, lat, lon, node_cc = s.curated, s.csr, s.snapper, s.lat, s.lon, s.node_cc
    protected, report = s.protected, s.report
    quiet = BuildReport()  # snapping problems are reported once, by the crossing step
    add_u, add_v, add_km, add_year = [], [], [], []
    for rec in curated.borders.crossings:
        if rec.kind != "gauge_change":
            continue
        a = snap_point(rec.sides[0], snapper, node_cc, "", quiet, params=params)
        b = snap_point(rec.sides[1], snapper, node_cc, "", quiet, params=params)
        if a is None or b is None or a == b:
            continue
        km = float(geo.haversine_km(lat[a], lon[a], lat[b], lon[b]))
        if km > params.yard_km or path_nodes(csr, a, b, limit=km * 4 + 30) is not None:
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
        return
    extra = EdgeList()
    extra.add(add_u, add_v, km=np.array(add_km), year_open=np.array(add_year))
    s.rail = s.rail.appended(EdgeArrays.of(extra), keep_dtypes=True)
    s.reweigh()


def snap_point(
    p: Point,
    snapper: geo.Snapper,
    node_cc: np.ndarray,
    where: str,
    report: BuildReport,
    *,
    country: str | None = None,
    params: BuildParams = DEFAULT_PARAMS,
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
    if dist[0] > params.snap_km:
        report.add(
            "error",
            f"'{p.name}' ({p.lat:.4f}, {p.lon:.4f}) does not snap: nearest track is {dist[0]:.1f} km away "
            f"(at most {params.snap_km:g} km)",
            where,
        )
        return None
    return int(nodes[0])


def assign_gauges(s: BuildState, params: BuildParams = DEFAULT_PARAMS) -> None:
    """Every node its country's gauges, except the track of curated lines (their gauge) and of
    curated gauge exceptions (the gauges along their path); an edge the gauges both its ends
    share unless a line or an exception gives it its own."""
    curated, node_cc, csr, snapper = s.curated, s.node_cc, s.csr, s.snapper
    names, protected, report = s.names, s.protected, s.report
    by_country = {r.country: gauge_mask(r.gauge_mm) for r in curated.gauges.countries}
    default = gauge_mask(1435)
    missing = sorted(set(node_cc) - set(by_country))
    for code in missing:
        report.add("warning", f"no default gauge for {code}; assuming 1435 mm", "gauges.yaml: countries")
    node_gauge = np.array([by_country.get(c, default) for c in node_cc], dtype=np.uint8)
    u, v = s.rail.u, s.rail.v
    edge_gauge = s.rail.edge_gauge.astype(np.int16)
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
        snapped = [snap_point(p, snapper, node_cc, where, report, params=params) for p in exc.path]
        if any(n is None for n in snapped):
            continue
        path: list[int] = []
        for (a, pa), (b, pb) in zip(
            zip(snapped, exc.path, strict=True), list(zip(snapped, exc.path, strict=True))[1:], strict=False
        ):
            gc = float(geo.haversine_km(pa.lat, pa.lon, pb.lat, pb.lon))
            seg = path_nodes(csr, a, b, limit=gc * 3 + 50)  # type: ignore[arg-type]
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
    s.node_gauge = node_gauge
    s.rail = replace(s.rail, edge_gauge=edge_gauge.astype(np.uint8))

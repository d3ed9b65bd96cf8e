"""Border crossings and breaks of gauge made explicit edges with their curated or default values."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Literal, TypedDict

import numpy as np

from silkrail.errors import DataError
from silkrail.network import geo, records
from silkrail.network.build.gauges import snap_point
from silkrail.network.build.params import DEFAULT_PARAMS, BuildParams
from silkrail.network.build.state import BuildState, path_nodes
from silkrail.network.curated import Crossing as CuratedCrossing
from silkrail.network.curated import Curated, Point
from silkrail.network.model import (
    EdgeKind,
    gauges_of,
)
from silkrail.network.records import Crossing


def _country(point: Point, where: str) -> str:
    if point.country is None:
        raise DataError(f"{where}: the crossing side '{point.name}' needs its country (ISO alpha-2)")
    return point.country


DwellFrom = Literal["curated", "default", "customs union"]


class CrossingFigures(TypedDict):
    """The figures of a crossing record the build derives, as keywords of its constructor."""

    dwell_h: float
    dwell_from: DwellFrom
    cost_usd_per_teu: float
    capacity_trains_per_day: float


def crossing_values(
    curated: Curated, rec: CuratedCrossing | None, countries: tuple[str, str], is_break: bool
) -> CrossingFigures:
    """The figures of a crossing (dwell, its basis, fee, capacity): curated where given, else the
    customs union's or the default ones."""
    d = curated.borders.defaults
    union_dwell = None
    dwell_src: DwellFrom
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
    return CrossingFigures(
        dwell_h=dwell, dwell_from=dwell_src, cost_usd_per_teu=cost, capacity_trains_per_day=capacity
    )


def make_crossings(s: BuildState, params: BuildParams = DEFAULT_PARAMS) -> None:
    """Every curated crossing with the edges of its path that change country (or gauge), the
    border edges near it as part of it, then one default crossing per place for the borders and
    breaks of gauge no record describes; the rail edges get their kind, change and crossing."""
    curated, csr, snapper, lat, lon = s.curated, s.csr, s.snapper, s.lat, s.lon
    node_cc, node_gauge, names, protected, report = s.node_cc, s.node_gauge, s.names, s.protected, s.report
    u, v, eg = s.rail.u, s.rail.v, s.rail.edge_gauge
    n_e = len(u)
    is_border = node_cc[u] != node_cc[v]
    is_break = eg == 0
    edge_kind = np.where(is_border, EdgeKind.BORDER, EdgeKind.RAIL).astype(np.uint8)
    change = is_break.copy()
    crossing_of = np.full(n_e, -1, dtype=np.int32)
    edge_lookup = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(u, v, strict=True))}
    out: list[Crossing] = []
    # the records are frozen: their nodes and edge counts are gathered here, set at the end
    nodes: list[tuple[int, ...]] = []
    marked_edges: list[int] = []

    for rec in curated.borders.crossings:
        where = f"borders.yaml: {rec.id}"
        a_pt, b_pt = rec.sides
        a = snap_point(a_pt, snapper, node_cc, where, report, params=params)
        b = snap_point(b_pt, snapper, node_cc, where, report, params=params)
        idx = len(out)
        has_change = rec.method in ("transshipment", "bogie_exchange")
        out.append(
            records.from_curated(
                Crossing,
                rec,
                where,
                countries=(_country(a_pt, where), _country(b_pt, where)),
                gauges_mm=(a_pt.gauge_mm, b_pt.gauge_mm),
                sides=(a_pt.name, b_pt.name),
                lat=rec.position.lat if rec.position else (a_pt.lat + b_pt.lat) / 2,
                lon=rec.position.lon if rec.position else (a_pt.lon + b_pt.lon) / 2,
                curated=True,
                nodes=(),
                edges=0,
                **crossing_values(curated, rec, (_country(a_pt, where), _country(b_pt, where)), has_change),
            )
        )
        nodes.append(())
        marked_edges.append(0)
        if a is None or b is None:
            continue
        gc = float(geo.haversine_km(lat[a], lon[a], lat[b], lon[b]))
        path = path_nodes(csr, a, b, limit=gc * 4 + 30)
        if path is None:
            report.add(
                "error",
                f"'{a_pt.name}' and '{b_pt.name}' are not joined by track within {gc * 4 + 30:.0f} km",
                where,
            )
            continue
        nodes[idx] = (a, b)
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
        marked_edges[idx] = marked
        if not marked:
            what = "no change of country" if rec.kind == "border" else "no change of gauge"
            report.add("error", f"the track between '{a_pt.name}' and '{b_pt.name}' has {what}", where)

    # tracks that cross the same border near a curated crossing (parallel lines, a second
    # bridge), and breaks of gauge in a curated gauge-change yard (the parallel tracks of its
    # two gauges), belong to that crossing: it is one place with one dwell
    curated_at = [(i, c) for i, c in enumerate(out) if nodes[i]]
    for edge in np.flatnonzero((is_border | is_break) & (crossing_of < 0)):
        x, y = int(u[edge]), int(v[edge])
        both = {str(node_cc[x]), str(node_cc[y])}
        kind = "border" if is_border[edge] else "gauge_change"
        for i, c in curated_at:
            if (
                c.kind == kind
                and set(c.countries) == both
                and float(geo.haversine_km(lat[x], lon[x], c.lat, c.lon)) <= params.near_crossing_km
            ):
                crossing_of[edge] = i
                change[edge] = bool(change[edge] or c.changes_gauge)
                marked_edges[i] += 1
                break
    # borders and breaks of gauge no record describes: one crossing per place, default figures
    auto: dict[tuple[str, str, int, int], int] = {}
    defaults = curated.borders.defaults
    for edge in np.flatnonzero((is_border | is_break) & (crossing_of < 0)):
        e = int(edge)
        x, y = int(u[e]), int(v[e])
        first, second = sorted((str(node_cc[x]), str(node_cc[y])))
        pair = (first, second)
        key = (first, second, int(lat[x] * 5), int(lon[x] * 5))
        if key not in auto:
            auto[key] = len(out)
            label = f"{pair[0]}–{pair[1]} border" if is_border[e] else f"{pair[0]} break of gauge"
            out.append(
                Crossing(
                    id=f"auto-{len(out)}",
                    name=f"{label} at {lat[x]:.2f}, {lon[x]:.2f}",
                    kind="border" if is_border[e] else "gauge_change",
                    method="transshipment" if is_break[e] else "none",
                    countries=(str(node_cc[x]), str(node_cc[y])),
                    gauges_mm=(tuple(gauges_of(int(node_gauge[x]))), tuple(gauges_of(int(node_gauge[y])))),
                    sides=(),
                    lat=float(lat[x]),
                    lon=float(lon[x]),
                    status="open",
                    opening_year=None,
                    curated=False,
                    dwell_range_h=None,
                    gauge_change_h=None,
                    source=tuple(defaults.sources),
                    as_of=defaults.as_of,
                    nodes=(),
                    edges=0,
                    **crossing_values(curated, None, pair, bool(is_break[e])),
                )
            )
            nodes.append((x, y))
            marked_edges.append(0)
            protected.update((x, y))
        crossing_of[e] = auto[key]
        marked_edges[auto[key]] += 1
    out = [replace(c, nodes=n, edges=k) for c, n, k in zip(out, nodes, marked_edges, strict=True)]
    report.counts.crossings_curated = len(curated.borders.crossings)
    report.counts.crossings_uncurated = len(auto)
    s.crossings = out
    s.rail = replace(s.rail, edge_kind=edge_kind, change=change, crossing=crossing_of)

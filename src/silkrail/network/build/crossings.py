"""Border crossings and breaks of gauge made explicit edges with their curated or default values."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import scipy.sparse as sp

from silkrail.network import geo
from silkrail.network.build.gauges import snap_point
from silkrail.network.build.params import DEFAULT_PARAMS, BuildParams
from silkrail.network.build.state import BuildReport, path_nodes
from silkrail.network.curated import Curated
from silkrail.network.model import (
    EdgeKind,
    gauges_of,
)


def crossing_values(curated: Curated, rec: Any, countries: tuple[str, str], is_break: bool) -> dict[str, Any]:
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


def make_crossings(
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
    params: BuildParams = DEFAULT_PARAMS,
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
        a = snap_point(a_pt, snapper, node_cc, where, report)
        b = snap_point(b_pt, snapper, node_cc, where, report)
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
        record.update(crossing_values(curated, rec, (a_pt.country, b_pt.country), has_change))  # type: ignore[arg-type]
        out.append(record)
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
                and float(geo.haversine_km(lat[x], lon[x], c["lat"], c["lon"])) <= params.near_crossing_km
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
            rec_out.update(crossing_values(curated, None, pair, bool(is_break[e])))
            out.append(rec_out)
            protected.update((x, y))
        crossing_of[e] = auto[key]
        out[auto[key]]["edges"] += 1
    report.counts["crossings_curated"] = len(curated.borders.crossings)
    report.counts["crossings_uncurated"] = len(auto)
    return out, edge_kind, change, crossing_of

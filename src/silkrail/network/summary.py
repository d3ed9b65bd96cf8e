"""Headline figures of a built network (``network info``, the build summary)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from silkrail.network.model import (
    EdgeKind,
    Network,
    NodeKind,
    gauges_of,
)


def summarise(net: Network) -> dict[str, object]:
    """Headline figures of a network: counts, km by gauge and by country (kept as JSON in the
    network's metadata)."""
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
    # more than one gauge bit set: clearing the lowest set bit leaves some (any numpy version)
    dual = existing & ((net.edge_gauge & (net.edge_gauge - np.uint8(1))) != 0)
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
        "ferries": [f.id for f in net.ferries],
        "crossings": {
            "curated": sum(1 for c in net.crossings if c.curated),
            "uncurated": sum(1 for c in net.crossings if not c.curated),
            "gauge_changes": sum(1 for c in net.crossings if c.method in ("transshipment", "bogie_exchange")),
        },
        "ports": {"all": counts.get("ports", 0), "rail_connected": len(net.ports)},
        "lines_added": [ln.id for ln in net.lines if not ln.in_osm],
        "components_kept": counts.get("components_kept"),
        "fragments_dropped": counts.get("fragments_dropped"),
        "fragments_dropped_km": counts.get("fragments_dropped_km"),
        "inputs_hash": net.meta.get("inputs_hash"),
    }

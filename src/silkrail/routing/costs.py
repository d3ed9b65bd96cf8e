"""The cost model: time, money and CO2 of every network edge and transfer, per TEU.

Factors come from ``factors.yaml`` (carried in the network): rail running time from the
line's freight speed or the country's commercial speed, border dwell and gauge-change time
per crossing, port handling, sea time at the configured speed, rail ferries (handling, sailing
and the mean wait for a sailing); money per TEU-km by mode
plus fees per crossing and port; CO2 per tonne-km by mode on one stated basis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from silkrail.network.model import EdgeKind, Network

KNOT_KMH = 1.852


@dataclass(frozen=True)
class CostModel:
    rail_speed_kmh: float
    rail_speed_by_country: dict[str, float]
    rail_cost_per_teu_km: float
    rail_co2_per_tkm: float
    sea_speed_kmh: float
    sea_cost_per_teu_km: float
    sea_co2_per_tkm: float
    teu_tonnes: float
    emission_basis: str
    gauge_change_h: float

    @classmethod
    def from_network(cls, net: Network) -> CostModel:
        f: dict[str, Any] = net.meta["factors"]
        rail = [m for m in f["modes"] if m["mode"] == "rail"]
        sea = [m for m in f["modes"] if m["mode"] == "sea"]
        if not rail or not sea:
            raise ValueError("factors.yaml needs at least one rail and one sea mode")
        deep = [m for m in sea if m["traction"] == "deep_sea"] or sea
        # OSM does not say which lines are electrified: rail takes the mean of its tractions
        return cls(
            rail_speed_kmh=float(np.mean([m["speed_kmh"] for m in rail])),
            rail_speed_by_country={r["country"]: r["speed_kmh"] for r in f.get("rail_speed_by_country", [])},
            rail_cost_per_teu_km=float(np.mean([m["cost_usd_per_teu_km"] for m in rail])),
            rail_co2_per_tkm=float(np.mean([m["co2_kg_per_tkm"] for m in rail])),
            sea_speed_kmh=float(f["sea"]["speed_knots"]) * KNOT_KMH,
            sea_cost_per_teu_km=float(deep[0]["cost_usd_per_teu_km"]),
            sea_co2_per_tkm=float(deep[0]["co2_kg_per_tkm"]),
            teu_tonnes=float(f["teu_tonnes"]["value"]),
            emission_basis=str(f["emission_basis"]),
            gauge_change_h=float(net.meta["border_defaults"]["gauge_change_h"]),
        )


@dataclass(frozen=True)
class EdgeCosts:
    """Per network edge, per TEU: traversal without a gauge change, and the extra for a change."""

    time_h: NDArray[np.float64]
    cost_usd: NDArray[np.float64]
    co2_kg: NDArray[np.float64]
    change_time_h: NDArray[np.float64]
    change_cost_usd: NDArray[np.float64]
    fixed_time_h: NDArray[np.float64]  # the part of time_h spent at a crossing or port
    fixed_cost_usd: NDArray[np.float64]  # the part of cost_usd paid at a crossing or port


def ferry_wait_h(ferry: dict[str, Any]) -> float:
    """The mean wait for a sailing: half the interval between sailings (cargo arrives at random)."""
    return 0.5 * 168.0 / float(ferry["sailings_per_week"])


def compute_edge_costs(net: Network, model: CostModel) -> EdgeCosts:
    km = net.km.astype(np.float64)
    kind = net.edge_kind
    rail = (kind == EdgeKind.RAIL) | (kind == EdgeKind.BORDER)
    sea = (kind == EdgeKind.SEA) | (kind == EdgeKind.SEA_ACCESS)
    speed = np.full(net.n_edges, model.rail_speed_kmh)
    codes = np.array(net.countries)
    for code, kmh in model.rail_speed_by_country.items():
        if code in net.countries:
            speed[net.country[net.u] == net.countries.index(code)] = kmh
    for i, line in enumerate(net.lines):
        if line.get("freight_speed_kmh"):
            speed[net.line == i] = line["freight_speed_kmh"]
    del codes
    time_h = np.where(rail, km / speed, 0.0) + np.where(sea, km / model.sea_speed_kmh, 0.0)
    cost = np.where(rail, km * model.rail_cost_per_teu_km, 0.0) + np.where(
        sea, km * model.sea_cost_per_teu_km, 0.0
    )
    co2 = (
        np.where(rail, km * model.rail_co2_per_tkm, 0.0) + np.where(sea, km * model.sea_co2_per_tkm, 0.0)
    ) * model.teu_tonnes
    run_time, run_cost = time_h.copy(), cost.copy()
    change_time = np.zeros(net.n_edges)
    change_cost = np.zeros(net.n_edges)
    for e in np.flatnonzero(net.crossing >= 0):
        c = net.crossings[int(net.crossing[e])]
        g_h = c.get("gauge_change_h")
        if net.change[e] and g_h is not None:
            # dwell covers formalities and the change; a train that keeps its gauge skips the change
            time_h[e] += max(c["dwell_h"] - g_h, 0.0)
            change_time[e] = g_h
        elif net.change[e] and c["curated"]:
            time_h[e] += c["dwell_h"]  # published dwell: the same whether or not gauges change
        elif net.change[e]:
            time_h[e] += max(c["dwell_h"] - model.gauge_change_h, 0.0)
            change_time[e] = model.gauge_change_h
        else:
            time_h[e] += c["dwell_h"]
        cost[e] += c["cost_usd_per_teu"]
    for e in np.flatnonzero(kind == EdgeKind.PORT_LINK):
        p = net.ports[int(net.port[e])]
        time_h[e] += p["handling_h"]
        cost[e] += p["handling_cost_usd_per_teu"]
    for e in np.flatnonzero(kind == EdgeKind.FERRY):
        f = net.ferries[int(net.port[e])]
        run_time[e] = time_h[e] = f["sailing_h"]
        time_h[e] += f["handling_h"] + ferry_wait_h(f)
        cost[e] += f["cost_usd_per_teu"]  # the fare: paid at the ferry, like a port's handling
        co2[e] = km[e] * model.sea_co2_per_tkm * model.teu_tonnes
    return EdgeCosts(time_h, cost, co2, change_time, change_cost, time_h - run_time, cost - run_cost)

"""Per network edge and traffic type: time, money and CO2, as arrays the search sums.

Each rail edge runs at its line class's speed for the traffic type over its track length (the
extract's km times the class's track factor); crossings add their dwell and fees, a change of
gauge its one figure (on the arcs that change); ports their handling; ferries their loading,
the mean wait for a sailing and the sailing. CO2e per edge, well-to-wheel and tank-to-wheel, by
the traction of the track (:func:`~silkrail.routing.emissions.edge_emissions`): the co2 objective
sums the model's basis (well-to-wheel unless asked otherwise). What is not additive along a
path (terminal time, the tariff's fixed charge per tariff area, block trains, sea rates as of a
date, ranges) is priced once per route by :mod:`~silkrail.routing.pricing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from silkrail.network.classes import (
    LineClass,
    edge_freight_class,
    edge_line_class,
    edge_line_record,
    high_speed_scale,
)
from silkrail.network.model import EdgeKind, Network
from silkrail.network.records import Ferry
from silkrail.routing.costs import CostModel
from silkrail.routing.distributions import Component, lognormal_variance
from silkrail.traffic import Traffic, is_freight

if TYPE_CHECKING:
    from silkrail.routing.emissions import EdgeEmissions

CLASS_SEA, CLASS_FERRY, CLASS_NONE = 4, 5, -1
"""Run classes beyond the line classes (0-3): sea legs, rail ferries, and edges with no running
time (port transfers)."""
RUN_CLASS_NAMES = ("high_speed", "modern", "conventional", "secondary", "sea", "ferry")


@dataclass(frozen=True)
class EdgeCosts:
    """Per network edge, for one traffic type (per TEU, or per passenger): traversal without a
    change of gauge, and the extra for a change.

    ``cost_usd`` is the search's money: the long-haul rail rate per km, each tariff area's fixed
    charge where one starts (a border between tariff areas, a port), the newest sea rate, fees."""

    traffic: Traffic
    time_h: NDArray[np.float64]
    cost_usd: NDArray[np.float64]
    co2_kg: NDArray[np.float64]
    change_time_h: NDArray[np.float64]
    change_cost_usd: NDArray[np.float64]
    fixed_time_h: NDArray[np.float64]  # the part of time_h spent at a crossing, port or ferry terminal
    fixed_cost_usd: NDArray[np.float64]  # the part of cost_usd paid there (fees)
    fixed_var_h2: NDArray[np.float64]
    change_var_h2: NDArray[np.float64]
    run_class: NDArray[np.int8]  # line class 0-3, CLASS_SEA, CLASS_FERRY, CLASS_NONE
    line_class: NDArray[np.int8]  # the network's line class (-1: not track)
    crossing_parts: list[tuple[Component, Component | None]] = field(default_factory=list)
    new_area: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))  # a tariff area starts
    km: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))  # track length (corrected)
    line_cost_usd: NDArray[np.float64] = field(
        default_factory=lambda: np.zeros(0)
    )  # per-km money, newest rates
    sea_lane: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))  # sea priced as a ferry
    paced: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))  # at a line's own pace
    co2_wtw_kg: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))  # well-to-wheel
    co2_ttw_kg: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))  # tank-to-wheel
    emissions: EdgeEmissions | None = field(default=None, repr=False)  # the factors behind them

    @property
    def run_h(self) -> NDArray[np.float64]:
        """Running time per edge (time at crossings and ports apart)."""
        return self.time_h - self.fixed_time_h


def ferry_wait_h(ferry: Ferry) -> float:
    """The mean wait for a sailing: half the interval between sailings (cargo arrives at random)."""
    return 0.5 * 168.0 / float(ferry.sailings_per_week)


def run_classes(net: Network) -> NDArray[np.int8]:
    """Which speed runs each edge: its line class (rail), sea, ferry, or none (transfers)."""
    kind = net.edge_kind
    cls = edge_line_class(net).astype(np.int8).copy()
    rail = (kind == EdgeKind.RAIL) | (kind == EdgeKind.BORDER)
    cls[~rail] = CLASS_NONE
    cls[(kind == EdgeKind.SEA) | (kind == EdgeKind.SEA_ACCESS)] = CLASS_SEA
    cls[kind == EdgeKind.FERRY] = CLASS_FERRY
    return cls


def sea_lane_edges(net: Network, model: CostModel) -> NDArray[np.bool_]:
    """Sea edges inside a sea lane priced apart (both ends inside its box)."""
    kind = net.edge_kind
    sea = (kind == EdgeKind.SEA) | (kind == EdgeKind.SEA_ACCESS)
    out = np.zeros(net.n_edges, bool)
    for lane in model.sea_lanes:
        a, b, c, d = lane.box
        inside = (net.lat >= a) & (net.lat <= c) & (net.lon >= b) & (net.lon <= d)
        out |= sea & inside[net.u] & inside[net.v]
    return out


def lane_usd_per_teu_km(net: Network, model: CostModel) -> float:
    """The per-km tariff of a lane priced as a ferry (the Caspian's): the rail ferries' mean fare
    per km; a network without ferries keeps the deep-sea rate."""
    rates = [float(f.cost_usd_per_teu) / float(f.km) for f in net.ferries if f.km > 0]
    return float(np.mean(rates)) if rates else model.sea_usd_per_teu_km()


def compute_edge_costs(net: Network, model: CostModel, traffic: Traffic = Traffic.CONTAINER) -> EdgeCosts:
    """The arrays of :class:`EdgeCosts` for ``traffic`` on ``net``."""
    p = model.params
    tp = p.traffic(traffic)
    freight = is_freight(traffic)
    kind = net.edge_kind
    cls = run_classes(net)
    line_cls = edge_line_class(net)
    rail = (cls >= 0) & (cls <= int(LineClass.SECONDARY))
    edge_cc = net.country[net.u]
    speed_by_class = np.array(tp.speed_kmh.as_tuple())
    speed = np.full(net.n_edges, np.inf)
    km = model.track_km(net)  # the extract's km times the track factor of the class and railway
    # freight runs at its own class: a dedicated passenger line leaves the track's class before it
    # (the extract cannot bar a train from track); and never at high speed: on high-speed-class track
    # (an upgraded main line, or where the extract cannot tell a high-speed line from the main line
    # beside it) it keeps the modern speed
    own_cls = np.where(rail, edge_freight_class(net), cls).astype(cls.dtype) if freight else cls
    run_cls = np.where(freight & (own_cls == int(LineClass.HIGH_SPEED)), int(LineClass.MODERN), own_cls)
    speed[rail] = speed_by_class[run_cls[rail]]
    hs = rail & (cls == int(LineClass.HIGH_SPEED))
    curated = np.zeros(net.n_edges, bool)
    if not freight:
        # a curated line's passenger trains run at its own factor where the evidence gives one;
        # a railway's factor describes its other track (not a curated line, not a high-speed line)
        record, ids = edge_line_record(net)
        curated = rail & (record >= 0)
        by_id = dict(p.line_speed_passenger.items())
        for r, lid in enumerate(ids):
            if lid in by_id:
                speed[rail & (record == r)] *= by_id[lid]
    for code, factor in p.railway_speeds(traffic).items():
        if code in net.countries:
            own = rail & (edge_cc == net.countries.index(code))
            if not freight:
                own &= ~hs & ~curated
            speed[own] *= factor
    if not freight:
        speed *= high_speed_scale(net)  # a 350 km/h line runs faster than a 250 km/h one
    paced = np.zeros(net.n_edges, bool)
    if freight:
        # a line's published freight pace caps its class's speed (Quetta–Zahedan: 7 km/h, 721.6 km
        # in 4-5 days); a design speed above the model's commercial speed does not bind
        for i, line in enumerate(net.lines):
            if line.freight_speed_kmh:
                on = rail & (net.line == i) & (speed > float(line.freight_speed_kmh))
                speed[on] = float(line.freight_speed_kmh)
                paced |= on
    sea = cls == CLASS_SEA
    lane = sea_lane_edges(net, model)
    speed[sea] = model.sea_speed_kmh
    time_h = np.where(np.isfinite(speed), km / speed, 0.0)
    time_h += np.where(sea, km * p.sea_calls_h_per_1000km / 1000.0, 0.0)  # port calls on the way
    if freight:
        rail_rate = p.tariff.rate_long_usd_per_teu_km * model.rail_price_factor(traffic)
        line_cost = np.where(rail, km * rail_rate, 0.0)
        line_cost += np.where(sea & ~lane, km * model.sea_usd_per_teu_km(), 0.0)
        line_cost += np.where(lane, km * lane_usd_per_teu_km(net, model), 0.0)
    else:
        fares = np.array(p.fares.usd_per_km.as_tuple())
        line_cost = np.where(rail, km * fares[np.clip(cls, 0, 3)], 0.0)
    # CO2e by traction per edge (rail), by mode (sea, ferry): the figures every leg reports
    from silkrail.routing.emissions import edge_emissions  # reads its factors (pydantic) once

    em = edge_emissions(net, model, traffic)
    co2_wtw, co2_ttw = km * em.wtw, km * em.ttw
    co2 = co2_wtw if model.emission_basis == "well-to-wheel" else co2_ttw
    run_time = time_h.copy()
    cost = line_cost.copy()
    change_time = np.zeros(net.n_edges)
    change_cost = np.zeros(net.n_edges)
    fixed_var = np.zeros(net.n_edges)
    change_var = np.zeros(net.n_edges)
    parts = [model.crossing_dwell(rec, traffic) for rec in net.crossings]
    entry = model.tariff_entry_usd() * model.rail_price_factor(traffic) if freight else 0.0
    entry_cost = np.zeros(net.n_edges)
    new_area = np.zeros(net.n_edges, bool)
    for e in np.flatnonzero(net.crossing >= 0):
        c = net.crossings[int(net.crossing[e])]
        dwell, change = parts[int(net.crossing[e])]
        time_h[e] += dwell.value
        fixed_var[e] = dwell.variance
        border_fee, change_fee = model.crossing_fees(c, traffic)
        if net.change[e] and change is not None:
            change_time[e] = change.value
            change_var[e] = change.variance
            change_cost[e] = change_fee
        cost[e] += border_fee
        if freight and model.new_tariff_area(c):
            entry_cost[e] = entry  # a new tariff area starts: its fixed charge
            new_area[e] = True
    sig_port = p.spreads.port_sigma_log
    for e in np.flatnonzero(kind == EdgeKind.PORT_LINK):
        port = net.ports[int(net.port[e])]
        time_h[e] += port.handling_h
        fixed_var[e] = lognormal_variance(float(port.handling_h), sig_port)
        if freight:
            cost[e] += port.handling_cost_usd_per_teu
            entry_cost[e] = entry  # rail starts or ends at the port: a tariff area's fixed charge
            new_area[e] = True
    for e in np.flatnonzero(kind == EdgeKind.FERRY):
        f = net.ferries[int(net.port[e])]
        wait = ferry_wait_h(f)
        run_time[e] = time_h[e] = f.sailing_h
        time_h[e] += f.handling_h + wait
        # handling spreads like a port's; the wait for a sailing is uniform over the interval
        fixed_var[e] = lognormal_variance(float(f.handling_h), sig_port) + (2 * wait) ** 2 / 12
        if freight:
            cost[e] += f.cost_usd_per_teu  # the fare: paid at the ferry, like a port's handling
            entry_cost[e] = entry  # rail continues on the other shore: a new tariff area
            new_area[e] = True
        else:
            line_cost[e] = cost[e] = km[e] * p.fares.usd_per_km.conventional
    fixed_cost = cost - line_cost  # fees only; the tariff's fixed charges are rail tariff
    return EdgeCosts(
        traffic=traffic,
        time_h=time_h,
        cost_usd=cost + entry_cost,
        co2_kg=co2,
        co2_wtw_kg=co2_wtw,
        co2_ttw_kg=co2_ttw,
        emissions=em,
        change_time_h=change_time,
        change_cost_usd=change_cost,
        fixed_time_h=time_h - run_time,
        fixed_cost_usd=fixed_cost,
        fixed_var_h2=fixed_var,
        change_var_h2=change_var,
        run_class=own_cls,
        line_class=line_cls,
        crossing_parts=parts,
        new_area=new_area,
        km=km,
        line_cost_usd=line_cost,
        sea_lane=lane,
        paced=paced,
    )


__all__ = [
    "CLASS_FERRY",
    "CLASS_NONE",
    "CLASS_SEA",
    "RUN_CLASS_NAMES",
    "EdgeCosts",
    "compute_edge_costs",
    "ferry_wait_h",
    "lane_usd_per_teu_km",
    "run_classes",
    "sea_lane_edges",
]

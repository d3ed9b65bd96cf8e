"""Pricing a path once the search has found it: every arc's time, money and CO2 for the cargo (or
the passenger), the route's totals with 10th-90th percentile ranges, and what each leg and each
event carries, so that legs and events add up to the totals.

Per arc: running time (legs); dwell at crossings, a change of gauge where the train changes,
port handling, a ferry's loading and wait (events); the rail tariff per tariff area (its fixed
charge on the arc where the area starts, then the long-haul rate per km), sea legs at the lane's
rate as of the date, fees at crossings and ports (events), CO2 per km. Per rail end: terminal
time and handling (terminal events). Block-train pricing scales the rail tariff for many boxes.
A directed crossing figure (one published for one direction) is priced in the direction the
route crosses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from silkrail.network.model import EdgeKind
from silkrail.routing.costs import CostModel
from silkrail.routing.distributions import lognormal_range, lognormal_variance, share_variance
from silkrail.routing.edge_costs import CLASS_FERRY, CLASS_SEA, RUN_CLASS_NAMES, EdgeCosts
from silkrail.traffic import Traffic, is_freight

if TYPE_CHECKING:
    from silkrail.routing.graph import StateGraph


@dataclass(frozen=True)
class PathFigures:
    """A path's figures per arc, for the whole cargo (``teu`` TEU, or one passenger)."""

    run_h: NDArray[np.float64]  # running time (legs)
    fixed_h: NDArray[np.float64]  # dwell, change of gauge, handling, ferry wait (events)
    fixed_var_h2: NDArray[np.float64]
    line_usd: NDArray[np.float64]  # rail tariff (fixed charges included) and sea freight (legs)
    fee_usd: NDArray[np.float64]  # fees at crossings, changes of gauge, ports, ferries (events)
    change_usd: NDArray[np.float64]  # of which the change of gauge (on changing arcs)
    change_h: NDArray[np.float64]  # the change of gauge's hours (on changing arcs), part of fixed_h
    co2_kg: NDArray[np.float64]  # on the model's basis (well-to-wheel unless asked otherwise)
    co2_wtw_kg: NDArray[np.float64]
    co2_ttw_kg: NDArray[np.float64]
    km: NDArray[np.float64]  # track length (corrected)
    run_class: NDArray[np.int8]
    is_rail: NDArray[np.bool_]
    terminal_h: float  # per rail end
    terminal_usd: float  # per rail end, for the cargo
    rail_ends: tuple[bool, bool]  # the route starts / ends on rail


@dataclass(frozen=True)
class RoutePrice:
    """A route's totals for the cargo with 10th-90th percentile ranges, its components, and the
    per-arc figures its legs and events are summed from."""

    duration_h: float
    duration_h_range: tuple[float, float]
    cost_usd: float
    cost_usd_range: tuple[float, float]
    co2_kg: float
    co2_kg_range: tuple[float, float]
    co2_basis: str
    terminal_h: float
    rail_ends: int
    components: dict[str, float]
    traffic: Traffic = Traffic.CONTAINER
    figures: PathFigures | None = field(default=None, repr=False, compare=False)
    time_sigma: dict[int, float] = field(default_factory=dict, repr=False)  # log spread per run class
    residual_time: float = 0.0
    cost_sigma: float = 0.25
    co2_sigma: float = 0.2


def path_figures(
    g: StateGraph,
    arcs: NDArray[np.int64],
    teu: float,
    *,
    traffic: Traffic = Traffic.CONTAINER,
    as_of: str | None = None,
    model: CostModel | None = None,
) -> PathFigures:
    """Every arc's figures along ``arcs`` (see :class:`PathFigures`)."""
    m: CostModel = model or g.model
    costs: EdgeCosts = g.costs_of(traffic)
    net = g.net
    freight = is_freight(traffic)
    cargo = float(teu) if freight else 1.0
    arcs = np.asarray(arcs, dtype=np.int64)
    e = g.edge[arcs].astype(np.int64)
    chg = g.change[arcs].astype(bool)
    cls = costs.run_class[e]
    km = costs.km[e]
    is_rail = (cls >= 0) & (cls < CLASS_SEA)
    run_h = costs.run_h[e].copy()
    fixed_h = costs.fixed_time_h[e].copy()
    fixed_var = costs.fixed_var_h2[e].copy()
    change_h = np.where(chg, costs.change_time_h[e], 0.0)
    fixed_h += change_h
    fixed_var += np.where(chg, costs.change_var_h2[e], 0.0)
    fee = costs.fixed_cost_usd[e] + np.where(chg, costs.change_cost_usd[e], 0.0)
    change_usd = np.where(chg, costs.change_cost_usd[e], 0.0)
    # a crossing with a figure for one direction: its dwell in the direction the route crosses
    for i in np.flatnonzero(net.crossing[e] >= 0).tolist():
        c = net.crossings[int(net.crossing[e[i]])]
        a_cc = net.country_code(int(g.state_node[g.src[arcs[i]]]))
        directed = [f for f in m.crossing_figures if f.crossing == c.id and f.from_country]
        if directed:
            dwell, _ = m.crossing_dwell(c, traffic, a_cc)
            fixed_h[i] += dwell.value - costs.crossing_parts[int(net.crossing[e[i]])][0].value
    # money: the line haul per km, the tariff's fixed charge where a tariff area starts, sea as of the date
    line = costs.line_cost_usd[e].copy()
    sea = cls == CLASS_SEA
    deep = sea & ~costs.sea_lane[e]
    if freight:
        line[deep] = km[deep] * m.sea_usd_per_teu_km(as_of)
        starts = _tariff_starts(costs, e, is_rail)
        line[starts] += m.tariff_entry_usd() * m.rail_price_factor(traffic)
        line[is_rail] *= m.block_factor(teu)
        terminal_usd = m.params.tariff.terminal_usd_per_teu * cargo
    else:
        rail_idx = np.flatnonzero(is_rail)
        if len(rail_idx):
            line[rail_idx[0]] += m.params.fares.base_usd
        terminal_usd = 0.0
    ends = (bool(len(e) and is_rail[0]), bool(len(e) and is_rail[-1]))
    return PathFigures(
        run_h=run_h,
        fixed_h=fixed_h,
        fixed_var_h2=fixed_var,
        line_usd=line * cargo,
        fee_usd=fee * cargo,
        change_usd=change_usd * cargo,
        change_h=change_h,
        co2_kg=costs.co2_kg[e] * cargo,
        co2_wtw_kg=costs.co2_wtw_kg[e] * cargo,
        co2_ttw_kg=costs.co2_ttw_kg[e] * cargo,
        km=km,
        run_class=cls,
        is_rail=is_rail,
        terminal_h=float(m.params.traffic(traffic).terminal_h),
        terminal_usd=terminal_usd,
        rail_ends=ends,
    )


def _tariff_starts(costs: EdgeCosts, e: NDArray[np.int64], is_rail: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Arcs where a tariff area starts: the first rail arc of a route, the first after a stretch
    that is not rail (a port, a sea leg), and a border between tariff areas."""
    starts = np.zeros(len(e), bool)
    idx = np.flatnonzero(is_rail)
    if not len(idx):
        return starts
    new = costs.new_area[e[idx]].copy()
    new[0] = True
    new[1:] |= np.diff(idx) != 1
    starts[idx[new]] = True
    return starts


def tariff_sections(
    costs: EdgeCosts, e: NDArray[np.int64], is_rail: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Kilometres per tariff area along a path (see :func:`_tariff_starts`)."""
    idx = np.flatnonzero(is_rail)
    if not len(idx):
        return np.zeros(0)
    new = costs.new_area[e[idx]].copy()
    new[0] = False
    new[1:] |= np.diff(idx) != 1
    return np.bincount(np.cumsum(new), weights=costs.km[e[idx]]).astype(np.float64)


def price_route(
    g: StateGraph,
    arcs: NDArray[np.int64],
    teu: float,
    *,
    traffic: Traffic = Traffic.CONTAINER,
    as_of: str | None = None,
    model: CostModel | None = None,
) -> RoutePrice:
    """Totals and ranges of a path of the state graph ``g`` (arc ids), computed once after the
    search: time components summed with their variances (running time correlated per line
    class, waits independent), money and CO2 summed over the arcs and the rail ends."""
    m: CostModel = model or g.model
    f = path_figures(g, arcs, teu, traffic=traffic, as_of=as_of, model=m)
    n_ends = int(f.rail_ends[0]) + int(f.rail_ends[1])
    terminal = n_ends * f.terminal_h
    duration = float(f.run_h.sum() + f.fixed_h.sum()) + terminal
    sig = time_sigmas(m, traffic)
    var = 0.0
    runs: dict[str, float] = {}  # hours by line class
    for c in np.unique(f.run_class).tolist():
        if c < 0:
            continue
        r = float(f.run_h[f.run_class == c].sum())
        runs[f"{RUN_CLASS_NAMES[c]}_run_h"] = r
        var += lognormal_variance(r, sig[c])
    var += float(f.fixed_var_h2.sum())
    ts = m.sigmas.traffic(traffic)
    var += n_ends * lognormal_variance(f.terminal_h, ts.terminal_h)
    comp = {"terminal_h": terminal} | runs | {"fixed_h": float(f.fixed_h.sum())}
    # the model's own error (the spread of held-out errors) applies to the land part; sea legs,
    # ferries and ports keep their components' spread
    water_h = water_hours(g, arcs, f)
    residual = m.residual.time(traffic)
    var += share_variance(duration - water_h, residual)
    t_range = lognormal_range(duration, var)

    terminal_usd = n_ends * f.terminal_usd
    rail_usd = float(f.line_usd[f.is_rail].sum())
    sea_usd = float(f.line_usd[~f.is_rail].sum())
    fees = float(f.fee_usd.sum()) + terminal_usd
    cost = rail_usd + sea_usd + fees
    cargo = float(teu) if is_freight(traffic) else 1.0
    comp |= {
        "rail_tariff_usd_per_teu": rail_usd / cargo,
        "sea_usd_per_teu": sea_usd / cargo,
        "fees_usd_per_teu": fees / cargo,
    }
    c_sigma = m.params.spreads.cost_sigma_log
    c_extra = max(m.residual.cost, 0.05)
    c_var = share_variance(rail_usd + fees, c_extra) + share_variance(sea_usd, c_sigma)
    c_range = lognormal_range(cost, c_var)
    co2 = float(f.co2_kg.sum())
    co2_sigma = m.params.spreads.co2_sigma_log
    co2_range = lognormal_range(co2, 0.0, co2_sigma)
    return RoutePrice(
        duration,
        t_range,
        cost,
        c_range,
        co2,
        co2_range,
        m.emission_basis,
        terminal,
        n_ends,
        comp,
        traffic,
        f,
        sig,
        residual,
        c_extra,
        co2_sigma,
    )


def time_sigmas(m: CostModel, traffic: Traffic) -> dict[int, float]:
    """Log spread of running time per run class for a traffic type."""
    s = m.sigmas.traffic(traffic).speed_kmh
    return {
        0: s.high_speed,
        1: s.modern,
        2: s.conventional,
        3: s.secondary,
        CLASS_SEA: m.params.spreads.sea_sigma_log,
        CLASS_FERRY: m.params.spreads.sea_sigma_log,
    }


def water_hours(g: StateGraph, arcs: NDArray[np.int64], f: PathFigures) -> float:
    """Hours at sea, on ferries and in ports along the path."""
    e = g.edge[np.asarray(arcs, dtype=np.int64)]
    water = (
        (f.run_class == CLASS_SEA) | (f.run_class == CLASS_FERRY) | (g.net.edge_kind[e] == EdgeKind.PORT_LINK)
    )
    return float(f.run_h[water].sum() + f.fixed_h[water].sum())


__all__ = [
    "PathFigures",
    "RoutePrice",
    "path_figures",
    "price_route",
    "tariff_sections",
    "time_sigmas",
    "water_hours",
]

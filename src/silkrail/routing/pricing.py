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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from silkrail.network.classes import LineClass
from silkrail.network.model import EdgeKind
from silkrail.routing.costs import CostModel
from silkrail.routing.distributions import (
    lognormal_range,
    lognormal_ranges,
    lognormal_variance,
    share_variance,
)
from silkrail.routing.edge_costs import CLASS_FERRY, CLASS_SEA, RUN_CLASS_NAMES, EdgeCosts
from silkrail.traffic import Traffic, TrainClass, is_freight

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


@dataclass(frozen=True)
class _ArcFigures:
    """Each arc's own figures, per TEU (or passenger): what does not depend on the arcs around it
    on a path. Where a tariff area starts, the base fare and the rail ends do (:func:`path_figures`
    reads them off the path, :class:`TreePricer` off a tree)."""

    e: NDArray[np.int64]  # network edge of each arc
    run_class: NDArray[np.int8]
    km: NDArray[np.float64]
    is_rail: NDArray[np.bool_]
    run_h: NDArray[np.float64]
    fixed_h: NDArray[np.float64]  # dwell, the change of gauge where the train changes, handling
    fixed_var_h2: NDArray[np.float64]
    change_h: NDArray[np.float64]
    change_usd: NDArray[np.float64]
    fee_usd: NDArray[np.float64]  # the change's fee included
    line_usd: NDArray[np.float64]  # the line haul per km; deep sea at the rate as of the date


def _arc_figures(
    g: StateGraph,
    arcs: NDArray[np.int64],
    m: CostModel,
    traffic: Traffic,
    as_of: str | None,
    train: TrainClass = "standard",
) -> _ArcFigures:
    costs: EdgeCosts = g.costs_of(traffic)
    net = g.net
    arcs = np.asarray(arcs, dtype=np.int64)
    e = g.edge[arcs].astype(np.int64)
    chg = g.change[arcs].astype(bool)
    cls = costs.run_class[e]
    km = costs.km[e]
    change_h = np.where(chg, costs.change_time_h[e], 0.0)
    change_usd = np.where(chg, costs.change_cost_usd[e], 0.0)
    fixed_h = costs.fixed_time_h[e] + change_h
    # a crossing with a figure for one direction: its dwell in the direction the arc crosses
    directed = {f.crossing for f in m.crossing_figures if f.from_country}
    for i in np.flatnonzero(net.crossing[e] >= 0).tolist():
        c_idx = int(net.crossing[e[i]])
        c = net.crossings[c_idx]
        if c.id in directed:
            a_cc = net.country_code(int(g.state_node[g.src[arcs[i]]]))
            dwell, _ = m.crossing_dwell(c, traffic, a_cc)
            fixed_h[i] += dwell.value - costs.crossing_parts[c_idx][0].value
    line = costs.line_cost_usd[e].copy()
    if is_freight(traffic):
        deep = (cls == CLASS_SEA) & ~costs.sea_lane[e]
        line[deep] = km[deep] * m.sea_usd_per_teu_km(as_of)
    is_rail = (cls >= 0) & (cls < CLASS_SEA)
    run_h = costs.time_h[e] - costs.fixed_time_h[e]  # the arcs' own, not every edge's
    factor = m.params.traffic(traffic).run_factor(train)
    if factor != 1.0:
        # the train's category, on every line but a high-speed one (whose speed is its trains')
        scaled = is_rail if is_freight(traffic) else is_rail & (cls != LineClass.HIGH_SPEED)
        run_h = np.where(scaled, run_h * factor, run_h)
    return _ArcFigures(
        e=e,
        run_class=cls,
        km=km,
        is_rail=is_rail,
        run_h=run_h,
        fixed_h=fixed_h,
        fixed_var_h2=costs.fixed_var_h2[e] + np.where(chg, costs.change_var_h2[e], 0.0),
        change_h=change_h,
        change_usd=change_usd,
        fee_usd=costs.fixed_cost_usd[e] + change_usd,
        line_usd=line,
    )


def path_figures(
    g: StateGraph,
    arcs: NDArray[np.int64],
    teu: float,
    *,
    traffic: Traffic = Traffic.CONTAINER,
    as_of: str | None = None,
    model: CostModel | None = None,
    train: TrainClass = "standard",
) -> PathFigures:
    """Every arc's figures along ``arcs`` (see :class:`PathFigures`) for a ``train`` of its
    traffic type's category (:data:`~silkrail.traffic.TrainClass`)."""
    m: CostModel = model or g.model
    costs: EdgeCosts = g.costs_of(traffic)
    cargo = float(teu) if is_freight(traffic) else 1.0
    a = _arc_figures(g, arcs, m, traffic, as_of, train)
    e, is_rail = a.e, a.is_rail
    # money: the tariff's fixed charge where a tariff area starts, or a passenger's base fare
    line = a.line_usd.copy()
    if is_freight(traffic):
        line[_tariff_starts(costs, e, is_rail)] += m.tariff_entry_usd() * m.rail_price_factor(traffic)
        line[is_rail] *= m.block_factor(teu)
        terminal_usd = m.params.tariff.terminal_usd_per_teu * cargo
    else:
        rail_idx = np.flatnonzero(is_rail)
        if len(rail_idx):
            line[rail_idx[0]] += m.params.fares.base_usd
        terminal_usd = 0.0
    ends = (bool(len(e) and is_rail[0]), bool(len(e) and is_rail[-1]))
    return PathFigures(
        run_h=a.run_h,
        fixed_h=a.fixed_h,
        fixed_var_h2=a.fixed_var_h2,
        line_usd=line * cargo,
        fee_usd=a.fee_usd * cargo,
        change_usd=a.change_usd * cargo,
        change_h=a.change_h,
        co2_kg=costs.co2_kg[e] * cargo,
        co2_wtw_kg=costs.co2_wtw_kg[e] * cargo,
        co2_ttw_kg=costs.co2_ttw_kg[e] * cargo,
        km=a.km,
        run_class=a.run_class,
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
    train: TrainClass = "standard",
) -> RoutePrice:
    """Totals and ranges of a path of the state graph ``g`` (arc ids), computed once after the
    search: time components summed with their variances (running time correlated per line
    class, waits independent), money and CO2 summed over the arcs and the rail ends."""
    m: CostModel = model or g.model
    f = path_figures(g, arcs, teu, traffic=traffic, as_of=as_of, model=m, train=train)
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


@dataclass(frozen=True)
class TreePrices:
    """Every target's totals and 10th-90th percentile ranges (NaN where a target is -1)."""

    duration_h: NDArray[np.float64]
    duration_h_range: NDArray[np.float64]  # (n, 2)
    cost_usd: NDArray[np.float64]
    cost_usd_range: NDArray[np.float64]
    co2_kg: NDArray[np.float64]
    co2_kg_range: NDArray[np.float64]
    distance_km: NDArray[np.float64]


class TreePricer:
    """:func:`price_route` for every path of a shortest-path tree at once: the arcs' figures are
    laid out once per CSR position, summed along the tree to each target in one pass, and the
    totals and ranges are finished as arrays. The parts of a price that depend on a path's
    context (where a tariff area starts, whether the route starts and ends on rail, a crossing
    figure published for one direction) are read off the tree, so each target's figures equal
    its single route's to rounding. A pricer reuses its arrays between trees: one per thread.
    """

    def __init__(
        self,
        g: StateGraph,
        arcs: NDArray[np.int64],
        teu: float,
        *,
        traffic: Traffic = Traffic.CONTAINER,
        as_of: str | None = None,
        totals: Callable[..., NDArray[np.float64]],
        train: TrainClass = "standard",
    ) -> None:
        m: CostModel = g.model
        self._totals = totals
        self.freight = is_freight(traffic)
        self.cargo = float(teu) if self.freight else 1.0
        self.arc_src = g.src[np.asarray(arcs, dtype=np.int64)].astype(np.int64)
        a = _arc_figures(g, arcs, m, traffic, as_of, train)
        cls, km, line, fixed_h, run_h = a.run_class, a.km, a.line_usd, a.fixed_h, a.run_h
        self.is_rail = a.is_rail
        self.new_area = g.costs_of(traffic).new_area[a.e].astype(bool)
        if self.freight:
            self.entry = m.tariff_entry_usd() * m.rail_price_factor(traffic)
            self.block = m.block_factor(teu)
            self.terminal_usd = m.params.tariff.terminal_usd_per_teu * self.cargo
        else:
            self.entry, self.block, self.terminal_usd = 0.0, 1.0, 0.0
        self.base_fare = 0.0 if self.freight else m.params.fares.base_usd
        water = (cls == CLASS_SEA) | (cls == CLASS_FERRY) | (g.net.edge_kind[a.e] == EdgeKind.PORT_LINK)
        self.sig = time_sigmas(m, traffic)
        self.classes = sorted(self.sig)
        rows = [np.where(cls == c, run_h, 0.0) for c in self.classes]
        rows += [
            np.where(np.isin(cls, self.classes), 0.0, run_h),  # in the total, not in a class's spread
            fixed_h,
            a.fixed_var_h2,
            a.fee_usd,
            np.where(self.is_rail, line, 0.0),
            np.where(self.is_rail, 0.0, line),
            g.costs_of(traffic).co2_kg[a.e],
            np.where(water, run_h + fixed_h, 0.0),
            km,
            self.is_rail.astype(np.float64),
        ]
        rows += [np.zeros(len(arcs)), np.zeros(len(arcs))]  # per tree: tariff starts, first arc on rail
        self._metrics = np.vstack(rows)
        self.terminal_h = float(m.params.traffic(traffic).terminal_h)
        self.terminal_sigma = m.sigmas.traffic(traffic).terminal_h
        self.residual = m.residual.time(traffic)
        self.c_sigma = m.params.spreads.cost_sigma_log
        self.c_extra = max(m.residual.cost, 0.05)
        self.co2_sigma = m.params.spreads.co2_sigma_log

    def price(self, pred: NDArray[np.int64], targets: NDArray[np.int64]) -> TreePrices:
        """Totals for each target state of the tree ``pred`` (CSR position of each state's
        incoming arc, -1 at a root), -1 for a target not reached."""
        targets = np.asarray(targets, dtype=np.int64)
        prev = pred[self.arc_src]  # the arc before each arc on a tree path (-1: the first arc)
        prev_rail = np.where(prev >= 0, self.is_rail[np.maximum(prev, 0)], False)
        starts = self.is_rail & ((prev < 0) | ~prev_rail | self.new_area)
        first_rail = self.is_rail & (prev < 0)
        self._metrics[-2] = starts
        self._metrics[-1] = first_rail
        tot = self._totals(pred, self.arc_src, self._metrics, targets)
        reached = targets >= 0
        tot[:, ~reached] = 0.0  # NaN at the end
        k = len(self.classes)
        runs = tot[:k]
        other_run, fixed_h, fixed_var, fee, rail_line, other_line = tot[k : k + 6]
        co2, water_h, km, n_rail, n_starts, first = tot[k + 6 :]
        last_pos = np.where(reached, pred[np.maximum(targets, 0)], -1)
        last = np.where(last_pos >= 0, self.is_rail[np.maximum(last_pos, 0)], False)
        n_ends = np.where(reached, first + last, 0.0)

        terminal = n_ends * self.terminal_h
        duration = runs.sum(axis=0) + other_run + fixed_h + terminal
        var = sum(runs[i] ** 2 * np.expm1(self.sig[c] ** 2) for i, c in enumerate(self.classes))
        var = var + fixed_var + n_ends * self.terminal_h**2 * np.expm1(self.terminal_sigma**2)
        var = var + np.maximum(duration - water_h, 0.0) ** 2 * np.expm1(self.residual**2)

        if self.freight:
            rail_usd = (rail_line + n_starts * self.entry) * self.block * self.cargo
        else:
            rail_usd = rail_line + np.where(n_rail > 0, self.base_fare, 0.0)
        sea_usd = other_line * self.cargo
        fees = fee * self.cargo + n_ends * self.terminal_usd
        cost = rail_usd + sea_usd + fees
        c_var = np.maximum(rail_usd + fees, 0.0) ** 2 * np.expm1(self.c_extra**2)
        c_var = c_var + np.maximum(sea_usd, 0.0) ** 2 * np.expm1(self.c_sigma**2)
        co2_total = co2 * self.cargo

        def out(a: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.where(reached, a, np.nan)

        def rng(
            mean: NDArray[np.float64], variance: NDArray[np.float64], extra: float = 0.0
        ) -> NDArray[np.float64]:
            return np.where(reached[:, None], lognormal_ranges(mean, variance, extra), np.nan)

        return TreePrices(
            duration_h=out(duration),
            duration_h_range=rng(duration, var),
            cost_usd=out(cost),
            cost_usd_range=rng(cost, c_var),
            co2_kg=out(co2_total),
            co2_kg_range=rng(co2_total, np.zeros_like(co2_total), self.co2_sigma),
            distance_km=out(km),
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
    "TreePricer",
    "TreePrices",
    "path_figures",
    "price_route",
    "tariff_sections",
    "time_sigmas",
    "water_hours",
]

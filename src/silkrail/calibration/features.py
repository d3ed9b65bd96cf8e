"""What each published figure's route is made of, as far as the model's free parameters go.

Every figure of the evidence base is routed once, with the prior model, for its traffic type,
mode, avoided countries and the crossings it names; its route is then broken into the parts the
parameters act on: kilometres of the extract by line class and railway (running time and track
length), crossings that take a fitted dwell, changes of gauge that take a method's time, rail
ends (terminal time), tariff areas (two-part tariff), and what no free parameter touches
(published dwells and changes, ports, ferries, sea legs, fees). The same route also gives the
kilometres by gauge, which the round-2 structure (the baseline the report compares with) ran on.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from silkrail.errors import NoRouteError, SilkrailError
from silkrail.evidence.schema import Figure
from silkrail.network.classes import CLASS_NAMES, edge_line_record, high_speed_scale
from silkrail.network.model import GAUGES_MM, EdgeKind
from silkrail.routing.edge_costs import CLASS_FERRY, CLASS_SEA
from silkrail.routing.pricing import path_figures, tariff_sections
from silkrail.traffic import Traffic, traffic_of

if TYPE_CHECKING:
    from silkrail.routing.router import Router

GAUGE_CLASSES = ("1000", "1435", "1520", "other")
"""The round-2 structure's speed classes (by gauge)."""


@dataclass
class Features:
    """One figure's route, broken into what the parameters act on."""

    figure: Figure
    traffic: Traffic
    error: str | None = None
    countries: list[str] = field(default_factory=list)
    run: dict[tuple[str, str], float] = field(default_factory=dict)  # (line class, railway) -> extract km
    run_time: dict[tuple[str, str, str], float] = field(default_factory=dict)
    """As ``run``, for running time, by (line class, railway, curated line id or ''): a passenger's
    km on a high-speed line weighted by the line's reference speed over its top speed."""
    run_gauge: dict[tuple[str, str], float] = field(default_factory=dict)  # (gauge class, railway) -> km
    other_km: float = 0.0  # sea and ferry km (no track factor)
    paced_km: float = 0.0  # extract km of lines run at their own published pace (fixed time)
    dwell: dict[str, int] = field(default_factory=dict)  # fitted dwell parameter -> crossings taking it
    changes: dict[str, int] = field(default_factory=dict)  # method parameter -> changes of gauge taking it
    ends: int = 0  # rail ends with terminal time (0 for a section or station-to-station figure)
    sea_km: float = 0.0
    fixed_h: float = 0.0  # time no free parameter touches
    fixed_var: float = 0.0  # its variance
    water_h: float = 0.0  # of which at sea, on ferries and in ports
    section_km: list[float] = field(default_factory=list)  # km per tariff area (extract km, prior track)
    fees_usd: float = 0.0  # per TEU
    sea_usd: float = 0.0  # per TEU at the newest rate
    n_crossings: int = 0  # border crossings passed (the baseline's border count)
    n_changes: int = 0

    @property
    def quantity(self) -> str:
        return self.figure.quantity

    @property
    def corridor(self) -> str:
        return self.figure.corridor

    @property
    def log_value(self) -> float:
        return math.log(self.figure.value)


def figure_traffic(f: Figure) -> Traffic:
    return traffic_of(f.traffic)


def route_figure(router: Router, f: Figure) -> tuple[object, np.ndarray] | str:
    """The route of a figure (its arcs), or why there is none."""
    from silkrail.routing.query import RouteQuery

    t = figure_traffic(f)
    surface = t.value if t is not Traffic.CONTAINER else "freight"
    try:
        q = RouteQuery(
            f.origin,
            f.destination,
            mode=f.mode,
            avoid=tuple(f.avoid),
            traffic=surface,  # type: ignore[arg-type]
            objective="time",  # the evidence's routes as before the generalised default
        )
        route = router.route_through(q, f.via)  # the figure's own crossings, where it names them
    except (NoRouteError, SilkrailError) as exc:
        return str(exc)
    return route, np.asarray(route.arcs, dtype=np.int64)


def figure_features(router: Router, f: Figure) -> Features:
    """Route ``f`` and read its parts off the route's arcs (see the module)."""
    t = figure_traffic(f)
    out = Features(f, t)
    found = route_figure(router, f)
    if isinstance(found, str):
        out.error = found
        return out
    route, arcs = found
    g = router.graph
    m = g.model
    net = g.net
    costs = g.costs_of(t)
    e = g.edge[arcs].astype(np.int64)
    chg = g.change[arcs].astype(bool)
    raw = net.km[e].astype(np.float64)
    cls = costs.run_class[e]
    rail = (cls >= 0) & (cls < CLASS_SEA)
    out.countries = list(route.countries)  # type: ignore[attr-defined]
    cc = net.country[net.u[e]]
    gauge = net.edge_gauge[e]
    run: dict[tuple[str, str], float] = defaultdict(float)
    run_time: dict[tuple[str, str, str], float] = defaultdict(float)
    record, line_ids = edge_line_record(net)
    rec = record[e]
    run_gauge: dict[tuple[str, str], float] = defaultdict(float)
    scale = high_speed_scale(net)[e]
    paced = costs.paced[e] if len(costs.paced) else np.zeros(len(e), bool)
    for i in np.flatnonzero(rail).tolist():
        code = net.countries[int(cc[i])]
        name = CLASS_NAMES[int(cls[i])]
        run[(name, code)] += float(raw[i])
        if paced[i]:  # a line's published pace: its time is fixed (below), its length is track
            out.paced_km += float(raw[i])
            continue
        line = line_ids[int(rec[i])] if rec[i] >= 0 else ""
        run_time[(name, code, line)] += float(raw[i]) / (float(scale[i]) if t is Traffic.PASSENGER else 1.0)
        run_gauge[(_gauge_class(int(gauge[i])), code)] += float(raw[i])
    out.run, out.run_time, out.run_gauge = dict(run), dict(run_time), dict(run_gauge)
    out.other_km = float(raw[(cls == CLASS_SEA) | (cls == CLASS_FERRY)].sum())
    out.sea_km = float(raw[cls == CLASS_SEA].sum())
    # time no parameter touches: sea sailing (without the port calls), ferries, ports; then
    # crossings with a published dwell, and changes of gauge with a published time
    run_h = costs.run_h[e]
    fixed = float(run_h[(cls == CLASS_SEA) | (cls == CLASS_FERRY)].sum())
    fixed += float(run_h[rail & paced].sum())  # a line's published pace, no parameter's
    fixed -= out.sea_km * m.params.sea_calls_h_per_1000km / 1000.0
    var = 0.0
    dwell: dict[str, int] = defaultdict(int)
    changes: dict[str, int] = defaultdict(int)
    for i in range(len(e)):
        ei = int(e[i])
        cid = int(net.crossing[ei])
        if cid >= 0:
            c = net.crossings[cid]
            d_comp, _ = costs.crossing_parts[cid]
            if c.kind == "border" and len(set(c.countries)) == 2:
                out.n_crossings += 1
            if d_comp.param and d_comp.param.endswith("dwell_h"):
                dwell[d_comp.param] += 1
            elif d_comp.param and d_comp.param.endswith("queue_h"):
                # a published processing time (fixed) and the fitted queue before it
                dwell[d_comp.param] += 1
                fixed += float(costs.fixed_time_h[ei]) - m.queue_of(d_comp, t)
                var += float(costs.fixed_var_h2[ei])
            else:
                fixed += float(costs.fixed_time_h[ei])
                var += float(costs.fixed_var_h2[ei])
            if chg[i]:
                out.n_changes += 1
                a_cc = net.country_code(int(g.state_node[g.src[arcs[i]]]))
                ch = m.gauge_change(c, t, a_cc)
                if ch.param:
                    changes[ch.param] += 1
                else:
                    fixed += float(costs.change_time_h[ei])
                    var += float(costs.change_var_h2[ei])
            continue
        if net.edge_kind[ei] in (EdgeKind.PORT_LINK, EdgeKind.FERRY):
            fixed += float(costs.fixed_time_h[ei])
            var += float(costs.fixed_var_h2[ei])
    out.dwell, out.changes = dict(dwell), dict(changes)
    out.fixed_h, out.fixed_var = fixed, var
    water = (cls == CLASS_SEA) | (cls == CLASS_FERRY) | (net.edge_kind[e] == EdgeKind.PORT_LINK)
    out.water_h = float(costs.time_h[e][water].sum())
    ends = int(bool(len(e) and rail[0])) + int(bool(len(e) and rail[-1]))
    out.ends = ends if f.terminals else 0
    # money (container tariffs), per TEU at the newest sea rate
    out.section_km = tariff_sections(costs, e, rail).tolist()
    pf = path_figures(g, arcs, 1.0, traffic=t)
    out.fees_usd = float(pf.fee_usd.sum())
    out.sea_usd = float(pf.line_usd[cls == CLASS_SEA].sum())
    return out


def _gauge_class(mask: int) -> str:
    """The round-2 speed class of an edge by its gauges (dual gauge counts as the wider)."""
    gauges = [mm for i, mm in enumerate(GAUGES_MM) if mask >> i & 1]
    if 1520 in gauges:
        return "1520"
    if 1435 in gauges:
        return "1435"
    if 1000 in gauges:
        return "1000"
    return "other"


__all__ = ["GAUGE_CLASSES", "Features", "figure_features", "figure_traffic", "route_figure"]

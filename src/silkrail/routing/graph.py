"""The routing graph: one state per (node, gauge), arcs for running, changing gauge and transfers.

A train on a given gauge can only continue on track of that gauge. Where the network marks
an edge as a gauge-change point (curated transshipment or bogie exchange, or a break of
gauge), arcs join the states of different gauges and carry the change's time and cost. Sea
and port nodes have a single state. A rail ferry joins the states of its gauge at its two
rail terminals: it belongs to rail corridors, so rail-only queries may use it. The graph is
symmetric, which lets the landmark tables serve both directions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from silkrail.network.model import GAUGES_MM, EdgeKind, Network, NodeKind, WaterKind
from silkrail.routing.costs import CostModel
from silkrail.routing.edge_costs import EdgeCosts, compute_edge_costs
from silkrail.settings import reference_year
from silkrail.traffic import Traffic

NO_GAUGE = len(GAUGES_MM)  # the state slot of sea and port nodes
MODE_RAIL, MODE_SEA, MODE_TRANSFER, MODE_FERRY = 0, 1, 2, 3
CLOSED_YEAR = 32767
OBJECTIVES = ("time", "cost", "co2")
LINE_ANY, LINE_FREIGHT, LINE_PASSENGER = 0, 1, 2
"""Which traffic a line carries (per arc): any, freight only, passengers only."""


def arc_weights(costs: EdgeCosts, edge: NDArray[np.int32], change: NDArray[np.bool_]) -> NDArray[np.float64]:
    """The (3, n_arcs) weights of arcs over ``edge``: time h, money and CO2, with the change of
    gauge on the arcs that change."""
    return np.vstack(
        [
            costs.time_h[edge] + np.where(change, costs.change_time_h[edge], 0.0),
            costs.cost_usd[edge] + np.where(change, costs.change_cost_usd[edge], 0.0),
            costs.co2_kg[edge],
        ]
    )


@dataclass(frozen=True)
class Constraints:
    """What a route may use: modes, the traffic type, countries and crossings to avoid, the
    network's year.

    ``modes="rail"`` keeps rail and rail ferries. A traffic type keeps the lines open to it
    (freight never uses a passenger-only line, passengers never a freight-only one) and
    passengers keep to rail and rail ferries. Inland waterways (rivers and canals between
    two seas) are not "sea": they are used only with ``inland_water``. Avoided countries ban
    every arc that touches them, by land or by their waters."""

    modes: str = "any"  # rail | sea | any
    traffic: Traffic = Traffic.CONTAINER  # passengers ride rail and ferries only, on lines open to them
    avoid_countries: frozenset[str] = frozenset()
    avoid_crossings: frozenset[int] = frozenset()
    avoid_passages: frozenset[str] = frozenset()
    year: int = field(default_factory=reference_year)  # default: the settings' 'today'
    open_lines: frozenset[int] = frozenset()  # curated lines open whatever their year
    closed_lines: frozenset[int] = frozenset()
    inland_water: bool = False


_Csr = tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.int64]]
"""(indptr, indices, arc ids) of the arcs some constraints allow."""


@dataclass
class StateGraph:
    net: Network
    model: CostModel
    state_node: NDArray[np.int32]
    state_slot: NDArray[np.int8]
    state_of: NDArray[np.int32]  # (n_nodes, NO_GAUGE + 1): -1 where the node has no such state
    src: NDArray[np.int32]
    dst: NDArray[np.int32]
    edge: NDArray[np.int32]
    change: NDArray[np.bool_]
    weights_container: NDArray[np.float64]  # (3, n_arcs): time h, cost USD, CO2 kg per TEU
    year: NDArray[np.int16]
    mode: NDArray[np.uint8]
    c_src: NDArray[np.uint8]
    c_dst: NDArray[np.uint8]
    crossing: NDArray[np.int32]
    passage: NDArray[np.uint8]
    w_country: NDArray[np.uint8]  # country whose waters a water arc uses; 0: none
    inland: NDArray[np.bool_]  # arc on an inland waterway
    costs_container: EdgeCosts
    line_traffic: NDArray[np.int8]  # per arc: 0 any traffic, 1 freight only, 2 passenger only
    _by_traffic: dict[Traffic, tuple[EdgeCosts, NDArray[np.float64]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _csr_cache: OrderedDict[Constraints, _Csr] = field(default_factory=OrderedDict, repr=False, compare=False)
    _csr_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def n_states(self) -> int:
        return len(self.state_node)

    @property
    def costs(self) -> EdgeCosts:
        """The edge costs of a container block train (the default traffic)."""
        return self.costs_container

    @property
    def weights(self) -> NDArray[np.float64]:
        """The arc weights (time h, US$, kg CO2 per TEU) of a container block train."""
        return self.weights_container

    def costs_of(self, traffic: Traffic) -> EdgeCosts:
        """The edge costs of one traffic type (computed on first use, then kept)."""
        return self._traffic_tables(traffic)[0]

    def weights_of(self, traffic: Traffic) -> NDArray[np.float64]:
        """The arc weights (3, n_arcs) of one traffic type: per TEU, or per passenger."""
        return self._traffic_tables(traffic)[1]

    def _traffic_tables(self, traffic: Traffic) -> tuple[EdgeCosts, NDArray[np.float64]]:
        t = Traffic(traffic)
        if t is Traffic.CONTAINER:
            return self.costs_container, self.weights_container
        with self._csr_lock:
            hit = self._by_traffic.get(t)
        if hit is not None:
            return hit
        costs = compute_edge_costs(self.net, self.model, t)
        out = (costs, arc_weights(costs, self.edge, self.change))
        with self._csr_lock:
            self._by_traffic[t] = out
        return out

    def states_of_node(self, node: int) -> NDArray[np.int32]:
        s = self.state_of[node]
        return s[s >= 0]

    def touches(self, codes: frozenset[str] | set[str]) -> NDArray[np.bool_]:
        """Arcs that touch one of the countries ``codes``: at either end, or by their waters."""
        bad = [i for i, code in enumerate(self.net.countries) if code and code in codes]
        if not bad:
            return np.zeros(len(self.src), bool)
        return np.isin(self.c_src, bad) | np.isin(self.c_dst, bad) | np.isin(self.w_country, bad)

    def csr(self, c: Constraints) -> _Csr:
        """(indptr, indices, arc ids) of the arcs allowed by ``c``; cached per constraints (the
        cache is shared by the threads of a service, hence the lock)."""
        with self._csr_lock:
            hit = self._csr_cache.get(c)
            if hit is not None:
                self._csr_cache.move_to_end(c)
                return hit
        out = self._compute_csr(c)
        with self._csr_lock:
            self._csr_cache[c] = out
            if len(self._csr_cache) > 8:
                self._csr_cache.popitem(last=False)
        return out

    def _compute_csr(self, c: Constraints) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.int64]]:
        ok = self.year <= c.year
        if c.open_lines or c.closed_lines:
            arc_line = self.net.line[self.edge]
            if c.open_lines:
                ok |= np.isin(arc_line, list(c.open_lines)) & (self.year < CLOSED_YEAR)
            if c.closed_lines:
                ok &= ~np.isin(arc_line, list(c.closed_lines))
        if c.modes == "rail" or c.traffic is Traffic.PASSENGER:
            ok &= (self.mode == MODE_RAIL) | (self.mode == MODE_FERRY)
        if c.traffic is Traffic.PASSENGER:
            ok &= self.line_traffic != LINE_FREIGHT
        else:
            ok &= self.line_traffic != LINE_PASSENGER
        if not c.inland_water:
            ok &= ~self.inland
        if c.avoid_countries:
            ok &= ~self.touches(c.avoid_countries)
        if c.avoid_crossings:
            ok &= ~np.isin(self.crossing, list(c.avoid_crossings))
        if c.avoid_passages:
            bad_p = [i for i, p in enumerate(self.net.passages) if p in c.avoid_passages]
            ok &= ~np.isin(self.passage, bad_p)
        arcs = np.flatnonzero(ok)
        arcs = arcs[np.argsort(self.src[arcs], kind="stable")]
        counts = np.bincount(self.src[arcs], minlength=self.n_states)
        indptr = np.r_[0, np.cumsum(counts)].astype(np.int64)
        return indptr, self.dst[arcs].astype(np.int32), arcs.astype(np.int64)


def build_state_graph(net: Network, model: CostModel | None = None) -> StateGraph:
    model = model or CostModel.from_network(net)
    costs: EdgeCosts = compute_edge_costs(net, model, Traffic.CONTAINER)
    n = net.n_nodes
    has = np.zeros((n, NO_GAUGE + 1), bool)
    rail = net.node_kind == NodeKind.RAIL
    for b in range(NO_GAUGE):
        has[:, b] = rail & ((net.gauge >> b) & 1).astype(bool)
    has[:, NO_GAUGE] = ~rail | (rail & (net.gauge == 0))
    state_of = np.full(has.shape, -1, dtype=np.int32)
    flat = np.flatnonzero(has.ravel())
    state_of.ravel()[flat] = np.arange(len(flat), dtype=np.int32)
    state_node = (flat // (NO_GAUGE + 1)).astype(np.int32)
    state_slot = (flat % (NO_GAUGE + 1)).astype(np.int8)

    # (source states, destination states, edges, whether the arcs change gauge)
    parts: list[tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.intp], bool]] = []
    u, v, kind = net.u.astype(np.int64), net.v.astype(np.int64), net.edge_kind
    rail_e = (kind == EdgeKind.RAIL) | (kind == EdgeKind.BORDER)
    for b in range(NO_GAUGE):
        e = np.flatnonzero(rail_e & ((net.edge_gauge >> b) & 1).astype(bool))
        e = e[(state_of[u[e], b] >= 0) & (state_of[v[e], b] >= 0)]
        parts.append((state_of[u[e], b], state_of[v[e], b], e, False))
    chg = np.flatnonzero(rail_e & net.change)
    for b1 in range(NO_GAUGE):
        for b2 in range(NO_GAUGE):
            if b1 == b2:
                continue
            e = chg[(state_of[u[chg], b1] >= 0) & (state_of[v[chg], b2] >= 0)]
            if len(e):
                parts.append((state_of[u[e], b1], state_of[v[e], b2], e, True))
    ferry = np.flatnonzero(kind == EdgeKind.FERRY)
    for b in range(NO_GAUGE):
        e = ferry[((net.edge_gauge[ferry] >> b) & 1).astype(bool)]
        e = e[(state_of[u[e], b] >= 0) & (state_of[v[e], b] >= 0)]
        parts.append((state_of[u[e], b], state_of[v[e], b], e, False))
    single = np.flatnonzero(np.isin(kind, [EdgeKind.SEA, EdgeKind.SEA_ACCESS]))
    parts.append((state_of[u[single], NO_GAUGE], state_of[v[single], NO_GAUGE], single, False))
    link = np.flatnonzero(kind == EdgeKind.PORT_LINK)
    for b in range(NO_GAUGE + 1):
        # a port link joins the port (one state) to each gauge state of its rail terminal
        a_node = np.where(net.node_kind[u[link]] == NodeKind.RAIL, u[link], v[link])
        p_node = np.where(net.node_kind[u[link]] == NodeKind.RAIL, v[link], u[link])
        ok = state_of[a_node, b] >= 0
        parts.append((state_of[a_node[ok], b], state_of[p_node[ok], NO_GAUGE], link[ok], False))
    src = np.concatenate([p[0] for p in parts] + [p[1] for p in parts]).astype(np.int32)
    dst = np.concatenate([p[1] for p in parts] + [p[0] for p in parts]).astype(np.int32)
    edge = np.concatenate([p[2] for p in parts] * 2).astype(np.int32)
    change = np.concatenate([np.full(len(p[2]), p[3]) for p in parts] * 2)
    weights = arc_weights(costs, edge, change)
    year = net.year_open[edge].astype(np.int16)
    crossing = net.crossing[edge].astype(np.int32)
    for i, c in enumerate(net.crossings):
        if c.status == "closed":
            year[crossing == i] = CLOSED_YEAR
        elif c.status == "planned" and c.opening_year:
            year[crossing == i] = np.maximum(year[crossing == i], c.opening_year)
    line_traffic = np.full(len(edge), LINE_ANY, np.int8)
    for i, ln in enumerate(net.lines):
        if ln.traffic in ("freight", "passenger"):
            line_traffic[net.line[edge] == i] = LINE_FREIGHT if ln.traffic == "freight" else LINE_PASSENGER
    mode = np.select(
        [rail_e[edge], kind[edge] == EdgeKind.PORT_LINK, kind[edge] == EdgeKind.FERRY],
        [MODE_RAIL, MODE_TRANSFER, MODE_FERRY],
        MODE_SEA,
    )
    return StateGraph(
        net=net,
        model=model,
        state_node=state_node,
        state_slot=state_slot,
        state_of=state_of,
        src=src,
        dst=dst,
        edge=edge,
        change=change,
        weights_container=weights,
        year=year,
        mode=mode.astype(np.uint8),
        c_src=net.country[state_node[src]],
        c_dst=net.country[state_node[dst]],
        crossing=crossing,
        passage=net.passage[edge],
        w_country=net.water_country[edge],
        inland=(kind[edge] == EdgeKind.SEA) & (net.water[edge] == WaterKind.INLAND),
        costs_container=costs,
        line_traffic=line_traffic,
    )

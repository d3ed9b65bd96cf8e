"""What a routing query asks for, checked once: objective, mode, constraints, cargo, dates, ends.

Every front end (the Python facade, the command line, the service) builds its :class:`Query`
here, so a bad value gets the same sentence wherever it comes from. The end states of a place
(where on the state graph a route may start or end) are part of the query too: they depend on
the mode asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from silkrail.errors import DataError, NoRouteError
from silkrail.network.model import GAUGES_MM, MAX_YEAR, EdgeKind, Network, NodeKind
from silkrail.routing.costs import CostModel
from silkrail.routing.graph import OBJECTIVES, Constraints, StateGraph
from silkrail.routing.places import Place, check_mode_access
from silkrail.traffic import Traffic, traffic_of

ICEBOUND_PASSAGES = ("northwest", "bering")
"""Passages closed by ice most of the year (the Northwest Passage, and the Bering Strait that
leads to the Northern Sea Route): avoided unless a query names its own ``avoid_passages``."""
MODES = ("rail", "sea", "any")


@dataclass(frozen=True)
class Query:
    """A checked query: the objective's name and its weights over (time, cost, co2) per TEU,
    the constraints of the search, the cargo and the date rates are taken at."""

    objective: str
    coef: tuple[float, float, float]
    constraints: Constraints
    teu: float
    mode: str = "any"  # rail | sea | any: which access points of a place a route may use
    as_of: str | None = None  # the date rates are taken at (sea rates by lane)

    @property
    def traffic(self) -> Traffic:
        """The traffic type the route is priced for (its constraints carry it)."""
        return self.constraints.traffic


def objective_weights(objective: str | Mapping[str, float]) -> tuple[str, tuple[float, float, float]]:
    """The objective's name and its weights over (time, cost, co2): one objective by name, or
    non-negative weights of several."""
    if isinstance(objective, str):
        if objective not in OBJECTIVES:
            raise DataError(
                f"'{objective}' is not an objective; use one of time, cost, co2", field="optimize"
            )
        coef = tuple(1.0 if o == objective else 0.0 for o in OBJECTIVES)
        return objective, (coef[0], coef[1], coef[2])
    unknown = set(objective) - set(OBJECTIVES)
    if unknown or not objective or any(v < 0 for v in objective.values()) or not any(objective.values()):
        raise DataError(
            "weights need non-negative values for time, cost and/or co2, not all zero", field="optimize"
        )
    coef = tuple(float(objective.get(o, 0.0)) for o in OBJECTIVES)
    name = "+".join(f"{objective[o]:g}*{o}" for o in OBJECTIVES if objective.get(o))
    return name, (coef[0], coef[1], coef[2])


def check_query(
    net: Network,
    *,
    objective: str | Mapping[str, float],
    mode: str,
    avoid: Iterable[str],
    year: int | None,
    teu: float,
    avoid_passages: Iterable[str] = ICEBOUND_PASSAGES,
    as_of: str | None = None,
    inland_water: bool = False,
    traffic: str | Traffic | None = None,
) -> Query:
    """The query of these options on ``net``, or a :class:`DataError` naming the bad field.
    ``traffic``: passenger, container or wagonload (``freight`` and ``any`` mean a container
    block train; None the same)."""
    name, coef = objective_weights(objective)
    kind = traffic_of(traffic)
    if kind is Traffic.PASSENGER and mode == "sea":
        raise DataError(
            "passengers travel by rail here; use --mode rail or any with --traffic passenger", field="mode"
        )
    if mode not in MODES:
        raise DataError(f"'{mode}' is not a mode; use rail, sea or any", field="mode")
    if not (teu > 0) or teu > 1e6:
        raise DataError(f"cargo must be a positive number of TEU (got {teu})", field="teu")
    y = net.current_year() if year is None else int(year)
    if net.clamp_year(y) != y:
        raise DataError(
            f"year {y} is outside the network's span: the rail data describes {net.base_year}, and "
            f"planned lines open up to {MAX_YEAR}; give a year from {net.base_year} to {MAX_YEAR}",
            field="year",
        )
    return Query(
        name,
        coef,
        Constraints(
            modes="rail" if mode == "rail" else "any",
            traffic=kind,
            avoid_countries=check_countries(avoid),
            avoid_passages=frozenset(avoid_passages),
            year=y,
            inland_water=bool(inland_water),
        ),
        float(teu),
        mode,
        check_as_of(net, as_of),
    )


def check_countries(avoid: Iterable[str]) -> frozenset[str]:
    """ISO codes to avoid, from items that may each hold several separated by commas."""
    codes = set()
    for raw in avoid:
        for code in str(raw).split(","):
            code = code.strip().upper()
            if not code:
                continue
            from silkrail.network.curated import known_country_codes  # the schema, only when asked

            if code not in known_country_codes():
                raise DataError(
                    f"'{code}' is not an ISO 3166-1 alpha-2 country code (for example MN, KZ, RU)",
                    field="avoid",
                )
            codes.add(code)
    return frozenset(codes)


def check_as_of(net: Network, as_of: object) -> str | None:
    """A date (YYYY-MM-DD) the cost model has rates for, or None for the newest."""
    if as_of is None or as_of == "":
        return None
    text = str(as_of)[:10]
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise DataError(f"'{as_of}' is not a date; write YYYY-MM-DD", field="as_of") from None
    CostModel.from_network(net).sea_rate_entry(text)
    return text


def check_ends(o: Place, d: Place, q: Query, rail_linked_ports: frozenset[int]) -> None:
    """Two different places, each reachable in the query's mode and outside avoided countries."""
    if o == d or set(o.nodes_for(q.mode)) & set(d.nodes_for(q.mode)):
        raise DataError(
            f"origin and destination are the same place ({o.name}); name two different places",
            field="destination",
        )
    for p, role in ((o, "origin"), (d, "destination")):
        check_mode_access(p, q.mode, rail_linked_ports)
        if p.country in q.constraints.avoid_countries:
            raise NoRouteError(
                f"the {role} {p.name} is in {p.country}, which the route is asked to avoid; "
                "drop it from --avoid or name a place elsewhere"
            )


def rail_linked_ports(net: Network) -> frozenset[int]:
    """Port nodes with a rail link (a port transfer to a rail terminal)."""
    link = np.flatnonzero(net.edge_kind == EdgeKind.PORT_LINK)
    ends = np.r_[net.u[link], net.v[link]].astype(np.int64)
    return frozenset(ends[net.node_kind[ends] == NodeKind.PORT].tolist())


def end_states(g: StateGraph, p: Place, mode: str = "any") -> NDArray[np.int64]:
    """The states a route of ``mode`` may start or end in: those of the place's access
    points for that mode; at a node served by several gauges (a dual-gauge station), the
    national gauge of its country, on which cargo is loaded."""
    out = [node_states(g, n) for n in p.nodes_for(mode)]
    return np.unique(np.concatenate(out)) if len(out) > 1 else out[0]


def node_states(g: StateGraph, node: int) -> NDArray[np.int64]:
    """The states a route starts or ends in at ``node`` (see :func:`end_states`)."""
    net = g.net
    states = g.states_of_node(node)
    if len(states) > 1:
        national = net.meta.get("gauge_by_country", {}).get(net.country_code(node))
        if national in GAUGES_MM:
            wanted = states[g.state_slot[states] == GAUGES_MM.index(national)]
            if len(wanted):
                return wanted.astype(np.int64)
    return states.astype(np.int64)

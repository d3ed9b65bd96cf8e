"""The one place the analysis reads network records (crossings, lines, ports, ferries, passages)
and the internals of a route (its edges), so that a change of their form touches this file only.

"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from silkrail.routing.results import Leg, Route

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.routing.router import Router


@dataclass(frozen=True)
class CrossingInfo:
    index: int
    id: str
    name: str
    kind: str  # border | gauge_change
    method: str | None
    curated: bool
    countries: tuple[str, ...]


def crossing(net: Network, index: int) -> CrossingInfo:
    c = net.crossings[index]
    return CrossingInfo(
        index,
        c.id,
        c.name,
        c.kind,
        c.method,
        c.curated,
        tuple(c.countries),
    )


def crossings(net: Network) -> list[CrossingInfo]:
    return [crossing(net, i) for i in range(len(net.crossings))]


def line_id(net: Network, index: int) -> str:
    return net.lines[index].id


def line_name(net: Network, index: int) -> str:
    return net.lines[index].name


def line_ids(net: Network) -> list[str]:
    return [line_id(net, i) for i in range(len(net.lines))]


def port_code(net: Network, index: int) -> str:
    p = net.ports[index]
    return p.locode or p.name


def port_name(net: Network, index: int) -> str:
    return net.ports[index].name


def ferry_id(net: Network, index: int) -> str:
    f = net.ferries[index]
    return f.id or f.name


def ferry_name(net: Network, index: int) -> str:
    return net.ferries[index].name


def edge_ferry(net: Network, edge: int) -> str:
    """The id of the ferry a ferry edge sails on (a ferry edge's port index is its ferry's)."""
    return ferry_id(net, int(net.port[edge]))


@dataclass(frozen=True)
class LegTrack:
    """The edges of one leg in travel order, with the node each is entered at."""

    edges: NDArray[np.int64]
    from_nodes: NDArray[np.int64]


def leg_track(leg: Leg) -> LegTrack | None:
    """The edges a leg runs over, or None where the leg carries no track."""
    if len(leg.edges) == 0:
        return None
    return LegTrack(np.asarray(leg.edges, dtype=np.int64), np.asarray(leg.nodes[:-1], dtype=np.int64))


def route_edges(router: Router, route: Route) -> NDArray[np.int64]:
    """Every network edge of a route (moving and transfer edges), in order."""
    return np.asarray(router.graph.edge[np.asarray(route.arcs, dtype=np.int64)], dtype=np.int64)


def node_name(router: Router, node: int) -> str:
    """A readable name for a network node: its own name, else the nearest city's."""
    name = router.net.names.get(node)
    if name:
        return str(name)
    return str(router.places.node_name(node))


def edge_crossing(net: Network, edge: int) -> int:
    """The crossing an edge belongs to (index), or -1."""
    return int(net.crossing[edge])


def edge_lines(net: Network, edges: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.asarray(net.line[edges], dtype=np.int64)


def edge_gauges(net: Network, edge: int) -> list[int]:
    """The gauges (mm) a train can use on an edge without changing."""
    from silkrail.network.model import gauges_of

    return gauges_of(int(net.edge_gauge[edge]))


def node_country(net: Network, node: int) -> str:
    return str(net.country_code(node))


def node_coords(net: Network, nodes: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return np.asarray(net.lat[nodes], dtype=np.float64), np.asarray(net.lon[nodes], dtype=np.float64)


def edge_km(net: Network, edges: NDArray[np.int64]) -> NDArray[np.float64]:
    return np.asarray(net.km[edges], dtype=np.float64)


def edge_ends(net: Network, edges: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    return np.asarray(net.u[edges], dtype=np.int64), np.asarray(net.v[edges], dtype=np.int64)


def water_countries(net: Network, edges: NDArray[np.int64]) -> list[str]:
    """Per water edge, the country whose waters it uses ('' for open sea)."""
    return [net.countries[int(c)] for c in np.asarray(net.water_country[edges]).tolist()]


def crossing_index(net: Network) -> dict[str, int]:
    """Crossing ids to their indices."""
    return {c.id: i for i, c in enumerate(net.crossings)}


@dataclass(frozen=True)
class PlannedLink:
    """A line or crossing a route uses that opens after a given year (a planned link)."""

    kind: str  # line | crossing
    id: str
    name: str
    opens: int
    status: str
    cost_usd: float | None
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "opens": self.opens,
            "status": self.status,
            "cost_usd": self.cost_usd,
            "source": list(self.sources),
        }


def planned_on_route(router: Router, route: Route, after: int) -> list[PlannedLink]:
    """The planned lines and crossings ``route`` uses that open after the year ``after``, in
    the order the route meets them (a link of a line and its border crossing both count)."""
    from silkrail.routing.graph import CLOSED_YEAR

    net, g = router.net, router.graph
    arcs = np.asarray(route.arcs, dtype=np.int64)
    out: dict[tuple[str, str], PlannedLink] = {}
    for a in arcs[(g.year[arcs] > after) & (g.year[arcs] < CLOSED_YEAR)].tolist():
        edge, opens = int(g.edge[a]), int(g.year[a])
        line, cross = int(net.line[edge]), int(net.crossing[edge])
        if line >= 0:
            ln = net.lines[line]
            cost = ln.cost_usd
            key, link = (
                ("line", ln.id),
                PlannedLink("line", ln.id, ln.name, int(ln.opening_year), ln.status, cost, tuple(ln.source)),
            )
        elif cross >= 0:
            c = net.crossings[cross]
            key, link = (
                ("crossing", c.id),
                PlannedLink(
                    "crossing", c.id, c.name, int(c.opening_year or opens), c.status, None, tuple(c.source)
                ),
            )
        else:
            continue  # a junction of a planned line: the line itself is listed
        out.setdefault(key, link)
    return list(out.values())

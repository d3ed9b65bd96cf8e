"""Access points: where a place is entered by each mode (its rail station or track, its port).

A place is where the user means (the city, with its own coordinates), not the track: each place
has an access point per mode, its rail terminal or station for rail (a curated freight terminal
where one is known, else a named station or the nearest track of a main network within
``RAIL_ACCESS_KM``) and its port for sea (a port of the maritime network within
``PORT_ACCESS_KM``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from silkrail.network.geo import Snapper, haversine_km
from silkrail.network.model import EdgeKind, Network, NodeKind
from silkrail.routing.json_types import JsonObject

RAIL_ACCESS_KM = 30.0
"""A city's rail access is track of a main network within this distance of its centre."""
MAX_CITY_SNAP_KM = 100.0
"""Beyond this, a place is too far from any railway of the network to start a route."""
PORT_ACCESS_KM = 50.0
"""A city's port for sea legs: a port of the maritime network within this distance."""
MAIN_NETWORK_KM = 300.0
"""Track of a connected piece at least this long counts as a main network (not a fragment)."""
NAMED_ACCESS_KM = 10.0
"""A named station this close to a place is its rail access, before any nearer unnamed track."""
REPORT_ACCESS_KM = 3.0
"""The distance from a place to its access point is reported when it is more than this."""


@dataclass(frozen=True)
class Access:
    """Where a place is entered by one mode: a network node, its name and how far it lies."""

    mode: str  # rail | sea
    node: int
    name: str
    km: float

    def to_dict(self) -> JsonObject:
        return {"mode": self.mode, "name": self.name, "km": round(self.km, 1)}


BulkAccess = tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]
"""Rail node, its km, port node, its km of many points (node -1 where there is none)."""


class AccessPoints:
    """The network's track and ports around a point, by the rules of access: the snapping
    structures of one network (and year), built when first needed."""

    def __init__(self, net: Network, year: int) -> None:
        self.net = net
        self.year = year

    @cached_property
    def rail_nodes(self) -> NDArray[np.intp]:
        return self.net.open_rail_nodes(self.year)

    @cached_property
    def rail_snapper(self) -> Snapper:
        rail = self.rail_nodes
        return Snapper(self.net.lat[rail], self.net.lon[rail], ids=rail)

    @cached_property
    def main_network(self) -> NDArray[np.bool_]:
        """Per node: on a connected piece of track at least MAIN_NETWORK_KM long (border and
        gauge-change track included), so that a city is not served by a stray fragment."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        net = self.net
        ok = ((net.edge_kind == EdgeKind.RAIL) | (net.edge_kind == EdgeKind.BORDER)) & (
            net.year_open <= self.year
        )
        u, v = net.u[ok], net.v[ok]
        n = net.n_nodes
        graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
        _, label = connected_components(graph, directed=False)
        km = np.bincount(label[u], weights=net.km[ok].astype(np.float64), minlength=label.max() + 1)
        return np.asarray(km[label] >= MAIN_NETWORK_KM)

    @cached_property
    def port_nodes(self) -> NDArray[np.intp]:
        """Ports with an edge: an inland port of the port list (no sea access, no rail link) is
        no access point."""
        net = self.net
        linked = np.zeros(len(net.node_kind), dtype=bool)
        linked[net.u] = linked[net.v] = True
        return np.flatnonzero((net.node_kind == NodeKind.PORT) & linked)

    @cached_property
    def port_snapper(self) -> Snapper | None:
        ports = self.port_nodes
        return Snapper(self.net.lat[ports], self.net.lon[ports], ids=ports) if len(ports) else None

    @cached_property
    def port_terminals(self) -> dict[int, int]:
        """Port node -> the rail node its rail link (port transfer) leads to."""
        net = self.net
        out: dict[int, int] = {}
        for e in np.flatnonzero(net.edge_kind == EdgeKind.PORT_LINK).tolist():
            a, b = int(net.u[e]), int(net.v[e])
            if net.node_kind[a] == NodeKind.PORT:
                a, b = b, a
            out.setdefault(b, a)
        return out

    @cached_property
    def main_snapper(self) -> Snapper | None:
        nodes = self.rail_nodes[self.main_network[self.rail_nodes]]
        return Snapper(self.net.lat[nodes], self.net.lon[nodes], ids=nodes) if len(nodes) else None

    @cached_property
    def named_main(self) -> Snapper | None:
        """Named stations on a main network."""
        net = self.net
        nodes = np.array(
            [n for n in net.names if net.node_kind[n] == NodeKind.RAIL and self.main_network[n]],
            dtype=np.intp,
        )
        return Snapper(net.lat[nodes], net.lon[nodes], ids=nodes) if len(nodes) else None

    @cached_property
    def _named_main_nodes(self) -> NDArray[np.intp]:
        net = self.net
        return np.array(
            [n for n in net.names if net.node_kind[n] == NodeKind.RAIL and self.main_network[n]],
            dtype=np.intp,
        )

    def stations_near(self, lat: float, lon: float, km: float) -> list[Access]:
        """The named stations of a main network within ``km`` of a point, nearest first."""
        nodes = self._named_main_nodes
        if not len(nodes):
            return []
        d = haversine_km(lat, lon, self.net.lat[nodes], self.net.lon[nodes])
        idx = np.flatnonzero(d <= km)
        return [
            Access("rail", int(nodes[i]), self.net.names[int(nodes[i])], float(d[i]))
            for i in idx[np.argsort(d[idx])].tolist()
        ]

    @cached_property
    def _main_by_gauge(self) -> dict[int, Snapper]:
        """Per gauge bit, a snapper over the nodes of connected pieces of that gauge's track at
        least MAIN_NETWORK_KM long (a stub of another gauge at a station is not a line of it)."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        net = self.net
        track = ((net.edge_kind == EdgeKind.RAIL) | (net.edge_kind == EdgeKind.BORDER)) & ~net.change
        track &= net.year_open <= self.year
        n = net.n_nodes
        out = {}
        for bit in range(8):
            mine = track & (((net.edge_gauge.astype(np.int64) >> bit) & 1) == 1)
            if not mine.any():
                continue
            u, v = net.u[mine], net.v[mine]
            graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
            _, label = connected_components(graph, directed=False)
            km = np.bincount(label[u], weights=net.km[mine].astype(np.float64), minlength=label.max() + 1)
            on = np.zeros(n, bool)
            on[u] = on[v] = True
            nodes = np.flatnonzero(on & (km[label] >= MAIN_NETWORK_KM))
            if len(nodes):
                out[bit] = Snapper(net.lat[nodes], net.lon[nodes], ids=nodes)
        return out

    def track_by_gauge(self, lat: float, lon: float, km: float) -> list[Access]:
        """The nearest main-network track of each gauge within ``km`` of a point (one city may be
        served by lines of two gauges), nearest first."""
        out: dict[int, Access] = {}
        for snapper in self._main_by_gauge.values():
            node, d = snapper.nearest(lat, lon)
            n, k = int(np.ravel(node)[0]), float(np.ravel(d)[0])
            if k <= km and n not in out:
                out[n] = Access("rail", n, self.net.names.get(n, ""), k)
        return sorted(out.values(), key=lambda a: a.km)

    # -- access points ---------------------------------------------------------------------

    def bulk_access(self, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> BulkAccess:
        """Rail and port access of many points at once, by the rules of :meth:`rail_access`
        and :meth:`port_access`: (rail node, km, port node, km), node -1 where there is none."""
        n = len(lat)
        r_node, r_km = np.full(n, -1, np.int64), np.zeros(n)
        todo = np.ones(n, bool)
        for snapper, limit in (
            (self.named_main, NAMED_ACCESS_KM),
            (self.main_snapper, RAIL_ACCESS_KM),
            (self.rail_snapper, MAX_CITY_SNAP_KM),
        ):
            if snapper is None or not todo.any() or not n:
                continue
            idx = np.flatnonzero(todo)
            node, km = snapper.nearest(lat[idx], lon[idx])
            node, km = np.ravel(node), np.ravel(km)
            ok = km <= limit
            r_node[idx[ok]], r_km[idx[ok]] = node[ok], km[ok]
            todo[idx[ok]] = False
        p_node, p_km = np.full(n, -1, np.int64), np.zeros(n)
        if self.port_snapper is not None and n:
            node, km = self.port_snapper.nearest(lat, lon)
            node, km = np.ravel(node), np.ravel(km)
            ok = km <= PORT_ACCESS_KM
            p_node[ok], p_km[ok] = node[ok], km[ok]
        return r_node, r_km, p_node, p_km

    def rail_access(self, lat: float, lon: float, label: str) -> Access | None:
        """The track a place is entered at by rail: a named station of a main network within
        10 km, else the nearest track of a main network within RAIL_ACCESS_KM, else the
        nearest track within MAX_CITY_SNAP_KM; None beyond that. (``label`` names the place in
        nothing but errors.)"""
        for snapper, limit in ((self.named_main, NAMED_ACCESS_KM), (self.main_snapper, RAIL_ACCESS_KM)):
            if snapper is not None:
                node, km = snapper.nearest(lat, lon)
                n, k = int(np.ravel(node)[0]), float(np.ravel(km)[0])
                if k <= limit:
                    return Access("rail", n, self.net.names.get(n, ""), k)
        node, km = self.rail_snapper.nearest(lat, lon)
        n, k = int(np.ravel(node)[0]), float(np.ravel(km)[0])
        if k > MAX_CITY_SNAP_KM:
            return None
        return Access("rail", n, self.net.names.get(n, ""), k)  # named when reported

    def port_access(self, lat: float, lon: float) -> Access | None:
        """The port of the maritime network nearest a place, within PORT_ACCESS_KM (a direct
        scan of the few thousand ports: cheaper for one place than a tree, and it keeps a
        one-route process from loading the spatial library)."""
        ports = self.port_nodes
        if not len(ports):
            return None
        km = haversine_km(lat, lon, self.net.lat[ports], self.net.lon[ports])
        i = int(np.argmin(km))
        n, k = int(ports[i]), float(km[i])
        if k > PORT_ACCESS_KM:
            return None
        return Access("sea", n, self.net.names.get(n, "port"), k)

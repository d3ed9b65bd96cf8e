"""Place names to where a route can start: names in any script, access points per mode.

A name is looked up, in this order, among the curated places (``places.yaml``), the named
stations and crossings of the network, the cities of a real gazetteer (GeoNames, packaged in
data/sources/, with every alternate name it lists: Latin with and without diacritics, Cyrillic,
Chinese, Vietnamese, old names and exonyms) and the network's ports. Names are folded the same
way in every script (case, diacritics, punctuation); a name that still matches nothing is
transliterated to Latin (anyascii) and tried again, so ``Алматы``, ``Ташкент`` or ``乌鲁木齐``
find the cities GeoNames lists as Almaty, Tashkent and Urumqi.

A place is where the user means (the city, with its own coordinates), not the track: each place
has an access point per mode, its rail terminal or station for rail (a curated freight terminal
where one is known, else a named station or the nearest track of a main network within
``RAIL_ACCESS_KM``) and its port for sea (a port of the maritime network within
``PORT_ACCESS_KM``). A UN/LOCODE or "port of X" means the port itself.

The gazetteer's alternate-name index (about 600,000 names) is built once into a SQLite file
beside the network and then queried by key, so a lookup costs microseconds and nothing is
loaded that a query does not need.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import re
import sqlite3
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from silkrail import cache
from silkrail.errors import DataError, UnknownPlaceError
from silkrail.network import geonames
from silkrail.network.geo import Snapper, haversine_km
from silkrail.network.model import EdgeKind, Network, NodeKind
from silkrail.network.records import NetworkPlace

_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
_LOCODE = re.compile(r"^[A-Z]{2} ?[A-Z0-9]{3}$")
_PORT_OF = re.compile(r"^\s*(?:port\s+of|port)\s+(.+)$", re.IGNORECASE)
_QUALIFIED = re.compile(r"^(.+?)\s*,\s*([^,]+)$")
_FOLD = str.maketrans(
    {
        "đ": "d",
        "Đ": "d",
        "ı": "i",
        "ø": "o",
        "ł": "l",
        "Ł": "l",
        "ß": "ss",
        "ʻ": "",
        "’": "",
        "'": "",
        "`": "",
    }
)
_CJK_NAME_SUFFIXES = ("市", "站", "县", "區", "区")

GAZETTEER_MIN_POPULATION = 5000
"""Smallest GeoNames city indexed (the packaged extract holds cities of 5,000 people or more)."""
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
ALSO_MIN_POPULATION = 50_000
"""Other places of the same name this large are named in the answer, with how to choose them."""
_INDEX_VERSION = "5"
NEAR_MIN_POPULATION = 15_000
"""Points on a route without a name of their own are named after the nearest city this large."""


def _cell(i: int, j: int) -> int:
    """The id of the half-degree cell whose south-west corner is latitude ``i / 2``, longitude
    ``j / 2``."""
    return (i + 180) * 800 + (j + 400)


MAX_NAME_CHARS = 200
RESOLVED_CACHE = 4096
"""Resolved names kept per gazetteer (oldest dropped first)."""


def normalise(name: str) -> str:
    """One key for every spelling of a name in any script: case, diacritics and punctuation
    folded, letters of every script kept ('Hà Nội' -> 'ha noi', 'Алма-Ата' -> 'алма ата')."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).translate(_FOLD))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        out.append(ch if cat[0] in "LN" else " ")
    return " ".join("".join(out).split())


def transliterate(name: str) -> str:
    """The Latin key of a name in another script ('Ташкент' -> 'tashkent', '北京' -> 'bei jing'
    and 'beijing' are both tried by :meth:`Gazetteer.resolve`)."""
    from anyascii import anyascii

    return normalise(anyascii(name))


def _cjk_variants(key: str) -> list[str]:
    """'北京市' is also '北京'; '乌鲁木齐站' also '乌鲁木齐'."""
    return [key[: -len(s)] for s in _CJK_NAME_SUFFIXES if key.endswith(s) and len(key) > len(s) + 1]


@dataclass(frozen=True)
class Access:
    """Where a place is entered by one mode: a network node, its name and how far it lies."""

    mode: str  # rail | sea
    node: int
    name: str
    km: float

    def to_dict(self) -> dict[str, object]:
        return {"mode": self.mode, "name": self.name, "km": round(self.km, 1)}


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


@dataclass(frozen=True)
class _City:
    name: str
    lat: float
    lon: float
    country: str
    population: int
    primary: bool  # matched by its main name, not an alternate one
    rail_node: int = -1  # access points, chosen once when the index is built (-1: none)
    rail_km: float = 0.0
    port_node: int = -1
    port_km: float = 0.0


AccessFn = Callable[[NDArray[np.float64], NDArray[np.float64]], tuple[NDArray[Any], ...]]


class _CityIndex:
    """GeoNames cities by every alternate-name key, in a SQLite file (or in memory)."""

    def __init__(
        self,
        path: Path | None,
        countries: frozenset[str],
        access: AccessFn,
        named: Callable[[], list[tuple[str, int, bool]]],
    ) -> None:
        self.path = path
        self.countries = countries
        self.access = access  # (lat, lon) arrays -> rail node, rail km, port node, port km arrays
        self.named_keys = named  # the network's named stations and ports, by key
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self.path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            self._fill(conn)
        else:
            if not self.path.is_file():
                with cache.locked(self.path):  # one process builds it; the others wait and read it
                    if not self.path.is_file():
                        self._build_file(self.path)
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        self._local.conn = conn
        return conn

    def _build_file(self, path: Path) -> None:
        """Write the index to a temporary file of this process, then rename it into place, so
        a reader never opens a half-written index."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            conn = sqlite3.connect(tmp)
            self._fill(conn)
            conn.close()
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _fill(self, conn: sqlite3.Connection) -> None:
        cities = geonames.cities(GAZETTEER_MIN_POPULATION)
        conn.execute(
            "CREATE TABLE city (id INTEGER PRIMARY KEY, name TEXT, lat REAL, lon REAL, cc TEXT, pop INTEGER, "
            "rail_node INTEGER, rail_km REAL, port_node INTEGER, port_km REAL)"
        )
        conn.execute("CREATE TABLE alias (key TEXT, city INTEGER, primary_name INTEGER)")
        chosen = [c for c in cities if c.country in self.countries]
        lat = np.array([c.lat for c in chosen], dtype=np.float64)
        lon = np.array([c.lon for c in chosen], dtype=np.float64)
        r_node, r_km, p_node, p_km = (a.tolist() for a in self.access(lat, lon))
        rows, aliases = [], []
        for i, c in enumerate(chosen):
            cid = c.geonameid
            head = (cid, c.name, c.lat, c.lon, c.country, c.population)
            rows.append((*head, r_node[i], r_km[i], p_node[i], p_km[i]))
            main = normalise(c.name)
            keys = {main}
            for alt in c.alternate_names:
                k = normalise(alt)
                keys.add(k)
                keys.update(_cjk_variants(k))
            for k in keys:
                if k and (len(k) >= 3 or not k.isascii()):
                    aliases.append((k, cid, int(k == main)))
        conn.executemany("INSERT INTO city VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute(
            "CREATE TABLE near_city (cell INTEGER, name TEXT, lat REAL, lon REAL, cc TEXT, pop INTEGER)"
        )
        conn.executemany(
            "INSERT INTO near_city VALUES (?, ?, ?, ?, ?, ?)",
            [
                (_cell(math.floor(r[2] * 2), math.floor(r[3] * 2)), r[1], r[2], r[3], r[4], r[5])
                for r in rows
                if r[5] >= NEAR_MIN_POPULATION
            ],
        )
        conn.execute("CREATE INDEX near_city_cell ON near_city (cell)")
        conn.executemany("INSERT INTO alias VALUES (?, ?, ?)", aliases)
        conn.execute("CREATE INDEX alias_key ON alias (key)")
        conn.execute("CREATE TABLE named (key TEXT, node INTEGER, port INTEGER)")
        conn.executemany("INSERT INTO named VALUES (?, ?, ?)", self.named_keys())
        conn.execute("CREATE INDEX named_key ON named (key, port)")
        conn.commit()

    def lookup(self, key: str) -> list[_City]:
        """Cities matching ``key``, most likely first (main name and population)."""
        if not key:
            return []
        rows = (
            self._connect()
            .execute(
                "SELECT c.name, c.lat, c.lon, c.cc, c.pop, a.primary_name, c.rail_node, c.rail_km, "
                "c.port_node, c.port_km FROM alias a JOIN city c ON c.id = a.city WHERE a.key = ?",
                (key,),
            )
            .fetchall()
        )
        found = [_City(r[0], r[1], r[2], r[3], int(r[4]), bool(r[5]), *r[6:]) for r in rows]
        return sorted(found, key=lambda c: -(math.log10(max(c.population, 1)) + (1.0 if c.primary else 0.0)))

    def named(self, key: str, *, port: bool) -> int | None:
        """The first named station (or port) of the network whose name folds to ``key``."""
        row = (
            self._connect()
            .execute(
                "SELECT node FROM named WHERE key = ? AND port = ? ORDER BY rowid LIMIT 1", (key, int(port))
            )
            .fetchone()
        )
        return None if row is None else int(row[0])

    def keys_like(self, key: str, limit: int = 4000) -> list[str]:
        """Alias keys sharing the first letters of ``key`` (for suggestions)."""
        if not key:
            return []
        rows = (
            self._connect()
            .execute(
                "SELECT DISTINCT key FROM alias WHERE key >= ? AND key < ? LIMIT ?",
                (key[:2], key[:2] + "\U0010ffff", limit),
            )
            .fetchall()
        )
        return [r[0] for r in rows]

    def near(self, lat: float, lon: float) -> tuple[_City, float] | None:
        """The city of NEAR_MIN_POPULATION or more nearest a point, and its distance in km: the
        cities of the half-degree cells around it, widened until some are found (up to 8 degrees;
        a name for a point, so a closer city just beyond a widening step may be missed)."""
        conn = self._connect()
        for deg in (1, 4, 16):
            i0, j0 = math.floor(lat * 2), math.floor(lon * 2)
            cells = [
                _cell(i, j) for i in range(i0 - deg, i0 + deg + 1) for j in range(j0 - deg, j0 + deg + 1)
            ]
            rows = conn.execute(
                f"SELECT name, lat, lon, cc, pop FROM near_city WHERE cell IN ({','.join('?' * len(cells))})",
                cells,
            ).fetchall()
            if rows:
                km = haversine_km(lat, lon, [r[1] for r in rows], [r[2] for r in rows])
                i = int(np.argmin(km))
                r = rows[i]
                return _City(r[0], r[1], r[2], r[3], int(r[4]), True), float(km[i])
        return None

    def all_cities(self) -> list[_City]:
        rows = (
            self._connect()
            .execute("SELECT name, lat, lon, cc, pop, 1, rail_node, rail_km, port_node, port_km FROM city")
            .fetchall()
        )
        return [_City(r[0], r[1], r[2], r[3], int(r[4]), True, *r[6:]) for r in rows]


def _index_path(home: Path | None, net: Network, countries: frozenset[str]) -> Path | None:
    """The index file of one network: its cities' access points are nodes of that network."""
    if home is None:
        return None
    from silkrail.network.inputs import content_key

    inputs = str(net.meta.get("inputs_hash", ""))
    tag = f"{_INDEX_VERSION}:{content_key(geonames.CITIES_FILE)}:{GAZETTEER_MIN_POPULATION}:"
    tag += f"{inputs}:{net.n_nodes}:{net.n_edges}:" + ",".join(sorted(countries))
    # named after the network's inputs first, so that cleanup of other inputs' files covers it
    return Path(home) / f"places-{inputs[:16]}-{hashlib.sha256(tag.encode()).hexdigest()[:8]}.sqlite"


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
        self._cities = _CityIndex(
            _index_path(home, net, countries), countries, self._bulk_access, self._named_keys
        )
        self._resolved: dict[str, Place] = {}
        self._near_names: dict[tuple[float, float, bool], str] = {}

    def _named_keys(self) -> list[tuple[str, int, bool]]:
        """(key, node, is a port) of every named node of the network, in the network's order."""
        net = self.net
        out = []
        for node, name in net.names.items():
            key = normalise(name)
            if key:
                out.append((key, int(node), bool(net.node_kind[node] == NodeKind.PORT)))
        return out

    # -- the network's geometry, computed when first needed ---------------------------------

    @cached_property
    def _rail_nodes(self) -> NDArray[np.intp]:
        return self.net.open_rail_nodes(self.year)

    @cached_property
    def _rail_snapper(self) -> Snapper:
        rail = self._rail_nodes
        return Snapper(self.net.lat[rail], self.net.lon[rail], ids=rail)

    @cached_property
    def _main_network(self) -> NDArray[np.bool_]:
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
    def _port_nodes(self) -> NDArray[np.intp]:
        return np.flatnonzero(self.net.node_kind == NodeKind.PORT)

    @cached_property
    def _port_snapper(self) -> Snapper | None:
        ports = self._port_nodes
        return Snapper(self.net.lat[ports], self.net.lon[ports], ids=ports) if len(ports) else None

    @cached_property
    def _port_terminals(self) -> dict[int, int]:
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
    def _rail_linked_ports(self) -> frozenset[int]:
        return frozenset(self._port_terminals)

    @cached_property
    def _main_snapper(self) -> Snapper | None:
        nodes = self._rail_nodes[self._main_network[self._rail_nodes]]
        return Snapper(self.net.lat[nodes], self.net.lon[nodes], ids=nodes) if len(nodes) else None

    @cached_property
    def _named_main(self) -> Snapper | None:
        """Named stations on a main network."""
        net = self.net
        nodes = np.array(
            [n for n in net.names if net.node_kind[n] == NodeKind.RAIL and self._main_network[n]],
            dtype=np.intp,
        )
        return Snapper(net.lat[nodes], net.lon[nodes], ids=nodes) if len(nodes) else None

    # -- access points ---------------------------------------------------------------------

    def _bulk_access(self, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> tuple[NDArray[Any], ...]:
        """Rail and port access of many points at once, by the rules of :meth:`rail_access`
        and :meth:`port_access`: (rail node, km, port node, km), node -1 where there is none."""
        n = len(lat)
        r_node, r_km = np.full(n, -1, np.int64), np.zeros(n)
        todo = np.ones(n, bool)
        for snapper, limit in (
            (self._named_main, NAMED_ACCESS_KM),
            (self._main_snapper, RAIL_ACCESS_KM),
            (self._rail_snapper, MAX_CITY_SNAP_KM),
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
        if self._port_snapper is not None and n:
            node, km = self._port_snapper.nearest(lat, lon)
            node, km = np.ravel(node), np.ravel(km)
            ok = km <= PORT_ACCESS_KM
            p_node[ok], p_km[ok] = node[ok], km[ok]
        return r_node, r_km, p_node, p_km

    def rail_access(self, lat: float, lon: float, label: str) -> Access | None:
        """The track a place is entered at by rail: a named station of a main network within
        10 km, else the nearest track of a main network within RAIL_ACCESS_KM, else the
        nearest track within MAX_CITY_SNAP_KM; None beyond that. (``label`` names the place in
        nothing but errors.)"""
        for snapper, limit in ((self._named_main, NAMED_ACCESS_KM), (self._main_snapper, RAIL_ACCESS_KM)):
            if snapper is not None:
                node, km = snapper.nearest(lat, lon)
                n, k = int(np.ravel(node)[0]), float(np.ravel(km)[0])
                if k <= limit:
                    return Access("rail", n, self.net.names.get(n, ""), k)
        node, km = self._rail_snapper.nearest(lat, lon)
        n, k = int(np.ravel(node)[0]), float(np.ravel(km)[0])
        if k > MAX_CITY_SNAP_KM:
            return None
        return Access("rail", n, self.net.names.get(n, ""), k)  # named when reported

    def port_access(self, lat: float, lon: float) -> Access | None:
        """The port of the maritime network nearest a place, within PORT_ACCESS_KM (a direct
        scan of the few thousand ports: cheaper for one place than a tree, and it keeps a
        one-route process from loading the spatial library)."""
        ports = self._port_nodes
        if not len(ports):
            return None
        km = haversine_km(lat, lon, self.net.lat[ports], self.net.lon[ports])
        i = int(np.argmin(km))
        n, k = int(ports[i]), float(km[i])
        if k > PORT_ACCESS_KM:
            return None
        return Access("sea", n, self.net.names.get(n, "port"), k)

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
            _, km = self._rail_snapper.nearest(lat, lon)
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
        yield from _cjk_variants(key)
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

    def _with_others(self, place: Place, cities: list[_City], text: str) -> Place:
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

    def _from_city(self, cities: list[_City], text: str) -> Place:
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

    def _city_place(self, c: _City, note: str | None = None) -> Place | None:
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
        terminal = self._port_terminals.get(node)
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
        node, km = self._rail_snapper.nearest(lat, lon)
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
        main = self._main_network
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

    def name_near(self, lat: float, lon: float, *, with_km: bool = True) -> str:
        """A readable name for a point: the nearest city of the gazetteer ('near Jinghe (8 km)');
        kept per point, since routes pass the same crossings and junctions again and again."""
        key = (round(lat, 4), round(lon, 4), with_km)
        name = self._near_names.get(key)
        if name is None:
            name = self._near_names[key] = self._name_near(lat, lon, with_km=with_km)
        return name

    def _name_near(self, lat: float, lon: float, *, with_km: bool) -> str:
        hit = self._cities.near(lat, lon)
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


def _also(text: str, chosen: str, chosen_country: str, others: list[_City]) -> str:
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

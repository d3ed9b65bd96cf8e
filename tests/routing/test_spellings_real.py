"""One place, one answer, on the real network: every spelling of a city gives the same place and
the same access points, the station gazetteer resolves by name in every script, namesakes and
places beyond the network say what they are."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from silkrail.errors import DataError, UnknownPlaceError
from silkrail.network.geo import haversine_km
from silkrail.network.model import Network
from silkrail.network.records import NetworkPlace
from silkrail.routing.places import Gazetteer, Place
from silkrail.routing.query import RouteQuery
from silkrail.routing.router import router_for
from silkrail.routing.spelling import normalise

pytestmark = pytest.mark.integration

SPELLINGS = Path(__file__).parent / "data" / "spellings.csv"
COLUMNS = ("english", "local", "transliteration", "misspelling", "other")
STATION_KINDS = frozenset({"junction", "border", "terminal", "dry_port", "seaport", "station"})


def _rows() -> list[dict[str, str]]:
    with SPELLINGS.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _identity(p: Place) -> tuple[str, str, int | None, int | None]:
    return (p.name, p.country, p.rail.node if p.rail else None, p.port.node if p.port else None)


def test_every_spelling_of_a_city_gives_the_same_place_and_access_points(real_net: Network) -> None:
    """Over 100 cities of the corridors' countries and beyond, each in at least four spellings
    that differ after folding case and accents: its English name, its local script, a
    transliteration (for a city written in Latin at home, its name in another script), a common
    misspelling, and an old name or exonym where one is common. Every spelling resolves to the
    very place of the English name, entered at the same rail and sea access points, and every
    access point has a name."""
    g = router_for(real_net).places
    rows = _rows()
    assert len(rows) >= 100
    spellings = 0
    for row in rows:
        names = [row[c] for c in COLUMNS if row.get(c)]
        assert len({normalise(n) for n in names}) >= 4, row  # four spellings that really differ
        ref = g.resolve(row["english"])
        for access in (ref.rail, ref.port):
            assert access is None or access.name.strip(), (row["english"], access)
        for name in names[1:]:
            assert _identity(g.resolve(name)) == _identity(ref), (row["english"], name)
            spellings += 1
    print(f"{len(rows)} cities, {spellings} other spellings: all resolve to the same place and access")


def test_a_misspelling_says_how_it_was_read(real_net: Network) -> None:
    g = router_for(real_net).places
    read = g.resolve("Tashkient")
    assert read.name == "Tashkent" and read.note and "'Tashkient' read as Tashkent" in read.note


def test_spellings_route_identically(real_net: Network) -> None:
    """A sample of the cities routed from every spelling: the same legs, events and totals."""
    router = router_for(real_net)
    rows = _rows()[::12]
    assert len(rows) >= 8
    for row in rows:
        names = [row[c] for c in COLUMNS if row.get(c)]
        dest = "Almaty" if row["english"] != "Almaty" else "Moscow"
        routes = [router.route(RouteQuery(name, dest)) for name in names]
        first = routes[0]
        for name, r in zip(names[1:], routes[1:], strict=True):
            assert r.arcs.tolist() == first.arcs.tolist(), (row["english"], name)
            assert (r.distance_km, r.duration_h, r.cost_usd) == (
                first.distance_km,
                first.duration_h,
                first.cost_usd,
            ), name
            assert r.to_dict()["origin"].get("access") == first.to_dict()["origin"].get("access"), name


def _reach(g: Gazetteer, text: str, st: NetworkPlace) -> Place:
    """The place ``text`` gives, or, where a larger namesake wins, the place its note says to
    name for the station ``st`` ('Alat, UZ', 'Babushkin station')."""
    p = g.resolve(text)
    if p.rail is not None and p.rail.node == st.node:
        return p
    hint = re.search(rf"{re.escape(st.name)}, {st.country} \([^;)]*; give '([^']+)'\)", p.note or "")
    assert hint, (st.name, st.country, text, p)
    return g.resolve(hint.group(1))


def test_stations_and_junctions_resolve_by_name_in_every_script(real_net: Network) -> None:
    """At least 200 named stations of the corridors (the station gazetteer and the curated
    stations) resolve by their name to themselves, entered at their own track; where a larger
    namesake wins, the note names the station and how to reach it ('Alat, UZ', 'Babushkin
    station'). Every other name of a station (local script, old names) gives the same station."""
    g = router_for(real_net).places
    stations = [p for p in real_net.places if p.kind in STATION_KINDS]
    assert len(stations) >= 200
    by_name = 0
    for st in stations:
        bare = g.resolve(st.name)
        by_name += bare.rail is not None and bare.rail.node == st.node
        p = _reach(g, st.name, st)
        assert p.rail is not None and p.rail.node == st.node and p.rail.name, (st.name, p)
        assert p.kind == st.kind
        for alias in st.aliases:
            q = _reach(g, alias, st)
            assert q.rail is not None and q.rail.node == st.node, (st.name, alias, q)
    assert by_name >= 200
    print(f"{len(stations)} stations; {by_name} resolve by their bare name")


@pytest.mark.parametrize(
    ("text", "country", "kind"),
    [
        ("Moyynty", "KZ", "junction"),
        ("Мойынты", "KZ", "junction"),
        ("Aktogay", "KZ", "junction"),
        ("Актогай", "KZ", "junction"),
        ("Alat", "AZ", "seaport"),
        ("Alat, UZ", "UZ", "border"),
        ("Nakhodka-Vostochnaya", "RU", "seaport"),
        ("Khorgos Gateway", "KZ", "dry_port"),
    ],
)
def test_a_station_beats_a_village_of_the_same_name(
    real_net: Network, text: str, country: str, kind: str
) -> None:
    p = router_for(real_net).places.resolve(text)
    assert (p.country, p.kind) == (country, kind)
    assert p.rail is not None and p.rail.km <= 15


def test_a_namesake_is_named_with_how_to_pick_it(real_net: Network) -> None:
    g = router_for(real_net).places
    alat = g.resolve("Alat")
    assert alat.note and "Alat, UZ" in alat.note
    assert g.resolve("Alat, UZ").country == "UZ"
    pingxiang = g.resolve("Pingxiang")  # the border station, not the city in Jiangxi
    assert pingxiang.kind == "station" and pingxiang.note and "893,550 people" in pingxiang.note


def test_a_world_city_beyond_the_rail_network_is_not_swapped_for_a_village(real_net: Network) -> None:
    """'New York' was a village in Ukraine: it is New York City, reached by sea; by rail the
    answer says it lies outside the rail network's region."""
    router = router_for(real_net)
    ny = router.places.resolve("New York")
    assert ny.country == "US" and ny.rail is None and ny.port is not None
    with pytest.raises(DataError, match="outside the rail network's region"):
        router.route(RouteQuery("Hanoi", "New York", mode="rail"))
    by_sea = router.route(RouteQuery("Shanghai", "New York", mode="sea"))
    assert by_sea.legs[0].mode == "sea"
    alexandria = router.places.resolve("Alexandria")
    assert alexandria.country == "EG" and alexandria.note and "also" in alexandria.note


def test_a_name_close_to_nothing_says_so(real_net: Network) -> None:
    with pytest.raises(UnknownPlaceError, match="no known place has a name close to it"):
        router_for(real_net).places.resolve("Xyzzyqq")


def test_nakhodka_is_joined_to_the_network(real_net: Network) -> None:
    """Nakhodka and Vostochny were a rail island of the extract: they route to Moscow by rail."""
    router = router_for(real_net)
    for port in ("Nakhodka", "Nakhodka-Vostochnaya"):
        r = router.route(RouteQuery(port, "Moscow", mode="rail"))
        assert r.countries == ["RU"] and 8500 < r.distance_km < 10500, (port, r.distance_km)


def test_the_caspian_ferry_port_of_alat_is_the_answer_for_aktau_alat(real_net: Network) -> None:
    """'Alat' was Alat, UZ, and Aktau-Alat ran 1,705 km via Turkmenistan."""
    r = router_for(real_net).route(RouteQuery("Aktau", "Alat"))
    assert r.countries == ["KZ", "AZ"] and [leg.mode for leg in r.legs] == ["ferry"]
    assert haversine_km(r.destination.lat, r.destination.lon, 39.95, 49.40) < 5

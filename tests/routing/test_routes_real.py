"""Routing on the real network: corridor structure, laws that must hold, and error paths."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import silkrail
from silkrail.errors import DataError, NoRouteError, UnknownPlaceError
from silkrail.network.geo import Countries, haversine_km
from silkrail.network.model import EdgeKind, Network, WaterKind
from silkrail.routing.graph import Constraints
from silkrail.routing.query import RouteQuery
from silkrail.routing.results import Leg
from silkrail.routing.router import router_for

pytestmark = pytest.mark.integration

CORRIDOR_PLACES = [
    "Hanoi",
    "Haiphong",
    "Kunming",
    "Nanning",
    "Chengdu",
    "Xi'an",
    "Zhengzhou",
    "Urumqi",
    "Beijing",
    "Ulaanbaatar",
    "Irkutsk",
    "Novosibirsk",
    "Yekaterinburg",
    "Moscow",
    "Almaty",
    "Astana",
    "Tashkent",
    "Vientiane",
    "Bangkok",
    "Minsk",
    "Warsaw",
    "Duisburg",
    "Tbilisi",
    "Baku",
]
place = st.sampled_from(CORRIDOR_PLACES)
HYP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_hanoi_moscow_by_rail_changes_gauge_twice(real_net: Network) -> None:
    """The network model's routes: from Da Nang (metre gauge) 1,000 -> 1,435 -> 1,520 mm; from
    Hanoi, whose rail access is the dual-gauge Yen Vien yard where the trains to China start on
    standard gauge, once. Every border edge of the path appears as an event. (The default answer
    from Hanoi is the FESCO shuttle's: tests/timetable/test_one_trip_real.py.)"""
    router = router_for(real_net)
    south = router.route(RouteQuery("Da Nang", "Moscow", mode="rail"))
    assert [(e.from_gauge_mm, e.to_gauge_mm) for e in south.gauge_changes] == [(1000, 1435), (1435, 1520)]
    r = router.route(RouteQuery("Hanoi", "Moscow", mode="rail"))
    changes = [(e.from_gauge_mm, e.to_gauge_mm) for e in r.gauge_changes]
    assert changes == [(1435, 1520)]
    assert r.countries[0] == "VN" and r.countries[-1] == "RU" and "CN" in r.countries
    assert r.modes == {"rail"}
    crossings_on_path = {c for c in r.crossing_ids if real_net.crossings[c].kind == "border"}
    assert {e.crossing_id for e in r.border_crossings} == {
        real_net.crossings[c].id for c in crossings_on_path
    }
    assert len(r.border_crossings) == len(r.countries) - 1
    assert 7000 < r.distance_km < 12000


def test_avoiding_mongolia_moves_the_route_to_another_crossing(real_net: Network) -> None:
    """The network model's cheapest Hanoi–Moscow route that avoids Kazakhstan runs through
    Mongolia and leaves China at Erenhot; avoiding Mongolia as well moves it to another crossing
    out of China. (The default answer avoiding Kazakhstan is the FESCO shuttle's, priced on its
    own published route.)"""
    router = router_for(real_net)
    base = router.route(RouteQuery("Hanoi", "Moscow", mode="rail", avoid=["KZ"], objective="cost"))
    assert "MN" in base.countries
    alt = router.route(RouteQuery("Hanoi", "Moscow", mode="rail", avoid=["KZ", "MN"], objective="cost"))
    assert "MN" not in alt.countries
    exit_base = next(e.crossing_id for e in base.border_crossings if e.from_country == "CN")
    exit_alt = next(e.crossing_id for e in alt.border_crossings if e.from_country == "CN")
    assert exit_base == "erenhot-zamyn-uud"
    assert exit_alt != exit_base
    assert alt.cost_usd >= base.cost_usd


def test_kunming_vientiane_uses_the_china_laos_railway(real_net: Network) -> None:
    """CN -> LA through Mohan/Boten on standard gauge, about the published 1,035 km."""
    r = silkrail.route(real_net, "Kunming", "Vientiane", mode="rail")
    assert r.countries == ["CN", "LA"]
    assert [e.crossing_id for e in r.border_crossings] == ["mohan-boten"]
    assert not r.gauge_changes
    assert {leg.gauge_mm for leg in r.legs} == {1435}
    assert 900 < r.distance_km < 1200


def test_bangkok_kunming_changes_gauge_in_laos(real_net: Network) -> None:
    """Thai metre gauge meets the standard-gauge China–Laos railway at Vientiane/Thanaleng."""
    r = silkrail.route(real_net, "Bangkok", "Kunming", mode="rail")
    assert [(e.from_gauge_mm, e.to_gauge_mm) for e in r.gauge_changes] == [(1000, 1435)]
    change = r.gauge_changes[0]
    assert "LA" in (change.from_country, change.to_country)
    assert r.countries == ["TH", "LA", "CN"]


def test_brest_warsaw_takes_the_main_line_through_brest_terespol(real_net: Network) -> None:
    """The main China–Europe entry: Brest–Małaszewicze and the 216 km Brest–Terespol–Warsaw line,
    not a detour through another Belarus–Poland crossing."""
    r = silkrail.route(real_net, "Brest", "Warsaw", mode="rail")
    assert r.countries == ["BY", "PL"]
    assert [e.crossing_id for e in r.border_crossings] == ["brest-malaszewicze"]
    assert r.distance_km < 260


@pytest.mark.parametrize(
    ("a", "b", "countries"),
    [
        ("Tashkent", "Termez", ["UZ"]),  # over Tashguzar–Boysun–Kumkurgan, not twice through TM
        ("Vladivostok", "Moscow", ["RU"]),  # the Trans-Siberian, not two transshipments via China
        ("Almaty", "Tashkent", ["KZ", "UZ"]),  # no phantom KG crossing where the line runs along it
        ("Baku", "Istanbul", ["AZ", "GE", "TR"]),  # Baku–Tbilisi–Kars, and on to Istanbul in Turkey
    ],
)
def test_domestic_and_corridor_routes_cross_only_the_borders_they_must(
    real_net: Network, a: str, b: str, countries: list[str]
) -> None:
    """A route stays in a country while a border would cost more than the detour, and never crosses
    a border where its line only runs along it."""
    r = silkrail.route(real_net, a, b, mode="rail")
    assert r.countries == countries
    assert len(r.border_crossings) == len(countries) - 1


def test_freight_avoids_the_passenger_only_xian_chengdu_high_speed_line(real_net: Network) -> None:
    """The Xi'an–Chengdu high-speed line is marked on the mapped track and closed to freight routes."""
    idx = next(i for i, ln in enumerate(real_net.lines) if ln.id == "xian-chengdu-high-speed")
    assert real_net.lines[idx].traffic == "passenger"
    on_line = real_net.line == idx
    assert float(real_net.km[on_line].sum()) > 150
    router = router_for(real_net)
    r = router.route(RouteQuery("Xi'an", "Chengdu", mode="rail"))
    assert r.countries == ["CN"]
    assert not on_line[router.graph.edge[r.arcs]].any()


@HYP
@given(a=place, b=place)
def test_no_route_is_shorter_than_the_great_circle(real_net: Network, a: str, b: str) -> None:
    """The distance travelled is at least the great-circle distance between the two ends."""
    if a == b:
        return
    r = silkrail.route(real_net, a, b, mode="rail", objective="cost")
    o, d = r.origin.node, r.destination.node
    gc = float(haversine_km(real_net.lat[o], real_net.lon[o], real_net.lat[d], real_net.lon[d]))
    assert r.distance_km >= gc - 1e-6


@HYP
@given(a=place, b=place)
def test_rail_distance_is_the_sum_of_its_legs(real_net: Network, a: str, b: str) -> None:
    """On rail-only routes the total distance equals the sum of the legs, and every leg runs on
    rails (track, or a rail ferry such as Aktau–Alat that carries the wagons)."""
    if a == b:
        return
    r = silkrail.route(real_net, a, b, mode="rail")
    assert r.distance_km == pytest.approx(sum(leg.distance_km for leg in r.legs), rel=1e-9)
    assert all(leg.mode in ("rail", "ferry") for leg in r.legs)


@HYP
@given(a=place, b=place)
def test_a_to_b_equals_b_to_a(real_net: Network, a: str, b: str) -> None:
    """The network is undirected: both directions have the same optimal time and length (the
    network model's routes: a timetabled service, the default answer, runs one way)."""
    if a == b:
        return
    router = router_for(real_net)
    ab = router.route(RouteQuery(a, b, mode="rail"))
    ba = router.route(RouteQuery(b, a, mode="rail"))
    assert ab.duration_h == pytest.approx(ba.duration_h, rel=1e-9)
    assert ab.distance_km == pytest.approx(ba.distance_km, rel=1e-6)


@HYP
@given(a=place, b=place, data=st.data())
def test_removing_an_edge_never_shortens_a_route(
    real_net: Network, a: str, b: str, data: st.DataObject
) -> None:
    """Banning one crossing the best route uses gives a route that is no better, or none."""
    if a == b:
        return
    router = router_for(real_net)
    r = router.route(RouteQuery(a, b, mode="rail", objective="time"))  # the weights compared below
    if not r.crossing_ids:
        return
    ban = data.draw(st.sampled_from(sorted(r.crossing_ids)))
    c = Constraints(modes="rail", avoid_crossings=frozenset({ban}))
    path = router.engine.shortest_path(r.origin, r.destination, c, (1.0, 0.0, 0.0))
    if path is None:
        return
    # arc weights: the route's duration without its terminal time, which every rail path has
    g = router.graph
    assert float(g.weights[0, path.arcs].sum()) >= float(g.weights[0, r.arcs].sum()) - 1e-9


def test_alternatives_are_different_corridors(real_net: Network) -> None:
    """Alternatives differ in the crossings or the countries they use, not only in a few
    kilometres: the other published crossing of a border pair first (Hekou-Lao Cai beside
    Pingxiang-Dong Dang), then another sequence of countries (via Mongolia). (The network model's
    alternatives: the default answer is the FESCO shuttle's, see test_served_answer_*.)"""
    r = router_for(real_net).route(RouteQuery("Hanoi", "Moscow", mode="rail", alternatives=2))
    assert len(r.alternatives) == 2
    first, second = r.alternatives
    assert first.countries == r.countries and first.crossing_ids != r.crossing_ids
    assert second.countries != r.countries


def test_served_answer_keeps_the_models_other_corridors_as_alternatives(real_net: Network) -> None:
    """The FESCO shuttle answers Hanoi–Moscow; the alternatives asked for are the model's own
    best route and its other corridors, none through the service's crossings."""
    r = silkrail.route(real_net, "Hanoi", "Moscow", mode="rail", alternatives=2)
    assert r.service is not None and r.service.id == "fesco-vietnam-shuttle"
    assert len(r.alternatives) == 2 and all(a.service is None for a in r.alternatives)
    keys = {(a.crossing_ids) for a in r.alternatives}
    assert len(keys) == 2 and r.crossing_ids not in keys


def test_compare_gives_rail_sea_and_combined_options(real_net: Network) -> None:
    """compare: labelled options; the sea option sails most of the way; the rail option is the
    weekly FESCO shuttle that runs the corridor (35 days and the wait for it: slower than the
    sea here), the network model's rail time beside it faster than the sea."""
    options = silkrail.compare(real_net, "Hanoi", "Moscow")
    labels = [o.label for o in options]
    assert labels[:2] == ["rail", "sea"]
    sea = options[1]
    sea_km = sum(leg.distance_km for leg in sea.legs if leg.mode == "sea")
    assert sea_km > 0.6 * sea.distance_km
    assert any(e.kind == "port_transfer" for e in sea.events)
    rail = options[0]
    assert rail.service is not None and rail.service.id == "fesco-vietnam-shuttle"
    assert rail.service.modelled_duration_h < sea.duration_h


def test_od_matrix_matches_single_routes(real_net: Network) -> None:
    """Each cell equals the single route between the same places: the network model's where no
    service runs, the scheduled service's where one covers the pair (Hanoi-Moscow)."""
    m = silkrail.od_matrix(real_net, ["Hanoi", "Almaty"], ["Moscow", "Warsaw"], mode="rail")
    r = silkrail.route(real_net, "Almaty", "Warsaw", mode="rail")
    assert r.service is None
    assert m.duration_h[1, 1] == pytest.approx(r.duration_h, rel=1e-9)
    assert m.distance_km[1, 1] == pytest.approx(r.distance_km, rel=1e-6)
    served = silkrail.route(real_net, "Hanoi", "Moscow", mode="rail")
    assert served.service is not None
    assert m.duration_h[0, 0] == pytest.approx(served.duration_h, rel=1e-9)
    assert m.cost_usd[0, 0] == pytest.approx(served.cost_usd, rel=1e-9)
    assert m.duration_h.shape == (2, 2)


def test_places_accept_spellings_codes_and_coordinates(real_net: Network) -> None:
    """Hà Nội, Ulan Bator, Alma-Ata, a UN/LOCODE and 'lat,lon' all resolve."""
    g = router_for(real_net).places
    assert g.resolve("Hà Nội").node == g.resolve("Hanoi").node
    assert g.resolve("Ulan Bator").country == "MN"
    assert g.resolve("Alma-Ata").node == g.resolve("Almaty").node
    assert g.resolve("VNHPH").kind == "port"
    assert g.resolve("55.75,37.62").country == "RU"


@pytest.mark.parametrize(
    ("call", "error", "says"),
    [
        (lambda n: silkrail.route(n, "Atlantis", "Moscow"), UnknownPlaceError, "closest known names"),
        (lambda n: silkrail.route(n, "Hanoi", "Ha Noi"), DataError, "same place"),
        (
            lambda n: silkrail.route(n, "Hanoi", "Moscow", mode="rail", avoid=["CN"]),
            NoRouteError,
            "avoiding CN",
        ),
        (lambda n: silkrail.route(n, "Hanoi", "Moscow", year=1990), DataError, "year 1990"),
        (lambda n: silkrail.route(n, "Hanoi", "Moscow", teu=-3), DataError, "positive number of TEU"),
        (lambda n: silkrail.route(n, "Hanoi", "Moscow", avoid=["XX"]), DataError, "ISO 3166-1"),
    ],
)
def test_bad_requests_fail_with_one_clear_sentence(real_net: Network, call, error, says) -> None:  # type: ignore[no-untyped-def]
    """Every bad input gets its own error type and a message that says what was wrong."""
    with pytest.raises(error, match=says):
        call(real_net)


def test_route_json_follows_the_contract(real_net: Network) -> None:
    """to_dict has the contract keys; every event names its place, countries, gauges, time, cost."""
    d = silkrail.route(real_net, "Hanoi", "Moscow", mode="rail").to_dict()
    assert {
        "origin",
        "destination",
        "objective",
        "distance_km",
        "duration_h",
        "cost_usd",
        "co2_kg",
        "countries",
        "legs",
        "events",
        "alternatives",
    } <= d.keys()
    for e in d["events"]:
        assert {
            "kind",
            "at",
            "from_country",
            "to_country",
            "from_gauge_mm",
            "to_gauge_mm",
            "duration_h",
            "cost_usd",
        } <= e.keys()
    json.dumps(d)
    gj = silkrail.route(real_net, "Hanoi", "Moscow", mode="rail").to_geojson()
    assert gj["features"][0]["geometry"]["type"] == "LineString"
    assert sum(f["properties"]["feature"] == "event" for f in gj["features"]) == len(d["events"])


def test_every_curated_crossing_snaps_and_is_used(real_net: Network) -> None:
    """Each open curated border crossing marks at least one border edge of the network."""
    for i, c in enumerate(real_net.crossings):
        if c.curated and c.status == "open":
            assert c.edges >= 1, c.id
            kinds = set(real_net.edge_kind[real_net.crossing == i].tolist())
            assert kinds <= {EdgeKind.BORDER, EdgeKind.RAIL}


def test_no_route_explains_separate_networks(real_net: Network) -> None:
    """Sri Lanka's 1,676 mm network has no crossing to the continent: the error says so."""
    with pytest.raises(NoRouteError, match=r"no crossing or port connects the 1,676 mm network of LK"):
        silkrail.route(real_net, "6.93,79.85", "Moscow", mode="rail")


def test_cli_route_json_and_exit_codes(real_net: Network, real_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """route --json prints the contract object; bad input exits 2, no route exits 3."""
    from typer.testing import CliRunner

    from silkrail.cli import app

    runner = CliRunner()
    ok = runner.invoke(
        app,
        ["route", "Hanoi", "Moscow", "--mode", "rail", "--json", "--geojson", str(tmp_path / "r.geojson")],
    )
    assert ok.exit_code == 0, ok.output
    d = json.loads(ok.stdout)
    assert d["countries"][0] == "VN" and d["countries"][-1] == "RU"
    assert json.loads((tmp_path / "r.geojson").read_text())["type"] == "FeatureCollection"
    bad = runner.invoke(app, ["route", "Atlantis", "Moscow"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output and "closest known names" in bad.output
    none = runner.invoke(app, ["route", "Hanoi", "Moscow", "--mode", "rail", "--avoid", "CN"])
    assert none.exit_code == 3 and "cuts every path" in none.output


def test_cli_compare_writes_map_and_chart(real_net: Network, real_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """compare --json lists labelled options; --map writes an offline HTML map and a PNG chart."""
    from typer.testing import CliRunner

    from silkrail.cli import app

    result = CliRunner().invoke(
        app, ["compare", "Hanoi", "Moscow", "--json", "--map", str(tmp_path / "m.html")]
    )
    assert result.exit_code == 0, result.output
    labels = [o["label"] for o in json.loads(result.stdout)["options"]]
    assert labels[:2] == ["rail", "sea"]
    page = (tmp_path / "m.html").read_text()
    assert "<svg" in page and "OpenStreetMap contributors" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    png = (tmp_path / "m.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


# --- water: whose waters a leg uses, inland waterways, Caspian ferries ------------------------


def _leg_edges(leg: Leg) -> tuple[np.ndarray, np.ndarray]:
    """The network edges of a leg and the nodes at both ends of each."""
    assert len(leg.edges) and len(leg.nodes) == len(leg.edges) + 1
    return leg.edges, leg.nodes


def _countries_touched(net: Network, leg: Leg) -> set[str]:
    """Every country a leg touches: its nodes' and the waters its edges use."""
    edges, nodes = _leg_edges(leg)
    codes = np.r_[net.country[nodes], net.water_country[edges]]
    return {net.countries[c] for c in codes.tolist() if c}


def test_inland_waterways_are_not_sea_unless_asked_for(real_net: Network) -> None:
    """Aktau to Constanta by sea: by default the Caspian is left by rail through the Caucasus;
    with inland water allowed, the Volga–Don route appears, and its sea leg lists Russia."""
    router = router_for(real_net)
    default = router.route(RouteQuery("Aktau", "Constanta", mode="sea"))
    used = np.concatenate([_leg_edges(leg)[0] for leg in default.legs])
    assert not (real_net.water[used] == WaterKind.INLAND).any()
    assert "RU" not in default.countries
    river = router.route(RouteQuery("Aktau", "Constanta", mode="sea", inland_water=True))
    sea_legs = [leg for leg in river.legs if leg.mode == "sea"]
    assert any((real_net.water[_leg_edges(leg)[0]] == WaterKind.INLAND).any() for leg in sea_legs)
    assert any("RU" in leg.countries for leg in sea_legs)
    assert "RU" in river.countries


@pytest.mark.parametrize(
    ("a", "b", "options"),
    [
        ("Aktau", "Constanta", {"mode": "sea", "inland_water": True}),
        ("Chongqing", "Duisburg", {"avoid": ["RU", "BY"]}),
        ("Shanghai", "Rotterdam", {"mode": "sea"}),
        ("Shanghai", "Hamburg", {"mode": "sea"}),
    ],
)
def test_no_leg_hides_a_country_it_touches(real_net: Network, a: str, b: str, options: dict) -> None:  # type: ignore[type-arg]
    """Every leg, water legs included, lists each country whose land or waters it touches, and
    the route lists them all."""
    r = silkrail.route(real_net, a, b, **options)
    for leg in r.legs:
        touched = _countries_touched(real_net, leg)
        assert touched <= set(leg.countries), (leg.mode, leg.from_, leg.to)
        assert touched <= set(r.countries)


def test_avoid_holds_for_every_leg_of_every_mode(real_net: Network, outlines: Countries) -> None:
    """Avoiding RU and BY: no node, no water and no drawn point of any leg is in either."""
    avoid = {"RU", "BY"}
    for options in ({}, {"inland_water": True}):
        r = silkrail.route(real_net, "Chongqing", "Duisburg", avoid=sorted(avoid), **options)
        assert not avoid & set(r.countries)
        for leg in r.legs:
            assert not avoid & set(leg.countries)
            assert not avoid & _countries_touched(real_net, leg)
            xy = np.array(leg.coordinates)
            on_land = outlines.locate(xy[:, 1], xy[:, 0], max_offshore_km=0.0)
            assert not avoid & set(on_land.tolist()), (leg.mode, leg.from_, leg.to)
    river = silkrail.route(real_net, "Aktau", "Constanta", mode="sea", inland_water=True, avoid=["RU"])
    assert "RU" not in river.countries


def test_avoiding_russia_takes_the_middle_corridor_across_the_caspian(real_net: Network) -> None:
    """China to Europe by rail without RU and BY: Kazakhstan, a Caspian rail ferry, Azerbaijan,
    Georgia; the ferry's event carries its handling and mean wait, its leg the sailing. (With
    the sea allowed, the default generalised cost takes a ship: 37 days at US$3,000 a TEU
    against 25 days at US$7,100 by the Caspian.)"""
    r = silkrail.route(real_net, "Chongqing", "Duisburg", avoid=["RU", "BY"], mode="rail")
    ferries = [e for e in r.events if e.kind == "ferry"]
    assert len(ferries) == 1
    ferry = ferries[0]
    assert ferry.from_country in ("KZ", "TM") and ferry.to_country == "AZ"
    assert {"AZ", "GE"} <= set(r.countries) and r.countries[0] == "CN" and r.countries[-1] == "DE"
    record = next(f for f in real_net.ferries if f.name == ferry.at)
    assert ferry.duration_h == pytest.approx(
        record.handling_h + 0.5 * 168.0 / record.sailings_per_week, rel=1e-6
    )
    leg = next(leg for leg in r.legs if leg.mode == "ferry")
    assert leg.duration_h == pytest.approx(record.sailing_h, rel=1e-6)
    assert leg.countries == [ferry.from_country, ferry.to_country]
    assert ferry.to_dict()["kind"] == "ferry"


def test_rail_only_routes_may_take_a_rail_ferry(real_net: Network) -> None:
    """A rail ferry belongs to rail corridors: Almaty to Tbilisi by rail without Russia crosses
    the Caspian with its wagons; without the ferry there would be no such route."""
    r = silkrail.route(real_net, "Almaty", "Tbilisi", mode="rail", avoid=["RU"])
    assert r.modes <= {"rail", "ferry"} and "ferry" in r.modes
    assert "RU" not in r.countries and "AZ" in r.countries


def test_the_sea_option_between_seaports_stays_on_open_sea(real_net: Network) -> None:
    """Shanghai to Rotterdam by sea uses no inland waterway; the only national waters it uses
    are the approaches of its two ports."""
    r = silkrail.route(real_net, "Shanghai", "Rotterdam", mode="sea")
    edges = np.concatenate([_leg_edges(leg)[0] for leg in r.legs])
    assert not (real_net.water[edges] == WaterKind.INLAND).any()
    waters = {real_net.countries[c] for c in real_net.water_country[edges].tolist() if c}
    assert waters <= {"CN", "NL"}
    sea = [leg for leg in r.legs if leg.mode == "sea"]
    assert sea and all(set(leg.countries) <= {"CN", "NL"} for leg in sea)


def test_an_inland_city_with_a_customs_port_code_is_not_a_seaport(real_net: Network) -> None:
    """Kunming's UN/LOCODE port lies 675 km over land from the sea lanes: the city has no sea
    access, and Kunming to Haiphong runs by rail, not as a 'sea' leg across Yunnan."""
    from silkrail.routing.router import router_for

    assert router_for(real_net).resolve("Kunming").port is None
    r = silkrail.route(real_net, "Kunming", "Haiphong")
    assert {leg.mode for leg in r.legs} == {"rail"}

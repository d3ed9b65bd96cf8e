"""The real network, built once per test session from the shipped data and sources."""

from __future__ import annotations

import pytest

from silkrail.network.model import GAUGES_MM, Network, NodeKind
from silkrail.network.validate import check_network

pytestmark = pytest.mark.integration


def test_headline_figures_are_plausible(real_net: Network) -> None:
    """km by gauge and by country within ranges from published network lengths.

    Published route lengths (Wikipedia "List of countries by rail transport network size",
    2022-2024): China ~159,000 km (incl. ~45,000 km high-speed), Russia ~85,500, India ~68,000,
    Kazakhstan ~16,000, Vietnam ~2,600, Mongolia ~1,800 (+ new lines), Laos ~420 (China–Laos
    railway). The OSM extract simplifies lines and misses some, and its double-tracked or
    parallel lines can add length, so each range is wide: about 0.6x to 1.3x.
    """
    s = real_net.summary()
    by_country, by_gauge = s["rail_km_by_country"], s["rail_km_by_gauge"]
    ranges = {
        "CN": (95_000, 210_000),
        "RU": (55_000, 110_000),
        "IN": (40_000, 90_000),
        "KZ": (10_000, 21_000),
        "VN": (1_500, 3_500),
        "MN": (1_000, 3_000),
        "LA": (300, 700),
    }
    for code, (lo, hi) in ranges.items():
        assert lo <= by_country[code] <= hi, (code, by_country[code])
    # 1,520 mm: Russia + Ukraine + Kazakhstan + Belarus + Central Asia + Caucasus + Baltics + Mongolia
    assert 110_000 <= by_gauge["1520"] <= 190_000
    # 1,435 mm: China + Europe + Iran + Turkey + Korea, the largest
    assert by_gauge["1435"] == max(by_gauge.values())
    # 1,000 mm: Vietnam, Thailand, Myanmar, Malaysia, Cambodia, Bangladesh (part): ~13,000-20,000
    assert 8_000 <= by_gauge["1000"] <= 25_000
    assert set(by_gauge) <= {str(g) for g in GAUGES_MM}
    assert s["crossings"]["curated"] >= 14
    assert s["ports"]["rail_connected"] >= 14


def test_validate_reports_no_errors_on_the_shipped_data(real_net: Network) -> None:
    """The shipped data snaps, connects and validates: warnings only."""
    errors = [p for p in check_network(real_net) if p.severity == "error"]
    assert errors == []


def test_gauges_either_side_of_each_curated_crossing(real_net: Network) -> None:
    """The track at each side of each snapped curated crossing carries that side's gauge."""
    checked = 0
    for c in real_net.crossings:
        if not c.curated or not c.nodes:
            continue
        for node, mm in zip(c.nodes, c.gauges_mm, strict=True):
            assert real_net.node_kind[node] == NodeKind.RAIL
            assert real_net.gauge[node] >> GAUGES_MM.index(mm) & 1, (c.id, mm)
            checked += 1
    assert checked >= 40


def test_central_asian_main_lines_run_through_where_the_extract_breaks_them(real_net: Network) -> None:
    """The extract's Trans-Aral main line ends short at Shieli and south of Aktobe; the curated
    joins (lines.yaml) keep Central Asia–Russia routes on it instead of round by Almaty or Orsk."""
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for

    router = router_for(real_net)
    shieli = router.route(RouteQuery("44.17,66.74", "44.84,65.51", mode="rail"))
    assert shieli.distance_km < 200  # Shieli–Kyzylorda, about 120 km of line (was 2,939 km round)
    aktobe = router.route(RouteQuery("Tashkent", "Aktobe", mode="rail"))
    assert set(aktobe.countries) == {"UZ", "KZ"} and aktobe.distance_km < 1_800  # was 3,423 km through Russia
    # the Beyneu–Kungrad line across the Ustyurt: 92 km unmapped south-east of Jaslyk
    kungrad = router.route(RouteQuery("Kungrad", "Beyneu", mode="rail"))
    assert kungrad.distance_km < 600  # 420 km (was 2,999 km round by Tashkent)


def test_turkey_and_iran_are_joined_by_the_lake_van_ferry(real_net: Network) -> None:
    """Trains between Turkey and Iran cross Lake Van by the Tatvan–Van rail ferry (ports.yaml);
    without it Ankara–Tehran went through Georgia, Azerbaijan and across the Caspian (3,349 km)."""
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for

    route = router_for(real_net).route(RouteQuery("Ankara", "Tehran", mode="rail"))
    assert set(route.countries) == {"TR", "IR"} and route.distance_km < 2_600  # 2,336 km


def test_thailand_and_malaysia_are_joined_at_padang_besar(real_net: Network) -> None:
    """The extract ends the Thai and the Malaysian metre gauge 3 km apart at Padang Besar; the
    curated join and crossing (lines.yaml, borders.yaml) carry Bangkok–Kuala Lumpur through it."""
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for

    route = router_for(real_net).route(RouteQuery("Bangkok", "Kuala Lumpur", mode="rail"))
    assert route.countries == ["TH", "MY"] and 1_300 < route.distance_km < 1_800  # 1,566 km


def test_main_lines_broken_in_the_extract_are_joined(real_net: Network) -> None:
    """Dead ends of one main line 1.5–8 km apart in the extract, joined by curated records
    (lines.yaml, the *-gap records); each route went far round (or had none) without its join."""
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for

    router = router_for(real_net)

    def km(a: str, b: str) -> float:
        return router.route(RouteQuery(a, b, mode="rail")).distance_km

    assert km("57.88,34.05", "57.15,33.10") < 200  # Bologoye–Ostashkov: 111 km (was 368)
    assert km("57.15,33.10", "56.65,32.27") < 200  # Ostashkov–Andreapol: 74 km (was 979)
    assert km("56.34,30.52", "56.22,32.78") < 250  # Velikiye Luki–Nelidovo: 150 km (was 704 through Belarus)
    assert km("55.21,34.29", "54.08,34.31") < 220  # Vyazma–Kirov: 141 km (was 336)
    assert km("63.74,34.31", "64.52,34.77") < 200  # Segezha–Belomorsk: 109 km (was 864)
    assert km("53.110,14.445", "53.420,14.551") < 100  # line 273 south of Gryfino–Szczecin: 40 km (was 296)
    assert km("53.495,18.461", "53.386,19.142") < 100  # Laskowice–Jabłonowo Pomorskie: 51 km (was 162)
    assert km("39.421,27.655", "38.62,27.43") < 250  # Manisa–Bandırma line, north of Soma–Manisa: 124 km (was 768)
    assert km("54.42,13.43", "54.309,13.077") < 80  # Bergen auf Rügen–Stralsund: 43 km (was no rail route)
    assert km("37.95,58.38", "41.84,59.96") < 700  # Ashgabat–Dashoguz: 564 km (was 1,080 through Uzbekistan)

"""A place is reached on a line that opens near it, in the query's year (the small fixture
network's Zamyn-Uud extension opens in 2030 with its New Terminal)."""

from __future__ import annotations

import pytest

from silkrail.network.model import Network
from silkrail.routing.query import RouteQuery
from silkrail.routing.router import Router

NEAR_NEW_TERMINAL = "44.15,111.38"  # 4 km from New Terminal, 46 km from open track


def test_a_nearer_station_on_the_same_gauge_becomes_the_access(small_net: Network) -> None:
    """Before the line opens the point is entered at open track 46 km away; from 2030 at the new
    terminal 4 km away (the same gauge, nearer), and the route ends there."""
    r = Router(small_net)
    point = r.places.resolve(NEAR_NEW_TERMINAL)
    assert r.places.with_stations_opened(point, 2029) == point
    assert point.rail is not None and point.rail.km > 40
    after = r.places.with_stations_opened(point, 2031)
    assert after.rail is not None and (after.rail.name, round(after.rail.km)) == ("New Terminal", 4)
    assert after.opened == ()  # same gauge: it replaces the access, it is not a second one
    route = r.route(RouteQuery("Erenhot", NEAR_NEW_TERMINAL, mode="rail", year=2031))
    assert route.destination_access is not None and route.destination_access.name == "New Terminal"
    earlier = r.route(RouteQuery("Erenhot", NEAR_NEW_TERMINAL, mode="rail", year=2029))
    assert earlier.destination_access is not None and earlier.destination_access.name != "New Terminal"
    assert earlier.distance_km < route.distance_km  # the new line is used to its end


def test_today_and_named_stations_are_untouched(small_net: Network) -> None:
    """Without a later year nothing changes, and a named station stays itself."""
    r = Router(small_net)
    point = r.places.resolve(NEAR_NEW_TERMINAL)
    assert r.places.with_stations_opened(point, r.places.year) is point
    station = r.places.resolve("Erenhot")
    assert r.places.with_stations_opened(station, 2031) is station


def test_the_od_matrix_reaches_places_as_routes_do(small_net: Network) -> None:
    """The matrix's totals for the year are the route's (the same access points)."""
    from silkrail.routing.query import RouteOptions

    r = Router(small_net)
    for year in (2029, 2031):
        route = r.route(RouteQuery("Erenhot", NEAR_NEW_TERMINAL, mode="rail", year=year))
        m = r.od_matrix(["Erenhot"], [NEAR_NEW_TERMINAL], RouteOptions(mode="rail", year=year))
        # the same arcs summed in another order (the matrix along the search tree): equal to the ulp
        assert float(m.distance_km[0, 0]) == pytest.approx(route.distance_km, rel=1e-12)

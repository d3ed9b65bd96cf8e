"""A timetable trip on the small fixture network (``fixtures/timetable/on_small_net.yaml``): its
route through its stops, its timed legs and events, its frequency and expected wait, and the same
trip's time in the route answer and the simulation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.network.model import Network
from silkrail.routing.engine import Engine
from silkrail.routing.query import RouteQuery
from silkrail.routing.router import Router
from silkrail.simulation.model import run_replication
from silkrail.simulation.scenario import Scenario, Service, compile_scenario
from silkrail.timetable.answer import answer_route, covering_trips, served_route
from silkrail.timetable.feed import Calendar, Feed, StopTime, Trip
from silkrail.timetable.services import load_services
from silkrail.timetable.trip_route import frequency, trip_route

ON_SMALL = Path(__file__).parent.parent / "fixtures" / "timetable" / "on_small_net.yaml"
HANOI, LANG_SON = "21.0245,105.8412", "21.85,106.76"


@pytest.fixture(scope="module")
def engine(small_net: Network) -> Engine:
    return Engine(small_net, home=None)


@pytest.fixture(scope="module")
def feed() -> Feed:
    return load_services(ON_SMALL)


def _trip(**calendar: object) -> Trip:
    cal = Calendar(
        __import__("datetime").date(2026, 1, 1), __import__("datetime").date(2026, 12, 31), **calendar
    )  # type: ignore[arg-type]
    return Trip("t", "s", cal, (StopTime("a", 0, 0), StopTime("b", 3600, 3600)))


@pytest.mark.parametrize(
    ("calendar", "per_week", "wait_h"),
    [
        ({}, 7.0, 12.0),  # daily: half a day
        ({"weekdays": frozenset({1})}, 1.0, 84.0),  # weekly: half a week
        ({"weekdays": frozenset({0, 2, 4})}, 3.0, (48**2 + 48**2 + 72**2) / (2 * 168)),  # gaps 48, 48, 72 h
        ({"every_days": 2}, 3.5, 24.0),  # alternate days
    ],
)
def test_the_expected_wait_weighs_each_gap_by_its_length(
    calendar: dict[str, object], per_week: float, wait_h: float
) -> None:
    """A random moment falls in a gap in proportion to its length and waits half of it: the sum
    of squared gaps over twice their sum (half a headway when departures are even)."""
    f = frequency(_trip(**calendar))
    assert (f.per_week, f.expected_wait_h) == (pytest.approx(per_week), pytest.approx(wait_h))
    assert f.wait_quantile(0.0) == pytest.approx(0.0, abs=1e-6)
    assert f.wait_quantile(1.0) == pytest.approx(max(f.gaps_h))
    # the share of moments that wait at most the 10th percentile is 10 %
    lo = f.wait_quantile(0.1)
    assert sum(min(lo, g) for g in f.gaps_h) / sum(f.gaps_h) == pytest.approx(0.1)


def test_a_frequency_based_trip_waits_half_a_headway() -> None:
    trip = Trip(
        "f", "s", _trip().calendar, (StopTime("a", 0, 0), StopTime("b", 3600, 3600)), headway_s=84 * 3600
    )
    f = frequency(trip)
    assert (f.expected_wait_h, f.per_week, f.exact) == (42.0, 2.0, False)


def test_a_trip_runs_through_its_stops_and_its_timetable_times_the_run(engine: Engine, feed: Feed) -> None:
    """The border train's stops lie along its route in order, Erenhot and Zamyn-Uud on either side
    of the one crossing (passed once); its published ends keep their times; the legs and events
    add up to the timetable's 24 h, the crossing keeping the model's dwell and the running time
    stretched to fill the rest."""
    tr = trip_route(engine, feed, "border-freight")
    kms = [s.km for s in tr.stops]
    assert kms == sorted(kms) and kms[0] == 0.0 and kms[1] < kms[2] < kms[3]
    assert tr.stops[0].planned_departure_h == 0.0 and tr.stops[-1].planned_arrival_h == 24.0
    assert tr.ride_h == 24.0 and tr.published
    crossings = [e for e in tr.route.events if e.kind == "border_crossing"]
    assert len(crossings) == 1 and crossings[0].crossing_id == "erenhot-zamyn-uud"
    (section,) = tr.sections
    # the crossing's events keep the model's figures, unstretched
    modelled = [(e.kind, e.duration_h) for e in tr.modelled.events if e.kind != "terminal"]
    assert [(e.kind, e.duration_h) for e in tr.route.events if e.kind != "terminal"] == modelled
    # the terminals keep their handling charge and take none of the timetable's time
    terminals = [e for e in tr.route.events if e.kind == "terminal"]
    assert [(e.duration_h, e.cost_usd) for e in terminals] == [
        (0.0, e.cost_usd) for e in tr.modelled.events if e.kind == "terminal"
    ]
    assert tr.route.events[0].kind == "terminal" and tr.route.events[-1].kind == "terminal"
    assert sum(x.cost_usd for x in [*tr.route.legs, *tr.route.events]) == pytest.approx(tr.route.cost_usd)
    assert sum(h for _, h in modelled) == pytest.approx(section.modelled_dwell_h)
    assert section.running_factor == pytest.approx(
        (24.0 - section.modelled_dwell_h) / section.modelled_running_h
    )
    legs = sum(leg.duration_h for leg in tr.route.legs)
    assert legs + sum(e.duration_h for e in tr.route.events) == pytest.approx(24.0)
    assert legs == pytest.approx(section.running_factor * section.modelled_running_h)
    assert {(leg.service, leg.trip, leg.basis) for leg in tr.route.legs} == {
        ("BF", "border-freight", "timetable")
    }
    # the stops on the way get the times the timed route has them at, between the published ones
    assert 0.0 < tr.stops[1].planned_arrival_h < tr.stops[2].planned_arrival_h < 24.0
    # the same track as the model alone would time it
    assert tr.modelled.distance_km == tr.route.distance_km and tr.modelled.duration_h != tr.ride_h


def test_a_published_halt_is_a_stop_and_a_part_of_a_trip_keeps_its_times(engine: Engine, feed: Feed) -> None:
    """Hanoi 06:00, Bac Giang 07:00/07:10, Lang Son 09:10: two sections fitted to their own
    times, the 10 min halt an event of its own; boarded at Bac Giang the ride is 2 h."""
    tr = trip_route(engine, feed, "hanoi-lang-son")
    assert [(s.planned_arrival_h, s.planned_departure_h) for s in tr.stops] == [
        (0.0, 0.0),
        (pytest.approx(1.0), pytest.approx(7 / 6)),
        (pytest.approx(19 / 6), pytest.approx(19 / 6)),
    ]
    assert [s.scheduled_h for s in tr.sections] == [pytest.approx(1.0), pytest.approx(2.0)]
    halt = [e for e in tr.route.events if e.kind == "stop"]
    assert [(e.at, round(e.duration_h, 3), e.basis) for e in halt] == [
        ("Bac Giang", round(1 / 6, 3), "timetable")
    ]
    total = sum(leg.duration_h for leg in tr.route.legs) + sum(e.duration_h for e in tr.route.events)
    assert total == pytest.approx(tr.ride_h) == pytest.approx(19 / 6)
    part = trip_route(engine, feed, "hanoi-lang-son", board=1)
    assert part.ride_h == pytest.approx(2.0) and part.stops[0].name == "Bac Giang"
    with pytest.raises(DataError, match="board before alighting") as exc:
        trip_route(engine, feed, "hanoi-lang-son", board=2, alight=1)
    assert exc.value.field == "trip_id"


def test_the_answer_of_a_covering_service_is_door_to_door(
    engine: Engine, small_net: Network, feed: Feed
) -> None:
    """Hanoi to Lang Son for a traveller: boarding (the timetable's 30 min), the expected wait
    for the daily train (12 h; 10th-90th percentile 2.4-21.6 h as the range), the 3 h 10 min
    ride; legs and events add up to it, and the model's time stands beside it. A shipment is
    never put on that passenger train: no freight service covers the trip."""
    router = Router(small_net, engine=engine)
    o, d = router.places.resolve(HANOI), router.places.resolve(LANG_SON)
    assert [c.trip.id for c in covering_trips(feed, o, d, "passenger")] == ["hanoi-lang-son"]
    assert covering_trips(feed, o, d, "freight") == [] and covering_trips(feed, o, d, "any") == []
    r = served_route(router, RouteQuery(o, d, traffic="passenger"), feed=feed)
    assert r is not None and r.service is not None
    s = r.service
    assert (s.id, s.trip, s.board, s.alight) == ("hanoi-lang-son", "hanoi-lang-son", "Hanoi", "Lang Son")
    assert (s.boarding_h, s.expected_wait_h, s.ride_h) == (0.5, 12.0, pytest.approx(19 / 6))
    assert r.duration_h == pytest.approx(0.5 + 12.0 + 19 / 6)
    assert r.duration_h_range == (pytest.approx(0.5 + 2.4 + 19 / 6), pytest.approx(0.5 + 21.6 + 19 / 6))
    total = sum(leg.duration_h for leg in r.legs) + sum(e.duration_h for e in r.events)
    assert total == pytest.approx(r.duration_h)
    assert [e.kind for e in r.events][:2] == ["boarding", "wait"]
    assert r.train_h == pytest.approx(s.ride_h)  # the train's own run, without boarding and waiting
    modelled = router.route(RouteQuery(o, d, traffic="passenger"))
    assert s.modelled_duration_h == pytest.approx(modelled.duration_h)
    doc = r.to_dict()
    assert doc["service"]["ride_h"] == round(19 / 6, 2) and doc["legs"][0]["service"] == "HL"
    assert served_route(router, RouteQuery(o, d, traffic="freight"), feed=feed) is None
    assert served_route(router, RouteQuery(o, d, traffic="passenger", mode="sea"), feed=feed) is None
    # the default answer: the service's, with the model's other corridors as alternatives
    assert answer_route(router, RouteQuery(o, d, traffic="passenger"), feed=feed) == r
    assert answer_route(router, RouteQuery(o, d), feed=feed).service is None  # freight: the model's


def test_the_simulation_runs_the_trip_on_its_timetable(
    engine: Engine, small_net: Network, feed: Feed
) -> None:
    """A scenario service that runs the border train leaves on its weekdays (Monday and
    Thursday at 08:00 Beijing time, 00:00 UTC) and takes the timetable's 24 h on average over a
    year of trains (its running varies by -5 % to +15 %, its dwell around the crossing's; no
    other train queues)."""
    sc = Scenario(
        "t",
        dt.date(2026, 11, 2),
        364,
        7,
        [Service(name="bf", service="border-freight", teu=80)],
        [],
        ["t.yaml"],
    )
    sim = compile_scenario(sc, {}, small_net, timetables=feed)
    (spec,) = sim.services
    assert spec.departures[:6] == [0.0, 72.0, 168.0, 240.0, 336.0, 408.0]  # Mon, Thu
    assert len(spec.departures) == 104
    assert spec.planned_h == pytest.approx(24.0)
    running = sum(step[0] for step in spec.itinerary)
    dwell = sum(sum(step[2]) / 3 for step in spec.itinerary if step[2] is not None)
    assert running + dwell == pytest.approx(24.0)
    out = run_replication(sim, 7)
    transit = out["services"][0]["transit_h"]
    assert len(transit) == 104 and 0.9 * 24 < sum(transit) / len(transit) < 1.1 * 24


def test_a_scenario_service_runs_a_trip_or_names_its_places() -> None:
    with pytest.raises(ValueError, match="drop via"):
        Service(name="x", service="border-freight", via=["erenhot-zamyn-uud"])
    with pytest.raises(ValueError, match="give origin and destination, or the timetable trip"):
        Service(name="x", trains_per_week=1)

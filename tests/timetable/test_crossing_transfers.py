"""Changing trains at a border crossing or break of gauge takes the crossing's time on top of the
minimum transfer (a hand-written feed with a change at F, and a hand-made crossing record there)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from silkrail.network.records import Crossing
from silkrail.timetable.crossings import CROSSING_KM, crossing_stops, record_hours
from silkrail.timetable.journey import search_feed, transfer_times
from silkrail.timetable.services import load_services

GAUGE = Path(__file__).parent.parent / "fixtures" / "timetable" / "gauge_break.yaml"
CST = dt.timezone(dt.timedelta(hours=8))


def _crossing(**kw) -> Crossing:  # type: ignore[no-untyped-def]
    """A bogie-exchange border crossing a few km from stop F: 3 h customs, 6 h gauge change."""
    base = dict(
        id="test-f",
        name="F crossing",
        kind="border",
        method="bogie_exchange",
        countries=("CN", "MN"),
        gauges_mm=(1435, 1520),
        sides=(),
        lat=43.68,
        lon=111.95,
        status="open",
        opening_year=None,
        curated=True,
        dwell_range_h=None,
        gauge_change_h=6.0,
        source=("silkrail test fixture",),
        as_of="2026-12-01",
        nodes=(),
        edges=0,
        dwell_h=3.0,
        dwell_from="curated",
        cost_usd_per_teu=0.0,
        capacity_trains_per_day=10.0,
    )
    base.update(kw)
    return Crossing(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def feed():  # type: ignore[no-untyped-def]
    return load_services(GAUGE)


def _rides(feed, traffic, crossings):  # type: ignore[no-untyped-def]
    found = search_feed(
        feed,
        "e",
        "g",
        depart=dt.datetime(2026, 12, 2, 5, 0, tzinfo=CST),  # a Wednesday
        traffic=traffic,
        crossings=crossings,
    )
    assert found is not None
    steps, conns = found
    rides = [conns.trip_keys[s.trip][0] for s in steps if s.trip is not None]
    return rides, dt.datetime.fromtimestamp(steps[-1].dep, CST)


def test_only_the_stop_at_the_crossing_is_one(feed) -> None:  # type: ignore[no-untyped-def]
    (at,) = crossing_stops(feed, [_crossing()])
    assert at.stop == "f" and at.border and (at.customs_h, at.gauge_change_h) == (3.0, 6.0)
    far = _crossing(lat=43.65 + 2 * CROSSING_KM / 111.0)
    assert crossing_stops(feed, [far]) == []
    assert crossing_stops(feed, [_crossing(status="planned")]) == []


def test_freight_misses_a_connection_that_fits_the_flat_time_once_the_gauge_change_counts(
    feed,  # type: ignore[no-untyped-def]
) -> None:
    """F2 reaches F on Wednesday at 12:00 and F3 leaves at 17:00: 5 h fits the flat 4 h, so without
    the crossing the container takes F3. With 3 h customs and 6 h bogie exchange it is ready only
    at 01:00 and waits for Thursday's F4 at 12:00."""
    rides, last_dep = _rides(feed, "freight", [])
    assert rides == ["f2", "f3"]
    assert last_dep == dt.datetime(2026, 12, 2, 17, 0, tzinfo=CST)
    at = crossing_stops(feed, [_crossing()])
    rides, last_dep = _rides(feed, "freight", at)
    assert rides == ["f2", "f4"]
    assert last_dep == dt.datetime(2026, 12, 3, 12, 0, tzinfo=CST)


def test_a_dual_gauge_border_adds_customs_only(feed) -> None:  # type: ignore[no-untyped-def]
    """Without a gauge change the 3 h customs dwell plus the 4 h minimum (7 h) still miss F3."""
    crossing = _crossing(method="dual_gauge", gauge_change_h=None)
    assert record_hours(crossing) == (3.0, 0.0)
    tr = transfer_times(feed.select("freight"), "freight", crossing_stops(feed, [crossing]))
    assert tr.tolist() == [240 * 60, (240 + 180) * 60, 240 * 60]


def test_passengers_changing_at_a_border_pass_its_formalities(feed) -> None:  # type: ignore[no-untyped-def]
    """P1 reaches F at 09:00; P2 at 10:00 fits the 30 min minimum but not the feed's 120 min of
    border formalities on top: P3 at 12:00 is taken. A break of gauge inside one country adds
    nothing for a traveller."""
    rides, _ = _rides(feed, "passenger", [])
    assert rides == ["p1", "p2"]
    rides, last_dep = _rides(feed, "passenger", crossing_stops(feed, [_crossing()]))
    assert rides == ["p1", "p3"]
    assert last_dep == dt.datetime(2026, 12, 2, 12, 0, tzinfo=CST)
    inland = crossing_stops(feed, [_crossing(kind="gauge_change", countries=("CN", "CN"))])
    assert transfer_times(feed, "passenger", inland).tolist() == [1800.0] * 3

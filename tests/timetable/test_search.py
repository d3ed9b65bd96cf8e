"""Earliest arrivals and latest departures on a small hand-written timetable (exact answers)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.routing.query import parse_when
from silkrail.timetable.journey import search_feed
from silkrail.timetable.services import load_services

SMALL = Path(__file__).parent.parent / "fixtures" / "timetable" / "small.yaml"
CST = dt.timezone(dt.timedelta(hours=8))
ICT = dt.timezone(dt.timedelta(hours=7))
MSK = dt.timezone(dt.timedelta(hours=3))


@pytest.fixture(scope="module")
def feed():  # type: ignore[no-untyped-def]
    return load_services(SMALL)


def _ride(feed, a, b, **kw):  # type: ignore[no-untyped-def]
    found = search_feed(feed, a, b, **kw)
    assert found is not None
    steps, conns = found
    rides = [conns.trip_keys[s.trip][0] for s in steps if s.trip is not None]
    return steps[0].dep, steps[-1].arr, rides


def test_a_transfer_shorter_than_the_minimum_is_not_made(feed) -> None:  # type: ignore[no-untyped-def]
    """X1 reaches B at 10:00; X2 leaves at 10:20, inside the 30 min transfer: X3 at 11:00 is taken,
    and reaches C at 11:30 Vietnam time (04:30 UTC), across the time-zone change."""
    dep, arr, rides = _ride(feed, "a", "c", depart=dt.datetime(2026, 12, 3, 7, 0, tzinfo=CST))
    assert rides == ["x1", "x3"]
    assert dt.datetime.fromtimestamp(arr, ICT) == dt.datetime(2026, 12, 3, 11, 30, tzinfo=ICT)
    assert dt.datetime.fromtimestamp(dep, CST) == dt.datetime(2026, 12, 3, 8, 0, tzinfo=CST)


def test_staying_on_a_through_train_needs_no_transfer(feed) -> None:  # type: ignore[no-untyped-def]
    """X4 stops 5 min at B: a traveller on board goes on to C (16:50 local) without a transfer."""
    _, arr, rides = _ride(feed, "a", "c", depart=dt.datetime(2026, 12, 3, 12, 0, tzinfo=CST))
    assert rides == ["x4"]
    assert dt.datetime.fromtimestamp(arr, ICT) == dt.datetime(2026, 12, 3, 16, 50, tzinfo=ICT)


def test_a_late_start_waits_overnight(feed) -> None:  # type: ignore[no-untyped-def]
    """From B after the day's last train (X4 16:05), the next is X2 at 10:20 the following day."""
    dep, arr, rides = _ride(feed, "b", "c", depart=dt.datetime(2026, 12, 3, 17, 0, tzinfo=CST))
    assert rides == ["x2"]
    assert dt.datetime.fromtimestamp(dep, CST) == dt.datetime(2026, 12, 4, 10, 20, tzinfo=CST)
    assert dt.datetime.fromtimestamp(arr, ICT) == dt.datetime(2026, 12, 4, 11, 0, tzinfo=ICT)


def test_freight_waits_for_the_weekly_departure(feed) -> None:  # type: ignore[no-untyped-def]
    """F1 leaves A on Tuesdays at 12:00: a container ready on Wednesday 2 December waits for
    Tuesday 8 December and arrives 240 h later, in Moscow time."""
    dep, arr, rides = _ride(
        feed, "a", "d", depart=dt.datetime(2026, 12, 2, 9, 0, tzinfo=CST), traffic="freight"
    )
    assert rides == ["f1"]
    assert dt.datetime.fromtimestamp(dep, CST) == dt.datetime(2026, 12, 8, 12, 0, tzinfo=CST)
    assert dt.datetime.fromtimestamp(arr, MSK) == dt.datetime(2026, 12, 18, 7, 0, tzinfo=MSK)


def test_passenger_traffic_ignores_freight_trains(feed) -> None:  # type: ignore[no-untyped-def]
    assert (
        search_feed(feed, "a", "d", depart=dt.datetime(2026, 12, 2, tzinfo=CST), traffic="passenger") is None
    )


def test_the_latest_departure_to_arrive_in_time(feed) -> None:  # type: ignore[no-untyped-def]
    """To be in C by 12:00 Vietnam time, leave A at 08:00 (X1, then X3 after the transfer)."""
    dep, arr, rides = _ride(feed, "a", "c", arrive=dt.datetime(2026, 12, 3, 12, 0, tzinfo=ICT))
    assert rides == ["x1", "x3"]
    assert dt.datetime.fromtimestamp(dep, CST) == dt.datetime(2026, 12, 3, 8, 0, tzinfo=CST)
    assert dt.datetime.fromtimestamp(arr, ICT) == dt.datetime(2026, 12, 3, 11, 30, tzinfo=ICT)


def test_latest_departure_respects_the_transfer_time(feed) -> None:  # type: ignore[no-untyped-def]
    """To be in C by 11:10: X2 (arriving 11:00) needs X1 at B by 09:50, and X1 arrives 10:00;
    so the previous evening's X4 is the latest that makes it."""
    dep, _, rides = _ride(feed, "a", "c", arrive=dt.datetime(2026, 12, 3, 11, 10, tzinfo=ICT))
    assert rides == ["x4"]
    assert dt.datetime.fromtimestamp(dep, CST) == dt.datetime(2026, 12, 2, 14, 0, tzinfo=CST)


def test_a_time_needs_its_offset() -> None:
    with pytest.raises(DataError, match="no UTC offset"):
        parse_when("2026-12-03T17:00")
    with pytest.raises(DataError, match="not an ISO 8601 time"):
        parse_when("tomorrow")
    for far in ("0001-01-01T00:00+08:00", "9999-12-31T23:59+08:00"):
        with pytest.raises(DataError, match="outside the years"):
            parse_when(far)
    assert parse_when("2026-12-03T17:00+08:00").utcoffset() == dt.timedelta(hours=8)


def test_a_profile_lists_each_useful_departure_of_the_day(feed) -> None:  # type: ignore[no-untyped-def]
    """From A to C on 3 December: X1 at 08:00 (then X3, 11:30 Hanoi time) and X4 at 14:00 (16:50);
    the freight train F1 leads elsewhere."""
    from silkrail.timetable.journey import profile_feed

    got = profile_feed(feed, "a", "c", dt.date(2026, 12, 3), tz=CST)
    assert [(d.astimezone(CST).strftime("%H:%M"), a.astimezone(ICT).strftime("%H:%M")) for d, a in got] == [
        ("08:00", "11:30"),
        ("14:00", "16:50"),
    ]


def test_links_after_the_last_ride_start_when_it_arrives() -> None:
    """A search back from an arrival time places the egress against the deadline (17:00); the
    journey arrives with the ride (05:30) plus its egress, and what comes before is kept."""
    from silkrail.timetable.journey import after_the_last_ride, reported
    from silkrail.timetable.search import Link, Step

    h = 3600.0
    access = Step(0, 1, 9.5 * h, 10 * h, link=Link(0, 1, 0.5 * h, "access"))
    ride = Step(1, 2, 10 * h, 22.5 * h, trip=0)
    egress = Step(2, 3, 29 * h, 29.25 * h, link=Link(2, 3, 0.25 * h, "egress"))
    steps = after_the_last_ride([access, ride, egress])
    assert steps[:2] == [access, ride]
    assert (steps[2].dep, steps[2].arr) == (22.5 * h, 22.75 * h)
    assert [reported(s) for s in steps] == [False, True, False]
    assert after_the_last_ride([access]) == [access]  # no ride: the model's chain is kept


def test_the_scan_answers_the_same_without_numba(feed) -> None:  # type: ignore[no-untyped-def]
    """SILKRAIL_NO_NUMBA=1 (as on a core install) runs the connection scan as Python: the same
    journey, and numba never imported."""
    import json
    import os
    import subprocess
    import sys

    when = dt.datetime(2026, 12, 3, 7, 0, tzinfo=CST)
    code = (
        "import datetime as dt, json, sys\n"
        "from silkrail.timetable.journey import search_feed\n"
        "from silkrail.timetable.services import load_services\n"
        f"steps, conns = search_feed(load_services({str(SMALL)!r}), 'a', 'c', "
        f"depart=dt.datetime.fromisoformat({when.isoformat()!r}))\n"
        "print(json.dumps([steps[0].dep, steps[-1].arr, [conns.trip_keys[s.trip][0] for s in steps "
        "if s.trip is not None], 'numba' in sys.modules]))\n"
    )
    env = {**os.environ, "SILKRAIL_NO_NUMBA": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    dep, arr, rides, numba_loaded = json.loads(out.stdout)
    assert [dep, arr, rides] == list(_ride(feed, "a", "c", depart=when))
    assert numba_loaded is False

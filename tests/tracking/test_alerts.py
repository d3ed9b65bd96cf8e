"""Each alert rule at its threshold, raised once per train, and as the core raises it."""

from __future__ import annotations

from datetime import timedelta

from silkrail.tracking import alerts, core
from silkrail.tracking.alerts import NewAlert, raise_once
from silkrail.tracking.core import TrackState
from silkrail.tracking.dwell import DwellSums, expected_dwell

from .track import BORDER, PLANNED, TRAIN, at, index, ms, pos, profile


def test_off_route_beyond_50_km() -> None:
    assert alerts.off_route(TRAIN, 50.0, at(1)) is None
    assert alerts.off_route(TRAIN, 61.2, at(1)) == NewAlert(
        TRAIN, "off_route", "position 61 km off the planned route", at(1)
    )


def test_dwell_beyond_the_95th_percentile() -> None:
    assert alerts.long_dwell(TRAIN, 12.0, BORDER, at(14)) is None
    assert alerts.long_dwell(TRAIN, 14.0, BORDER, at(14)) == NewAlert(
        TRAIN, "dwell", "14.0 h at Borderville, beyond its expected 95th percentile of 12.0 h", at(14)
    )


def test_late_beyond_12_hours() -> None:
    assert alerts.late(TRAIN, 12.0, at(25), at(2)) is None
    assert alerts.late(TRAIN, 25.0, at(38), at(2)) == NewAlert(
        TRAIN, "late", "expected 25.0 h late (ETA 2026-03-02 14:00 UTC)", at(2)
    )


def test_silent_after_24_hours() -> None:
    assert alerts.silent(TRAIN, at(0), at(23.9)) is None
    assert alerts.silent(TRAIN, None, at(100)) is None  # never reported: not started
    assert alerts.silent(TRAIN, at(0), at(24)) == NewAlert(TRAIN, "silent", "no event for 24 h", at(24))


def test_each_kind_is_raised_once() -> None:
    first = alerts.silent(TRAIN, at(0), at(30))
    kinds, raised = raise_once(frozenset(), first)
    assert (kinds, raised) == (frozenset({"silent"}), (first,))
    assert raise_once(kinds, first) == (kinds, ())
    assert raise_once(kinds, None) == (kinds, ())


def test_the_core_raises_off_route_once() -> None:
    """Two positions 80 km off the route: one alert, at the first."""
    state = TrackState.planned(TRAIN, PLANNED)
    kwargs = {"profile": profile(), "milestones": index([]), "match": (40.0, 80.0)}
    first = core.apply(state, pos("p1", 1), **kwargs)  # type: ignore[arg-type]
    second = core.apply(first.state, pos("p2", 2), **kwargs)  # type: ignore[arg-type]
    assert [a.kind for a in first.alerts] == ["off_route"] and second.alerts == ()
    assert second.state.alerted == frozenset({"off_route"})


def test_the_core_raises_dwell_at_the_exit() -> None:
    """14 h between entry and exit, beyond the border's 12 h: a 'dwell' alert at the exit time,
    and the wait still learned."""
    state = TrackState(
        TRAIN, "at_crossing", 100.0, PLANNED, last_time=at(2), crossing="xb", crossing_since=at(2)
    )
    step = core.apply(state, ms("x1", "border_exit", 16), profile=profile(), milestones=index([]))
    assert step.alerts == (
        NewAlert(
            TRAIN, "dwell", "14.0 h at Borderville, beyond its expected 95th percentile of 12.0 h", at(16)
        ),
    )
    assert step.observed == ("xb", 14.0)


def test_the_core_raises_late_once() -> None:
    """Inside the border at hour 2, where three operators saw 30 h waits (20 each): due at
    hour 2 + the learned wait + 6 h (running and the gauge change), about 24 h late: one alert."""
    state = TrackState(
        TRAIN, "at_crossing", 100.0, PLANNED, last_time=at(2), crossing="xb", crossing_since=at(2)
    )
    learned = {"xb": {op: DwellSums(20, 600.0, 18_000.0) for op in ("a", "b", "c")}}
    kwargs = {"profile": profile(), "planned": PLANNED, "learned": learned, "now": at(50)}
    first = core.refresh(state, **kwargs)  # type: ignore[arg-type]
    wait = expected_dwell(profile().stops[0], learned)
    assert 29 < wait < 30
    eta = at(2 + wait + 4 + 2)
    assert first.alerts == (
        NewAlert(TRAIN, "late", f"expected {wait - 5:,.1f} h late (ETA {eta:%Y-%m-%d %H:%M} UTC)", at(2)),
    )
    assert core.refresh(first.state, **kwargs).alerts == ()  # type: ignore[arg-type]


def test_the_core_raises_silent_for_moving_trains_only() -> None:
    running = TrackState(TRAIN, "running", 50.0, PLANNED, last_time=at(1))
    step = core.check_silent(running, at(1) + timedelta(hours=30))
    assert [a.message for a in step.alerts] == ["no event for 30 h"]
    assert core.check_silent(step.state, at(100)).alerts == ()
    arrived = TrackState(TRAIN, "arrived", 300.0, at(14), last_time=at(14))
    assert core.check_silent(arrived, at(100)).alerts == ()

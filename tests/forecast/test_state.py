"""The live state read from a tracker (small fixture network, SQLite): where each train is, what
lies ahead of it, how long it has been inside a crossing, the learned dwell, its observed pace,
and which trains are left out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from silkrail.forecast.state import (
    LEARN_SPREAD_N,
    MAX_SILENT_H,
    REPORT_ERROR_H,
    TIMING_ERROR_H,
    observed_pace,
    servers_for,
    snapshot,
)
from silkrail.network.model import Network
from silkrail.tracking.dwell import estimate_dwell
from silkrail.tracking.eta import Profile, Stop
from silkrail.tracking.tracker import Tracker
from tests.forecast.conftest import CROSSING, T0, at_km, hours, milestone, new_train, position


def test_a_running_train_is_dead_reckoned_from_its_newest_report(
    tracker: Tracker, small_net: Network
) -> None:
    """Reported 1.5 h before now a third of the way to the crossing: it starts 1.5 h ago from
    there, the crossing ahead with the planned running time to it, then the rest of the run."""
    tid = new_train(tracker, "A")
    p = tracker.profile(tid)
    (stop,) = p.stops
    km = stop.km / 3
    tracker.ingest([position("a1", tid, T0 + hours(2), at_km(p, km))], now=T0 + hours(2))
    state = snapshot(tracker, small_net, now=T0 + hours(3.5))
    (t,) = state.trains
    assert t.status == "running" and t.start_h == pytest.approx(-1.5)
    (v,) = t.visits
    got_km = tracker.train(tid).progress_km
    assert v.run_h == pytest.approx(p.run_h_at(stop.km) - p.run_h_at(got_km), abs=0.01)  # km shown to 0.1
    assert t.final_run_h == pytest.approx(p.run_h_at(p.total_km) - p.run_h_at(stop.km))
    assert t.start_error_h == REPORT_ERROR_H
    (c,) = state.crossings
    rec = next(x for x in small_net.crossings if x.id == CROSSING)
    assert c.id == CROSSING and c.capacity_per_day == rec.capacity_trains_per_day
    assert c.servers == servers_for(rec.capacity_trains_per_day, stop.dwell_h)
    assert state.crossings[v.crossing].id == CROSSING and v.dwell.mean_h == pytest.approx(stop.dwell_h)


def test_a_train_inside_a_crossing_is_served_there_since_its_entry(
    tracker: Tracker, small_net: Network
) -> None:
    """Entered 3 h before now: in service for 3 h, nothing ahead but the run to its destination."""
    tid = new_train(tracker, "B")
    p = tracker.profile(tid)
    tracker.ingest([milestone("b1", tid, T0 + hours(5), "border_entry")], now=T0 + hours(5))
    (t,) = snapshot(tracker, small_net, now=T0 + hours(8)).trains
    assert t.status == "at_crossing" and t.in_service is not None
    assert t.in_service.elapsed_h == pytest.approx(3.0) and t.visits == ()
    assert t.start_h == 0.0 and t.start_error_h == 0.0
    assert t.final_run_h == pytest.approx(p.run_h_at(p.total_km) - p.run_h_at(p.stops[0].km))


def test_planned_trains_start_at_their_departure_and_late_ones_are_left_out(
    tracker: Tracker, small_net: Network
) -> None:
    """A train leaving in 10 h starts then (not departed yet); one leaving after the horizon, and
    one silent for longer than MAX_SILENT_H, are left out and counted."""
    soon = new_train(tracker, "soon", T0 + hours(10))
    new_train(tracker, "later", T0 + hours(100))
    quiet = new_train(tracker, "quiet", T0 - hours(200))
    p = tracker.profile(quiet)
    tracker.ingest([position("q1", quiet, T0 - hours(MAX_SILENT_H + 5), at_km(p, 1.0))], now=T0)
    state = snapshot(tracker, small_net, now=T0, horizon_h=72.0)
    assert [t.id for t in state.trains] == [soon]
    (t,) = state.trains
    assert t.start_h == pytest.approx(10.0) and not t.departed and t.status == "planned"
    assert state.left_out == 2


def test_the_learned_dwell_and_its_spread_replace_the_planned_ones(
    tracker: Tracker, small_net: Network
) -> None:
    """After LEARN_SPREAD_N observed waits of 20 to 28 h, a train's dwell ahead is the tracker's
    own estimate (between the plan and the observed mean: one operator moves it half way) with
    the spread of the observations (log-normal sigma from their coefficient of variation)."""
    waits = [20.0, 22.0, 24.0, 26.0, 28.0][:LEARN_SPREAD_N]
    for n, w in enumerate(waits):
        tid = new_train(tracker, f"w{n}")
        t_in = T0 + hours(5 + n)
        tracker.ingest(
            [
                milestone(f"w{n}i", tid, t_in, "border_entry"),
                milestone(f"w{n}o", tid, t_in + hours(w), "border_exit"),
            ],
            now=t_in + hours(w),
        )
    probe = new_train(tracker, "probe", T0 + hours(40))
    state = snapshot(tracker, small_net, now=T0 + hours(36))
    (t,) = [x for x in state.trains if x.id == probe]
    (stop,) = tracker.profile(probe).stops
    mean = sum(waits) / len(waits)
    var = sum((w - mean) ** 2 for w in waits) / (len(waits) - 1)
    expected = estimate_dwell(stop, tracker.learned_dwell()).hours
    assert t.visits[0].dwell.mean_h == pytest.approx(expected)
    assert stop.dwell_h < expected < mean
    assert t.visits[0].dwell.sigma_log == pytest.approx(math.sqrt(math.log1p(var / mean**2)))


def _line_profile() -> Profile:
    """A made-up route: 1,000 km at 50 km/h (20 h), a crossing at km 200 with a 5 h dwell."""
    km = np.linspace(0.0, 1000.0, 101)
    stop = Stop("c", "Crossing c", 200.0, 5.0, 12.0, sigma_log=0.3)
    return Profile(43.0 + km / 1000, 112.0 + 0 * km, km, km / 50.0, (stop,))


def test_a_train_s_pace_is_read_since_its_border_exit() -> None:
    """Left the crossing at km 200 and reported at km 700 twelve hours later (10 h planned): its
    pace is 1.2, with a standard error of TIMING_ERROR_H over the 10 planned hours."""
    p = _line_profile()
    out = T0 + hours(9)
    got = observed_pace(p, T0, 700.0, out + hours(12), [(out, "Crossing c")], {})
    assert got == pytest.approx((1.2, TIMING_ERROR_H / 10.0))


def test_without_an_exit_the_pace_counts_from_departure_less_the_expected_dwell() -> None:
    """No milestone at the crossing passed: from departure, its planned dwell taken out, and its
    spread added to the standard error."""
    p = _line_profile()
    pace, se = observed_pace(p, T0, 700.0, T0 + hours(14 * 1.1 + 5.0), [], {})
    assert pace == pytest.approx(1.1)
    assert se == pytest.approx(math.sqrt(TIMING_ERROR_H**2 + 25.0 * math.expm1(0.09)) / 14.0)


def test_no_pace_is_read_near_a_crossing_or_from_a_short_stretch() -> None:
    """A train 5 km before a crossing may be queueing; 1 h of planned running teaches nothing."""
    p = _line_profile()
    assert observed_pace(p, T0, 195.0, T0 + hours(30), [], {}) is None
    assert (
        observed_pace(p, T0, 250.0, T0 + hours(9) + hours(1.0), [(T0 + hours(9), "Crossing c")], {}) is None
    )

"""The hand-made case of the issue: 10 trains converge on a crossing that clears 4 a day (one
server, 6 h a train). Every figure is exact (no spread), so the forecast must give the hand
computation: first come, first served, train j (due at 10 + j h) starts at 10 + 6j h."""

from __future__ import annotations

import numpy as np
import pytest

from silkrail.forecast.runner import run_forecast
from silkrail.forecast.whatif import WhatIfRequest, what_if
from tests.forecast.cases import DWELL_H, EXACT, FINAL_H, converging

N = 10


def hand_start(j: int) -> float:
    """When train j's service starts: when it arrives or when the one before it is done."""
    t = 10.0
    for i in range(j + 1):
        t = max(10.0 + i, t if i == 0 else t + DWELL_H)
    return t


def hand_queue(t: float) -> int:
    """Trains waiting at time t: arrived, not yet started."""
    return sum(10.0 + j <= t < hand_start(j) for j in range(N))


@pytest.fixture(scope="module")
def forecast():  # type: ignore[no-untyped-def]
    return run_forecast(converging(N), replications=3, run_factor=EXACT, step_h=1.0)


def test_starts_follow_the_single_server() -> None:
    """The hand computation itself: one 6 h service after another from 10 h."""
    assert [hand_start(j) for j in range(N)] == [10.0 + 6 * j for j in range(N)]


def test_queue_over_time_matches_the_hand_computation(forecast) -> None:  # type: ignore[no-untyped-def]
    """The median queue at every hour is the count of trains arrived and not yet served; with
    no spread, the band has no width."""
    c = forecast.crossing("x")
    assert c is not None and c.servers == 1
    for p in c.queue:
        assert p.band.p10 == p.band.p50 == p.band.p90 == hand_queue(p.t_h), p.t_h
    assert c.peak.band.p50 == 8 and c.peak.t_h == 19.0  # all ten there, two served


def test_waits_and_etas_match_the_hand_computation(forecast) -> None:  # type: ignore[no-untyped-def]
    """Train j waits 5j h and arrives at 10 + 6j + 6 + 5 h; the crossing's wait band is that of
    the ten waits."""
    waits = [hand_start(j) - (10.0 + j) for j in range(N)]
    assert waits == [5.0 * j for j in range(N)]
    for j, t in enumerate(forecast.trains):
        assert t.eta_h.p50 == pytest.approx(hand_start(j) + DWELL_H + FINAL_H)
        assert t.crossings[0].wait_h.p50 == pytest.approx(waits[j])
    band = forecast.crossing("x").wait_h
    assert (band.p10, band.p50, band.p90) == pytest.approx(tuple(np.percentile(waits, (10, 50, 90))))
    assert forecast.crossing("x").trains == N


def test_congestion_is_alerted_with_the_peak(forecast) -> None:  # type: ignore[no-untyped-def]
    """The alert names the crossing, when the queue peaks, its length and the worst p90 wait."""
    (alert,) = forecast.alerts
    assert alert.crossing == "x" and alert.in_h == 19.0 and alert.trains == 8
    assert alert.message.startswith("predicted congestion at Crossing x in 19 h: 8 trains queueing")


def test_slots_remove_the_queue_and_save_the_holds_before_departure(forecast) -> None:  # type: ignore[no-untyped-def]
    """Each train gets the slot 10 + 6j h: trains under way wait at a yard (5j h), the others
    leave later by it. The border queue is gone; the wait saved is the holds taken before
    departure: 5 (5 + 6 + 7 + 8 + 9) = 175 h of the 225 h first come, first served."""
    plan = forecast.slots
    assert plan is not None
    (at_x,) = plan.crossings
    assert at_x.fcfs_wait_h == pytest.approx(225.0)
    assert at_x.border_wait_h == pytest.approx(0.0)
    assert at_x.yard_hold_h == pytest.approx(5.0 * (1 + 2 + 3 + 4))
    assert at_x.departure_hold_h == pytest.approx(5.0 * (5 + 6 + 7 + 8 + 9))
    assert at_x.peak_queue_fcfs == 8 and at_x.peak_queue_slotted == 0
    assert plan.fcfs is not None and plan.slotted is not None
    assert plan.fcfs.wait_h == pytest.approx(225.0)
    assert plan.slotted.border_wait_h == pytest.approx(0.0)
    assert plan.saved_h == pytest.approx(175.0)
    holds = {t.id: t.holds for t in forecast.trains}
    assert holds["t0"] == ()
    for j in range(1, N):
        (h,) = holds[f"t{j}"]
        assert h.hours == pytest.approx(5.0 * j) and h.slot_h == pytest.approx(10.0 + 6 * j)
        assert h.where == ("yard" if j < 5 else "departure")


def test_closing_the_crossing_for_a_day_delays_every_train_by_the_hand_amount() -> None:
    """Closed from now for 24 h: the first service starts at 24 h instead of 10 h, and each one
    after it 6 h later, so every train arrives 14 h later; the queue peaks at all ten."""
    state = converging(N)
    w = what_if(
        state,
        WhatIfRequest.model_validate({"close": {"crossing": "x", "hours": 24}}),
        net=None,
        replications=3,
        reroutes=False,
        run_factor=EXACT,
    )
    assert [a.id for a in sorted(w.affected, key=lambda a: a.id)] == sorted(f"t{j}" for j in range(N))
    assert all(a.delay_h == pytest.approx(14.0) for a in w.affected)
    (q,) = w.queues
    assert q.id == "x" and q.peak_before == 8 and q.peak_after == 10

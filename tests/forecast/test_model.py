"""The forecast's replication on the simulation kernel, one rule a test: same seed, same result;
a change reaches only the trains it touches (common random numbers); a train inside a crossing
keeps its server; trains due in the past queue in the order they would have arrived; capacity
cuts, dwell changes and pure-delay stops."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from silkrail.errors import DataError
from silkrail.forecast.model import Layout, posterior_pace, replicate, triangular_at
from silkrail.forecast.runner import check_replications, run_forecast, simulate_state
from silkrail.forecast.state import Dwell, InService, LiveState, LiveTrain, Visit, Window
from tests.forecast.cases import EXACT, NOW, converging, crossing


def _train(tid: str, visits: tuple[Visit, ...], *, start: float = 0.0, final: float = 5.0, **kw) -> LiveTrain:  # type: ignore[no-untyped-def]
    return LiveTrain(tid, tid, "Moscow", "running", start, visits, final, **kw)


def test_same_seed_same_outcome_and_seeds_differ() -> None:
    """A replication is a pure function of (state, seed); the spread makes seeds differ."""
    spread = converging()
    spread = replace(spread, crossings=(crossing(sigma=0.4),))
    a, b, c = (replicate(spread, s) for s in (5, 5, 6))
    assert np.array_equal(a.eta_h, b.eta_h) and np.array_equal(a.start_h, b.start_h)
    assert not np.array_equal(a.eta_h, c.eta_h)


def test_a_change_leaves_the_trains_it_does_not_touch_as_they_were() -> None:
    """Two crossings, two sets of trains: closing x moves only x's trains; y's trains meet the
    very same draws (their ETAs are equal replication by replication)."""
    x, y = crossing("x", sigma=0.4), crossing("y", sigma=0.4)
    trains = [_train(f"x{j}", (Visit(10 + j, 0, Dwell(6.0, 0.4), "x"),)) for j in range(4)]
    trains += [_train(f"y{j}", (Visit(8 + j, 1, Dwell(6.0, 0.4), "y"),)) for j in range(4)]
    live = LiveState(NOW, 72.0, (x, y), tuple(trains))
    closed = live.with_crossing(0, replace(x, closures=(Window(0.0, 30.0),)))
    a = simulate_state(live, replications=20)
    b = simulate_state(closed, replications=20)
    assert np.array_equal(a.eta_h[:, 4:], b.eta_h[:, 4:])
    assert (b.eta_h[:, :4] > a.eta_h[:, :4]).all()
    assert (b.start_h[:, :4] >= 30.0).all()  # nobody served while it is closed


def test_a_train_inside_keeps_its_server_until_its_dwell_is_done() -> None:
    """Inside for 2 h of a 6 h dwell: it leaves at 4 h; the train due at 1 h waits for it."""
    inside = _train("in", (), in_service=InService(0, Dwell(6.0), 2.0, "x"))
    due = _train("due", (Visit(1.0, 0, Dwell(6.0), "x"),))
    state = LiveState(NOW, 72.0, (crossing(),), (inside, due))
    r = replicate(state, 0, run_factor=EXACT)
    assert r.eta_h[0] == pytest.approx(4.0 + 5.0)
    lay = Layout.of(state)
    assert list(lay.position) == [-1, 0]
    assert r.arrive_h[1] == pytest.approx(1.0) and r.start_h[1] == pytest.approx(4.0)


def test_trains_due_in_the_past_queue_in_the_order_they_would_have_arrived() -> None:
    """Dead-reckoned arrivals at -3 h and -1 h: the earlier one is served first, now; the other
    waits for it (and its wait counts from now)."""
    late = _train("late", (Visit(1.0, 0, Dwell(6.0), "x"),), start=-2.0)  # due at -1 h
    early = _train("early", (Visit(1.0, 0, Dwell(6.0), "x"),), start=-4.0)  # due at -3 h
    state = LiveState(NOW, 72.0, (crossing(),), (late, early))
    out = simulate_state(state, replications=1, run_factor=EXACT)
    assert out.start_h[0].tolist() == [6.0, 0.0]
    assert out.arrive_h[0].tolist() == [-1.0, -3.0]
    assert out.waits()[0].tolist() == [6.0, 0.0]


def test_a_capacity_cut_serves_fewer_at_once_while_it_lasts() -> None:
    """Two servers cut to one for the first 12 h: of two trains due at 0 h, the second waits
    for the first (6 h); after the cut both servers work again."""
    two = crossing(per_day=8.0)
    assert two.servers == 2
    trains = tuple(_train(f"t{j}", (Visit(0.0, 0, Dwell(6.0), "x"),)) for j in range(2))
    free = LiveState(NOW, 72.0, (two,), trains)
    cut = free.with_crossing(0, replace(two, cuts=((Window(0.0, 12.0), 1),)))
    assert replicate(free, 0, run_factor=EXACT).start_h.tolist() == [0.0, 0.0]
    assert replicate(cut, 0, run_factor=EXACT).start_h.tolist() == [0.0, 6.0]


def test_a_dwell_change_applies_to_services_starting_in_its_window() -> None:
    """Dwell 20 h for services starting in the first 10 h: the train served at 0 h takes 20 h;
    the one served from 20 h, after the window, takes its own 6 h."""
    x = replace(crossing(), dwell_changes=((Window(0.0, 10.0), 20.0),))
    trains = tuple(_train(f"t{j}", (Visit(0.0, 0, Dwell(6.0), "x"),), final=0.0) for j in range(2))
    r = replicate(LiveState(NOW, 72.0, (x,), trains), 0, run_factor=EXACT)
    assert r.eta_h.tolist() == [20.0, 26.0]


def test_a_stop_without_a_capacity_is_a_delay_not_a_queue() -> None:
    """Two trains at a stop without a crossing record (-1): each takes its dwell, neither waits."""
    trains = tuple(_train(f"t{j}", (Visit(2.0, -1, Dwell(3.0), "port"),), final=1.0) for j in range(2))
    r = replicate(LiveState(NOW, 72.0, (), trains), 0, run_factor=EXACT)
    assert r.eta_h.tolist() == [6.0, 6.0] and r.arrive_h.size == 0


def test_pace_draws_follow_the_prior_and_the_observation() -> None:
    """Without an observation the pace is the running-time factor's triangle (its median at
    z = 0); an exact observation pulls the draw to it; a vague one leaves the prior."""
    assert triangular_at(-9.0, 0.95, 1.15, 1.0) == pytest.approx(0.95, abs=1e-6)
    assert triangular_at(9.0, 0.95, 1.15, 1.0) == pytest.approx(1.15, abs=1e-6)
    prior = (0.95, 1.15, 1.0)
    assert posterior_pace((1.3, 1e-4), prior, 2.0) == pytest.approx(1.3, abs=1e-3)
    assert posterior_pace((1.3, 10.0), prior, 0.0) == pytest.approx(sum(prior) / 3, abs=1e-3)


def test_bands_widen_with_a_spread_and_are_ordered() -> None:
    """With a dwell spread the bands have width and p10 <= p50 <= p90 everywhere."""
    state = replace(converging(), crossings=(crossing(sigma=0.5),))
    f = run_forecast(state, replications=40, slots=False)
    widths = [t.eta_h.p90 - t.eta_h.p10 for t in f.trains]
    assert all(w > 0 for w in widths)
    for t in f.trains:
        assert t.eta_h.p10 <= t.eta_h.p50 <= t.eta_h.p90
    for p in f.crossing("x").queue:
        assert p.band.p10 <= p.band.p50 <= p.band.p90


@pytest.mark.parametrize("bad", [0, -1, 2001, 1.5, True, "100"])
def test_replications_are_bounded(bad: object) -> None:
    with pytest.raises(DataError, match="replications"):
        check_replications(bad)  # type: ignore[arg-type]


@pytest.mark.integration
def test_a_forecast_on_dask_equals_the_serial_one() -> None:
    """Replications in chunks on a LocalCluster of two processes give the same bands, train by
    train and crossing by crossing, as the serial run (each replication is a pure function of
    the state and its seed)."""
    state = replace(converging(), crossings=(crossing(sigma=0.5),))
    serial = run_forecast(state, replications=30, slots=False)
    on_dask = run_forecast(state, replications=30, slots=False, scheduler="local", workers=2)
    assert [t.eta_h for t in on_dask.trains] == [t.eta_h for t in serial.trains]
    assert on_dask.crossings[0].queue == serial.crossings[0].queue

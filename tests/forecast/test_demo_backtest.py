"""The demo feed with queues and a closure, and the backtest, on the small fixture network: the
generated run keeps its crossing's rules (never more trains served than servers, none while it
is closed), its feed replays with every event accepted, and the backtest scores forecasts by
lead time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.forecast.backtest import backtest
from silkrail.forecast.demo import Closure, DemoFeed, DemoService, demo_feed
from silkrail.forecast.replay import Replayer, read_feed
from silkrail.forecast.state import crossing_specs
from silkrail.network.model import Network
from tests.forecast.conftest import CROSSING, DESTINATION, ORIGIN

START = datetime(2026, 3, 2, tzinfo=UTC)
CLOSED = Closure(CROSSING, START + timedelta(days=1.5), 12.0)


@pytest.fixture(scope="module")
def feed(small_net: Network) -> DemoFeed:
    service = DemoService("fixture shuttle", ORIGIN, DESTINATION, 14.0)
    return demo_feed(small_net, START, days=4, services=(service,), closure=CLOSED, every_min=30)


@pytest.fixture(scope="module")
def feed_file(feed: DemoFeed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("feed") / "demo.jsonl.gz"
    assert feed.write(path) == len(feed.lines)
    yield path


def test_the_run_keeps_the_crossing_s_servers_and_its_closure(feed: DemoFeed, small_net: Network) -> None:
    """At every moment at most ``servers`` trains are inside the crossing; no service starts
    while it is closed; trains queued there when it closes wait until it opens."""
    starts = [
        (s.entered, s.left)
        for tr in feed.truth.values()
        for s in tr.stops
        if s.crossing == CROSSING
    ]
    assert len(starts) > 20
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for
    from silkrail.tracking.eta import build_profile

    route = router_for(small_net).route(RouteQuery(ORIGIN, DESTINATION, mode="rail", teu=82))
    (spec,), _ = crossing_specs(small_net, [build_profile(route, small_net.crossings)])
    for a, _ in starts:
        inside = sum(x <= a < y for x, y in starts)
        assert inside <= spec.servers
    end = CLOSED.start + timedelta(hours=CLOSED.hours)
    assert not [a for a, _ in starts if CLOSED.start <= a < end]
    assert any(a == end for a, _ in starts)  # the queue is served the moment it opens


def test_the_feed_replays_with_every_event_accepted(feed_file: Path, small_net: Network) -> None:
    """Every train is planned and every event stored; a train queueing before the border is
    seen standing within the observed-queue distance."""
    recorded = read_feed(feed_file)
    rp = Replayer.start(recorded, small_net)
    try:
        n = rp.advance(recorded.end)
        assert n == len(recorded.events) and rp.totals.to_dict() == {"accepted": n, "duplicates": 0, "rejected": 0}
        assert len(rp.ids) == len(recorded.trains)
        assert rp.scratch is not None and (rp.scratch / "tracking.sqlite").is_file()
    finally:
        rp.close()
    assert not rp.scratch.exists()  # the replay's own database goes with it


def test_a_bad_feed_line_names_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"type": "train", "ref": "a", "name": "A"}\n{"type": "event", "train_ref": "b"}\n')
    with pytest.raises(DataError) as info:
        read_feed(path)
    assert info.value.file == "bad.jsonl" and info.value.line == 2 and "unknown train_ref" in str(info.value)
    path.write_text("not json\n")
    with pytest.raises(DataError, match="line 1: not JSON"):
        read_feed(path)


def test_the_backtest_scores_each_forecast_by_lead(feed_file: Path, small_net: Network) -> None:
    """Forecasts every 6 h after a 12 h warm-up, scored 6 and 12 h later: every scored arrival
    is counted once per forecast and lead, the coverage is a share, and the queue seen at the
    crossing during the closure is in the scores."""
    recorded = read_feed(feed_file)
    b = backtest(recorded, small_net, leads=(6.0, 12.0), every_h=6.0, warm_up_h=12.0, replications=30)
    assert [x.lead_h for x in b.leads] == [6.0, 12.0]
    for lead in b.leads:
        scored = sum(f.covered[lead.lead_h][1] for f in b.forecasts)
        assert lead.trains == scored > 10
        assert 0.4 <= lead.coverage <= 1.0 and lead.eta_mae_h >= 0
        assert lead.queue_points == len(b.forecasts)
    assert b.events["rejected"] == 0
    with pytest.raises(DataError, match="too short"):
        backtest(recorded, small_net, leads=(200.0,), replications=5)

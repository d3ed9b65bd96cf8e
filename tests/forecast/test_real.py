"""The forecast on the real network: closing Erenhot–Zamyn-Uud re-routes the trains that have a
better way round it and leaves the others waiting; the shipped feed replays without a rejected
event and its backtest's 80 % ETA intervals cover 70–90 % of the arrivals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from silkrail.forecast.backtest import backtest
from silkrail.forecast.demo import SHIPPED_FEED, DemoService, demo_feed
from silkrail.forecast.replay import Replayer, read_feed
from silkrail.forecast.state import snapshot
from silkrail.forecast.whatif import REROUTE_GAIN_H, WhatIfRequest, what_if
from silkrail.routing.router import router_for

pytestmark = pytest.mark.integration
EREN = "erenhot-zamyn-uud"


def test_closing_erenhot_reroutes_the_trains_that_have_a_better_way(real_net, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Erenhot–Zamyn-Uud closed for 48 h. Trains from Beijing to Moscow still in China that would
    wait a day or more there go round by Manzhouli (a few hours longer than their own route):
    each such re-route avoids Erenhot and arrives REROUTE_GAIN_H or more before the train would.
    Trains to Ulaanbaatar would go by Manzhouli and Naushki, two days longer: they wait. A train
    past Erenhot is not re-routed; it is reached, if at all, through the queues ahead of it (fewer
    trains behind it at Naushki), by hours, not days."""
    start = datetime(2026, 3, 2, tzinfo=UTC)
    services = (
        DemoService("Beijing–Moscow", "Beijing", "Moscow", 4.0, via=(EREN, "sukhbaatar-naushki")),
        DemoService("Tianjin–Ulaanbaatar", "Tianjin", "Ulaanbaatar", 4.0, via=(EREN,)),
    )
    made = demo_feed(real_net, start, days=3, services=services, closed=False)
    path = tmp_path / "erenhot.jsonl"
    made.write(path)
    feed = read_feed(path)
    rp = Replayer.start(feed, real_net)
    try:
        rp.advance(feed.end)
        state = snapshot(rp.tracker, real_net, now=feed.end)
    finally:
        rp.close()
    request = WhatIfRequest.model_validate({"close": {"crossing": EREN, "hours": 48}})
    w = what_if(state, request, net=real_net, router=router_for(real_net), replications=30)
    ahead = {
        t.id
        for t in state.trains
        if any(state.crossings[v.crossing].id == EREN for v in t.visits if v.crossing >= 0)
    }
    names = {t.id: t.name for t in state.trains}
    assert w.affected and {a.id for a in w.affected if a.reroute is not None} <= ahead
    for a in w.affected:  # a train past Erenhot is reached only through the queues behind it
        if a.id not in ahead:
            assert a.reroute is None and a.note == "the change reaches it through queues elsewhere"
            assert abs(a.delay_h) < 24, a.name
    moscow = [a for a in w.affected if a.id in ahead and names[a.id].startswith("Beijing")]
    ulaanbaatar = [a for a in w.affected if a.id in ahead and names[a.id].startswith("Tianjin")]
    assert len(moscow) >= 5 and len(ulaanbaatar) >= 3
    for a in moscow:
        assert a.reroute is not None and a.reroute.avoids == (EREN,)
        if a.delay_h >= 24:
            assert a.reroute.better, a.name
    for a in ulaanbaatar:
        assert a.reroute is not None and not a.reroute.better and a.reroute.saves_h < -24, a.name
    for a in w.rerouted:
        assert "Erenhot–Zamyn-Uud" not in a.reroute.via  # type: ignore[union-attr]
        assert a.reroute.eta_h <= a.after.p50 - REROUTE_GAIN_H  # type: ignore[union-attr]
    assert len(w.rerouted) >= 5


def test_the_shipped_feed_backtest_covers_70_to_90_percent(real_net) -> None:  # type: ignore[no-untyped-def]
    """Forecasts every 12 h of the shipped feed, scored 24 and 72 h later: every event is stored,
    the 80 % ETA intervals cover 70–90 % of the arrivals, and the forecast's median is nearer the
    arrivals than the tracker's own ETA (which leaves queues out)."""
    result = backtest(read_feed(SHIPPED_FEED), real_net, replications=100)
    assert result.events["rejected"] == 0 and result.events["accepted"] > 20_000
    for lead in result.leads:
        assert lead.trains > 200
        assert 0.70 <= lead.coverage <= 0.90, lead
        assert lead.eta_mae_h < lead.tracker_eta_mae_h, lead

"""A live corridor forecast from the tracked trains: the live state (every train in progress and
the crossings ahead of it), run forward on the simulation kernel with bands from replications,
what-if changes with re-routes, suggested slots at the crossings, and a backtest on a recorded
feed.

>>> from silkrail.forecast import live_forecast        # doctest: +SKIP
>>> f = live_forecast(tracker, net, replications=100)  # doctest: +SKIP
>>> f.alerts[0].message                                # doctest: +SKIP
'predicted congestion at Manzhouli–Zabaykalsk in 18 h: 14 trains queueing, p90 wait 31 h'
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from silkrail.forecast.backtest import Backtest, LeadScore, backtest
from silkrail.forecast.replay import RecordedFeed, Replayer, read_feed
from silkrail.forecast.result import (
    DEFAULT_STEP_H,
    Band,
    CongestionAlert,
    CrossingForecast,
    Forecast,
    Hold,
    TrainForecast,
)
from silkrail.forecast.runner import DEFAULT_REPLICATIONS, run_forecast, simulate_state
from silkrail.forecast.slots import SlotPlan, plan_slots
from silkrail.forecast.state import (
    DEFAULT_HORIZON_H,
    CrossingSpec,
    Dwell,
    InService,
    LiveState,
    LiveTrain,
    Visit,
    Window,
    servers_for,
    snapshot,
)
from silkrail.forecast.whatif import WhatIf, WhatIfRequest, what_if

if TYPE_CHECKING:
    from distributed import Client

    from silkrail.network.model import Network
    from silkrail.tracking.tracker import Tracker

__all__ = [
    "DEFAULT_HORIZON_H",
    "DEFAULT_REPLICATIONS",
    "Backtest",
    "Band",
    "CongestionAlert",
    "CrossingForecast",
    "CrossingSpec",
    "Dwell",
    "Forecast",
    "Hold",
    "InService",
    "LeadScore",
    "LiveState",
    "LiveTrain",
    "RecordedFeed",
    "Replayer",
    "SlotPlan",
    "TrainForecast",
    "Visit",
    "WhatIf",
    "WhatIfRequest",
    "Window",
    "backtest",
    "live_forecast",
    "plan_slots",
    "read_feed",
    "run_forecast",
    "servers_for",
    "simulate_state",
    "snapshot",
    "what_if",
]


def live_forecast(
    tracker: Tracker,
    net: Network,
    *,
    now: datetime | None = None,
    horizon_h: float = DEFAULT_HORIZON_H,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = 0,
    scheduler: str | None = None,
    slots: bool = True,
    client: Client | None = None,
    workers: int = 2,
    step_h: float = DEFAULT_STEP_H,
    run_factor: tuple[float, float, float] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Forecast:
    """The forecast of ``tracker``'s trains at ``now`` (default: the current time) on ``net``:
    :func:`snapshot`, then :func:`run_forecast` (whose options the rest are)."""
    state = snapshot(tracker, net, now=now, horizon_h=horizon_h)
    return run_forecast(
        state,
        replications=replications,
        seed=seed,
        scheduler=scheduler,
        client=client,
        workers=workers,
        step_h=step_h,
        slots=slots,
        run_factor=run_factor,
        progress=progress,
    )

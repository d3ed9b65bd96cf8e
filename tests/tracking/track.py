"""A tiny hand-made track for the pure tracking core: a 300 km route run in 6 h, with a border
crossing at km 100 (planned dwell 5 h, 95th percentile 12 h) and a gauge change at km 200
(2 h, 8 h). Times are hours after T0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from silkrail.tracking.dwell import MilestoneIndex, StoredMilestone
from silkrail.tracking.eta import Profile, Stop
from silkrail.tracking.model import MilestoneEvent, PositionEvent

T0 = datetime(2026, 3, 1, tzinfo=UTC)
TRAIN = "t1"
BORDER = Stop(id="xb", name="Borderville", km=100.0, dwell_h=5.0, p95_h=12.0, aliases=("Grenzstadt",))
GAUGE = Stop(id=None, name="Gaugetown", km=200.0, dwell_h=2.0, p95_h=8.0)
PLANNED = T0 + timedelta(hours=6 + 5 + 2)  # running plus the planned dwell at both stops


def at(h: float) -> datetime:
    return T0 + timedelta(hours=h)


def profile() -> Profile:
    return Profile(
        lat=np.zeros(4),
        lon=np.array([0.0, 0.9, 1.8, 2.7]),
        km=np.array([0.0, 100.0, 200.0, 300.0]),
        run_h=np.array([0.0, 2.0, 4.0, 6.0]),
        stops=(BORDER, GAUGE),
    )


def pos(eid: str, h: float, train: str = TRAIN) -> PositionEvent:
    return PositionEvent(event_id=eid, train_id=train, time=at(h), kind="position", lat=0.0, lon=1.0)


def ms(eid: str, milestone: str, h: float, place: str = "Borderville", train: str = TRAIN) -> MilestoneEvent:
    return MilestoneEvent(
        event_id=eid,
        train_id=train,
        time=at(h),
        kind="milestone",
        milestone=milestone,
        at=place,
    )


def index(events: list[MilestoneEvent], batch: tuple[str, ...] = ()) -> MilestoneIndex:
    """The stored border milestones ``events`` (``batch``: the ids being applied now)."""
    p = profile()

    def stop_of(_: str, place: str) -> Stop | None:
        return p.stop_named(place)

    rows = [StoredMilestone(e.event_id, e.train_id, e.milestone, e.time, e.at) for e in events]
    return MilestoneIndex(rows, stop_of, {(TRAIN, eid) for eid in batch})

"""Hand-made live states for the forecast's tests: crossings and trains as plain records, with
no spread (every figure exact) unless a test asks for one."""

from __future__ import annotations

from datetime import UTC, datetime

from silkrail.forecast.state import CrossingSpec, Dwell, LiveState, LiveTrain, Visit, servers_for

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
EXACT = (1.0, 1.0, 1.0)  # a running-time factor without spread
DWELL_H = 6.0  # the hand-made crossing: 4 trains a day, each served for 6 h (one server)
FINAL_H = 5.0  # running hours from the crossing to each train's destination


def crossing(
    cid: str = "x", per_day: float = 4.0, dwell_h: float = DWELL_H, sigma: float = 0.0
) -> CrossingSpec:
    return CrossingSpec(
        cid, f"Crossing {cid}", 43.7, 111.9, per_day, servers_for(per_day, dwell_h), Dwell(dwell_h, sigma)
    )


def converging(n: int = 10, under_way: int = 5, *, gap_h: float = 1.0, first_h: float = 10.0) -> LiveState:
    """``n`` trains reaching crossing x (4 a day, 6 h each) at ``first_h``, ``first_h + gap_h``, ...:
    the first ``under_way`` reported just now on their way; the others leave in 2 h."""
    trains = []
    for j in range(n):
        due = first_h + j * gap_h
        moving = j < under_way
        start = 0.0 if moving else 2.0
        trains.append(
            LiveTrain(
                id=f"t{j}",
                name=f"train {j}",
                destination="Ulaanbaatar",
                status="running" if moving else "planned",
                start_h=start,
                visits=(Visit(due - start, 0, Dwell(DWELL_H), "Crossing x"),),
                final_run_h=FINAL_H,
                departed=moving,
                lat=43.0,
                lon=112.5,
            )
        )
    return LiveState(NOW, 72.0, (crossing(),), tuple(trains))

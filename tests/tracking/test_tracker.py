"""The Tracker on SQLite with the small fixture network (no service): a train planned through the
Erenhot–Zamyn-Uud crossing, batches stored idempotently and rejected event by event, waits at the
crossing learned and moving later ETAs, tokens writing their operator's trains only, alerts,
changes after a cursor, silent trains and the repair of the learned dwell."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from silkrail.errors import DataError, NoRouteError
from silkrail.network.model import Network
from silkrail.routing.router import Router
from silkrail.tracking.dwell import DwellSums, expected_dwell
from silkrail.tracking.model import TrainIn
from silkrail.tracking.planner import NetworkPlanner
from silkrail.tracking.results import IngestResult, Rejection
from silkrail.tracking.store import migrate
from silkrail.tracking.tracker import ForbiddenError, Tracker, UnknownTrainError

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
ORIGIN, DESTINATION = "43.51,112.1667", "44.0,111.55"  # either side of Erenhot–Zamyn-Uud
CROSSING = "erenhot-zamyn-uud"


@dataclass(frozen=True)
class Writer:
    """A write token as the tracker sees one (the service's ``auth.Token`` is one)."""

    id: str
    operator: str

    @property
    def admin(self) -> bool:
        return self.operator == "*"

    def may_write(self, operator: str | None) -> bool:
        return self.admin or operator == self.operator


FESCO, RZD, ADMIN = Writer("fesco-1", "fesco"), Writer("rzd-1", "rzd"), Writer("root", "*")


@pytest.fixture(scope="module")
def router(small_net: Network) -> Router:
    return Router(small_net, home=None)


@pytest.fixture
def tracker(small_net: Network, router: Router, tmp_path: Path) -> Iterator[Tracker]:
    url = f"sqlite:///{tmp_path / 'tracking.sqlite'}"
    migrate(url)
    t = Tracker.open(url, NetworkPlanner(small_net, router))
    yield t
    t.engine.dispose()


def _train(t: Tracker, name: str = "X1", token: Writer | None = None, **extra: Any) -> str:
    body = TrainIn(name=name, origin=ORIGIN, destination=DESTINATION, departure=T0, **extra)
    return t.create_train(body, token=token).id


def _pos(eid: str, tid: str, h: float, lat: float = 43.6, lon: float = 112.05) -> dict[str, Any]:
    return {
        "event_id": eid,
        "train_id": tid,
        "time": (T0 + timedelta(hours=h)).isoformat(),
        "kind": "position",
        "lat": lat,
        "lon": lon,
    }


def _ms(eid: str, tid: str, h: float, milestone: str, at: str = "Erenhot") -> dict[str, Any]:
    return {
        "event_id": eid,
        "train_id": tid,
        "time": (T0 + timedelta(hours=h)).isoformat(),
        "kind": "milestone",
        "milestone": milestone,
        "at": at,
    }


def test_a_new_train_is_planned_through_the_crossing(tracker: Tracker) -> None:
    """The route is the router's; the first ETA is the departure plus the train's planned run
    (terminal time excluded); its profile has the crossing as its one stop."""
    created = tracker.create_train(
        TrainIn(name="X1", origin=ORIGIN, destination=DESTINATION, departure=T0), token=FESCO
    )
    route = created.route
    terminals = sum(e["duration_h"] for e in route["events"] if e["kind"] == "terminal")
    # the JSON rounds the total and each terminal event to 0.01 h: three half-hundredths at most
    assert abs((created.eta - T0).total_seconds() / 3600 - (route["duration_h"] - terminals)) < 0.016
    [stop] = tracker.profile(created.id).stops
    assert stop.id == CROSSING and stop.dwell_h > 0 and 0 < stop.km < tracker.profile(created.id).total_km
    [summary] = tracker.trains()
    assert (summary.id, summary.status, summary.delay_h, summary.next_event) == (
        created.id,
        "planned",
        0.0,
        "Erenhot–Zamyn-Uud",
    )
    assert summary.remaining_km == pytest.approx(tracker.profile(created.id).total_km, abs=0.1)


def test_an_unknown_place_names_its_field(tracker: Tracker) -> None:
    with pytest.raises(DataError) as info:
        tracker.create_train(TrainIn(name="X", origin="Nowhereville", destination=DESTINATION, departure=T0))
    assert info.value.field == "origin" and "Nowhereville" in str(info.value)
    assert tracker.trains() == []


def test_a_train_naming_its_crossings_is_planned_through_them_and_a_bad_id_names_its_field(
    tracker: Tracker,
) -> None:
    """``via`` holds the crossings of the train's published route: its plan passes them; an id
    the network does not know is a DataError on ``via`` suggesting the closest, nothing stored."""
    tid = _train(tracker, via=["erenhot-zamyn-uud"])
    assert "erenhot-zamyn-uud" in [s.id for s in tracker.profile(tid).stops]
    with pytest.raises(DataError) as info:
        _train(tracker, "X2", via=["erenhot-zamyn-ud"])
    assert info.value.field == "via" and "did you mean erenhot-zamyn-uud" in str(info.value)
    # a crossing off the way (China to Russia, for a train from China to Mongolia; the fixture has
    # no Russia-Mongolia link) is not dropped for the fastest way: the train is refused
    with pytest.raises(NoRouteError, match="through manzhouli-zabaykalsk"):
        _train(tracker, "X3", via=["manzhouli-zabaykalsk"])
    assert [t.id for t in tracker.trains()] == [tid]


def test_a_batch_is_stored_once_and_rejected_event_by_event(tracker: Tracker) -> None:
    """Good events land; a repeat counts as a duplicate; another content under a stored id, an
    unknown train and a bad field are rejected by index; the train moves to its newest position."""
    tid = _train(tracker)
    first = tracker.ingest([_pos("p1", tid, 1.0), _pos("p2", tid, 2.0, 43.62, 112.04)])
    assert (first.accepted, first.duplicates, first.rejected, first.changed) == (2, 0, (), (tid,))
    second = tracker.ingest(
        [
            _pos("p1", tid, 1.0),  # the same event again
            {**_pos("p2", tid, 2.0), "lat": 43.7},  # the same id, another position
            _pos("p3", "no-such-train", 3.0),
            {**_pos("p4", tid, 3.0), "lat": 95.0},
            _pos("p5", tid, 3.0, 43.64, 112.01),
        ]
    )
    assert isinstance(second, IngestResult)
    assert (second.accepted, second.duplicates) == (1, 1)
    assert [r.index for r in second.rejected] == [1, 2, 3]
    assert "other content" in second.rejected[0].error and second.rejected[1].error.startswith("train_id")
    assert second.rejected[2].error.startswith("lat:")
    state = tracker.train(tid)
    assert state.status == "running" and state.last_position is not None
    assert (state.last_position.lat, state.last_position.lon) == (43.64, 112.01)
    assert state.to_dict()["progress_km"] > 0


def test_waits_at_the_crossing_teach_later_etas_one_operator_at_most_half_way(tracker: Tracker) -> None:
    """Two fesco trains wait twice the plan at the crossing: an rzd train's ETA through it moves
    later by what one operator may teach (half way from the plan to what it saw); when two rzd
    trains see the same, the operators agree and it moves further."""
    victim = _train(tracker, "victim", token=ADMIN, operator="ktz")
    stop = tracker.profile(victim).stops[0]
    seen = 2 * stop.dwell_h
    tracker.ingest([_pos("v0", victim, 1.0)], token=ADMIN)
    eta_before = tracker.train(victim).eta

    def wait(token: Writer, k: int) -> None:
        tid = _train(tracker, f"{token.operator}{k}", token=token)
        out = tracker.ingest(
            [_ms(f"in{k}", tid, 5.0, "border_entry"), _ms(f"out{k}", tid, 5.0 + seen, "border_exit")],
            token=token,
        )
        assert out.accepted == 2, out

    def moved(name: str) -> float:
        tracker.ingest([_pos(name, victim, 1.0)], token=ADMIN)  # the same place again: a fresh ETA
        return (tracker.train(victim).eta - eta_before).total_seconds() / 3600

    for k in range(2):
        wait(FESCO, k)
    one = {stop.key: {"fesco": DwellSums(2, 2 * seen, 2 * seen * seen)}}
    assert expected_dwell(stop, one) == pytest.approx(1.5 * stop.dwell_h)  # half way: plan + 50 %
    assert moved("v1") == pytest.approx(0.5 * stop.dwell_h, abs=0.01)
    for k in range(2):
        wait(RZD, k)
    both = {stop.key: {op: DwellSums(2, 2 * seen, 2 * seen * seen) for op in ("fesco", "rzd")}}
    assert moved("v2") == pytest.approx(expected_dwell(stop, both) - stop.dwell_h, abs=0.01)
    assert expected_dwell(stop, both) > 1.6 * stop.dwell_h


def test_tokens_write_their_operators_trains(tracker: Tracker) -> None:
    """A fesco token makes fesco's trains and cannot name another operator (ForbiddenError);
    its events for rzd's train are rejected; an admin writes both."""
    mine = _train(tracker, "mine", token=FESCO)
    with pytest.raises(ForbiddenError):
        _train(tracker, "theirs", token=FESCO, operator="rzd")
    theirs = _train(tracker, "theirs", token=ADMIN, operator="rzd")
    out = tracker.ingest([_pos("f1", mine, 1.0), _pos("f2", theirs, 1.0)], token=FESCO)
    assert out.accepted == 1 and [r.index for r in out.rejected] == [1]
    assert tracker.ingest([_pos("a1", theirs, 1.0)], token=ADMIN).accepted == 1
    assert tracker.ingest([_pos("r1", theirs, 2.0)], token=RZD).accepted == 1


def test_alerts_are_numbered_records_and_changes_follow_a_cursor(tracker: Tracker) -> None:
    """A position far off the route raises an off_route alert, numbered; ``changes`` after a
    cursor taken before it gives the train and the alert, and after the next cursor nothing new."""
    tid = _train(tracker)
    start = tracker.changes(None)
    out = tracker.ingest([_pos("far", tid, 1.0, 10.0, 90.0)])
    [alert] = out.alerts
    assert alert.kind == "off_route" and alert.id >= 1 and "off the planned route" in alert.message
    assert [a.id for a in tracker.alerts()] == [alert.id]
    assert [a.id for a in tracker.alerts(ids=[alert.id])] == [alert.id] and tracker.alerts(
        ids=[alert.id + 1]
    ) == []
    assert [t.id for t in tracker.trains(ids=[tid])] == [tid] and tracker.trains(ids=["nope"]) == []
    seen = tracker.changes(start.cursor)
    assert [t.id for t in seen.trains] == [tid] and [a.id for a in seen.alerts] == [alert.id]
    assert tracker.changes(seen.cursor).alerts == []


def test_a_silent_train_is_alerted_once(tracker: Tracker) -> None:
    tid = _train(tracker)
    tracker.ingest([_pos("p", tid, 1.0)])
    assert tracker.check_silent(now=T0 + timedelta(hours=10)) == []
    [silent] = tracker.check_silent(now=T0 + timedelta(hours=30))
    assert (silent.train_id, silent.kind) == (tid, "silent")
    assert tracker.check_silent(now=T0 + timedelta(hours=40)) == []


def test_repair_recomputes_the_learned_dwell(tracker: Tracker) -> None:
    tid = _train(tracker)
    tracker.ingest([_ms("in", tid, 5.0, "border_entry"), _ms("out", tid, 15.0, "border_exit", "Zamyn-Uud")])
    assert tracker.repair() == {CROSSING: (1, 10.0)}


def test_an_unknown_train_is_its_own_error(tracker: Tracker) -> None:
    with pytest.raises(UnknownTrainError):
        tracker.train("nope")
    assert tracker.ingest([_pos("x", "nope", 1.0)]).rejected == (Rejection(0, "train_id: no train 'nope'"),)


def test_tracking_imports_nothing_above_it() -> None:
    """The tracking layer reaches neither the service nor the client: the replay client lives
    beside the client (``silkrail.replay``), not in ``tracking.feed``."""
    import ast

    import silkrail.tracking

    above = ("silkrail.service", "silkrail.client", "silkrail.replay", "silkrail.cli", "silkrail.commands")
    found = []
    for path in Path(silkrail.tracking.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n.startswith(above)]
    assert found == []


def test_two_trains_of_one_operator_cannot_move_a_crossing_for_everyone(
    tracker: Tracker, caplog: pytest.LogCaptureFixture
) -> None:
    """The reported attack: fesco's two trains report 7-day waits at the crossing (counted at its
    cap). They pushed the crossing to the cap, and another operator's train from 65 to 133 h
    late; now they are outliers: the rzd train's ETA does not move, and the log names them."""
    victim = _train(tracker, "victim", token=RZD)
    tracker.ingest([_pos("v0", victim, 1.0)], token=RZD)
    eta, delay = tracker.train(victim).eta, tracker.train(victim).delay_h
    for k in range(2):
        tid = _train(tracker, f"attack{k}", token=FESCO)
        out = tracker.ingest(
            [_ms(f"in{k}", tid, 5.0, "border_entry"), _ms(f"out{k}", tid, 5.0 + 7 * 24, "border_exit")],
            token=FESCO,
        )
        assert out.accepted == 2
    assert "the waits of fesco are outliers" in caplog.text
    tracker.ingest([_pos("v1", victim, 1.0)], token=RZD)
    assert (tracker.train(victim).eta, tracker.train(victim).delay_h) == (eta, delay)

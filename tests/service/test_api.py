"""The tracking API on SQLite and PostgreSQL: auth, trains, events, ETA learning, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from silkrail.tracking.dwell import DwellSums, expected_dwell
from tests.service.conftest import AUTH
from tests.service.conftest import position as _pos

pytestmark = pytest.mark.integration
T0 = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)


def _train(
    client: TestClient, name: str = "VN-RU 1", departure: datetime = T0, operator: str | None = None
) -> dict[str, Any]:
    body = {
        "name": name,
        "origin": "Hanoi",
        "destination": "Moscow",
        "departure": departure.isoformat(),
        "teu": 80,
    }
    r = client.post("/api/v1/trains", headers=AUTH, json=body | ({"operator": operator} if operator else {}))
    assert r.status_code == 201, r.text
    return r.json()


def _ms(eid: str, tid: str, t: datetime, milestone: str, at: str) -> dict[str, Any]:
    return {
        "event_id": eid,
        "train_id": tid,
        "time": t.isoformat(),
        "kind": "milestone",
        "milestone": milestone,
        "at": at,
    }


def _send(client: TestClient, *events: dict[str, Any]) -> dict[str, Any]:
    """Post one batch with the token; returns the batch result (the request must succeed)."""
    r = client.post("/api/v1/events", headers=AUTH, json={"events": list(events)})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_writes_need_a_valid_token_and_write_nothing_without(client: TestClient) -> None:
    """Missing or wrong bearer token: 401, and no train is created."""
    body = {"name": "x", "origin": "Hanoi", "destination": "Moscow", "departure": T0.isoformat()}
    assert client.post("/api/v1/trains", json=body).status_code == 401
    r = client.post("/api/v1/trains", json=body, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and "token" in r.json()["error"]
    assert client.post("/api/v1/events", json={"events": []}).status_code == 401
    assert client.get("/api/v1/trains").json() == []


def test_a_new_train_has_a_planned_route_and_eta(client: TestClient) -> None:
    """201 with id, ETA = departure + planned duration of the train's run (the route's duration
    without the terminal time before departure and after arrival), and the route as Route.to_dict()."""
    t = _train(client)
    route = t["route"]
    assert route["countries"][0] == "VN" and route["countries"][-1] == "RU"
    eta = datetime.fromisoformat(t["eta"])
    terminals = sum(e["duration_h"] for e in route["events"] if e["kind"] == "terminal")
    assert terminals > 0
    assert abs((eta - T0).total_seconds() / 3600 - (route["duration_h"] - terminals)) < 0.01
    state = client.get(f"/api/v1/trains/{t['id']}").json()
    assert state["status"] == "planned" and state["delay_h"] == 0 and state["remaining_km"] > 7000


def test_events_are_idempotent_and_rejected_one_by_one(client: TestClient) -> None:
    """Duplicates count once; each bad event is rejected with its index and field; good ones land."""
    tid = _train(client)["id"]
    batch = [
        _pos("p1", tid, T0 + timedelta(hours=2), 21.3, 106.1),
        _pos("p1", tid, T0 + timedelta(hours=2), 21.3, 106.1),
        _pos("p2", "no-such-train", T0, 21.3, 106.1),
        _pos("p3", tid, T0, 95.0, 106.1),
        _pos("p4", tid, datetime.now(UTC) + timedelta(days=30), 21.3, 106.1),
        _ms("m1", tid, T0, "border_entry", "Atlantis"),
        {"event_id": "x", "train_id": tid, "time": T0.isoformat(), "kind": "teleport"},
    ]
    out = _send(client, *batch)
    assert out["accepted"] == 1 and out["duplicates"] == 1
    errors = {x["index"]: x["error"] for x in out["rejected"]}
    assert set(errors) == {2, 3, 4, 5, 6}
    assert errors[2].startswith("train_id") and errors[3].startswith("lat") and "future" in errors[4]
    assert "unknown place 'Atlantis'" in errors[5] and "kind" in errors[6]
    again = _send(client, batch[0])
    assert again == {"accepted": 0, "duplicates": 1, "rejected": []}
    state = client.get(f"/api/v1/trains/{tid}").json()
    assert state["status"] == "running" and state["last_position"]["lat"] == 21.3


def test_unstorable_text_and_impossible_times_are_rejected_one_by_one(client: TestClient) -> None:
    """A control character in an id or place, or a time beyond the calendar once in UTC: that
    event is rejected naming its field; the rest of the batch is stored (no 5xx on any backend)."""
    tid = _train(client)["id"]
    batch = [
        _pos("ok", tid, T0 + timedelta(hours=1), 21.3, 106.1),
        _pos("nul\u0000id", tid, T0 + timedelta(hours=2), 21.3, 106.1),
        {**_pos("late", tid, T0, 21.3, 106.1), "time": "9999-12-31T23:30:00-05:00"},
        {**_pos("early", tid, T0, 21.3, 106.1), "time": "0001-01-01T00:30:00+05:00"},
        _ms("tab", tid, T0 + timedelta(hours=3), "border_entry", "Dong\tDang"),
    ]
    out = _send(client, *batch)
    errors = {x["index"]: x["error"] for x in out["rejected"]}
    assert out["accepted"] == 1 and set(errors) == {1, 2, 3, 4}
    assert errors[1].startswith("event_id") and "U+0000" in errors[1]
    assert errors[2].startswith("time") and "out of range" in errors[2] and errors[3].startswith("time")
    assert errors[4].startswith("at") and "U+0009" in errors[4]
    r = client.post(
        "/api/v1/trains",
        headers=AUTH,
        json={"name": "x\u0000", "origin": "Hanoi", "destination": "Moscow", "departure": T0.isoformat()},
    )
    assert r.status_code == 422 and r.json()["error"].startswith("name")


def test_out_of_order_positions_do_not_move_the_train_back(client: TestClient) -> None:
    """A late-arriving older position is stored but the newer state stands."""
    tid = _train(client)["id"]
    _send(client, _pos("b", tid, T0 + timedelta(hours=30), 25.0, 107.5))
    before = client.get(f"/api/v1/trains/{tid}").json()
    assert _send(client, _pos("a", tid, T0 + timedelta(hours=3), 21.3, 106.1))["accepted"] == 1
    after = client.get(f"/api/v1/trains/{tid}").json()
    assert after["progress_km"] == before["progress_km"] and after["last_position"] == before["last_position"]


def test_slow_border_today_makes_etas_through_it_later(client: TestClient) -> None:
    """Observed dwell is learned: after trains of three operators (two each) wait 60 h at a
    crossing, a fourth operator's train's ETA through it moves later by what they teach
    (``dwell.expected_dwell``); a slow train raises 'dwell' and 'late' alerts."""
    trains = [
        _train(client, f"VN-RU {i}", operator=op) for i, op in enumerate(["a", "a", "b", "b", "c", "c", "d"])
    ]
    first_crossing = next(
        e
        for e in trains[0]["route"]["events"]
        if e["kind"] == "border_crossing" and e["from_country"] == "CN"
    )
    at = first_crossing["at"]
    # the planned hours to the crossing: the legs that end there and the stops before it
    route = trains[0]["route"]
    legs_h = 0.0
    for leg in route["legs"]:
        legs_h += leg["duration_h"]
        if leg["to"] == at:
            break
    stops_h = 0.0
    for e in route["events"]:
        if e["at"] == at:
            break
        stops_h += e["duration_h"] if e["kind"] != "terminal" else 0.0
    reach = T0 + timedelta(hours=legs_h + stops_h)
    victim = trains[-1]["id"]
    _send(client, _pos("p0", victim, T0 + timedelta(hours=5), 21.3, 106.1))
    eta_before = datetime.fromisoformat(client.get(f"/api/v1/trains/{victim}").json()["eta"])
    events = []
    for i, t in enumerate(trains[:-1]):
        events += [
            _ms(f"in{i}", t["id"], reach, "border_entry", at),
            _ms(f"out{i}", t["id"], reach + timedelta(hours=60), "border_exit", at),
        ]
    out = _send(client, *events)
    assert out["accepted"] == 12, out
    _send(client, _pos("p1", victim, T0 + timedelta(hours=5), 21.3, 106.1))  # the same place: a fresh ETA
    eta_after = datetime.fromisoformat(client.get(f"/api/v1/trains/{victim}").json()["eta"])
    stop = client.app.state.tracker.profile(victim).stop_named(at)  # type: ignore[attr-defined]
    learned = {stop.key: {op: DwellSums(2, 120.0, 7200.0) for op in "abc"}}
    moved_h = (eta_after - eta_before).total_seconds() / 3600
    assert moved_h == pytest.approx(expected_dwell(stop, learned) - stop.dwell_h, abs=0.01)
    assert moved_h > 0.6 * (60 - stop.dwell_h)
    kinds = {(a["train_id"], a["kind"]) for a in client.get("/api/v1/alerts").json()}
    assert (trains[0]["id"], "dwell") in kinds and (trains[0]["id"], "late") in kinds


def test_out_of_order_milestones_still_teach_the_crossing(client: TestClient) -> None:
    """Milestones arriving in the wrong order or after newer events: an exit posted before its
    entry, and an entry posted after a newer position, each still count as one 60 h wait; the
    trains end up running, not stuck at the border; a late 'departed' does not undo 'arrived'."""
    trains = [_train(client, f"VN-RU {i}") for i in range(3)]
    at = next(
        e["at"]
        for e in trains[0]["route"]["events"]
        if e["kind"] == "border_crossing" and e["from_country"] == "CN"
    )
    a, b, c = (t["id"] for t in trains)
    eta_before = client.get(f"/api/v1/trains/{c}").json()["eta"]
    batches = [
        [_ms("a-out", a, T0 + timedelta(hours=160), "border_exit", at)],
        [_ms("a-in", a, T0 + timedelta(hours=100), "border_entry", at)],
        [_pos("b-pos", b, T0 + timedelta(hours=170), 42.0, 112.0)],
        [_ms("b-in", b, T0 + timedelta(hours=100), "border_entry", at)],
        [_ms("b-out", b, T0 + timedelta(hours=160), "border_exit", at)],
    ]
    for batch in batches:
        assert _send(client, *batch)["accepted"] == 1
    states = {t["id"]: t for t in client.get("/api/v1/trains").json()}
    assert states[a]["status"] == "running" and states[b]["status"] == "running"
    # an entry and an exit in one batch, both older than the train's state: one more wait
    d = _train(client, "VN-RU 3")["id"]
    late = [_pos("d-pos", d, T0 + timedelta(hours=170), 42.0, 112.0)]
    _send(client, *late)
    both = [
        _ms("d-in", d, T0 + timedelta(hours=100), "border_entry", at),
        _ms("d-out", d, T0 + timedelta(hours=160), "border_exit", at),
    ]
    assert _send(client, *both)["accepted"] == 2
    with client.app.state.tracker.engine.connect() as conn:  # type: ignore[attr-defined]
        learned = conn.execute(text("SELECT n, sum_h / n AS mean_h FROM crossing_dwell")).all()
    assert [(n, round(mean, 6)) for n, mean in learned] == [(3, 60.0)]  # a, b and d: each once
    _send(client, _pos("c", c, T0 + timedelta(hours=5), 21.3, 106.1))
    eta_after = client.get(f"/api/v1/trains/{c}").json()["eta"]
    # the learned 60 h wait and the planned dwell (the route's events there) share the estimate
    # evenly (one operator's weight is capped at half): the ETA moves by half their difference
    plan = sum(e["duration_h"] for e in trains[2]["route"]["events"] if e["at"] == at)
    moved = (datetime.fromisoformat(eta_after) - datetime.fromisoformat(eta_before)).total_seconds() / 3600
    assert moved > (60.0 - plan) / 2 - 1.0
    kinds = {(x["train_id"], x["kind"]) for x in client.get("/api/v1/alerts").json()}
    assert (a, "dwell") in kinds and (b, "dwell") in kinds
    _send(client, _ms("c-arr", c, T0 + timedelta(hours=300), "arrived", "Moscow"))
    _send(client, _ms("c-dep", c, T0, "departed", "Hanoi"))
    assert client.get(f"/api/v1/trains/{c}").json()["status"] == "arrived"


def test_off_route_and_silent_alerts(client: TestClient) -> None:
    """A position 1,000 km off the route raises 'off_route'; silence raises 'silent' once."""
    tid = _train(client)["id"]
    _send(client, _pos("far", tid, T0 + timedelta(hours=1), 10.0, 90.0))
    assert any(a["kind"] == "off_route" and a["train_id"] == tid for a in client.get("/api/v1/alerts").json())
    t = client.app.state.tracker  # type: ignore[attr-defined]
    new = t.check_silent(now=T0 + timedelta(days=5))
    assert [a.kind for a in new] == ["silent"]
    assert t.check_silent(now=T0 + timedelta(days=6)) == []


def test_bad_requests_are_4xx_with_the_field(client: TestClient) -> None:
    """Malformed JSON, a missing field, an unknown place, a naive time, too big a batch, an unknown train."""
    r = client.post(
        "/api/v1/events", headers={**AUTH, "Content-Type": "application/json"}, content=b"{not json"
    )
    assert r.status_code == 422 and "JSON" in r.json()["error"]
    r = client.post(
        "/api/v1/trains", headers=AUTH, json={"name": "x", "origin": "Hanoi", "departure": T0.isoformat()}
    )
    assert r.status_code == 422 and "destination" in r.json()["error"]
    r = client.post(
        "/api/v1/trains",
        headers=AUTH,
        json={"name": "x", "origin": "Atlantis", "destination": "Moscow", "departure": T0.isoformat()},
    )
    assert r.status_code == 422 and "Atlantis" in r.json()["error"]
    r = client.post(
        "/api/v1/trains",
        headers=AUTH,
        json={"name": "x", "origin": "Hanoi", "destination": "Moscow", "departure": "2025-03-01T00:00:00"},
    )
    assert r.status_code == 422 and "time zone" in r.json()["error"]
    r = client.post("/api/v1/events", headers=AUTH, json={"events": [{}] * 100_000})
    assert r.status_code == 413 and "at most 10,000" in r.json()["error"]
    r = client.get("/api/v1/trains/nope")
    assert r.status_code == 404 and "nope" in r.json()["error"]
    for resp in (r,):
        assert "Traceback" not in resp.text


def test_status_filter_and_stream(client: TestClient) -> None:
    """?status= filters; the WebSocket stream pushes the update of a train that moved."""
    a, b = _train(client, "a")["id"], _train(client, "b")["id"]
    with client.websocket_connect("/api/v1/stream") as ws:
        _send(client, _pos("s1", a, T0 + timedelta(hours=1), 21.3, 106.1))
        msg = ws.receive_json()
    assert msg["type"] == "train" and msg["train"]["id"] == a
    running = [t["id"] for t in client.get("/api/v1/trains", params={"status": "running"}).json()]
    assert running == [a] and b not in running
    assert client.get("/api/v1/trains", params={"status": "lost"}).status_code == 422


def test_ids_past_32_bits_are_read(client: TestClient) -> None:
    """``since`` past 2^31 (it was a 500 on PostgreSQL, whose alert ids were 32-bit) is an empty
    page, and the largest id the API takes (2^53) is too; past it, a 422."""
    for since in (2**31, 2**53):
        r = client.get("/api/v1/alerts", params={"since": since})
        assert r.status_code == 200 and r.json() == [], r.text
    assert client.get("/api/v1/alerts", params={"since": 2**53 + 1}).status_code == 422

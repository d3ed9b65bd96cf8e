"""The tracking API against a hostile writer, on SQLite and PostgreSQL: poisoned learning, a
batch built to make ingest quadratic, implausible times and numbers, deep JSON, tokens and their
scopes with the audit trail, paging, and a full or read-only disk."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from silkrail.errors import DataError
from silkrail.service.app import create_app
from silkrail.service.auth import Token, load_tokens_file
from silkrail.tracking.dwell import dwell_cap
from tests.service.conftest import AUTH, TOKEN, service_settings
from tests.service.conftest import position as _pos

pytestmark = pytest.mark.integration
T0 = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)


def _train(client: TestClient, name: str = "VN-RU", headers: dict[str, str] = AUTH, **extra: Any) -> Any:
    body = {"name": name, "origin": "Hanoi", "destination": "Moscow", "departure": T0.isoformat(), **extra}
    return client.post("/api/v1/trains", headers=headers, json=body)


def _ms(eid: str, tid: str, t: datetime | str, milestone: str, at: str) -> dict[str, Any]:
    when = t if isinstance(t, str) else t.isoformat()
    return {
        "event_id": eid,
        "train_id": tid,
        "time": when,
        "kind": "milestone",
        "milestone": milestone,
        "at": at,
    }


def _post(client: TestClient, *events: dict[str, Any], headers: dict[str, str] = AUTH) -> Any:
    return client.post("/api/v1/events", headers=headers, json={"events": list(events)})


def _crossings(route: dict[str, Any]) -> list[str]:
    return [e["at"] for e in route["events"] if e["kind"] == "border_crossing"]


def _learned(client: TestClient) -> dict[str, tuple[int, float]]:
    with client.app.state.tracker.engine.connect() as c:  # type: ignore[attr-defined]
        rows = c.execute(
            text("SELECT crossing, sum(n) AS n, sum(sum_h) AS s FROM crossing_dwell GROUP BY crossing")
        )
        return {r.crossing: (r.n, r.s / r.n) for r in rows}


def test_the_poisoning_sequence_leaves_the_crossings_sane(client: TestClient) -> None:
    """The reported attack: an entry at two crossings, then an exit at year 0001, twice each. The
    exits are rejected naming the time; the crossings learn nothing; a batch holding an innocent
    train's event and a poisoned one stores the innocent one (no 500); every ETA stays plausible."""
    victim = _train(client, "victim").json()
    tid = victim["id"]
    first, second = _crossings(victim["route"])[:2]
    for k, at in enumerate((first, second)):
        assert (
            _post(client, _ms(f"in{k}", tid, T0 + timedelta(hours=100 + k), "border_entry", at)).status_code
            == 200
        )
        for n in range(2):
            r = _post(client, _ms(f"out{k}-{n}", tid, "0001-01-01T00:00:00Z", "border_exit", at))
            assert r.status_code == 200, r.text
            assert r.json()["accepted"] == 0 and r.json()["rejected"][0]["error"].startswith("time:")
    assert _learned(client) == {}
    innocent = _train(client, "innocent").json()["id"]
    mixed = [
        _pos("innocent-1", innocent, T0 + timedelta(hours=3)),
        _ms("poison-3", tid, "0001-01-01T00:00:00Z", "border_exit", first),
        _ms("poison-4", tid, T0 - timedelta(days=30), "border_exit", first),
    ]
    r = _post(client, *mixed)
    assert r.status_code == 200 and r.json()["accepted"] == 1
    assert [x["index"] for x in r.json()["rejected"]] == [1, 2]
    for t in client.get("/api/v1/trains").json():
        eta = datetime.fromisoformat(t["eta"])
        assert T0 < eta < T0 + timedelta(days=120), t


def test_an_exit_before_its_entry_and_an_endless_wait_are_rejected(client: TestClient) -> None:
    """Within the plausible window: an exit earlier than the train's entry is rejected (time named),
    a 'wait' of 100 days is rejected, and waits far beyond the crossing's curated figures teach it
    no more than the cap: the learned mean stays within the bounds."""
    trains = [_train(client, f"t{i}").json() for i in range(3)]
    at = _crossings(trains[0]["route"])[0]
    a, b, c = (t["id"] for t in trains)
    assert (
        _post(client, _ms("a-in", a, T0 + timedelta(hours=100), "border_entry", at)).json()["accepted"] == 1
    )
    r = _post(client, _ms("a-out", a, T0 + timedelta(hours=90), "border_exit", at)).json()
    assert r["accepted"] == 0 and "before the train's border_entry" in r["rejected"][0]["error"]
    assert client.get(f"/api/v1/trains/{a}").json()["status"] == "at_crossing"
    r = _post(client, _ms("a-out2", a, T0 + timedelta(days=104), "border_exit", at)).json()
    assert r["accepted"] == 0 and "h any crossing takes" in r["rejected"][0]["error"]
    # two long waits (25 days each: within the window, far beyond the curated figures)
    for tid in (b, c):
        r = _post(
            client,
            _ms(f"{tid}-in", tid, T0 + timedelta(hours=100), "border_entry", at),
            _ms(f"{tid}-out", tid, T0 + timedelta(hours=700), "border_exit", at),
        ).json()
        assert r["accepted"] == 2, r
    stop = next(s for s in client.app.state.tracker.profile(b).stops if s.name == at)  # type: ignore[attr-defined]
    (n, mean) = _learned(client)[stop.key]
    assert n == 2 and 0 <= mean <= dwell_cap(stop) < 600


def test_a_poisoned_table_is_bounded_and_repaired(client: TestClient) -> None:
    """A crossing_dwell row poisoned before these checks (a mean of -17,758,800 h) cannot push an
    ETA out of the calendar: a batch for a train through it is stored (no 500); ``repair`` (and
    ``silkrail tracking repair``) recompute the row from the stored events."""
    t = _train(client).json()
    tid = t["id"]
    at = _crossings(t["route"])[0]
    stop = next(s for s in client.app.state.tracker.profile(tid).stops if s.name == at)  # type: ignore[attr-defined]
    key = stop.key
    _post(
        client,
        _ms("in", tid, T0 + timedelta(hours=100), "border_entry", at),
        _ms("out", tid, T0 + timedelta(hours=110), "border_exit", at),
    )
    with client.app.state.tracker.engine.begin() as c:  # type: ignore[attr-defined]
        c.execute(text("UPDATE crossing_dwell SET n = 5, sum_h = -88794000 WHERE crossing = :k"), {"k": key})
    other = _train(client, "other").json()["id"]
    r = _post(client, _pos("o1", other, T0 + timedelta(hours=2)))
    assert r.status_code == 200 and r.json()["accepted"] == 1
    eta = datetime.fromisoformat(client.get(f"/api/v1/trains/{other}").json()["eta"])
    assert T0 < eta < T0 + timedelta(days=60)
    assert client.app.state.tracker.repair() == {key: (1, 10.0)}  # type: ignore[attr-defined]
    assert _learned(client) == {key: (1, 10.0)}
    with client.app.state.tracker.engine.begin() as c:  # type: ignore[attr-defined]
        c.execute(text("UPDATE crossing_dwell SET n = 9, sum_h = 9e9"))
    from typer.testing import CliRunner

    from silkrail.cli import app

    db = client.app.state.settings.db_url  # type: ignore[attr-defined]
    r = CliRunner().invoke(app, ["tracking", "repair", "--db", db])
    assert r.exit_code == 0 and "1 waits, mean 10.0 h" in r.output, r.output
    assert _learned(client) == {key: (1, 10.0)}


def test_ingest_queries_stay_constant_as_the_batch_grows(client: TestClient) -> None:
    """N border_exit events for one train after N border_entry events: the statements the batch
    runs do not grow with N (they grew by one per exit, each reading every entry: quadratic)."""
    tracker = client.app.state.tracker  # type: ignore[attr-defined]
    counts = []
    for n in (5, 20, 200):  # the first creates the crossing's learned row (an INSERT, once)
        t = _train(client, f"q{n}").json()
        at = _crossings(t["route"])[0]
        entries = [
            _ms(f"{n}-in{k}", t["id"], T0 + timedelta(hours=100, minutes=k), "border_entry", at)
            for k in range(n)
        ]
        exits = [
            _ms(f"{n}-out{k}", t["id"], T0 + timedelta(hours=150, minutes=k), "border_exit", at)
            for k in range(n)
        ]
        assert tracker.ingest(entries).accepted == n
        statements: list[str] = []

        def count(*args: Any, statements: list[str] = statements) -> None:
            if "INSERT INTO alerts" not in args[2]:  # one per new alert: not the batch's size
                statements.append(args[2])

        event.listen(tracker.engine, "before_cursor_execute", count)
        try:
            assert tracker.ingest(exits).accepted == n
        finally:
            event.remove(tracker.engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[1] == counts[2], counts
    assert sum("FROM events" in s for s in statements) <= 1  # the one query for stored milestones
    # and no train takes more than its share of one batch
    t = _train(client, "cap").json()["id"]
    many = [_pos(f"cap{k}", t, T0 + timedelta(seconds=k)) for k in range(2001)]
    out = tracker.ingest(many)
    assert out.accepted == 2000 and out.rejected[0].index == 2000
    assert "more than 2,000 events" in out.rejected[0].error


def test_implausible_times_numbers_and_text_are_refused(client: TestClient) -> None:
    """A departure at 9999-12-31 or in year 1 is a 422 naming the departure; events at year 1, at
    -1e12 (a number, not a time), with "lat": true, or with C1 controls or bidi overrides in
    their text are rejected one by one, naming the field; a repeated event_id with other content
    is rejected, not counted as a duplicate."""
    for when in ("9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z"):
        r = _train(client, departure=when)
        assert r.status_code == 422 and r.json()["error"].startswith("departure"), r.text
    for name in ("a\u0085b", "evil\u202egnp.exe", "x\u2066y"):
        r = _train(client, name)
        assert r.status_code == 422 and r.json()["error"].startswith("name"), r.text
    tid = _train(client).json()["id"]
    good = _pos("same", tid, T0 + timedelta(hours=1))
    batch = [
        good,
        {**_pos("y1", tid, T0), "time": "0001-01-01T00:00:00Z"},
        {**_pos("neg", tid, T0), "time": -1e12},
        {**_pos("bool", tid, T0), "lat": True},
        _ms("c1", tid, T0 + timedelta(hours=2), "border_entry", "Dong\u009bDang"),
        {**good, "lat": 22.0},  # the same id, another position
    ]
    out = _post(client, *batch).json()
    errors = {x["index"]: x["error"] for x in out["rejected"]}
    assert out["accepted"] == 1 and out["duplicates"] == 0 and set(errors) == {1, 2, 3, 4, 5}, out
    assert errors[1].startswith("time") and errors[2].startswith("time") and errors[3].startswith("lat")
    assert errors[4].startswith("at") and "U+009B" in errors[4] and "different content" in errors[5]
    again = _post(client, {**good, "lat": 23.0}).json()
    assert again["duplicates"] == 0 and "stored already for train" in again["rejected"][0]["error"]
    assert _post(client, good).json() == {"accepted": 0, "duplicates": 1, "rejected": []}


def test_deep_json_and_long_numbers_are_422(client: TestClient) -> None:
    """1,000-deep JSON, a 5,000-digit number and NaN: 422 with a sentence, on both write
    endpoints (they were 500)."""
    deep = b"[" * 1000 + b"]" * 1000
    bodies = [
        b'{"events": ' + deep + b"}",
        b'{"events": [{"lat": 1' + b"0" * 5000 + b"}]}",
        b'{"events": [{"lat": NaN}]}',
    ]
    for path in ("/api/v1/events", "/api/v1/trains"):
        for body in bodies:
            r = client.post(path, headers={**AUTH, "Content-Type": "application/json"}, content=body)
            assert r.status_code == 422, (path, body[:30], r.text)
            assert r.json()["error"].startswith("body:") and "Traceback" not in r.text


def test_bearer_scheme_and_repeated_headers(client: TestClient) -> None:
    """'bearer' and 'BEARER' work (the scheme is case-insensitive); two Authorization headers
    are a 400, whichever comes first; a 401 says which scheme to use."""
    for scheme in ("bearer", "BEARER", "Bearer"):
        assert _train(client, headers={"Authorization": f"{scheme} {TOKEN}"}).status_code == 201
    for pair in ((f"Bearer {TOKEN}", "Bearer wrong"), ("Bearer wrong", f"Bearer {TOKEN}")):
        r = client.post(
            "/api/v1/events",
            headers=[("Authorization", pair[0]), ("Authorization", pair[1])],
            json={"events": []},
        )
        assert r.status_code == 400 and "one Authorization header" in r.json()["error"]
    r = client.post("/api/v1/events", headers={"Authorization": f"Basic {TOKEN}"}, json={"events": []})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_the_tokens_file_format(tmp_path: Path) -> None:
    """Comments and blank lines are no tokens; each line is id, operator, secret; a short secret,
    a repeated id or a line of one field is an error naming the file and line."""
    good = tmp_path / "tokens"
    secret = "s" * 32
    good.write_text(f"# operators' tokens\n\n  # indented comment\nops-1 fesco {secret}\nroot * {'r' * 40}\n")
    tokens = load_tokens_file(good)
    assert [(t.id, t.operator) for t in tokens] == [("ops-1", "fesco"), ("root", "*")]
    for text_, words in (
        (f"ops-1 fesco {'s' * 12}", "at least 32"),
        (f"a x {secret}\na y {secret}", "given twice"),
        ("#comment\njust-a-secret-of-enough-length-0123456789", "found 1 field"),
    ):
        bad = tmp_path / "bad"
        bad.write_text(text_)
        with pytest.raises(DataError, match=words) as info:
            load_tokens_file(bad)
        assert info.value.file == str(bad) and info.value.line == text_.count("\n") + 1


def test_tokens_write_only_their_operators_trains_and_leave_an_audit_trail(
    db_url: str, real_net, real_settings
) -> None:  # type: ignore[no-untyped-def]
    """A fesco token creates fesco's trains and cannot write another operator's train (rejected
    per event; naming another operator when creating is 403); an admin token writes all. Every
    stored train and event records the id of the token that wrote it, and no secret is stored."""
    secrets = {name: f"{name}-{uuid.uuid4().hex}" for name in ("fesco", "rzd", "admin")}
    tokens = (
        Token("fesco-1", "fesco", secrets["fesco"]),
        Token("rzd-1", "rzd", secrets["rzd"]),
        Token("root", "*", secrets["admin"]),
    )
    auth = {name: {"Authorization": f"Bearer {s}"} for name, s in secrets.items()}
    settings = service_settings(db_url, real_settings.home, tokens=tokens)
    with TestClient(create_app(settings)) as client:
        mine = _train(client, "fesco 1", headers=auth["fesco"]).json()["id"]
        r = _train(client, "not mine", headers=auth["rzd"], operator="fesco")
        assert r.status_code == 403 and "fesco" in r.json()["error"]
        theirs = _train(client, "rzd 1", headers=auth["admin"], operator="rzd").json()["id"]
        out = _post(
            client,
            _pos("f1", mine, T0 + timedelta(hours=1)),
            _pos("f2", theirs, T0 + timedelta(hours=1)),
            headers=auth["fesco"],
        ).json()
        assert out["accepted"] == 1 and out["rejected"][0]["index"] == 1
        assert out["rejected"][0]["error"] == f"train_id: no train '{theirs}' of the operator 'fesco'"
        assert (
            _post(client, _pos("a1", theirs, T0 + timedelta(hours=2)), headers=auth["admin"]).json()[
                "accepted"
            ]
            == 1
        )
        with client.app.state.tracker.engine.connect() as c:  # type: ignore[attr-defined]
            trains = dict(c.execute(text("SELECT id, created_by FROM trains")).all())
            written = dict(c.execute(text("SELECT event_id, token_id FROM events")).all())
            everything = " ".join(
                str(row)
                for table in ("trains", "events", "train_states")
                for row in c.execute(text(f"SELECT * FROM {table}"))
            )
        assert trains == {mine: "fesco-1", theirs: "root"}
        assert written == {"f1": "fesco-1", "a1": "root"}
        assert not any(s in everything for s in secrets.values())


def test_list_endpoints_page(client: TestClient) -> None:
    """?limit and ?offset page the trains (oldest first); alerts take ?limit and newest_first;
    a limit above 1,000 is a 422."""
    ids = [_train(client, f"p{i}").json()["id"] for i in range(3)]
    assert [t["id"] for t in client.get("/api/v1/trains", params={"limit": 2}).json()] == ids[:2]
    assert [t["id"] for t in client.get("/api/v1/trains", params={"limit": 2, "offset": 2}).json()] == ids[2:]
    assert client.get("/api/v1/trains", params={"limit": 5000}).status_code == 422
    for k, tid in enumerate(ids):
        _post(client, _pos(f"far{k}", tid, T0 + timedelta(hours=1), 10.0, 90.0))  # off_route alerts
    every = [a["id"] for a in client.get("/api/v1/alerts").json()]
    newest = client.get("/api/v1/alerts", params={"limit": 2, "newest_first": True}).json()
    assert len(every) >= 3 and [a["id"] for a in newest] == sorted(every, reverse=True)[:2]
    assert [a["id"] for a in client.get("/api/v1/alerts", params={"limit": 2}).json()] == every[:2]
    assert client.get("/api/v1/alerts", params={"limit": 0}).status_code == 422


# a disk that is full for real: tests/service/test_flood.py (a tmpfs the service fills)
@pytest.mark.parametrize("pragma, words", [("query_only", "read-only")])
def test_a_full_or_read_only_disk_is_its_own_error(
    tmp_path: Path, real_net, real_settings, pragma: str, words: str
) -> None:  # type: ignore[no-untyped-def]
    """SQLite refusing writes (its page limit reached: what a full disk gives; or read-only): a
    batch gets 507 with a long Retry-After and a message saying so, not 'busy, retry in 1 s';
    /ready fails meanwhile while /health stays up."""
    settings = service_settings(f"sqlite:///{tmp_path / 't.sqlite'}", real_settings.home)
    with TestClient(create_app(settings)) as client:
        tid = _train(client).json()["id"]
        assert client.get("/ready").status_code == 200
        engine = client.app.state.tracker.engine  # type: ignore[attr-defined]

        def refuse(conn: Any, _: Any) -> None:
            cur = conn.cursor()
            if pragma == "max_page_count":
                pages = cur.execute("PRAGMA page_count").fetchone()[0]
                cur.execute(f"PRAGMA max_page_count = {pages}")
            else:
                cur.execute("PRAGMA query_only = ON")
            cur.close()

        event.listen(engine, "connect", refuse)
        engine.dispose()
        batch = [_pos(f"e{k}", tid, T0 + timedelta(minutes=k)) for k in range(2000)]
        r = _post(client, *batch)
        assert r.status_code == 507, r.text
        assert int(r.headers["retry-after"]) >= 60 and words in r.json()["error"]
        ready = client.get("/ready")
        assert ready.status_code == 503 and words in ready.json()["error"]
        assert client.get("/health").json()["status"] == "ok"
        event.remove(engine, "connect", refuse)
        engine.dispose()
        assert client.get("/ready").status_code == 200
        assert _post(client, *batch).json()["accepted"] == 2000


def test_a_batch_over_its_lock_budget_is_rolled_back(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that would hold the write lock beyond its time budget (here: a budget already
    spent) is a 503 saying to send smaller batches, and nothing of it is stored."""
    from silkrail.tracking import tracker as tracker_module

    tid = _train(client).json()["id"]
    monkeypatch.setattr(tracker_module, "LOCK_BUDGET_S", -1.0)
    r = _post(client, _pos("b1", tid, T0 + timedelta(hours=1)))
    assert r.status_code == 503 and "smaller batches" in r.json()["error"]
    monkeypatch.setattr(tracker_module, "LOCK_BUDGET_S", 10.0)
    assert _post(client, _pos("b1", tid, T0 + timedelta(hours=1))).json()["accepted"] == 1

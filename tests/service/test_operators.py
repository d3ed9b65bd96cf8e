"""Operators apart, on an in-process service with the small fixture network: event ids are the
operator's own, a refusal tells nobody what exists, a token reads its own trains in full and
others as the deployment's public view says (aggregated, none), the stream and GTFS-Realtime
alike, and the quotas of trains and events per operator."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from silkrail.network.model import Network
from silkrail.network.store import save_network
from silkrail.service.app import ServiceSettings, create_app
from silkrail.service.auth import Token
from tests.service.conftest import UNLIMITED

SECRETS = {name: f"{name}-{uuid.uuid4().hex}" for name in ("fesco", "rzd", "admin")}
TOKENS = (
    Token("fesco-1", "fesco", SECRETS["fesco"]),
    Token("rzd-1", "rzd", SECRETS["rzd"]),
    Token("root", "*", SECRETS["admin"]),
)
AUTH = {name: {"Authorization": f"Bearer {s}"} for name, s in SECRETS.items()}
T0 = datetime.now(UTC) - timedelta(days=2)
ORIGIN, DESTINATION = "43.51,112.1667", "44.0,111.55"  # either side of Erenhot–Zamyn-Uud


@pytest.fixture(scope="module")
def net_file(small_net: Network, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_network(small_net, tmp_path_factory.mktemp("net") / "small.npz")


def _app(tmp: Path, net_file: Path, **given: Any) -> TestClient:
    settings = ServiceSettings(
        db_url=f"sqlite:///{tmp / 't.sqlite'}",
        tokens=TOKENS,
        home=tmp,
        network_path=net_file,
        silent_check_s=3600,
        relay_s=0.05,
        quotas=UNLIMITED,
        **given,
    )
    return TestClient(create_app(settings))


@pytest.fixture
def api(tmp_path: Path, net_file: Path) -> Iterator[TestClient]:
    with _app(tmp_path, net_file) as c:
        yield c


def _train(c: TestClient, who: str, name: str = "X", **extra: Any) -> Any:
    body = {"name": name, "origin": ORIGIN, "destination": DESTINATION, "departure": T0.isoformat(), **extra}
    return c.post("/api/v1/trains", headers=AUTH[who], json=body)


def _pos(eid: str, tid: str, h: float, lat: float = 43.6123, lon: float = 112.0456) -> dict[str, Any]:
    return {
        "event_id": eid,
        "train_id": tid,
        "time": (T0 + timedelta(hours=h)).isoformat(),
        "kind": "position",
        "lat": lat,
        "lon": lon,
    }


def _post(c: TestClient, who: str, *events: dict[str, Any]) -> Any:
    r = c.post("/api/v1/events", headers=AUTH[who], json={"events": list(events)})
    assert r.status_code == 200, r.text
    return r.json()


def test_event_ids_are_each_operators_own_and_a_refusal_tells_nothing(
    api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """rzd posts, on its own train, the ids fesco will use: fesco's real events are stored all
    the same (they were rejected as 'stored already with other content'). fesco posting to rzd's
    train is refused in the very words used for a train that does not exist, and the audit log
    records it with fesco's token id."""
    mine = _train(api, "fesco").json()["id"]
    theirs = _train(api, "rzd").json()["id"]
    squatted = [_pos(f"e{k}", theirs, 1 + k, 43.7, 111.9) for k in range(3)]
    assert _post(api, "rzd", *squatted)["accepted"] == 3
    assert _post(api, "fesco", *[_pos(f"e{k}", mine, 1 + k) for k in range(3)])["accepted"] == 3
    with caplog.at_level(logging.INFO, logger="silkrail.audit"):
        out = _post(api, "fesco", _pos("x1", theirs, 5), _pos("x2", "no-such-train", 5))
    errors = [r["error"] for r in out["rejected"]]
    assert errors == [
        f"train_id: no train '{theirs}' of the operator 'fesco'",
        "train_id: no train 'no-such-train' of the operator 'fesco'",
    ]
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "silkrail.audit"]
    assert (line["token_id"], line["trains"], line["status"]) == ("fesco-1", [theirs], 403)
    # a repeat with other content within one's own train is still refused
    again = _post(api, "fesco", {**_pos("e0", mine, 1), "lat": 44.0})
    assert again["accepted"] == 0 and "stored already for train" in again["rejected"][0]["error"]


def test_a_token_reads_its_trains_in_full_others_see_them_aggregated(api: TestClient) -> None:
    """fesco's train at 43.6123, 112.0456: fesco reads it so; rzd and anonymous readers read 43.6,
    112.0 at the quarter hour; an alert of it is 'reported off its planned route' for them, its
    message in full for fesco."""
    tid = _train(api, "fesco").json()["id"]
    _post(api, "fesco", _pos("p1", tid, 1.2), _pos("far", tid, 1.3, 30.0, 100.0))
    own = api.get(f"/api/v1/trains/{tid}", headers=AUTH["fesco"]).json()["last_position"]
    assert (own["lat"], own["lon"]) == (30.0, 100.0)
    _post(api, "fesco", _pos("p2", tid, 1.4))
    own = api.get(f"/api/v1/trains/{tid}", headers=AUTH["fesco"]).json()["last_position"]
    assert (own["lat"], own["lon"], datetime.fromisoformat(own["time"])) == (
        43.6123,
        112.0456,
        T0 + timedelta(hours=1.4),
    )
    for headers in (AUTH["rzd"], {}):
        seen = api.get(f"/api/v1/trains/{tid}", headers=headers).json()["last_position"]
        t = datetime.fromisoformat(seen["time"])
        assert (seen["lat"], seen["lon"]) == (43.6, 112.0) and t.minute % 15 == 0 and t.second == 0
        assert [x["last_position"]["lat"] for x in api.get("/api/v1/trains", headers=headers).json()] == [
            43.6
        ]
        [alert] = api.get("/api/v1/alerts", headers=headers).json()
        assert alert["message"] == "reported off its planned route"
    [alert] = api.get("/api/v1/alerts", headers=AUTH["fesco"]).json()
    assert "km off the planned route" in alert["message"]


def test_where_others_see_nothing_a_token_reads_its_own_only(tmp_path: Path, net_file: Path) -> None:
    """SILKRAIL_PUBLIC_VIEW=none: without a token trains, alerts and GTFS-Realtime are a 401 and the
    stream closes; rzd lists its own trains only, and fesco's train is a 404 for it, as a train
    that does not exist; an admin reads all."""
    with _app(tmp_path, net_file, public_view="none") as api:
        fesco = _train(api, "fesco").json()["id"]
        rzd = _train(api, "rzd").json()["id"]
        for path in ("/api/v1/trains", "/api/v1/alerts", "/api/v1/gtfs-rt/vehicle-positions"):
            r = api.get(path)
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", path
        assert [t["id"] for t in api.get("/api/v1/trains", headers=AUTH["rzd"]).json()] == [rzd]
        foreign = api.get(f"/api/v1/trains/{fesco}", headers=AUTH["rzd"])
        unknown = api.get("/api/v1/trains/nope", headers=AUTH["rzd"])
        assert (foreign.status_code, unknown.status_code) == (404, 404)
        assert foreign.json()["error"].replace(fesco, "nope") == unknown.json()["error"]
        assert {t["id"] for t in api.get("/api/v1/trains", headers=AUTH["admin"]).json()} == {fesco, rzd}
        from starlette.websockets import WebSocketDisconnect

        with pytest.raises(WebSocketDisconnect), api.websocket_connect("/api/v1/stream") as ws:
            ws.receive_text()


def test_the_stream_shows_each_client_its_view(api: TestClient) -> None:
    """One event of fesco's train: a stream with fesco's token gets its position in full, an
    anonymous one gets it rounded."""
    tid = _train(api, "fesco").json()["id"]
    with (
        api.websocket_connect("/api/v1/stream", headers=AUTH["fesco"]) as mine,
        api.websocket_connect("/api/v1/stream") as public,
    ):
        _post(api, "fesco", _pos("s1", tid, 2))
        full = json.loads(mine.receive_text())["train"]["last_position"]
        rounded = json.loads(public.receive_text())["train"]["last_position"]
    assert (full["lat"], rounded["lat"]) == (43.6123, 43.6)


def test_quotas_of_trains_and_events_per_operator(tmp_path: Path, net_file: Path) -> None:
    """Two trains under way per operator: the third is a 429 with Retry-After (one token made
    3,000 trains in 48 s); another operator is not held back; once a train arrives, one more may
    start. Five events per train: a batch of seven stores five and rejects two, saying why."""
    with _app(tmp_path, net_file, trains_per_operator=2, events_per_train=5) as api:
        first, second = (_train(api, "fesco", f"t{k}").json()["id"] for k in range(2))
        third = _train(api, "fesco", "t3")
        assert third.status_code == 429 and int(third.headers["retry-after"]) >= 60
        assert "2 trains under way, its quota of 2" in third.json()["error"]
        assert _train(api, "rzd", "r1").status_code == 201
        out = _post(api, "fesco", *[_pos(f"q{k}", first, 1 + 0.1 * k) for k in range(7)])
        assert out["accepted"] == 5 and [r["index"] for r in out["rejected"]] == [5, 6]
        assert "its quota of 5" in out["rejected"][0]["error"]
        arrived = {
            "event_id": "arr",
            "train_id": second,
            "time": (T0 + timedelta(hours=30)).isoformat(),
            "kind": "milestone",
            "milestone": "arrived",
            "at": "destination",
        }
        assert _post(api, "fesco", arrived)["accepted"] == 1
        assert _train(api, "fesco", "t4").status_code == 201


def test_gtfs_realtime_is_built_in_the_pool_once_for_many_readers(api: TestClient) -> None:
    """Twenty readers of the vehicle positions within the feed's few seconds cost one build (it
    was built for each, in the thread pool every request shares); a token's view is a build of
    its own, and so is each format."""
    _train(api, "fesco")
    reads = api.app.state.runtime.reads  # type: ignore[attr-defined]
    before = reads.state()["done"]
    for _ in range(20):
        assert api.get("/api/v1/gtfs-rt/vehicle-positions").status_code == 200
    assert reads.state()["done"] - before == 1
    api.get("/api/v1/gtfs-rt/vehicle-positions", headers=AUTH["fesco"])
    api.get("/api/v1/gtfs-rt/vehicle-positions?format=json")
    assert reads.state()["done"] - before == 3

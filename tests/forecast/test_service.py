"""The forecast over HTTP on the small fixture network (an in-process service on SQLite): the
live forecast and one crossing's, each train's forecast inside its state, what-if for a token
holder with every input checked, and the endpoints in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from silkrail.network.model import Network
from silkrail.network.store import save_network
from silkrail.service.app import create_app
from silkrail.service.forecast_schemas import ForecastOut
from tests.forecast.conftest import CROSSING, DESTINATION, ORIGIN
from tests.service.conftest import AUTH, service_settings

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def api(small_net: Network, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("forecast-service")
    net_file = save_network(small_net, tmp / "small.npz")
    settings = service_settings(
        f"sqlite:///{tmp / 'tracking.sqlite'}",
        tmp / "home",
        network_path=net_file,
        forecast_every_s=0,
        forecast_replications=20,
    )
    with TestClient(create_app(settings)) as c:
        ids = []
        for n in range(6):  # six trains that reach the crossing together, one inside it already
            r = c.post(
                "/api/v1/trains",
                headers=AUTH,
                json={
                    "name": f"T{n}",
                    "origin": ORIGIN,
                    "destination": DESTINATION,
                    "departure": (NOW - timedelta(hours=3)).isoformat(),
                },
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        entry = {
            "event_id": "e0",
            "train_id": ids[0],
            "time": (NOW - timedelta(hours=1)).isoformat(),
            "kind": "milestone",
            "milestone": "border_entry",
            "at": "Erenhot",
        }
        assert c.post("/api/v1/events", headers=AUTH, json={"events": [entry]}).json()["accepted"] == 1
        c.ids = ids  # type: ignore[attr-defined]
        yield c


def test_the_forecast_has_every_train_and_the_crossing_s_queue(api: TestClient) -> None:
    """Six trains, one inside the crossing: each has an ETA band in order; the crossing's queue
    is given every 3 h of the 72 h horizon, and with one or more trains waiting at some time."""
    r = api.get("/api/v1/forecast")
    assert r.status_code == 200, r.text
    doc = r.json()
    ForecastOut.model_validate(doc)  # the kept document is answered as it is: it is what is declared
    assert doc["horizon_h"] == 72 and doc["replications"] == 20
    assert sorted(t["id"] for t in doc["trains"]) == sorted(api.ids)  # type: ignore[attr-defined]
    for t in doc["trains"]:
        assert t["eta"]["p10"] <= t["eta"]["p50"] <= t["eta"]["p90"]
    (c,) = doc["crossings"]
    assert c["id"] == CROSSING and len(c["queue"]) == 25
    inside = next(t for t in doc["trains"] if t["id"] == api.ids[0])  # type: ignore[attr-defined]
    assert inside["status"] == "at_crossing" and inside["crossings"] == []
    assert api.get("/api/v1/forecast").json()["generated_at"] == doc["generated_at"]  # kept, not redone


def test_one_crossing_and_the_trains_heading_to_it(api: TestClient) -> None:
    """The crossing's forecast lists the five trains still to reach it, in arrival order; an
    unknown id is a 404 naming the closest."""
    r = api.get(f"/api/v1/forecast/crossings/{CROSSING}")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["crossing"]["id"] == CROSSING and len(doc["trains"]) == 5
    arrivals = [t["arrive"]["p50"] for t in doc["trains"]]
    assert arrivals == sorted(arrivals)
    bad = api.get("/api/v1/forecast/crossings/erenhot-zamyn-ud")
    assert bad.status_code == 404 and CROSSING in bad.json()["error"]


def test_a_train_s_state_carries_its_forecast(api: TestClient) -> None:
    api.get("/api/v1/forecast")
    tid = api.ids[1]  # type: ignore[attr-defined]
    doc = api.get(f"/api/v1/trains/{tid}").json()
    assert doc["id"] == tid and doc["forecast"] is not None
    band = doc["forecast"]["eta"]
    assert band["p10"] <= band["p50"] <= band["p90"]
    assert [v["crossing"] for v in doc["forecast"]["crossings"]] == [CROSSING]


def test_what_if_needs_a_token_and_answers_the_difference(api: TestClient) -> None:
    """Without a token: 401. Closing the crossing for 48 h delays the five trains still to
    reach it (by a day or more each) and its queue grows; the one inside is not affected."""
    body = {"close": {"crossing": CROSSING, "hours": 48}}
    assert api.post("/api/v1/forecast/what-if", json=body).status_code == 401
    r = api.post("/api/v1/forecast/what-if", headers=AUTH, json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["change"] == {"close": {"crossing": CROSSING, "hours": 48.0, "from_h": 0.0}}
    affected = {a["id"]: a for a in doc["affected"]}
    assert set(affected) == set(api.ids[1:])  # type: ignore[attr-defined]
    assert all(a["delay_h"] > 24 for a in affected.values())
    (q,) = doc["queues"]
    assert q["id"] == CROSSING and q["peak_queue_after"] > q["peak_queue_before"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"close": {"crossing": CROSSING, "hours": -1}}, "close.hours"),
        ({"close": {"crossing": CROSSING, "hours": 1e9}}, "close.hours"),
        (
            {"close": {"crossing": "x", "hours": 1}, "capacity": {"crossing": "x", "trains_per_day": 2}},
            "body",
        ),
        (
            {"add_trains": {"origin": ORIGIN, "destination": DESTINATION, "trains": 10_000}},
            "add_trains.trains",
        ),
        ({"close": {"crossing": CROSSING, "hours": 1}, "replications": 10**6}, "replications"),
        ({"close": {"crossing": CROSSING, "hours": "soon"}}, "close.hours"),
        ([1, 2, 3], "body"),
    ],
)
def test_what_if_input_is_bounded_and_named(api: TestClient, body: Any, field: str) -> None:
    r = api.post("/api/v1/forecast/what-if", headers=AUTH, json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]


def test_an_unknown_crossing_or_place_in_a_what_if_is_a_422_naming_it(api: TestClient) -> None:
    r = api.post(
        "/api/v1/forecast/what-if", headers=AUTH, json={"close": {"crossing": "erenhot-zamyn-ud", "hours": 5}}
    )
    assert r.status_code == 422 and CROSSING in r.json()["error"]
    r = api.post(
        "/api/v1/forecast/what-if",
        headers=AUTH,
        json={"add_trains": {"origin": "Xyzzyqq", "destination": DESTINATION, "trains": 1}},
    )
    assert r.status_code == 422 and "Xyzzyqq" in r.json()["error"]


def test_a_nan_in_the_body_is_refused(api: TestClient) -> None:
    raw = b'{"close": {"crossing": "erenhot-zamyn-uud", "hours": NaN}}'
    r = api.post(
        "/api/v1/forecast/what-if", headers={**AUTH, "Content-Type": "application/json"}, content=raw
    )
    assert r.status_code == 422


def test_the_endpoints_are_in_the_openapi_document(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    paths = doc["paths"]
    assert {
        "/api/v1/forecast",
        "/api/v1/forecast/crossings/{crossing_id}",
        "/api/v1/forecast/what-if",
    } <= set(paths)
    what_if = paths["/api/v1/forecast/what-if"]["post"]
    assert (
        what_if["security"]
        and "requestBody" in what_if
        and {"401", "422", "429"} <= set(what_if["responses"])
    )
    schemas = doc["components"]["schemas"]
    assert {"ForecastOut", "WhatIfOut", "WhatIfRequest", "CloseChange", "TrainDetail"} <= set(schemas)
    assert "forecast" in schemas["TrainDetail"]["properties"]


def test_others_see_the_trains_as_the_public_view_shows_them(api: TestClient) -> None:
    """Without a token (the default aggregated view) each train's position is rounded to 0.1
    degree; the admin token sees it as forecast. The crossings' queues are the same for both."""
    anon = api.get("/api/v1/forecast").json()
    full = api.get("/api/v1/forecast", headers=AUTH).json()
    assert [t["id"] for t in anon["trains"]] == [t["id"] for t in full["trains"]]
    for a, f in zip(anon["trains"], full["trains"], strict=True):
        assert a["lat"] == round(f["lat"], 1) and a["lon"] == round(f["lon"], 1)
    assert any(round(f["lat"], 1) != f["lat"] for f in full["trains"])
    assert anon["crossings"] == full["crossings"]


def test_where_the_public_sees_nothing_the_forecast_needs_a_token(small_net: Network, tmp_path) -> None:  # type: ignore[no-untyped-def]
    net_file = save_network(small_net, tmp_path / "small.npz")
    settings = service_settings(
        f"sqlite:///{tmp_path / 't.sqlite'}",
        tmp_path / "home",
        network_path=net_file,
        forecast_every_s=0,
        public_view="none",
    )
    with TestClient(create_app(settings)) as c:
        assert c.get("/api/v1/forecast").status_code == 401
        assert c.get(f"/api/v1/forecast/crossings/{CROSSING}").status_code == 401
        assert c.get("/api/v1/forecast", headers=AUTH).status_code == 200


def test_a_train_past_a_crossing_makes_the_kept_forecast_stale(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The keeper's forecast is fresh until a stored batch holds a border exit, a finished gauge
    change or an arrival (positions alone keep it); a forecast asked for after that is fresh."""
    import time

    from silkrail.service.forecasts import ForecastContent, ForecastKeeper

    keeper = ForecastKeeper(service_settings("sqlite://", tmp_path, forecast_every_s=300))
    assert not keeper.fresh()
    keeper.keep(ForecastContent(b"{}", b"", {}, {}), time.monotonic())
    assert keeper.fresh()
    keeper.poke(b'{"events": [{"kind": "position", "lat": 1, "lon": 2}]}')
    assert keeper.fresh()
    keeper.poke(b'{"events": [{"kind": "milestone", "milestone": "border_exit", "at": "Erenhot"}]}')
    assert not keeper.fresh()
    keeper.keep(ForecastContent(b"{}", b"", {}, {}), time.monotonic())
    assert keeper.fresh()

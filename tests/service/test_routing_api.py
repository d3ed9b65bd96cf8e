"""Routing over HTTP on the real network: the body of /route and /compare is the CLI's --json
output; /od answers a matrix; bad input is a 4xx with the one error body, never a 5xx."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import silkrail
from silkrail.client import ServiceClient, ServiceError
from silkrail.errors import DataError
from silkrail.routing.query import RouteOptions, RouteQuery
from silkrail.service.app import create_app
from silkrail.service.schemas import MAX_OD_PLACES
from tests.service.conftest import AUTH, TOKEN, service_settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(real_net, real_settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path_factory.mktemp('routing') / 'tracking.sqlite'}"
    settings = service_settings(db, real_settings.home)
    with TestClient(create_app(settings)) as c:
        yield c


def _cli(*args: str) -> Any:
    from typer.testing import CliRunner

    from silkrail.cli import app

    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _is_error(r: Any, status: int) -> dict[str, Any]:
    """The answer is ``status`` with the one error body: a sentence, and fields if any."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) <= {"error", "fields"} and isinstance(body["error"], str) and body["error"]
    return body  # type: ignore[no-any-return]


def _without_tracks(doc: Any) -> Any:
    """``doc`` without the legs' tracks (the one thing HTTP adds to the CLI's JSON)."""
    if isinstance(doc, dict):
        return {k: _without_tracks(v) for k, v in doc.items() if k != "geometry"}
    if isinstance(doc, list):
        return [_without_tracks(v) for v in doc]
    return doc


def test_route_over_http_is_the_cli_json_with_each_legs_track(api: TestClient, real_env) -> None:  # type: ignore[no-untyped-def]
    """Hanoi → Moscow by rail, and with options (cost, 40 TEU, an alternative): the CLI's JSON,
    each leg (of the alternatives too) with its track as a GeoJSON LineString from its first
    station to its last; geometry=false leaves the tracks out."""
    r = api.get("/api/v1/route", params={"origin": "Hanoi", "destination": "Moscow", "mode": "rail"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert _without_tracks(doc) == _cli("route", "Hanoi", "Moscow", "--mode", "rail")
    for leg in doc["legs"]:
        line = leg["geometry"]
        assert line["type"] == "LineString" and len(line["coordinates"]) >= 2
        assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in line["coordinates"])
    hanoi = doc["legs"][0]["geometry"]["coordinates"][0]
    assert abs(hanoi[0] - 105.9) < 0.3 and abs(hanoi[1] - 21.05) < 0.3  # (lon, lat) near Hanoi
    bare = api.get(
        "/api/v1/route",
        params={"origin": "Hanoi", "destination": "Moscow", "mode": "rail", "geometry": False},
    )
    assert bare.json() == _without_tracks(doc)
    params = {"origin": "Hanoi", "destination": "Moscow", "optimize": "cost", "teu": 40, "alternatives": 1}
    cli = _cli("route", "Hanoi", "Moscow", "--optimize", "cost", "--teu", "40", "--alternatives", "1")
    assert _without_tracks(api.get("/api/v1/route", params=params).json()) == cli
    params = {"origin": "Hanoi", "destination": "Moscow", "mode": "rail", "alternatives": 1}
    alternative = api.get("/api/v1/route", params=params).json()["alternatives"][0]
    assert all(len(leg["geometry"]["coordinates"]) >= 2 for leg in alternative["legs"])


def test_avoid_is_repeated_or_comma_joined(api: TestClient) -> None:
    base = {"origin": "Chongqing", "destination": "Duisburg", "mode": "rail", "geometry": "false"}
    joined = api.get("/api/v1/route", params={**base, "avoid": "RU,BY"}).json()
    repeated = api.get("/api/v1/route", params=[*base.items(), ("avoid", "RU"), ("avoid", "BY")]).json()
    assert joined == repeated and not {"RU", "BY"} & set(joined["countries"])


def test_a_single_valued_parameter_given_twice_is_a_422_naming_it(api: TestClient) -> None:
    """The framework keeps a repeated parameter's last value: ``origin=&origin=Hanoi`` would be a
    route from Hanoi though the request also gave an empty origin. Only a list repeats."""
    for path in ("/api/v1/route", "/api/v1/compare"):
        r = api.get(path, params=[("origin", ""), ("origin", "Hanoi"), ("destination", "Nanning")])
        body = _is_error(r, 422)
        assert body["error"].startswith("query.origin: given 2 times")
        assert [f["field"] for f in body["fields"]] == ["query.origin"]
    twice = api.get(
        "/api/v1/route", params={"origin": "Hanoi", "destination": "Nanning", "mode": ["rail", "rail"]}
    )
    assert _is_error(twice, 422)["error"].startswith("query.mode: given 2 times")
    once = api.get(
        "/api/v1/route",
        params=[("origin", "Hanoi"), ("destination", "Nanning"), ("avoid", "LA"), ("avoid", "TH"), ("geometry", "false")],
    )
    assert once.status_code == 200 and once.json()["destination"]["name"] == "Nanning"


def test_compare_over_http_is_the_cli_json(api: TestClient, real_env) -> None:  # type: ignore[no-untyped-def]
    r = api.get("/api/v1/compare", params={"origin": "Hanoi", "destination": "Moscow", "geometry": "false"})
    assert r.status_code == 200
    assert r.json() == _cli("compare", "Hanoi", "Moscow")


def test_the_typed_client_reads_routes_and_matrices(api: TestClient) -> None:
    """The client's records hold what the service answered; the matrix agrees with the route."""
    client = ServiceClient(http=api)  # routing only reads: no token
    best = client.route(RouteQuery("Hanoi", "Moscow", mode="rail"))
    assert isinstance(best, silkrail.Route)
    assert best.countries[0] == "VN" and best.countries[-1] == "RU" and best.origin.name == "Hanoi"
    assert best.to_dict() == _cli("route", "Hanoi", "Moscow", "--mode", "rail")  # the library's own record
    assert all(len(leg.geometry) >= 2 for leg in best.legs)
    pytest.importorskip("geopandas")
    assert best.to_gdf().geometry.iloc[0].length > 0
    assert [o.label for o in client.compare(RouteQuery("Hanoi", "Moscow"))][:2] == ["rail", "sea"]
    m = client.od(["Hanoi", "Moscow"], ["Moscow", "Hamburg"], RouteOptions(mode="rail"))
    assert isinstance(m, silkrail.OdMatrix) and m.origins == ["Hanoi", "Moscow"] and m.shape == (2, 2)
    assert m.duration_h[0, 0] == pytest.approx(best.duration_h, rel=0.01)
    assert math.isnan(m.duration_h[1, 0]) or m.duration_h[1, 0] < 1  # Moscow to itself
    assert m.duration_h[1, 1] > 24


def test_a_train_category_over_http_is_the_cli_json_and_the_matrix_agrees(api: TestClient) -> None:
    """An express passenger train Almaty → Astana: the CLI's JSON, marked with its category, faster
    than a standard train on the same track; /od prices its cell for the same train."""
    base = {"origin": "Almaty", "destination": "Astana", "mode": "rail", "traffic": "passenger", "geometry": False}
    standard = api.get("/api/v1/route", params=base).json()
    express = api.get("/api/v1/route", params={**base, "train": "express"}).json()
    assert express == _cli("route", "Almaty", "Astana", "--mode", "rail", "--traffic", "passenger", "--train", "express")
    assert express["train"] == "express" and "train" not in standard
    assert express["distance_km"] == standard["distance_km"]
    assert 0.4 * standard["duration_h"] < express["duration_h"] < 0.95 * standard["duration_h"]
    body = {"origins": ["Almaty"], "destinations": ["Astana"], "mode": "rail", "traffic": "passenger", "train": "express"}
    od = api.post("/api/v1/od", json=body)
    assert od.status_code == 200, od.text
    assert od.json()["duration_h"][0][0] == pytest.approx(express["duration_h"], rel=0.01)


def test_an_unknown_place_is_a_422_naming_it_and_the_closest_names(api: TestClient) -> None:
    r = api.get("/api/v1/route", params={"origin": "Hanoi", "destination": "Atlantis"})
    body = _is_error(r, 422)
    assert "unknown place 'Atlantis'" in body["error"] and "closest known names" in body["error"]
    assert body["fields"][0]["field"] == "query.destination"
    body = _is_error(api.get("/api/v1/compare", params={"origin": "Atlantis", "destination": "Moscow"}), 422)
    assert "'Atlantis'" in body["error"] and "closest known names" in body["error"]
    body = _is_error(
        api.post("/api/v1/od", headers=AUTH, json={"origins": ["Hanoi"], "destinations": ["Atlantis"]}), 422
    )
    assert body["fields"][0]["field"] == "destinations.0" and "Atlantis" in body["error"]
    with pytest.raises(ServiceError) as caught:
        ServiceClient(token=TOKEN, http=api).route(RouteQuery("Atlantis", "Moscow"))
    assert caught.value.status == 422 and "closest known names" in caught.value.error


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"origin": "Hanoi"}, "query.destination"),
        ({"origin": "Hanoi", "destination": "Moscow", "mode": "boat"}, None),
        ({"origin": "Hanoi", "destination": "Moscow", "teu": "nan"}, "query.teu"),
        ({"origin": "Hanoi", "destination": "Moscow", "teu": "-1"}, "query.teu"),
        ({"origin": "Hanoi", "destination": "Moscow", "alternatives": "11"}, "query.alternatives"),
        ({"origin": "Hanoi", "destination": "Moscow", "year": "99999"}, "query.year"),
        ({"origin": "Hanoi", "destination": "Moscow", "optimize": "speed"}, None),
        ({"origin": "Hanoi", "destination": "Hanoi"}, None),
        ({"origin": "Hanoi", "destination": "Moscow", "as_of": "yesterday"}, None),
        ({"origin": "Hanoi", "destination": "Moscow", "train": "stopping"}, "query.train"),
        ({"origin": "Hanoi", "destination": "Moscow", "train": "fast"}, None),
    ],
)
def test_bad_route_options_are_a_422_with_the_error_body(
    api: TestClient, params: dict[str, str], field: str | None
) -> None:
    body = _is_error(api.get("/api/v1/route", params=params), 422)
    if field:
        assert body["fields"][0]["field"] == field


def test_no_route_is_a_422_saying_why(api: TestClient) -> None:
    r = api.get(
        "/api/v1/route", params={"origin": "Hanoi", "destination": "Moscow", "mode": "rail", "avoid": "CN"}
    )
    assert "cuts every path" in _is_error(r, 422)["error"]


def test_od_requests_are_bounded_and_need_no_token(api: TestClient) -> None:
    many = ["Moscow"] * (MAX_OD_PLACES + 1)
    body = _is_error(
        api.post("/api/v1/od", headers=AUTH, json={"origins": many, "destinations": ["Hanoi"]}), 422
    )
    assert body["fields"][0]["field"] == "origins"
    _is_error(api.post("/api/v1/od", headers=AUTH, json={"origins": [], "destinations": ["Hanoi"]}), 422)
    _is_error(api.post("/api/v1/od", headers=AUTH, json={"origins": "Hanoi", "destinations": ["Hanoi"]}), 422)
    _is_error(api.post("/api/v1/od", headers=AUTH, content=b"{not json"), 422)
    _is_error(api.post("/api/v1/od", content=b"[" * 100 + b"]" * 100), 422)
    _is_error(api.post("/api/v1/od", content=b" " * (64 * 1024 + 1)), 413)
    _is_error(api.post("/api/v1/od", json={"origins": ["x" * 201], "destinations": ["Moscow"]}), 422)
    _is_error(
        api.post("/api/v1/od", json={"origins": ["Hanoi"], "destinations": ["Moscow"], "mode": "boat"}), 422
    )
    # it only reads: no token needed; 'objective' is the answer's word, 'optimize' still accepted
    for word in ("objective", "optimize"):
        r = api.post("/api/v1/od", json={"origins": ["Hanoi"], "destinations": ["Moscow"], word: "cost"})
        assert r.status_code == 200 and r.json()["objective"] == "cost", r.text


def test_the_openapi_document_declares_routing_bodies_errors_and_security(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    ops = {o["operationId"]: o for path in doc["paths"].values() for o in path.values()}
    assert {"create_train", "post_events", "get_route", "compare_routes", "post_od"} <= set(ops)
    events = ops["post_events"]["requestBody"]["content"]["application/json"]["schema"]
    assert (
        events == {"$ref": "#/components/schemas/EventBatch"} and "EventBatch" in doc["components"]["schemas"]
    )
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    params = {p["name"]: p["schema"] for p in ops["get_route"]["parameters"]}
    assert params["mode"]["enum"] == ["rail", "sea", "any"]
    assert _enum(params["optimize"]) == [
        "generalised",
        "time",
        "cost",
        "co2",
    ]  # optional: the query's default
    assert params["traffic"]["enum"] == ["passenger", "freight", "any"]
    assert params["avoid"]["type"] == "array"
    leg = doc["components"]["schemas"]["RouteLeg"]["properties"]["geometry"]
    assert {"$ref": "#/components/schemas/LineString"} in leg["anyOf"]
    od = doc["components"]["schemas"]["ODRequest"]["properties"]
    assert od["mode"]["enum"] == ["rail", "sea", "any"] and _enum(od["objective"]) == [
        "generalised",
        "time",
        "cost",
        "co2",
    ]
    for op_id, op in ops.items():
        writes = "requestBody" in op and op_id != "post_od"  # POST /od only reads
        assert (op.get("security") == [{"bearer": []}]) == writes, op_id
        for status, answer in op["responses"].items():
            if status.startswith(("4", "5")):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (op_id, status)
        if writes:
            assert {"401", "413", "422"} <= set(op["responses"]), op_id
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert set(doc["components"]["schemas"]["ErrorBody"]["properties"]) == {"error", "fields"}
    assert params["depart"]["anyOf"][0]["maxLength"] == params["arrive"]["anyOf"][0]["maxLength"] == 40
    answers = ops["get_route"]["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"]
    assert {"$ref": "#/components/schemas/Journey"} in answers and {
        "$ref": "#/components/schemas/Route"
    } in answers


def _enum(schema: dict[str, Any]) -> list[str]:
    """The enum of a parameter's schema, optional ones (anyOf with null) included."""
    return next(s["enum"] for s in schema.get("anyOf", [schema]) if "enum" in s)


def test_a_departure_time_over_http_is_the_cli_journey(api: TestClient, real_env) -> None:  # type: ignore[no-untyped-def]
    """depart= and arrive= answer the journey in time that ``route --depart/--arrive --json``
    prints (the timetable's trips, waits included); bad or out-of-calendar times are a 422
    naming the parameter, and both at once too."""
    for word, when, extra in (
        ("depart", "2026-12-03T17:00+08:00", {}),
        ("arrive", "2026-12-05T17:00+07:00", {"traffic": "passenger"}),
    ):
        params = {"origin": "Nanning", "destination": "Hanoi", word: when, **extra}
        r = api.get("/api/v1/route", params=params)
        assert r.status_code == 200, r.text
        doc = r.json()
        flags = [f"--{word}", when] + [x for k, v in extra.items() for x in (f"--{k}", v)]
        assert doc == _cli("route", "Nanning", "Hanoi", *flags)
        assert doc["objective"] == "time" and doc["departure"] < doc["arrival"]
        assert any(leg["basis"] == "timetable" and leg["trip"] for leg in doc["legs"])
    j = ServiceClient(http=api).journey(RouteQuery("Nanning", "Hanoi", depart="2026-12-03T17:00+08:00"))
    assert j.model_dump(by_alias=True, exclude_unset=True) == _cli(
        "route", "Nanning", "Hanoi", "--depart", "2026-12-03T17:00+08:00"
    )
    with pytest.raises(DataError, match="departure or an arrival time"):
        ServiceClient(http=api).journey(RouteQuery("Nanning", "Hanoi"))
    base = {"origin": "Nanning", "destination": "Hanoi"}
    for params, field in (
        ({"depart": "2026-12-03T17:00"}, "query.depart"),  # no UTC offset
        ({"depart": "tomorrow"}, "query.depart"),
        ({"depart": "2026-12-03T17:00+08:00", "arrive": "2026-12-05T17:00+07:00"}, "query.arrive"),
        ({"depart": "2026-12-03T17:00+08:00", "optimize": "cost"}, "query.depart"),
        ({"depart": "2031-01-01T00:00+08:00"}, "query.depart"),  # outside the timetable's calendar
    ):
        body = _is_error(api.get("/api/v1/route", params={**base, **params}), 422)
        assert body["fields"][0]["field"] == field, body
    _is_error(api.get("/api/v1/route", params={**base, "depart": "2026-12-03T17:00+08:00" + " " * 40}), 422)

"""The Guard and the per-client limits on an in-process service without a network: rates in
cost units with 429 and Retry-After, who a client is (a token, an address, or the address a
trusted proxy forwards), OPTIONS with Allow, relative redirects, the audit of refused writes, and
bounds on numbers that the model cannot compute."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from silkrail.service.app import ServiceSettings, create_app
from silkrail.service.auth import Token
from silkrail.service.quota import ClientPolicy, Quotas, cost_of

SECRETS = {name: f"{name}-{uuid.uuid4().hex}" for name in ("fesco", "admin")}
TOKENS = (Token("fesco-1", "fesco", SECRETS["fesco"]), Token("root", "*", SECRETS["admin"]))
FESCO = {"Authorization": f"Bearer {SECRETS['fesco']}"}
SLOW = Quotas(anonymous=ClientPolicy(rate=0.5, burst=3, concurrency=1), token=ClientPolicy(1e6, 1e6, 8))


def _from_address(app: ASGIApp, host: str) -> ASGIApp:
    """``app`` as a peer at ``host`` reaches it (every request's ASGI ``client``)."""

    async def peer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "client": (host, 4000)}
        await app(scope, receive, send)

    return peer


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = ServiceSettings(
        db_url=f"sqlite:///{tmp_path / 't.sqlite'}",
        tokens=TOKENS,
        home=tmp_path,
        silent_check_s=3600,
        quotas=SLOW,
    )
    with TestClient(create_app(settings)) as c:
        yield c


def test_a_client_past_its_rate_gets_429_with_retry_after_others_are_served(app_client: TestClient) -> None:
    """Three cheap reads (the burst), then 429 with Retry-After: 2 (a unit at 0.5 a second);
    /health is never counted; a token's reads and another address's are served meanwhile."""
    assert [app_client.get("/api/v1/trains").status_code for _ in range(3)] == [200, 200, 200]
    r = app_client.get("/api/v1/trains")
    assert r.status_code == 429 and r.headers["retry-after"] == "2" and "Retry-After" in r.json()["error"]
    assert all(app_client.get("/health").status_code == 200 for _ in range(10))
    assert app_client.get("/api/v1/trains", headers=FESCO).status_code == 200
    other = TestClient(_from_address(app_client.app, "192.0.2.7"))
    assert other.get("/api/v1/trains").status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the trusted proxy, each forwarded address has its own bucket; a forwarded header
    from anyone else is ignored (the peer's address counts)."""
    monkeypatch.setenv("SILKRAIL_TRUSTED_PROXIES", "testclient")
    a = {"X-Forwarded-For": "203.0.113.5"}
    assert [app_client.get("/api/v1/trains", headers=a).status_code for _ in range(4)] == [200, 200, 200, 429]
    b = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}  # the proxy appended the client last
    assert app_client.get("/api/v1/trains", headers=b).status_code == 200
    monkeypatch.setenv("SILKRAIL_TRUSTED_PROXIES", "")
    spoofer = TestClient(_from_address(app_client.app, "192.0.2.8"))
    codes = [
        spoofer.get("/api/v1/trains", headers={"X-Forwarded-For": f"10.0.0.{k}"}).status_code
        for k in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_an_expensive_request_costs_more() -> None:
    """A list of trains 1 unit, a route 5 and 2 more per alternative, a comparison 15, an OD
    matrix 20, a train created 5; /health, /ready and the dashboard nothing."""
    assert cost_of("GET", "/api/v1/trains", b"") == 1
    assert cost_of("GET", "/api/v1/trains/abc", b"") == 1
    assert cost_of("GET", "/api/v1/route", b"origin=Hanoi&destination=Moscow") == 5
    assert cost_of("GET", "/api/v1/route", b"origin=Hanoi&alternatives=10") == 25
    assert cost_of("GET", "/api/v1/compare", b"") == 15
    assert cost_of("POST", "/api/v1/od", b"") == 20
    assert cost_of("POST", "/api/v1/trains", b"") == 5
    assert cost_of("GET", "/api/v1/gtfs-rt/trip-updates", b"") == 5
    for free in ("/health", "/ready", "/", "/static/app.js", "/docs"):
        assert cost_of("GET", free, b"") == 0


def test_options_answers_with_allow(app_client: TestClient) -> None:
    """OPTIONS says which methods a path takes (it was a 405 without Allow); a path that is not
    served is a 404."""
    expected = {
        "/api/v1/trains": "GET, OPTIONS, POST",
        "/api/v1/trains/abc": "GET, OPTIONS",
        "/api/v1/events": "OPTIONS, POST",
        "/health": "GET, OPTIONS",
        "/static/app.js": "GET, HEAD, OPTIONS",
    }
    for path, allow in expected.items():
        r = app_client.options(path)
        assert (r.status_code, r.headers.get("allow")) == (204, allow), path
    assert app_client.options("/api/v1/nothing-here").status_code == 404


def test_redirects_are_relative_whatever_the_host_header(app_client: TestClient) -> None:
    """A trailing slash redirects to the path without it, never to the host a client named."""
    for path, target in (("/api/v1/trains/", "/api/v1/trains"), ("/health/", "/health"), ("/docs/", "/docs")):
        r = app_client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
        assert r.status_code in (307, 308) and r.headers["location"] == target, (path, r.headers)


def test_refused_writes_are_audited_with_the_token_id(
    app_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """No token (401), a wrong token (401) and a token naming another operator's train (403):
    each is one JSON line on the audit log with the status, the client and, for a known token,
    its id; no secret is logged. A wrong token on a read is a 401 as well."""
    body = {
        "name": "x",
        "origin": "Hanoi",
        "destination": "Moscow",
        "departure": datetime.now(UTC).isoformat(),
    }
    with caplog.at_level(logging.INFO, logger="silkrail.audit"):
        assert app_client.post("/api/v1/events", json={"events": []}).status_code == 401
        bad = {"Authorization": "Bearer " + "x" * 40}
        assert app_client.post("/api/v1/trains", json=body, headers=bad).status_code == 401
        r = app_client.post("/api/v1/trains", json={**body, "operator": "rzd"}, headers=FESCO)
        assert r.status_code == 403
    lines = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "silkrail.audit"]
    assert [(x["status"], x["path"], x["token_id"]) for x in lines] == [
        (401, "/api/v1/events", None),
        (401, "/api/v1/trains", None),
        (403, "/api/v1/trains", "fesco-1"),
    ]
    assert all(x["event"] == "write_refused" and x["client"] == "testclient" for x in lines)
    assert not any(s in caplog.text for s in SECRETS.values())
    assert app_client.get("/api/v1/trains", headers=bad).status_code == 401


def test_a_cargo_the_model_cannot_price_is_a_422(app_client: TestClient) -> None:
    """teu=1e-300 was a ZeroDivisionError (a 500 with a traceback) on every routing endpoint and
    on POST /trains; now each is a 422 naming teu."""
    q = {"origin": "Hanoi", "destination": "Moscow", "teu": "1e-300"}
    answers = [
        app_client.get("/api/v1/route", params=q, headers=FESCO),
        app_client.get("/api/v1/compare", params=q, headers=FESCO),
        app_client.post(
            "/api/v1/od",
            json={"origins": ["Hanoi"], "destinations": ["Moscow"], "teu": 1e-300},
            headers=FESCO,
        ),
        app_client.post(
            "/api/v1/trains",
            json={
                "name": "x",
                "origin": "Hanoi",
                "destination": "Moscow",
                "departure": "2026-03-01T00:00:00Z",
                "teu": 1e-300,
            },
            headers=FESCO,
        ),
    ]
    for r in answers:
        assert r.status_code == 422 and "teu" in r.json()["error"], (r.request.url, r.text)


def test_every_api_operation_documents_the_guards_answers(app_client: TestClient) -> None:
    """400, 401 and 429 can answer any API request: the document says so, with the error body."""
    doc = app_client.get("/openapi.json").json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            if path.startswith("/api/"):
                assert {"400", "401", "429"} <= codes, (method, path)
            else:
                assert "429" not in codes, (method, path)

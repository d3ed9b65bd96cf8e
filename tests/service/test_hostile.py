"""A real service process against hostile clients: bodies refused before they are read, oversized
and slow headers, too many connections, the dashboard's and docs' security headers, a stored
script in a train's name rendered as text in Chromium, and ingest processes that end with the
service."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.service.server import ingest_pids, start, stop

pytestmark = pytest.mark.integration
TOKEN = "hostile-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = datetime.now(UTC) - timedelta(days=2)
HEADER_TIMEOUT_S = 3
MAX_CONNECTIONS = 40


@pytest.fixture(scope="module")
def live(real_net, real_settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'tracking.sqlite'}"
    env = {
        "SILKRAIL_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "SILKRAIL_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    proc, url = start(real_settings.home, db, TOKEN, real_settings.countries_file, workers=1, env=env)
    try:
        yield url
    finally:
        stop(proc)


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=20)
    return sock


def _status(sock: socket.socket) -> int:
    """The status code of the response on ``sock`` (0 when the server closed without one)."""
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            return 0
        head += chunk
    return int(head.split(b" ", 2)[1])


def _post_head(path: str, length: int | None, auth: bool) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
    if auth:
        lines.append(AUTH["Authorization"].join(["Authorization: ", ""]))
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_bodies_are_refused_before_they_are_read(live: str) -> None:
    """300 MB announced without a token: 401 after 0 body bytes sent (it was read and parsed
    first); 100 MB announced with a token: 413 after 0 bytes; a chunked body with no length: 413
    once the bytes read pass the limit, long before the 64 MB the client would send."""
    for path, length, auth, status in (
        ("/api/v1/trains", 300_000_000, False, 401),
        ("/api/v1/events", 300_000_000, False, 401),
        ("/api/v1/events", 100_000_000, True, 413),
    ):
        with _connect(live) as sock:
            sock.sendall(_post_head(path, length, auth))
            assert _status(sock) == status, (path, length, auth)
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b" " * (1 << 20))
    with _connect(live) as sock:
        sock.sendall(_post_head("/api/v1/events", None, True))
        sent, status = 0, None
        try:
            while sent < 64 << 20 and not select.select([sock], [], [], 0)[0]:
                sock.sendall(chunk)
                sent += 1 << 20
            status = _status(sock)
        except ConnectionError:  # the server answered and closed while bytes were still coming
            pass
        assert status in (413, None) and sent < 48 << 20, (status, sent)


def test_oversized_headers_are_431(live: str) -> None:
    """A 50 kB Authorization header, or 50 kB of other headers: 431, whatever the endpoint."""
    r = httpx.post(f"{live}/api/v1/events", headers={"Authorization": "Bearer " + "a" * 50_000}, json={})
    assert r.status_code == 431
    r = httpx.get(f"{live}/health", headers={f"X-Pad-{k}": "b" * 1000 for k in range(50)})
    assert r.status_code == 431


def test_slow_headers_are_cut_off_and_connections_capped(live: str) -> None:
    """A client sending one header line a second is cut off (408) once its headers take longer
    than the deadline (it was kept for ever); connections beyond the cap get a 503 at once and the
    service still answers afterwards."""
    with _connect(live) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        closed_at = None
        for k in range(4 * HEADER_TIMEOUT_S):
            time.sleep(1)
            if select.select([sock], [], [], 0)[0]:
                closed_at = k
                break
            try:
                sock.sendall(b"X-Slow-%d: 1\r\n" % k)
            except OSError:  # closed
                closed_at = k
                break
        assert closed_at is not None
        assert _status(sock) in (408, 0)
    socks = [_connect(live) for _ in range(MAX_CONNECTIONS + 10)]
    try:
        for s in socks:
            s.sendall(b"GET /health HTTP/1.1\r\n")  # never finished
        time.sleep(0.5)
        refused = [s for s in socks if select.select([s], [], [], 0)[0]]
        assert refused and all(_status(s) == 503 for s in refused)
        assert len(refused) <= 10 + 1
    finally:
        for s in socks:
            s.close()
    for _ in range(50):  # the server notices the closed sockets a moment later
        try:
            if httpx.get(f"{live}/health", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    assert httpx.get(f"{live}/health", timeout=5).status_code == 200


def test_security_headers_local_docs_and_no_host_reflection(live: str) -> None:
    """Every page and answer carries CSP default-src 'self' with frame-ancestors 'none', nosniff
    and X-Frame-Options; /docs loads Swagger UI from the service itself (every asset it names is
    served here, none from elsewhere); the /static redirect never echoes the Host header."""
    for path in ("/", "/docs", "/openapi.json", "/api/v1/trains", "/static/app.js"):
        r = httpx.get(live + path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    html = httpx.get(f"{live}/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not any("//" in a for a in assets)
    for asset in assets:
        assert httpx.get(live + asset).status_code == 200, asset
    r = httpx.get(f"{live}/static", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code in (301, 307) and r.headers["location"] == "/static/"


def test_a_script_in_a_train_name_is_shown_as_text(live: str) -> None:
    """A train named like an HTML image with an onerror handler: on the dashboard its row and its
    map marker's tooltip (shown on hover) hold the name as text and no script runs; neither the
    dashboard nor the API docs trip the Content-Security-Policy."""
    from playwright.sync_api import sync_playwright

    from tests.service.test_live import CHROMIUM_ARGS

    name = '<img src=x onerror="document.body.dataset.xss=1">'
    r = httpx.post(
        f"{live}/api/v1/trains",
        headers=AUTH,
        json={"name": name, "origin": "Hanoi", "destination": "Moscow", "departure": T0.isoformat()},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    ev = {"event_id": f"x-{tid}", "train_id": tid, "time": (T0 + timedelta(hours=20)).isoformat()}
    ev |= {"kind": "position", "lat": 22.9, "lon": 108.3}
    assert httpx.post(f"{live}/api/v1/events", headers=AUTH, json={"events": [ev]}).json()["accepted"] == 1
    violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 850})
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
        )
        page.goto(live + "/")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        marker = page.wait_for_selector(f".train-marker[data-id='{tid}']", timeout=30_000)
        assert marker is not None
        marker.hover()
        tooltip = page.wait_for_selector(".leaflet-tooltip", timeout=10_000)
        assert tooltip is not None and tooltip.inner_text() == name
        assert page.inner_text(f"#trains tr[data-id='{tid}'] td") == name
        page.wait_for_timeout(500)  # an image error handler would have run by now
        assert page.evaluate("document.body.dataset.xss") is None
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        page.goto(live + "/docs")
        page.wait_for_selector(".swagger-ui .info", timeout=30_000)
        assert "silkrail tracking" in page.inner_text(".swagger-ui .info")
        browser.close()
    assert violations == []


def test_ingest_processes_end_with_the_service(real_net, real_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """SIGKILL the service alone: its ingest processes end within seconds (they kept running,
    holding database connections, for minutes)."""
    proc, _ = start(
        real_settings.home,
        f"sqlite:///{tmp_path / 't.sqlite'}",
        TOKEN,
        real_settings.countries_file,
        workers=2,
    )
    try:
        children = ingest_pids(proc.pid, expect=2)
        assert len(children) == 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

        def alive(pid: int) -> bool:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                return False
            return state != "Z"

        for _ in range(200):
            if not any(alive(pid) for pid in children):
                break
            threading.Event().wait(0.1)
        assert not any(alive(pid) for pid in children)
    finally:
        stop(proc)

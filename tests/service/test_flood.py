"""A real service process against one client that floods it: connections and WebSocket streams
from one address leave other addresses served; half-sent or oversized WebSocket messages close
the stream; a flood of costly routes gets 429s beyond the client's share while /health and
ingest are answered, and work the client abandons is dropped; and /ready on a disk that is full
for real (a tmpfs in a mount namespace of the service's own)."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.service.server import start, stop

pytestmark = pytest.mark.integration
TOKEN = "flood-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PER_ADDRESS = 20
STREAMS_PER_ADDRESS = 4
FRAGMENT_S = 2
FLOODER = "127.0.0.2"  # the flooding client's address (loopback: any 127/8 address is this host)
T0 = datetime.now(UTC) - timedelta(days=1)


@pytest.fixture(scope="module")
def live(real_net, real_settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path_factory.mktemp('flood') / 'tracking.sqlite'}"
    env = {
        "SILKRAIL_MAX_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
        "SILKRAIL_MAX_STREAMS_PER_ADDRESS": str(STREAMS_PER_ADDRESS),
        "SILKRAIL_WS_FRAGMENT_S": str(FRAGMENT_S),
        "SILKRAIL_QUOTA_ANONYMOUS": "1e9,1e9,2",  # no rate limit here: the concurrency cap is tested
        "SILKRAIL_READ_QUEUE": "4",
    }
    proc, url = start(real_settings.home, db, TOKEN, real_settings.countries_file, workers=1, env=env)
    try:
        yield url
    finally:
        stop(proc)


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _connect(url: str, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(_address(url), timeout=20, source_address=(source, 0))


def _status(sock: socket.socket) -> int:
    """The status of the answer on ``sock`` (0: closed without one)."""
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            return 0
        head += chunk
    return int(head.split(b" ", 2)[1])


def _handshake(url: str, source: str = "127.0.0.1") -> tuple[socket.socket, int]:
    """A WebSocket handshake on /api/v1/stream from ``source``: the socket and the status."""
    sock = _connect(url, source)
    host, port = _address(url)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /api/v1/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return sock, int(head.split(b" ", 2)[1]) if head else 0


def _frame(payload: bytes, *, fin: bool, opcode: int = 1) -> bytes:
    """A client frame (masked, as a client must send them)."""
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 1 << 16:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _close_code(sock: socket.socket) -> int | None:
    """The code of the close frame the server sends (None: the connection ended without one)."""

    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    try:
        while True:
            b0, b1 = exactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(exactly(2), "big")
            elif n == 127:
                n = int.from_bytes(exactly(8), "big")
            payload = exactly(n)
            if b0 & 0x0F == 8:
                return int.from_bytes(payload[:2], "big")
    except (ConnectionError, OSError):
        return None


def test_connections_from_one_address_are_capped_and_others_served(live: str) -> None:
    """Slow clients from one address hold its share of connections; beyond it each new one gets
    a 503 at once (a thousand such sockets filled the server's cap and /health answered 503 to
    everyone); a client from another address is served throughout."""
    held = [_connect(live, FLOODER) for _ in range(PER_ADDRESS)]
    try:
        for s in held:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finished
        time.sleep(0.3)
        extra = [_connect(live, FLOODER) for _ in range(5)]
        try:
            assert [_status(s) for s in extra] == [503] * 5
        finally:
            for s in extra:
                s.close()
        assert httpx.get(f"{live}/health", timeout=30).status_code == 200
        assert httpx.get(f"{live}/api/v1/trains", timeout=30).status_code == 200
    finally:
        for s in held:
            s.close()


def test_streams_from_one_address_are_capped_apart_from_http(live: str) -> None:
    """Streams from one address beyond its share are refused at the handshake (503); streams and
    HTTP from another address, and HTTP from the same one, are served."""
    mine = [_handshake(live, FLOODER) for _ in range(STREAMS_PER_ADDRESS)]
    try:
        assert [status for _, status in mine] == [101] * STREAMS_PER_ADDRESS
        sock, status = _handshake(live, FLOODER)
        sock.close()
        assert status == 503
        other, status = _handshake(live)
        other.close()
        assert status == 101
        with httpx.Client(transport=httpx.HTTPTransport(local_address=FLOODER)) as same:
            assert same.get(f"{live}/health", timeout=30).status_code == 200
    finally:
        for s, _ in mine:
            s.close()


def test_a_half_sent_message_closes_the_stream_and_so_does_a_large_one(live: str) -> None:
    """A message whose first fragment never gets its last is closed (1008) after the fragment
    deadline (it stayed open, about 10.7 MB a connection); a message over 64 KiB is closed
    (1009) at once."""
    sock, status = _handshake(live)
    assert status == 101
    sock.sendall(_frame(b"x" * 1000, fin=False))
    sock.settimeout(FRAGMENT_S + 20)
    assert _close_code(sock) == 1008
    sock.close()
    sock, status = _handshake(live)
    sock.sendall(_frame(b"y" * 70_000, fin=True))
    sock.settimeout(20)
    assert _close_code(sock) == 1009
    sock.close()


def test_a_flood_of_routes_gets_429s_and_leaves_health_and_ingest_answered(live: str) -> None:
    """Twelve costly routes at once from one client without a token: two run or wait (its share),
    the rest are 429 with Retry-After at once; meanwhile /health and an authenticated batch are
    answered. Then routes the client abandons before their turn are dropped, never computed."""
    q = {"origin": "Hanoi", "destination": "Moscow", "alternatives": "10"}
    with httpx.Client(timeout=120) as c:
        tid = c.post(
            f"{live}/api/v1/trains",
            headers=AUTH,
            json={"name": "flood", "origin": "Hanoi", "destination": "Moscow", "departure": T0.isoformat()},
        ).json()["id"]
    event = {"event_id": "f1", "train_id": tid, "time": (T0 + timedelta(hours=1)).isoformat()}
    event |= {"kind": "position", "lat": 21.3, "lon": 106.1}

    def route(_: int) -> httpx.Response:
        return httpx.get(f"{live}/api/v1/route", params=q, timeout=300)

    with ThreadPoolExecutor(12) as pool:
        flood = [pool.submit(route, k) for k in range(12)]
        time.sleep(0.5)
        health = httpx.get(f"{live}/health", timeout=60)
        batch = httpx.post(f"{live}/api/v1/events", headers=AUTH, json={"events": [event]}, timeout=60)
        answers = [f.result() for f in flood]
    codes = sorted(r.status_code for r in answers)
    assert codes == [200, 200] + [429] * 10, codes
    assert all(r.headers["retry-after"] == "1" for r in answers if r.status_code == 429)
    assert health.status_code == 200 and health.json()["reads"]["running"] <= 1
    assert batch.status_code == 200 and batch.json()["accepted"] == 1
    # the one worker busy with a matrix (a token's); two routes of the client wait, then it goes
    od = {"origins": ORIGINS, "destinations": DESTINATIONS}
    before = httpx.get(f"{live}/health", timeout=60).json()["reads"]
    with ThreadPoolExecutor(1) as pool:
        matrix = pool.submit(httpx.post, f"{live}/api/v1/od", headers=AUTH, json=od, timeout=300)
        for _ in range(600):  # the matrix has the worker
            if httpx.get(f"{live}/health", timeout=60).json()["reads"]["running"] == 1:
                break
            time.sleep(0.02)
        abandoned = []
        for dest in ("Madrid", "Paris"):
            s = _connect(live)
            s.sendall(
                f"GET /api/v1/route?origin=Kunming&destination={dest} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
            )
            abandoned.append(s)
        waiting = 0
        for _ in range(600):
            waiting = httpx.get(f"{live}/health", timeout=60).json()["reads"]["waiting"]
            if waiting == 2:
                break
            time.sleep(0.02)
        for s in abandoned:
            s.close()
        assert matrix.result().status_code == 200
    assert waiting == 2
    for _ in range(600):
        after = httpx.get(f"{live}/health", timeout=60).json()["reads"]
        if after["running"] == after["waiting"] == 0:
            break
        time.sleep(0.1)
    assert (after["dropped"] - before["dropped"], after["done"] - before["done"]) == (2, 1), (before, after)


ORIGINS = ["Hanoi", "Kunming", "Chengdu", "Xi'an", "Beijing", "Shanghai", "Wuhan", "Chongqing", "Zhengzhou"]
DESTINATIONS = ["Moscow", "Duisburg", "Hamburg", "Warsaw", "Minsk", "Madrid", "Prague", "Vienna", "Budapest"]


def _unshare() -> list[str]:
    """``unshare`` with a mount namespace of the process's own (and, without root, a user
    namespace mapping it to root, so that it may mount)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed: no tmpfs of the service's own")
    prefix = ["unshare", "--mount"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespace here: {probe.stderr.decode().strip()[:200]}")
    return prefix


def test_ready_fails_on_a_full_disk_and_recovers(real_net, real_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The database on a 16 MB tmpfs that is then filled: a batch gets 507, /ready 503 saying the
    disk is full (it said ready: its trial write was rolled back and needed no space), /health
    200; emptied, /ready is 200 and the batch is stored."""
    disk = tmp_path / "disk"
    disk.mkdir()
    prefix = [*_unshare(), sys.executable, str(Path(__file__).parent / "fullfs.py"), "16m", str(disk)]
    proc, url = start(
        real_settings.home,
        f"sqlite:///{disk / 't.sqlite'}",
        TOKEN,
        real_settings.countries_file,
        prefix=prefix,
    )
    try:
        with httpx.Client(base_url=url, timeout=120) as c:
            tid = c.post(
                "/api/v1/trains",
                headers=AUTH,
                json={
                    "name": "disk",
                    "origin": "Hanoi",
                    "destination": "Moscow",
                    "departure": T0.isoformat(),
                },
            ).json()["id"]
            assert c.get("/ready").status_code == 200
            os.kill(proc.pid, signal.SIGUSR1)  # fill the disk
            time.sleep(1.0)
            batch = [
                {
                    "event_id": f"d{k}",
                    "train_id": tid,
                    "time": (T0 + timedelta(seconds=10 * k)).isoformat(),
                    "kind": "position",
                    "lat": 21.3,
                    "lon": 106.1,
                }
                for k in range(2000)
            ]
            r = c.post("/api/v1/events", headers=AUTH, json={"events": batch})
            assert r.status_code == 507 and "full" in r.json()["error"], r.text
            ready = c.get("/ready")
            assert ready.status_code == 503 and "full" in ready.json()["error"], ready.text
            assert c.get("/health").status_code == 200
            os.kill(proc.pid, signal.SIGUSR2)  # free it
            time.sleep(0.5)
            ready = c.get("/ready")
            assert ready.status_code == 200, ready.text
            assert c.post("/api/v1/events", headers=AUTH, json={"events": batch}).json()["accepted"] == 2000
    finally:
        stop(proc)

"""A real service process on a free loopback port, for browser, schemathesis and kill tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from silkrail.service.protocol import uvicorn_args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    home: Path,
    db_url: str,
    token: str,
    countries_file: Path,
    port: int | None = None,
    workers: int = 0,
    env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
    host: str = "127.0.0.1",
) -> tuple[subprocess.Popen[bytes], str]:
    """A service process on ``port`` (a free one by default), started as ``prefix`` + uvicorn,
    once its /health says ok."""
    port = port or free_port()
    extra = env or {}
    env = {
        **os.environ,
        "SILKRAIL_HOME": str(home),
        "SILKRAIL_DB": db_url,
        "SILKRAIL_API_TOKEN": token,
        "SILKRAIL_COUNTRIES_FILE": str(countries_file),
        "SILKRAIL_INGEST_PROCESSES": str(workers),
        "SILKRAIL_READ_WORKERS": "1",
        # no per-client limits unless a test sets them: the tests' clients share one address
        "SILKRAIL_QUOTA_ANONYMOUS": "1e9,1e9,64",
        "SILKRAIL_QUOTA_TOKEN": "1e9,1e9,64",
        **extra,
    }
    proc = subprocess.Popen(
        [
            *(prefix or []),
            sys.executable,
            "-m",
            "uvicorn",
            "silkrail.service.app:app_from_env",
            "--factory",
            "--host",
            host,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "10",
            *uvicorn_args(),  # the service's own limits: header deadline, connection cap
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: stop() reaches the workers too
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the service exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"{url}/health", timeout=1).json().get("status") == "ok":
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError("the service did not start within 120 s")


@contextmanager
def running(home: Path, db_url: str, token: str, countries_file: Path, workers: int = 0) -> Iterator[str]:
    proc, url = start(home, db_url, token, countries_file, workers=workers)
    try:
        yield url
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it lingers, the service and its workers (its process group);
    always reap it and close its pipe."""
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # any worker left behind
    if proc.stderr:
        proc.stderr.close()


def ingest_pids(pid: int, expect: int | None = None) -> list[int]:
    """The pids of the service ``pid``'s ingest processes (its children named silkrail-ingest;
    ``expect``: wait up to 30 s for that many, as a process names itself when it has started)."""
    found = children(pid, "silkrail-ingest")
    for _ in range(300):
        if expect is None or len(found) >= expect:
            break
        time.sleep(0.1)
        found = children(pid, "silkrail-ingest")
    return found


def children(pid: int, name: str) -> list[int]:
    """The pids of the service ``pid``'s worker processes called ``name``."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            comm = (stat.parent / "comm").read_text().strip()
        except OSError:
            continue
        if int(fields[1]) == pid and comm == name:
            out.append(int(stat.parent.name))
    return sorted(out)

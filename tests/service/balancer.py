"""HAProxy (Debian's) in front of several service instances, on a free loopback port: round
robin, health checks on /health every 500 ms, a failed connection sent to the next instance,
and an idempotent batch (buffered whole) sent again when its instance died before answering."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.service.server import free_port

CONFIG = """global
    maxconn 4096
    tune.bufsize 262144
defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout http-request 10s
    option forwardfor
    option redispatch
    retries 3
frontend silkrail
    bind 127.0.0.1:{port}
    default_backend instances
backend instances
    balance roundrobin
    option http-buffer-request
    retry-on conn-failure empty-response response-timeout
    option httpchk GET /health
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
{servers}
"""


def haproxy_config(port: int, backends: list[str]) -> str:
    servers = "\n".join(
        f"    server s{k} {url.removeprefix('http://')} check" for k, url in enumerate(backends, 1)
    )
    return CONFIG.format(port=port, servers=servers)


@contextmanager
def balancer(backends: list[str]) -> Iterator[str]:
    """HAProxy balancing ``backends`` (base URLs); yields its URL once it accepts connections."""
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        raise RuntimeError("HAProxy not found: run 'make install' (installs Debian's haproxy)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="silkrail-lb-") as tmp:
        cfg = Path(tmp) / "haproxy.cfg"
        cfg.write_text(haproxy_config(port, backends))
        proc = subprocess.Popen(
            [binary, "-f", str(cfg), "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"haproxy exited: {proc.stderr.read().decode()[-1000:] if proc.stderr else ''}"
                    )
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            time.sleep(1.2)  # the first health checks pass
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            if proc.stderr:
                proc.stderr.close()

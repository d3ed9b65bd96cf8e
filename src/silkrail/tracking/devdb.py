"""A throwaway PostgreSQL cluster (Debian's postgresql package) for tests and benchmarks:
a temp dir, a free loopback port, trust auth, removed afterwards."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(
            f"PostgreSQL's {name} not found: run 'make install' (installs Debian's postgresql)"
        )
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running throwaway cluster: ``url`` without a database name; ``stop``/``start`` it to
    see what the service does while its database is away."""

    url: str
    data: Path
    options: str
    log: Path
    prefix: list[str]

    def stop(self) -> None:
        subprocess.run(
            [*self.prefix, _bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
        )

    def start(self) -> None:
        subprocess.run(
            [
                *self.prefix,
                _bin("pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                self.options,
                "-l",
                str(self.log),
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
        )


@contextmanager
def postgres_cluster() -> Iterator[Cluster]:
    """Start a cluster in a temp dir on a free loopback port; removes it afterwards."""
    root = Path(tempfile.mkdtemp(prefix="silkrail-pg-"))
    data = root / "data"
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        [*prefix, _bin("initdb"), "-D", str(data), "-A", "trust", "-U", "silkrail", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=on"
    cluster = Cluster(f"postgresql://silkrail@127.0.0.1:{port}", data, opts, root / "log", prefix)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def create_database(base_url: str, name: str) -> str:
    from silkrail.extras import needs_extra

    with needs_extra("a PostgreSQL database"):
        import psycopg

    with psycopg.connect(f"{base_url}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url}/{name}"

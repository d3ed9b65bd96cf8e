"""Which scheduler runs independent jobs (a simulation's replications, the resilience
analysis's re-routings): the values ``--scheduler`` accepts, and a Dask client for them.

Kept apart from :mod:`silkrail.simulation.distributed` (which imports the simulation model)
so the command line can check the option at once, before it loads the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from silkrail.errors import DataError

if TYPE_CHECKING:  # dask is an extra, imported when a client is made
    from dask.distributed import Client

SCHEDULER_HELP = (
    "none or serial (the default: run here), local (a Dask LocalCluster of --workers processes), "
    "or tcp://HOST:PORT (a running Dask scheduler)"
)
_ADDRESS = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}")


def parse_scheduler(value: str | None) -> str | None:
    """The scheduler to run on: None for serial ("none", "serial" or nothing), "local", or a
    ``tcp://HOST:PORT`` address. Checked before any work starts, so a typo is one clear error
    rather than a failed connection to a scheduler called "nonee"."""
    if value is None:
        return None
    word = value.strip().lower()
    if word in ("none", "serial"):
        return None
    if word == "local":
        return "local"
    if _ADDRESS.fullmatch(value.strip()) and int(value.rsplit(":", 1)[1]) <= 65535:
        return value.strip()
    raise DataError(f"'{value}' is not a scheduler; use {SCHEDULER_HELP}", field="scheduler")


def require_dask(purpose: str) -> None:
    """Dask's distributed scheduler can be imported, or :class:`MissingExtraError` naming the
    ``dist`` extra (checked before any work, when a scheduler was asked for)."""
    from silkrail.extras import needs_extra

    with needs_extra(purpose):
        import dask.distributed  # noqa: F401


@contextmanager
def dask_client(scheduler: str, workers: int, purpose: str) -> Iterator[Client]:
    """A Dask client on ``scheduler`` ("local": a LocalCluster of ``workers`` single-threaded
    processes, made here and closed on exit; else the address of a running scheduler). A
    missing Dask names the extra that installs it, and ``purpose`` says what needed it."""
    from silkrail.extras import needs_extra

    with needs_extra(purpose):
        from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
            # no dashboard; its small HTTP server (health, metrics) on a free port: the default
            # 8787 may be another user's cluster on a shared machine, which made a warning
            scheduler_kwargs={"dashboard_address": ":0"},
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

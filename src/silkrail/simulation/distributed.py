"""Replications and scenario sweeps, serial or on Dask (``dask.distributed``).

Serial in this process by default; on Dask a local cluster, or an existing one at
``tcp://HOST:PORT``. Each replication is a pure function of (compiled scenario, seed), so
Dask and serial runs give identical results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from silkrail.simulation.model import run_replication
from silkrail.simulation.scenario import SimInput
from silkrail.simulation.scheduler import parse_scheduler


def run_replications(
    sim: SimInput,
    seeds: list[int],
    *,
    scheduler: str | None = None,
    workers: int = 2,
    trace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """One result per seed, in seed order. ``scheduler`` (see :func:`parse_scheduler`): None,
    "none" or "serial" runs here; "local" starts a LocalCluster of ``workers`` processes;
    "tcp://HOST:PORT" uses that cluster."""
    scheduler = parse_scheduler(scheduler)
    if scheduler is None:
        out = []
        for s in seeds:
            out.append(run_replication(sim, s, trace=trace))
            if progress:
                progress(1)
        return out
    from silkrail.extras import needs_extra

    with needs_extra("a distributed simulation (--scheduler)"):
        from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        shared = client.scatter(sim, broadcast=True)
        futures = [client.submit(run_replication, shared, s, trace=trace, pure=False) for s in seeds]
        for _ in as_completed(futures):
            if progress:
                progress(1)
        results = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return list(results)

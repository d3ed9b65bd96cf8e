"""Replications and scenario sweeps, serial or on Dask (``dask.distributed``).

Serial in this process by default; on Dask a local cluster, or an existing one at
``tcp://HOST:PORT``. Each replication is a pure function of (compiled scenario, seed), so
Dask and serial runs give identical results.
"""

from __future__ import annotations

from collections.abc import Callable

from silkrail.simulation.model import Replication, replicate
from silkrail.simulation.scenario import SimInput
from silkrail.simulation.scheduler import dask_client, parse_scheduler


def run_replications(
    sim: SimInput,
    seeds: list[int],
    *,
    scheduler: str | None = None,
    workers: int = 2,
    trace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[Replication]:
    """One result per seed, in seed order. ``scheduler`` (see :func:`parse_scheduler`): None,
    "none" or "serial" runs here; "local" starts a LocalCluster of ``workers`` processes;
    "tcp://HOST:PORT" uses that cluster."""
    scheduler = parse_scheduler(scheduler)
    if scheduler is None:
        out = []
        for s in seeds:
            out.append(replicate(sim, s, trace=trace))
            if progress:
                progress(1)
        return out
    with dask_client(scheduler, workers, "a distributed simulation (a Dask scheduler)") as client:
        from dask.distributed import as_completed

        shared = client.scatter(sim, broadcast=True)
        futures = [client.submit(replicate, shared, s, trace=trace, pure=False) for s in seeds]
        for _ in as_completed(futures):
            if progress:
                progress(1)
        results = client.gather(futures)
    return list(results)

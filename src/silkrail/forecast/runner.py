"""Running a forecast: R replications of the live state, here or on Dask, summarised into bands,
with the suggested slots at the crossings that queue.

On Dask the replications go in chunks (one task runs several: a replication of 200 trains takes
milliseconds, less than a task's own cost), the state scattered once. Each replication is a pure
function of (state, seed): serial and Dask runs give the same forecast.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from silkrail.errors import DataError
from silkrail.forecast.model import Layout, Replication, replicate
from silkrail.forecast.result import DEFAULT_STEP_H, Forecast, Outcome, summarise
from silkrail.forecast.state import LiveState
from silkrail.simulation.model import RUN_FACTOR

if TYPE_CHECKING:
    from distributed import Client

DEFAULT_REPLICATIONS = 100
MAX_REPLICATIONS = 2000
CHUNK = 10  # replications per Dask task


def check_replications(replications: int) -> int:
    if (
        isinstance(replications, bool)
        or not isinstance(replications, int)
        or not (1 <= replications <= MAX_REPLICATIONS)
    ):
        raise DataError(
            f"replications must be a whole number from 1 to {MAX_REPLICATIONS:,} (got {replications!r})",
            field="replications",
        )
    return replications


def _chunk(
    state: LiveState, seeds: Sequence[int], run_factor: tuple[float, float, float] | None
) -> list[Replication]:
    layout = Layout.of(state)
    factor = RUN_FACTOR if run_factor is None else run_factor
    return [replicate(state, s, layout=layout, run_factor=factor) for s in seeds]


def simulate_state(
    state: LiveState,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = 0,
    scheduler: str | None = None,
    client: Client | None = None,
    workers: int = 2,
    run_factor: tuple[float, float, float] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """The raw outcome of ``replications`` runs of ``state`` (seeds ``seed``, ``seed + 1``, ...):
    here, on the Dask ``client`` given, or on the ``scheduler`` named (``local``,
    ``tcp://HOST:PORT``; see :mod:`silkrail.simulation.scheduler`)."""
    from silkrail.simulation.scheduler import dask_client, parse_scheduler

    check_replications(replications)
    seeds = list(range(seed, seed + replications))
    layout = Layout.of(state)
    if client is None:
        scheduler = parse_scheduler(scheduler)
    if client is None and scheduler is None:
        reps = []
        for s in seeds:
            reps += _chunk(state, [s], run_factor)
            if progress:
                progress(1)
        return Outcome.of(layout, reps)
    if client is not None:
        return Outcome.of(layout, _on_dask(client, state, seeds, run_factor, progress))
    assert scheduler is not None
    with dask_client(scheduler, workers, "a forecast on Dask (a scheduler)") as c:
        return Outcome.of(layout, _on_dask(c, state, seeds, run_factor, progress))


def _on_dask(
    client: Client,
    state: LiveState,
    seeds: list[int],
    run_factor: tuple[float, float, float] | None,
    progress: Callable[[int], None] | None,
) -> list[Replication]:
    from dask.distributed import as_completed

    shared = client.scatter(state, broadcast=True)
    chunks = [seeds[i : i + CHUNK] for i in range(0, len(seeds), CHUNK)]
    futures = [client.submit(_chunk, shared, c, run_factor, pure=False) for c in chunks]
    out: list[Replication] = []
    for f in as_completed(futures):
        got = f.result()
        out += got
        if progress:
            progress(len(got))
    return out


def run_forecast(
    state: LiveState,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = 0,
    scheduler: str | None = None,
    client: Client | None = None,
    workers: int = 2,
    step_h: float = DEFAULT_STEP_H,
    slots: bool = True,
    run_factor: tuple[float, float, float] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Forecast:
    """The forecast of ``state``: ``replications`` runs summarised into bands, and (``slots``)
    the suggested slots at the crossings that queue, with their effect measured by running the
    slotted state on the same seeds."""
    from silkrail.forecast.slots import apply_holds, evaluate, plan_slots

    if not 0.25 <= step_h <= state.horizon_h:
        raise DataError(f"the step must be 0.25 h to the horizon (got {step_h})", field="step_h")
    started = time.perf_counter()

    def simulate(s: LiveState, progress: Callable[[int], None] | None = None) -> Outcome:
        return simulate_state(
            s,
            replications=replications,
            seed=seed,
            scheduler=scheduler,
            client=client,
            workers=workers,
            run_factor=run_factor,
            progress=progress,
        )

    outcome = simulate(state, progress)
    forecast = summarise(state, outcome, seed=seed, step_h=step_h)
    if slots:
        plan = plan_slots(state, outcome)
        if plan.holds:
            slotted = simulate(apply_holds(state, plan))
            plan = evaluate(plan, state, outcome, slotted)
        forecast = replace(forecast, slots=plan, trains=plan.attach(forecast.trains))
    return replace(forecast, seconds=time.perf_counter() - started)

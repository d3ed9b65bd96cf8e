"""The simulation front end: ``simulate`` a scenario, ``compare`` two, write plots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from silkrail.simulation.distributed import run_replications
from silkrail.simulation.kpi import Comparison, Kpis, compare, summarise
from silkrail.simulation.scenario import compile_scenario, load_scenario

if TYPE_CHECKING:
    from silkrail.network.model import Network

__all__ = ["Comparison", "Kpis", "compare", "simulate", "write_plots"]


def simulate(
    net: Network,
    scenario: str | Path,
    *,
    replications: int = 1,
    seed: int | None = None,
    days: int | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    trace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Kpis:
    """KPIs of ``replications`` runs of a scenario (seeds seed, seed+1, ...)."""
    from silkrail.errors import DataError

    if replications < 1 or replications > 10_000:
        raise DataError(f"replications must be 1 to 10,000 (got {replications})", field="replications")
    if days is not None and not 0 < days <= 3660:
        raise DataError(f"days must be 1 to 3,660 (got {days})", field="days")
    sc, where = load_scenario(scenario)
    sim = compile_scenario(sc, where, net, days=days)
    base = sc.seed if seed is None else seed
    seeds = [base + i for i in range(replications)]
    results = run_replications(
        sim, seeds, scheduler=scheduler, workers=workers, trace=trace, progress=progress
    )
    return replace(
        summarise(results),
        scenario=sc.name,
        files=tuple(sc.files),
        start=sim.start,
        days=sim.horizon_h / 24,
        results=tuple(results) if trace else None,
        input=sim if trace else None,
    )


def write_plots(kpis: Kpis, directory: Path) -> list[Path]:
    """Queue length over time per crossing and transit-time distributions per service (PNG),
    from the first replication (needs ``simulate(..., trace=True)``)."""
    from silkrail.extras import needs_extra

    with needs_extra("simulation plots (--plots)"):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    if not kpis.results:
        raise ValueError("plots need the replications' results: simulate(..., trace=True)")
    result = kpis.results[0]
    written = []
    busy = [r for r in result.resources if r.queue_trace]
    if busy:
        fig, ax = plt.subplots(figsize=(11, 4.5))
        for r in sorted(busy, key=lambda r: -r.max_queue)[:8]:
            trace = r.queue_trace or []
            t = [p[0] / 24 for p in trace]
            q = [p[1] for p in trace]
            ax.step(t, q, where="post", label=f"{r.name} (max {r.max_queue})")
        ax.set_xlabel("day of the run")
        ax.set_ylabel("trains queueing")
        ax.set_title(f"{kpis.scenario}: queue at crossings (seed {result.seed})")
        ax.legend(fontsize=8, loc="upper left")
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        path = directory / f"{kpis.scenario}-queues.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    services = [s for s in result.services if s.transit_h]
    if services:
        fig, ax = plt.subplots(figsize=(11, 4.5))
        data = [[t / 24 for t in s.transit_h] for s in services]
        ax.boxplot(data, orientation="horizontal", tick_labels=[s.name for s in services], showfliers=True)
        for i, s in enumerate(services, 1):
            ax.plot(s.planned_h / 24, i, "k|", markersize=14)
        ax.set_xlabel("transit time (days); | = planned without queueing")
        ax.set_title(f"{kpis.scenario}: transit time per service")
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        path = directory / f"{kpis.scenario}-transit.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written

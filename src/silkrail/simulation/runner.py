"""The simulation front end: ``simulate`` a scenario, ``compare`` two, write plots."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from silkrail.simulation.distributed import run_replications
from silkrail.simulation.kpi import summarise
from silkrail.simulation.scenario import compile_scenario, load_scenario


def simulate(
    net: Any,
    scenario: str | Path,
    *,
    replications: int = 1,
    seed: int | None = None,
    days: int | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    trace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
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
    kpis = summarise(results)
    kpis.update(scenario=sc.name, files=sc.files, start=sim.start, days=sim.horizon_h / 24)
    if trace:
        kpis["_results"] = results
        kpis["_input"] = sim
    return kpis


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Differences B - A of the mean KPIs, for services and crossings present in either."""

    def rows(kind: str, keys: list[str]) -> list[dict[str, Any]]:
        left = {x["name"]: x for x in a[kind]}
        right = {x["name"]: x for x in b[kind]}
        out = []
        for name in list(left) + [n for n in right if n not in left]:
            row: dict[str, Any] = {"name": name}
            for key in keys:
                va = left.get(name, {}).get(key, {}).get("mean", math.nan)
                vb = right.get(name, {}).get(key, {}).get("mean", math.nan)
                row[key] = {"a": va, "b": vb, "change": vb - va}
            out.append(row)
        return out

    return {
        "a": a["scenario"],
        "b": b["scenario"],
        "services": rows("services", ["trains_delivered", "transit_mean_h", "transit_p95_h"]),
        "crossings": rows("crossings", ["trains", "wait_mean_h", "wait_p95_h", "utilisation", "max_queue"]),
    }


def write_plots(kpis: dict[str, Any], directory: Path) -> list[Path]:
    """Queue length over time per crossing and transit-time distributions per service (PNG),
    from the first replication (needs ``simulate(..., trace=True)``)."""
    from silkrail.extras import needs_extra

    with needs_extra("simulation plots (--plots)"):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    result = kpis["_results"][0]
    written = []
    busy = [r for r in result["resources"] if r.get("queue_trace")]
    if busy:
        fig, ax = plt.subplots(figsize=(11, 4.5))
        for r in sorted(busy, key=lambda r: -r["max_queue"])[:8]:
            t = [p[0] / 24 for p in r["queue_trace"]]
            q = [p[1] for p in r["queue_trace"]]
            ax.step(t, q, where="post", label=f"{r['name']} (max {r['max_queue']})")
        ax.set_xlabel("day of the run")
        ax.set_ylabel("trains queueing")
        ax.set_title(f"{kpis['scenario']}: queue at crossings (seed {result['seed']})")
        ax.legend(fontsize=8, loc="upper left")
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        path = directory / f"{kpis['scenario']}-queues.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    services = [s for s in result["services"] if s["transit_h"]]
    if services:
        fig, ax = plt.subplots(figsize=(11, 4.5))
        data = [[t / 24 for t in s["transit_h"]] for s in services]
        ax.boxplot(data, orientation="horizontal", tick_labels=[s["name"] for s in services], showfliers=True)
        for i, s in enumerate(services, 1):
            ax.plot(s["planned_h"] / 24, i, "k|", markersize=14)
        ax.set_xlabel("transit time (days); | = planned without queueing")
        ax.set_title(f"{kpis['scenario']}: transit time per service")
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        path = directory / f"{kpis['scenario']}-transit.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written

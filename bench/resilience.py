"""Benchmark: resilience over every curated crossing for a set of flows (200 by default), same run.

Three ways to the same ranking, each timed:
  1. serial, re-routing only the flows whose route uses the removed crossing (silkrail's way);
  2. the same on a 2-worker Dask LocalCluster (cluster start-up included, and shown apart);
  3. the naive way: every flow re-routed for every crossing (serial).
The three results are checked equal. Printed: the times and the ratios naive / silkrail and
serial / 2 workers.

The flows are drawn (seeded) among pairs of corridor cities, by rail, with 100–20,000 TEU a year.

    python bench/resilience.py [--flows 200] [--seed 1] [--naive-elements N]
"""

from __future__ import annotations

import argparse
import random
import time

PLACES = [
    "Hanoi", "Haiphong", "Kunming", "Nanning", "Chengdu", "Chongqing", "Xi'an", "Zhengzhou", "Wuhan",
    "Urumqi", "Beijing", "Harbin", "Ulaanbaatar", "Irkutsk", "Novosibirsk", "Yekaterinburg", "Moscow",
    "Almaty", "Astana", "Tashkent", "Vientiane", "Minsk", "Warsaw", "Duisburg", "Tbilisi", "Baku",
]  # fmt: skip


def make_flows(n: int, seed: int) -> list:  # type: ignore[type-arg]
    from silkrail.analysis.flows import Flow

    rng = random.Random(seed)
    out = []
    for i in range(n):
        o, d = rng.sample(PLACES, 2)
        out.append(Flow(f"flow {i + 1}: {o} → {d}", o, d, float(rng.randint(100, 20_000)), "rail"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flows", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--naive-elements",
        type=int,
        default=0,
        help="time the naive way on the first N crossings only (0: all)",
    )
    args = ap.parse_args()

    from silkrail.analysis import _records as rec
    from silkrail.analysis.resilience import Element, NetworkFlowRouter, compute_resilience
    from silkrail.settings import get_settings

    router = NetworkFlowRouter(get_settings())
    net = router.router().net
    elements = [
        Element(f"crossing:{c.id}", "crossing", c.name, frozenset({f"crossing:{c.id}"}))
        for c in rec.crossings(net)
        if c.curated
    ]
    flows = make_flows(args.flows, args.seed)
    # warm up: the search's compiled kernels and the router's caches
    compute_resilience(flows[:2], elements[:1], router)
    print(f"{len(flows)} flows, {len(elements)} curated crossings")

    t0 = time.perf_counter()
    serial = compute_resilience(flows, elements, router)
    t_serial = time.perf_counter() - t0
    print(f"1. silkrail, serial:          {t_serial:8.1f} s  ", end="")
    print(f"({serial.reroutes:,} re-routings + {len(flows)} baselines)")

    from dask.distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    )
    client = Client(cluster)
    t_start = time.perf_counter() - t0
    try:
        address = cluster.scheduler_address
        # warm the workers (network load, compiled kernels) as the serial run was warmed
        t0 = time.perf_counter()
        compute_resilience(flows[:4], elements[:1], router, scheduler=address, workers=2)
        t_warm = time.perf_counter() - t0
        t0 = time.perf_counter()
        dask = compute_resilience(flows, elements, router, scheduler=address, workers=2)
        t_dask = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    print(
        f"2. silkrail, 2-worker Dask:   {t_dask:8.1f} s  (+ {t_start:.1f} s cluster start, "
        f"{t_warm:.1f} s worker warm-up)"
    )

    naive_elements = elements[: args.naive_elements] if args.naive_elements else elements
    t0 = time.perf_counter()
    naive = compute_resilience(flows, naive_elements, router, only_affected=False)
    t_naive = time.perf_counter() - t0
    scale = len(elements) / len(naive_elements)
    print(
        f"3. naive full re-route:       {t_naive:8.1f} s  ({naive.reroutes:,} re-routings"
        + (f"; x{scale:.2f} for all crossings = {t_naive * scale:.1f} s)" if scale != 1 else ")")
    )

    same_dask = dask.impacts == serial.impacts and dask.baselines == serial.baselines
    smart_part = {i.element.key: i for i in serial.impacts}
    same_naive = all(
        smart_part[i.element.key] == _unranked(i, smart_part[i.element.key]) for i in naive.impacts
    )
    print(f"results: Dask == serial: {same_dask}; naive == silkrail: {same_naive}")
    print(f"ratio naive / silkrail (serial):  {t_naive * scale / t_serial:6.1f}x")
    print(
        f"ratio serial / 2-worker Dask:     {t_serial / t_dask:6.2f}x (with cluster start: "
        f"{t_serial / (t_dask + t_start + t_warm):.2f}x)"
    )
    top = serial.impacts[:5]
    print(
        "most critical: "
        + "; ".join(
            f"{i.element.name} ({i.extra_time_h / 24:,.0f} TEU-days, {i.stranded_teu:,.0f} TEU stranded)"
            for i in top
        )
    )


def _unranked(naive_impact, smart_impact):  # type: ignore[no-untyped-def]
    """The naive run ranks a subset of elements: compare everything but the rank."""
    from dataclasses import replace

    return replace(naive_impact, rank=smart_impact.rank)


if __name__ == "__main__":
    main()

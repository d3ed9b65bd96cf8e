"""Benchmark: an origin-destination matrix priced a tree at a time against a route at a time.

The places are the network's big cities (the gazetteer's cities of ``--min-population`` people
or more with track within 30 km), every pair by rail for ``--teu`` TEU of containers. Both
methods grow the same shortest-path tree per origin (timed apart, and shared); they differ in
pricing: the baseline unwinds each destination's path and prices it as a single route
(``price_route``, what ``od_matrix`` did before), ``TreePricer`` sums every arc's figures along
the tree to all destinations at once. The two must agree on every cell (durations, costs, CO2
and their ranges) to 1e-9; printed are each method's pricing time (median of ``--repeat`` runs)
and the ratio tree / per-route.

    python bench/od_matrix.py [--min-population 1000000] [--repeat 3] [--teu 40]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import silkrail
from silkrail import jit
from silkrail.routing import kernels_py
from silkrail.routing.pricing import TreePricer, price_route
from silkrail.routing.query import RouteOptions, check_query
from silkrail.routing.router import router_for
from silkrail.traffic import Traffic

FIELDS = ("duration_h", "cost_usd", "co2_kg", "duration_h_range", "cost_usd_range", "co2_kg_range")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--min-population", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--teu", type=float, default=40.0)
    args = ap.parse_args()
    if not 1 <= args.repeat <= 50:
        ap.error(f"--repeat {args.repeat}: give 1 to 50 runs")
    if not 0 < args.teu <= 10_000:
        ap.error(f"--teu {args.teu}: give a number of TEU above 0 and at most 10,000")
    if not 100_000 <= args.min_population <= 50_000_000:
        ap.error(f"--min-population {args.min_population:,}: give 100,000 to 50,000,000 people")

    net = silkrail.load_network()
    router = router_for(net)
    names: list[str] = []
    for c in router.places.cities(min_population=args.min_population, rail_within_km=30):
        if c.name not in names:
            names.append(c.name)
    q = check_query(net, RouteOptions(mode="rail", traffic="freight", teu=args.teu))
    places = [router.resolve(x) for x in names]
    engine = router.engine
    if jit.available():
        from silkrail.routing import kernels as k
    else:
        k = kernels_py  # type: ignore[assignment]
    g = engine.graph
    indptr, indices, arcs = g.csr(q.constraints)
    w = engine.weights_for(q.constraints, q.coef)
    ends = [engine.end_states(p, q.mode) for p in places]

    t0 = time.perf_counter()
    trees = []
    for p in places:
        dist, pred = k.shortest_tree(indptr, indices, w, engine.end_states(p, q.mode))
        best = [int(s) if np.isfinite(dist[s]) else -1 for s in (st[np.argmin(dist[st])] for st in ends)]
        trees.append((pred, np.array(best, dtype=np.int64)))
    t_trees = time.perf_counter() - t0
    cells = sum(int((b >= 0).sum()) for _, b in trees)
    print(f"{len(places)} big cities, {cells:,} routed pairs by rail; trees {t_trees:.1f} s (shared)")

    def per_route() -> dict[str, np.ndarray]:
        out = {f: np.full((len(trees), len(places)) + ((2,) if "range" in f else ()), np.nan) for f in FIELDS}
        for i, (pred, best) in enumerate(trees):
            for j, s in enumerate(best.tolist()):
                if s < 0:
                    continue
                r = price_route(g, k.unwind(pred, arcs, g.src, s), q.teu, traffic=Traffic.CONTAINER)
                for f in FIELDS:
                    out[f][i, j] = getattr(r, f)
        return out

    def per_tree() -> dict[str, np.ndarray]:
        pricer = TreePricer(g, arcs, q.teu, traffic=Traffic.CONTAINER, totals=k.tree_totals)
        rows = [pricer.price(pred, best) for pred, best in trees]
        return {f: np.stack([getattr(r, f) for r in rows]) for f in FIELDS}

    times: dict[str, list[float]] = {"per-route": [], "tree": []}
    results = {}
    for _ in range(args.repeat):
        for name, fn in (("per-route", per_route), ("tree", per_tree)):
            t = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t)
    for f in FIELDS:
        a, b = results["tree"][f], results["per-route"][f]
        same = np.allclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True)
        if not np.array_equal(np.isnan(a), np.isnan(b)) or not same:
            raise SystemExit(f"the two methods disagree on {f}")
    base, tree = statistics.median(times["per-route"]), statistics.median(times["tree"])
    print(f"pricing, median of {args.repeat}: per-route (baseline) {base:.2f} s, tree {tree:.2f} s")
    print(f"ratio tree / per-route: {tree / base:.3f} (every cell equal to 1e-9)")


if __name__ == "__main__":
    main()

"""Benchmark: the default objective (the generalised cost) against the time objective, same run.

The same random origin-destination pairs of rail nodes in the corridor countries are routed
under both objectives, in alternating order, each a full Route (legs, events, totals). The
generalised cost adds a penalty per customs border and transshipment to every arc; the landmark
bounds weigh time and money alone, so they are weaker for it and the search may settle more
states. Printed: median and 90th-percentile query times and the ratio generalised / time (the
baseline), and how often the two objectives pick another corridor.

    python bench/generalised_objective.py [--pairs 100] [--seed 11]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import numpy as np

CORRIDOR = {
    "VN",
    "CN",
    "LA",
    "TH",
    "MN",
    "RU",
    "KZ",
    "UZ",
    "KG",
    "TM",
    "AZ",
    "GE",
    "BY",
    "PL",
    "DE",
    "IR",
    "TR",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    import silkrail
    from silkrail.errors import NoRouteError
    from silkrail.network.model import NodeKind
    from silkrail.routing.access import Access
    from silkrail.routing.places import Place
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for

    net = silkrail.load_network()
    router = router_for(net)
    router.engine.kernel = "numba"  # many queries: the compiled kernels (as bench/route_vs_scgraph.py)
    rng = np.random.default_rng(args.seed)
    ok = np.flatnonzero(
        (net.node_kind == NodeKind.RAIL) & np.isin(np.array(net.countries)[net.country], list(CORRIDOR))
    )

    def point(name: str, node: int) -> Place:
        lat, lon = float(net.lat[node]), float(net.lon[node])
        return Place(name, lat, lon, node, "point", "", rail=Access("rail", node, name, 0.0))

    for objective in ("time", "generalised"):  # warm: weights, landmarks and kernels of both
        with contextlib.suppress(NoRouteError):
            router.route(
                RouteQuery(point("a", int(ok[0])), point("b", int(ok[1])), mode="rail", objective=objective)
            )
    times: dict[str, list[float]] = {"time": [], "generalised": []}
    other_corridor = skipped = 0
    while len(times["time"]) < args.pairs:
        a, b = (int(x) for x in rng.choice(ok, 2, replace=False))
        pa, pb = point("a", a), point("b", b)
        order = ("time", "generalised") if len(times["time"]) % 2 == 0 else ("generalised", "time")
        got = {}
        try:
            for objective in order:
                t = time.perf_counter()
                got[objective] = router.route(RouteQuery(pa, pb, mode="rail", objective=objective))
                times[objective].append(time.perf_counter() - t)
        except NoRouteError:
            skipped += 1
            for objective in got:
                times[objective].pop()
            continue
        other_corridor += got["time"].countries != got["generalised"].countries
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    p90 = {k: float(np.percentile(v, 90)) * 1000 for k, v in times.items()}
    n = len(times["time"])
    print(f"{n} OD pairs of rail nodes routed under both objectives ({skipped} without a rail route skipped)")
    for k in times:
        print(f"  {k:12s} median {med[k]:7.2f} ms  p90 {p90[k]:7.2f} ms")
    ratio, ratio90 = med["generalised"] / med["time"], p90["generalised"] / p90["time"]
    print(f"ratio generalised / time (baseline): median {ratio:.2f}x, p90 {ratio90:.2f}x")
    print(f"another sequence of countries under the generalised cost: {other_corridor} of {n} pairs")


if __name__ == "__main__":
    main()

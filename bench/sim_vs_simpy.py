"""Benchmark: silkrail's simulation kernel against SimPy 4 on the same queueing model, same run.

Trains arrive (exponential gaps, from a source process in both engines) and pass three
crossings in series, each with c servers, running between them; every random time is drawn
in advance, so both engines must produce the same waits (checked). Printed: model events/s
of each and the ratio (target >= 4x SimPy).
Then one simulated year of the `vn-ru-growth` scenario (target < 5 s) and the Dask speed-up
for 16 replications on 2 workers against the serial run.

    python bench/sim_vs_simpy.py [--trains 40000]
"""

from __future__ import annotations

import argparse
import random
import time


def draw(n: int, seed: int = 1) -> tuple[list[float], list[list[float]], list[list[float]]]:
    rng = random.Random(seed)
    t, arrivals = 0.0, []
    for _ in range(n):
        t += rng.expovariate(1 / 1.0)
        arrivals.append(t)
    service = [[rng.triangular(1.0, 5.0, 2.0) for _ in range(n)] for _ in range(3)]
    run = [[rng.uniform(5.0, 15.0) for _ in range(n)] for _ in range(3)]
    return arrivals, service, run


def with_silkrail(arrivals, service, run, servers):  # type: ignore[no-untyped-def]
    from silkrail.simulation.kernel import Kernel, Server

    k = Kernel()
    crossings = [Server(k, f"c{i}", servers) for i in range(3)]

    def reach(arg):  # type: ignore[no-untyped-def]
        crossings[arg[1]].request(arg, start)

    def start(arg):  # type: ignore[no-untyped-def]
        train, stage = arg
        k.schedule(service[stage][train], finish, arg)

    def finish(arg):  # type: ignore[no-untyped-def]
        train, stage = arg
        crossings[stage].release()
        if stage < 2:
            k.schedule(run[stage + 1][train], reach, (train, stage + 1))

    n = len(arrivals)

    def source(i):  # type: ignore[no-untyped-def]
        # one arrival at a time, as a SimPy source process does: train i sets off to its first crossing
        k.schedule(run[0][i], reach, (i, 0))
        if i + 1 < n:
            k.schedule(arrivals[i + 1] - arrivals[i], source, i + 1)

    k.schedule(arrivals[0], source, 0)
    t0 = time.perf_counter()
    k.run()
    return time.perf_counter() - t0, k.events_processed, [sum(c.waits) for c in crossings]


def with_simpy(arrivals, service, run, servers):  # type: ignore[no-untyped-def]
    import simpy

    env = simpy.Environment()
    crossings = [simpy.Resource(env, capacity=servers) for _ in range(3)]
    waits = [0.0, 0.0, 0.0]

    def train(i):  # type: ignore[no-untyped-def]
        yield env.timeout(run[0][i])
        for stage in range(3):
            if stage:
                yield env.timeout(run[stage][i])
            arrived = env.now
            with crossings[stage].request() as req:
                yield req
                waits[stage] += env.now - arrived
                yield env.timeout(service[stage][i])

    def source():  # type: ignore[no-untyped-def]
        previous = 0.0
        for i, t in enumerate(arrivals):
            yield env.timeout(t - previous)
            previous = t
            env.process(train(i))

    env.process(source())
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0, waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trains", type=int, default=40_000)
    parser.add_argument("--servers", type=int, default=3)
    args = parser.parse_args()
    arrivals, service, run = draw(args.trains)
    ours, events, w1 = with_silkrail(arrivals, service, run, args.servers)
    theirs, w2 = with_simpy(arrivals, service, run, args.servers)
    same = all(abs(a - b) <= 1e-6 * max(1.0, abs(a)) for a, b in zip(w1, w2, strict=True))
    print(f"{args.trains:,} trains x 3 crossings of {args.servers} servers: {events:,} model events")
    print(f"same waits in both engines: {same} (total waits {sum(w1):,.1f} h vs {sum(w2):,.1f} h)")
    print(f"silkrail kernel: {events / ours:,.0f} events/s ({ours:.2f} s)")
    print(f"SimPy 4:         {events / theirs:,.0f} events/s ({theirs:.2f} s)")
    print(f"ratio silkrail / SimPy = {theirs / ours:.1f}x (target >= 4x)")

    import silkrail
    from silkrail.simulation.distributed import run_replications
    from silkrail.simulation.model import run_replication
    from silkrail.simulation.runner import simulate
    from silkrail.simulation.scenario import compile_scenario, load_scenario

    net = silkrail.load_network(progress=False)
    t0 = time.perf_counter()
    simulate(net, "vn-ru-growth")
    whole = time.perf_counter() - t0
    sc, where = load_scenario("vn-ru-growth")
    sim = compile_scenario(sc, where, net)
    t0 = time.perf_counter()
    r = run_replication(sim, 1)
    rep = time.perf_counter() - t0
    print(
        f"vn-ru-growth, one simulated year: {whole:.2f} s with routing, {rep:.2f} s for the replication "
        f"({r['events']:,} events) (target < 5 s)"
    )
    seeds = list(range(16))
    t0 = time.perf_counter()
    serial = run_replications(sim, seeds)
    t_serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    dask = run_replications(sim, seeds, scheduler="local", workers=2)
    t_dask = time.perf_counter() - t0
    print(
        f"16 replications: serial {t_serial:.1f} s, Dask LocalCluster 2 workers {t_dask:.1f} s "
        f"(including cluster start) -> speed-up {t_serial / t_dask:.2f}x; identical results: {serial == dask}"
    )


if __name__ == "__main__":
    main()

"""The event kernel and servers on hand-computable cases: exact logs and waits."""

from __future__ import annotations

import pytest

from silkrail.simulation.kernel import Kernel, Server
from silkrail.simulation.model import replicate, run_replication
from silkrail.simulation.scenario import ResourceSpec, ServiceSpec, SimInput


def _fifo(
    arrivals: list[float], service: float, capacity: int
) -> tuple[list[tuple[float, str]], list[float]]:
    k = Kernel(log=True)
    s = Server(k, "x", capacity)

    def arrive(i: int) -> None:
        k.record(f"arrive {i}")
        s.request(i, lambda j: (k.record(f"start {j}"), k.schedule(service, done, j)))

    def done(i: int) -> None:
        k.record(f"done {i}")
        s.release()

    for i, t in enumerate(arrivals):
        k.schedule(t, arrive, i)
    k.run()
    assert k.log is not None
    return k.log, s.waits


def test_one_server_fifo_gives_exact_waits() -> None:
    """One server, 2 h service, arrivals at 0, 1, 1.5: waits 0, 1, 2.5 and this exact log."""
    log, waits = _fifo([0, 1, 1.5], 2.0, 1)
    assert waits == [0.0, 1.0, 2.5]
    assert log == [
        (0.0, "arrive 0"),
        (0.0, "start 0"),
        (1.0, "arrive 1"),
        (1.5, "arrive 2"),
        (2.0, "done 0"),
        (2.0, "start 1"),
        (4.0, "done 1"),
        (4.0, "start 2"),
        (6.0, "done 2"),
    ]


def test_two_servers_halve_the_queue() -> None:
    """Two servers: the third train waits only for the first to finish (0, 0, 1.5)."""
    _, waits = _fifo([0, 0, 0.5], 2.0, 2)
    assert waits == [0.0, 0.0, 1.5]


def test_priority_jumps_the_queue_but_does_not_preempt() -> None:
    """A priority train queued behind freight starts first when the server frees."""
    k = Kernel(log=True)
    s = Server(k, "x", 1)
    order: list[str] = []

    def arrive(arg: tuple[str, int]) -> None:
        s.request(
            arg[0], lambda j: (order.append(j), k.schedule(1.0, lambda _: s.release())), priority=arg[1]
        )

    k.schedule(0.0, arrive, ("freight-1", 0))
    k.schedule(0.1, arrive, ("freight-2", 0))
    k.schedule(0.2, arrive, ("passenger", 1))
    k.run()
    assert order == ["freight-1", "passenger", "freight-2"]


def test_a_closed_server_holds_its_queue_until_it_reopens() -> None:
    """Closed for 5 h at t=0: a train arriving at 1 h starts at 5 h (wait 4 h)."""
    k = Kernel()
    s = Server(k, "x", 1)
    k.schedule(0.0, lambda _: s.close(5.0))
    k.schedule(1.0, lambda _: s.request(0, lambda j: k.schedule(1.0, lambda _: s.release())))
    k.run()
    assert s.waits == [4.0]


def test_run_until_stops_the_clock_there() -> None:
    """run(until=) processes events up to that time and leaves the rest."""
    k = Kernel()
    seen: list[float] = []
    for t in (1.0, 2.0, 3.0):
        k.schedule(t, lambda _: seen.append(k.now))
    k.run(until=2.5)
    assert seen == [1.0, 2.0] and k.now == 2.5 and k.peek() == 3.0


def test_negative_delays_are_refused() -> None:
    """Scheduling into the past is an error."""
    with pytest.raises(ValueError, match="past"):
        Kernel().schedule(-1.0, lambda _: None)


def _synthetic(servers: int, closures: list[tuple[float, float]] | None = None) -> SimInput:
    res = [ResourceSpec("border", servers, 2.0, 3.0, 6.0, closures or [])]
    deps = [i * 1.5 for i in range(200)]
    svc = ServiceSpec("s", deps, 80, 0, [(5.0, 0, None), (10.0, -1, None)], [], 18.0, ["CN", "MN"])
    return SimInput("synthetic", "2025-01-01", 300.0, res, [svc])


def test_same_seed_same_result_other_seed_other_result() -> None:
    """A replication is a function of its input and seed."""
    a, b, c = (replicate(_synthetic(2), s) for s in (7, 7, 8))
    assert a == b
    assert a.services[0].transit_h != c.services[0].transit_h


@pytest.mark.parametrize("seed", range(5))
def test_less_capacity_never_lowers_the_mean_wait(seed: int) -> None:
    """Same seeds (each train draws its own numbers), fewer servers: waits can only grow."""
    waits = [sum(replicate(_synthetic(n), seed).resources[0].waits_h) for n in (4, 3, 2, 1)]
    assert waits == sorted(waits)
    assert waits[-1] > waits[0]


def test_the_json_form_of_a_replication_keeps_its_keys_and_order() -> None:
    """``run_replication`` is ``replicate(...).to_dict()``: the keys in their order, the queue trace
    only when traced and the event log only when asked for."""
    plain = run_replication(_synthetic(2), 7)
    assert list(plain) == ["seed", "services", "resources", "events", "end_h"]
    assert plain == replicate(_synthetic(2), 7).to_dict()
    services, resources = plain["services"], plain["resources"]
    assert isinstance(services, list) and isinstance(resources, list)
    assert list(services[0]) == [
        "name",
        "departed",
        "delivered",
        "stranded",
        "rerouted",
        "transit_h",
        "planned_h",
    ]
    assert list(resources[0]) == ["name", "servers", "trains", "waits_h", "utilisation", "max_queue"]
    traced = run_replication(_synthetic(2), 7, trace=True, log=True)
    assert list(traced)[-1] == "log" and traced["log"]
    traced_resources = traced["resources"]
    assert isinstance(traced_resources, list) and traced_resources[0]["queue_trace"]

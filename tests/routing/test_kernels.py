"""The Python and the compiled search kernels give identical paths, and the engine picks one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from silkrail.network.model import Network, NodeKind
from silkrail.routing import engine as engine_module
from silkrail.routing import kernels, kernels_py, landmarks
from silkrail.routing.engine import Engine
from silkrail.routing.graph import Constraints
from silkrail.routing.query import RouteQuery
from silkrail.routing.results import StatePath
from silkrail.routing.router import Router
from silkrail.traffic import Traffic


def _both(engine: Engine, src: np.ndarray, dst: np.ndarray, c: Constraints, coef, **kw):  # type: ignore[no-untyped-def]
    """The same query answered by each kernel."""
    out = []
    for kernel in ("python", "numba"):
        engine.kernel = kernel
        out.append(engine.search(src, dst, c, coef, **kw))
    return out


def _same(py: StatePath | None, nb: StatePath | None) -> None:
    assert (py is None) == (nb is None)
    if py is not None and nb is not None:
        np.testing.assert_array_equal(py.arcs, nb.arcs)
        assert py.value == nb.value  # bit for bit: the same sums in the same order
        assert py.settled == nb.settled  # the same states settled: the same heap order


def test_heaps_pop_in_the_same_order() -> None:
    """With many equal keys, the Python heap pops values in the compiled heap's order."""
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 5, 400).astype(float)  # ties everywhere
    hk, hv = np.empty(len(keys)), np.empty(len(keys), dtype=np.int64)
    size = 0
    pk: list[float] = []
    pv: list[int] = []
    popped_nb, popped_py = [], []
    for i, k in enumerate(keys):
        size = kernels.heap_push(hk, hv, size, k, i)
        kernels_py._push(pk, pv, float(k), i)
        if i % 3 == 2:  # interleave pops with pushes
            v, size = kernels.heap_pop(hk, hv, size)
            popped_nb.append(int(v))
            popped_py.append(kernels_py._pop(pk, pv))
    while size:
        v, size = kernels.heap_pop(hk, hv, size)
        popped_nb.append(int(v))
        popped_py.append(kernels_py._pop(pk, pv))
    assert not pk
    assert popped_py == popped_nb


def test_bounds_match_the_compiled_heuristic() -> None:
    """The vectorised landmark bounds equal the compiled per-state heuristic, infinite
    distances included."""
    rng = np.random.default_rng(5)
    lm = rng.uniform(0, 100, (3, 6, 50))
    lm[:, :2, :7] = np.inf  # landmarks that reach neither end of some states
    lm_t = np.ascontiguousarray(lm[:, :, [4, 9]])
    lm_t[1, 3, 0] = np.inf  # one that reaches a state but not the target
    for coef in ([1.0, 0.0, 0.0], [0.0, 2.0, 0.5], [0.3, 0.3, 0.3]):
        c = np.asarray(coef)
        expected = [kernels.landmark_bound(v, lm, lm_t, c) for v in range(lm.shape[2])]
        assert kernels_py.bounds(lm, lm_t, c).tolist() == expected


def test_kernels_agree_on_the_small_network(small_net: Network, tmp_path: Path) -> None:
    """Every pair of rail nodes of the fixture network, by time and by cost."""
    r = Router(small_net, home=tmp_path)
    g = r.graph
    nodes = np.unique(g.state_node)
    found = 0
    for coef in ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)):
        for a in nodes[::3]:
            for b in nodes[1::4]:
                py, nb = _both(
                    r.engine,
                    g.states_of_node(a).astype(np.int64),
                    g.states_of_node(b).astype(np.int64),
                    Constraints(),
                    coef,
                )
                _same(py, nb)
                found += py is not None
    assert found > 20


def test_auto_answers_in_python_then_compiled(
    small_net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh engine answers in Python; past the settled-states budget it runs compiled."""
    s = Engine(small_net, home=tmp_path)
    g = s.graph
    assert s.kernel == "auto" and not s.compiled()
    monkeypatch.setattr(engine_module, "COMPILE_AFTER_SETTLED", 1)
    nodes = np.unique(g.state_node)
    here = g.states_of_node(nodes[0]).astype(np.int64)
    res = s.search(here, here, Constraints(), (1.0, 0.0, 0.0))
    assert res is not None and res.settled == 1 and len(res.arcs) == 0
    assert s.compiled()
    _same(res, s.search(here, here, Constraints(), (1.0, 0.0, 0.0)))


def test_rail_landmarks_are_read_on_the_first_rail_query(small_net: Network, tmp_path: Path) -> None:
    """A multimodal query leaves the rail-only landmarks unread; the first rail query reads
    them, once."""
    s = Engine(small_net, home=tmp_path)
    here = s.graph.states_of_node(int(s.graph.state_node[0])).astype(np.int64)
    s.search(here, here, Constraints(modes="any"), (1.0, 0.0, 0.0))
    assert set(s._landmarks) == {("any", Traffic.CONTAINER)}
    s.search(here, here, Constraints(modes="rail"), (1.0, 0.0, 0.0))
    first = s._landmarks[("rail", Traffic.CONTAINER)]
    s.search(here, here, Constraints(modes="rail"), (1.0, 0.0, 0.0))
    assert s._landmarks[("rail", Traffic.CONTAINER)] is first
    # passengers have tables of their own (their trains are faster: a freight table would overestimate)
    s.search(here, here, Constraints(modes="any", traffic=Traffic.PASSENGER), (1.0, 0.0, 0.0))
    assert ("rail", Traffic.PASSENGER) in s._landmarks


def test_routing_imports_no_compiler() -> None:
    """Importing the router (what a single query needs) loads neither numba nor scipy."""
    code = (
        "import sys, silkrail.cli, silkrail.routing.router; "
        "print(sorted(m for m in ('numba', 'scipy', 'silkrail.network.curated') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.integration
def test_kernels_agree_on_the_real_network(real_net: Network, real_settings) -> None:  # type: ignore[no-untyped-def]
    """Random place pairs on the real network, by time, cost and CO2, rail-only and
    multimodal, with banned arcs: identical paths, values and settled states."""
    r = Router(real_net, home=real_settings.home)
    g = r.graph
    rng = np.random.default_rng(11)
    rail = np.flatnonzero(real_net.node_kind[g.state_node] == NodeKind.RAIL)
    found = 0
    for i in range(120):
        a, b = rng.choice(rail, 2, replace=False)
        coef = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (0.5, 0.01, 0.1)][i % 4]
        c = Constraints(modes="rail" if i % 3 == 0 else "any")
        src = g.states_of_node(g.state_node[a]).astype(np.int64)
        dst = g.states_of_node(g.state_node[b]).astype(np.int64)
        banned = None
        if i % 5 == 0:
            n_arcs = len(g.csr(c)[2])
            banned = rng.random(n_arcs) < 0.05
        py, nb = _both(r.engine, src, dst, c, coef, banned=banned)
        _same(py, nb)
        found += py is not None
    assert found > 60  # pairs with one end in India or another rail island find no path


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["any", "rail"])
def test_routes_agree_on_the_real_network(real_net: Network, real_settings, mode: str) -> None:  # type: ignore[no-untyped-def]
    """Whole routes between corridor cities (legs, events, totals, alternatives) are the same
    whichever kernel searched them."""
    places = [
        "Hanoi",
        "Kunming",
        "Urumqi",
        "Ulaanbaatar",
        "Almaty",
        "Tashkent",
        "Moscow",
        "Duisburg",
        "Warsaw",
    ]
    r = Router(real_net, home=real_settings.home)
    rng = np.random.default_rng(2)
    for _ in range(8):
        o, d = rng.choice(places, 2, replace=False)
        out = []
        for kernel in ("python", "numba"):
            r.engine.kernel = kernel
            out.append(r.route(RouteQuery(str(o), str(d), mode=mode, alternatives=1)).to_dict())
        assert out[0] == out[1]


@pytest.mark.parametrize("damage", ["none", "truncated", "garbage"])
def test_landmark_file_is_mapped_or_refused(tmp_path: Path, damage: str) -> None:
    """Saved landmarks come back equal, their distance table mapped from the file; a
    truncated or garbled file is refused (and recomputed by the caller)."""
    rng = np.random.default_rng(1)
    lm = landmarks.Landmarks(np.arange(4, dtype=np.int64), rng.random((3, 4, 40)))
    path = tmp_path / "landmarks.npz"
    with open(path, "wb") as fh:
        np.savez(fh, states=lm.states, dist=lm.dist)
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) - 200])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file" * 100)
    back = landmarks._read_landmarks(path, 40)
    if damage != "none":
        assert back is None
        return
    assert back is not None
    assert isinstance(back.dist, np.memmap)
    np.testing.assert_array_equal(back.dist, lm.dist)
    np.testing.assert_array_equal(back.states, lm.states)
    assert landmarks._read_landmarks(path, 41) is None  # another graph's table


def test_without_numba_od_matrices_equal_the_compiled_ones(
    small_net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The core install has no numba: an OD matrix then grows its trees with scipy and gives the
    compiled kernels' durations, costs, CO2 and distances, and the same unreachable pairs."""
    from silkrail import jit
    from silkrail.routing.query import RouteOptions, check_query

    s = Engine(small_net, home=tmp_path)
    names = [p.name for p in small_net.places][:4]
    places = [s.places.resolve(n) for n in names]
    q = check_query(small_net, RouteOptions(objective="time", mode="any", teu=2.0))
    compiled = s.od_matrix(places, places, q)
    monkeypatch.setattr(jit, "available", lambda: False)
    interpreted = s.od_matrix(places, places, q)
    for field in ("duration_h", "cost_usd", "co2_kg", "distance_km"):
        a, b = getattr(compiled, field), getattr(interpreted, field)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-9, err_msg=field)
    assert np.isfinite(compiled.duration_h).sum() >= len(places)  # some pairs do route


def test_without_numba_the_engine_stays_in_python(
    small_net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the settled-states budget the engine would switch to the compiled kernels; without
    numba it keeps answering in Python, and asking for them names the extra."""
    from silkrail import jit
    from silkrail.errors import MissingExtraError

    monkeypatch.setattr(jit, "available", lambda: False)
    monkeypatch.setattr(engine_module, "COMPILE_AFTER_SETTLED", 1)
    s = Engine(small_net, home=tmp_path)
    here = s.graph.states_of_node(int(s.graph.state_node[0])).astype(np.int64)
    for _ in range(2):
        assert s.search(here, here, Constraints(), (1.0, 0.0, 0.0)) is not None
    assert s.settled_in_python == 2 and not s.compiled()
    with pytest.raises(MissingExtraError, match=r"pip install 'silkrail\[fast\]'"):
        Engine(small_net, home=tmp_path, kernel="numba")

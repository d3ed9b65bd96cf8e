"""The routing engine of one network: the state graph, its landmarks, the gazetteer, and the
searches on them.

An :class:`Engine` is what queries share; it is built once per network (:func:`engine_for`)
and used from many threads at once (the service), so its caches take a lock. Its public
searches are :meth:`Engine.shortest_path` (between places, for the strategies and the
simulation) and :meth:`Engine.od_matrix`; :meth:`Engine.assemble` turns a path into a
:class:`~silkrail.routing.results.Route`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from silkrail import jit
from silkrail.errors import MissingExtraError
from silkrail.network.model import Network
from silkrail.routing import kernels_py
from silkrail.routing.assemble import assemble_route
from silkrail.routing.costs import CostModel
from silkrail.routing.generalised_arcs import arc_objective
from silkrail.routing.graph import Constraints, StateGraph, build_state_graph
from silkrail.routing.landmarks import Landmarks, load_or_compute_landmarks
from silkrail.routing.places import Gazetteer, Place
from silkrail.routing.pricing import TreePricer
from silkrail.routing.query import Query, end_states, rail_linked_ports
from silkrail.routing.results import OdMatrix, Route, StatePath
from silkrail.traffic import Traffic, TrainClass

log = logging.getLogger("silkrail.routing.engine")

WEIGHT_CACHE_SIZE = 16
CACHE_KEY = "routing.engine"  # the engine's entry in the network's caches
COMPILE_AFTER_SETTLED = 50_000
"""States an engine settles in Python before it switches to the compiled kernels. Python
settles some 200,000 a second and numba takes half a second to import and load the kernels:
a route (Hanoi-Moscow settles 1,700) stays in Python, while `compare`, alternatives and
simulations pass the budget within a quarter second and then run compiled (OD matrices
always do). Without numba (it is the optional ``fast`` extra) everything runs in Python, and
OD matrices grow their trees with scipy."""


class Engine:
    """Searches on one network's state graph, with landmarks for A* and cached weights."""

    def __init__(
        self,
        net: Network,
        *,
        home: Path | None = None,
        model: CostModel | None = None,
        kernel: str = "auto",
    ) -> None:
        if kernel not in ("auto", "python", "numba"):
            raise ValueError(f"kernel must be auto, python or numba, not {kernel!r}")
        if kernel == "numba" and not jit.available():
            raise MissingExtraError(
                "the compiled kernels need the Python package 'numba', which is not installed: "
                "pip install 'silkrail[fast]'"
            )
        self.net = net
        self.home = home
        self.graph: StateGraph = build_state_graph(net, model)
        self.landmarks: Landmarks = load_or_compute_landmarks(self.graph, home, "any")
        self._landmarks: dict[tuple[str, Traffic], Landmarks] = {("any", Traffic.CONTAINER): self.landmarks}
        self.places = Gazetteer(net, home=home)
        self.kernel = kernel
        self.settled_in_python = 0
        self._weights: dict[tuple[Constraints, tuple[float, ...]], NDArray[np.float64]] = {}
        self._lock = threading.Lock()

    @property
    def rail_landmarks(self) -> Landmarks:
        """The rail-only landmarks of container trains, read on the first rail-only query (a
        multimodal query never needs them)."""
        return self.landmarks_of("rail", Traffic.CONTAINER)

    def landmarks_of(self, modes: str, traffic: Traffic) -> Landmarks:
        """The landmarks of a mode set and traffic type, read or computed on first use."""
        key = (modes, Traffic(traffic))
        with self._lock:
            lm = self._landmarks.get(key)
        if lm is None:
            lm = load_or_compute_landmarks(self.graph, self.home, modes, key[1])
            with self._lock:
                self._landmarks[key] = lm
        return lm

    def compiled(self) -> bool:
        """Whether the next search runs compiled. Both kernels give identical paths; ``auto``
        answers in Python until this engine has settled :data:`COMPILE_AFTER_SETTLED` states
        there (one-off queries never load numba), then compiled (bulk work) where numba is
        installed."""
        if self.kernel == "auto":
            return self.settled_in_python >= COMPILE_AFTER_SETTLED and jit.available()
        return self.kernel == "numba"

    @cached_property
    def rail_linked_ports(self) -> frozenset[int]:
        """Port nodes with a rail link: the ports a rail route may start or end at."""
        return rail_linked_ports(self.net)

    # -- states and weights -----------------------------------------------------------------

    def end_states(self, p: Place, mode: str = "any") -> NDArray[np.int64]:
        """The states a route of ``mode`` may start or end in at ``p`` (see
        :func:`~silkrail.routing.query.end_states`)."""
        return end_states(self.graph, p, mode)

    def landmarks_for(self, c: Constraints) -> Landmarks:
        """The landmarks admissible for the constraints' modes and traffic type (passengers ride
        rail only: their tables are the rail ones)."""
        rail = c.modes == "rail" or c.traffic is Traffic.PASSENGER
        return self.landmarks_of("rail" if rail else "any", c.traffic)

    def weights_for(self, c: Constraints, coef: tuple[float, ...]) -> NDArray[np.float64]:
        """The weighted objective per arc of the CSR of ``c`` (its traffic type's weights; with
        five weights, the customs borders and transshipments of
        :mod:`~silkrail.routing.generalised` too); cached per (constraints, weights), so one cache
        per traffic type."""
        key = (c, tuple(coef))
        with self._lock:
            w = self._weights.get(key)
        if w is not None:
            return w
        _, _, arcs = self.graph.csr(c)
        w = np.maximum(arc_objective(self.graph, coef, c.traffic)[arcs], 0.0)
        with self._lock:
            if len(self._weights) > WEIGHT_CACHE_SIZE:
                self._weights.clear()
            self._weights[key] = w
        return w

    # -- searches ---------------------------------------------------------------------------

    def search(
        self,
        sources: NDArray[np.int64],
        targets: NDArray[np.int64],
        c: Constraints,
        coef: tuple[float, ...],
        *,
        banned: NDArray[np.bool_] | None = None,
        weights: NDArray[np.float64] | None = None,
    ) -> StatePath | None:
        """Best path from any source state to any target state; ``banned`` (per arc of the CSR
        of ``c``) removes arcs without rebuilding the CSR; ``weights`` replace the objective's
        (they must not be smaller, or the landmark bounds stop being admissible). The landmark
        bounds weigh time, money and CO2 alone: the penalties of borders and transshipments only
        add to a path, so the bounds stay admissible."""
        indptr, indices, arcs = self.graph.csr(c)
        w = self.weights_for(c, coef) if weights is None else weights
        if banned is not None and banned.any():
            w = np.where(banned, np.inf, w)
        lm = self.landmarks_for(c)
        lm_t = np.ascontiguousarray(lm.dist[:, :, targets])
        compiled = self.compiled()
        if compiled:
            from silkrail.routing import kernels
        else:
            from silkrail.routing import kernels_py as kernels  # type: ignore[no-redef]
        t, value, pred, settled = kernels.astar(
            indptr,
            indices,
            w,
            sources.astype(np.int64),
            targets.astype(np.int64),
            lm.dist,
            lm_t,
            np.asarray(coef[:3], dtype=np.float64),
        )
        if not compiled:
            with self._lock:
                self.settled_in_python += int(settled)
        if t < 0:
            return None
        return StatePath(kernels.unwind(pred, arcs, self.graph.src, t), float(value), int(settled))

    def shortest_path(
        self,
        origin: Place,
        destination: Place,
        constraints: Constraints,
        coef: tuple[float, ...] = (1.0, 0.0, 0.0),
        *,
        mode: str = "any",
        banned: NDArray[np.bool_] | None = None,
        weights: NDArray[np.float64] | None = None,
    ) -> StatePath | None:
        """The best path between two places under ``constraints``, minimising ``coef`` over
        (time h, cost US$, CO2 kg[, customs borders, transshipments]) per TEU (default: time);
        ``mode`` picks the places' access points. None where no path exists."""
        return self.search(
            self.end_states(origin, mode),
            self.end_states(destination, mode),
            constraints,
            coef,
            banned=banned,
            weights=weights,
        )

    def assemble(
        self,
        path: StatePath | NDArray[np.int64],
        origin: Place,
        destination: Place,
        *,
        objective: str = "time",
        teu: float = 1.0,
        as_of: str | None = None,
        traffic: Traffic = Traffic.CONTAINER,
        train: TrainClass = "standard",
    ) -> Route:
        """The route of a path: legs, events and totals priced for ``teu`` TEU (or a passenger)
        of ``traffic`` on a ``train`` of its category, as of ``as_of``."""
        arcs = path.arcs if isinstance(path, StatePath) else path
        return assemble_route(
            self.graph,
            arcs,
            origin,
            destination,
            objective=objective,
            teu=teu,
            names=self.places,
            as_of=as_of,
            traffic=traffic,
            train=train,
        )

    # -- many pairs -------------------------------------------------------------------------

    def od_matrix(self, origins: Sequence[Place], destinations: Sequence[Place], q: Query) -> OdMatrix:
        """duration_h, cost_usd, co2_kg (for ``q.teu`` TEU), their ranges and distance_km for
        every pair (NaN: no route). Paths come from one shortest-path tree per origin; each is
        priced as a single route is, all of a tree's destinations at once. A matrix is bulk
        work: compiled where numba is installed, else the trees come from scipy's Dijkstra (equal
        distances; among equal paths it may take another)."""
        from silkrail.routing import kernels

        tree = kernels.shortest_tree if jit.available() else kernels_py.shortest_tree
        totals = kernels.tree_totals if jit.available() else kernels_py.tree_totals
        g = self.graph
        indptr, indices, arcs = g.csr(q.constraints)
        w = self.weights_for(q.constraints, q.coef)
        pricer = TreePricer(
            g, arcs, q.teu, traffic=q.constraints.traffic, as_of=q.as_of, totals=totals, train=q.train
        )
        shape = (len(origins), len(destinations))
        duration, cost, co2, distance = (np.full(shape, np.nan) for _ in range(4))
        duration_range, cost_range, co2_range = (np.full((*shape, 2), np.nan) for _ in range(3))
        ends = [self.end_states(d, q.mode) for d in destinations]
        for i, o in enumerate(origins):
            dist, pred = tree(indptr, indices, w, self.end_states(o, q.mode))
            best = []
            for states in ends:
                s = states[np.argmin(dist[states])]
                best.append(int(s) if np.isfinite(dist[s]) else -1)
            # the same pricing as a single route (terminals, tapered tariffs, ranges), for every
            # destination of the tree at once
            p = pricer.price(pred, np.array(best, dtype=np.int64))
            duration[i], cost[i], co2[i], distance[i] = p.duration_h, p.cost_usd, p.co2_kg, p.distance_km
            duration_range[i], cost_range[i] = p.duration_h_range, p.cost_usd_range
            co2_range[i] = p.co2_kg_range
        return OdMatrix(
            origins=[o.name for o in origins],
            destinations=[d.name for d in destinations],
            objective=q.objective,
            teu=q.teu,
            duration_h=duration,
            cost_usd=cost,
            co2_kg=co2,
            distance_km=distance,
            duration_h_range=duration_range,
            cost_usd_range=cost_range,
            co2_kg_range=co2_range,
            origin_lonlat=np.array([[o.lon, o.lat] for o in origins], np.float64).reshape(-1, 2),
            destination_lonlat=np.array([[d.lon, d.lat] for d in destinations], np.float64).reshape(-1, 2),
        )


_build_lock = threading.Lock()


def engine_for(net: Network, *, home: Path | None = None) -> Engine:
    """The engine of ``net``, built on first use and kept in the network's caches (so it lives
    and dies with the network); threads asking at once build it once."""
    engine = net.caches.get(CACHE_KEY)
    if isinstance(engine, Engine):
        return engine
    with _build_lock:
        engine = net.caches.get(CACHE_KEY)
        if not isinstance(engine, Engine):
            if home is None:
                from silkrail.settings import get_settings

                home = get_settings().home
            log.info("building the routing engine (%d nodes)", net.n_nodes)
            engine = Engine(net, home=home)
            net.caches[CACHE_KEY] = engine
    return engine

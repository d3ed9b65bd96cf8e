"""The generalised cost: what an operator weighs in choosing a corridor, in US$ per TEU.

    generalised = value of time x hours + money + border penalty x customs borders
                  + transshipment penalty x transshipments

- **hours and money** are the route's own: the transit model's time and price per TEU;
- **value of time** (US$ per TEU-hour) is what a day in transit costs the cargo: its value per
  TEU times the share of its value a day in transit is worth (both sourced; ``generalised.yaml``
  gives the range and the point used);
- **customs borders** are crossings between customs territories: a border inside the EU or the
  Eurasian Economic Union is none (the cost model's customs unions), a rail ferry between two
  territories is one, and a sea leg is one (its export and import clearance);
- **transshipments** are the places the cargo changes carrier: a change of gauge (transshipment
  or bogie exchange), a transfer between rail and ship at a port, a ferry crossing.

The time and money of a border and a transshipment are already in the route (dwell, queue,
fees). The penalties stand for what they are not: paperwork, one more party to a through
rate, the risk of a hold-up beyond the mean. They are fitted as a discrete choice to the
corridors of published services (:mod:`silkrail.analysis.choice`), the value of time within its
sourced range; ``generalised.yaml`` keeps the figures, their sources and the fit.

The objective is linear in what the search sums per arc, so it is searched exactly: the arc
weights are ``coef[:3] @ (time, money, CO2) + coef[3:] @ (borders, transshipments)``. The
penalties are never negative, so the landmark bounds of time, money and CO2 stay admissible.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from silkrail.network.model import EdgeKind

if TYPE_CHECKING:
    from silkrail.routing.graph import StateGraph


class Priced(Protocol):
    """What the generalised cost reads of a route (:class:`~silkrail.routing.results.Route`, whose
    ``generalised_usd`` is this module's: so the type is stated here, not imported)."""

    @property
    def duration_h(self) -> float: ...
    @property
    def cost_usd(self) -> float: ...
    @property
    def co2_kg(self) -> float: ...
    @property
    def teu(self) -> float: ...
    @property
    def customs_borders(self) -> int: ...
    @property
    def transshipments(self) -> int: ...


NAME = "generalised"
"""The objective's name (``--optimize generalised``; the default objective of a freight query)."""
TERMS = ("time", "cost", "co2", "borders", "transshipments")
"""What an objective may weigh, per TEU: hours, US$, kg CO2, customs borders, transshipments."""
DATA_FILE = "generalised.yaml"
_CACHE_KEY = "routing.generalised.arc_counts"
_lock = threading.Lock()


@dataclass(frozen=True)
class GeneralisedWeights:
    """The weights of the generalised cost and where each comes from."""

    value_of_time_usd_per_teu_h: float
    border_usd: float
    transshipment_usd: float
    value_of_time_range: tuple[float, float]
    sources: tuple[str, ...] = ()
    as_of: str = ""
    basis: str = "fitted"  # of the penalties: fitted to published service routes, or default
    fitted_on: str | None = None  # the cost model's fingerprint the fit's routes were priced by

    @property
    def coef(self) -> tuple[float, float, float, float, float]:
        """The weights over :data:`TERMS`: US$ per hour, per US$, per kg CO2, per border and per
        transshipment (per TEU)."""
        return (self.value_of_time_usd_per_teu_h, 1.0, 0.0, self.border_usd, self.transshipment_usd)


def load_weights(path: Path | None = None) -> GeneralisedWeights:
    """The weights of ``path`` (default: the package's ``generalised.yaml``); a bad record raises
    :class:`~silkrail.errors.DataError` naming the file, line and field."""
    if path is None:
        return _packaged()
    return _load(Path(path))


@cache
def _packaged() -> GeneralisedWeights:
    # the cost model's own parameters: always the package's (as transit.yaml and fitted.yaml)
    return _load(Path(__file__).resolve().parent.parent / "data" / DATA_FILE)


def _load(path: Path) -> GeneralisedWeights:
    from silkrail.network.loader import validate_file
    from silkrail.routing._generalised_file import GeneralisedFile

    parsed, _ = validate_file(path, GeneralisedFile)
    f: GeneralisedFile = parsed
    vot = f.value_of_time
    return GeneralisedWeights(
        value_of_time_usd_per_teu_h=float(vot.value),
        border_usd=float(f.customs_border.value),
        transshipment_usd=float(f.transshipment.value),
        value_of_time_range=(float(vot.range[0]), float(vot.range[1])),
        sources=tuple(vot.sources),
        as_of=vot.as_of,
        basis=f.customs_border.basis,
        fitted_on=str(f.fit.get("cost_model")) if f.fit and f.fit.get("cost_model") else None,
    )


# -- what the search sums per arc ------------------------------------------------------------------


def arc_counts(g: StateGraph) -> NDArray[np.float64]:
    """(2, n_arcs): the customs borders and transshipments each arc of ``g`` adds to a route
    (see the module). Kept in the network's caches per cost model (its customs unions)."""
    key = f"{_CACHE_KEY}-{g.model.fingerprint}-{len(g.edge)}"
    hit = g.net.caches.get(key)
    if isinstance(hit, np.ndarray):
        return hit
    with _lock:
        hit = g.net.caches.get(key)
        if not isinstance(hit, np.ndarray):
            hit = _compute_counts(g)
            g.net.caches[key] = hit
    return hit


def _compute_counts(g: StateGraph) -> NDArray[np.float64]:
    net, model = g.net, g.model
    kind = net.edge_kind[g.edge]
    borders = np.zeros(len(g.edge))
    transfers = np.zeros(len(g.edge))
    # a crossing between customs territories (the cost model's tariff areas: not inside a union)
    customs = np.array([model.new_tariff_area(c) for c in net.crossings] + [False], bool)
    cross = g.crossing
    borders += np.where((kind == EdgeKind.BORDER) & (cross >= 0), customs[cross], False)
    # a change of gauge (transshipment or bogie exchange): an arc that joins two gauges
    transfers += g.change & (g.state_slot[g.src] != g.state_slot[g.dst])
    transfers += kind == EdgeKind.PORT_LINK  # rail <-> ship
    ferry = np.flatnonzero(kind == EdgeKind.FERRY)
    transfers[ferry] += 1.0
    for a in ferry.tolist():
        f = net.ferries[int(net.port[g.edge[a]])]
        pair = set(f.countries)
        if len(pair) == 2 and not any(pair <= u for u in model.unions):
            borders[a] += 1.0
    # a sea leg: its export and import clearance, half at each end where it joins the sea
    borders += 0.5 * (kind == EdgeKind.SEA_ACCESS)
    return np.vstack([borders, transfers])


def arc_objective(g: StateGraph, coef: tuple[float, ...], traffic: object) -> NDArray[np.float64]:
    """The objective of every arc of ``g`` (not only those a query allows) for ``coef`` over
    :data:`TERMS` (three weights: time, money, CO2 alone)."""
    from silkrail.traffic import Traffic

    base: NDArray[np.float64] = g.weights_of(Traffic(traffic))  # type: ignore[arg-type]
    w = np.asarray(coef[:3], dtype=np.float64) @ base
    extra = np.asarray(coef[3:], dtype=np.float64)
    if extra.size and extra.any():
        w = w + extra @ arc_counts(g)[: extra.size]
    return np.asarray(w, dtype=np.float64)


def route_counts(g: StateGraph, arcs: NDArray[np.int64]) -> tuple[int, int]:
    """(customs borders, transshipments) of a path: the sums :func:`arc_counts` gives its arcs."""
    if not len(arcs):
        return 0, 0
    c = arc_counts(g)[:, np.asarray(arcs, dtype=np.int64)].sum(axis=1)
    return round(float(c[0])), round(float(c[1]))


def generalised_usd(r: Priced, w: GeneralisedWeights | None = None) -> float:
    """The route's generalised cost per TEU under ``w`` (default: the package's weights)."""
    w = w if w is not None else load_weights()
    return float(np.dot(w.coef, term_values(r)))


def term_values(r: Priced) -> tuple[float, float, float, float, float]:
    """The route's values of :data:`TERMS` per TEU."""
    return (
        r.duration_h,
        r.cost_usd / r.teu,
        r.co2_kg / r.teu,
        float(r.customs_borders),
        float(r.transshipments),
    )


__all__ = [
    "NAME",
    "TERMS",
    "GeneralisedWeights",
    "Priced",
    "arc_counts",
    "arc_objective",
    "generalised_usd",
    "load_weights",
    "route_counts",
    "term_values",
]

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

The objective is linear in what the search sums per arc, so it is searched exactly
(:mod:`silkrail.routing.generalised_arcs`). This module reads only a route's own figures: the
route records use it, below the state graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np


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
    "generalised_usd",
    "load_weights",
    "term_values",
]

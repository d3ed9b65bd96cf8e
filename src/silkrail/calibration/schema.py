"""The model and calibration files (``transit.yaml``, ``calibration.yaml``, ``fitted.yaml``):
pydantic schemas, loaded with line numbers so that a bad record names its file, line and field."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator

from silkrail.errors import DataError
from silkrail.network.loader import (
    LineLoader,
    NonNeg,
    Positive,
    Sourced,
    Strict,
    locate,
    validate_file,
)

Pair = tuple[NonNeg, NonNeg]
MAX_PUBLISHED_H = 24 * 365.0
"""A published trip takes at most a year (the slowest sea-and-rail lane takes weeks)."""
MAX_PUBLISHED_USD = 1e6
"""A published rate per box is at most US$1 million."""


class Parameter(Sourced):
    """A model parameter: its prior value, the prior's spread, bounds, and the component's spread."""

    name: str
    value: Positive
    spread_log: NonNeg
    bounds: Pair
    sigma_log: NonNeg
    fit: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _inside(self) -> Parameter:
        lo, hi = self.bounds
        if lo > hi:
            raise ValueError(f"bounds must be [low, high] with low <= high (got [{lo}, {hi}])")
        if not lo <= self.value <= hi:
            raise ValueError(f"value {self.value} lies outside its bounds [{lo}, {hi}]")
        return self


class GaugeChangeMethod(Sourced):
    method: Literal["transshipment", "bogie_exchange", "dual_gauge", "variable_gauge"]
    hours: NonNeg
    sigma_log: NonNeg
    note: str | None = None


class Co2Factor(Sourced):
    mode: Literal["rail", "sea", "ferry", "road"]
    wtw_kg_per_teu_km: NonNeg
    ttw_kg_per_teu_km: NonNeg

    @model_validator(mode="after")
    def _ttw_below_wtw(self) -> Co2Factor:
        if self.ttw_kg_per_teu_km > self.wtw_kg_per_teu_km:
            raise ValueError("tank-to-wheel cannot exceed well-to-wheel (it is a part of it)")
        return self


class SeaRate(Sourced):
    lane: str
    usd_per_feu: Positive
    lane_km: Positive
    note: str | None = None


class TransitFile(Strict):
    parameters: list[Parameter]
    gauge_change: list[GaugeChangeMethod]
    co2: list[Co2Factor]
    sea_rates: list[SeaRate] = Field(min_length=1)


class Case(Sourced):
    """One published figure: a trip between two places and what it took or cost."""

    id: str
    category: str
    quantity: Literal["time", "cost"]
    origin: str
    destination: str
    mode: Literal["rail", "sea", "any"] = "rail"
    avoid: list[str] = Field(default_factory=list)  # countries the published lane does not cross
    terminals: bool = True  # False: a section figure (border to border), no terminal time or handling
    published: Pair
    unit: Literal["h", "usd_per_teu", "usd_per_feu"]
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        lo, hi = self.published
        if lo > hi:
            raise ValueError(f"published must be [low, high] with low <= high (got [{lo}, {hi}])")
        if lo <= 0:
            raise ValueError("a published figure must be positive")
        if (self.quantity == "time") != (self.unit == "h"):
            raise ValueError("a time is given in h, a cost in usd_per_teu or usd_per_feu")
        most = MAX_PUBLISHED_H if self.unit == "h" else MAX_PUBLISHED_USD
        if hi > most:
            raise ValueError(f"{hi:g} {self.unit} is beyond any trip on these corridors (at most {most:g})")
        return self

    @property
    def value(self) -> float:
        """The published figure as one number: the geometric middle of its range."""
        return float((self.published[0] * self.published[1]) ** 0.5)


class CrossingFigure(Sourced):
    crossing: str
    dwell_h: NonNeg
    dwell_range_h: Pair | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _range(self) -> CrossingFigure:
        if self.dwell_range_h and self.dwell_range_h[0] > self.dwell_range_h[1]:
            raise ValueError("dwell_range_h must be [low, high] with low <= high")
        return self


class CalibrationFile(Strict):
    cases: list[Case]
    crossings: list[CrossingFigure] = Field(default_factory=list)


class FittedValue(Strict):
    name: str
    value: Positive
    prior: Positive
    bounds: Pair


class FittedFile(Strict):
    """What ``silkrail calibrate`` wrote: fitted values, the spread of held-out errors, provenance."""

    fitted_at: str
    cases_file: str
    method: str
    folds: int
    parameters: list[FittedValue]
    residual_sigma_log: dict[str, Annotated[float, Field(ge=0)]]
    note: str | None = None

    @field_validator("fitted_at", mode="before")
    @classmethod
    def _text(cls, v: Any) -> str:
        return str(v)


def load_yaml(path: Path, model: type[BaseModel]) -> Any:
    """Validate ``path`` against ``model``; the first bad field raises DataError(file, line, field)."""
    return validate_file(Path(path), model)[0]


def _line_of(path: Path, section: str, index: int, key: str) -> int | None:
    doc = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=LineLoader)
    line, _ = locate(doc, (section, index, key))
    return line


def check_crossing_ids(path: Path, cal: CalibrationFile, known: set[str]) -> None:
    """Every crossing figure names a curated crossing."""
    for i, fig in enumerate(cal.crossings):
        if fig.crossing not in known:
            raise DataError(
                f"'{fig.crossing}' is not a crossing of borders.yaml (for example "
                f"{', '.join(sorted(known)[:3])})",
                file=Path(path).name,
                line=_line_of(path, "crossings", i, "crossing"),
                field=f"crossings[{i}].crossing",
            )


def case_line(path: Path, index: int, key: str) -> int | None:
    return _line_of(path, "cases", index, key)


DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@cache
def _cached(path: str, mtime: float, model_name: str) -> Any:
    models: dict[str, type[BaseModel]] = {
        "transit": TransitFile,
        "calibration": CalibrationFile,
        "fitted": FittedFile,
    }
    model = models[model_name]
    return load_yaml(Path(path), model)


def load_cached(path: Path, model_name: str) -> Any:
    """A data file, validated once per content version (keyed by path and modification time)."""
    p = Path(path)
    return _cached(str(p), p.stat().st_mtime, model_name)


__all__ = [
    "DATA_DIR",
    "CalibrationFile",
    "Case",
    "CrossingFigure",
    "FittedFile",
    "FittedValue",
    "Parameter",
    "TransitFile",
    "load_cached",
    "load_yaml",
]

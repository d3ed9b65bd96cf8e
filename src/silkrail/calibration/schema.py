"""The model and calibration files (``transit.yaml``, ``calibration.yaml``, ``fitted.yaml``):
pydantic schemas, loaded with line numbers so that a bad record names its file, line and field."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from silkrail.errors import DataError
from silkrail.network.curated import (
    NonNeg,
    Positive,
    Sourced,
    _fields_at,
    _LineLoader,
    _locate,
    _record_name,
    _Strict,
)

Pair = tuple[NonNeg, NonNeg]


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


class TransitFile(_Strict):
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


class CalibrationFile(_Strict):
    cases: list[Case]
    crossings: list[CrossingFigure] = Field(default_factory=list)


class FittedValue(_Strict):
    name: str
    value: Positive
    prior: Positive
    bounds: Pair


class FittedFile(_Strict):
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
    path = Path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise DataError(
            f"not valid YAML: {exc.problem}", file=path.name, line=mark.line + 1 if mark else None
        ) from None
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror})", file=str(path)) from None
    if not isinstance(doc, dict):
        raise DataError("expected a mapping at the top level", file=path.name, line=1)
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        errors = exc.errors()
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = tuple(err["loc"])
        line, field = _locate(doc, loc)
        record = _record_name(doc, loc)
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        if err["type"] not in ("missing", "extra_forbidden") and not isinstance(got, dict | list):
            msg += f" (got {got!r})"
        if err["type"] == "extra_forbidden":
            msg = f"unknown field; valid fields here: {', '.join(_fields_at(model, loc[:-1]))}"
        if record:
            msg = f"{record}: {msg}"
        raise DataError(msg, file=path.name, line=line, field=field) from None


def _line_of(path: Path, section: str, index: int, key: str) -> int | None:
    doc = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LineLoader)
    line, _ = _locate(doc, (section, index, key))
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

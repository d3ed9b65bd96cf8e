"""The transit model's data files: its parameters (``transit.yaml``), the published figures it
is fitted to and judged by (``evidence/``), and what the fit wrote (``fitted.yaml``): pydantic
schemas, loaded with line numbers so that a bad record names its file, line and field.

This package sits below routing (network -> evidence -> routing): the cost model reads these
schemas, the fit (``silkrail.calibration``, above routing) writes and reads them."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal, overload

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator

from silkrail.errors import DataError
from silkrail.network.loader import (
    LineLoader,
    M,
    NonNeg,
    Positive,
    Sourced,
    Strict,
    locate,
    validate_file,
)
from silkrail.traffic import TRAIN_CLASSES_OF, Traffic

Pair = tuple[NonNeg, NonNeg]
MAX_PUBLISHED_H = 24 * 365.0
"""A published trip takes at most a year (the slowest sea-and-rail lane takes weeks)."""
MAX_PUBLISHED_USD = 1e6
"""A published rate per box is at most US$1 million."""


class Parameter(Sourced):
    """A model parameter by its dotted name (``container.speed_kmh.modern``): its prior value,
    the prior's spread, bounds, and the component's own spread. A parameter the fit moves must
    be positive (it is fitted in log units)."""

    name: str = Field(pattern=r"^[a-z_0-9]+(\.[A-Za-z_0-9-]+)*$")
    value: NonNeg
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
        if self.fit and (self.value <= 0 or lo <= 0):
            raise ValueError(
                "a fitted parameter needs a positive value and lower bound (it is fitted in log units)"
            )
        return self


class SeaLane(Sourced):
    """A sea area priced apart from the deep-sea lanes: legs inside its box pay its ferries'
    tariff per km (an enclosed sea such as the Caspian has no container index of its own)."""

    lane: str
    box: tuple[float, float, float, float]  # lat min, lon min, lat max, lon max
    priced_as: Literal["ferry"]
    note: str | None = None

    @model_validator(mode="after")
    def _box(self) -> SeaLane:
        a, b, c, d = self.box
        if not (-90 <= a < c <= 90 and -180 <= b < d <= 180):
            raise ValueError("box must be [lat min, lon min, lat max, lon max] with min < max")
        return self


class Co2Factor(Sourced):
    mode: Literal["rail", "rail_passenger", "sea", "ferry", "road"]
    wtw_kg_per_teu_km: NonNeg
    ttw_kg_per_teu_km: NonNeg
    note: str | None = None

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


CO2_MODES = ("rail_passenger", "sea", "ferry")
"""The modes transit.yaml gives CO2e factors for (rail freight goes by traction: emissions.yaml)."""


class TransitFile(Strict):
    parameters: list[Parameter]
    co2: list[Co2Factor]
    sea_rates: list[SeaRate] = Field(default_factory=list)  # more in evidence/rates.yaml (sea_index)
    sea_lanes: list[SeaLane] = Field(default_factory=list)

    @model_validator(mode="after")
    def _every_mode(self) -> TransitFile:
        given = [c.mode for c in self.co2]
        missing = [m for m in CO2_MODES if m not in given]
        if missing:
            raise ValueError(
                f"co2 needs a factor for {', '.join(missing)} (modes {', '.join(CO2_MODES)}; rail freight "
                "goes by traction in emissions.yaml)"
            )
        return self


CORRIDORS = (
    "china-europe",
    "china-russia",
    "trans-siberian",
    "china-mongolia",
    "central-asia",
    "middle-corridor",
    "north-south",
    "vietnam-china",
    "vietnam",
    "china-laos-thailand",
    "china",
    "europe",
    "sea",
)
"""The corridors the evidence is grouped by: cross-validation holds out one whole corridor at a
time, so that no corridor's figures help predict it. china-europe: China to Europe through
Kazakhstan or Mongolia and Russia, Belarus, Poland; china-russia: China to Russia (Manzhouli,
Suifenhe, Erenhot); trans-siberian: within Russia; china-mongolia: China to Mongolia; central-asia:
China or Russia to Kazakhstan, Uzbekistan, Kyrgyzstan, Turkmenistan, Afghanistan; middle-corridor:
across the Caspian to the Caucasus and Turkey; north-south: Russia or Central Asia to Iran;
vietnam-china; vietnam: within Vietnam; china-laos-thailand; china: within China; europe: within
Europe; sea: deep-sea lanes."""
Corridor = Literal[
    "china-europe",
    "china-russia",
    "trans-siberian",
    "china-mongolia",
    "central-asia",
    "middle-corridor",
    "north-south",
    "vietnam-china",
    "vietnam",
    "china-laos-thailand",
    "china",
    "europe",
    "sea",
]
MAX_PUBLISHED_KM = 20000.0
"""A published railway distance is at most 20,000 km (the longest through services run 10,000)."""


class Figure(Sourced):
    """One published figure of the evidence base: what a trip between two places took (a
    freight transit time, a passenger timetable), how long the railway is between them, or what
    a box cost - with its corridor, traffic type and service.

    A freight time with ``terminals`` runs from cargo ready to cargo released (terminal time at
    each rail end included); without, it is a section (border to border) or station to station.
    A passenger time is the timetable's, departure to arrival (``timetable`` quotes it)."""

    id: str
    corridor: Corridor
    traffic: Literal["container", "wagonload", "passenger"] = "container"
    quantity: Literal["time", "distance", "cost"]
    origin: str
    destination: str
    mode: Literal["rail", "sea", "any"] = "rail"
    avoid: list[str] = Field(default_factory=list)  # countries the published lane does not cross
    via: list[str] = Field(default_factory=list)  # crossings the published lane passes, in order
    terminals: bool = True
    published: Pair
    unit: Literal["h", "km", "usd_per_teu", "usd_per_feu"]
    service: str | None = None
    train: Literal["standard", "express", "stopping"] = "standard"
    """The train's category as its railway classes it (:data:`silkrail.traffic.TrainClass`)."""
    timetable: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Figure:
        lo, hi = self.published
        if lo > hi:
            raise ValueError(f"published must be [low, high] with low <= high (got [{lo}, {hi}])")
        if lo <= 0:
            raise ValueError("a published figure must be positive")
        unit = {"time": ("h",), "distance": ("km",), "cost": ("usd_per_teu", "usd_per_feu")}[self.quantity]
        if self.unit not in unit:
            raise ValueError(f"a {self.quantity} is given in {' or '.join(unit)}")
        most = {"h": MAX_PUBLISHED_H, "km": MAX_PUBLISHED_KM}.get(self.unit, MAX_PUBLISHED_USD)
        if hi > most:
            raise ValueError(f"{hi:g} {self.unit} is beyond any trip on these corridors (at most {most:g})")
        if self.traffic == "passenger" and self.quantity == "cost":
            raise ValueError("a passenger fare is not a freight rate: the evidence base keeps freight rates")
        allowed = TRAIN_CLASSES_OF[Traffic(self.traffic)]
        if self.train not in allowed:
            raise ValueError(f"a {self.traffic} train is {' or '.join(allowed)}, not '{self.train}'")
        return self

    @property
    def value(self) -> float:
        """The published figure as one number: the geometric middle of its range."""
        return float((self.published[0] * self.published[1]) ** 0.5)

    @property
    def category(self) -> str:
        return self.corridor


class FiguresFile(Strict):
    """An evidence file: ``figures`` (times.yaml, timetables.yaml, lengths.yaml, rates.yaml),
    and in rates.yaml the dated ``sea_index`` the model prices sea legs with."""

    figures: list[Figure] = Field(default_factory=list)
    sea_index: list[SeaRate] = Field(default_factory=list)


class CrossingFigure(Sourced):
    """A published dwell at a named crossing for one traffic type (and one direction when
    ``from_country`` is given): customs, inspections and, at a crossing that changes gauge, the
    change too unless ``includes_gauge_change`` is false (the model takes the change out of it,
    so that every change of gauge is one figure). A processing time leaves out the queue before
    it (the model adds its fitted queue) unless ``includes_queue`` says the figure is a measured
    average of whole stops. A published gauge-change time or fee applies to every train that
    changes gauge there."""

    crossing: str
    traffic: Literal["container", "wagonload", "passenger"] = "container"
    from_country: str | None = Field(default=None, min_length=2, max_length=2)
    dwell_h: NonNeg | None = None
    dwell_range_h: Pair | None = None
    includes_gauge_change: bool = True
    includes_queue: bool = False
    gauge_change_h: NonNeg | None = None
    gauge_change_cost_usd_per_teu: NonNeg | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _range(self) -> CrossingFigure:
        if self.dwell_range_h and self.dwell_range_h[0] > self.dwell_range_h[1]:
            raise ValueError("dwell_range_h must be [low, high] with low <= high")
        if (
            self.dwell_h is None
            and self.gauge_change_h is None
            and self.gauge_change_cost_usd_per_teu is None
        ):
            raise ValueError(
                "a crossing figure gives a dwell_h, a gauge_change_h or a gauge_change_cost_usd_per_teu"
            )
        return self


class CrossingsFile(Strict):
    """``evidence/crossings.yaml``: published dwell at named crossings."""

    crossings: list[CrossingFigure]


class FittedValue(Strict):
    name: str
    value: Positive
    prior: Positive
    bounds: Pair
    figures: int | None = None  # how many figures informed it


class FittedFile(Strict):
    """What ``silkrail calibrate`` wrote: fitted values, the spread of held-out errors, provenance."""

    fitted_at: str
    cases_file: str
    method: str
    folds: int
    parameters: list[FittedValue]
    residual_sigma_log: dict[str, Annotated[float, Field(ge=0)]]
    evidence: dict[str, object] | None = None  # the files (content digests) and counts it was fitted from
    note: str | None = None

    @field_validator("fitted_at", mode="before")
    @classmethod
    def _text(cls, v: object) -> str:
        return str(v)


def load_yaml(path: Path, model: type[M]) -> M:
    """Validate ``path`` against ``model``; the first bad field raises DataError(file, line, field)."""
    return validate_file(Path(path), model)[0]


def _line_of(path: Path, section: str, index: int, key: str) -> int | None:
    doc = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=LineLoader)
    line, _ = locate(doc, (section, index, key))
    return line


def check_crossing_ids(path: Path, cal: CrossingsFile, known: set[str]) -> None:
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


def line_of(path: Path, section: str, index: int, key: str) -> int | None:
    """The line of ``section[index].key`` in a YAML file (for errors found after validation)."""
    return _line_of(path, section, index, key)


DATA_DIR = Path(__file__).resolve().parent.parent / "data"


ModelName = Literal["transit", "crossings", "figures", "fitted"]
_MODELS: dict[ModelName, type[BaseModel]] = {
    "transit": TransitFile,
    "crossings": CrossingsFile,
    "figures": FiguresFile,
    "fitted": FittedFile,
}
"""The evidence files :func:`load_cached` reads, by the name a caller gives."""


@cache
def _cached(path: str, mtime: float, model_name: ModelName) -> BaseModel:
    return load_yaml(Path(path), _MODELS[model_name])


@overload
def load_cached(path: Path, model_name: Literal["transit"]) -> TransitFile: ...


@overload
def load_cached(path: Path, model_name: Literal["crossings"]) -> CrossingsFile: ...


@overload
def load_cached(path: Path, model_name: Literal["figures"]) -> FiguresFile: ...


@overload
def load_cached(path: Path, model_name: Literal["fitted"]) -> FittedFile: ...


def load_cached(path: Path, model_name: ModelName) -> BaseModel:
    """A data file, validated once per content version (keyed by path and modification time)."""
    p = Path(path)
    return _cached(str(p), p.stat().st_mtime, model_name)


__all__ = [
    "DATA_DIR",
    "CrossingFigure",
    "CrossingsFile",
    "Figure",
    "FiguresFile",
    "FittedFile",
    "FittedValue",
    "Parameter",
    "TransitFile",
    "line_of",
    "load_cached",
    "load_yaml",
]

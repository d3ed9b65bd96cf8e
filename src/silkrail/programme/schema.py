"""The schema of a national rail programme file (``data/programme-<country>.yaml``), declared once.

A programme file holds the planned lines with their phases, costs and service plans, the
operator's present fleet by type and age, retirement ages, unit prices, published traffic and
the published totals the model is compared with. Every record carries ``source`` and ``as_of``;
a bad field raises :class:`~silkrail.errors.DataError` with the file, the line and the field,
like the other curated files (the loader is :func:`silkrail.network.curated.validate_file`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from silkrail.network.loader import Sourced

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

Year = Annotated[int, Field(ge=1850, le=2100)]
Positive = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]

LineKind = Literal["urban_metro", "high_speed", "standard_gauge"]
"""What a planned line is: a city's metro, the high-speed line, or a standard-gauge main line."""

VehicleType = Literal["locomotive", "coach", "wagon", "hsr_car", "metro_car"]
"""The rolling-stock types the demand model counts (a unit is one vehicle: a locomotive, a
coach, a wagon, one car of a high-speed or metro trainset)."""
VEHICLE_TYPES: tuple[VehicleType, ...] = ("locomotive", "coach", "wagon", "hsr_car", "metro_car")

Basis = Literal["published", "capacity", "demand", "assumed"]
"""Where a service plan comes from: a published plan, the line's design capacity, the demand
figures published with the line, or an assumption (stated in ``assumed``)."""


def _check_id(v: str) -> str:
    if not _ID.match(v):
        raise ValueError(f"'{v}' is not a kebab-case id (lowercase letters, digits and '-')")
    return v


class _Plain(BaseModel):
    """A part of a sourced record (the record carries the source)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Station(_Plain):
    """A station or terminus; ``approximate`` positions are the town's, not the station's."""

    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    approximate: bool = True


class Section(Sourced):
    """A part of a line that opens on its own: its km and year, and its cost where published."""

    name: str = Field(min_length=1)
    km: Positive
    opens: Year
    cost_usd: Positive | None = None
    cost_vnd: Positive | None = None
    note: str | None = None


class Demand(_Plain):
    """A published demand figure turned into trains: ``per_year`` passengers or tonnes, of which
    ``peak_direction_share`` travel in the busier direction, ``load_per_train`` to a train."""

    per_year: Positive
    unit: Literal["passengers", "tonnes"]
    load_per_train: Positive
    peak_direction_share: float = Field(default=0.5, ge=0.5, le=1)


class Pattern(_Plain):
    """One train pattern of a service plan. The frequency is a peak headway, a number of trains a
    day each way, or a published demand; the running time is given or follows from a commercial
    speed over the km open in the year (or ``km``), split into ``lines`` equal lines where one
    record stands for several. A passenger unit has ``cars_per_unit`` cars and
    ``units_per_train`` units coupled; a freight train has ``locomotives_per_train`` locomotives and
    ``wagons_per_train`` wagons."""

    name: str = Field(min_length=1)
    traffic: Literal["passenger", "freight"] = "passenger"
    km: Positive | None = None
    lines: int = Field(default=1, ge=1, le=20)
    run_min: Positive | None = None
    speed_kmh: Positive | None = None
    headway_min: Positive | None = None
    offpeak_headway_min: Positive | None = None
    trains_per_day: Positive | None = None
    demand: Demand | None = None
    service_hours: float = Field(default=18, gt=0, le=24)
    turnaround_min: NonNeg | None = None
    cars_per_unit: int = Field(default=1, ge=1, le=20)
    units_per_train: int = Field(default=1, ge=1, le=4)
    locomotives_per_train: int = Field(default=0, ge=0, le=4)
    wagons_per_train: int = Field(default=0, ge=0, le=120)
    stops: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> Pattern:
        if (self.run_min is None) == (self.speed_kmh is None):
            raise ValueError(f"pattern '{self.name}': give the running time (run_min) or a speed (speed_kmh)")
        given = [f for f in ("headway_min", "trains_per_day", "demand") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(
                f"pattern '{self.name}': give exactly one of headway_min, trains_per_day or demand "
                f"(got {', '.join(given) or 'none'})"
            )
        if self.traffic == "freight" and (self.locomotives_per_train < 1 or self.wagons_per_train < 1):
            raise ValueError(
                f"freight pattern '{self.name}' needs locomotives_per_train and wagons_per_train"
            )
        if self.traffic == "passenger" and self.wagons_per_train:
            raise ValueError(f"passenger pattern '{self.name}' has wagons_per_train; use cars_per_unit")
        return self


class ServicePhase(Sourced):
    """The service plan from ``from_year`` on, with the trainsets published for it if any."""

    from_year: Year
    basis: Basis
    patterns: list[Pattern] = Field(min_length=1, max_length=20)
    published_trainsets: int | None = Field(default=None, gt=0)
    published_what: str | None = None
    assumed: str | None = None

    @model_validator(mode="after")
    def _assumption_stated(self) -> ServicePhase:
        if self.basis != "published" and not self.assumed:
            raise ValueError(f"a service plan of basis '{self.basis}' needs 'assumed': say what was assumed")
        return self


class ProgrammeLine(Sourced):
    """A planned (or recently opened) line: termini, length, gauge, design speed, the year it
    opens (or its sections do), cost and source; drawn through ``stations`` (``geometry:
    approximate`` where only termini or towns are known, ``none`` where the alignment is not
    published). ``network_line``: the record of ``lines.yaml`` that puts it on the routable
    network (its opening year and length must agree)."""

    id: str
    name: str = Field(min_length=1)
    kind: LineKind
    system: str = Field(min_length=1)
    termini: list[str] = Field(min_length=2, max_length=2)
    km: Positive
    gauge_mm: int
    design_speed_kmh: Positive
    opens: Year
    status: Literal["open", "under_construction", "planned"]
    build_start: Year | None = None
    sections: list[Section] = Field(default_factory=list)
    cost_usd: Positive | None = None
    cost_vnd: Positive | None = None
    cost_note: str | None = None
    geometry: Literal["published", "approximate", "none"] = "approximate"
    stations: list[Station] = Field(default_factory=list)
    network_line: str | None = None
    unnamed: bool = False
    service: list[ServicePhase] = Field(default_factory=list, max_length=10)
    note: str | None = None

    _i = field_validator("id")(_check_id)

    @model_validator(mode="after")
    def _consistent(self) -> ProgrammeLine:
        if self.geometry != "none" and len(self.stations) < 2:
            raise ValueError(f"line '{self.id}' is drawn ({self.geometry}) but has fewer than 2 stations")
        if self.sections:
            total = sum(s.km for s in self.sections)
            if abs(total - self.km) > 0.05 * self.km + 0.1:
                raise ValueError(f"the sections add up to {total:g} km but km is {self.km:g}")
            first = min(s.opens for s in self.sections)
            if first != self.opens:
                raise ValueError(f"opens is {self.opens} but the first section opens in {first}")
        years = [p.from_year for p in self.service]
        if years != sorted(set(years)):
            raise ValueError("service phases must be in order of from_year, one per year")
        if years and years[0] < self.opens:
            raise ValueError(f"the first service phase ({years[0]}) is before the line opens ({self.opens})")
        if self.build_start is not None and self.build_start > self.opens:
            raise ValueError(f"build_start {self.build_start} is after the opening year {self.opens}")
        if self.status == "open" and self.sections and all(s.opens > self.opens for s in self.sections):
            raise ValueError("an open line needs a section open in its opening year")
        return self


class ExchangeRate(Sourced):
    vnd_per_usd: Positive
    note: str | None = None


class FleetCount(Sourced):
    """The operator's units of one type counted in ``year``, with their ages where published:
    ``ages`` maps an age band ``"A-B"`` (years, B excluded) or ``"A+"`` to a count; a count the
    source does not break down by age is left out and the gap marked in ``gap``."""

    type: VehicleType
    year: Year
    units: int = Field(ge=0)
    ages_year: Year | None = None
    ages: dict[str, int] = Field(default_factory=dict)
    past_life_by: Year | None = None
    past_life_units: int | None = Field(default=None, ge=0)
    gap: str | None = None
    note: str | None = None

    @field_validator("ages")
    @classmethod
    def _bands(cls, v: dict[str, int]) -> dict[str, int]:
        for band, n in v.items():
            if not re.match(r"^\d+(-\d+|\+)$", band):
                raise ValueError(f"age band '{band}' is not 'A-B' or 'A+' (years)")
            if n < 0:
                raise ValueError(f"age band '{band}' has a negative count ({n})")
        return v

    @model_validator(mode="after")
    def _ages_dated(self) -> FleetCount:
        if self.ages and self.ages_year is None:
            raise ValueError("age bands need ages_year, the year they were counted")
        if (self.past_life_by is None) != (self.past_life_units is None):
            raise ValueError("give both past_life_by and past_life_units, or neither")
        return self


class Retirement(Sourced):
    """The age at which a type leaves service."""

    type: VehicleType
    age: int = Field(ge=5, le=80)
    note: str | None = None


class UnitPrice(Sourced):
    """The price of one unit of a type, in VND or USD."""

    type: VehicleType
    vnd: Positive | None = None
    usd: Positive | None = None
    label: str = "published"
    note: str | None = None

    @model_validator(mode="after")
    def _one_currency(self) -> UnitPrice:
        if (self.vnd is None) == (self.usd is None):
            raise ValueError("give the price in vnd or in usd (one of them)")
        return self


class Traffic(Sourced):
    """Rail traffic carried or planned in ``year``: ``scope`` says whose (the operator's present
    network, or the sector plan with every line)."""

    year: Year
    scope: Literal["operator", "sector_plan"]
    passengers: Positive | None = None
    tonnes: Positive | None = None
    note: str | None = None


class PhaseTotal(Sourced):
    """A published phase of a city's programme: km and investment over years."""

    system: str
    from_year: Year
    to_year: Year
    km: Positive
    cost_usd: Positive
    note: str | None = None


class KmPlan(Sourced):
    """A city's network km by year in a plan published without its lines' lengths (so that the
    lines of another plan carry the model, and this one is a sensitivity)."""

    system: str
    km_by_year: dict[int, float] = Field(min_length=1)
    note: str | None = None

    @field_validator("km_by_year")
    @classmethod
    def _years(cls, v: dict[int, float]) -> dict[int, float]:
        for year, km in v.items():
            if not 1990 <= year <= 2100 or km <= 0:
                raise ValueError(f"km_by_year needs years 1990-2100 and km > 0 (got {year}: {km})")
        return v


class Target(Sourced):
    """A published total the model is compared with."""

    id: str
    what: str
    year: Year
    units: int | None = Field(default=None, gt=0)
    by_type: dict[VehicleType, int] = Field(default_factory=dict)
    cost_vnd: Positive | None = None
    cost_usd: Positive | None = None
    km: Positive | None = None
    trainsets: int | None = Field(default=None, gt=0)
    note: str | None = None

    _i = field_validator("id")(_check_id)


class DemandSettings(Sourced):
    """The demand model's stated assumptions: when a new fleet is bought, how the backlog of
    units already past their age is cleared, how long a line takes to build where no start is
    published, and the reserve share comes from ``fleet.yaml``."""

    first_year: Year
    last_year: Year
    buy_years_before_opening: int = Field(ge=0, le=5)
    backlog_years: int = Field(ge=1, le=15)
    build_years: dict[LineKind, int]
    note: str | None = None

    @model_validator(mode="after")
    def _span(self) -> DemandSettings:
        if self.last_year < self.first_year:
            raise ValueError(f"last_year {self.last_year} is before first_year {self.first_year}")
        return self


class ProgrammeFile(_Plain):
    """A national programme file."""

    country: str = Field(min_length=2, max_length=2)
    name: str
    settings: DemandSettings
    exchange_rate: ExchangeRate
    lines: list[ProgrammeLine] = Field(min_length=1, max_length=200)
    phase_totals: list[PhaseTotal] = Field(default_factory=list)
    fleet: list[FleetCount] = Field(default_factory=list)
    retirement: list[Retirement] = Field(default_factory=list)
    prices: list[UnitPrice] = Field(default_factory=list)
    traffic: list[Traffic] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    km_plans: list[KmPlan] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ProgrammeFile:
        # duplicate line ids are found by the loader, which knows their lines in the file
        ret = [r.type for r in self.retirement]
        if len(ret) != len(set(ret)):
            raise ValueError("one retirement age per type")
        return self

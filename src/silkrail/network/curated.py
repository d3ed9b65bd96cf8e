"""The curated package data (``silkrail/data/*.yaml``): one declared schema, loaded with line numbers.

Each file's records are validated by the pydantic models below. A bad record raises a
:class:`~silkrail.errors.DataError` naming the file, the line and the field, and what
would be valid. Every record carries ``source`` and ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from silkrail.errors import DataError
from silkrail.network.loader import (
    Country,
    M,
    NonNeg,
    Positive,
    Sourced,
    Strict,
    check_country,
    check_gauge,
    check_id,
    locate,
    validate_file,
)


class Point(Strict):
    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    country: Country | None = None
    gauge_mm: int | None = None
    km: NonNeg | None = None

    _c = field_validator("country")(lambda v: v if v is None else check_country(v))
    _g = field_validator("gauge_mm")(lambda v: v if v is None else check_gauge(v))


class CountryGauge(Sourced):
    country: Country
    gauge_mm: int
    note: str | None = None

    _c = field_validator("country")(check_country)
    _g = field_validator("gauge_mm")(check_gauge)


class GaugeException(Sourced):
    id: str
    name: str
    gauges_mm: list[int] = Field(min_length=1, max_length=2)
    path: list[Point] = Field(min_length=2)
    length_km: Positive | None = None
    note: str | None = None

    _i = field_validator("id")(lambda v: check_id(v))
    _g = field_validator("gauges_mm")(lambda v: [check_gauge(g) for g in v])


class GaugesFile(Strict):
    countries: list[CountryGauge]
    exceptions: list[GaugeException] = Field(default_factory=list)


class BorderDefaults(Sourced):
    border_dwell_h: NonNeg
    border_cost_usd_per_teu: NonNeg
    gauge_change_h: NonNeg
    gauge_change_cost_usd_per_teu: NonNeg
    capacity_trains_per_day: Positive
    note: str | None = None


class Crossing(Sourced):
    id: str
    name: str
    kind: Literal["border", "gauge_change"]
    method: Literal["transshipment", "bogie_exchange", "dual_gauge", "none"]
    sides: list[Point] = Field(min_length=2, max_length=2)
    dwell_h: NonNeg | None = None
    dwell_range_h: tuple[NonNeg, NonNeg] | None = None
    gauge_change_h: NonNeg | None = None
    cost_usd_per_teu: NonNeg | None = None
    capacity_trains_per_day: Positive | None = None
    status: Literal["open", "planned", "closed"] = "open"
    opening_year: int | None = Field(default=None, ge=1850, le=2100)
    position: Point | None = None  # where it lies, when the mapped track between the sides is long
    note: str | None = None

    _i = field_validator("id")(lambda v: check_id(v))

    @model_validator(mode="after")
    def _consistent(self) -> Crossing:
        for side in self.sides:
            if side.country is None or side.gauge_mm is None:
                raise ValueError(f"side '{side.name}' needs both country and gauge_mm")
        a, b = self.sides
        if self.kind == "border" and a.country == b.country:
            raise ValueError(f"a border crossing joins two countries; both sides are in {a.country}")
        if self.dwell_range_h and self.dwell_range_h[0] > self.dwell_range_h[1]:
            raise ValueError("dwell_range_h must be [low, high] with low <= high")
        if self.status == "planned" and self.opening_year is None:
            raise ValueError("a planned crossing needs opening_year")
        return self


class BordersFile(Strict):
    defaults: BorderDefaults
    customs_unions: list[CustomsUnion] = Field(default_factory=list)
    crossings: list[Crossing]


class CustomsUnion(Sourced):
    name: str
    members: list[Country] = Field(min_length=2)
    border_dwell_h: NonNeg
    note: str | None = None

    _c = field_validator("members")(lambda v: [check_country(c) for c in v])


class Line(Sourced):
    """A line missing from the extract (``in_osm: false``, added by the build) or one listed for its
    metadata (``in_osm: true``). ``traffic: passenger`` closes the line's track to freight routes
    (the build marks the track of an in-OSM line between its stations). ``junction_km``: an end
    station of the line that the mapped track leaves unjoined to the rest of the network (the
    extract's sparse chords often pass a few km from a junction station) is joined to the nearest
    track of another piece within this distance."""

    id: str
    name: str
    gauge_mm: int
    status: Literal["open", "under_construction", "planned"]
    opening_year: int = Field(ge=1850, le=2100)
    in_osm: bool
    traffic: Literal["mixed", "freight", "passenger"] = "mixed"
    electrified: bool = False
    design_speed_kmh: Positive | None = None
    freight_speed_kmh: Positive | None = None
    length_km: Positive
    cost_usd: NonNeg | None = None  # the published cost of building it (US$)
    stations: list[Point] = Field(min_length=2)
    junction_km: Annotated[float, Field(gt=0, le=10)] | None = None
    note: str | None = None

    _i = field_validator("id")(lambda v: check_id(v))
    _g = field_validator("gauge_mm")(check_gauge)

    @model_validator(mode="after")
    def _stations(self) -> Line:
        for s in self.stations:
            if s.country is None:
                raise ValueError(f"station '{s.name}' needs a country")
        kms = [s.km for s in self.stations if s.km is not None]
        if kms != sorted(kms):
            raise ValueError("station km must increase along the line")
        if kms and kms[-1] > self.length_km * 1.05:
            raise ValueError(f"station km {kms[-1]} exceeds length_km {self.length_km}")
        return self


class LinesFile(Strict):
    lines: list[Line]


class Port(Sourced):
    locode: str = Field(pattern=r"^[A-Z]{2}[A-Z0-9]{3}$")
    name: str
    country: Country
    rail_gauge_mm: int
    terminal: Point | None = None
    handling_h: NonNeg
    handling_cost_usd_per_teu: NonNeg
    note: str | None = None

    _c = field_validator("country")(check_country)
    _g = field_validator("rail_gauge_mm")(check_gauge)


class Ferry(Sourced):
    """A rail ferry between the rail terminals of two ports: wagons roll on and off, so it
    joins the rail network on ``gauge_mm``. Waiting for a sailing averages half the interval
    between sailings."""

    id: str
    name: str
    ends: list[Point] = Field(min_length=2, max_length=2)
    gauge_mm: int
    sailing_h: Positive
    sailings_per_week: Positive
    handling_h: NonNeg  # loading, unloading and formalities at both ends
    cost_usd_per_teu: NonNeg
    note: str | None = None

    _i = field_validator("id")(lambda v: check_id(v))
    _g = field_validator("gauge_mm")(check_gauge)

    @model_validator(mode="after")
    def _ends_have_countries(self) -> Ferry:
        if any(p.country is None for p in self.ends):
            raise ValueError("each end of a ferry needs its country (ISO alpha-2), e.g. country: KZ")
        return self


class PortsFile(Strict):
    ports: list[Port]
    ferries: list[Ferry] = Field(default_factory=list)


class ModeFactor(Sourced):
    mode: Literal["rail", "sea", "road"]
    traction: str
    co2_kg_per_tkm: NonNeg
    cost_usd_per_teu_km: NonNeg
    speed_kmh: Positive
    note: str | None = None


class CountrySpeed(Sourced):
    country: Country
    speed_kmh: Positive
    note: str | None = None

    _c = field_validator("country")(check_country)


class SeaFactors(Sourced):
    speed_knots: Positive
    port_call_h: NonNeg | None = None
    note: str | None = None


class TeuTonnes(Sourced):
    value: Positive
    note: str | None = None


class FactorsFile(Strict):
    emission_basis: Literal["well-to-wheel", "tank-to-wheel"]
    note: str | None = None
    teu_tonnes: TeuTonnes
    modes: list[ModeFactor]
    rail_speed_by_country: list[CountrySpeed] = Field(default_factory=list)
    sea: SeaFactors


class Place(Sourced):
    name: str
    aliases: list[str] = Field(default_factory=list)
    country: Country
    kind: Literal["city", "station", "terminal", "port"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    terminal: str | None = None  # a city's rail freight terminal at lat/lon, by name
    note: str | None = None

    _c = field_validator("country")(check_country)


class PlacesFile(Strict):
    places: list[Place]


StationKind = Literal["junction", "border", "terminal", "dry_port", "seaport", "station"]


class Station(Sourced):
    """A named station of a corridor (a junction, border station, freight terminal, dry port,
    rail-linked seaport or line station) at its own point, with its names in local scripts and
    Latin; the build snaps it to the nearest track of its country and keeps that node."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    country: Country
    kind: StationKind
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    note: str | None = None

    _c = field_validator("country")(check_country)


class StationsFile(Strict):
    stations: list[Station]


BordersFile.model_rebuild()

SCHEMA: dict[str, type[Strict]] = {
    "gauges.yaml": GaugesFile,
    "borders.yaml": BordersFile,
    "lines.yaml": LinesFile,
    "ports.yaml": PortsFile,
    "factors.yaml": FactorsFile,
    "places.yaml": PlacesFile,
    "stations.yaml": StationsFile,
}
"""Every curated data file and the model that declares its schema."""


def load_file(path: Path) -> Any:
    """Load and validate one curated file; raise DataError at the first bad field. Its model is
    the one :data:`SCHEMA` names for the file's name (hence ``Any``: the name is known at run
    time only; :func:`load_curated` gives every file typed)."""
    path = Path(path)
    model = SCHEMA.get(path.name)
    if model is None:
        raise DataError(f"unknown data file; expected one of {', '.join(SCHEMA)}", file=path.name)
    return _load(path, model)


def _load(path: Path, model: type[M]) -> M:
    parsed, doc = validate_file(path, model)
    _check_unique_ids(parsed, path.name, doc)
    return parsed


def _check_unique_ids(parsed: BaseModel, filename: str, doc: object) -> None:
    for list_name in ("exceptions", "crossings", "lines", "ferries"):
        items = getattr(parsed, list_name, None) or []
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                line, field = locate(doc, (list_name, i, "id"))
                raise DataError(f"duplicate id '{item.id}'", file=filename, line=line, field=field)
            seen.add(item.id)


@dataclass(frozen=True)
class Curated:
    """All curated data, validated."""

    gauges: GaugesFile
    borders: BordersFile
    lines: LinesFile
    ports: PortsFile
    factors: FactorsFile
    places: PlacesFile
    stations: StationsFile


def load_curated(data_dir: Path) -> Curated:
    """Load and validate every curated data file in ``data_dir``."""
    d = Path(data_dir)
    return Curated(  # in SCHEMA's order, so that the first bad file is the same one
        gauges=_load(d / "gauges.yaml", GaugesFile),
        borders=_load(d / "borders.yaml", BordersFile),
        lines=_load(d / "lines.yaml", LinesFile),
        ports=_load(d / "ports.yaml", PortsFile),
        factors=_load(d / "factors.yaml", FactorsFile),
        places=_load(d / "places.yaml", PlacesFile),
        stations=_load(d / "stations.yaml", StationsFile),
    )

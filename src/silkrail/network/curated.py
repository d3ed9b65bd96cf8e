"""The curated package data (``silkrail/data/*.yaml``): one declared schema, loaded with line numbers.

Each file's records are validated by the pydantic models below. A bad record raises a
:class:`~silkrail.errors.DataError` naming the file, the line and the field, and what
would be valid. Every record carries ``source`` and ``as_of``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from silkrail.errors import DataError
from silkrail.network.model import GAUGES_MM

_AS_OF = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@cache
def known_country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes of GeoNames' countries (read once)."""
    from silkrail.network import geonames

    return frozenset(geonames.countries())


def _check_country(code: str) -> str:
    if code not in known_country_codes():
        raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code (for example CN, MN, RU, VN)")
    return code


def _check_gauge(mm: int) -> int:
    if mm not in GAUGES_MM:
        raise ValueError(f"{mm} mm is not a known gauge; use one of {', '.join(map(str, GAUGES_MM))}")
    return mm


Country = Annotated[str, Field(min_length=2, max_length=2)]
NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # finite numbers only


class Sourced(_Strict):
    """A curated record: where the figure comes from and when it was true."""

    source: str | list[str]
    as_of: str

    @field_validator("source")
    @classmethod
    def _source_present(cls, v: str | list[str]) -> str | list[str]:
        items = [v] if isinstance(v, str) else v
        if not items or any(not s.strip() for s in items):
            raise ValueError("every record needs a non-empty source (title and URL)")
        return v

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of_date(cls, v: Any) -> str:
        v = str(v)
        if not _AS_OF.match(v):
            raise ValueError(f"'{v}' is not a date; write YYYY-MM-DD or YYYY-MM")
        if not 1900 <= int(v[:4]) <= 2100:
            raise ValueError(f"'{v}' is not a plausible date for a figure; give one from 1900 to 2100")
        return v

    @property
    def sources(self) -> list[str]:
        return [self.source] if isinstance(self.source, str) else list(self.source)


class Point(_Strict):
    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    country: Country | None = None
    gauge_mm: int | None = None
    km: NonNeg | None = None

    _c = field_validator("country")(lambda v: v if v is None else _check_country(v))
    _g = field_validator("gauge_mm")(lambda v: v if v is None else _check_gauge(v))


class CountryGauge(Sourced):
    country: Country
    gauge_mm: int
    note: str | None = None

    _c = field_validator("country")(_check_country)
    _g = field_validator("gauge_mm")(_check_gauge)


class GaugeException(Sourced):
    id: str
    name: str
    gauges_mm: list[int] = Field(min_length=1, max_length=2)
    path: list[Point] = Field(min_length=2)
    length_km: Positive | None = None
    note: str | None = None

    _i = field_validator("id")(lambda v: _check_id(v))
    _g = field_validator("gauges_mm")(lambda v: [_check_gauge(g) for g in v])


class GaugesFile(_Strict):
    countries: list[CountryGauge]
    exceptions: list[GaugeException] = []


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

    _i = field_validator("id")(lambda v: _check_id(v))

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


class BordersFile(_Strict):
    defaults: BorderDefaults
    customs_unions: list[CustomsUnion] = []
    crossings: list[Crossing]


class CustomsUnion(Sourced):
    name: str
    members: list[Country] = Field(min_length=2)
    border_dwell_h: NonNeg
    note: str | None = None

    _c = field_validator("members")(lambda v: [_check_country(c) for c in v])


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

    _i = field_validator("id")(lambda v: _check_id(v))
    _g = field_validator("gauge_mm")(_check_gauge)

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


class LinesFile(_Strict):
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

    _c = field_validator("country")(_check_country)
    _g = field_validator("rail_gauge_mm")(_check_gauge)


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

    _i = field_validator("id")(lambda v: _check_id(v))
    _g = field_validator("gauge_mm")(_check_gauge)

    @model_validator(mode="after")
    def _ends_have_countries(self) -> Ferry:
        if any(p.country is None for p in self.ends):
            raise ValueError("each end of a ferry needs its country (ISO alpha-2), e.g. country: KZ")
        return self


class PortsFile(_Strict):
    ports: list[Port]
    ferries: list[Ferry] = []


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

    _c = field_validator("country")(_check_country)


class SeaFactors(Sourced):
    speed_knots: Positive
    port_call_h: NonNeg | None = None
    note: str | None = None


class TeuTonnes(Sourced):
    value: Positive
    note: str | None = None


class FactorsFile(_Strict):
    emission_basis: Literal["well-to-wheel", "tank-to-wheel"]
    note: str | None = None
    teu_tonnes: TeuTonnes
    modes: list[ModeFactor]
    rail_speed_by_country: list[CountrySpeed] = []
    sea: SeaFactors


class Place(Sourced):
    name: str
    aliases: list[str] = []
    country: Country
    kind: Literal["city", "station", "terminal", "port"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    terminal: str | None = None  # a city's rail freight terminal at lat/lon, by name
    note: str | None = None

    _c = field_validator("country")(_check_country)


class PlacesFile(_Strict):
    places: list[Place]


StationKind = Literal["junction", "border", "terminal", "dry_port", "seaport", "station"]


class Station(Sourced):
    """A named station of a corridor (a junction, border station, freight terminal, dry port,
    rail-linked seaport or line station) at its own point, with its names in local scripts and
    Latin; the build snaps it to the nearest track of its country and keeps that node."""

    name: str
    aliases: list[str] = []
    country: Country
    kind: StationKind
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    note: str | None = None

    _c = field_validator("country")(_check_country)


class StationsFile(_Strict):
    stations: list[Station]


def _check_id(v: str) -> str:
    if not _ID.match(v):
        raise ValueError(f"'{v}' is not a kebab-case id (lowercase letters, digits and '-')")
    return v


BordersFile.model_rebuild()

SCHEMA: dict[str, type[_Strict]] = {
    "gauges.yaml": GaugesFile,
    "borders.yaml": BordersFile,
    "lines.yaml": LinesFile,
    "ports.yaml": PortsFile,
    "factors.yaml": FactorsFile,
    "places.yaml": PlacesFile,
    "stations.yaml": StationsFile,
}
"""Every curated data file and the model that declares its schema."""


# --- YAML with line numbers ------------------------------------------------------------


class _LineMap(dict[str, Any]):
    """A mapping that remembers the line of each key (1-based)."""

    line: int
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineMap:
    loader.flatten_mapping(node)
    out = _LineMap()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# dates stay strings: as_of is validated as text
_LineLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _locate(doc: Any, loc: tuple[int | str, ...]) -> tuple[int | None, str]:
    """The YAML line and a readable field path for a pydantic error location."""
    line: int | None = getattr(doc, "line", None)
    node = doc
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                line = getattr(node, "line", line)
            continue
        path += f".{part}" if path else str(part)
        if isinstance(node, _LineMap):
            line = node.key_lines.get(part, line)
            node = node.get(part)
            line = getattr(node, "line", None) or line
        else:
            node = None
    return line, path


def _record_name(doc: Any, loc: tuple[int | str, ...]) -> str:
    node = doc
    label = ""
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
        if isinstance(node, dict):
            for key in ("id", "name", "locode", "country", "mode"):
                if key in node and isinstance(node[key], str):
                    label = f"{key} '{node[key]}'"
                    break
    return label


def load_file(path: Path) -> Any:
    """Load and validate one curated file; raise DataError at the first bad field."""
    path = Path(path)
    model = SCHEMA.get(path.name)
    if model is None:
        raise DataError(f"unknown data file; expected one of {', '.join(SCHEMA)}", file=path.name)
    parsed, doc = validate_file(path, model)
    _check_unique_ids(parsed, path.name, doc)
    return parsed


def validate_file(path: Path, model: type[BaseModel]) -> tuple[Any, Any]:
    """(the validated model, the line-numbered document) of a YAML file of package or user data;
    the first bad field raises DataError(file, line, field), with the record it belongs to."""
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
    except RecursionError:
        from silkrail.network.yaml_limits import too_deep

        raise too_deep(path.read_text(encoding="utf-8"), path.name) from None
    if not isinstance(doc, dict):
        raise DataError("expected a mapping at the top level", file=path.name, line=1)
    try:
        parsed = model.model_validate(doc)
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt field shows up as both "missing" and "extra": name the misspelling
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
    return parsed, doc


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if field is None:
            break
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        candidates = [a for a in (*args, ann) if isinstance(a, type) and issubclass(a, BaseModel)]
        current = candidates[0] if candidates else None
    return list(current.model_fields) if hasattr(current, "model_fields") else []


def _check_unique_ids(parsed: Any, filename: str, doc: Any) -> None:
    for list_name in ("exceptions", "crossings", "lines", "ferries"):
        items = getattr(parsed, list_name, None) or []
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                line, field = _locate(doc, (list_name, i, "id"))
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
    files = {name: load_file(Path(data_dir) / name) for name in SCHEMA}
    return Curated(
        gauges=files["gauges.yaml"],
        borders=files["borders.yaml"],
        lines=files["lines.yaml"],
        ports=files["ports.yaml"],
        factors=files["factors.yaml"],
        places=files["places.yaml"],
        stations=files["stations.yaml"],
    )

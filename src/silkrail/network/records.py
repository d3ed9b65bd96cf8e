"""The network's curated records as typed, frozen values: crossings, lines, ports, rail ferries
and places.

The build converts each curated (pydantic) record once, with :func:`from_curated`, adding what
it derived (snapped nodes, defaults); the cache stores each record's fields as JSON and
:func:`from_dict` reads them back. Consumers read attributes, so a renamed field is a type
error rather than a ``KeyError`` at run time. Fields keep the names (and order) of the JSON the
network has always carried, so exports and service answers do not change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from silkrail.errors import DataError

if TYPE_CHECKING:
    import geopandas
    import pandas

SideGauge = int | tuple[int, ...] | None
"""A crossing side's gauge: the curated one (None when not given), or the gauges of the track
at an uncurated crossing."""


@dataclass(frozen=True, slots=True)
class Crossing:
    """A border crossing or break of gauge: curated (with its figures and sources) or found by
    the build on track no record describes (default figures)."""

    id: str
    name: str
    kind: Literal["border", "gauge_change"]
    method: Literal["transshipment", "bogie_exchange", "dual_gauge", "none"]
    countries: tuple[str, str]
    gauges_mm: tuple[SideGauge, SideGauge]
    sides: tuple[str, ...]  # the named points of a curated crossing's two sides
    lat: float
    lon: float
    status: Literal["open", "planned", "closed"]
    opening_year: int | None
    curated: bool
    dwell_range_h: tuple[float, float] | None
    gauge_change_h: float | None
    source: tuple[str, ...]
    as_of: str
    nodes: tuple[int, ...]  # the rail nodes of its two sides (none if they were not joined)
    edges: int  # how many edges it marks
    dwell_h: float
    dwell_from: Literal["curated", "default", "customs union"]
    cost_usd_per_teu: float
    capacity_trains_per_day: float

    @property
    def changes_gauge(self) -> bool:
        """Whether trains change gauge here (wagons transshipped or bogies exchanged)."""
        return self.method in ("transshipment", "bogie_exchange")


@dataclass(frozen=True, slots=True)
class Line:
    """A curated line: added by the build where the extract lacks it, or listed for its metadata."""

    id: str
    name: str
    gauge_mm: int
    status: Literal["open", "under_construction", "planned"]
    opening_year: int
    in_osm: bool
    traffic: Literal["mixed", "freight", "passenger"]
    electrified: bool
    freight_speed_kmh: float | None
    design_speed_kmh: float | None
    length_km: float
    stations: tuple[str, ...]
    nodes: tuple[int, ...]  # one per station (-1: its node did not survive the build)
    source: tuple[str, ...]
    as_of: str
    cost_usd: float | None = None  # the published cost of building it


@dataclass(frozen=True, slots=True)
class Port:
    """A curated port on the maritime network, with its rail terminal when it has one."""

    locode: str
    name: str
    country: str
    rail_gauge_mm: int
    handling_h: float
    handling_cost_usd_per_teu: float
    node: int
    terminal_node: int | None
    lat: float
    lon: float
    source: tuple[str, ...]
    as_of: str


@dataclass(frozen=True, slots=True)
class Ferry:
    """A rail ferry between the rail terminals of two ports; per-end fields are (first, second)."""

    id: str
    name: str
    ends: tuple[str, str]
    countries: tuple[str, str]
    lat: tuple[float, float]
    lon: tuple[float, float]
    nodes: tuple[int, int]
    gauge_mm: int
    km: float
    sailing_h: float
    sailings_per_week: float
    handling_h: float
    cost_usd_per_teu: float
    source: tuple[str, ...]
    as_of: str


@dataclass(frozen=True, slots=True)
class NetworkPlace:
    """A curated place snapped to the open track of its country."""

    name: str
    aliases: tuple[str, ...]
    country: str
    kind: Literal["city", "station", "terminal", "port", "junction", "border", "dry_port", "seaport"]
    terminal: str | None
    lat: float
    lon: float
    node: int
    snap_km: float
    source: tuple[str, ...]
    as_of: str


Record = Crossing | Line | Port | Ferry | NetworkPlace
R = TypeVar("R", Crossing, Line, Port, Ferry, NetworkPlace)

_FROM_CURATED = {"source": "sources"}
"""Record fields read from a differently named attribute of the curated record."""


def _freeze(value: object) -> Any:
    """Lists (from pydantic or JSON) as tuples, all the way down, so records stay immutable.
    The value goes to a record's constructor unchecked: the curated schema or the cache wrote it."""
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def from_curated(cls: type[R], rec: object, what: str, **derived: object) -> R:
    """A ``cls`` record from the curated record ``rec``: each field the build ``derived`` is
    taken as given, every other one from the curated field of the same name. ``what`` names
    the record in the error raised when the curated record lacks a field."""
    values: dict[str, Any] = {}  # each field's value, for the record's constructor
    for f in dataclasses.fields(cls):
        if f.name in derived:
            values[f.name] = _freeze(derived.pop(f.name))
            continue
        attr = _FROM_CURATED.get(f.name, f.name)
        try:
            values[f.name] = _freeze(getattr(rec, attr))
        except AttributeError:
            raise DataError(
                f"{what} lacks '{f.name}', which every {cls.__name__.lower()} record needs",
                field=f.name,
            ) from None
    if derived:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(derived))}")
    return cls(**values)


def from_dict(cls: type[R], data: Mapping[str, Any], what: str) -> R:
    """A ``cls`` record from its :func:`to_dict` form (the network cache); a missing or unknown
    field raises :class:`DataError` naming it and ``what``."""
    names = _FIELDS[cls]
    if len(data) != len(names) or any(n not in data for n in names):
        missing = [n for n in names if n not in data]
        if missing:
            raise DataError(f"{what} lacks {', '.join(repr(n) for n in missing)}", field=missing[0])
        extra = sorted(set(data) - set(names))
        raise DataError(
            f"{what} has unknown field {', '.join(repr(n) for n in extra)}; its fields: {', '.join(names)}",
            field=extra[0],
        )
    return cls(*[_freeze(v) if type(v) is list else v for v in map(data.__getitem__, names)])


def to_dict(rec: Record) -> dict[str, object]:
    """The record as the JSON object the network has always carried (tuples become lists)."""
    return {f: _thaw(getattr(rec, f)) for f in _FIELDS[type(rec)]}


def _thaw(value: object) -> object:
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in (Crossing, Line, Port, Ferry, NetworkPlace)
}


def to_frame(records: tuple[R, ...] | list[R], cls: type[R]) -> pandas.DataFrame:
    """One row per record, one column per field (pandas is imported here, not at import time)."""
    from silkrail.frames import require

    pd = require("pandas", "frames")
    names = list(_FIELDS[cls])
    return pd.DataFrame([[getattr(r, n) for n in names] for r in records], columns=names)


def to_gdf(
    records: tuple[R, ...] | list[R], cls: type[R], *, geometry: list[object] | None = None
) -> geopandas.GeoDataFrame:
    """:func:`to_frame` with a geometry column (WGS 84): the record's point, or ``geometry``
    when given (one shapely geometry per record, e.g. a ferry's or a line's path)."""
    from silkrail.frames import require

    gpd = require("geopandas", "geo")
    frame = to_frame(records, cls)
    if geometry is None:
        geometry = list(gpd.points_from_xy(frame["lon"], frame["lat"])) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")

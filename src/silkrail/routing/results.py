"""Routing results: a route's legs, events and totals, and origin-destination matrices.

Results are frozen and hold what they show, geometry included (coordinate arrays), so they
outlive the engine that made them and can be handed to other threads or processes. A route
also keeps the arc ids of the state-graph path it was priced from (:attr:`Route.arcs`): that is
the public way for analyses on the engine's arrays (calibration, simulation) to read a route
part by part.

Tables: :meth:`OdMatrix.to_frame` and :meth:`OdMatrix.to_long` (pandas); geodata:
``to_gdf()`` and :meth:`Route.to_file` (GeoPandas, the ``geo`` extra). Both are imported when
first used, so plain routing never loads them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, TypeAdapter

from silkrail import frames
from silkrail.errors import DataError
from silkrail.network.model import ATTRIBUTION
from silkrail.routing.access import Access
from silkrail.routing.json_types import JsonObject, JsonValue
from silkrail.routing.places import Place
from silkrail.traffic import TrainClass

if TYPE_CHECKING:  # annotations only: pandas, geopandas and shapely are imported when first used
    import geopandas
    import pandas
    import shapely

GEO_SUFFIXES = (".parquet", ".geoparquet", ".gpkg", ".geojson")
OFF_TRAIN = ("terminal", "booking", "consolidation", "boarding", "wait")
"""Events before the departure or after the arrival of the train (not part of its run)."""
CRS = "EPSG:4326"


def _no_coords() -> NDArray[np.float64]:
    return np.empty((0, 2), np.float64)


@dataclass(frozen=True)
class StatePath:
    """A shortest path of the state graph: its arc ids in order, the weighted objective it
    minimised, and how many states the search settled."""

    arcs: NDArray[np.int64] = field(compare=False)
    value: float
    settled: int


@dataclass(frozen=True)
class Leg:
    """A run of one mode on one gauge. ``geometry`` is the track as (lon, lat) rows;
    ``edges`` and ``nodes`` say where it runs in the network it was routed on.

    A leg carries its own running time, money (rail tariff or sea freight, for the route's
    cargo) and CO2, each with a 10th-90th percentile range; with the events' time and money
    they add up to the route's totals. ``line_class`` is the class of most of a rail leg's
    track; ``basis`` says where its speed comes from."""

    mode: str
    from_: str
    to: str
    distance_km: float
    duration_h: float
    gauge_mm: int | None
    countries: list[str]
    geometry: NDArray[np.float64] = field(default_factory=_no_coords, repr=False, compare=False)
    basis: str = "modelled"
    record: str | None = None
    edges: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64), repr=False, compare=False)
    nodes: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64), repr=False, compare=False)
    """The network's edges of the leg in order, and its nodes (one more than the edges)."""
    duration_h_range: tuple[float, float] = (0.0, 0.0)
    cost_usd: float = 0.0
    cost_usd_range: tuple[float, float] = (0.0, 0.0)
    co2_kg: float = 0.0
    co2_kg_range: tuple[float, float] = (0.0, 0.0)
    line_class: str | None = None
    service: str | None = None  # the scheduled service that runs the leg (its short name)
    trip: str | None = None  # and its trip
    co2e_wtw_kg: float | None = None
    co2e_ttw_kg: float | None = None
    """CO2e of the leg for the route's TEU, well-to-wheel and tank-to-wheel (ISO 14083), by the
    traction of its track (see :mod:`silkrail.routing.emissions`)."""
    co2e_basis: str | None = None  # curated, or default where a section's traction is unknown
    co2e_factors: tuple[str, ...] = ()  # the factors used: emissions.yaml ids, interoperability records
    electric_km: float | None = None  # rail: km under electric traction (a default share counted)

    @property
    def coordinates(self) -> list[tuple[float, float]]:
        """(lon, lat) of the leg's track."""
        return list(map(tuple, self.geometry.tolist()))

    @property
    def line(self) -> shapely.LineString:
        """The track as a shapely LineString (empty where the leg has no track)."""
        from shapely import LineString

        return LineString(self.geometry) if len(self.geometry) > 1 else LineString()

    def to_dict(self, *, geometry: bool = False) -> JsonObject:
        """The leg as JSON; with ``geometry``, its track as a GeoJSON LineString (lon, lat in
        WGS 84, rounded to 5 decimals: about 1 m)."""
        out: JsonObject = {
                "mode": self.mode,
                "from": self.from_,
                "to": self.to,
                "distance_km": round(self.distance_km, 1),
                "duration_h": round(self.duration_h, 2),
                "duration_h_range": [round(x, 2) for x in self.duration_h_range],
                "gauge_mm": self.gauge_mm,
                "countries": self.countries,
                "service": self.service,
                "trip": self.trip,
                "basis": self.basis,
                "cost_usd": round(self.cost_usd, 2),
                "cost_usd_range": [round(x, 2) for x in self.cost_usd_range],
                "co2_kg": round(self.co2_kg, 1),
                "co2_kg_range": [round(x, 1) for x in self.co2_kg_range],
            }
        out |= ({"line_class": self.line_class} if self.line_class else {}) | (
            {"record": self.record} if self.record else {}
        )
        if self.co2e_wtw_kg is not None and self.co2e_ttw_kg is not None:
            out |= {
                "co2e_wtw_kg": round(self.co2e_wtw_kg, 1),
                "co2e_ttw_kg": round(self.co2e_ttw_kg, 1),
                "co2e_basis": self.co2e_basis,
                "co2e_factors": list(self.co2e_factors),
            }
            if self.electric_km is not None:
                out |= {"electric_km": round(self.electric_km, 1)}
        return out | ({"geometry": line_string(self.geometry)} if geometry else {})

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(arbitrary_types_allowed=True)  # the arrays

    @classmethod
    def from_dict(cls, doc: Mapping[str, object]) -> Leg:
        """A leg read back from its JSON (without the network's edges and nodes)."""
        track = _TrackJson.model_validate(doc.get("geometry") or {})
        fields = {k: v for k, v in doc.items() if k not in ("from", "geometry")} | {"from_": doc.get("from")}
        leg = _read(Leg, _none_is_default(fields, "co2e_factors", *_RANGES))
        return dataclasses.replace(leg, geometry=np.asarray(track.coordinates, np.float64).reshape(-1, 2))


@dataclass(frozen=True)
class Event:
    kind: str  # border_crossing | gauge_change | port_transfer | ferry | terminal | stop, and OFF_TRAIN
    at: str
    lat: float
    lon: float
    from_country: str
    to_country: str
    from_gauge_mm: int | None
    to_gauge_mm: int | None
    duration_h: float
    cost_usd: float
    crossing_id: str | None = None
    note: str | None = None
    basis: str = "modelled"
    record: str | None = None
    duration_h_range: tuple[float, float] | None = None

    def to_dict(self) -> JsonObject:
        rng = self.duration_h_range
        extra: JsonObject = ({"note": self.note} if self.note else {}) | (
            {} if rng is None else {"duration_h_range": [round(x, 2) for x in rng]}
        )
        return extra | {
            "kind": self.kind,
            "at": self.at,
            "lat": round(self.lat, 4),
            "lon": round(self.lon, 4),
            "from_country": self.from_country,
            "to_country": self.to_country,
            "from_gauge_mm": self.from_gauge_mm,
            "to_gauge_mm": self.to_gauge_mm,
            "duration_h": round(self.duration_h, 2),
            "cost_usd": round(self.cost_usd, 2),
            "crossing_id": self.crossing_id,
            "basis": self.basis,
            "record": self.record,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, object]) -> Event:
        """An event read back from its JSON."""
        return _read(Event, doc)


@dataclass(frozen=True)
class ScheduledService:
    """The scheduled service a route's answer rides, how its time is made up, and the network
    model's time for the same two places beside it (the default answer of ``route`` where a
    service of the timetables covers the trip)."""

    id: str
    name: str
    long_name: str
    operator: str
    trip: str
    board: str  # the stops the answer boards and leaves the trip at
    alight: str
    ride_h: float  # by the timetable, departure to arrival
    expected_wait_h: float  # for the next departure, from a random moment
    departures_per_week: float
    boarding_h: float  # the timetable's minimum time to board
    booking_h: float = 0.0  # the booking lead time before a departure, where published
    consolidation_h: float = 0.0  # collecting a load before it leaves, where published
    modelled_duration_h: float | None = None  # the network model's time, the same places (None: no route)
    modelled_duration_h_range: tuple[float, float] | None = None
    source: tuple[str, ...] = ()
    as_of: str = ""
    published: bool = True  # False: one end's time is estimated along the timed route

    def to_dict(self) -> JsonObject:
        return {
            "id": self.id,
            "name": self.name,
            "long_name": self.long_name,
            "operator": self.operator,
            "trip": self.trip,
            "board": self.board,
            "alight": self.alight,
            "ride_h": round(self.ride_h, 2),
            "expected_wait_h": round(self.expected_wait_h, 2),
            "departures_per_week": round(self.departures_per_week, 2),
            "boarding_h": round(self.boarding_h, 2),
            "booking_h": round(self.booking_h, 2),
            "consolidation_h": round(self.consolidation_h, 2),
            "modelled_duration_h": None
            if self.modelled_duration_h is None
            else round(self.modelled_duration_h, 2),
            "modelled_duration_h_range": None
            if self.modelled_duration_h_range is None
            else [round(x, 2) for x in self.modelled_duration_h_range],
            "published": self.published,
            "source": list(self.source),
            "as_of": self.as_of,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, object]) -> ScheduledService:
        """The service of a route read back from its JSON."""
        optional = ("booking_h", "consolidation_h", "source", "as_of")
        return _read(ScheduledService, _none_is_default(doc, *optional))


@dataclass(frozen=True)
class Route:
    origin: Place
    destination: Place
    objective: str
    teu: float
    distance_km: float
    duration_h: float
    cost_usd: float
    co2_kg: float
    countries: list[str]
    legs: list[Leg]
    events: list[Event]
    label: str | None = None
    alternatives: list[Route] = field(default_factory=list)
    alternatives_note: str | None = None  # why there are fewer alternatives than asked for
    origin_access: Access | None = None  # the access point used, where it lies a few km away
    destination_access: Access | None = None
    duration_h_range: tuple[float, float] = (0.0, 0.0)
    cost_usd_range: tuple[float, float] = (0.0, 0.0)
    co2_kg_range: tuple[float, float] = (0.0, 0.0)
    co2_basis: str = "well-to-wheel"
    components: dict[str, float] = field(default_factory=dict)
    crossing_ids: frozenset[int] = field(default_factory=frozenset, repr=False)
    arcs: NDArray[np.int64] = field(
        default_factory=lambda: np.empty(0, np.int64), repr=False, compare=False
    )  # the state-graph path the route was priced from
    traffic: str = "container"  # the traffic type it was priced for (passenger: per passenger)
    train: TrainClass = "standard"  # the train's category its running time is for
    service: ScheduledService | None = None  # the scheduled service the answer rides, if any
    customs_borders: int = 0
    """Crossings between customs territories (not inside the EU or the Eurasian Economic Union),
    ferries between two territories, and sea legs (see :mod:`silkrail.routing.generalised`)."""
    transshipments: int = 0
    """Changes of gauge, transfers between rail and ship, ferry crossings."""
    generalised_read: float | None = field(default=None, repr=False, compare=False)
    """The generalised cost a route read back from JSON said (its figures there are rounded)."""

    @property
    def generalised_usd(self) -> float | None:
        """The generalised cost per TEU (the default objective's value) under the package's
        weights, of the route's figures as they stand (a scheduled service's door-to-door time
        too); a route read back from JSON: the figure its JSON gave; None for passengers."""
        if self.traffic == "passenger":
            return None
        if self.generalised_read is not None:
            return self.generalised_read
        from silkrail.routing.generalised import generalised_usd

        return generalised_usd(self)

    @property
    def train_h(self) -> float:
        """Planned hours from the train's departure to its arrival: the duration without the
        terminal time at the ends (handling, formation, waiting for the departure)."""
        return self.duration_h - sum(e.duration_h for e in self.events if e.kind in OFF_TRAIN)

    @property
    def gauge_changes(self) -> list[Event]:
        return [e for e in self.events if e.kind == "gauge_change"]

    @property
    def border_crossings(self) -> list[Event]:
        return [e for e in self.events if e.kind == "border_crossing"]

    @property
    def modes(self) -> set[str]:
        return {leg.mode for leg in self.legs}

    @property
    def co2e_wtw_kg(self) -> float | None:
        """The legs' CO2e well-to-wheel, summed (None where a leg has none)."""
        return _leg_sum([leg.co2e_wtw_kg for leg in self.legs])

    @property
    def co2e_ttw_kg(self) -> float | None:
        """The legs' CO2e tank-to-wheel, summed (None where a leg has none)."""
        return _leg_sum([leg.co2e_ttw_kg for leg in self.legs])

    def __repr__(self) -> str:
        label = f" ({self.label})" if self.label else ""
        return (
            f"<Route {self.origin.name} → {self.destination.name}{label}: {self.distance_km:,.0f} km, "
            f"{self.duration_h:,.1f} h, US${self.cost_usd:,.0f}, {self.co2_kg:,.0f} kg CO2 "
            f"for {self.teu:g} TEU; "
            f"{len(self.legs)} legs, {len(self.events)} events, {len(self.alternatives)} alternatives>"
        )

    def _repr_html_(self) -> str:
        """The route as a notebook shows it: its totals, then its legs and events."""
        lo, hi = self.duration_h_range
        head = (
            f"<b>{_h(self.origin.name)} → {_h(self.destination.name)}</b>"
            f"{f' ({_h(self.label)})' if self.label else ''}: {self.distance_km:,.0f} km, "
            f"{self.duration_h:,.1f} h ({lo:,.1f}–{hi:,.1f}), US${self.cost_usd:,.0f}, "
            f"{self.co2_kg:,.0f} kg CO2 for {self.teu:g} TEU; via {' → '.join(self.countries)}"
        )
        legs = _html_table(
            ("mode", "from", "to", "km", "hours", "gauge mm", "countries", "basis"),
            [
                (
                    g.mode,
                    g.from_,
                    g.to,
                    f"{g.distance_km:,.0f}",
                    f"{g.duration_h:,.1f}",
                    g.gauge_mm or "–",
                    ", ".join(g.countries),
                    g.basis,
                )
                for g in self.legs
            ],
        )
        events = _html_table(
            ("event", "at", "countries", "hours", "USD", "basis"),
            [
                (
                    e.kind.replace("_", " "),
                    e.at,
                    f"{e.from_country} → {e.to_country}",
                    f"{e.duration_h:,.1f}",
                    f"{e.cost_usd:,.0f}",
                    e.basis,
                )
                for e in self.events
            ],
        )
        return f"<div>{head}{legs}{events}</div>"

    def to_dict(self, *, geometry: bool = False) -> JsonObject:
        """The route as JSON (the contract of ``silkrail route --json``); with ``geometry``, each
        leg's track as a GeoJSON LineString (the HTTP API's answer)."""
        legs = self.legs
        shown = [(g.co2e_wtw_kg, g.co2e_ttw_kg) for g in legs]
        co2e: JsonObject = (  # the legs' figures as shown, summed
            {
                "co2e_wtw_kg": round(sum(round(w, 1) for w, _ in shown if w is not None), 1),
                "co2e_ttw_kg": round(sum(round(t, 1) for _, t in shown if t is not None), 1),
            }
            if legs and all(w is not None and t is not None for w, t in shown)
            else {}
        )
        generalised = self.generalised_usd
        duration = round(self.duration_h, 2)
        # train_h from the figures as shown (0.01 h), so a route read back from its JSON gives the same
        off_train = sum(round(e.duration_h, 2) for e in self.events if e.kind in OFF_TRAIN)
        out: JsonObject = {
            "origin": _end(self.origin, self.origin_access),
            "destination": _end(self.destination, self.destination_access),
            "objective": self.objective,
            "traffic": self.traffic,
            "teu": self.teu,
            "distance_km": round(self.distance_km, 1),
            "duration_h": duration,
            "duration_h_range": [round(x, 2) for x in self.duration_h_range],
            "transit_h": round(duration - off_train, 2),
            "cost_usd": round(self.cost_usd, 2),
            "cost_usd_range": [round(x, 2) for x in self.cost_usd_range],
            "co2_kg": round(self.co2_kg, 1),
            "co2_kg_range": [round(x, 1) for x in self.co2_kg_range],
            "co2_basis": self.co2_basis,
            "countries": self.countries,
            "customs_borders": self.customs_borders,
            "transshipments": self.transshipments,
            "legs": [leg.to_dict(geometry=geometry) for leg in self.legs],
            "events": [e.to_dict() for e in self.events],
            "alternatives": [a.to_dict(geometry=geometry) for a in self.alternatives],
        }
        return (
            out
            | co2e
            | ({} if generalised is None else {"generalised_usd": round(generalised, 2)})
            | ({"label": self.label} if self.label else {})
            | ({"train": self.train} if self.train != "standard" else {})
            | ({"alternatives_note": self.alternatives_note} if self.alternatives_note else {})
            | ({} if self.service is None else {"service": self.service.to_dict()})
        )

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(arbitrary_types_allowed=True)  # the arrays

    @classmethod
    def from_dict(cls, doc: Mapping[str, object]) -> Route:
        """A route read back from its JSON (``to_dict``, the HTTP API's answer): the same
        totals, legs (with their tracks where the JSON has them) and events; what only the
        network it was routed on knows (state-graph arcs, node numbers) is left empty."""
        parts = _RouteParts.model_validate(doc)
        countries = parts.countries
        scalars = {k: v for k, v in doc.items() if k not in _RouteParts.model_fields or k == "countries"}
        return _read(
            Route,
            _none_is_default(scalars, *_RANGES)
            | {
                "generalised_read": parts.generalised_usd,
                "service": None if parts.service is None else ScheduledService.from_dict(parts.service),
                "origin": parts.origin.place(countries[0] if countries else ""),
                "destination": parts.destination.place(countries[-1] if countries else ""),
                "origin_access": parts.origin.access_point(),
                "destination_access": parts.destination.access_point(),
                "legs": [Leg.from_dict(x) for x in parts.legs],
                "events": [Event.from_dict(x) for x in parts.events],
                "alternatives": [Route.from_dict(x) for x in parts.alternatives],
            },
        )

    def to_geojson(self) -> JsonObject:
        """Legs as LineStrings (mode, gauge, countries) and events as Points."""
        legs: list[JsonValue] = [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [list(c) for c in leg.coordinates]},
                "properties": {"feature": "leg", **leg.to_dict()},
            }
            for leg in self.legs
        ]
        events: list[JsonValue] = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [e.lon, e.lat]},
                "properties": {"feature": "event", **e.to_dict()},
            }
            for e in self.events
        ]
        feats = legs + events
        return {
            "type": "FeatureCollection",
            "features": feats,
            "properties": {
                k: v for k, v in self.to_dict().items() if k not in ("legs", "events", "alternatives")
            }
            | {"attribution": ATTRIBUTION},
        }

    def to_gdf(self, what: str = "legs") -> geopandas.GeoDataFrame:
        """The legs (LineStrings) or the events (Points) as a GeoDataFrame in WGS 84; lists
        become comma-separated text and ranges low/high columns, so every file format holds
        them."""
        gpd = frames.geopandas("Route.to_gdf")
        from shapely import Point

        if what == "legs":
            rows = [_flat(leg.to_dict()) for leg in self.legs]
            geoms = [leg.line for leg in self.legs]
        elif what == "events":
            rows = [_flat(e.to_dict()) for e in self.events]
            geoms = [Point(e.lon, e.lat) for e in self.events]
        else:
            raise DataError(f"'{what}' is not a part of a route; use legs or events", field="what")
        return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)

    def to_file(self, path: str | Path) -> Path:
        """Write the route by the file's suffix: GeoParquet (``.parquet``, ``.geoparquet``: the
        legs), GeoPackage (``.gpkg``: layers ``legs`` and ``events``) or GeoJSON."""
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix not in GEO_SUFFIXES:
            raise DataError(
                f"cannot write a route to '{p.name}': give a file ending in {', '.join(GEO_SUFFIXES)}",
                field="path",
            )
        if suffix == ".geojson":
            p.write_text(json.dumps(self.to_geojson()))
        elif suffix == ".gpkg":
            self.to_gdf("legs").to_file(p, layer="legs", driver="GPKG")
            self.to_gdf("events").to_file(p, layer="events", driver="GPKG")
        else:
            self.to_gdf("legs").to_parquet(p)
        return p


@dataclass(frozen=True)
class OdMatrix:
    """Totals for every origin-destination pair (rows: origins, columns: destinations; NaN
    where no route). Money and CO2 are for :attr:`teu` TEU; ranges are 10th-90th percentiles
    (last axis: low, high)."""

    origins: list[str]
    destinations: list[str]
    objective: str
    teu: float
    duration_h: NDArray[np.float64] = field(compare=False)
    cost_usd: NDArray[np.float64] = field(compare=False)
    co2_kg: NDArray[np.float64] = field(compare=False)
    distance_km: NDArray[np.float64] = field(compare=False)
    duration_h_range: NDArray[np.float64] = field(compare=False)
    cost_usd_range: NDArray[np.float64] = field(compare=False)
    co2_kg_range: NDArray[np.float64] = field(compare=False)
    origin_lonlat: NDArray[np.float64] = field(default_factory=_no_coords, repr=False, compare=False)
    destination_lonlat: NDArray[np.float64] = field(default_factory=_no_coords, repr=False, compare=False)

    VALUES = ("duration_h", "cost_usd", "co2_kg", "distance_km")
    RANGES = ("duration_h_range", "cost_usd_range", "co2_kg_range")

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.origins), len(self.destinations)

    def __repr__(self) -> str:
        n_o, n_d = self.shape
        found = int(np.isfinite(self.duration_h).sum())
        return (
            f"<OdMatrix {n_o} × {n_d} ({found} pairs with a route), objective {self.objective}, "
            f"{self.teu:g} TEU>"
        )

    def _repr_html_(self) -> str:
        """The durations as a table (hours; – where no route), origins down, destinations across."""
        rows = [
            (o, *("–" if np.isnan(x) else f"{x:,.1f}" for x in self.duration_h[i]))
            for i, o in enumerate(self.origins)
        ]
        title = f"<b>hours by route</b> (objective {_h(self.objective)}, {self.teu:g} TEU)"
        table = _html_table(("from / to", *self.destinations), rows)
        return f"<div>{title}{table}</div>"

    @classmethod
    def from_dict(cls, doc: Mapping[str, object]) -> OdMatrix:
        """A matrix read back from its JSON (``to_dict``, the HTTP API's answer); null is NaN."""
        m = _OdJson.model_validate(doc)

        def array(cells: Sequence[object]) -> NDArray[np.float64]:
            return np.array(cells, dtype=np.float64)  # None becomes NaN

        return cls(
            m.origins,
            m.destinations,
            m.objective,
            m.teu,
            *(array(cells) for cells in (m.duration_h, m.cost_usd, m.co2_kg, m.distance_km)),
            *(array(cells) for cells in (m.duration_h_range, m.cost_usd_range, m.co2_kg_range)),
        )

    def to_frame(self, value: str = "duration_h") -> pandas.DataFrame:
        """One value as a wide table: origins as the index, destinations as the columns."""
        pd = frames.pandas("OdMatrix.to_frame")
        if value not in self.VALUES:
            raise DataError(
                f"'{value}' is not a value of the matrix; use {', '.join(self.VALUES)}", field="value"
            )
        frame = pd.DataFrame(getattr(self, value), index=self.origins, columns=self.destinations)
        frame.index.name, frame.columns.name = "from", "to"
        return frame

    def to_long(self) -> pandas.DataFrame:
        """One row per pair: ``from``, ``to``, then every value and its range's ``_low`` and
        ``_high`` (the layout of r5py's travel-time matrices)."""
        pd = frames.pandas("OdMatrix.to_long")
        n_o, n_d = self.shape
        cols: dict[str, NDArray[np.float64] | NDArray[np.object_]] = {
            "from": np.repeat(np.array(self.origins, dtype=object), n_d),
            "to": np.tile(np.array(self.destinations, dtype=object), n_o),
        }
        for name in self.VALUES:
            cols[name] = getattr(self, name).reshape(-1)
            rng = f"{name}_range"
            if rng in self.RANGES:
                r = getattr(self, rng).reshape(-1, 2)
                cols[f"{name}_low"], cols[f"{name}_high"] = r[:, 0], r[:, 1]
        return pd.DataFrame(cols)

    def to_gdf(self) -> geopandas.GeoDataFrame:
        """The long form with a straight line from each origin to each destination (desire
        lines, for maps of the matrix; not the routes' tracks)."""
        gpd = frames.geopandas("OdMatrix.to_gdf")
        from shapely import LineString

        n_o, n_d = self.shape
        lines = [
            LineString([self.origin_lonlat[i], self.destination_lonlat[j]])
            for i in range(n_o)
            for j in range(n_d)
        ]
        return gpd.GeoDataFrame(self.to_long(), geometry=lines, crs=CRS)

    def to_dict(self) -> JsonObject:
        """Plain lists (None where no route), for JSON."""

        def cells(a: NDArray[np.float64]) -> JsonValue:
            out = a.astype(object)
            out[np.isnan(a)] = None
            values: list[JsonValue] = out.tolist()
            return values

        head: JsonObject = {
            "origins": self.origins,
            "destinations": self.destinations,
            "objective": self.objective,
            "teu": self.teu,
        }
        return head | {name: cells(getattr(self, name)) for name in (*self.VALUES, *self.RANGES)}


def _leg_sum(values: list[float | None]) -> float | None:
    """The sum of the legs' figures; None where there is no leg or one lacks it."""
    if not values or any(v is None for v in values):
        return None
    return float(sum(v for v in values if v is not None))


def _flat(props: JsonObject) -> JsonObject:
    """Properties a file format can hold: lists as text, (low, high) pairs as two columns."""
    out: JsonObject = {}
    for k, v in props.items():
        if k.endswith("_range") and isinstance(v, list):
            low, high = v
            out |= {f"{k.removesuffix('_range')}_low": low, f"{k.removesuffix('_range')}_high": high}
        elif isinstance(v, list):
            out |= {k: ",".join(map(str, v))}
        else:
            out |= {k: v}
    return out


def _end(p: Place, access: Access | None) -> JsonObject:
    out: JsonObject = {"name": p.name, "lat": round(p.lat, 4), "lon": round(p.lon, 4)}
    note: JsonObject = {"note": p.note} if p.note else {}
    return out | note | ({} if access is None else {"access": access.to_dict()})


def line_string(coords: NDArray[np.float64]) -> JsonObject:
    """A track as a GeoJSON LineString: (lon, lat) in WGS 84, rounded to 5 decimals (about 1 m)."""
    rounded: list[JsonValue] = np.round(coords, 5).tolist()
    return {"type": "LineString", "coordinates": rounded}


_RANGES = ("duration_h_range", "cost_usd_range", "co2_kg_range")
T = TypeVar("T")


def _read(cls: type[T], doc: Mapping[str, object]) -> T:
    """A record of ``cls`` from its JSON, by the dataclass's own fields (one declaration of the
    names, not a copy): pydantic checks each value's type; keys the record lacks are left out."""
    return TypeAdapter(cls).validate_python(dict(doc))


def _none_is_default(doc: Mapping[str, object], *keys: str) -> dict[str, object]:
    """``doc`` without the ``keys`` it gives as null (the record's default applies)."""
    return {k: v for k, v in doc.items() if not (k in keys and v is None)}


class _TrackJson(BaseModel):
    """A leg's track as GeoJSON gives it."""

    coordinates: list[list[float]] = []


class _AccessJson(BaseModel):
    mode: str
    name: str
    km: float = 0.0


class _EndJson(BaseModel):
    """An end of a route as its JSON gives it: a place without a node of this network."""

    name: str = ""
    lat: float = 0.0
    lon: float = 0.0
    note: str | None = None
    access: _AccessJson | None = None

    def place(self, country: str) -> Place:
        return Place(self.name, self.lat, self.lon, -1, "point", country, note=self.note)

    def access_point(self) -> Access | None:
        a = self.access
        return None if a is None else Access(a.mode, -1, a.name, a.km)


class _RouteParts(BaseModel):
    """The parts of a route's JSON that are not fields of :class:`Route` as they stand."""

    origin: _EndJson = _EndJson()
    destination: _EndJson = _EndJson()
    countries: list[str] = []
    legs: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    alternatives: list[dict[str, object]] = []
    service: dict[str, object] | None = None
    generalised_usd: float | None = None


class _OdJson(BaseModel):
    """An origin-destination matrix as its JSON gives it (null where no route)."""

    origins: list[str]
    destinations: list[str]
    objective: str
    teu: float
    duration_h: list[list[float | None]]
    cost_usd: list[list[float | None]]
    co2_kg: list[list[float | None]]
    distance_km: list[list[float | None]]
    duration_h_range: list[list[list[float | None]]]
    cost_usd_range: list[list[list[float | None]]]
    co2_kg_range: list[list[list[float | None]]]


def _h(text: object) -> str:
    import html

    return html.escape(str(text))


def _html_table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{_h(c)}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{_h(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

"""The service's own answers (health, routing), declared once: the OpenAPI document's schemas
and the Python client's typed records (the tracking payloads live in ``tracking.model``). A
route is the JSON that ``silkrail route --json`` prints; these models describe it (and keep any
field a newer service adds)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints

MAX_OD_PLACES = 50  # origins, and destinations, in one matrix request
MIN_TEU = 0.01  # a smaller cargo is a rounding error, and its ranges underflow
MAX_AVOID = 30  # countries a query may avoid
PlaceName = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)


class ReadPoolState(_Record):
    """The heavy reads' pool of this process."""

    workers: int
    running: int
    waiting: int
    done: int = Field(description="jobs run to their end")
    refused: int = Field(description="refused at once: the client's cap, or the queue full")
    dropped: int = Field(description="never run: the client went while they waited")
    expired: int = Field(description="past their deadline, waiting or running (then stopped)")


class Health(_Record):
    status: str = Field(description="ok, or starting while the database and read workers start")
    streams: int = Field(description="this process's open WebSocket streams")
    reads: ReadPoolState | None = Field(default=None, description="the heavy reads' pool")


class Ready(_Record):
    status: str


class RouteAccess(_Record):
    mode: str
    name: str
    km: float


class RouteEnd(_Record):
    """An end of a route: the place asked for, and the access point used when it lies away."""

    name: str
    lat: float
    lon: float
    note: str | None = None
    access: RouteAccess | None = None


class LineString(_Record):
    """A track as GeoJSON: (lon, lat) positions in WGS 84, rounded to 5 decimals (about 1 m)."""

    type: Literal["LineString"]
    coordinates: list[list[float]]


class RouteLeg(_Record):
    mode: str
    from_: str = Field(alias="from")
    to: str
    distance_km: float
    duration_h: float
    gauge_mm: int | None
    countries: list[str]
    basis: str
    record: str | None = None
    service: str | None = Field(default=None, description="the scheduled service that runs the leg")
    trip: str | None = Field(default=None, description="its trip (GTFS trip_id)")
    geometry: LineString | None = Field(
        default=None, description="the leg's track (left out when the request says geometry=false)"
    )


class RouteEvent(_Record):
    """A terminal, border crossing, gauge change, port transfer or ferry on the route."""

    kind: str
    at: str
    lat: float
    lon: float
    from_country: str
    to_country: str
    from_gauge_mm: int | None
    to_gauge_mm: int | None
    duration_h: float
    cost_usd: float
    crossing_id: str | None
    basis: str
    record: str | None
    note: str | None = None
    duration_h_range: list[float] | None = None


class RouteService(_Record):
    """The scheduled service a route's answer rides, and which figure is which: the timetable's
    ride, the expected wait for a departure, boarding, booking and consolidation lead times where
    published, and the network model's time for the same places."""

    id: str
    name: str
    long_name: str
    operator: str
    trip: str
    board: str
    alight: str
    ride_h: float
    expected_wait_h: float
    departures_per_week: float
    boarding_h: float
    booking_h: float
    consolidation_h: float
    modelled_duration_h: float | None
    modelled_duration_h_range: list[float] | None
    published: bool
    source: list[str]
    as_of: str


class Route(_Record):
    """One route: totals with their 10th-90th percentile ranges, legs, events, alternatives;
    ``service`` where a scheduled service answers."""

    origin: RouteEnd
    destination: RouteEnd
    objective: str
    teu: float
    distance_km: float
    duration_h: float
    duration_h_range: list[float]
    transit_h: float | None = Field(
        default=None,
        description="hours from the train's (or ship's) departure to its arrival: duration_h without "
        "the time at the terminals, booking, consolidation, boarding and the wait for a departure "
        "(what a published transit time quotes)",
    )
    cost_usd: float
    cost_usd_range: list[float]
    co2_kg: float
    co2_kg_range: list[float]
    co2_basis: str
    countries: list[str]
    customs_borders: int = Field(
        default=0, description="crossings between customs territories, ferries between two, sea legs"
    )
    transshipments: int = Field(
        default=0, description="changes of gauge, transfers between rail and ship, ferry crossings"
    )
    generalised_usd: float | None = Field(
        default=None,
        description="the generalised cost per TEU (value of time x hours + money + the penalties per "
        "customs border and transshipment), the default objective's value; freight only",
    )
    legs: list[RouteLeg]
    events: list[RouteEvent]
    alternatives: list[Route]
    label: str | None = None
    alternatives_note: str | None = Field(
        default=None, description="why there are fewer alternatives than asked for, when there are"
    )
    service: RouteService | None = None
    train: Literal["standard", "express", "stopping"] = Field(
        default="standard",
        description="the train's category the running time is for (express, stopping; standard when absent)",
    )


class JourneyLeg(_Record):
    """A leg of a journey in time: a scheduled trip (``basis`` timetable) or the network model's
    leg between them (``basis`` modelled), with the wait for its departure."""

    mode: str
    from_: str = Field(alias="from")
    to: str
    departure: str = Field(description="ISO 8601 with the UTC offset of the timetable")
    arrival: str = Field(description="ISO 8601 with the UTC offset of the timetable")
    duration_h: float
    wait_h: float = Field(description="waiting for this leg's departure")
    distance_km: float
    gauge_mm: int | None
    countries: list[str]
    service: str | None = Field(default=None, description="the scheduled service (GTFS route_id)")
    trip: str | None = Field(default=None, description="its trip (GTFS trip_id)")
    basis: str = Field(description="timetable or modelled")


class Journey(_Record):
    """A route in time (``depart=`` or ``arrive=``): when it leaves and arrives, each leg's service
    and trip, waits included; the JSON of ``silkrail route --depart/--arrive --json``. A journey
    carries no tracks."""

    origin: RouteEnd
    destination: RouteEnd
    objective: Literal["time"]
    traffic: str
    teu: float
    departure: str
    arrival: str
    distance_km: float
    duration_h: float
    duration_h_range: list[float]
    cost_usd: float
    cost_usd_range: list[float]
    co2_kg: float
    co2_kg_range: list[float]
    countries: list[str]
    legs: list[JourneyLeg]
    events: list[RouteEvent]
    alternatives: list[Route] = Field(description="always empty: a journey is the earliest arrival")


class Comparison(_Record):
    """The best rail, sea and rail+sea options (``label``), those that exist."""

    options: list[Route]


class ODRequest(BaseModel):
    """A matrix request: every origin to every destination, with the route options."""

    model_config = ConfigDict(extra="forbid")

    origins: list[PlaceName] = Field(min_length=1, max_length=MAX_OD_PLACES)
    destinations: list[PlaceName] = Field(min_length=1, max_length=MAX_OD_PLACES)
    objective: Literal["generalised", "time", "cost", "co2"] | None = Field(
        default=None,
        validation_alias=AliasChoices("objective", "optimize"),
        description="what each route minimises, per TEU (also accepted as 'optimize', the name of "
        "the routes' query parameter); default: generalised for freight, time for passengers",
    )
    mode: Literal["rail", "sea", "any"] = Field(default="any", description="what the routes may use")
    traffic: Literal["passenger", "freight", "any"] = Field(
        default="any", description="the services the routes may use"
    )
    train: Literal["standard", "express", "stopping"] | None = Field(
        default=None,
        description="the train's category: express, standard, or stopping (passenger trains only); "
        "none named: priced as standard, any scheduled service answers",
    )
    teu: float = Field(default=1.0, ge=MIN_TEU, le=1e6, allow_inf_nan=False, description="cargo in TEU")
    year: int | None = Field(default=None, ge=1, le=9999, description="the network as of this year")
    avoid: str | list[Annotated[str, StringConstraints(max_length=3 * MAX_AVOID)]] = Field(
        default="",
        max_length=3 * MAX_AVOID,
        description="ISO country codes to avoid: a list, or comma-separated",
    )


Cell = float | None  # None: no route between the pair
Span = list[Cell]


class ODMatrix(_Record):
    """Totals for every pair, row ``i`` for origin ``i`` and column ``j`` for destination ``j``
    (null: no route); ranges are [10th, 90th] percentile pairs."""

    origins: list[str]
    destinations: list[str]
    objective: str
    teu: float
    duration_h: list[list[Cell]]
    cost_usd: list[list[Cell]]
    co2_kg: list[list[Cell]]
    distance_km: list[list[Cell]]
    duration_h_range: list[list[Span]]
    cost_usd_range: list[list[Span]]
    co2_kg_range: list[list[Span]]

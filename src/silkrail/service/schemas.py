"""The service's own answers (health, routing), declared once: the OpenAPI document's schemas
and the Python client's typed records (the tracking payloads live in ``tracking.model``). A
route is the JSON that ``silkrail route --json`` prints; these models describe it (and keep any
field a newer service adds)."""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

MAX_OD_PLACES = 50  # origins, and destinations, in one matrix request


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)


class Health(_Record):
    status: str = Field(description="ok, or starting while the database and network load")
    streams: int = Field(description="this process's open WebSocket streams")


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


class Route(_Record):
    """One route: totals with their 10th-90th percentile ranges, legs, events, alternatives."""

    origin: RouteEnd
    destination: RouteEnd
    objective: str
    teu: float
    distance_km: float
    duration_h: float
    duration_h_range: list[float]
    cost_usd: float
    cost_usd_range: list[float]
    co2_kg: float
    co2_kg_range: list[float]
    co2_basis: str
    countries: list[str]
    legs: list[RouteLeg]
    events: list[RouteEvent]
    alternatives: list[Route]
    label: str | None = None


class Comparison(_Record):
    """The best rail, sea and rail+sea options (``label``), those that exist."""

    options: list[Route]


class ODRequest(BaseModel):
    """A matrix request: every origin to every destination, with the route options."""

    model_config = ConfigDict(extra="forbid")

    origins: list[str] = Field(min_length=1, max_length=MAX_OD_PLACES)
    destinations: list[str] = Field(min_length=1, max_length=MAX_OD_PLACES)
    objective: str = Field(
        default="time",
        validation_alias=AliasChoices("objective", "optimize"),
        description="time, cost or co2 (also accepted as 'optimize', the query parameter's name)",
    )
    mode: str = Field(default="any", description="rail, sea or any")
    teu: float = Field(default=1.0, gt=0, le=1e6, allow_inf_nan=False, description="cargo in TEU")
    year: int | None = Field(default=None, description="the network as of this year")
    avoid: str = Field(default="", description="ISO country codes to avoid, comma-separated")
    traffic: str = Field(
        default="any", description="freight (a shipment; 'any' is the same) or passenger (a traveller)"
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

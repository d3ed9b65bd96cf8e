"""Routing over HTTP: a route, the rail/sea/rail+sea comparison, and OD matrices.

``/route`` and ``/compare`` take the options of ``silkrail route`` and ``silkrail compare`` as
query parameters and answer the JSON those commands print with ``--json`` (the same library
calls, the same ``to_dict``), each leg with its track as a GeoJSON LineString unless
``geometry=false``. Enumerated parameters are enums of the OpenAPI document; ``avoid`` is
repeated (``avoid=KZ&avoid=MN``) or comma-joined. Every answer is validated and serialised by
FastAPI against its declared model. ``POST /od`` only reads: it needs no token.

Each is a heavy read: the handler checks the options (a RouteQuery; a 422 naming the parameter)
and hands the query to a job in the service's read pool (``service.pool``), where the places are
resolved and the routes found, on a network and router loaded once per worker."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import JsonValue, StringConstraints

from silkrail.errors import DataError, UnknownPlaceError
from silkrail.routing.query import (
    FIRST_SCHEDULE_YEAR,
    MAX_ALTERNATIVES,
    MAX_PLACE_CHARS,
    MAX_TEU,
    RouteOptions,
    RouteQuery,
)
from silkrail.service.errors import HEAVY, responses
from silkrail.service.pool import Answer, Job, ReadContext, run_heavy
from silkrail.service.schemas import MAX_AVOID, MIN_TEU, Comparison, Journey, ODMatrix, ODRequest, Route

if TYPE_CHECKING:
    from silkrail.routing.places import Place as PlaceRecord
    from silkrail.routing.results import OdMatrix
    from silkrail.routing.router import Router

router = APIRouter(prefix="/api/v1", tags=["routing"])

Place = Annotated[
    str,
    Query(
        min_length=1, max_length=MAX_PLACE_CHARS, description="place name, station, UN/LOCODE or 'lat,lon'"
    ),
]
Optimize = Annotated[
    Literal["generalised", "time", "cost", "co2"] | None,
    Query(
        description="what the route minimises, per TEU (the answer's 'objective'); default: generalised for "
        "freight (value of time x hours + money + a penalty per customs border and transshipment), time "
        "for passengers"
    ),
]
Mode = Annotated[
    Literal["rail", "sea", "any"],
    Query(description="what the route may use: rail (with rail ferries), sea, or both"),
]
Traffic = Annotated[
    Literal["passenger", "freight", "any"],
    Query(description="the services the route may use: passenger trains, freight trains, or either"),
]
Train = Annotated[
    Literal["standard", "express", "stopping"] | None,
    Query(
        description="the train's category: express (premium passenger trains, container expresses), "
        "standard, or stopping (passenger trains calling at most stations); a scheduled service of "
        "that category answers where one runs (default: none named, priced as standard, any service)"
    ),
]
Avoid = Annotated[
    list[Annotated[str, StringConstraints(max_length=3 * MAX_AVOID)]],
    Query(
        max_length=MAX_AVOID,
        description="an ISO 3166-1 alpha-2 country code to avoid, by land and by its waters; repeat the "
        "parameter (avoid=KZ&avoid=MN) or join codes with commas (avoid=KZ,MN)",
    ),
]
Year = Annotated[
    int | None, Query(ge=1, le=9999, description="the network as of this year (planned lines open)")
]
Teu = Annotated[
    float, Query(ge=MIN_TEU, le=MAX_TEU, allow_inf_nan=False, description=f"cargo in TEU, from {MIN_TEU}")
]
AsOf = Annotated[
    str | None,
    Query(max_length=10, description="price sea legs at the lane rates of this date (YYYY-MM-DD)"),
]
MAX_WHEN_CHARS = 40
"""The longest departure or arrival time taken (ISO 8601 with seconds, fraction and offset)."""
_WHEN = (
    "(ISO 8601 with its UTC offset, 2026-12-03T17:00+08:00, from "
    f"{FIRST_SCHEDULE_YEAR}, within the timetable's calendar)"
)
Depart = Annotated[
    str | None,
    Query(
        max_length=MAX_WHEN_CHARS,
        description=f"leave at this time: the earliest arrival by the timetable {_WHEN}",
    ),
]
Arrive = Annotated[
    str | None,
    Query(
        max_length=MAX_WHEN_CHARS,
        description=f"arrive by this time: the latest departure by the timetable {_WHEN}",
    ),
]
InlandWater = Annotated[bool, Query(description="let water legs use rivers and canals between seas")]
Geometry = Annotated[
    bool,
    Query(
        description="each leg's track as a GeoJSON LineString (lon, lat in WGS 84, 5 decimals); "
        "false leaves the tracks out"
    ),
]
ROUTE_ERRORS = responses(
    422,
    431,
    *HEAVY,
    e422="invalid options, an unknown place (the error names the closest known names) or no route",
)

FIELD_NAMES = {"objective": "optimize"}
"""The query's fields the API calls by another name."""


def _invalid(where: str, message: str) -> Answer:
    return Answer(422, {"error": f"{where}: {message}", "fields": [{"field": where, "message": message}]})


def _query(build: Callable[[], RouteQuery]) -> RouteQuery | JSONResponse:
    """The route query ``build`` makes of the request's parameters, or a 422 naming the
    parameter in the API's words (the places are resolved by the job, where the gazetteer is)."""
    try:
        return build()
    except DataError as exc:
        name = FIELD_NAMES.get(exc.field or "", exc.field or "query")
        return JSONResponse(_invalid(f"query.{name}", exc.reason).content, 422)


def _resolved(r: Router, query: RouteQuery) -> RouteQuery | Answer:
    """``query`` with both places resolved (the router uses them as they are), or a 422 naming
    the parameter whose place is unknown, with the closest known names."""
    ends: list[PlaceRecord] = []
    for name in ("origin", "destination"):
        try:
            ends.append(r.resolve(getattr(query, name)))
        except UnknownPlaceError as exc:
            return _invalid(f"query.{name}", str(exc))
    return dataclasses.replace(query, origin=ends[0], destination=ends[1])


def route_job(ctx: ReadContext, query: RouteQuery, geometry: bool) -> Answer:
    """A route (in a read worker): a covering service's answer, else the network model's."""
    from silkrail.timetable.answer import answer_route

    r = ctx.router()
    found = _resolved(r, query)
    if isinstance(found, Answer):
        return found
    return Answer(content=answer_route(r, found, feed=ctx.timetables()).to_dict(geometry=geometry))


def journey_job(ctx: ReadContext, query: RouteQuery) -> Answer:
    """A journey in time (in a read worker): the timetable where services run, the network model
    between them (``silkrail route --depart/--arrive``)."""
    from silkrail.timetable.journey import plan

    r = ctx.router()
    found = _resolved(r, query)
    if isinstance(found, Answer):
        return found
    try:
        journey = plan(r, found, feed=ctx.timetables())
    except DataError as exc:  # a time outside the timetable's calendar: the parameter's 422
        name = FIELD_NAMES.get(exc.field or "", exc.field or "query")
        return _invalid(f"query.{name}", exc.reason)
    return Answer(content=journey.to_dict())


def compare_job(ctx: ReadContext, query: RouteQuery, geometry: bool) -> Answer:
    """The rail, sea and rail+sea options (in a read worker)."""
    from silkrail.timetable.answer import answer_compare

    r = ctx.router()
    found = _resolved(r, query)
    if isinstance(found, Answer):
        return found
    options = answer_compare(r, found, feed=ctx.timetables())
    return Answer(content={"options": [o.to_dict(geometry=geometry) for o in options]})


def od_job(ctx: ReadContext, origins: list[str], destinations: list[str], options: RouteOptions) -> Answer:
    """The OD matrix (in a read worker)."""
    r = ctx.router()
    ends: list[list[PlaceRecord]] = []
    for role, names in (("origins", origins), ("destinations", destinations)):
        found: list[PlaceRecord] = []
        for i, text in enumerate(names):
            try:
                found.append(r.resolve(text))
            except UnknownPlaceError as exc:
                return _invalid(f"{role}.{i}", str(exc))
        ends.append(found)
    from silkrail.timetable.answer import answer_od

    m = answer_od(r, ends[0], ends[1], options, feed=ctx.timetables())
    return Answer(content=od_to_dict(m))


async def _answer(request: Request, job: Job, *args: object) -> object:
    """The job's content (FastAPI validates it against the operation's model), or its error."""
    answer = await run_heavy(request, job, *args)
    return answer.content if answer.status == 200 else answer.response()


@router.get(
    "/route",
    response_model=Route | Journey,
    response_model_exclude_unset=True,
    responses=ROUTE_ERRORS,
)
async def get_route(
    request: Request,
    origin: Place,
    destination: Place,
    mode: Mode = "any",
    optimize: Optimize = None,
    traffic: Traffic = "any",
    train: Train = None,
    avoid: Avoid = [],  # noqa: B006  (FastAPI copies a list default per request)
    year: Year = None,
    teu: Teu = 1.0,
    alternatives: Annotated[
        int, Query(ge=0, le=MAX_ALTERNATIVES, description="also find K routes through other corridors")
    ] = 0,
    as_of: AsOf = None,
    inland_water: InlandWater = False,
    geometry: Geometry = True,
    depart: Depart = None,
    arrive: Arrive = None,
) -> object:
    """The best route between two places, across gauges, borders and modes (``silkrail route``),
    each leg with its track. With ``depart`` or ``arrive`` (one of them): the journey in time
    (``silkrail route --depart/--arrive``), scheduled services where they run and the network
    model between them, each leg with its departure, arrival and wait; the objective is then
    time, and a journey has no alternatives and no tracks."""
    query = _query(
        lambda: RouteQuery(
            origin=origin,
            destination=destination,
            mode=mode,
            objective=optimize,
            traffic=traffic,
            train=train,
            avoid=avoid,
            year=year,
            teu=teu,
            alternatives=alternatives,
            as_of=as_of,
            inland_water=inland_water,
            depart=depart,
            arrive=arrive,
        )
    )
    if isinstance(query, JSONResponse):
        return query
    if query.scheduled:
        return await _answer(request, journey_job, query)
    return await _answer(request, route_job, query, geometry)


@router.get(
    "/compare",
    response_model=Comparison,
    response_model_exclude_unset=True,
    responses=ROUTE_ERRORS,
)
async def compare_routes(
    request: Request,
    origin: Place,
    destination: Place,
    optimize: Optimize = None,
    traffic: Traffic = "any",
    train: Train = None,
    teu: Teu = 1.0,
    year: Year = None,
    avoid: Avoid = [],  # noqa: B006
    as_of: AsOf = None,
    geometry: Geometry = True,
) -> object:
    """The best rail, sea and rail+sea options side by side (``silkrail compare``)."""
    query = _query(
        lambda: RouteQuery(
            origin=origin,
            destination=destination,
            objective=optimize,
            traffic=traffic,
            train=train,
            teu=teu,
            year=year,
            avoid=avoid,
            as_of=as_of,
        )
    )
    if isinstance(query, JSONResponse):
        return query
    return await _answer(request, compare_job, query, geometry)


@router.post(
    "/od",
    response_model=ODMatrix,
    response_model_exclude_unset=True,
    responses=responses(400, 413, 422, *HEAVY),
)
async def post_od(request: Request, body: ODRequest) -> object:
    """Totals for every origin-destination pair (one shortest-path tree per origin). A POST for
    its body's lists of places, but it only reads: no token, and bounded like the other reads
    (at most 50 origins and 50 destinations)."""
    try:
        options = RouteOptions(
            objective=body.objective,
            mode=body.mode,
            traffic=body.traffic,
            train=body.train,
            teu=body.teu,
            year=body.year,
            avoid=body.avoid,
        )
    except DataError as exc:
        where = f"body.{FIELD_NAMES.get(exc.field or '', exc.field or 'body')}"
        return _invalid(where, exc.reason).response()
    return await _answer(request, od_job, body.origins, body.destinations, options)


DIGITS = {"duration_h": 2, "cost_usd": 2, "co2_kg": 1, "distance_km": 1}


def od_to_dict(m: OdMatrix) -> dict[str, JsonValue]:
    """The matrix as JSON: nested lists, rounded as a route's totals are, null where no route."""

    def cell(x: float, digits: int) -> float | None:
        return None if math.isnan(x) else round(float(x), digits)

    out: dict[str, JsonValue] = {
        "origins": [*m.origins],
        "destinations": [*m.destinations],
        "objective": m.objective,
        "teu": m.teu,
    }
    for key, digits in DIGITS.items():
        out[key] = [[cell(x, digits) for x in row] for row in getattr(m, key).tolist()]
        if key + "_range" in m.RANGES:
            ranges = getattr(m, key + "_range").tolist()
            out[key + "_range"] = [[[cell(x, digits) for x in pair] for pair in row] for row in ranges]
    return out

"""Routing over HTTP: a route, the rail/sea/rail+sea comparison, and OD matrices.

``/route`` and ``/compare`` take the options of ``silkrail route`` and ``silkrail compare`` as
query parameters and answer the JSON those commands print with ``--json``: the same library
calls, the same ``to_dict``. The network and its router load once per process, on first use."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from silkrail.errors import DataError, UnknownPlaceError
from silkrail.routing.query import RouteOptions, RouteQuery, check_mode, check_traffic
from silkrail.service.deps import RouterDep, WriterDep
from silkrail.service.errors import responses
from silkrail.service.schemas import Comparison, ODMatrix, ODRequest, Route

if TYPE_CHECKING:
    from silkrail.routing.places import Place as PlaceRecord
    from silkrail.routing.results import OdMatrix
    from silkrail.routing.router import Router

router = APIRouter(prefix="/api/v1", tags=["routing"])

Place = Annotated[
    str, Query(min_length=1, max_length=200, description="place name, station, UN/LOCODE or 'lat,lon'")
]
Optimize = Annotated[str, Query(description="time, cost or co2")]
Mode = Annotated[str, Query(description="rail, sea or any")]
Traffic = Annotated[
    str,
    Query(
        description="the traffic asked about: freight (a shipment; 'any' is the same), or passenger "
        "(a traveller: passenger services and the passenger model)"
    ),
]
Avoid = Annotated[str, Query(max_length=200, description="ISO country codes to avoid, comma-separated")]
Year = Annotated[
    int | None, Query(ge=1, le=9999, description="the network as of this year (planned lines open)")
]
Teu = Annotated[float, Query(gt=0, le=1e6, allow_inf_nan=False, description="cargo in TEU")]
ROUTE_ERRORS = responses(
    422, e422="invalid options, an unknown place (the error names the closest known names) or no route"
)


FIELD_NAMES = {"objective": "optimize"}
"""The query's fields the API calls by another name."""


def _json(doc: dict[str, Any]) -> Response:
    """``doc`` as the CLI prints it with --json (non-ASCII names kept as they are)."""
    return Response(json.dumps(doc, ensure_ascii=False), media_type="application/json")


def _invalid(where: str, message: str) -> JSONResponse:
    body = {"error": f"{where}: {message}", "fields": [{"field": where, "message": message}]}
    return JSONResponse(body, 422)


def _query(r: Router, **given: Any) -> RouteQuery | JSONResponse:
    """The route query of the request's parameters with both places resolved (the router uses
    them as they are), or a 422 naming the parameter in the API's words."""
    try:
        query = RouteQuery(**given)
    except DataError as exc:
        name = FIELD_NAMES.get(exc.field or "", exc.field or "query")
        return _invalid(f"query.{name}", exc.reason)
    ends: list[PlaceRecord] = []
    for name in ("origin", "destination"):
        try:
            ends.append(r.resolve(getattr(query, name)))
        except UnknownPlaceError as exc:
            return _invalid(f"query.{name}", str(exc))
    return dataclasses.replace(query, origin=ends[0], destination=ends[1])


@router.get("/route", response_model=Route, responses=ROUTE_ERRORS)
def get_route(
    r: RouterDep,
    origin: Place,
    destination: Place,
    mode: Mode = "any",
    optimize: Optimize = "time",
    avoid: Avoid = "",
    year: Year = None,
    teu: Teu = 1.0,
    alternatives: Annotated[
        int, Query(ge=0, le=10, description="also find K routes through other corridors")
    ] = 0,
    as_of: Annotated[
        str | None,
        Query(max_length=10, description="price sea legs at the lane rates of this date (YYYY-MM-DD)"),
    ] = None,
    inland_water: Annotated[
        bool, Query(description="let water legs use rivers and canals between seas")
    ] = False,
    traffic: Traffic = "any",
) -> Any:
    """The best route between two places, across gauges, borders and modes (``silkrail route``):
    where a scheduled service covers the trip, its answer (``service``: the timetable's ride, the
    expected wait for a departure, the network model's time beside it)."""
    from silkrail.timetable.answer import answer_route

    query = _query(
        r,
        origin=origin,
        destination=destination,
        mode=mode,
        objective=optimize,
        traffic=traffic,
        avoid=avoid,
        year=year,
        teu=teu,
        alternatives=alternatives,
        as_of=as_of,
        inland_water=inland_water,
    )
    if isinstance(query, JSONResponse):
        return query
    return _json(answer_route(r, query).to_dict())


@router.get("/compare", response_model=Comparison, responses=ROUTE_ERRORS)
def compare_routes(
    r: RouterDep,
    origin: Place,
    destination: Place,
    optimize: Optimize = "time",
    teu: Teu = 1.0,
    year: Year = None,
    avoid: Avoid = "",
    traffic: Traffic = "any",
) -> Any:
    """The best rail, sea and rail+sea options side by side (``silkrail compare``); the rail
    option is a scheduled service's answer where one covers the trip."""
    from silkrail.timetable.answer import answer_compare

    query = _query(
        r,
        origin=origin,
        destination=destination,
        objective=optimize,
        teu=teu,
        year=year,
        avoid=avoid,
        traffic=traffic,
    )
    if isinstance(query, JSONResponse):
        return query
    return _json({"options": [o.to_dict() for o in answer_compare(r, query)]})


@router.post("/od", response_model=ODMatrix, responses=responses(400, 401, 413, 422))
def post_od(body: ODRequest, r: RouterDep, token: WriterDep) -> Any:
    """Totals for every origin-destination pair (one shortest-path tree per origin; a pair a
    scheduled service covers has that service's door-to-door figures, as ``/route`` answers). A
    POST, so it takes a bearer token like every POST: a matrix is the service's costliest
    question."""
    try:
        mode = check_mode(body.mode)
        options = RouteOptions(
            objective=body.objective,
            mode=mode,
            teu=body.teu,
            year=body.year,
            avoid=body.avoid,
            traffic=check_traffic(body.traffic),
        )
    except DataError as exc:
        return _invalid(f"body.{FIELD_NAMES.get(exc.field or '', exc.field or 'body')}", exc.reason)
    places: dict[str, list[PlaceRecord]] = {}
    for role, names in (("origins", body.origins), ("destinations", body.destinations)):
        places[role] = []
        for i, text in enumerate(names):
            try:
                places[role].append(r.resolve(text))
            except UnknownPlaceError as exc:
                return _invalid(f"{role}.{i}", str(exc))
    from silkrail.timetable.answer import answer_od

    m = answer_od(r, places["origins"], places["destinations"], options)
    return _json(od_to_dict(m))


DIGITS = {"duration_h": 2, "cost_usd": 2, "co2_kg": 1, "distance_km": 1}


def od_to_dict(m: OdMatrix) -> dict[str, Any]:
    """The matrix as JSON: nested lists, rounded as a route's totals are, null where no route."""

    def cell(x: float, digits: int) -> float | None:
        return None if math.isnan(x) else round(float(x), digits)

    out: dict[str, Any] = {"origins": m.origins, "destinations": m.destinations, "objective": m.objective,
                           "teu": m.teu}
    for key, digits in DIGITS.items():
        out[key] = [[cell(x, digits) for x in row] for row in getattr(m, key).tolist()]
        if key + "_range" in m.RANGES:
            ranges = getattr(m, key + "_range").tolist()
            out[key + "_range"] = [[[cell(x, digits) for x in pair] for pair in row] for row in ranges]
    return out

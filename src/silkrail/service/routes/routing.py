"""Routing over HTTP: a route, the rail/sea/rail+sea comparison, and OD matrices.

``/route`` and ``/compare`` take the options of ``silkrail route`` and ``silkrail compare`` as
query parameters and answer the JSON those commands print with ``--json``: the same library
calls, the same ``to_dict``. The network and its router load once per process, on first use."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from silkrail.errors import UnknownPlaceError
from silkrail.service.deps import RouterDep, WriterDep
from silkrail.service.errors import responses
from silkrail.service.schemas import Comparison, ODMatrix, ODRequest, Route

if TYPE_CHECKING:
    from silkrail.routing.results import OdMatrix

router = APIRouter(prefix="/api/v1", tags=["routing"])

Place = Annotated[
    str, Query(min_length=1, max_length=200, description="place name, station, UN/LOCODE or 'lat,lon'")
]
Optimize = Annotated[str, Query(description="time, cost or co2")]
Mode = Annotated[str, Query(description="rail, sea or any")]
Avoid = Annotated[str, Query(max_length=200, description="ISO country codes to avoid, comma-separated")]
Year = Annotated[
    int | None, Query(ge=1, le=9999, description="the network as of this year (planned lines open)")
]
Teu = Annotated[float, Query(gt=0, le=1e6, allow_inf_nan=False, description="cargo in TEU")]
ROUTE_ERRORS = responses(
    422, e422="invalid options, an unknown place (the error names the closest known names) or no route"
)


def _json(doc: dict[str, Any]) -> Response:
    """``doc`` as the CLI prints it with --json (non-ASCII names kept as they are)."""
    return Response(json.dumps(doc, ensure_ascii=False), media_type="application/json")


def _known(places: Any, **given: str) -> JSONResponse | None:
    """A 422 naming the parameter whose place is unknown, with the closest known names."""
    for name, text in given.items():
        try:
            places.resolve(text)
        except UnknownPlaceError as exc:
            return JSONResponse(
                {"error": f"{name}: {exc}", "fields": [{"field": f"query.{name}", "message": str(exc)}]}, 422
            )
    return None


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
) -> Any:
    """The best route between two places, across gauges, borders and modes (``silkrail route``)."""
    unknown = _known(r.places, origin=origin, destination=destination)
    if unknown is not None:
        return unknown
    found = r.route(
        origin,
        destination,
        objective=optimize,
        mode=mode,
        avoid=[avoid] if avoid else [],
        year=year,
        teu=teu,
        alternatives=alternatives,
        as_of=as_of,
        inland_water=inland_water,
    )
    return _json(found.to_dict())


@router.get("/compare", response_model=Comparison, responses=ROUTE_ERRORS)
def compare_routes(
    r: RouterDep,
    origin: Place,
    destination: Place,
    optimize: Optimize = "time",
    teu: Teu = 1.0,
    year: Year = None,
    avoid: Avoid = "",
) -> Any:
    """The best rail, sea and rail+sea options side by side (``silkrail compare``)."""
    unknown = _known(r.places, origin=origin, destination=destination)
    if unknown is not None:
        return unknown
    options = r.compare(
        origin, destination, objective=optimize, teu=teu, year=year, avoid=[avoid] if avoid else []
    )
    return _json({"options": [o.to_dict() for o in options]})


@router.post("/od", response_model=ODMatrix, responses=responses(400, 401, 413, 422))
def post_od(body: ODRequest, r: RouterDep, token: WriterDep) -> Any:
    """Totals for every origin-destination pair (one shortest-path tree per origin). A POST, so
    it takes a bearer token like every POST: a matrix is the service's costliest question."""
    for role, names in (("origins", body.origins), ("destinations", body.destinations)):
        for i, text in enumerate(names):
            try:
                r.places.resolve(text)
            except UnknownPlaceError as exc:
                where = f"{role}.{i}"
                return JSONResponse(
                    {"error": f"{where}: {exc}", "fields": [{"field": where, "message": str(exc)}]}, 422
                )
    m = r.od_matrix(
        body.origins,
        body.destinations,
        objective=body.optimize,
        mode=body.mode,
        teu=body.teu,
        year=body.year,
        avoid=[body.avoid] if body.avoid else [],
    )
    return _json(od_to_dict(m))


DIGITS = {"duration_h": 2, "cost_usd": 2, "co2_kg": 1, "distance_km": 1}


def od_to_dict(m: OdMatrix) -> dict[str, Any]:
    """The matrix as JSON: nested lists, rounded as a route's totals are, null where no route."""

    def cell(x: float, digits: int) -> float | None:
        return None if math.isnan(x) else round(float(x), digits)

    out: dict[str, Any] = {
        "origins": m.origins,
        "destinations": m.destinations,
        "objective": m.objective,
        "teu": m.teu,
    }
    for key, digits in DIGITS.items():
        out[key] = [[cell(x, digits) for x in row] for row in getattr(m, key).tolist()]
        if key + "_range" in m.RANGES:
            ranges = getattr(m, key + "_range").tolist()
            out[key + "_range"] = [[[cell(x, digits) for x in pair] for pair in row] for row in ranges]
    return out

"""Routing over HTTP: a route, the rail/sea/rail+sea comparison, and OD matrices.

``/route`` and ``/compare`` take the options of ``silkrail route`` and ``silkrail compare`` as
query parameters and answer the JSON those commands print with ``--json``: the same library
calls, the same ``to_dict``. Each is a heavy read: the handler checks the parameters and hands
them to a job run in the service's read pool (``service.pool``), where the network and its
router are loaded once per worker."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from silkrail.errors import UnknownPlaceError
from silkrail.service.deps import WriterDep
from silkrail.service.errors import HEAVY, responses
from silkrail.service.pool import Answer, ReadContext, run_heavy
from silkrail.service.schemas import MIN_TEU, Comparison, ODMatrix, ODRequest, Route

if TYPE_CHECKING:
    from silkrail.routing.places import Gazetteer
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
Teu = Annotated[
    float, Query(ge=MIN_TEU, le=1e6, allow_inf_nan=False, description=f"cargo in TEU, from {MIN_TEU}")
]
ROUTE_ERRORS = responses(
    422,
    *HEAVY,
    e422="invalid options, an unknown place (the error names the closest known names) or no route",
)


def _json(doc: dict[str, Any]) -> Answer:
    """``doc`` as the CLI prints it with --json (non-ASCII names kept as they are)."""
    return Answer(body=json.dumps(doc, ensure_ascii=False).encode())


def _known(places: Gazetteer, where: str = "query.", **given: str) -> Answer | None:
    """A 422 naming the parameter whose place is unknown, with the closest known names."""
    for name, text in given.items():
        try:
            places.resolve(text)
        except UnknownPlaceError as exc:
            return Answer(
                422, {"error": f"{name}: {exc}", "fields": [{"field": f"{where}{name}", "message": str(exc)}]}
            )
    return None


def route_job(ctx: ReadContext, q: dict[str, Any]) -> Answer:
    """A route (in a read worker)."""
    r = ctx.router()
    unknown = _known(r.places, origin=q["origin"], destination=q["destination"])
    if unknown is not None:
        return unknown
    found = r.route(
        q["origin"],
        q["destination"],
        objective=q["optimize"],
        mode=q["mode"],
        avoid=[q["avoid"]] if q["avoid"] else [],
        year=q["year"],
        teu=q["teu"],
        alternatives=q["alternatives"],
        as_of=q["as_of"],
        inland_water=q["inland_water"],
    )
    return _json(found.to_dict())


def compare_job(ctx: ReadContext, q: dict[str, Any]) -> Answer:
    """The comparison (in a read worker)."""
    r = ctx.router()
    unknown = _known(r.places, origin=q["origin"], destination=q["destination"])
    if unknown is not None:
        return unknown
    options = r.compare(
        q["origin"],
        q["destination"],
        objective=q["optimize"],
        teu=q["teu"],
        year=q["year"],
        avoid=[q["avoid"]] if q["avoid"] else [],
    )
    return _json({"options": [o.to_dict() for o in options]})


def od_job(ctx: ReadContext, body: dict[str, Any]) -> Answer:
    """The OD matrix (in a read worker)."""
    r = ctx.router()
    for role in ("origins", "destinations"):
        for i, text in enumerate(body[role]):
            unknown = _known(r.places, "", **{f"{role}.{i}": text})
            if unknown is not None:
                return unknown
    m = r.od_matrix(
        body["origins"],
        body["destinations"],
        objective=body["optimize"],
        mode=body["mode"],
        teu=body["teu"],
        year=body["year"],
        avoid=[body["avoid"]] if body["avoid"] else [],
    )
    return _json(od_to_dict(m))


@router.get("/route", response_model=Route, responses=ROUTE_ERRORS)
async def get_route(
    request: Request,
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
) -> Response:
    """The best route between two places, across gauges, borders and modes (``silkrail route``)."""
    q = dict(
        origin=origin,
        destination=destination,
        mode=mode,
        optimize=optimize,
        avoid=avoid,
        year=year,
        teu=teu,
        alternatives=alternatives,
        as_of=as_of,
        inland_water=inland_water,
    )
    return (await run_heavy(request, route_job, q)).response()


@router.get("/compare", response_model=Comparison, responses=ROUTE_ERRORS)
async def compare_routes(
    request: Request,
    origin: Place,
    destination: Place,
    optimize: Optimize = "time",
    teu: Teu = 1.0,
    year: Year = None,
    avoid: Avoid = "",
) -> Response:
    """The best rail, sea and rail+sea options side by side (``silkrail compare``)."""
    q = dict(origin=origin, destination=destination, optimize=optimize, teu=teu, year=year, avoid=avoid)
    return (await run_heavy(request, compare_job, q)).response()


@router.post("/od", response_model=ODMatrix, responses=responses(400, 401, 413, 422, *HEAVY))
async def post_od(request: Request, body: ODRequest, token: WriterDep) -> Response:
    """Totals for every origin-destination pair (one shortest-path tree per origin). A POST, so
    it takes a bearer token like every POST: a matrix is the service's costliest question."""
    return (await run_heavy(request, od_job, body.model_dump())).response()


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

"""GTFS-Realtime endpoints: ``GET /api/v1/gtfs-rt/trip-updates`` and ``/vehicle-positions``
(protobuf; ``?format=json`` for JSON), built from the tracked trains and the timetables.

A feed costs time in proportion to the trains tracked; it is built in the read pool and kept
for FEED_TTL_S seconds, so that many clients polling it cost one build (requests arriving while
it is built wait for that build)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from silkrail.service.errors import HEAVY, responses
from silkrail.service.limits import TOKEN_KEY
from silkrail.service.pool import Answer, ReadContext, run_heavy
from silkrail.service.views import NotForViewer, Viewer, only, train_view
from silkrail.tracking.model import MAX_PAGE
from silkrail.tracking.tracker import Tracker
from silkrail.tracking.values import Doc

if TYPE_CHECKING:
    from silkrail.service.settings import PublicView

router = APIRouter(prefix="/api/v1/gtfs-rt", tags=["gtfs-rt"])
PROTOBUF = "application/x-protobuf"
FEED_TTL_S = 5.0
Format = Annotated[str, Query(pattern="^(protobuf|json)$", description="protobuf (default) or json")]


def _trains(tracker: Tracker, viewer: Viewer, policy: PublicView) -> list[Doc]:
    """Every train ``viewer`` may see, as it may see it."""
    out: list[Doc] = []
    operator = only(viewer, policy)
    read = 0
    while True:
        page = tracker.trains(None, limit=MAX_PAGE, offset=read, operator=operator)
        read += len(page)
        out.extend(v.to_dict() for t in page if (v := train_view(t, viewer, policy)) is not None)
        if len(page) < MAX_PAGE:
            return out


def feed_job(ctx: ReadContext, kind: str, fmt: str, viewer: Viewer) -> Answer:
    """A GTFS-Realtime feed of ``kind`` (trip-updates or vehicle-positions) in ``fmt``, as
    ``viewer`` may see it (in a read worker)."""
    from silkrail.timetable.realtime import to_json, trip_updates, vehicle_positions

    build = trip_updates if kind == "trip-updates" else vehicle_positions
    trains = _trains(ctx.tracker(), viewer, ctx.settings.public_view)
    msg = build(trains, ctx.timetables(), now=dt.datetime.now(dt.UTC))
    if fmt == "json":
        return Answer(content=to_json(msg))
    return Answer(body=msg.SerializeToString(), media_type=PROTOBUF)


class _Cache:
    """The feeds built last, by (kind, format), and the builds in flight."""

    def __init__(self) -> None:
        self.built: dict[tuple[str, str, str], tuple[float, Answer]] = {}
        self.building: dict[tuple[str, str, str], asyncio.Future[Answer]] = {}


_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {PROTOBUF: {}, "application/json": {}}, "description": "a GTFS-Realtime FeedMessage"},
    **responses(422, *HEAVY),
}


async def _serve(request: Request, kind: str, fmt: str) -> Response:
    viewer = Viewer.of(request.scope.get(TOKEN_KEY))
    try:
        only(viewer, request.app.state.settings.public_view)
    except NotForViewer:
        return JSONResponse(
            {"error": "GTFS-Realtime needs a token in this deployment"},
            401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    cache: _Cache = request.app.state.__dict__.setdefault("gtfs_rt_cache", _Cache())
    key = (kind, fmt, viewer.key())
    hit = cache.built.get(key)
    if hit is not None and time.monotonic() - hit[0] < FEED_TTL_S:
        return hit[1].response()
    pending = cache.building.get(key)
    if pending is not None:
        shared = await asyncio.shield(pending)
        if shared.status != 499:  # (499: its own client went; build it for this one)
            return shared.response()
    future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
    cache.building[key] = future
    try:
        answer = await run_heavy(request, feed_job, kind, fmt, viewer)
        if answer.status == 200:
            cache.built[key] = (time.monotonic(), answer)
        future.set_result(answer)
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # retrieved: a failed build is the caller's error alone
        raise
    finally:
        if cache.building.get(key) is future:
            del cache.building[key]
    return answer.response()


@router.get("/trip-updates", response_class=Response, responses=_RESPONSES)
async def gtfs_rt_trip_updates(request: Request, format: Format = "protobuf") -> Response:
    """TripUpdates: each tracked train that runs a timetable trip, its ETA and delay against it."""
    return await _serve(request, "trip-updates", format)


@router.get("/vehicle-positions", response_class=Response, responses=_RESPONSES)
async def gtfs_rt_vehicle_positions(request: Request, format: Format = "protobuf") -> Response:
    """VehiclePositions: the last reported position of each tracked train."""
    return await _serve(request, "vehicle-positions", format)

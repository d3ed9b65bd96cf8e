"""GTFS-Realtime endpoints: ``GET /api/v1/gtfs-rt/trip-updates`` and ``/vehicle-positions``
(protobuf; ``?format=json`` for JSON), built from the tracked trains and the timetables."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from silkrail.service.deps import TrackerDep
from silkrail.service.errors import responses
from silkrail.tracking.model import MAX_PAGE

router = APIRouter(prefix="/api/v1/gtfs-rt", tags=["gtfs-rt"])
PROTOBUF = "application/x-protobuf"
Format = Annotated[str, Query(pattern="^(protobuf|json)$", description="protobuf (default) or json")]


def _trains(tracker: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = tracker.trains(None, limit=MAX_PAGE, offset=len(out))
        out.extend(page)
        if len(page) < MAX_PAGE:
            return out


def _answer(msg: Any, fmt: str) -> Response:
    from silkrail.timetable.realtime import to_json

    if fmt == "json":
        return JSONResponse(to_json(msg))
    return Response(msg.SerializeToString(), media_type=PROTOBUF)


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {PROTOBUF: {}, "application/json": {}}, "description": "a GTFS-Realtime FeedMessage"},
    **responses(422, 503),
}


@router.get("/trip-updates", response_class=Response, responses=_RESPONSES)
def gtfs_rt_trip_updates(t: TrackerDep, format: Format = "protobuf") -> Response:
    """TripUpdates: each tracked train that runs a timetable trip, its ETA and delay against it."""
    from silkrail.timetable.realtime import trip_updates as build

    msg = build(_trains(t), t.timetables(), now=dt.datetime.now(dt.UTC))
    return _answer(msg, format)


@router.get("/vehicle-positions", response_class=Response, responses=_RESPONSES)
def gtfs_rt_vehicle_positions(t: TrackerDep, format: Format = "protobuf") -> Response:
    """VehiclePositions: the last reported position of each tracked train."""
    from silkrail.timetable.realtime import vehicle_positions as build

    msg = build(_trains(t), t.timetables(), now=dt.datetime.now(dt.UTC))
    return _answer(msg, format)

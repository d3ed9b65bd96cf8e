"""GTFS-Realtime endpoints: ``GET /api/v1/gtfs-rt/trip-updates`` and ``/vehicle-positions``
(protobuf; ``?format=json`` for JSON), built from the tracked trains and the timetables."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from silkrail.service.deps import RuntimeDep, TrackerDep
from silkrail.service.errors import responses
from silkrail.tracking.model import MAX_PAGE
from silkrail.tracking.tracker import Tracker

router = APIRouter(prefix="/api/v1/gtfs-rt", tags=["gtfs-rt"])
PROTOBUF = "application/x-protobuf"
Format = Annotated[str, Query(pattern="^(protobuf|json)$", description="protobuf (default) or json")]


@lru_cache(maxsize=1)
def _feed(home: str) -> Any:
    from pathlib import Path

    from silkrail.timetable.services import load_timetables

    return load_timetables(Path(home))


def _trains(tracker: Tracker) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = tracker.trains(None, limit=MAX_PAGE, offset=len(out))
        out.extend(t.to_dict() for t in page)
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
def gtfs_rt_trip_updates(rt: RuntimeDep, t: TrackerDep, format: Format = "protobuf") -> Response:
    """TripUpdates: each tracked train that runs a timetable trip, its ETA and delay against it."""
    from silkrail.timetable.realtime import trip_updates as build

    msg = build(_trains(t), _feed(str(rt.settings.home)), now=dt.datetime.now(dt.UTC))
    return _answer(msg, format)


@router.get("/vehicle-positions", response_class=Response, responses=_RESPONSES)
def gtfs_rt_vehicle_positions(rt: RuntimeDep, t: TrackerDep, format: Format = "protobuf") -> Response:
    """VehiclePositions: the last reported position of each tracked train."""
    from silkrail.timetable.realtime import vehicle_positions as build

    msg = build(_trains(t), _feed(str(rt.settings.home)), now=dt.datetime.now(dt.UTC))
    return _answer(msg, format)

"""``/health`` (liveness) and ``/ready`` (whether a write can succeed now)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from silkrail.service.deps import RuntimeDep
from silkrail.service.errors import responses
from silkrail.service.schemas import Health, ReadPoolState, Ready

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses=responses(guard=False))
async def health(rt: RuntimeDep) -> Health:
    """``ok`` once the database and the read workers are ready; ``streams``: this process's open
    WebSocket streams. Liveness only, answered on the event loop (no thread, no database):
    ``/ready`` says whether writes can succeed."""
    reads = None if rt.reads is None else ReadPoolState(**rt.reads.state())
    return Health(
        status="ok" if rt.tracker is not None else "starting", streams=len(rt.hub.clients), reads=reads
    )


@router.get(
    "/ready",
    response_model=Ready,
    responses=responses(503, guard=False, e503="writes cannot succeed now; the error says why"),
)
async def ready(rt: RuntimeDep) -> JSONResponse | dict[str, str]:
    """200 while a write can succeed: the database takes a probe, committed and synced to disk,
    and reads it back (with SQLite, a file beside the database as well)."""
    if rt.tracker is None:
        return JSONResponse({"error": "starting: the network and database are not loaded yet"}, 503)
    problem = await asyncio.to_thread(rt.tracker.check_writable)
    if problem:
        return JSONResponse({"error": problem}, 503, headers={"Retry-After": "30"})
    return {"status": "ready"}

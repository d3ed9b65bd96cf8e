"""Events: a batch of positions and milestones (a write).

The endpoint reads the body itself: the ingest code parses it within the JSON limits and
validates each event on its own (a bad event is rejected alone, the rest are stored), which a
body parameter validated as a whole would not allow. The body is therefore declared for the
OpenAPI document by ``openapi_extra``, from the same EventBatch model."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from silkrail.service import errors
from silkrail.service.deps import RuntimeDep, TrackerDep, WriterDep
from silkrail.service.errors import WRITE, responses
from silkrail.service.limits import client_address
from silkrail.tracking.model import MAX_BATCH, BatchResult, EventBatch

router = APIRouter(prefix="/api/v1", tags=["events"])
# models that only openapi_extra refers to: the app adds them to the document's components
SCHEMA_MODELS = (EventBatch,)


@router.post(
    "/events",
    response_model=BatchResult,
    responses=responses(*WRITE, e413=f"more than {MAX_BATCH:,} events in one batch, or too large a body"),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventBatch"}}},
        }
    },
)
async def post_events(request: Request, rt: RuntimeDep, t: TrackerDep, token: WriterDep) -> JSONResponse:
    """Store a batch: each event is validated (and its train's operator checked) on its own;
    ``rejected`` lists the refused ones by index."""
    from silkrail.service.ingest import handle

    body = await request.body()
    client = client_address(request.scope)
    if rt.pool is not None:
        status, payload, ms = await rt.pool.post(body, token, client)
    else:
        status, payload, ms = await asyncio.to_thread(handle, t, body, token, client)
    headers = {"Server-Timing": f"ingest;dur={ms:.1f}"} if status == 200 else None
    if status == 503:
        headers = {"Retry-After": "1"}
    if status == 507:
        errors.storage_failed(rt)
        headers = {"Retry-After": str(errors.STORAGE_RETRY_S)}
    elif status == 200:
        rt.storage_failed = None
        if rt.forecasts is not None and payload.get("accepted"):
            rt.forecasts.poke(body)  # a train past a crossing: the forecast is refreshed soon
    return JSONResponse(payload, status_code=status, headers=headers)

"""The network overview the dashboard draws (GeoJSON; not part of the documented API), built
once in the read pool and kept."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from silkrail.service.deps import RuntimeDep
from silkrail.service.pool import Answer, ReadContext, run_heavy

router = APIRouter(prefix="/api/v1", tags=["network"])
GEOJSON = "application/geo+json"


def overview_job(ctx: ReadContext) -> Answer:
    from silkrail.network.export import network_overview

    doc = network_overview(ctx.network())
    return Answer(body=json.dumps(doc, separators=(",", ":")).encode(), media_type=GEOJSON)


@router.get("/network", include_in_schema=False)
async def get_network(request: Request, rt: RuntimeDep) -> Response:
    if rt.overview is None:
        answer = await run_heavy(request, overview_job)
        if answer.status != 200 or answer.body is None:
            return answer.response()
        rt.overview = answer.body
    return Response(rt.overview, media_type=GEOJSON)

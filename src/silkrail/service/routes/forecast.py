"""The live corridor forecast over HTTP: the forecast, one crossing's, and what-if (a write: it
needs a token, though it changes nothing stored). Each is a heavy read of the service's read pool
(``service.pool``); the kept forecast is answered as it is while it is fresh
(``service.forecasts``)."""

from __future__ import annotations

import difflib
import time
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from silkrail.forecast.whatif import WhatIfRequest
from silkrail.service.deps import Runtime, RuntimeDep, ViewerDep, WriterDep, only_for
from silkrail.service.errors import HEAVY, responses
from silkrail.service.forecast_schemas import CrossingForecastOut, ForecastOut, WhatIfOut
from silkrail.service.forecasts import (
    ForecastContent,
    ForecastKeeper,
    ForecastOptions,
    WhatIfContent,
    crossing_view,
    forecast_job,
    forecast_view,
    what_if_job,
    what_if_view,
)
from silkrail.service.pool import run_heavy

router = APIRouter(prefix="/api/v1/forecast", tags=["forecast"])

CrossingId = Annotated[
    str, Path(min_length=1, max_length=80, description="a curated crossing's id (erenhot-zamyn-uud)")
]


def _keeper(rt: Runtime) -> ForecastKeeper:
    keeper: ForecastKeeper | None = rt.forecasts
    if keeper is None:  # an app built without the lifespan's keeper
        keeper = rt.forecasts = ForecastKeeper(rt.settings)
    return keeper


async def current(request: Request, rt: Runtime) -> ForecastKeeper | Response:
    """The keeper, with a fresh forecast kept: the one it has, or one computed now (in the pool)."""
    keeper = _keeper(rt)
    if keeper.fresh():
        return keeper
    asked = time.monotonic()
    answer = await run_heavy(request, forecast_job, ForecastOptions.of(rt.settings, nice=False))
    if answer.status != 200:
        return answer.response()
    if not isinstance(answer.content, ForecastContent):
        raise TypeError(f"a forecast job answered {type(answer.content).__name__}")
    keeper.keep(answer.content, asked)
    return keeper


@router.get("", response_model=ForecastOut, responses=responses(*HEAVY))
async def get_forecast(request: Request, rt: RuntimeDep, viewer: ViewerDep) -> Response:
    """The forecast of the next ``horizon_h`` hours from the trains in progress: per crossing the
    queue and wait over time, per train its ETA with the queues, congestion alerts, and the
    suggested slots (holds) at the crossings that queue. Every band is p10/p50/p90 over the
    replications. A token's own trains are shown in full, the others as the deployment's public
    view shows trains (the crossings' queues count every train)."""
    only_for(rt, viewer)
    kept = await current(request, rt)
    if isinstance(kept, Response):
        return kept
    return Response(kept.view(viewer, rt.settings.public_view), media_type="application/json")


@router.get(
    "/crossings/{crossing_id}",
    response_model=CrossingForecastOut,
    responses=responses(
        404,
        422,
        *HEAVY,
        e404="no curated crossing of that id (the error names the closest)",
        e422="a crossing id that is no id (too long, or characters an id never has)",
    ),
)
async def get_crossing_forecast(
    request: Request, crossing_id: CrossingId, rt: RuntimeDep, viewer: ViewerDep
) -> CrossingForecastOut | Response:
    """One crossing's forecast and the trains heading to it, with their arrival, wait and hold
    there (a crossing no train passes: an empty queue); trains as the viewer may see them."""
    only_for(rt, viewer)
    kept = await current(request, rt)
    if isinstance(kept, Response):
        return kept
    known = kept.known
    if crossing_id not in known:
        close = difflib.get_close_matches(crossing_id, list(known), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return JSONResponse({"error": f"no curated crossing '{crossing_id}'{hint}"}, 404)
    assert kept.forecast is not None
    seen = forecast_view(kept.forecast, kept.operators, viewer, rt.settings.public_view)
    return crossing_view(seen, crossing_id, known[crossing_id])


@router.post(
    "/what-if",
    response_model=WhatIfOut,
    responses=responses(
        401,
        413,
        422,
        *HEAVY,
        e422="an invalid change (the error names the field), an unknown crossing or place",
    ),
)
async def post_what_if(
    request: Request, body: WhatIfRequest, rt: RuntimeDep, _: WriterDep, viewer: ViewerDep
) -> WhatIfOut | Response:
    """The difference one change makes to the live forecast, applied to a copy of the live state
    (nothing is stored): ``close``, ``capacity``, ``dwell`` or ``add_trains``. It answers the
    trains it delays (with the best re-route from where each is, avoiding the trouble), the
    queues that grow, and the trains it adds. Other operators' trains are shown as the
    deployment's public view shows trains."""
    answer = await run_heavy(
        request, what_if_job, body.model_dump(mode="json"), ForecastOptions.of(rt.settings, nice=False)
    )
    if answer.status != 200:
        return answer.response()
    if not isinstance(answer.content, WhatIfContent):
        raise TypeError(f"a what-if job answered {type(answer.content).__name__}")
    return what_if_view(answer.content, viewer, rt.settings.public_view)

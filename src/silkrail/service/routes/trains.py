"""Trains: create one (a write), list them, read one."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import JsonValue

from silkrail.service.deps import RuntimeDep, TrackerDep, ViewerDep, WriterDep, only_for
from silkrail.service.errors import HEAVY, WRITE, responses
from silkrail.service.forecast_schemas import TrainForecastOut
from silkrail.service.pool import Answer, ReadContext, run_heavy
from silkrail.service.views import train_view
from silkrail.tracking.model import MAX_PAGE, TrainCreated, TrainIn, TrainState
from silkrail.tracking.planner import NetworkPlanner, PlannedRoute
from silkrail.tracking.results import TrainSummary
from silkrail.tracking.tracker import UnknownTrainError

router = APIRouter(prefix="/api/v1", tags=["trains"])


class TrainDetail(TrainState):
    """A train's state, and its forecast: the ETA band with the predicted queues and any suggested
    hold (null until a forecast includes it)."""

    forecast: TrainForecastOut | None = None


def train_state(s: TrainSummary) -> TrainState:
    """A train summary as the API's model."""
    return TrainState.model_validate(s, from_attributes=True)


def plan_job(ctx: ReadContext, body: dict[str, JsonValue]) -> Answer:
    """A new train's route (in a read worker): routing is the costly part of creating a train."""
    planner = NetworkPlanner(ctx.network(), ctx.router(), timetables=ctx.timetables())
    planned = planner.plan(TrainIn.model_validate(body))
    return Answer(content=planned)


@router.post(
    "/trains", status_code=201, response_model=TrainCreated, responses=responses(*WRITE, *HEAVY, 403)
)
async def create_train(
    request: Request, body: TrainIn, t: TrackerDep, token: WriterDep
) -> TrainCreated | Response:
    """A new train on its planned route; the answer holds its id, ETA and route."""
    t.check_quota(t.operator_for(body, token))  # 403 or 429 before any routing
    answer = await run_heavy(request, plan_job, body.model_dump(mode="json"))
    if answer.status != 200:
        return answer.response()
    if not isinstance(answer.content, PlannedRoute):
        raise TypeError(f"the planning job answered {type(answer.content).__name__}")
    created = await asyncio.to_thread(t.create_train, body, token=token, plan=answer.content)
    return TrainCreated.model_validate(created, from_attributes=True)


@router.get("/trains", response_model=list[TrainState], responses=responses(422, 503))
def list_trains(
    t: TrackerDep,
    rt: RuntimeDep,
    viewer: ViewerDep,
    status: Annotated[str | None, Query(pattern="^(planned|running|at_crossing|arrived)$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many trains")] = MAX_PAGE,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="skip this many (oldest first)")] = 0,
) -> list[TrainState]:
    """The trains, oldest first, optionally of one status: a token's own in full, the others as
    the deployment's public view shows them."""
    policy = rt.settings.public_view
    found = t.trains(status, limit=limit, offset=offset, operator=only_for(rt, viewer))
    return [train_state(v) for s in found if (v := train_view(s, viewer, policy)) is not None]


@router.get("/trains/{train_id}", response_model=TrainDetail, responses=responses(404, 422, 503))
def get_train(train_id: str, t: TrackerDep, rt: RuntimeDep, viewer: ViewerDep) -> TrainDetail:
    """One train's state: position, progress, ETA and delay (as the viewer may see it); and its
    forecast (the kept one)."""
    only_for(rt, viewer)
    seen = train_view(t.train(train_id), viewer, rt.settings.public_view)
    if seen is None:  # another operator's train, where others see none: as one that does not exist
        raise UnknownTrainError(f"no train '{train_id}'", field="train_id")
    forecast = rt.forecasts.train(train_id) if rt.forecasts is not None else None
    return TrainDetail(**train_state(seen).model_dump(), forecast=forecast)


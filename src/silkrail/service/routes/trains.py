"""Trains: create one (a write), list them, read one."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from silkrail.service.deps import TrackerDep, WriterDep
from silkrail.service.errors import HEAVY, WRITE, responses
from silkrail.service.pool import Answer, ReadContext, run_heavy
from silkrail.tracking.model import MAX_PAGE, TrainCreated, TrainIn, TrainState
from silkrail.tracking.planner import NetworkPlanner
from silkrail.tracking.results import TrainSummary

router = APIRouter(prefix="/api/v1", tags=["trains"])


def train_state(s: TrainSummary) -> TrainState:
    """A train summary as the API's model."""
    return TrainState.model_validate(s, from_attributes=True)


def plan_job(ctx: ReadContext, body: dict[str, Any]) -> Answer:
    """A new train's route (in a read worker): routing is the costly part of creating a train."""
    planner = NetworkPlanner(ctx.network(), ctx.router(), timetables=ctx.timetables())
    planned = planner.plan(TrainIn.model_validate(body))
    return Answer(content=planned)


@router.post(
    "/trains", status_code=201, response_model=TrainCreated, responses=responses(*WRITE, *HEAVY, 403)
)
async def create_train(request: Request, body: TrainIn, t: TrackerDep, token: WriterDep) -> Any:
    """A new train on its planned route; the answer holds its id, ETA and route."""
    t.operator_for(body, token)  # a token naming another operator: 403 before any routing
    answer = await run_heavy(request, plan_job, body.model_dump(mode="json"))
    if answer.status != 200:
        return answer.response()
    created = await asyncio.to_thread(t.create_train, body, token=token, plan=answer.content)
    return TrainCreated.model_validate(created, from_attributes=True)


@router.get("/trains", response_model=list[TrainState], responses=responses(422, 503))
def list_trains(
    t: TrackerDep,
    status: Annotated[str | None, Query(pattern="^(planned|running|at_crossing|arrived)$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many trains")] = MAX_PAGE,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="skip this many (oldest first)")] = 0,
) -> list[TrainState]:
    """The trains, oldest first, optionally of one status."""
    return [train_state(s) for s in t.trains(status, limit=limit, offset=offset)]


@router.get("/trains/{train_id}", response_model=TrainState, responses=responses(404, 422, 503))
def get_train(train_id: str, t: TrackerDep) -> TrainState:
    """One train's state: position, progress, ETA and delay."""
    return train_state(t.train(train_id))


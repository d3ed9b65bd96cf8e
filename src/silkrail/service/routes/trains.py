"""Trains: create one (a write), list them, read one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from silkrail.service.deps import TrackerDep, WriterDep
from silkrail.service.errors import WRITE, responses
from silkrail.tracking.model import MAX_PAGE, TrainCreated, TrainIn, TrainState
from silkrail.tracking.results import TrainSummary

router = APIRouter(prefix="/api/v1", tags=["trains"])


def train_state(s: TrainSummary) -> TrainState:
    """A train summary as the API's model."""
    return TrainState.model_validate(s, from_attributes=True)


@router.post("/trains", status_code=201, response_model=TrainCreated, responses=responses(*WRITE, 403))
def create_train(body: TrainIn, t: TrackerDep, token: WriterDep) -> TrainCreated:
    """A new train on its planned route; the answer holds its id, ETA and route."""
    return TrainCreated.model_validate(t.create_train(body, token=token), from_attributes=True)


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

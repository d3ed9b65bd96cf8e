"""Trains: create one (a write), list them, read one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from silkrail.service.deps import TrackerDep, WriterDep
from silkrail.service.errors import WRITE, responses
from silkrail.tracking.model import MAX_PAGE, TrainCreated, TrainIn, TrainState

router = APIRouter(prefix="/api/v1", tags=["trains"])


@router.post("/trains", status_code=201, response_model=TrainCreated, responses=responses(*WRITE, 403))
def create_train(body: TrainIn, t: TrackerDep, token: WriterDep) -> Any:
    """A new train on its planned route; the answer holds its id, ETA and route."""
    return t.create_train(body, token=token)


@router.get("/trains", response_model=list[TrainState], responses=responses(422, 503))
def list_trains(
    t: TrackerDep,
    status: Annotated[str | None, Query(pattern="^(planned|running|at_crossing|arrived)$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many trains")] = MAX_PAGE,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="skip this many (oldest first)")] = 0,
) -> Any:
    """The trains, oldest first, optionally of one status."""
    return t.trains(status, limit=limit, offset=offset)


@router.get("/trains/{train_id}", response_model=TrainState, responses=responses(404, 422, 503))
def get_train(train_id: str, t: TrackerDep) -> Any:
    """One train's state: position, progress, ETA and delay."""
    return t.train(train_id)

"""Alerts: late trains, long dwells, silent trackers, trains off their route."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from silkrail.service.deps import TrackerDep
from silkrail.service.errors import responses
from silkrail.tracking.model import MAX_PAGE, Alert

router = APIRouter(prefix="/api/v1", tags=["alerts"])


@router.get("/alerts", response_model=list[Alert], responses=responses(422, 503))
def list_alerts(
    t: TrackerDep,
    since: Annotated[int, Query(ge=0, le=2**53, description="only alerts with a larger id")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many alerts")] = MAX_PAGE,
    newest_first: Annotated[bool, Query(description="the newest alerts first")] = False,
) -> list[Alert]:
    """The alerts after ``since``, oldest (or newest) first."""
    found = t.alerts(since, limit=limit, newest_first=newest_first)
    return [Alert.model_validate(a, from_attributes=True) for a in found]

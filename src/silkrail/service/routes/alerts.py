"""Alerts: late trains, long dwells, silent trackers, trains off their route."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from silkrail.service.deps import RuntimeDep, TrackerDep, ViewerDep, only_for
from silkrail.service.errors import responses
from silkrail.service.views import alert_view
from silkrail.tracking.model import MAX_PAGE, Alert

router = APIRouter(prefix="/api/v1", tags=["alerts"])


@router.get("/alerts", response_model=list[Alert], responses=responses(422, 503))
def list_alerts(
    t: TrackerDep,
    rt: RuntimeDep,
    viewer: ViewerDep,
    since: Annotated[int, Query(ge=0, le=2**53, description="only alerts with a larger id")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many alerts")] = MAX_PAGE,
    newest_first: Annotated[bool, Query(description="the newest alerts first")] = False,
) -> list[Alert]:
    """The alerts after ``since``, oldest (or newest) first: those of a token's trains in full,
    the others as the deployment's public view shows them."""
    found = t.alerts(since, limit=limit, newest_first=newest_first, operator=only_for(rt, viewer))
    policy = rt.settings.public_view
    return [
        Alert.model_validate(v, from_attributes=True) for a in found if (v := alert_view(a, viewer, policy))
    ]

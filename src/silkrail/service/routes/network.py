"""The network overview the dashboard draws (GeoJSON; not part of the documented API)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from silkrail.service.deps import RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["network"])


@router.get("/network", include_in_schema=False)
def get_network(rt: RuntimeDep) -> Any:
    if rt.overview is None:
        from silkrail.network.export import network_overview

        rt.overview = json.dumps(network_overview(rt.networks.network()), separators=(",", ":"))
    return Response(rt.overview, media_type="application/geo+json")

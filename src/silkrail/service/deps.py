"""What the routes depend on (FastAPI ``Depends``): the process's runtime, the tracker, the
request's write token, and the network with its router, loaded once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from silkrail.routing.router import Router
from silkrail.service.auth import Token
from silkrail.service.hub import Hub
from silkrail.service.limits import TOKEN_KEY
from silkrail.service.settings import ServiceSettings
from silkrail.service.views import NotForViewer, Viewer, only
from silkrail.tracking.tracker import Tracker

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.service.forecasts import ForecastKeeper
    from silkrail.service.ingest import IngestPool
    from silkrail.service.pool import ReadPool
    from silkrail.service.quota import ClientLimits

# documents the scheme in OpenAPI; the token itself is checked by limits.Guard, from the headers
BEARER = HTTPBearer(
    auto_error=False, scheme_name="bearer", description="a write token: see the tokens file format"
)


class NetworkSource:
    """The network of ``settings``, loaded on first use and once per process: concurrent first
    requests wait for the one load rather than each loading it."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._net: Network | None = None
        self._router: Router | None = None

    def network(self) -> Network:
        if self._net is None:
            with self._lock:
                if self._net is None:
                    self._net = self._load()
        return self._net

    def router(self) -> Router:
        """The network's router (its landmarks and gazetteer are built on first use)."""
        if self._router is None:
            net = self.network()
            with self._lock:
                if self._router is None:
                    from silkrail.routing.router import router_for

                    self._router = router_for(net, home=self.settings.home)
        return self._router

    def _load(self) -> Network:
        from silkrail.network.store import load_network
        from silkrail.settings import get_settings

        where = get_settings(home=self.settings.home)
        if self.settings.network_path:
            return load_network(self.settings.network_path, settings=where, progress=False)
        return load_network(settings=where, progress=False)


@dataclass
class Runtime:
    """The state one service process shares between its routes: set up by the app's lifespan."""

    settings: ServiceSettings
    networks: NetworkSource
    limits: ClientLimits
    hub: Hub = field(default_factory=Hub)
    reads: ReadPool | None = None  # the heavy reads' pool, started by the lifespan
    tracker: Tracker | None = None  # set by the lifespan once the database and network are ready
    pool: IngestPool | None = None  # with ingest processes
    storage_failed: float | None = None  # when a write last failed on storage
    overview: bytes | None = None  # the network overview, as served
    forecasts: ForecastKeeper | None = None  # the kept live forecast (service.forecasts)

    def live_tracker(self) -> Tracker:
        """The tracker; a 503 while the service is still starting."""
        if self.tracker is None:
            raise HTTPException(
                503, "starting: the network and database are not loaded yet", {"Retry-After": "5"}
            )
        return self.tracker


async def runtime(request: Request) -> Runtime:
    """(async, as every cheap dependency: a sync one would wait for a thread of the pool that
    sync handlers share)"""
    rt: Runtime = request.app.state.runtime
    return rt


async def tracker(rt: Annotated[Runtime, Depends(runtime)]) -> Tracker:
    """The tracker, set by the lifespan before the server takes requests."""
    return rt.live_tracker()


def router(rt: Annotated[Runtime, Depends(runtime)]) -> Router:
    return rt.networks.router()


async def viewer(request: Request) -> Viewer:
    """Who reads: the request's token (checked by the Guard), else nobody known."""
    return Viewer.of(request.scope.get(TOKEN_KEY))


def only_for(rt: Runtime, v: Viewer) -> str | None:
    """The operator whose trains alone ``v`` may read (None: all, in its view); a 401 when this
    deployment shows nothing without a token."""
    try:
        return only(v, rt.settings.public_view)
    except NotForViewer:
        raise HTTPException(
            401, "reads of trains need a token in this deployment", {"WWW-Authenticate": "Bearer"}
        ) from None


async def writer(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None
) -> Token:
    """The request's token, checked by the Guard before the body was read."""
    token: Token | None = request.scope.get(TOKEN_KEY)
    if token is None:
        raise HTTPException(401, "writes need 'Authorization: Bearer <token>'")
    return token


RuntimeDep = Annotated[Runtime, Depends(runtime)]
TrackerDep = Annotated[Tracker, Depends(tracker)]
RouterDep = Annotated[Router, Depends(router)]
WriterDep = Annotated[Token, Depends(writer)]
ViewerDep = Annotated[Viewer, Depends(viewer)]

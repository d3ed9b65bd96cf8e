"""``create_app(settings)``: composes the service from its routers (``service.routes``), its
dependencies (``service.deps``), its error handlers (``service.errors``) and the Guard
(``service.limits``); the tracking API and routing under /api/v1, health, the dashboard at /."""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from silkrail.service.deps import NetworkSource, Runtime
from silkrail.service.hub import Hub
from silkrail.service.limits import Guard
from silkrail.service.query_once import given_once
from silkrail.service.quota import ClientLimits
from silkrail.service.settings import ServiceSettings

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["ServiceSettings", "app_from_env", "create_app"]

logger = logging.getLogger("silkrail.service")


def _operation_id(route: APIRoute) -> str:
    """Operation ids are the handlers' names (``create_train``, ``post_events``, ``get_route``):
    what a generated client calls its methods."""
    return route.name


def create_app(settings: ServiceSettings) -> FastAPI:
    """The service for ``settings``: migrates the database and loads the network at startup."""
    from silkrail.service import errors
    from silkrail.service.routes import (
        alerts,
        dashboard,
        events,
        forecast,
        gtfs_rt,
        health,
        network,
        routing,
        stream,
        trains,
    )

    if not faulthandler.is_enabled():  # a crash in C (a bus error on a full disk) leaves a trace
        faulthandler.enable(file=sys.stderr)
    limits = ClientLimits(settings.quotas)
    rt = Runtime(
        settings=settings, networks=NetworkSource(settings), limits=limits, hub=Hub(settings.public_view)
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from silkrail.service.ingest import IngestPool
        from silkrail.service.pool import ReadContext, ReadPool
        from silkrail.tracking.store import migrate
        from silkrail.tracking.tracker import Tracker

        migrate(settings.db_url)
        tracker = Tracker.open(settings.db_url, limits=settings.tracker_limits)  # planned in the read pool
        shared = None if settings.read_processes else ReadContext(settings, rt.networks, tracker)
        rt.reads = ReadPool(settings, limits, shared)
        await rt.reads.start()
        rt.tracker = app.state.tracker = tracker
        if settings.ingest_processes:
            rt.pool = IngestPool(settings.db_url, settings.ingest_processes, settings.tracker_limits)
            await rt.pool.start()
        tasks = [asyncio.create_task(_every(settings.silent_check_s, "silence check", _check_silent))]
        if tracker.engine.dialect.name == "postgresql":  # every instance hears every commit
            listening = asyncio.Event()
            tasks.append(asyncio.create_task(rt.hub.listen(settings.db_url, tracker, listening)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listening.wait(), 30)
        else:  # one machine: poll the changes
            tasks.append(
                asyncio.create_task(
                    _every(settings.relay_s, "relay", lambda: rt.hub.relay(rt.live_tracker()))
                )
            )
        from silkrail.service.forecasts import ForecastKeeper

        rt.forecasts = ForecastKeeper(settings)
        if settings.forecast_every_s > 0:
            tasks.append(asyncio.create_task(rt.forecasts.run(rt)))
        yield
        for task in tasks:
            task.cancel()
        # a job already in a thread holds a database connection: it ends before the engine goes
        await asyncio.gather(*tasks, return_exceptions=True)
        if rt.pool is not None:
            pool, rt.pool = rt.pool, None
            await asyncio.to_thread(pool.close)
        await asyncio.to_thread(rt.reads.close)
        tracker.engine.dispose()

    async def _check_silent() -> None:
        await asyncio.to_thread(rt.live_tracker().check_silent)

    app = FastAPI(
        title="silkrail tracking",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(given_once)],  # a single-valued query parameter given twice: 422
        docs_url=None,  # served by the dashboard router from this service's own copy of Swagger UI
        redoc_url=None,
        generate_unique_id_function=_operation_id,
        description=(
            "Live corridor monitoring: trains, events, ETAs, alerts; the corridor forecast (queues "
            "at the crossings, ETA bands, suggested slots, what-if); and routing: a route, the "
            "rail/sea comparison and OD matrices. Writes (every POST) need a bearer token; a token "
            "belongs to an operator and writes that operator's trains (an admin token, all). Every "
            "error answers `{error, fields}`: one sentence, and for invalid fields each field. "
            "The server's own limits answer in plain text before any route: 408 (headers too "
            "slow), 431 (headers too large), 503 (too many connections)."
        ),
    )
    errors.install(app, rt)
    app.add_middleware(
        Guard,
        tokens=settings.grants,
        max_body=settings.max_body_bytes,
        limits=limits,
        allowed=lambda path: _allowed(app, path),
    )
    for module in (health, trains, events, alerts, routing, network, stream, gtfs_rt, forecast):
        app.include_router(module.router)
    dashboard.install(app, home=settings.home)
    _declare_models(app, events.SCHEMA_MODELS)
    app.state.runtime = rt
    app.state.settings = settings
    return app


async def _every(seconds: float, name: str, job: Callable[[], Awaitable[None]]) -> None:
    """Run ``job`` every ``seconds``; cancelled, a run under way (in a thread) ends first."""
    while True:
        await asyncio.sleep(seconds)
        run = asyncio.ensure_future(job())
        try:
            await asyncio.shield(run)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await run
            raise
        except Exception as exc:  # a database outage must not end the job for good
            logger.warning("%s: %s", name, exc)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed(app: FastAPI, path: str) -> frozenset[str]:
    """The methods the app serves at ``path``, as its router would match them (a WebSocket
    route: GET, its handshake)."""
    from starlette.routing import Match, Mount

    methods: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, Mount):  # static files: read only
            get = {"type": "http", "path": path, "method": "GET", "root_path": ""}
            if route.matches(get)[0] == Match.FULL:
                methods |= {"GET", "HEAD"}
            continue
        for method in METHODS:
            scope = {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}
            if route.matches(scope)[0] == Match.FULL:
                methods.add(method)
        ws = {"type": "websocket", "path": path, "root_path": "", "headers": []}
        if route.matches(ws)[0] == Match.FULL:
            methods.add("GET")
    return frozenset(methods)


def _declare_models(app: FastAPI, models: tuple[type[BaseModel], ...]) -> None:
    """Add ``models`` to the OpenAPI document's components: request bodies that a handler reads
    itself are declared by ``openapi_extra`` with a reference to them."""
    plain = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            from pydantic.json_schema import models_json_schema

            doc = plain()
            _, defs = models_json_schema(
                [(m, "validation") for m in models], ref_template="#/components/schemas/{model}"
            )
            doc.setdefault("components", {}).setdefault("schemas", {}).update(defs["$defs"])
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_env() -> FastAPI:
    """The app for ``uvicorn silkrail.service.app:app_from_env --factory`` (database from $SILKRAIL_DB)."""
    return create_app(ServiceSettings.from_env(db_url=os.environ.get("SILKRAIL_DB") or None))

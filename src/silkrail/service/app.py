"""``create_app(settings)``: the tracking API under /api/v1, health, and the dashboard at /."""

from __future__ import annotations

import asyncio
import faulthandler
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Security, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles

from silkrail.service.auth import Token, admin_token, check_secret, load_tokens_file
from silkrail.service.limits import MAX_BODY_BYTES, TOKEN_KEY, Guard
from silkrail.tracking.model import (
    MAX_BATCH,
    MAX_PAGE,
    Alert,
    BatchResult,
    EventBatch,
    TrainCreated,
    TrainIn,
    TrainState,
)

logger = logging.getLogger("silkrail.service")
STATIC = Path(__file__).parent / "static"
# documents the scheme in OpenAPI; the token itself is checked by limits.Guard, from the headers
BEARER = HTTPBearer(auto_error=False, description="a write token: see the tokens file format")


@dataclass
class ServiceSettings:
    """What the service needs: a database URL, the write tokens, and where the network lives.
    ``tokens`` holds Token records (see ``service.auth``); a plain string is an admin token."""

    db_url: str
    tokens: frozenset[str] | tuple[Token, ...]
    home: Path
    network_path: Path | None = None
    ingest_processes: int = 0  # 0: batches are stored in the service's own process
    silent_check_s: float = 60.0
    relay_s: float = 0.5  # how often changes are pushed to WebSocket clients
    max_body_bytes: int = MAX_BODY_BYTES
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def grants(self) -> tuple[Token, ...]:
        """The write tokens as Token records."""
        return tuple(t if isinstance(t, Token) else admin_token(t) for t in self.tokens)

    @classmethod
    def from_env(cls, db_url: str | None = None, home: Path | None = None) -> ServiceSettings:
        from silkrail.settings import get_settings
        from silkrail.tracking.store import default_url

        s = get_settings()
        h = home or s.home
        tokens: list[Token] = []
        secret = os.environ.get("SILKRAIL_API_TOKEN", "")
        if secret:
            try:
                check_secret(secret)
            except ValueError as exc:
                raise ValueError(f"SILKRAIL_API_TOKEN: {exc}") from None
            tokens.append(admin_token(secret, "env"))
        tokens_file = os.environ.get("SILKRAIL_API_TOKENS_FILE")
        if tokens_file:
            tokens += load_tokens_file(Path(tokens_file))  # a missing file is an error, not no tokens
        raw = os.environ.get("SILKRAIL_INGEST_PROCESSES", "0")
        if not raw.isdigit():
            raise ValueError(
                f"SILKRAIL_INGEST_PROCESSES={raw!r}: give a whole number of processes, 0 or more"
            )
        return cls(db_url=db_url or default_url(h), tokens=tuple(tokens), home=h, ingest_processes=int(raw))


class Hub:
    """Live updates to this process's WebSocket clients, relayed from the database: any service
    process may have stored the change."""

    def __init__(self) -> None:
        self.clients: set[asyncio.Queue[str]] = set()
        self.cursor: dict[str, Any] | None = None  # where the relay has read up to
        self.sent: dict[str, Any] = {}  # train id -> the updated_at last pushed

    async def relay(self, tracker: Any) -> None:
        """Push the trains and alerts changed since the last call."""
        if not self.clients:
            self.cursor = None  # nobody listens: start afresh when someone does
            return
        trains, alerts, self.cursor = await asyncio.to_thread(tracker.changes, self.cursor)
        for t in trains:
            if self.sent.get(t["id"]) != t["updated_at"]:
                self.sent[t["id"]] = t["updated_at"]
                self.publish({"type": "train", "train": t})
        for a in alerts:
            self.publish({"type": "alert", "alert": a})

    def publish(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, default=str)
        for q in list(self.clients):
            if q.qsize() < 1000:
                q.put_nowait(text)


def create_app(settings: ServiceSettings) -> FastAPI:
    """The service for ``settings``: migrates the database and loads the network at startup."""
    from silkrail.service import errors, gtfs_rt
    from silkrail.service.ingest import IngestPool, handle
    from silkrail.tracking.store import make_engine, migrate
    from silkrail.tracking.tracker import Tracker

    if not faulthandler.is_enabled():  # a crash in C (a bus error on a full disk) leaves a trace
        faulthandler.enable(file=sys.stderr)
    hub = Hub()
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import silkrail
        from silkrail.settings import get_settings

        migrate(settings.db_url)
        net = (
            silkrail.load_network(
                settings.network_path, settings=get_settings(home=settings.home), progress=False
            )
            if settings.network_path
            else silkrail.load_network(settings=get_settings(home=settings.home), progress=False)
        )
        state["tracker"] = app.state.tracker = Tracker(make_engine(settings.db_url), net)
        if settings.ingest_processes:
            state["pool"] = IngestPool(settings.db_url, settings.ingest_processes)
            await state["pool"].start()
        tasks = [
            asyncio.create_task(_every(settings.silent_check_s, "silence check", _check_silent)),
            asyncio.create_task(_every(settings.relay_s, "relay", lambda: hub.relay(state["tracker"]))),
        ]
        yield
        for task in tasks:
            task.cancel()
        if "pool" in state:
            await asyncio.to_thread(state.pop("pool").close)
        state["tracker"].engine.dispose()

    async def _check_silent() -> None:
        await asyncio.to_thread(state["tracker"].check_silent)

    async def _every(seconds: float, name: str, job: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception as exc:  # a database outage must not end the job for good
                logger.warning("%s: %s", name, exc)

    app = FastAPI(
        title="silkrail tracking",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from this service's own copy of Swagger UI
        redoc_url=None,
        description=(
            "Live corridor monitoring: trains, events, ETAs, alerts. Writes need a bearer token; a "
            "token belongs to an operator and writes that operator's trains (an admin token, all)."
        ),
    )
    errors.install(app, state)
    app.include_router(gtfs_rt.router)
    app.add_middleware(Guard, tokens=settings.grants, max_body=settings.max_body_bytes)

    def tracker() -> Any:
        return state["tracker"]

    def writer(request: Request, _: Annotated[Any, Security(BEARER)] = None) -> Token:
        """The request's token, checked by the Guard before the body was read."""
        token = request.scope.get(TOKEN_KEY)
        if token is None:
            raise HTTPException(401, "writes need 'Authorization: Bearer <token>'")
        return token

    @app.get("/health")
    def health() -> dict[str, Any]:
        """``ok`` once the database and network are ready; ``streams``: this process's open
        WebSocket streams. Liveness only: ``/ready`` says whether writes can succeed."""
        return {"status": "ok" if "tracker" in state else "starting", "streams": len(hub.clients)}

    @app.get("/ready", responses={503: {"description": "writes cannot succeed now; the error says why"}})
    async def ready() -> Any:
        """200 while a write can succeed: the database takes a trial write (rolled back)."""
        if "tracker" not in state:
            return JSONResponse({"error": "starting: the network and database are not loaded yet"}, 503)
        problem = await asyncio.to_thread(state["tracker"].check_writable)
        if problem:
            return JSONResponse({"error": problem}, 503, headers={"Retry-After": "30"})
        return {"status": "ready"}

    written: dict[int | str, dict[str, Any]] = {
        401: {"description": "no valid bearer token"},
        403: {"description": "the token's operator may not write this"},
        413: {"description": "the body is larger than the service takes"},
        507: {"description": "the database's disk is full or read-only; nothing was written"},
    }

    @app.post(
        "/api/v1/trains",
        status_code=201,
        response_model=TrainCreated,
        responses=written,
    )
    def post_train(body: TrainIn, t: Any = Depends(tracker), token: Token = Depends(writer)) -> Any:
        return t.create_train(body, token=token)

    @app.post(
        "/api/v1/events",
        response_model=BatchResult,
        responses={
            **written,
            413: {"description": f"more than {MAX_BATCH:,} events in one batch, or too large a body"},
        },
    )
    async def post_events(request: Request, t: Any = Depends(tracker), token: Token = Depends(writer)) -> Any:
        body = await request.body()
        if "pool" in state:
            status, payload, ms = await state["pool"].post(body, token)
        else:
            status, payload, ms = await asyncio.to_thread(handle, t, body, token)
        headers = {"Server-Timing": f"ingest;dur={ms:.1f}"} if status == 200 else None
        if status == 503:
            headers = {"Retry-After": "1"}
        if status == 507:
            errors.storage_failed(state)
            headers = {"Retry-After": str(errors.STORAGE_RETRY_S)}
        elif status == 200:
            state.pop("storage_failed", None)
        return JSONResponse(payload, status_code=status, headers=headers)

    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """The OpenAPI document, with the body of POST /events (read as bytes by the endpoint,
        so FastAPI cannot see it) declared from EventBatch."""
        if app.openapi_schema is None:
            from pydantic.json_schema import models_json_schema

            doc = plain_openapi()
            _, defs = models_json_schema(
                [(EventBatch, "validation")], ref_template="#/components/schemas/{model}"
            )
            doc.setdefault("components", {}).setdefault("schemas", {}).update(defs["$defs"])
            doc["paths"]["/api/v1/events"]["post"]["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventBatch"}}},
            }
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/api/v1/trains", response_model=list[TrainState])
    def get_trains(
        t: Any = Depends(tracker),
        status: Annotated[str | None, Query(pattern="^(planned|running|at_crossing|arrived)$")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many trains")] = MAX_PAGE,
        offset: Annotated[int, Query(ge=0, le=10_000_000, description="skip this many (oldest first)")] = 0,
    ) -> Any:
        return t.trains(status, limit=limit, offset=offset)

    @app.get("/api/v1/trains/{train_id}", response_model=TrainState)
    def get_train(train_id: str, t: Any = Depends(tracker)) -> Any:
        return t.train(train_id)

    @app.get("/api/v1/alerts", response_model=list[Alert])
    def get_alerts(
        t: Any = Depends(tracker),
        since: Annotated[int, Query(ge=0, le=2**53, description="only alerts with a larger id")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many alerts")] = MAX_PAGE,
        newest_first: Annotated[bool, Query(description="the newest alerts first")] = False,
    ) -> Any:
        return t.alerts(since, limit=limit, newest_first=newest_first)

    @app.get("/api/v1/network", include_in_schema=False)
    def get_network(t: Any = Depends(tracker)) -> Any:
        if "overview" not in state:
            from silkrail.network.export import network_overview

            state["overview"] = json.dumps(network_overview(t.net), separators=(",", ":"))
        return Response(state["overview"], media_type="application/geo+json")

    @app.websocket("/api/v1/stream")
    async def stream(ws: WebSocket) -> None:
        await ws.accept()
        q: asyncio.Queue[str] = asyncio.Queue()
        if hub.cursor is None:  # changes from now on
            seen, _, hub.cursor = await asyncio.to_thread(state["tracker"].changes, None)
            hub.sent.update((t["id"], t["updated_at"]) for t in seen)
        hub.clients.add(q)

        async def pump() -> None:
            while True:
                await ws.send_text(await q.get())

        sender = asyncio.create_task(pump())
        try:  # listen as well: a closed tab or a stopping server ends the stream at once
            while (await ws.receive())["type"] != "websocket.disconnect" and not sender.done():
                pass
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            sender.cancel()
            hub.clients.discard(q)

    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def _page(name: str) -> Any:
        page = STATIC / name
        if not page.exists():
            raise HTTPException(404, "dashboard not built: run 'make install'")
        return FileResponse(page)

    @app.get("/", include_in_schema=False)
    def dashboard() -> Any:
        return _page("index.html")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Any:
        """Swagger UI, from this service's own copy (no script from elsewhere)."""
        return _page("docs.html")

    app.state.hub = hub
    app.state.settings = settings
    app.state.started = datetime.now()
    return app


def app_from_env() -> FastAPI:
    """The app for ``uvicorn silkrail.service.app:app_from_env --factory`` (database from $SILKRAIL_DB)."""
    return create_app(ServiceSettings.from_env(db_url=os.environ.get("SILKRAIL_DB") or None))

"""``create_app(settings)``: the tracking API under /api/v1, health, and the dashboard at /."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from silkrail.tracking.model import (
    MAX_BATCH,
    Alert,
    BatchResult,
    EventBatch,
    TrainCreated,
    TrainIn,
    TrainState,
)

logger = logging.getLogger("silkrail.service")
STATIC = Path(__file__).parent / "static"


@dataclass
class ServiceSettings:
    """What the service needs: a database URL, the write tokens, and where the network lives."""

    db_url: str
    tokens: frozenset[str]
    home: Path
    network_path: Path | None = None
    ingest_processes: int = 0  # 0: batches are stored in the service's own process
    silent_check_s: float = 60.0
    relay_s: float = 0.5  # how often changes are pushed to WebSocket clients
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, db_url: str | None = None, home: Path | None = None) -> ServiceSettings:
        from silkrail.settings import get_settings
        from silkrail.tracking.store import default_url

        s = get_settings()
        h = home or s.home
        tokens = {t for t in [os.environ.get("SILKRAIL_API_TOKEN", "")] if t}
        tokens_file = os.environ.get("SILKRAIL_API_TOKENS_FILE")
        if tokens_file and Path(tokens_file).is_file():
            tokens |= {line.strip() for line in Path(tokens_file).read_text().splitlines() if line.strip()}
        raw = os.environ.get("SILKRAIL_INGEST_PROCESSES", "0")
        if not raw.isdigit():
            raise ValueError(
                f"SILKRAIL_INGEST_PROCESSES={raw!r}: give a whole number of processes, 0 or more"
            )
        return cls(
            db_url=db_url or default_url(h), tokens=frozenset(tokens), home=h, ingest_processes=int(raw)
        )


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
    from silkrail.service import errors
    from silkrail.service.ingest import IngestPool, handle
    from silkrail.tracking.store import make_engine, migrate
    from silkrail.tracking.tracker import Tracker

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
        description="Live corridor monitoring: trains, events, ETAs, alerts. Writes need a bearer token.",
    )
    errors.install(app)

    def tracker() -> Any:
        return state["tracker"]

    def writer(authorization: Annotated[str | None, Header()] = None) -> None:
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(
                401, "writes need 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": "Bearer"}
            )
        given = authorization.removeprefix("Bearer ").encode()
        ok = False
        for token in settings.tokens:  # compare with every token in constant time
            ok |= hmac.compare_digest(given, token.encode())
        if not ok:
            raise HTTPException(401, "the bearer token is not valid", headers={"WWW-Authenticate": "Bearer"})

    @app.get("/health")
    def health() -> dict[str, Any]:
        """``ok`` once the database and network are ready; ``streams``: this process's open
        WebSocket streams."""
        return {"status": "ok" if "tracker" in state else "starting", "streams": len(hub.clients)}

    @app.post("/api/v1/trains", status_code=201, response_model=TrainCreated, dependencies=[Depends(writer)])
    def post_train(body: TrainIn, t: Any = Depends(tracker)) -> Any:
        return t.create_train(body)

    @app.post(
        "/api/v1/events",
        response_model=BatchResult,
        dependencies=[Depends(writer)],
        responses={413: {"description": f"more than {MAX_BATCH:,} events in one batch"}},
    )
    async def post_events(request: Request, t: Any = Depends(tracker)) -> Any:
        body = await request.body()
        if "pool" in state:
            status, payload, ms = await state["pool"].post(body)
        else:
            status, payload, ms = await asyncio.to_thread(handle, t, body)
        headers = {"Server-Timing": f"ingest;dur={ms:.1f}"} if status == 200 else None
        if status == 503:
            headers = {"Retry-After": "1"}
        return JSONResponse(payload, status_code=status, headers=headers)

    EventBatch.model_rebuild()  # documents the body in the OpenAPI schema
    app.openapi_schema = None

    @app.get("/api/v1/trains", response_model=list[TrainState])
    def get_trains(
        t: Any = Depends(tracker),
        status: Annotated[str | None, Query(pattern="^(planned|running|at_crossing|arrived)$")] = None,
    ) -> Any:
        return t.trains(status)

    @app.get("/api/v1/trains/{train_id}", response_model=TrainState)
    def get_train(train_id: str, t: Any = Depends(tracker)) -> Any:
        return t.train(train_id)

    @app.get("/api/v1/alerts", response_model=list[Alert])
    def get_alerts(
        t: Any = Depends(tracker),
        since: Annotated[int, Query(ge=0, le=2**53, description="only alerts with a larger id")] = 0,
    ) -> Any:
        return t.alerts(since)

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

    @app.get("/", include_in_schema=False)
    def dashboard() -> Any:
        index = STATIC / "index.html"
        if not index.exists():
            raise HTTPException(404, "dashboard not built: run 'make install'")
        return FileResponse(index)

    app.state.hub = hub
    app.state.settings = settings
    app.state.started = datetime.now()
    return app


def app_from_env() -> FastAPI:
    """The app for ``uvicorn silkrail.service.app:app_from_env --factory`` (database from $SILKRAIL_DB)."""
    return create_app(ServiceSettings.from_env(db_url=os.environ.get("SILKRAIL_DB") or None))

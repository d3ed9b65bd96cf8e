"""The WebSocket stream of changed trains and alerts, each as its client may see it: a client
that sends ``Authorization: Bearer <token>`` with its handshake sees its operator's in full."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from silkrail.service.auth import AuthError, authenticate
from silkrail.service.deps import Runtime
from silkrail.service.views import Viewer

router = APIRouter(prefix="/api/v1", tags=["stream"])


@router.websocket("/stream")
async def stream(ws: WebSocket) -> None:
    rt: Runtime = ws.app.state.runtime
    hub = rt.hub
    headers: list[tuple[bytes, bytes]] = ws.scope["headers"]
    viewer = Viewer()
    if any(k == b"authorization" for k, _ in headers):
        try:
            viewer = Viewer.of(authenticate(headers, rt.settings.grants))
        except AuthError as exc:
            await ws.close(code=1008, reason=str(exc)[:120])
            return
    if rt.settings.public_view == "none" and viewer.anonymous:
        await ws.close(code=1008, reason="this service streams to clients with a token only")
        return
    q: asyncio.Queue[str] = asyncio.Queue()
    await hub.start_from_now(rt.live_tracker())
    hub.clients[q] = viewer  # before the handshake ends: the client misses nothing stored after it
    try:
        await ws.accept()
    except BaseException:
        hub.clients.pop(q, None)
        raise

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
        hub.clients.pop(q, None)

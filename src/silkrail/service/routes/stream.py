"""The WebSocket stream of changed trains and alerts."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from silkrail.service.deps import Runtime

router = APIRouter(prefix="/api/v1", tags=["stream"])


@router.websocket("/stream")
async def stream(ws: WebSocket) -> None:
    rt: Runtime = ws.app.state.runtime
    hub = rt.hub
    await ws.accept()
    q: asyncio.Queue[str] = asyncio.Queue()
    await hub.start_from_now(rt.live_tracker())
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

"""The HTTP server's own limits, before any request reaches the app: a deadline for a request's
headers, caps on connections (in all, and per client address, WebSocket streams counted apart
from HTTP), and for WebSocket streams a message size and a deadline for a fragmented message.

uvicorn waits for headers as long as a client keeps sending them, one line every few seconds,
and accepts every connection; a few hundred slow clients, or a thousand open streams, from one
address then hold the service for everyone. These protocols (uvicorn's httptools and sans-I/O
WebSocket ones, with checks added) close a connection whose request line and headers are not
complete within the header deadline, answer 431 once they pass MAX_HEADER_BYTES while still
arriving, and refuse a connection beyond a cap with a 503 at once: beyond the server's cap, or
beyond one address's share of it. A WebSocket message larger than the message size closes the
stream (1009), and so does one whose fragments are not complete within the fragment deadline
(1008): a client cannot park megabytes of half-sent messages on the server.

Every limit has a default here and an environment variable (read when a connection opens, not
at import). Behind a reverse proxy, whose address all connections then come from, name the proxy
in ``SILKRAIL_TRUSTED_PROXIES``: its connections are not capped per address (the proxy caps each
client; README: "Limits and the reverse proxy").
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame
from websockets.http11 import Request

from silkrail.service.limits import MAX_HEADER_BYTES, trusted_proxies

KEEP_ALIVE_S = 5


@dataclass(frozen=True)
class Limit:
    """One server limit: its environment variable and default."""

    env: str
    default: float

    def get(self) -> float:
        """The value in the environment (a positive number), else the default."""
        raw = os.environ.get(self.env, "")
        try:
            value = float(raw) if raw else self.default
        except ValueError:
            return self.default
        return value if value > 0 else self.default


HEADER_TIMEOUT_S = Limit("SILKRAIL_HEADER_TIMEOUT_S", 10.0)
MAX_CONNECTIONS = Limit("SILKRAIL_MAX_CONNECTIONS", 1000)  # HTTP and WebSocket, all addresses
MAX_CONNECTIONS_PER_ADDRESS = Limit("SILKRAIL_MAX_CONNECTIONS_PER_ADDRESS", 64)  # HTTP
MAX_STREAMS = Limit("SILKRAIL_MAX_STREAMS", 500)  # WebSocket streams, all addresses
MAX_STREAMS_PER_ADDRESS = Limit("SILKRAIL_MAX_STREAMS_PER_ADDRESS", 8)
WS_MAX_BYTES = 64 * 1024  # a stream's client sends nothing the service reads; a ping fits
WS_FRAGMENT_S = Limit("SILKRAIL_WS_FRAGMENT_S", 10.0)  # from a message's first fragment to its last
LIMITS = (
    HEADER_TIMEOUT_S,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_ADDRESS,
    MAX_STREAMS,
    MAX_STREAMS_PER_ADDRESS,
    WS_FRAGMENT_S,
)


@dataclass(frozen=True)
class ServerOptions:
    """What `silkrail serve` and the tests' server pass to uvicorn: the guarded protocols and
    the service's limits."""

    http: str = "silkrail.service.protocol:GuardedHttpTools"
    ws: str = "silkrail.service.protocol:GuardedWebSockets"
    ws_max_size: int = WS_MAX_BYTES
    limit_concurrency: int = int(MAX_CONNECTIONS.default) + 50  # in flight, beyond the connection cap
    timeout_keep_alive: int = KEEP_ALIVE_S

    def args(self) -> list[str]:
        """The options as ``uvicorn`` command-line arguments."""
        return [
            "--http",
            self.http,
            "--ws",
            self.ws,
            "--ws-max-size",
            str(self.ws_max_size),
            "--limit-concurrency",
            str(self.limit_concurrency),
            "--timeout-keep-alive",
            str(self.timeout_keep_alive),
        ]


SERVER = ServerOptions()
SERVER_OPTIONS: dict[str, Any] = asdict(SERVER)  # as keywords of ``uvicorn.run`` (the serve command)


def uvicorn_args() -> list[str]:
    """The server options as ``uvicorn`` command-line arguments."""
    return SERVER.args()


def _plain(status: bytes, text: str) -> bytes:
    body = text.encode()
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
    )


class _Counts:
    """Open connections per client address, HTTP and WebSocket apart (one event loop: no lock)."""

    def __init__(self) -> None:
        self.http: Counter[str] = Counter()
        self.streams: Counter[str] = Counter()

    def release(self, table: Counter[str], address: str) -> None:
        table[address] -= 1
        if table[address] <= 0:
            del table[address]


COUNTS = _Counts()


def _address(client: tuple[str, int] | None) -> str:
    return client[0] if client else ""


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline, a header size cap, and caps on
    connections in all and per client address."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None
        self._counted = ""
        address = _address(self.client)
        if len(self.connections) > MAX_CONNECTIONS.get():
            self._refuse("too many connections; try again later")
            return
        if address not in trusted_proxies():
            if COUNTS.http[address] >= MAX_CONNECTIONS_PER_ADDRESS.get():
                self._refuse("too many connections from this address; close some and try again")
                return
            COUNTS.http[address] += 1
            self._counted = address
        self._arm()

    def _refuse(self, text: str) -> None:
        self.transport.write(_plain(b"503 Service Unavailable", text))
        self.transport.close()

    def _release(self) -> None:
        if self._counted:
            COUNTS.release(COUNTS.http, self._counted)
            self._counted = ""

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(HEADER_TIMEOUT_S.get(), self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.write(_plain(b"408 Request Timeout", "the request headers came too slowly"))
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self._arm()  # a new request: its headers have the deadline from their first byte
        super().data_received(data)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def _count(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
            self.transport.write(
                _plain(
                    b"431 Request Header Fields Too Large",
                    f"the request line and headers exceed {MAX_HEADER_BYTES:,} bytes",
                )
            )
            self.transport.close()

    def on_message_begin(self) -> None:
        self._header_bytes = 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._disarm()
        if self.transport.is_closing():
            return
        super().on_headers_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        self._release()  # from here on a stream, counted as one
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._release()
        super().connection_lost(exc)


class GuardedWebSockets(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol with caps on streams in all and per client address, and a
    deadline for a fragmented message (the message size is uvicorn's ``ws_max_size``)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._fragments: asyncio.TimerHandle | None = None
        self._counted = ""
        self._refusal = ""
        address = _address(self.client)
        if sum(COUNTS.streams.values()) >= MAX_STREAMS.get():
            self._refusal = "too many streams; try again later"
        elif address not in trusted_proxies() and COUNTS.streams[address] >= MAX_STREAMS_PER_ADDRESS.get():
            self._refusal = "too many streams from this address; close some and try again"
        else:
            COUNTS.streams[address] += 1
            self._counted = address

    def handle_connect(self, event: Request) -> None:
        if not self._refusal:
            super().handle_connect(event)
            return
        self.request = event
        self.handshake_initiated = self.handshake_complete = self.close_sent = True
        self.conn.send_response(self.conn.reject(503, self._refusal))
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.transport.close()

    def handle_text(self, event: Frame) -> None:
        super().handle_text(event)
        self._watch(event)

    def handle_bytes(self, event: Frame) -> None:
        super().handle_bytes(event)
        self._watch(event)

    def _watch(self, event: Frame) -> None:
        """A message's first fragment starts its deadline; its last ends it."""
        if not event.fin and self._fragments is None:
            self._fragments = self.loop.call_later(WS_FRAGMENT_S.get(), self._too_slow)

    def send_receive_event_to_app(self) -> None:
        self._stop_watch()
        super().send_receive_event_to_app()

    def _stop_watch(self) -> None:
        if self._fragments is not None:
            self._fragments.cancel()
            self._fragments = None

    def _too_slow(self) -> None:
        self._fragments = None
        if not self.transport.is_closing():
            self.frames = []
            self.conn.send_close(1008, "the message's fragments came too slowly")
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watch()
        if self._counted:
            COUNTS.release(COUNTS.streams, self._counted)
            self._counted = ""
        super().connection_lost(exc)

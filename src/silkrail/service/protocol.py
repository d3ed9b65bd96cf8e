"""The HTTP server's own limits: a deadline for a request's headers and a cap on connections.

uvicorn waits for headers as long as a client keeps sending them, one line every few seconds,
and accepts every connection; a few hundred slow clients then hold the service. This protocol
(uvicorn's httptools one, with two checks) closes a connection whose request line and headers
are not complete within HEADER_TIMEOUT_S, answers 431 once they pass MAX_HEADER_BYTES while
still arriving, and refuses connections beyond MAX_CONNECTIONS with a 503 at once.

Behind a reverse proxy, set the same limits there as well (nginx: ``client_header_timeout``,
``large_client_header_buffers``, ``client_max_body_size``, ``limit_conn``).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from silkrail.service.limits import MAX_HEADER_BYTES

HEADER_TIMEOUT_S = 10.0  # or $SILKRAIL_HEADER_TIMEOUT_S
MAX_CONNECTIONS = 1000  # or $SILKRAIL_MAX_CONNECTIONS
KEEP_ALIVE_S = 5


def _setting(name: str, default: float) -> float:
    """A limit from the environment (read when used, not at import), else its default."""
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


# what `silkrail serve` and the tests' server pass to uvicorn
SERVER_OPTIONS: dict[str, Any] = {
    "http": "silkrail.service.protocol:GuardedHttpTools",
    "limit_concurrency": MAX_CONNECTIONS + 50,  # requests in flight, beyond the connection cap
    "timeout_keep_alive": KEEP_ALIVE_S,
}


def uvicorn_args() -> list[str]:
    """SERVER_OPTIONS as ``uvicorn`` command-line arguments."""
    return [
        "--http",
        SERVER_OPTIONS["http"],
        "--limit-concurrency",
        str(SERVER_OPTIONS["limit_concurrency"]),
        "--timeout-keep-alive",
        str(SERVER_OPTIONS["timeout_keep_alive"]),
    ]


def _plain(status: bytes, text: str) -> bytes:
    body = text.encode()
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
    )


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline, a header size cap and a connection cap."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None
        if len(self.connections) > _setting("SILKRAIL_MAX_CONNECTIONS", MAX_CONNECTIONS):
            transport.write(_plain(b"503 Service Unavailable", "too many connections; try again later"))
            transport.close()
            return
        self._arm()

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(
                _setting("SILKRAIL_HEADER_TIMEOUT_S", HEADER_TIMEOUT_S), self._too_slow
            )

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
            self._arm()  # a new request: its headers have HEADER_TIMEOUT_S from their first byte
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

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

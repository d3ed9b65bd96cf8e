"""Limits checked before any work: header size, who writes, body size, JSON shape; and the
security headers of every response.

The ASGI layer here runs before FastAPI reads a body: a write without a valid token is refused
from its headers alone (the body is never read), a body larger than the limit is refused on its
Content-Length or as soon as the bytes read pass the limit, and JSON nested too deeply or with
absurdly long numbers is a 422 rather than an exception in the parser.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import NoReturn

from pydantic import JsonValue
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from silkrail.service import audit
from silkrail.service.auth import AuthError, Token, authenticate
from silkrail.service.quota import ClientLimits, Quotas, cost_of, retry_after

MAX_BODY_BYTES = 16 * 1024 * 1024  # a batch of 10,000 events is about 2.5 MB
MAX_HEADER_BYTES = 16 * 1024
MAX_JSON_DEPTH = 16
MAX_NUMBER_CHARS = 32
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TOKEN_KEY = "silkrail.token"  # where the request's token is kept in the ASGI scope
CLIENT_KEY = "silkrail.client"  # and who the client is: "token:<id>" or "address:<ip>"
TOO_FAST = "too many requests from this client for now; wait for Retry-After seconds"
RAW_BODY_PATHS = frozenset({"/api/v1/events"})  # parsed by the ingest code itself (parse_json)
READ_POSTS = frozenset({"/api/v1/od"})  # POSTs for a body of questions that write nothing: no token
MAX_READ_BODY_BYTES = 64 * 1024  # 100 place names of 200 characters and the options fit with room

# the dashboard and the API docs load everything from this service; data: for Swagger's icons
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]

def trusted_proxies() -> frozenset[str]:
    """The addresses of the reverse proxies in front of the service (``SILKRAIL_TRUSTED_PROXIES``,
    comma-separated): not capped per address, and their ``X-Forwarded-For`` names the client."""
    return frozenset(
        a.strip() for a in os.environ.get("SILKRAIL_TRUSTED_PROXIES", "").split(",") if a.strip()
    )


def client_address(scope: Scope) -> str:
    """The client's address: the peer's, or behind a trusted proxy the last address in
    ``X-Forwarded-For`` that is not itself a trusted proxy."""
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    proxies = trusted_proxies()
    if peer not in proxies:
        return peer
    forwarded = [
        a.strip()
        for k, v in scope["headers"]
        if k == b"x-forwarded-for"
        for a in v.decode("latin-1").split(",")
        if a.strip()
    ]
    for address in reversed(forwarded):
        if address not in proxies:
            return address[:64]
    return peer


def _relative(header: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
    """A ``Location`` header made relative: a redirect never names a host, least of all the one
    a client claimed in its Host header."""
    name, value = header
    if name.lower() == b"location" and b"://" in value[:12]:
        rest = value.split(b"://", 1)[1]
        slash = rest.find(b"/")
        return name, rest[slash:] if slash >= 0 else b"/"
    return header


class JSONLimitError(ValueError):
    """A body that is not JSON the service takes: the message says what and what is allowed."""


def _number(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        if len(text) > MAX_NUMBER_CHARS:
            raise JSONLimitError(
                f"a number of {len(text):,} characters; give numbers of at most {MAX_NUMBER_CHARS}"
            )
        return kind(text)

    return parse


def _constant(name: str) -> NoReturn:
    raise JSONLimitError(f"{name} is not a JSON number; give a finite number")


_DECODER = json.JSONDecoder(parse_int=_number(int), parse_float=_number(float), parse_constant=_constant)


def _depth_ok(doc: dict[str, JsonValue] | list[JsonValue]) -> bool:
    """Whether no value nests deeper than MAX_JSON_DEPTH (iteratively: no recursion to exhaust;
    a plain loop over each container's items, as it runs on every batch)."""
    stack: list[tuple[dict[str, JsonValue] | list[JsonValue], int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        for v in value.values() if isinstance(value, dict) else value:
            if isinstance(v, dict | list):
                stack.append((v, depth + 1))
    return True


def parse_json(body: bytes) -> JsonValue:
    """The JSON document in ``body``, within the limits; JSONLimitError says what is wrong."""
    try:
        doc: JsonValue = _DECODER.decode(body.decode("utf-8"))
    except RecursionError:
        doc = None
        deep = True
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise JSONLimitError("the body is not valid JSON") from None
    else:
        deep = isinstance(doc, dict | list) and not _depth_ok(doc)
    if deep:
        raise JSONLimitError(f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
    return doc


async def _respond(send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Guard:
    """The ASGI middleware applying the limits above to every HTTP request of ``app``: who it is
    (a token, or an address), what it may cost (``quota``), the header and body limits, OPTIONS
    with ``Allow``, relative redirects, the security headers, and the audit of refused writes.

    ``allowed(path)``: the methods the app serves at ``path`` (empty: none)."""

    def __init__(
        self,
        app: ASGIApp,
        tokens: Iterable[Token],
        max_body: int = MAX_BODY_BYTES,
        limits: ClientLimits | None = None,
        allowed: Callable[[str], frozenset[str]] | None = None,
    ) -> None:
        self.app, self.tokens, self.max_body = app, tuple(tokens), max_body
        self.limits = limits if limits is not None else ClientLimits(Quotas())
        self.allowed = allowed
        self._paths: dict[str, frozenset[str]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [_relative(h) for h in message.get("headers", [])]
                message = {**message, "headers": [*headers, *SECURITY_HEADERS]}
            await send(message)

        headers: list[tuple[bytes, bytes]] = scope["headers"]
        size = sum(len(k) + len(v) + 4 for k, v in headers) + len(scope.get("raw_path") or b"")
        size += len(scope.get("query_string") or b"")
        if size > MAX_HEADER_BYTES:
            await _respond(secured, 431, f"the request line and headers exceed {MAX_HEADER_BYTES:,} bytes")
            return
        path, method = scope["path"], scope["method"]
        if path == "/static":  # a relative redirect: never built from the Host header
            await secured(
                {"type": "http.response.start", "status": 307, "headers": [(b"location", b"/static/")]}
            )
            await secured({"type": "http.response.body", "body": b""})
            return
        if method == "OPTIONS" and self.allowed is not None:
            await self._options(path, secured)
            return
        address = client_address(scope)
        write = method in WRITE_METHODS and path.startswith("/api/")
        reading = write and path in READ_POSTS  # a POST of questions: it writes nothing
        if write and self.allowed is not None:  # the method first: a 405 needs no token
            served = self._served(path)
            if method not in served:
                if not served:
                    await _respond(secured, 404, f"no resource at {path[:200]}")
                    return
                allow = ", ".join(sorted(served | {"OPTIONS"}))
                await _respond(
                    secured, 405, f"{method} is not served here; use {allow}", [(b"allow", allow.encode())]
                )
                return
        token: Token | None = None
        needs_token = write and not reading
        if needs_token or (path.startswith("/api/") and any(k == b"authorization" for k, _ in headers)):
            try:  # who it is, from the headers alone: nothing of the body is read before
                token = authenticate(headers, self.tokens)
            except AuthError as exc:
                wait = self.limits.charge(f"address:{address}", 1.0)
                if wait > 0:
                    await _respond(secured, 429, TOO_FAST, [(b"retry-after", retry_after(wait).encode())])
                    return
                if needs_token:
                    audit.refused(
                        status=exc.status, reason=str(exc), client=address, method=method, path=path
                    )
                extra = [(b"www-authenticate", b"Bearer")] if exc.status == 401 else []
                await _respond(secured, exc.status, str(exc), extra)
                return
            scope[TOKEN_KEY] = token
        client = f"token:{token.id}" if token is not None else f"address:{address}"
        scope[CLIENT_KEY] = client
        wait = self.limits.charge(client, cost_of(method, path, scope.get("query_string") or b""))
        if wait > 0:
            await _respond(secured, 429, TOO_FAST, [(b"retry-after", retry_after(wait).encode())])
            return
        if not write:
            await self.app(scope, receive, secured)
            return
        body = await self._read(scope, receive, secured, MAX_READ_BODY_BYTES if reading else self.max_body)
        if body is None:
            return
        if path not in RAW_BODY_PATHS and body:
            try:
                parse_json(body)
            except JSONLimitError as exc:
                await _respond(secured, 422, f"body: {exc}")
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only a disconnect

        await self.app(scope, replay, secured)

    def _served(self, path: str) -> frozenset[str]:
        """``allowed(path)``, kept for the last paths asked (the events path on every batch)."""
        assert self.allowed is not None
        methods = self._paths.get(path)
        if methods is None:
            methods = self.allowed(path)
            if len(self._paths) >= 1024:
                self._paths.clear()
            self._paths[path] = methods
        return methods

    async def _options(self, path: str, send: Send) -> None:
        """204 with the methods the path takes in ``Allow``; 404 for a path the app does not serve."""
        assert self.allowed is not None
        methods = self.allowed(path)
        if not methods:
            await _respond(send, 404, f"no resource at {path[:200]}")
            return
        allow = ", ".join(sorted(methods | {"OPTIONS"}))
        await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", allow.encode())]})
        await send({"type": "http.response.body", "body": b""})

    async def _read(self, scope: Scope, receive: Receive, send: Send, limit: int) -> bytes | None:
        """The whole body, or None once a 413 has been sent (on Content-Length, or as soon as
        the bytes read pass ``limit``)."""
        too_big = f"the body is larger than {limit:,} bytes; send less per request"
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _respond(
                send, 413 if length.isdigit() else 400, too_big if length.isdigit() else "bad Content-Length"
            )
            return None
        chunks, total = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > limit:
                await _respond(send, 413, too_big)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

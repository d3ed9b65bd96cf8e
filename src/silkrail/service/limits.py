"""Limits checked before any work: header size, who writes, body size, JSON shape; and the
security headers of every response.

The ASGI layer here runs before FastAPI reads a body: a write without a valid token is refused
from its headers alone (the body is never read), a body larger than the limit is refused on its
Content-Length or as soon as the bytes read pass the limit, and JSON nested too deeply or with
absurdly long numbers is a 422 rather than an exception in the parser.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from silkrail.service.auth import AuthError, Token, authenticate

MAX_BODY_BYTES = 16 * 1024 * 1024  # a batch of 10,000 events is about 2.5 MB
MAX_HEADER_BYTES = 16 * 1024
MAX_JSON_DEPTH = 16
MAX_NUMBER_CHARS = 32
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TOKEN_KEY = "silkrail.token"  # where the request's token is kept in the ASGI scope
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

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class JSONLimitError(ValueError):
    """A body that is not JSON the service takes: the message says what and what is allowed."""


def _number(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise JSONLimitError(
                f"a number of {len(text):,} characters; give numbers of at most {MAX_NUMBER_CHARS}"
            )
        return kind(text)

    return parse


def _constant(name: str) -> Any:
    raise JSONLimitError(f"{name} is not a JSON number; give a finite number")


_DECODER = json.JSONDecoder(parse_int=_number(int), parse_float=_number(float), parse_constant=_constant)


def _depth_ok(doc: Any) -> bool:
    """Whether no value nests deeper than MAX_JSON_DEPTH (iteratively: no recursion to exhaust;
    a plain loop over each container's items, as it runs on every batch)."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        for v in value.values() if type(value) is dict else value:
            if type(v) is dict or type(v) is list:
                stack.append((v, depth + 1))
    return True


def parse_json(body: bytes) -> Any:
    """The JSON document in ``body``, within the limits; JSONLimitError says what is wrong."""
    try:
        doc = _DECODER.decode(body.decode("utf-8"))
    except RecursionError:
        doc = None
        deep = True
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise JSONLimitError("the body is not valid JSON") from None
    else:
        deep = type(doc) in (dict, list) and not _depth_ok(doc)
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
    """The ASGI middleware applying the limits above to every HTTP request of ``app``."""

    def __init__(self, app: ASGIApp, tokens: Iterable[Token], max_body: int = MAX_BODY_BYTES) -> None:
        self.app, self.tokens, self.max_body = app, tuple(tokens), max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        headers: list[tuple[bytes, bytes]] = scope["headers"]
        size = sum(len(k) + len(v) + 4 for k, v in headers) + len(scope.get("raw_path") or b"")
        size += len(scope.get("query_string") or b"")
        if size > MAX_HEADER_BYTES:
            await _respond(secured, 431, f"the request line and headers exceed {MAX_HEADER_BYTES:,} bytes")
            return
        if scope["path"] == "/static":  # a relative redirect: never built from the Host header
            await secured(
                {"type": "http.response.start", "status": 307, "headers": [(b"location", b"/static/")]}
            )
            await secured({"type": "http.response.body", "body": b""})
            return
        if scope["method"] not in WRITE_METHODS or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, secured)
            return
        reading = scope["path"] in READ_POSTS
        if not reading:
            try:  # who writes, from the headers alone: nothing of the body is read before
                scope[TOKEN_KEY] = authenticate(headers, self.tokens)
            except AuthError as exc:
                extra = [(b"www-authenticate", b"Bearer")] if exc.status == 401 else []
                await _respond(secured, exc.status, str(exc), extra)
                return
        body = await self._read(scope, receive, secured, MAX_READ_BODY_BYTES if reading else self.max_body)
        if body is None:
            return
        if scope["path"] not in RAW_BODY_PATHS and body:
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

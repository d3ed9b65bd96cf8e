"""The one mapping from domain errors to HTTP status codes, and the one error body every status
answers with (``{error, fields}``), declared once for the OpenAPI document. Unexpected errors
never reach a client as text: they become a 500 with a generic message (and go to the log)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from silkrail.errors import DataError, NoRouteError, SilkrailError, UnknownPlaceError
from silkrail.service import audit
from silkrail.tracking.store import STORAGE_FULL, storage_failure, transient_errors
from silkrail.tracking.tracker import ForbiddenError, QuotaExceeded, UnknownTrainError

if TYPE_CHECKING:
    from silkrail.service.deps import Runtime

log = logging.getLogger("silkrail.service")


class FieldError(BaseModel):
    """One invalid field of a request: where (``body.teu``, ``query.limit``) and why."""

    model_config = ConfigDict(extra="forbid")

    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error the service answers: one sentence, and for invalid fields each field."""

    model_config = ConfigDict(extra="forbid")  # documented as closed: a stray key fails conformance

    error: str = Field(description="what was wrong, where, and what would be valid")
    fields: list[FieldError] | None = Field(
        default=None, description="each invalid field (422 on a request that fails validation)"
    )


# what each status means, for the OpenAPI document; an operation lists those it can answer
MEANING: dict[int, str] = {
    400: "a malformed request: two Authorization headers, or a bad Content-Length",
    401: "no valid bearer token (a write without one, or any request with a wrong one)",
    403: "the token's operator may not write this",
    404: "no such resource",
    413: "the body is larger than the service takes",
    422: "invalid input: the error names the field or place and what would be valid",
    431: "the request line and headers are too large (at most 16 kB)",
    429: "too many requests from this client (its rate or its heavy requests in flight): wait "
    "Retry-After seconds",
    503: "not ready, busy (every read worker taken and the queue full, or a deadline passed), or the "
    "database is busy or unreachable; nothing was written, try again after Retry-After",
    507: "the database's disk is full or read-only; nothing was written",
}
WRITE = (400, 401, 413, 422, 503, 507)  # the Guard's checks, validation and storage
HEAVY = (429, 503)  # a heavy read: the client's cap, the pool full or the deadline passed
GUARD = (400, 401, 429)  # what the Guard may answer to any API request: a bad token, a rate


def responses(*codes: int, guard: bool = True, **meanings: str) -> dict[int | str, dict[str, object]]:
    """The OpenAPI ``responses`` of an operation answering ``codes`` (and, with ``guard``, the
    Guard's own answers): each with the one error body; ``meanings`` (``e413=...``) replaces a
    status's general description."""
    every = set(codes) | (set(GUARD) if guard else set())
    return {
        code: {"model": ErrorBody, "description": meanings.get(f"e{code}", MEANING[code])}
        for code in sorted(every)
    }


STATUS: list[tuple[type[Exception], int]] = [
    (QuotaExceeded, 429),
    (UnknownTrainError, 404),
    (ForbiddenError, 403),
    (UnknownPlaceError, 422),
    (NoRouteError, 422),
    (DataError, 422),
    (SilkrailError, 422),
]


def status_of(exc: SilkrailError) -> int:
    """The HTTP status of a domain error."""
    return next(code for cls, code in STATUS if isinstance(exc, cls))


STORAGE_RETRY_S = 300  # a full or read-only disk needs an operator, not a quick retry


def storage_failed(runtime: Runtime) -> None:
    """Note when a write last failed on storage (cleared by the next stored batch)."""
    runtime.storage_failed = time.monotonic()


def storage_response() -> JSONResponse:
    return JSONResponse(
        status_code=507, content={"error": STORAGE_FULL}, headers={"Retry-After": str(STORAGE_RETRY_S)}
    )


def _where(loc: tuple[object, ...]) -> str:
    parts = [str(x) for x in loc if x not in ("body",)]
    return ".".join(parts) or "body"


def install(app: FastAPI, runtime: Runtime) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        if first.get("type") == "json_invalid":
            msg = "the body is not valid JSON"
        return JSONResponse(
            status_code=422,
            content={
                "error": f"{_where(tuple(first.get('loc', ())))}: {msg}",
                "fields": [
                    {"field": _where(tuple(e.get("loc", ()))), "message": e.get("msg", "")}
                    for e in errors[:20]
                ],
            },
        )

    @app.exception_handler(SilkrailError)
    async def _domain(request: Request, exc: SilkrailError) -> JSONResponse:
        status = status_of(exc)
        if status == 403:
            from silkrail.service.limits import TOKEN_KEY, client_address

            token = request.scope.get(TOKEN_KEY)
            audit.refused(
                status=403,
                reason=str(exc),
                client=client_address(request.scope),
                method=request.method,
                path=request.url.path,
                token_id=getattr(token, "id", None),
                operator=getattr(token, "operator", None),
            )
        headers = (
            {"Retry-After": str(QuotaExceeded.retry_after_s)} if isinstance(exc, QuotaExceeded) else None
        )
        return JSONResponse(status_code=status, content={"error": str(exc)}, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"error": str(exc.detail)},
            headers=getattr(exc, "headers", None),
        )

    async def _busy(_: Request, exc: Exception) -> JSONResponse:
        if storage_failure(exc):
            log.error("database storage: %s", str(exc).split("\n")[0])
            storage_failed(runtime)
            return storage_response()
        log.warning("database: %s", str(exc).split("\n")[0])
        return JSONResponse(
            status_code=503,
            content={"error": "the database is busy or unreachable; nothing was written, try again"},
            headers={"Retry-After": "1"},
        )

    for cls in transient_errors():
        app.add_exception_handler(cls, _busy)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if storage_failure(exc):  # the write-lock file on a full or read-only disk
            return await _busy(request, exc)
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(status_code=500, content={"error": "internal error; the server log has details"})

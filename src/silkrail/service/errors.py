"""The one mapping from domain errors to HTTP status codes. Unexpected errors never reach a
client as text: they become a 500 with a generic message (and go to the log)."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from silkrail.errors import DataError, NoRouteError, SilkrailError, UnknownPlaceError
from silkrail.tracking.store import STORAGE_FULL, storage_failure, transient_errors
from silkrail.tracking.tracker import ForbiddenError, UnknownTrainError

log = logging.getLogger("silkrail.service")

STATUS: list[tuple[type[Exception], int]] = [
    (UnknownTrainError, 404),
    (ForbiddenError, 403),
    (UnknownPlaceError, 422),
    (NoRouteError, 422),
    (DataError, 422),
    (SilkrailError, 422),
]


STORAGE_RETRY_S = 300  # a full or read-only disk needs an operator, not a quick retry


def storage_failed(state: dict[str, Any]) -> None:
    """Note that a write failed on storage: ``/ready`` reports it until a write succeeds."""
    state["storage_failed"] = time.monotonic()


def storage_response() -> JSONResponse:
    return JSONResponse(
        status_code=507, content={"error": STORAGE_FULL}, headers={"Retry-After": str(STORAGE_RETRY_S)}
    )


def _where(loc: tuple[object, ...]) -> str:
    parts = [str(x) for x in loc if x not in ("body",)]
    return ".".join(parts) or "body"


def install(app: FastAPI, state: dict[str, Any]) -> None:
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
    async def _domain(_: Request, exc: SilkrailError) -> JSONResponse:
        status = next(code for cls, code in STATUS if isinstance(exc, cls))
        return JSONResponse(status_code=status, content={"error": str(exc)})

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
            storage_failed(state)
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

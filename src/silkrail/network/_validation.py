"""One validation error in one line, for messages about files read into models."""

from __future__ import annotations

from pydantic import ValidationError


def field_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a field path: ``features[3].geometry.coordinates``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def first_problem(exc: ValidationError) -> str:
    """The first problem of a validation error in one line: the field, what is wrong with it and
    the value found (and how many other problems there are)."""
    errors = exc.errors(include_url=False)
    err = errors[0]
    where = field_path(tuple(err["loc"]))
    text = f"{where}: {err['msg']}" if where else err["msg"]
    got = err.get("input")
    if err["type"] not in ("missing", "json_invalid") and not isinstance(got, dict | list):
        shown = repr(got)
        text += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
    return text + (f"; and {len(errors) - 1} more" if len(errors) > 1 else "")

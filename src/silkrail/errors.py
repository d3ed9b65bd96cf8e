"""The exception tree of silkrail.

Every error a user can cause is a :class:`SilkrailError`. Leaves also subclass the
builtin that fits, so callers can catch either ``DataError`` or ``ValueError``.
"""

from __future__ import annotations


class SilkrailError(Exception):
    """Base class of every error silkrail raises on purpose."""


class DataError(ValueError, SilkrailError):
    """Input data is malformed: says which file, line and field, and what would be valid."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = message
        where = ""
        if file:
            where = file if line is None else f"{file} line {line}"
        if field:
            where = f"{where}: field '{field}'" if where else f"field '{field}'"
        super().__init__(f"{where}: {message}" if where else message)


class SourceError(SilkrailError, RuntimeError):
    """A raw input source (rail graph, maritime network, country outlines) is missing or unreadable."""


class CacheError(SilkrailError, OSError):
    """A cached network is corrupt or stale; callers rebuild instead of using it."""


class UnknownPlaceError(LookupError, SilkrailError):
    """A place name that resolves to nothing; lists the closest known names."""

    def __init__(
        self, name: str, suggestions: list[str], *, reason: str | None = None, hint: str | None = None
    ) -> None:
        self.name = name
        self.suggestions = suggestions
        if reason:
            super().__init__(f"place '{name}': {reason}")
            return
        if hint is None and suggestions:
            hint = f"closest known names: {', '.join(suggestions)}"
        super().__init__(f"unknown place '{name}'" + (f"; {hint}" if hint else ""))


class NoRouteError(SilkrailError, LookupError):
    """No path satisfies the request; the message says why."""


class MissingExtraError(SilkrailError, ImportError):
    """An optional Python package is not installed; names the silkrail extra that provides it."""

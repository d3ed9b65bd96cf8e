"""Compiled kernels where numba is installed (the ``fast`` extra), the same code in Python where not.

The search and timetable kernels are written for numba: functions of arrays and numbers. The
core install leaves numba out (with llvmlite it adds about 200 MB); :func:`njit` then returns
each function as it is, so the same code runs in the interpreter and gives the same answers,
only slower. Callers that have a faster plain-Python or scipy path for bulk work ask
:func:`available` and take it.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

DISABLE_ENV = "SILKRAIL_NO_NUMBA"
"""Set to 1 to run without numba even where it is installed (to check the interpreted paths)."""


@cache
def available() -> bool:
    """Whether numba is installed (and not turned off by ``SILKRAIL_NO_NUMBA=1``). Cheap: finds
    the package without importing it."""
    if os.environ.get(DISABLE_ENV, "").strip() not in ("", "0"):
        return False
    return importlib.util.find_spec("numba") is not None


def njit(**options: Any) -> Callable[[F], F]:
    """``numba.njit(**options)`` where numba is available, else the function unchanged."""

    def decorate(fn: F) -> F:
        if not available():
            return fn
        import numba

        return numba.njit(**options)(fn)

    return decorate

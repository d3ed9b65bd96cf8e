"""A query parameter that takes one value is given once.

The query string may repeat a name (``?avoid=KZ&avoid=MN`` is how a list is given), and for a
parameter that takes one value the framework keeps the last: ``?origin=&origin=Hanoi`` would be
answered as a route from Hanoi, though the request also gave an empty origin. This check, run
before every operation, answers such a request 422 naming the parameter, as any other invalid
field is answered."""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Annotated, Union, get_args, get_origin

from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import HTTPConnection

_MANY = (list, tuple, set, frozenset, Sequence)


def _takes_many(annotation: object) -> bool:
    """Whether a declared query parameter takes several values (a list, possibly optional)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_many(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(_takes_many(arg) for arg in get_args(annotation) if arg is not type(None))
    return annotation in _MANY or origin in _MANY


def _query_params(dependant: Dependant) -> Iterator[tuple[str, object]]:
    """Each query parameter an operation declares, its own and its dependencies': (name, type)."""
    for param in dependant.query_params:
        yield param.alias, param.field_info.annotation
    for sub in dependant.dependencies:
        yield from _query_params(sub)


def given_once(request: HTTPConnection) -> None:
    """Refuse (422) a request that gives a single-valued query parameter more than once (an HTTP
    operation's; a websocket's parameters are read where it opens)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    counts = Counter(name for name, _ in request.query_params.multi_items())
    repeated = [name for name, n in counts.items() if n > 1]
    if not repeated:
        return
    single = {name for name, annotation in _query_params(route.dependant) if not _takes_many(annotation)}
    errors = [
        {
            "type": "repeated",
            "loc": ("query", name),
            "msg": f"given {counts[name]} times; it takes one value, give it once",
            "input": request.query_params.getlist(name),
        }
        for name in repeated
        if name in single
    ]
    if errors:
        raise RequestValidationError(errors)

"""The plain values the tracking layer hands on: a field of a stored row (what SQLAlchemy binds
and returns), and a record's ``to_dict()`` (what the service encodes as JSON, times still as
``datetime``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TypeAlias

Value: TypeAlias = str | int | float | bool | date | None
"""A field of a row (``date`` includes ``datetime``)."""

Row: TypeAlias = dict[str, Value]
"""A row of a table, by column name."""

Doc: TypeAlias = Mapping[str, "DocValue"]
"""A record as a document: fields of values, lists and documents. The containers are read-only
(``Mapping``, ``Sequence``), so a route's ``to_dict()`` (:data:`silkrail.routing.json_types.JsonObject`)
is a document as it stands."""

DocValue: TypeAlias = Value | Sequence["DocValue"] | Mapping[str, "DocValue"]

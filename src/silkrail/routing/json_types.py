"""The shape of the JSON that results write: one recursive type for ``to_dict()`` answers.

Containers are read-only (``Sequence``, ``Mapping``), so a record's ``list[str]`` or
``dict[str, float]`` is JSON as it stands, without a copy. A pydantic model that validates JSON
declares its fields with ``pydantic.JsonValue`` instead (pydantic builds no schema for an alias
that refers to itself by name)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

JsonValue: TypeAlias = "bool | int | float | str | Sequence[JsonValue] | Mapping[str, JsonValue] | None"
"""A JSON value: what ``json.dumps`` writes and ``json.loads`` reads back."""

JsonObject: TypeAlias = "dict[str, JsonValue]"
"""A JSON object, as a ``to_dict()`` answer builds it."""

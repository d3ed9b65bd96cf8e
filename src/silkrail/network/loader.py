"""The curated loader: YAML files of sourced records read with line numbers, validated by a
pydantic model, every error a :class:`~silkrail.errors.DataError` naming the file, the line, the
field and the record. The package's own data (:mod:`silkrail.network.curated`) and every other
curated or user file (timetables, scenarios, the interoperability and risk records, the
calibration files) load through here.

Public: :class:`Strict` and :class:`Sourced` (the base models: finite numbers, no unknown
field; a ``source`` and an ``as_of`` date), the field checks :func:`check_country`,
:func:`check_gauge` and :func:`check_id`, the types ``Country``, ``NonNeg``, ``Positive``,
:class:`LineLoader` and :func:`locate` (the YAML line of a field), :func:`validate_file`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from silkrail.errors import DataError
from silkrail.network.model import GAUGES_MM

_AS_OF = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@cache
def known_country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes of GeoNames' countries (read once)."""
    from silkrail.network import geonames

    return frozenset(geonames.countries())


def check_country(code: str) -> str:
    if code not in known_country_codes():
        raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code (for example CN, MN, RU, VN)")
    return code


def check_gauge(mm: int) -> int:
    if mm not in GAUGES_MM:
        raise ValueError(f"{mm} mm is not a known gauge; use one of {', '.join(map(str, GAUGES_MM))}")
    return mm


Country = Annotated[str, Field(min_length=2, max_length=2)]
NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # finite numbers only


class Sourced(Strict):
    """A curated record: where the figure comes from and when it was true."""

    source: str | list[str]
    as_of: str

    @field_validator("source")
    @classmethod
    def _source_present(cls, v: str | list[str]) -> str | list[str]:
        items = [v] if isinstance(v, str) else v
        if not items or any(not s.strip() for s in items):
            raise ValueError("every record needs a non-empty source (title and URL)")
        return v

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of_date(cls, v: object) -> str:
        v = str(v)
        if not _AS_OF.match(v):
            raise ValueError(f"'{v}' is not a date; write YYYY-MM-DD or YYYY-MM")
        if not 1900 <= int(v[:4]) <= 2100:
            raise ValueError(f"'{v}' is not a plausible date for a figure; give one from 1900 to 2100")
        return v

    @property
    def sources(self) -> list[str]:
        return [self.source] if isinstance(self.source, str) else list(self.source)


def check_id(v: str) -> str:
    if not _ID.match(v):
        raise ValueError(f"'{v}' is not a kebab-case id (lowercase letters, digits and '-')")
    return v


M = TypeVar("M", bound=BaseModel)
"""The model a file is validated against."""


# --- YAML with line numbers ------------------------------------------------------------


class LineMap(dict[str, object]):
    """A mapping that remembers the line of each key (1-based): a YAML document's mapping,
    read only to locate a field (validation reads the document into a model)."""

    line: int
    key_lines: dict[str, int]


class LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    out = LineMap()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# dates stay strings: as_of is validated as text
LineLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def locate(doc: object, loc: tuple[int | str, ...]) -> tuple[int | None, str]:
    """The YAML line and a readable field path for a pydantic error location."""
    line: int | None = getattr(doc, "line", None)
    node = doc
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                line = getattr(node, "line", line)
            continue
        path += f".{part}" if path else str(part)
        if isinstance(node, LineMap):
            line = node.key_lines.get(part, line)
            node = node.get(part)
            line = getattr(node, "line", None) or line
        else:
            node = None
    return line, path


def record_name(doc: object, loc: tuple[int | str, ...]) -> str:
    node = doc
    label = ""
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
        if isinstance(node, dict):
            for key in ("id", "name", "locode", "country", "mode"):
                if key in node and isinstance(node[key], str):
                    label = f"{key} '{node[key]}'"
                    break
    return label


def validate_file(path: Path, model: type[M]) -> tuple[M, LineMap]:
    """(the validated model, the line-numbered document) of a YAML file of package or user data;
    the first bad field raises DataError(file, line, field), with the record it belongs to."""
    path = Path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise DataError(
            f"not valid YAML: {exc.problem}", file=path.name, line=mark.line + 1 if mark else None
        ) from None
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror})", file=str(path)) from None
    except RecursionError:
        from silkrail.network.yaml_limits import too_deep

        raise too_deep(path.read_text(encoding="utf-8"), path.name) from None
    if not isinstance(doc, LineMap):
        raise DataError("expected a mapping at the top level", file=path.name, line=1)
    try:
        parsed = model.model_validate(doc)
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt field shows up as both "missing" and "extra": name the misspelling
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = tuple(err["loc"])
        line, field = locate(doc, loc)
        record = record_name(doc, loc)
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        if err["type"] not in ("missing", "extra_forbidden") and not isinstance(got, dict | list):
            msg += f" (got {got!r})"
        if err["type"] == "extra_forbidden":
            msg = f"unknown field; valid fields here: {', '.join(_fields_at(model, loc[:-1]))}"
        if record:
            msg = f"{record}: {msg}"
        raise DataError(msg, file=path.name, line=line, field=field) from None
    return parsed, doc


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if current is not None else None
        if field is None:
            break
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        candidates = [a for a in (*args, ann) if isinstance(a, type) and issubclass(a, BaseModel)]
        current = candidates[0] if candidates else None
    return list(current.model_fields) if current is not None else []



"""Interoperability records: power, train control, limits and track, per country and per line.

Declared once here (pydantic) and loaded through the curated data's validating loader
(:func:`silkrail.network.loader.validate_file`), so a bad record is refused with its file,
line and field. Every figure carries its own ``source`` and ``as_of``: a section's attribute
is either a curated line or section record, a country default, or unknown -- never a guess.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from silkrail.errors import DataError
from silkrail.network.curated import Point
from silkrail.network.loader import Sourced, Strict, check_country, check_id, validate_file

logger = logging.getLogger("silkrail.network.interop")

DATA_FILE = "interoperability.yaml"

POWER_SYSTEMS = {
    "none": "not electrified (diesel)",
    "ac-25kv-50hz": "25 kV 50 Hz AC",
    "dc-3kv": "3 kV DC",
    "mixed-dc-3kv-ac-25kv": "3 kV DC or 25 kV 50 Hz AC by line",
    "electrified-system-unknown": "electrified, system not found",
}
"""Power systems and how they read; 'partly' marks a country where only some lines are wired."""

Power = Literal["none", "ac-25kv-50hz", "dc-3kv", "mixed-dc-3kv-ac-25kv", "electrified-system-unknown"]


class _Attribute(Sourced):
    """One curated figure: its value, where it comes from and when it was true. ``weak``
    marks a weak or conflicting source (shown as such, never hidden)."""

    weak: bool = False
    note: str | None = None


class Electrification(_Attribute):
    system: Power
    partly: bool = False  # only some of the country's lines are electrified
    share: Annotated[float, Field(ge=0, le=1)] | None = None  # electrified share of the lines


class TrainControl(_Attribute):
    system: str = Field(min_length=1)


class Measure(_Attribute):
    value: Annotated[float, Field(gt=0)]


class TrainLength(_Attribute):
    """The longest train a section takes: a limit in metres or in wagons (whichever the
    source gives; one is never converted into the other)."""

    metres: Annotated[float, Field(gt=0)] | None = None
    wagons: Annotated[int, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _one(self) -> TrainLength:
        if self.metres is None and self.wagons is None:
            raise ValueError("give the limit in metres or in wagons")
        return self


class Tracks(_Attribute):
    value: Literal["single", "double", "mostly-single", "mostly-double"]


class Attributes(Strict):
    """The attributes a record may give; each one that is missing falls back (line record, then
    country default, then unknown)."""

    electrification: Electrification | None = None
    train_control: TrainControl | None = None
    axle_load_t: Measure | None = None
    max_train: TrainLength | None = None
    tracks: Tracks | None = None
    speed_kmh: Measure | None = None


class CountryDefaults(Attributes):
    country: str = Field(min_length=2, max_length=2)

    _c = field_validator("country")(check_country)


class SectionRecord(Attributes):
    """A line or section with its own figures: the curated line ``line`` (an id of lines.yaml),
    or the track within ``buffer_km`` of the polyline ``path`` (stations in order)."""

    id: str
    name: str = Field(min_length=1)
    line: str | None = None
    path: list[Point] | None = Field(default=None, min_length=2)
    buffer_km: Annotated[float, Field(gt=0, le=50)] = 15.0

    _i = field_validator("id")(lambda v: check_id(v))

    @model_validator(mode="after")
    def _where(self) -> SectionRecord:
        if (self.line is None) == (self.path is None):
            raise ValueError("a section record names either a curated line (line) or a path of stations")
        return self


class OperatorRecord(Sourced):
    """Who runs the track: a country's national railway (``country``), or a curated line
    (``line``, an id of lines.yaml), a section record (``section``) or a rail ferry (``ferry``, an
    id of ports.yaml) run by someone else. ``countries`` keeps a line's or section's record to
    its part in those countries (a cross-border line run by a different company on each side).
    Where no record applies the operator is unknown -- never the country's railway by guess."""

    operator: str = Field(min_length=1)
    name: str | None = None
    country: str | None = Field(default=None, min_length=2, max_length=2)
    line: str | None = None
    section: str | None = None
    ferry: str | None = None
    countries: list[str] | None = Field(default=None, min_length=1)
    weak: bool = False
    note: str | None = None

    _c = field_validator("country")(lambda v: v if v is None else check_country(v))
    _cs = field_validator("countries")(lambda v: v if v is None else [check_country(c) for c in v])

    @model_validator(mode="after")
    def _target(self) -> OperatorRecord:
        given = [k for k in ("country", "line", "section", "ferry") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an operator record names exactly one of country, line, section or ferry")
        if self.countries is not None and given[0] not in ("line", "section"):
            raise ValueError("countries limits a line's or a section's operator record only")
        return self

    @property
    def target(self) -> str:
        """What the record is about: country, line, section or ferry."""
        return next(k for k in ("country", "line", "section", "ferry") if getattr(self, k) is not None)


class InteroperabilityFile(Strict):
    countries: list[CountryDefaults]
    sections: list[SectionRecord] = Field(default_factory=list)
    operators: list[OperatorRecord] = Field(default_factory=list)


ATTRIBUTES = ("electrification", "train_control", "axle_load_t", "max_train", "tracks", "speed_kmh")


@dataclass(frozen=True)
class Interoperability:
    """The validated records, indexed: country defaults by ISO code, sections by id; the
    operator records as given."""

    countries: dict[str, CountryDefaults]
    sections: tuple[SectionRecord, ...]
    file: str
    operators: tuple[OperatorRecord, ...] = ()

    def country(self, code: str) -> CountryDefaults | None:
        return self.countries.get(code)


def load_interoperability(path: Path | None = None) -> Interoperability:
    """The interoperability records of ``path`` (default: the package's); a bad record raises
    DataError(file, line, field); a country given twice or a duplicate id is refused too."""
    if path is None:
        return _packaged()
    return _load(Path(path))


@cache
def _packaged() -> Interoperability:
    from silkrail.settings import get_settings

    return _load(get_settings().data_dir / DATA_FILE)


def _load(path: Path) -> Interoperability:
    from silkrail.network.loader import locate

    parsed, doc = validate_file(path, InteroperabilityFile)
    f: InteroperabilityFile = parsed
    countries: dict[str, CountryDefaults] = {}
    for i, c in enumerate(f.countries):
        if c.country in countries:
            line, fld = locate(doc, ("countries", i, "country"))
            raise DataError(f"country {c.country} is given twice", file=path.name, line=line, field=fld)
        countries[c.country] = c
    seen: set[str] = set()
    for i, s in enumerate(f.sections):
        if s.id in seen:
            line, fld = locate(doc, ("sections", i, "id"))
            raise DataError(f"duplicate id '{s.id}'", file=path.name, line=line, field=fld)
        seen.add(s.id)
    _check_operators(f, seen, doc, path)
    logger.debug(
        "loaded %d country defaults, %d sections and %d operator records from %s",
        len(countries),
        len(seen),
        len(f.operators),
        path,
    )
    return Interoperability(countries, tuple(f.sections), path.name, tuple(f.operators))


def _check_operators(f: InteroperabilityFile, sections: set[str], doc: object, path: Path) -> None:
    """One record per country, line, section and ferry, and a section record that exists: two
    operators for the same track would make the split depend on the file's order."""
    from silkrail.network.loader import locate

    seen: dict[tuple[str, str], set[str]] = {}
    for i, o in enumerate(f.operators):
        kind = o.target
        target = str(getattr(o, kind))
        line, fld = locate(doc, ("operators", i, kind))
        if kind == "section" and target not in sections:
            raise DataError(
                f"operator {o.operator}: no section record '{target}'; name an id of the sections list",
                file=path.name,
                line=line,
                field=fld,
            )
        where = set(o.countries or ["*"])
        before = seen.setdefault((kind, target), set())
        if before & where or (before and "*" in where) or "*" in before:
            raise DataError(
                f"{kind} {target} has two operator records for the same track; give one "
                "(or keep each to its countries)",
                file=path.name,
                line=line,
                field=fld,
            )
        before |= where

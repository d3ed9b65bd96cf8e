"""The schema of ``line_classes.yaml`` (see :mod:`silkrail.network.classes`)."""

from __future__ import annotations

from pydantic import Field, field_validator

from silkrail.network.class_names import ClassName
from silkrail.network.curated import Point
from silkrail.network.loader import NonNeg, Positive, Sourced, Strict, check_id


class Fallback(Sourced):
    """The class of track no curated record describes."""

    default: ClassName
    by_gauge: dict[int, ClassName] = Field(default_factory=dict)
    note: str | None = None


class Section(Sourced):
    """A named railway (or a stretch of one) with its class, laid on the mapped track through
    its points in order."""

    id: str
    name: str
    line_class: ClassName = Field(alias="class")
    via: list[Point] = Field(min_length=2)
    electrified: bool | None = None
    tracks: int | None = Field(default=None, ge=1, le=4)
    max_speed_kmh: Positive | None = None
    length_km: NonNeg | None = None
    freight: bool = True
    """False for a dedicated passenger line: freight trains do not run on it, so freight keeps
    the class the track had without the section (where the extract holds the line, a freight
    route over it runs at that speed: the extract cannot bar a train from track)."""
    note: str | None = None

    _i = field_validator("id")(lambda v: check_id(v))


class ClassesFile(Strict):
    fallback: Fallback
    sections: list[Section] = Field(default_factory=list)

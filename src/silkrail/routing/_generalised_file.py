"""The schema of ``generalised.yaml`` (see :mod:`silkrail.routing.generalised`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, JsonValue, model_validator

from silkrail.network.loader import NonNeg, Positive, Sourced, Strict


class ValueOfTime(Sourced):
    """US$ per TEU-hour in transit: the point used and the range its sources give."""

    value: Positive = Field(le=1000)
    range: tuple[Positive, Positive]
    note: str | None = None

    @model_validator(mode="after")
    def _within(self) -> ValueOfTime:
        lo, hi = self.range
        if not lo <= self.value <= hi:
            raise ValueError(f"value {self.value:g} lies outside its range [{lo:g}, {hi:g}]")
        return self


class Penalty(Sourced):
    """US$ per TEU for each customs border or transshipment, beyond its time and fees."""

    value: NonNeg = Field(le=100_000)
    basis: Literal["fitted", "default"]
    bounds: tuple[NonNeg, NonNeg]
    note: str | None = None

    @model_validator(mode="after")
    def _within(self) -> Penalty:
        lo, hi = self.bounds
        if not lo <= self.value <= hi:
            raise ValueError(f"value {self.value:g} lies outside its bounds [{lo:g}, {hi:g}]")
        return self


class GeneralisedFile(Strict):
    value_of_time: ValueOfTime
    customs_border: Penalty
    transshipment: Penalty
    fit: dict[str, JsonValue] | None = None  # what the fit wrote: its data, hit rates, held out

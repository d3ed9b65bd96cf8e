"""The records the command printers read a library's JSON into, once, at the boundary: where a
library object hands its figures over as the dict it also writes as ``--json``, the printer
validates that dict into one of these and reads attributes. Imported when a command prints
(pydantic stays out of the CLI's start)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CrossingCounts(BaseModel):
    """The network's crossings: curated, found in the data only, and those with a gauge change."""

    curated: int
    uncurated: int
    gauge_changes: int


class PortCounts(BaseModel):
    """The network's sea ports, and those linked to the rail network."""

    all: int
    rail_connected: int


class NetworkSummary(BaseModel):
    """The headline figures of :meth:`Network.summary` that ``network info`` prints, read once
    from the network's metadata (``--json`` gives them all, as stored)."""

    model_config = ConfigDict(extra="ignore")
    nodes: int
    edges: int
    rail_km: float
    dual_gauge_km: float
    planned_km: float
    sea_km: float
    inland_water_km: dict[str, float] | None = None
    ferries: list[str] | None = None
    crossings: CrossingCounts
    ports: PortCounts
    lines_added: list[str]
    fragments_dropped: int
    fragments_dropped_km: float
    inputs_hash: str
    rail_km_by_gauge: dict[str, float]
    rail_km_by_country: dict[str, float]


class SensitivityRow(BaseModel):
    """One row of the sensitivity table: an assumption changed and what it does."""

    model_config = ConfigDict(extra="ignore")
    label: str
    units: int
    change_units: int
    effect_on_gap: str = ""
    cost_usd: float


class ProgrammeComparison(BaseModel):
    """The printed part of :meth:`Programme.comparison` (the rolling stock modelled against the
    published units and cost), read once from its JSON."""

    model_config = ConfigDict(extra="ignore")
    published_units_2050: int | None
    published_cost_vnd: float | None
    modelled_units_2050: int
    modelled_cost_vnd: float
    modelled_cost_usd: float
    years: tuple[int, int]
    published_by_type_2030_2050: dict[str, int] | None = None
    modelled_by_type_2030_2050: dict[str, int] | None = None
    sensitivity: list[SensitivityRow]
    assumptions: list[str]


class ExitFigures(BaseModel):
    """An exit's headline figures in a year (:meth:`ExitRoute.summary`), as the changes print them."""

    model_config = ConfigDict(extra="ignore")
    distance_km: float
    duration_h: float
    cost_usd: float
    countries: list[str]

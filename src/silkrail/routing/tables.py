"""The transit model's tables: its parameters and their spreads and provenance, emission factors,
dated sea rates, sea lanes priced apart, published crossing figures and the customs unions,
read once from the package data and cached in the home by the files' contents (parsing and
validating the YAML costs more than a routing query)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from silkrail.errors import DataError
from silkrail.routing.parameters import COUNTRY_FAMILIES, Params, build_params, flatten, parameter_names
from silkrail.traffic import Traffic

if TYPE_CHECKING:  # the schemas are imported when the files are read (routing stays light)
    from silkrail.evidence.schema import CrossingFigure, SeaLane, SeaRate

TABLES_VERSION = "3"  # bump when read_tables changes what it returns
BASES = ("timetable", "curated", "fitted", "modelled", "default")
"""Where a figure comes from: a timetable, a published (curated) record, the fit, the model's
structure with sourced priors, or an estimate."""


def data_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Residuals:
    """The model's own error beyond its components' spread (log units), from held-out errors:
    time per traffic type, and money."""

    container: float = 0.0
    wagonload: float = 0.0
    passenger: float = 0.0
    cost: float = 0.25

    def time(self, traffic: Traffic) -> float:
        return float(getattr(self, Traffic(traffic).value))


@dataclass(frozen=True)
class CostTables:
    """What the cost model reads from its data files, validated once."""

    params: Params
    sigmas: Params  # the same record holding each component's spread (sigma_log)
    basis: dict[str, str]  # dotted parameter name -> fitted | modelled | default
    residual: Residuals
    co2: dict[str, tuple[float, float]]  # mode -> (well-to-wheel, tank-to-wheel) per TEU-km (or passenger-km)
    sea_rates: tuple[SeaRate, ...]  # by lane, then date
    sea_lanes: tuple[SeaLane, ...]
    crossing_figures: tuple[CrossingFigure, ...]
    unions: tuple[frozenset[str], ...]


def table_files(d: Path, fitted_path: Path | None) -> list[Path | None]:
    return [d / "transit.yaml", crossings_file(d), rates_file(d), fitted_path, data_dir() / "borders.yaml"]


EMISSION_FILES = ("emissions.yaml", "interoperability.yaml")
"""The files the per-edge CO2e factors are read from: the factors by traction and the
interoperability records that say which track is electric."""


def emission_data_file(name: str) -> Path:
    """A data file of the settings' data directory, else the package's (a directory of other
    curated data need not repeat the emission factors or the interoperability records)."""
    from silkrail.settings import get_settings

    path = get_settings().data_dir / name
    return path if path.is_file() else data_dir() / name


def emission_digest() -> str:
    """A digest of the files the per-edge CO2e factors come from (part of the cost model's
    fingerprint, so that landmarks of the co2 objective follow them)."""
    digest = hashlib.sha256(b"emissions-1")
    for name in EMISSION_FILES:
        f = emission_data_file(name)
        digest.update(name.encode() + b"\0" + (f.read_bytes() if f.is_file() else b""))
    return digest.hexdigest()[:16]


def crossings_file(d: Path) -> Path:
    return d / "evidence" / "crossings.yaml"


def rates_file(d: Path) -> Path:
    return d / "evidence" / "rates.yaml"


def load_tables(d: Path, fitted_path: Path | None) -> CostTables:
    """The tables of ``d`` (and ``fitted_path``), cached in the home by the files' contents."""
    import pickle

    from silkrail.settings import get_settings

    # the record's shape is part of the key: a cached record of another shape is never served
    shape = ",".join((*parameter_names(), *COUNTRY_FAMILIES))
    digest = hashlib.sha256(TABLES_VERSION.encode() + shape.encode())
    for f in table_files(d, fitted_path):
        digest.update(b"\0" if f is None or not f.exists() else f.name.encode() + b"\0" + f.read_bytes())
    path = get_settings().home / f"costmodel-{digest.hexdigest()[:16]}.pickle"
    try:
        with open(path, "rb") as fh:
            tables = pickle.load(fh)
        if isinstance(tables, CostTables):
            return tables
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError):
        pass
    tables = read_tables(d, fitted_path)
    try:
        from silkrail import cache

        with cache.atomic_write(path) as fh:
            pickle.dump(tables, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        pass  # a home this process may not write to: read the YAML every time
    return tables


def read_tables(d: Path, fitted_path: Path | None) -> CostTables:
    """The tables of :func:`load_tables`, validated by the files' schemas. A parameter name the
    typed record does not know raises :class:`DataError` with its file and line."""
    from silkrail.evidence.schema import line_of, load_cached

    transit_path = d / "transit.yaml"
    transit = load_cached(transit_path, "transit")
    values: dict[str, float] = {}
    sigmas: dict[str, float] = {}
    basis: dict[str, str] = {}
    for p in transit.parameters:
        if p.name in COUNTRY_FAMILIES:
            continue  # a family's template: the fit copies it per railway
        values[p.name] = float(p.value)
        sigmas[p.name] = float(p.sigma_log)
        basis[p.name] = "default" if p.sources == ["estimate"] else "modelled"
    try:
        params = build_params(values)
        spread = build_params(sigmas)
    except DataError as exc:
        index = next((i for i, p in enumerate(transit.parameters) if p.name == exc.field), None)
        raise DataError(
            exc.reason,
            file=transit_path.name,
            line=line_of(transit_path, "parameters", index, "name") if index is not None else None,
            field=f"parameters[{index}].name" if index is not None else "parameters",
        ) from None
    residual = Residuals(cost=params.spreads.cost_sigma_log)
    if fitted_path is not None and fitted_path.is_file():
        f = load_cached(fitted_path, "fitted")
        fitted = {}
        known = set(flatten(params))
        for v in f.parameters:
            if v.name in known or v.name.partition(".")[0] in COUNTRY_FAMILIES:
                fitted[v.name] = float(v.value)
                basis[v.name] = "fitted"
        params = params.with_values(fitted)
        spread = spread.with_values({k: 0.0 for k in fitted if k.partition(".")[0] in COUNTRY_FAMILIES})
        residual = _residuals(f.residual_sigma_log, residual)
    figures: tuple[CrossingFigure, ...] = ()
    crossings = crossings_file(d)
    if crossings.is_file():
        figures = tuple(load_cached(crossings, "crossings").crossings)
    sea_rates = list(transit.sea_rates)
    rates = rates_file(d)
    if rates.is_file():
        sea_rates += load_cached(rates, "figures").sea_index
    if not sea_rates:
        raise DataError(
            "no sea rate is given: add a dated sea_index entry to evidence/rates.yaml",
            file=rates.name,
            field="sea_index",
        )
    return CostTables(
        params=params,
        sigmas=spread,
        basis=basis,
        residual=residual,
        co2={c.mode: (float(c.wtw_kg_per_teu_km), float(c.ttw_kg_per_teu_km)) for c in transit.co2},
        sea_rates=tuple(sorted(sea_rates, key=lambda r: (r.lane, r.as_of))),
        sea_lanes=tuple(transit.sea_lanes),
        crossing_figures=figures,
        unions=customs_unions(),
    )


def _residuals(raw: dict[str, float], base: Residuals) -> Residuals:
    """fitted.yaml's spreads: ``time`` for every traffic, ``time.<traffic>`` for one, ``cost``."""
    out = {
        "container": base.container,
        "wagonload": base.wagonload,
        "passenger": base.passenger,
        "cost": base.cost,
    }
    if "time" in raw:
        for t in Traffic:
            out[t.value] = float(raw["time"])
    for k, v in raw.items():
        if k.startswith("time."):
            out[k.removeprefix("time.")] = float(v)
        elif k == "cost":
            out["cost"] = float(v)
    return Residuals(**out)


@cache
def customs_unions() -> tuple[frozenset[str], ...]:
    """The customs unions of borders.yaml (package data)."""
    from silkrail.network.curated import load_file

    borders = load_file(data_dir() / "borders.yaml")
    return tuple(frozenset(u.members) for u in borders.customs_unions)


__all__ = [
    "BASES",
    "EMISSION_FILES",
    "CostTables",
    "Residuals",
    "customs_unions",
    "data_dir",
    "emission_data_file",
    "emission_digest",
    "load_tables",
    "read_tables",
]

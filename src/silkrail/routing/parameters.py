"""The transit model's parameters as one typed record.

Code reads a parameter as an attribute (``p.container.speed_kmh.modern``,
``p.tariff.rate_long_usd_per_teu_km``); the data files and the fit name it by its dotted path
(``container.speed_kmh.modern``), which :func:`flatten` and :meth:`Params.with_values` translate.
The same record type holds the parameters' values and, in a second instance, their spreads
(``sigma_log``), so a component's value and its spread are read the same way.

Country families (``railway_speed.CN``, ``track_factor.CN``) hold a value per railway where the
evidence informs one; every other railway takes the family's default (1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, TypeVar

from silkrail.errors import DataError
from silkrail.network.classes import CLASS_NAMES, LineClass
from silkrail.traffic import Traffic


class _Dataclass(Protocol):
    """A dataclass of whatever kind (what ``dataclasses.fields`` and ``replace`` take)."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[object]]]


_D = TypeVar("_D", bound=_Dataclass)


@dataclass(frozen=True)
class ClassValues:
    """A value per line class."""

    high_speed: float
    modern: float
    conventional: float
    secondary: float

    def of(self, cls: LineClass | int) -> float:
        return float(getattr(self, CLASS_NAMES[int(cls)]))

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.high_speed, self.modern, self.conventional, self.secondary)


@dataclass(frozen=True)
class CountryValues:
    """A value per railway (ISO country code), or per curated line (its id), where one is known;
    1 elsewhere."""

    values: tuple[tuple[str, float], ...] = ()

    def of(self, code: str) -> float:
        for k, v in self.values:
            if k == code:
                return v
        return 1.0

    def items(self) -> Iterator[tuple[str, float]]:
        return iter(self.values)


@dataclass(frozen=True)
class TrafficParams:
    """What one traffic type's trains take: commercial speed by line class (stops, crew and
    locomotive changes included; waits at borders and terminals apart), time per rail end,
    border dwell where nothing is published, the queue on top of a published processing time,
    a change of gauge by method, and the running time of an express or a stopping train against
    a standard one (:data:`~silkrail.traffic.TrainClass`; a passenger train's on lines other than
    high-speed ones, a freight train's on every line)."""

    speed_kmh: ClassValues
    terminal_h: float
    border_dwell_h: float
    border_queue_h: float
    union_border_dwell_h: float
    transshipment_h: float
    bogie_exchange_h: float
    express_run: float
    stopping_run: float

    def run_factor(self, train: str) -> float:
        """Running time of a ``train`` class against a standard train (1 for ``standard``)."""
        if train == "express":
            return self.express_run
        if train == "stopping":
            return self.stopping_run
        return 1.0

    def gauge_change_h(self, method: str) -> float:
        """Hours of a change of gauge by ``method`` (a dual-gauge crossing needs none)."""
        if method == "bogie_exchange":
            return self.bogie_exchange_h
        if method in ("transshipment", "none"):
            return self.transshipment_h
        return 0.0


@dataclass(frozen=True)
class Tariff:
    """Freight rates per TEU: a two-part rail tariff per tariff area (a fixed charge that makes
    a 500 km haul cost ``rate_500`` per km, then ``rate_long`` per km), terminal handling per
    rail end, block-train pricing, and wagonload against a container train."""

    rate_500_usd_per_teu_km: float
    rate_long_usd_per_teu_km: float
    terminal_usd_per_teu: float
    feu_factor: float
    block_train_teu: float
    block_train_discount: float
    wagonload_factor: float


@dataclass(frozen=True)
class Fares:
    """Passenger fares: a base fare per journey and a rate per km by line class."""

    base_usd: float
    usd_per_km: ClassValues


@dataclass(frozen=True)
class Spreads:
    """Spreads of components that no single parameter carries (log units)."""

    sea_sigma_log: float
    port_sigma_log: float
    curated_dwell_sigma_log: float
    cost_sigma_log: float
    co2_sigma_log: float


@dataclass(frozen=True)
class Params:
    """Every parameter of the transit model."""

    container: TrafficParams
    wagonload: TrafficParams
    passenger: TrafficParams
    tariff: Tariff
    fares: Fares
    spreads: Spreads
    track_factor: ClassValues
    """km of railway per km of the simplified geometry, by line class (the extract cuts corners)."""
    sea_calls_h_per_1000km: float
    railway_speed: CountryValues = field(default_factory=CountryValues)
    """A railway's freight speed relative to its class's, where the evidence informs one."""
    railway_speed_passenger: CountryValues = field(default_factory=CountryValues)
    """A railway's passenger speed relative to its class's (long-distance trains of some railways
    stop often and long), where published timetables inform one."""
    railway_track: CountryValues = field(default_factory=CountryValues)
    """A railway's track factor relative to its class's, where published line lengths inform one."""
    line_speed_passenger: CountryValues = field(default_factory=CountryValues)
    """A curated line's passenger trains relative to their class's speed (the Trans-Siberian's
    long-distance trains run slower than the day trains of another modern line), by the line's id
    in line_classes.yaml or lines.yaml, where timetables from at least two corridors inform one.
    A railway's own factor describes its other track."""

    def traffic(self, t: Traffic | str) -> TrafficParams:
        """The parameters of one traffic type."""
        return getattr(self, Traffic(t).value)

    def railway_speeds(self, t: Traffic | str) -> CountryValues:
        """The per-railway speed factors of a traffic type (freight shares one family)."""
        return self.railway_speed_passenger if Traffic(t) is Traffic.PASSENGER else self.railway_speed

    def with_values(self, values: Mapping[str, float]) -> Params:
        """The record with the named parameters replaced (names as :func:`flatten` gives them;
        ``railway_speed.XX`` and ``railway_track.XX`` add a railway)."""
        return _replace(self, dict(values), "")

    def value(self, name: str) -> float:
        """One parameter by its dotted name."""
        flat = flatten(self)
        if name in flat:
            return flat[name]
        family, _, code = name.partition(".")
        if family in COUNTRY_FAMILIES and code:
            return float(getattr(self, family).of(code))
        raise DataError(f"'{name}' is not a parameter of the transit model", field="name")


COUNTRY_FAMILIES = ("railway_speed", "railway_speed_passenger", "railway_track", "line_speed_passenger")
"""Families of values keyed by a railway (ISO code) or a curated line (its id): optional members,
1 where none is given."""


def flatten(p: _Dataclass, prefix: str = "") -> dict[str, float]:
    """Every parameter of a record by its dotted name (country families by ``family.XX``)."""
    out: dict[str, float] = {}
    for f in dataclasses.fields(p):
        value = getattr(p, f.name)
        name = f"{prefix}{f.name}"
        if isinstance(value, CountryValues):
            out.update({f"{name}.{k}": float(v) for k, v in value.items()})
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = float(value)
    return out


def parameter_names() -> tuple[str, ...]:
    """The names a complete record needs (country families excluded: they are optional)."""
    return tuple(_names(Params, ""))


def _names(cls: type[_Dataclass], prefix: str) -> Iterator[str]:
    import typing

    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        t = hints[f.name]
        if t is CountryValues:
            continue
        if isinstance(t, type) and dataclasses.is_dataclass(t):
            yield from _names(t, f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}"


def build_params(values: Mapping[str, float]) -> Params:
    """A record from a value for every name of :func:`parameter_names` (plus any country
    family members); a missing or unknown name raises :class:`DataError` naming it."""
    import typing

    names = set(parameter_names())
    unknown = sorted(n for n in values if n not in names and n.partition(".")[0] not in COUNTRY_FAMILIES)
    if unknown:
        raise DataError(
            f"'{unknown[0]}' is not a parameter of the transit model; parameters are "
            f"{', '.join(sorted(names))} and railway_speed.XX, railway_track.XX",
            field=unknown[0],
        )
    missing = sorted(names - set(values))
    if missing:
        raise DataError(f"the transit model needs a value for {', '.join(missing)}", field=missing[0])

    def make(cls: type[_D], prefix: str) -> _D:
        hints = typing.get_type_hints(cls)
        kw: dict[str, float | CountryValues | _Dataclass] = {}
        for f in dataclasses.fields(cls):
            t = hints[f.name]
            name = f"{prefix}{f.name}"
            if t is CountryValues:
                kw[f.name] = CountryValues(
                    tuple(
                        sorted(
                            (n.split(".", 1)[1], float(v))
                            for n, v in values.items()
                            if n.startswith(name + ".")
                        )
                    )
                )
            elif isinstance(t, type) and dataclasses.is_dataclass(t):
                kw[f.name] = make(t, f"{name}.")
            else:
                kw[f.name] = float(values[name])
        return cls(**kw)

    return make(Params, "")


def _replace(obj: _D, values: dict[str, float], prefix: str) -> _D:
    if not values:
        return obj
    changes: dict[str, float | CountryValues | _Dataclass] = {}
    for f in dataclasses.fields(obj):
        name = f"{prefix}{f.name}"
        current = getattr(obj, f.name)
        mine = {k: v for k, v in values.items() if k == name or k.startswith(name + ".")}
        if not mine:
            continue
        for k in mine:
            values.pop(k)
        if isinstance(current, CountryValues):
            merged = dict(current.values) | {k.split(".", 1)[1]: float(v) for k, v in mine.items()}
            changes[f.name] = CountryValues(tuple(sorted(merged.items())))
        elif dataclasses.is_dataclass(current) and not isinstance(current, type):
            changes[f.name] = _replace(current, mine, f"{name}.")
        else:
            changes[f.name] = float(mine[name])
    if values:
        raise DataError(f"'{sorted(values)[0]}' is not a parameter of the transit model", field="name")
    return dataclasses.replace(obj, **changes)


__all__ = [
    "COUNTRY_FAMILIES",
    "ClassValues",
    "CountryValues",
    "Fares",
    "Params",
    "Spreads",
    "Tariff",
    "TrafficParams",
    "build_params",
    "flatten",
    "parameter_names",
]

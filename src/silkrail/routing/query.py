"""What a routing query asks for, built and checked once: :class:`RouteQuery` (the ends and the
options) and :class:`RouteOptions` (the options alone, for a matrix), then :class:`Query`, the
search's view of them on one network.

Every front end (the Python facade, the command line, the service, its client, the timetable
journey, the analysis) builds a :class:`RouteQuery` and passes it whole, so a bad value gets the
same sentence wherever it comes from: a :class:`~silkrail.errors.DataError` whose ``field`` is
the query's own name for it (``objective``, ``as_of`` ...). The surfaces name the field in their
own words (``--optimize``, ``optimize=``). What needs the network (the year's span, the dated sea
rates, the places themselves) is checked by :func:`check_query` and the router.

The objective is called ``objective`` in Python and in the JSON of a route; ``--optimize`` and
``optimize=`` are the command line's and the HTTP API's names for the same value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias, TypedDict, get_args

import numpy as np
from numpy.typing import NDArray

from silkrail.errors import DataError
from silkrail.network.model import MAX_YEAR, EdgeKind, Network, NodeKind
from silkrail.routing.costs import CostModel
from silkrail.routing.generalised import NAME as GENERALISED
from silkrail.routing.generalised import TERMS
from silkrail.routing.graph import OBJECTIVES, Constraints, StateGraph
from silkrail.routing.places import Place, check_mode_access
from silkrail.traffic import Traffic as TrafficType
from silkrail.traffic import TrainClass, traffic_of, train_class_of

Mode: TypeAlias = Literal["rail", "sea", "any"]
"""Which access points and arcs a route may use: rail (and rail ferries), sea, or any."""
Objective: TypeAlias = Literal["generalised", "time", "cost", "co2"]
"""What a route minimises: the generalised cost per TEU (:mod:`silkrail.routing.generalised`, the
default for freight), time, money or CO2; weights of several are a mapping such as
``{"time": 25, "cost": 1, "borders": 300}`` over :data:`~silkrail.routing.generalised.TERMS`."""
Traffic: TypeAlias = Literal["passenger", "freight", "any", "container", "wagonload"]
"""The services a route may use: passenger trains, freight trains, or either. The transit model
prices ``freight`` and ``any`` as a container block train (:mod:`silkrail.traffic`), and also
knows ``container`` by that name and ``wagonload`` (single wagons, marshalled on the way)."""

MODES: tuple[Mode, ...] = get_args(Mode)
OBJECTIVE_NAMES: tuple[Objective, ...] = get_args(Objective)
TRAFFICS: tuple[Traffic, ...] = get_args(Traffic)
ICEBOUND_PASSAGES = ("northwest", "bering")
"""Passages closed by ice most of the year (the Northwest Passage, and the Bering Strait that
leads to the Northern Sea Route): avoided unless a query names its own ``avoid_passages``."""
MAX_ALTERNATIVES = 10
"""Other corridors a query may ask for besides the best route."""
MAX_TEU = 1e6
MAX_PLACE_CHARS = 200
FIRST_SCHEDULE_YEAR = 2000
"""The earliest year a departure or arrival time may name (as the tracking API's departures)."""
_WEIGHT = re.compile(r"^\s*(\d+(?:\.\d*)?(?:e[+-]?\d+)?)\s*\*\s*([a-z0-9]+)\s*$")
Coef: TypeAlias = tuple[float, float, float, float, float]
"""An objective's weights over (hours, US$, kg CO2, customs borders, transshipments) per TEU."""


class _Keywords(TypedDict):
    """The options as keywords (to build a query of the same options)."""

    mode: Mode
    objective: str
    traffic: Traffic
    avoid: tuple[str, ...]
    year: int | None
    teu: float
    alternatives: int
    as_of: dt.date | None
    inland_water: bool
    depart: dt.datetime | None
    arrive: dt.datetime | None
    avoid_passages: tuple[str, ...]
    closed_crossings: tuple[str, ...]
    train: TrainClass | None


@dataclass(frozen=True, init=False)
class RouteOptions:
    """How to route, apart from the two ends: checked when built, each bad value a
    :class:`~silkrail.errors.DataError` naming its field. ``dataclasses.replace`` checks again.

    Values are kept in one form: ``avoid`` as sorted ISO codes, ``objective`` as its name
    (``generalised``, ``time``, ``cost``, ``co2``, or weights written ``25*time+1*cost``),
    ``as_of`` as a date, ``depart`` and ``arrive`` as times with their UTC offset;
    ``closed_crossings``: the ids of crossings the route may not use (closed), sorted;
    ``train``: the train's category (:data:`~silkrail.traffic.TrainClass`), or None where the
    query names none: then it is priced as a standard train and any scheduled service answers,
    where a named category is answered by services of that category only.

    Without an objective a query takes :func:`default_objective`'s: the generalised cost per TEU
    for freight (what operators weigh in choosing a corridor), time for passengers and for a
    departure or arrival time (the timetable's earliest arrival)."""

    mode: Mode
    objective: str
    traffic: Traffic
    avoid: tuple[str, ...]
    year: int | None
    teu: float
    alternatives: int
    as_of: dt.date | None
    inland_water: bool
    depart: dt.datetime | None
    arrive: dt.datetime | None
    avoid_passages: tuple[str, ...]
    closed_crossings: tuple[str, ...]
    train: TrainClass | None

    def __init__(
        self,
        *,
        mode: Mode = "any",
        objective: Objective | str | Mapping[str, float] | None = None,
        traffic: Traffic = "any",
        avoid: str | Iterable[str] = (),
        year: int | None = None,
        teu: float = 1.0,
        alternatives: int = 0,
        as_of: dt.date | str | None = None,
        inland_water: bool = False,
        depart: dt.datetime | str | None = None,
        arrive: dt.datetime | str | None = None,
        avoid_passages: Iterable[str] = ICEBOUND_PASSAGES,
        closed_crossings: Iterable[str] = (),
        train: TrainClass | None = None,
    ) -> None:
        put = functools.partial(object.__setattr__, self)
        put("mode", check_mode(mode))
        put("traffic", check_traffic(traffic))
        put("train", None if train is None else train_class_of(train, traffic_of(self.traffic)))
        put("avoid", tuple(sorted(check_countries([avoid] if isinstance(avoid, str) else avoid))))
        put("year", check_year(year))
        put("teu", check_teu(teu))
        put("alternatives", check_alternatives(alternatives))
        put("as_of", check_date(as_of))
        put("inland_water", check_flag(inland_water, "inland_water"))
        put("depart", None if depart is None else parse_when(depart, field="depart"))
        put("arrive", None if arrive is None else parse_when(arrive, field="arrive"))
        put("avoid_passages", tuple(sorted({str(p).strip().lower() for p in avoid_passages})))
        put("closed_crossings", check_crossing_ids(closed_crossings))
        put("objective", default_objective(self) if objective is None else objective_weights(objective)[0])
        if self.objective == GENERALISED and traffic_of(self.traffic) is TrafficType.PASSENGER:
            raise DataError(
                "the generalised cost weighs a TEU's hours, money, borders and transshipments: for "
                "passengers give time, cost or co2",
                field="objective",
            )
        if self.depart is not None and self.arrive is not None:
            raise DataError("give a departure time or an arrival time, not both", field="arrive")
        if self.scheduled and (self.objective != "time" or self.alternatives):
            raise DataError(
                "a departure or arrival time asks for the earliest arrival (or the latest departure): "
                "give it with the time objective and no alternatives",
                field="depart" if self.depart is not None else "arrive",
            )

    @property
    def weights(self) -> Coef:
        """The objective's weights over (time, cost, co2, borders, transshipments) per TEU."""
        return objective_weights(self.objective)[1]

    @property
    def scheduled(self) -> bool:
        """Whether the query names a time: then the timetable answers, where services run."""
        return self.depart is not None or self.arrive is not None

    def between(self, origin: str | Place, destination: str | Place) -> RouteQuery:
        """These options from ``origin`` to ``destination``."""
        return RouteQuery(origin, destination, **self._keywords())

    def _keywords(self) -> _Keywords:
        return _Keywords(
            mode=self.mode,
            objective=self.objective,
            traffic=self.traffic,
            avoid=self.avoid,
            year=self.year,
            teu=self.teu,
            alternatives=self.alternatives,
            as_of=self.as_of,
            inland_water=self.inland_water,
            depart=self.depart,
            arrive=self.arrive,
            avoid_passages=self.avoid_passages,
            closed_crossings=self.closed_crossings,
            train=self.train,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._changed()})"

    def _changed(self) -> str:
        """The options that differ from the defaults, as keywords."""
        default = RouteOptions()
        return ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(RouteOptions)
            if getattr(self, f.name) != getattr(default, f.name)
        )


@dataclass(frozen=True, init=False)
class RouteQuery(RouteOptions):
    """A route asked for: ``origin`` and ``destination`` (names in any script, UN/LOCODEs,
    ``'lat,lon'``, or places already resolved) and the :class:`RouteOptions`, checked once
    when built. The router resolves names; a service that resolved them already passes the
    :class:`~silkrail.routing.places.Place` records, which are used as they are."""

    origin: str | Place
    destination: str | Place

    def __init__(
        self,
        origin: str | Place,
        destination: str | Place,
        *,
        mode: Mode = "any",
        objective: Objective | str | Mapping[str, float] | None = None,
        traffic: Traffic = "any",
        avoid: str | Iterable[str] = (),
        year: int | None = None,
        teu: float = 1.0,
        alternatives: int = 0,
        as_of: dt.date | str | None = None,
        inland_water: bool = False,
        depart: dt.datetime | str | None = None,
        arrive: dt.datetime | str | None = None,
        avoid_passages: Iterable[str] = ICEBOUND_PASSAGES,
        closed_crossings: Iterable[str] = (),
        train: TrainClass | None = None,
    ) -> None:
        object.__setattr__(self, "origin", check_end(origin, "origin"))
        object.__setattr__(self, "destination", check_end(destination, "destination"))
        super().__init__(
            mode=mode,
            objective=objective,
            traffic=traffic,
            avoid=avoid,
            year=year,
            teu=teu,
            alternatives=alternatives,
            as_of=as_of,
            inland_water=inland_water,
            depart=depart,
            arrive=arrive,
            avoid_passages=avoid_passages,
            closed_crossings=closed_crossings,
            train=train,
        )

    @property
    def options(self) -> RouteOptions:
        """The options without the ends."""
        return RouteOptions(**self._keywords())

    def __repr__(self) -> str:
        ends = f"{_end_name(self.origin)!r} → {_end_name(self.destination)!r}"
        changed = self._changed()
        return f"RouteQuery({ends}{', ' + changed if changed else ''})"


def _end_name(p: str | Place) -> str:
    return p if isinstance(p, str) else p.name


# -- the checks of single values (each raises a DataError naming the query's field) --------------


def check_end(value: object, field: str) -> str | Place:
    """A place record, or a name of 1 to MAX_PLACE_CHARS characters."""
    if isinstance(value, Place):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_PLACE_CHARS:
        raise DataError(
            f"{value!r} is not a place; give a name, a station, a UN/LOCODE or 'lat,lon' "
            f"(1 to {MAX_PLACE_CHARS} characters)",
            field=field,
        )
    return text


def check_mode(value: object) -> Mode:
    text = str(value).strip().lower()
    if text not in MODES:
        raise DataError(f"'{value}' is not a mode; use rail, sea or any", field="mode")
    return text


def check_traffic(value: object) -> Traffic:
    text = str(value).strip().lower()
    if text not in TRAFFICS:
        raise DataError(
            f"'{value}' is not a traffic; use passenger, freight or any (or container, wagonload)",
            field="traffic",
        )
    return text


def check_year(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise DataError(f"{value!r} is not a year; give a whole number such as 2031", field="year")
    if not 1 <= int(value) <= 9999:
        raise DataError(f"{value} is not a year; give one from 1 to 9999", field="year")
    return int(value)


def check_teu(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise DataError(f"cargo must be a positive number of TEU (got {value!r})", field="teu")
    teu = float(value)
    if not (teu > 0) or not math.isfinite(teu) or teu > MAX_TEU:
        raise DataError(
            f"cargo must be a positive number of TEU, at most {MAX_TEU:,.0f} (got {value})", field="teu"
        )
    return teu


def check_alternatives(value: object) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not (0 <= int(value) <= MAX_ALTERNATIVES)
    ):
        raise DataError(
            f"alternatives takes a whole number from 0 to {MAX_ALTERNATIVES} (got {value!r})",
            field="alternatives",
        )
    return int(value)


def check_flag(value: object, field: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise DataError(f"{value!r} is not true or false", field=field)
    return bool(value)


def check_date(value: object, field: str = "as_of") -> dt.date | None:
    """A calendar date from a date or 'YYYY-MM-DD' (a time after it is ignored), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise DataError(f"'{value}' is not a date; write YYYY-MM-DD", field=field) from None


def parse_when(value: str | dt.datetime, *, field: str = "depart") -> dt.datetime:
    """An ISO 8601 time with its UTC offset (a time without one is ambiguous across the
    corridors' six time zones), from 2000 to the network's last year."""
    if isinstance(value, dt.datetime):
        when = value
    else:
        try:
            when = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise DataError(
                f"'{value}' is not an ISO 8601 time; write e.g. 2026-12-03T17:00+08:00", field=field
            ) from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise DataError(
            f"'{value}' has no UTC offset; add one, e.g. {when.isoformat(timespec='minutes')}+08:00",
            field=field,
        )
    if not FIRST_SCHEDULE_YEAR <= when.year <= MAX_YEAR:
        raise DataError(
            f"'{value}' is outside the years a timetable can describe; give a time from "
            f"{FIRST_SCHEDULE_YEAR} to {MAX_YEAR}",
            field=field,
        )
    return when


def default_objective(options: RouteOptions) -> str:
    """The objective of a query that names none: time for passengers and for a departure or
    arrival time (the timetable answers the earliest arrival), else the generalised cost per TEU
    (:mod:`silkrail.routing.generalised`: what operators weigh in choosing a corridor)."""
    if options.depart is not None or options.arrive is not None:
        return "time"
    if traffic_of(options.traffic) is TrafficType.PASSENGER:
        return "time"
    return GENERALISED


def objective_weights(objective: object) -> tuple[str, Coef]:
    """The objective's name and its weights over (time, cost, co2, borders, transshipments):
    ``generalised`` (the weights of ``generalised.yaml``), one term by name, non-negative
    weights of several (a mapping), or their name (``25*time+1*cost+300*borders``)."""
    if isinstance(objective, str):
        text = objective.strip().lower()
        if text in (GENERALISED, "generalized"):
            from silkrail.routing.generalised import load_weights

            return GENERALISED, load_weights().coef
        if text in OBJECTIVES:
            return text, _coef({text: 1.0})
        terms = [_WEIGHT.match(t) for t in text.split("+")] if "*" in text else [None]
        if any(m is None for m in terms):
            raise DataError(
                f"'{objective}' is not an objective; use one of {', '.join(OBJECTIVE_NAMES)}",
                field="objective",
            )
        weights: dict[str, float] = {}
        for m in terms:
            assert m is not None
            weights[m.group(2)] = weights.get(m.group(2), 0.0) + float(m.group(1))
        objective = weights
    if not isinstance(objective, Mapping):
        raise DataError(
            f"{objective!r} is not an objective; use one of {', '.join(OBJECTIVE_NAMES)}", field="objective"
        )
    unknown = set(objective) - set(TERMS)
    values = list(objective.values())
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values)
    if unknown or not objective or not numbers or any(v < 0 for v in values) or not any(values):
        raise DataError(
            f"weights need non-negative values for {', '.join(TERMS)}, not all zero, and at least "
            "one of time, cost or co2",
            field="objective",
        )
    if not any(objective.get(o) for o in OBJECTIVES):
        raise DataError(
            "weights need time, cost or co2 besides borders and transshipments (a route is never "
            "chosen by its borders alone)",
            field="objective",
        )
    name = "+".join(f"{objective[o]:g}*{o}" for o in TERMS if objective.get(o))
    return name, _coef(objective)


def _coef(weights: Mapping[str, float]) -> Coef:
    c = [float(weights.get(t, 0.0)) for t in TERMS]
    return (c[0], c[1], c[2], c[3], c[4])


MAX_CLOSED_CROSSINGS = 50
_CROSSING_ID = re.compile(r"^[a-z0-9][a-z0-9()._-]{0,79}$")


def check_crossing_ids(ids: Iterable[str]) -> tuple[str, ...]:
    """Crossing ids as given (each checked for form; the network checks they exist), sorted."""
    if isinstance(ids, str):
        ids = [x for x in ids.split(",") if x.strip()]
    out = set()
    for raw in ids:
        text = str(raw).strip().lower()
        if not _CROSSING_ID.match(text):
            raise DataError(
                f"{raw!r} is not a crossing id; give ids such as erenhot-zamyn-uud", field="closed_crossings"
            )
        out.add(text)
    if len(out) > MAX_CLOSED_CROSSINGS:
        raise DataError(f"close at most {MAX_CLOSED_CROSSINGS} crossings", field="closed_crossings")
    return tuple(sorted(out))


def crossing_indices(net: Network, ids: Iterable[str]) -> frozenset[int]:
    """The network's indices of these crossing ids; an unknown id is a DataError naming the
    closest known ones."""
    import difflib

    ids = list(ids)
    if not ids:
        return frozenset()
    known = {c.id: i for i, c in enumerate(net.crossings)}
    out = set()
    for cid in ids:
        if cid not in known:
            close = difflib.get_close_matches(cid, list(known), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise DataError(f"no crossing '{cid}' in the network{hint}", field="closed_crossings")
        out.add(known[cid])
    return frozenset(out)


def check_countries(avoid: Iterable[str]) -> frozenset[str]:
    """ISO codes to avoid, from items that may each hold several separated by commas."""
    from silkrail.network.loader import known_country_codes  # the schema, only when asked

    codes = set()
    for raw in avoid:
        for code in str(raw).split(","):
            code = code.strip().upper()
            if not code:
                continue
            if code not in known_country_codes():
                raise DataError(
                    f"'{code}' is not an ISO 3166-1 alpha-2 country code (for example MN, KZ, RU)",
                    field="avoid",
                )
            codes.add(code)
    return frozenset(codes)


# -- the search's view of a query on one network -----------------------------------------------


@dataclass(frozen=True)
class Query:
    """A query checked on one network: the objective's name and its weights over (time, cost,
    co2, customs borders, transshipments) per TEU, the constraints of the search, the cargo, the
    access mode, the date rates are taken at and the traffic asked for."""

    objective: str
    coef: Coef
    constraints: Constraints
    teu: float
    mode: Mode = "any"  # which access points of a place a route may use
    as_of: str | None = None  # the date rates are taken at (sea rates by lane)
    traffic: Traffic = "any"
    train: TrainClass = "standard"  # the train's category it is priced for (standard if none named)

    @property
    def traffic_type(self) -> TrafficType:
        """The transit model's traffic type the route is priced for (its constraints carry it)."""
        return self.constraints.traffic


def check_query(net: Network, options: RouteOptions) -> Query:
    """The search's query of ``options`` on ``net``: the year within the network's span and
    sea rates known at ``as_of``, or a :class:`DataError` naming the field. Passengers travel
    by rail (and rail ferries) only."""
    kind = traffic_of(options.traffic)
    if kind is TrafficType.PASSENGER and options.mode == "sea":
        raise DataError("passengers travel by rail here; ask for mode rail or any", field="mode")
    y = net.current_year() if options.year is None else options.year
    if net.clamp_year(y) != y:
        raise DataError(
            f"year {y} is outside the network's span: the rail data describes {net.base_year}, and "
            f"planned lines open up to {MAX_YEAR}; give a year from {net.base_year} to {MAX_YEAR}",
            field="year",
        )
    return Query(
        options.objective,
        options.weights,
        Constraints(
            modes="rail" if options.mode == "rail" else "any",
            traffic=kind,
            avoid_countries=frozenset(options.avoid),
            avoid_crossings=crossing_indices(net, options.closed_crossings),
            avoid_passages=frozenset(options.avoid_passages),
            year=y,
            inland_water=options.inland_water,
        ),
        options.teu,
        options.mode,
        check_as_of(net, options.as_of),
        options.traffic,
        options.train or "standard",
    )


def check_as_of(net: Network, as_of: dt.date | None) -> str | None:
    """The date (YYYY-MM-DD) the cost model has rates for, or None for the newest."""
    if as_of is None:
        return None
    text = as_of.isoformat()
    CostModel.from_network(net).sea_rate_entry(text)
    return text


def check_ends(o: Place, d: Place, q: Query, rail_linked_ports: frozenset[int]) -> None:
    """Two different places, each reachable in the query's mode and outside avoided countries."""
    if o == d or set(o.nodes_for(q.mode)) & set(d.nodes_for(q.mode)):
        raise DataError(
            f"origin and destination are the same place ({o.name}); name two different places",
            field="destination",
        )
    for p, role in ((o, "origin"), (d, "destination")):
        check_mode_access(p, q.mode, rail_linked_ports)
        if p.country in q.constraints.avoid_countries:
            raise DataError(
                f"the {role} {p.name} is in {p.country}, which the route is asked to avoid; "
                "leave it out of the countries to avoid, or name a place elsewhere",
                field="avoid",
            )


def rail_linked_ports(net: Network) -> frozenset[int]:
    """Port nodes with a rail link (a port transfer to a rail terminal)."""
    link = np.flatnonzero(net.edge_kind == EdgeKind.PORT_LINK)
    ends = np.r_[net.u[link], net.v[link]].astype(np.int64)
    return frozenset(ends[net.node_kind[ends] == NodeKind.PORT].tolist())


def end_states(g: StateGraph, p: Place, mode: str = "any") -> NDArray[np.int64]:
    """The states a route of ``mode`` may start or end in: those of the place's access
    points for that mode, on every gauge that serves them (see :func:`node_states`)."""
    out = [node_states(g, n) for n in p.nodes_for(mode)]
    return np.unique(np.concatenate(out)) if len(out) > 1 else out[0]


def node_states(g: StateGraph, node: int) -> NDArray[np.int64]:
    """The states a route starts or ends in at ``node``: every gauge the node is served by. At a
    dual-gauge station (Dong Dang to Yen Vien and Gia Lam, where Chinese trains run through to
    Hanoi) cargo is loaded on whichever gauge its train runs, so a train bound for China leaves
    on standard gauge and changes nothing at the border."""
    return g.states_of_node(node).astype(np.int64)

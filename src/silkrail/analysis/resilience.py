"""Resilience of the network: what losing each element (a crossing, a line, a port, a ferry, a
sea passage, or a named combination) costs a set of flows.

Each flow is routed once (its baseline, through its ``via`` crossings if it names any, as a
service runs its published route), and a flow held to via crossings once more freely: its own
best route under the same objective. For each element only the flows whose baseline uses it
are routed again without it, re-planned freely (a corridor that lost a crossing is not held to
its other via points); the others keep their route, since removing an element never makes a
path that avoids it better. Per element: the loss in the objective's own measure against each
flow's own best route (never negative: closing the crossing a service is held to frees it to
take its best route, which is no gain; the answer says where a flow is held), the extra time,
cost and CO2 (TEU-weighted, per year, or over ``days`` of closure), the flows left without any
route (stranded), and the routes the others take instead. Passenger services are counted in
trains, apart from the TEU. Elements are ranked by stranded TEU, stranded passenger trains,
then loss.

The re-routings are independent: they run here, or on Dask (a local cluster, or a scheduler
at ``tcp://HOST:PORT``) with identical results, since each is a pure function of the network,
the flow and the removal and the results are gathered in job order.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from silkrail.analysis.flows import Flow
from silkrail.errors import DataError

if TYPE_CHECKING:
    from silkrail.analysis._routing import Removal
    from silkrail.network.model import Network
    from silkrail.routing.results import Route
    from silkrail.routing.router import Router
    from silkrail.settings import Settings

logger = logging.getLogger("silkrail.analysis.resilience")

KINDS = ("crossings", "lines", "ports", "ferries", "passages")
COMBINATIONS = {
    "red-sea": ("Suez Canal and Bab-el-Mandeb closed", ("passage:suez", "passage:babalmandab")),
}
"""Named combinations shipped with silkrail: removed together."""


@dataclass(frozen=True)
class Outcome:
    """A flow's route: per TEU its time, cost and CO2, the element keys it uses, and a summary."""

    duration_h: float
    cost_usd: float
    co2_kg: float
    uses: frozenset[str]
    summary: str
    coordinates: tuple[tuple[float, float], ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Element:
    """Something that can fail: ``key`` is ``kind:id``; a combination removes all its ``parts``."""

    key: str
    kind: str
    name: str
    parts: frozenset[str]


class FlowRouter(Protocol):
    """Routes flows on one network, with elements removed; picklable, for the workers."""

    def route(self, flow: Flow, removed: frozenset[str], replan: bool = False) -> Outcome | None:
        """The flow's route without ``removed``; ``replan`` drops the flow's via points."""
        ...


@dataclass(frozen=True)
class Detour:
    """What losing an element does to one flow, against the flow's own best route: per TEU (a
    passenger service: per train) the extra time, cost and CO2, and the route taken instead."""

    flow: str
    teu_per_year: float  # a passenger service: trains a year
    extra_h: float
    extra_usd: float
    extra_kg: float
    route: str | None  # None: stranded
    unit: str = "TEU"  # TEU | trains
    pinned: str | None = None  # the crossings a service is held to, when its own best route differs

    def to_dict(self) -> dict[str, object]:
        per = "teu" if self.unit == "TEU" else "train"
        return {
            "flow": self.flow,
            "unit": self.unit,
            ("teu" if self.unit == "TEU" else "trains"): round(self.teu_per_year, 1),
            f"extra_h_per_{per}": round(self.extra_h, 2),
            "route": self.route,
            "stranded": self.route is None,
            **({"extra_usd_per_teu": round(self.extra_usd, 2)} if self.unit == "TEU" else {}),
            **({"pinned": self.pinned} if self.pinned else {}),
        }


@dataclass(frozen=True)
class ElementImpact:
    """The loss of one element over the flows. Freight figures are TEU-weighted; passenger
    services are counted in trains, apart. ``loss`` is the objective's own measure (TEU-hours,
    US$ or t CO2) against each flow's own best route under the same objective, so it is never
    negative; the other measures may fall where a slower route is cheaper."""

    element: Element
    extra_time_h: float  # TEU-hours over the period
    extra_cost_usd: float
    extra_co2_t: float
    stranded_teu: float
    affected_teu: float
    detours: tuple[Detour, ...]
    rank: int = 0
    loss: float = 0.0
    objective: str = "time"
    passenger_trains_affected: float = 0.0
    passenger_trains_stranded: float = 0.0
    passenger_extra_train_h: float = 0.0

    def to_dict(self) -> dict[str, object]:
        e = self.element
        return {
            "rank": self.rank,
            "id": e.key,
            "kind": e.kind,
            "name": e.name,
            "parts": sorted(e.parts),
            "objective": self.objective,
            "loss": round(self.loss, 1),
            "extra_time_h": round(self.extra_time_h, 1),
            "extra_time_h_per_affected_teu": round(self.extra_time_h / self.affected_teu, 2)
            if self.affected_teu
            else 0.0,
            "extra_cost_usd": round(self.extra_cost_usd, 0),
            "extra_co2_t": round(self.extra_co2_t, 1),
            "stranded_teu": round(self.stranded_teu, 1),
            "affected_teu": round(self.affected_teu, 1),
            "passenger_trains_affected": round(self.passenger_trains_affected, 1),
            "passenger_trains_stranded": round(self.passenger_trains_stranded, 1),
            "passenger_extra_train_h": round(self.passenger_extra_train_h, 1),
            "flows": [d.to_dict() for d in self.detours],
        }


@dataclass(frozen=True)
class Resilience:
    flows: list[Flow]
    baselines: list[Outcome | None]
    impacts: list[ElementImpact]  # ranked
    days: float | None
    reroutes: int  # routings done beyond the baselines
    scheduler: str | None = None
    unrouted: list[str] = field(default_factory=list)
    best: list[Outcome | None] = field(default_factory=list)  # each flow's own best route (no via)

    def to_dict(self) -> dict[str, object]:
        return {
            "period": f"{self.days:g} days of closure" if self.days else "a year",
            "flows": [
                {
                    "name": f.name,
                    "origin": f.origin,
                    "destination": f.destination,
                    "traffic": f.traffic,
                    "teu_per_year": round(f.teu_per_year, 1),
                    "trains_per_year": round(f.trains_per_year, 1),
                    "mode": f.mode,
                    "route": b.summary if b else None,
                    "duration_h": round(b.duration_h, 2) if b else None,
                    **(
                        {"pinned_via": list(f.via), "best_route": own.summary}
                        if f.via and own is not None and b is not None and own.summary != b.summary
                        else {}
                    ),
                }
                for f, b, own in zip(self.flows, self.baselines, self._own(), strict=True)
            ],
            "unrouted": self.unrouted,
            "reroutes": self.reroutes,
            "elements": [i.to_dict() for i in self.impacts],
        }

    def _own(self) -> list[Outcome | None]:
        return self.best if len(self.best) == len(self.flows) else list(self.baselines)


def compute_resilience(
    flows: Sequence[Flow],
    elements: Sequence[Element] | Callable[[list[Outcome | None]], Sequence[Element]],
    router: FlowRouter,
    *,
    days: float | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    only_affected: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Resilience:
    """The impact of removing each element on ``flows``, ranked. ``elements`` may be a function
    of the baselines (to include what the routes use). ``only_affected=False`` re-routes every
    flow for every element (the naive way, for comparison; same result)."""
    if not flows:
        raise DataError("the flow set is empty; give at least one flow", field="flows")
    if days is not None and not 0 < days <= 3660:
        raise DataError(f"a closure of {days} days; give 1 to 3660 days", field="days")
    baselines = _run([(f, frozenset(), False) for f in flows], router, scheduler, workers, None)
    # a flow held to via crossings (a service's published route) is measured against its own
    # best route under the same objective, so that losing the crossing is never a gain
    pinned = [i for i, f in enumerate(flows) if f.via]
    free = _run([(flows[i], frozenset(), True) for i in pinned], router, scheduler, workers, None)
    best: list[Outcome | None] = list(baselines)
    for i, out in zip(pinned, free, strict=True):
        best[i] = out if out is not None else baselines[i]
    objective = str(getattr(router, "objective", "time"))
    unrouted = [f.name for f, b in zip(flows, baselines, strict=True) if b is None]
    for name in unrouted:
        logger.warning("flow %s has no route even with every element in place; it is left out", name)
    if callable(elements):
        elements = elements(baselines)
    jobs: list[tuple[Flow, frozenset[str], bool]] = []
    owners: list[tuple[int, int]] = []  # (element index, flow index) per job
    for ei, el in enumerate(elements):
        for fi, (f, b) in enumerate(zip(flows, baselines, strict=True)):
            if b is None:
                continue
            touched = bool(b.uses & el.parts)
            if only_affected and not touched:
                continue
            jobs.append((f, el.parts, touched))
            owners.append((ei, fi))
    outcomes = _run(jobs, router, scheduler, workers, progress)
    scale = (days / 365.0) if days else 1.0
    per_element: list[list[tuple[int, Outcome | None]]] = [[] for _ in elements]
    for (ei, fi), out in zip(owners, outcomes, strict=True):
        per_element[ei].append((fi, out))
    impacts = [
        _impact(el, per_element[ei], flows, baselines, best, scale, objective)
        for ei, el in enumerate(elements)
    ]
    ranked = sorted(
        impacts,
        key=lambda i: (
            -round(i.stranded_teu, 6),
            -round(i.passenger_trains_stranded, 6),
            -round(i.loss, 6),
            i.element.key,
        ),
    )
    ranked = [dataclasses.replace(i, rank=n + 1) for n, i in enumerate(ranked)]
    return Resilience(list(flows), baselines, ranked, days, len(jobs), scheduler, unrouted, best)


def _measure(out: Outcome, objective: str) -> float:
    """A route's value of the objective per TEU: hours, US$ or kg CO2 (time for a weighting)."""
    if objective == "cost":
        return out.cost_usd
    if objective == "co2":
        return out.co2_kg
    return out.duration_h


def _impact(
    el: Element,
    results: list[tuple[int, Outcome | None]],
    flows: Sequence[Flow],
    baselines: Sequence[Outcome | None],
    best: Sequence[Outcome | None],
    scale: float,
    objective: str = "time",
) -> ElementImpact:
    time = cost = co2 = stranded = affected = loss = 0.0
    p_affected = p_stranded = p_hours = 0.0
    detours = []
    for fi, out in results:
        f, base, own = flows[fi], baselines[fi], best[fi]
        assert base is not None and own is not None
        if out is not None and out == base and not (base.uses & el.parts):
            continue  # a flow the element does not touch (naive runs route these too)
        pinned = None
        if f.via and own != base:
            pinned = f"held to {'+'.join(f.via)}; measured against its own best route ({own.summary})"
        unit = "trains" if f.passenger else "TEU"
        volume = (f.trains_per_year if f.passenger else f.teu_per_year) * scale
        if f.passenger:
            p_affected += volume
        else:
            affected += volume
        if out is None:
            if f.passenger:
                p_stranded += volume
            else:
                stranded += volume
            detours.append(Detour(f.name, volume, 0.0, 0.0, 0.0, None, unit, pinned))
            continue
        # against the flow's own best route: losing an element never makes a route better
        dh, dc, dk = out.duration_h - own.duration_h, out.cost_usd - own.cost_usd, out.co2_kg - own.co2_kg
        if f.passenger:
            p_hours += volume * dh
        else:
            time += volume * dh
            cost += volume * dc
            co2 += volume * dk / 1000.0
            loss += volume * (_measure(out, objective) - _measure(own, objective))
        detours.append(Detour(f.name, volume, dh, dc, dk, out.summary, unit, pinned))
    if objective == "co2":
        loss /= 1000.0  # t CO2
    return ElementImpact(
        el,
        time,
        cost,
        co2,
        stranded,
        affected,
        tuple(detours),
        loss=loss,
        objective=objective,
        passenger_trains_affected=p_affected,
        passenger_trains_stranded=p_stranded,
        passenger_extra_train_h=p_hours,
    )


def _run(
    jobs: list[tuple[Flow, frozenset[str], bool]],
    router: FlowRouter,
    scheduler: str | None,
    workers: int,
    progress: Callable[[int], None] | None,
) -> list[Outcome | None]:
    """Route every job, here or on Dask; results in job order either way."""
    if scheduler is None:
        out = []
        for flow, removed, replan in jobs:
            out.append(router.route(flow, removed, replan))
            if progress:
                progress(1)
        return out
    if not jobs:
        return []
    from silkrail.simulation.scheduler import dask_client

    purpose = "re-routing on Dask (or give --scheduler serial)"
    with dask_client(scheduler, workers, purpose) as client:
        from dask.distributed import as_completed

        shared = client.scatter(router, broadcast=True)
        # one task per batch of jobs: each task pays the worker's set-up once
        size = max(1, len(jobs) // (8 * max(1, workers)))
        batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        futures = [client.submit(_route_batch, shared, b, pure=False) for b in batches]
        sizes = {f.key: len(b) for f, b in zip(futures, batches, strict=True)}
        for fut in as_completed(futures):
            if progress:
                progress(sizes[fut.key])
        results = client.gather(futures)
    return [o for batch in results for o in batch]


def _route_batch(router: FlowRouter, jobs: list[tuple[Flow, frozenset[str], bool]]) -> list[Outcome | None]:
    return [router.route(f, removed, replan) for f, removed, replan in jobs]


# --- on the silkrail network ------------------------------------------------------------


_ROUTERS: dict[Settings, Router] = {}


@dataclass(frozen=True)
class NetworkFlowRouter:
    """Routes flows on the network that ``settings`` describe (built and cached under its
    home), optimising ``objective`` in ``year``. Only these settings travel to a worker, which
    loads the network from the cache once."""

    settings: Settings
    objective: str = "time"
    year: int | None = None

    def router(self) -> Router:
        hit = _ROUTERS.get(self.settings)
        if hit is None:
            from silkrail.network.store import load_network
            from silkrail.routing.router import router_for

            net = load_network(settings=self.settings, progress=False)
            hit = router_for(net, home=self.settings.home)
            _ROUTERS[self.settings] = hit
        return hit

    def route(self, flow: Flow, removed: frozenset[str], replan: bool = False) -> Outcome | None:
        from silkrail.analysis._routing import check_crossing_ids, route_elements, route_removed
        from silkrail.routing.query import RouteQuery, check_mode

        r = self.router()
        net = r.net
        removal = _removal(net, removed)
        via = [] if replan else check_crossing_ids(net, flow.via)
        mode = check_mode(flow.mode)
        query = RouteQuery(flow.origin, flow.destination, objective=self.objective, mode=mode, year=self.year)
        route = route_removed(r, query, removal, via=via)
        if route is None:
            return None
        coords: tuple[tuple[float, float], ...] = ()
        if not removed:  # the baseline: drawn on the map
            coords = tuple(
                c for leg in route.legs for c in leg.coordinates[:: max(1, len(leg.coordinates) // 300)]
            )
        return Outcome(
            round(route.duration_h, 6),
            round(route.cost_usd / route.teu, 6),
            round(route.co2_kg / route.teu, 6),
            element_keys(net, route_elements(r, route)),
            _summary(route),
            coords,
        )


def _summary(route: Route) -> str:
    crossings = [e.at for e in route.events if e.kind in ("border_crossing", "ferry", "port_transfer")]
    text = " → ".join(route.countries)
    return f"{text} (via {', '.join(dict.fromkeys(crossings))})" if crossings else text


def element_keys(net: Network, removal: Removal) -> frozenset[str]:
    """The keys ``kind:id`` of the elements in a removal."""
    from silkrail.analysis import _records as rec

    keys = {f"crossing:{rec.crossing(net, i).id}" for i in removal.crossings}
    keys |= {f"line:{rec.line_id(net, i)}" for i in removal.lines}
    keys |= {f"port:{rec.port_code(net, i)}" for i in removal.ports}
    keys |= {f"ferry:{rec.ferry_id(net, i)}" for i in removal.ferries}
    keys |= {f"passage:{p}" for p in removal.passages}
    return frozenset(keys)


def _removal(net: Network, keys: frozenset[str]) -> Removal:
    from silkrail.analysis._routing import Removal

    index = _element_index(net)
    by_kind: dict[str, list[str]] = {kind: [] for kind in ("crossing", "line", "port", "ferry", "passage")}
    for k in keys:
        kind, _, ident = k.partition(":")
        by_kind[kind].append(k if kind != "passage" else ident)  # KeyError: not a kind of element

    def indices(kind: str) -> frozenset[int]:
        return frozenset(index[k] for k in by_kind[kind])

    return Removal(
        indices("crossing"), indices("line"), indices("port"), indices("ferry"), frozenset(by_kind["passage"])
    )


def _element_index(net: Network) -> dict[str, int]:
    """Element keys to their record indices (passages are named, not indexed)."""
    from silkrail.analysis import _records as rec

    out = {f"crossing:{c.id}": c.index for c in rec.crossings(net)}
    out |= {f"line:{rec.line_id(net, i)}": i for i in range(len(net.lines))}
    out |= {f"port:{rec.port_code(net, i)}": i for i in range(len(net.ports))}
    out |= {f"ferry:{rec.ferry_id(net, i)}": i for i in range(len(net.ferries))}
    return out


def network_elements(
    net: Network,
    spec: str = "crossings,lines,ports",
    *,
    used: frozenset[str] = frozenset(),
    combinations: Sequence[str] = (),
) -> list[Element]:
    """The elements named by ``spec``: kinds (crossings, lines, ports, ferries, passages) and/or
    element keys (``crossing:erenhot-zamyn-uud``) or bare ids, comma-separated. Kinds take the
    curated records, plus uncurated crossings that a flow's route ``used``. ``combinations``:
    shipped names (``red-sea``) or ``NAME=key+key``. Unknown ids raise DataError."""
    from silkrail.analysis import _records as rec
    from silkrail.routing.query import ICEBOUND_PASSAGES

    catalogue: dict[str, Element] = {}
    for c in rec.crossings(net):
        catalogue[f"crossing:{c.id}"] = Element(f"crossing:{c.id}", "crossing", c.name, frozenset())
    for i in range(len(net.lines)):
        k = f"line:{rec.line_id(net, i)}"
        catalogue[k] = Element(k, "line", rec.line_name(net, i), frozenset())
    for i in range(len(net.ports)):
        k = f"port:{rec.port_code(net, i)}"
        catalogue[k] = Element(k, "port", rec.port_name(net, i), frozenset())
    for i in range(len(net.ferries)):
        k = f"ferry:{rec.ferry_id(net, i)}"
        catalogue[k] = Element(k, "ferry", rec.ferry_name(net, i), frozenset())
    for p in net.passages:
        if p and p not in ICEBOUND_PASSAGES:
            catalogue[f"passage:{p}"] = Element(f"passage:{p}", "passage", p, frozenset())
    curated_crossings = {f"crossing:{c.id}" for c in rec.crossings(net) if c.curated}
    chosen: list[str] = []
    for word in filter(None, (w.strip() for w in spec.split(","))):
        if word in KINDS:
            kind = word[:-1] if word != "ferries" else "ferry"
            for k, el in catalogue.items():
                if el.kind != kind:
                    continue
                if kind == "crossing" and k not in curated_crossings and k not in used:
                    continue
                chosen.append(k)
            continue
        chosen.append(_find_key(catalogue, word))
    out = [Element(k, catalogue[k].kind, catalogue[k].name, frozenset({k})) for k in dict.fromkeys(chosen)]
    for combo in combinations:
        out.append(_combination(catalogue, combo))
    if not out:
        raise DataError(
            f"'{spec}' names no element; give {', '.join(KINDS)} or element ids", field="elements"
        )
    return out


def element_positions(net: Network) -> dict[str, tuple[float, float]]:
    """(lon, lat) of the crossings, ports and ferry ends, for the map."""
    from silkrail.analysis import _records as rec

    out: dict[str, tuple[float, float]] = {}
    for i, c in enumerate(net.crossings):
        out[f"crossing:{rec.crossing(net, i).id}"] = (c.lon, c.lat)
    for i, p in enumerate(net.ports):
        out[f"port:{rec.port_code(net, i)}"] = (p.lon, p.lat)
    for i, f in enumerate(net.ferries):
        out[f"ferry:{rec.ferry_id(net, i)}"] = (f.lon[0], f.lat[0])
    return out


def _find_key(catalogue: dict[str, Element], word: str) -> str:
    if word in catalogue:
        return word
    matches = [k for k in catalogue if k.split(":", 1)[1] == word]
    if len(matches) == 1:
        return matches[0]
    close = difflib.get_close_matches(word, [k.split(":", 1)[1] for k in catalogue], n=3)
    hint = f"; closest: {', '.join(close)}" if close else ""
    raise DataError(
        f"'{word}' is not an element kind ({', '.join(KINDS)}) nor an element id{hint}", field="elements"
    )


def _combination(catalogue: dict[str, Element], text: str) -> Element:
    if text in COMBINATIONS:
        label, parts = COMBINATIONS[text]
        keys = [_find_key(catalogue, p) for p in parts]
        return Element(f"combination:{text}", "combination", label, frozenset(keys))
    name, eq, rest = text.partition("=")
    if not eq or not name.strip():
        raise DataError(
            f"'{text}' is not a combination; write NAME=id+id or one of {', '.join(COMBINATIONS)}",
            field="combine",
        )
    keys = [_find_key(catalogue, p.strip()) for p in rest.split("+") if p.strip()]
    if len(keys) < 2:
        raise DataError(f"combination '{name}' needs two elements or more", field="combine")
    label = " + ".join(catalogue[k].name for k in keys)
    return Element(f"combination:{name.strip()}", "combination", label, frozenset(keys))


def check_flows(router: Router, flows: Sequence[Flow]) -> None:
    """Every flow's places and via crossings exist: an unknown one raises DataError naming the
    flow's file and row (before any routing starts)."""
    from silkrail.analysis._routing import check_crossing_ids
    from silkrail.errors import UnknownPlaceError

    for f in flows:
        for col, place in (("origin", f.origin), ("destination", f.destination)):
            try:
                router.places.resolve(place)
            except UnknownPlaceError as exc:
                raise DataError(f"{f.where}: {exc}", field=col) from None
        try:
            check_crossing_ids(router.net, f.via)
        except DataError as exc:
            raise DataError(f"{f.where}: {exc.reason}", field="via") from None

"""Sections of a route and the change points between them: what must be harmonised.

A route's rail track is cut into sections of one country, one gauge and one curated record
(a line or section of ``interoperability.yaml``). Each attribute of a section comes with its
basis: ``curated`` (the section's own record), ``country default`` (the country's record) or
``unknown`` (no source). The speed is the section record's line speed where it gives one, else
the transit model's commercial speed of the route's traffic on the section's line classes
(basis ``line class (fitted)`` or ``line class (modelled)``, as the parameter's; see
:class:`ClassSpeeds`), else unknown: never a guess. Change points are where the gauge, the power
system, the train control or the train-length limit changes, with what that means for the train.

The core (:func:`describe_sections`, :func:`change_points`) works on plain :class:`Piece`
records, so it is tested on hand-made routes; :func:`corridor_pieces` reads them off a route.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from silkrail.analysis import _records as rec
from silkrail.network.classes import edge_line_class
from silkrail.network.interop import (
    ATTRIBUTES,
    POWER_SYSTEMS,
    CountryDefaults,
    Interoperability,
    SectionRecord,
)

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.routing.results import Leg, Route
    from silkrail.routing.router import Router

logger = logging.getLogger("silkrail.analysis.sections")

CURATED, DEFAULT, UNKNOWN = "curated", "country default", "unknown"
LINE_CLASS = "line class"
"""The basis of a speed from the line classes: ``line class (fitted)``, ``(modelled)`` or ``(default)``."""
MIN_SECTION_KM = 10.0  # a shorter run of another record is noise at the edge of a buffer, not a section

METHODS = {
    "transshipment": "transshipment: the containers are lifted onto wagons of the other gauge",
    "bogie_exchange": "bogie exchange: the wagons are lifted onto bogies of the other gauge",
    "dual_gauge": "dual-gauge track: no change needed",
}


@dataclass(frozen=True)
class Boundary:
    """Where a piece begins: a named place, and the crossing there if there is one."""

    at: str
    crossing: str | None = None  # crossing id
    method: str | None = None  # transshipment | bogie_exchange | dual_gauge | none


@dataclass(frozen=True)
class Piece:
    """A stretch of a route with one mode, country, gauge and curated record."""

    start: Boundary
    to: str
    km: float
    country: str
    gauge_mm: int | None
    mode: str = "rail"  # rail | ferry | sea
    records: tuple[str, ...] = ()  # section records of the interoperability data, first wins
    dual_gauge: tuple[int, ...] = ()
    coordinates: tuple[tuple[float, float], ...] = ()
    classes: tuple[tuple[int, float], ...] = ()  # km of track per line class (LineClass values)


@dataclass(frozen=True)
class ClassSpeeds:
    """The transit model's commercial speed by line class, for one traffic type: ``speed(cls,
    country)`` in km/h (stops, crew and locomotive changes included; waits at borders and
    terminals apart), ``basis(cls)`` the parameter's (fitted, modelled or default)."""

    traffic: str
    speed: Callable[[int, str], float]
    basis: Callable[[int], str]
    source: tuple[str, ...] = ()
    as_of: str | None = None

    def section(self, p: Piece) -> Value | None:
        """The section's speed: its length over its time on each class (None: no class known)."""
        from silkrail.network.classes import CLASS_NAMES

        known = [(c, km) for c, km in p.classes if c >= 0 and km > 0]
        total = sum(km for _, km in known)
        if not total:
            return None
        hours = sum(km / self.speed(c, p.country) for c, km in known)
        weakest = _weakest(self.basis(c) for c, _ in known)
        share = ", ".join(
            f"{CLASS_NAMES[c].replace('_', ' ')} {km / total:.0%}"
            for c, km in sorted(known, key=lambda x: -x[1])
        )
        note = (
            f"commercial speed of a {self.traffic} train by the transit model (stops included, waits at "
            f"borders and terminals apart) on the section's line classes: {share}"
        )
        return Value(
            round(total / hours, 1), f"{LINE_CLASS} ({weakest})", None, self.source, self.as_of, note=note
        )


def _weakest(bases: Iterable[str]) -> str:
    order = ["fitted", "modelled", "default"]
    found = [b if b in order else "default" for b in bases]
    return order[max(order.index(b) for b in found)] if found else "default"


@dataclass(frozen=True)
class Value:
    """One attribute of a section with its basis and source."""

    value: Any
    basis: str  # curated | country default | unknown
    record: str | None = None
    source: tuple[str, ...] = ()
    as_of: str | None = None
    weak: bool = False
    note: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "value": self.value,
            "basis": self.basis,
            **({"record": self.record} if self.record else {}),
            **({"source": list(self.source), "as_of": self.as_of} if self.source else {}),
            **({"weak": True} if self.weak else {}),
            **({"note": self.note} if self.note else {}),
        }


@dataclass(frozen=True)
class Section:
    from_: str
    to: str
    km: float
    country: str
    mode: str
    gauge_mm: int | None
    attributes: dict[str, Value] = field(default_factory=dict)
    coordinates: tuple[tuple[float, float], ...] = ()
    entry: Boundary | None = None  # the crossing the section starts at, if any

    def value(self, name: str) -> Any:
        v = self.attributes.get(name)
        return None if v is None else v.value

    @property
    def electrification(self) -> str | None:
        v = self.attributes.get("electrification")
        return None if v is None or v.value is None else describe_power(v.value)

    def to_dict(self) -> dict[str, object]:
        train = self.value("max_train") or {}
        return {
            "from": self.from_,
            "to": self.to,
            "km": round(self.km, 1),
            "country": self.country,
            "mode": self.mode,
            "gauge_mm": self.gauge_mm,
            "electrification": self.electrification,
            "signalling": self.value("train_control"),
            "axle_load_t": self.value("axle_load_t"),
            "max_train_length_m": train.get("metres"),
            "max_train_wagons": train.get("wagons"),
            "tracks": self.value("tracks"),
            "speed_kmh": self.value("speed_kmh"),
            "basis": {k: v.basis for k, v in self.attributes.items()},
            "attributes": {k: v.to_dict() for k, v in self.attributes.items()},
        }


@dataclass(frozen=True)
class ChangePoint:
    at: str
    kind: str  # gauge | power | train_control | length_limit
    from_: str
    to: str
    consequence: str
    km: float  # from the route's start
    basis: str = CURATED  # the weaker basis of the two sides
    note: str | None = None

    def to_dict(self) -> dict[str, object]:
        out = {
            "at": self.at,
            "kind": self.kind,
            "from": self.from_,
            "to": self.to,
            "consequence": self.consequence,
            "km": round(self.km, 1),
            "basis": self.basis,
        }
        return out | ({"note": self.note} if self.note else {})


@dataclass(frozen=True)
class Corridor:
    """The interoperability of one route: its sections and change points."""

    sections: list[Section]
    changes: list[ChangePoint]
    route: Route | None = None

    @property
    def known_km_share(self) -> dict[str, float]:
        """The share of the rail km whose value of each attribute is known."""
        return _known_share(self.sections)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, object] = {
            "sections": [s.to_dict() for s in self.sections],
            "changes": [c.to_dict() for c in self.changes],
            "known_km_share": self.known_km_share,
        }
        if self.route is not None:
            r = self.route
            out = {
                "origin": r.origin.name,
                "destination": r.destination.name,
                "distance_km": round(r.distance_km, 1),
                "countries": r.countries,
            } | out
        return out


def describe_power(system: str) -> str:
    return POWER_SYSTEMS.get(system, system)


# --- the core ------------------------------------------------------------------------


def describe_sections(
    pieces: list[Piece], data: Interoperability, speeds: ClassSpeeds | None = None
) -> list[Section]:
    """Each piece with its attributes: the section record's own, else the country's, else unknown;
    the speed: the section record's, else the line classes' (with ``speeds``), else unknown."""
    records = {s.id: s for s in data.sections}
    out = []
    for p in pieces:
        attrs: dict[str, Value] = {}
        if p.mode == "rail":
            attrs["gauge"] = _gauge_value(p)
            own = [records[r] for r in p.records if r in records]
            country = data.country(p.country)
            for name in ATTRIBUTES:
                attrs[name] = _attribute(name, own, country)
            if speeds is not None and attrs["speed_kmh"].basis != CURATED:
                by_class = speeds.section(p)
                if by_class is not None:
                    attrs["speed_kmh"] = by_class
        out.append(
            Section(p.start.at, p.to, p.km, p.country, p.mode, p.gauge_mm, attrs, p.coordinates, p.start)
        )
    return out


def _gauge_value(p: Piece) -> Value:
    note = None
    if len(p.dual_gauge) > 1:
        note = "dual gauge " + "/".join(f"{g:,}" for g in p.dual_gauge) + " mm"
    return Value(p.gauge_mm, CURATED, "gauges.yaml", ("the network's gauges (gauges.yaml)",), None, note=note)


def _attribute(name: str, own: list[SectionRecord], country: CountryDefaults | None) -> Value:
    holders: list[tuple[SectionRecord | CountryDefaults | None, str, str | None]] = [
        (r, CURATED, r.id) for r in own
    ]
    holders.append((country, DEFAULT, country.country if country else None))
    for holder, basis, label in holders:
        a = getattr(holder, name, None) if holder is not None else None
        if a is not None:
            return Value(_plain(name, a), basis, label, tuple(a.sources), a.as_of, a.weak, a.note)
    return Value(None, UNKNOWN)


def _plain(name: str, a: Any) -> Any:
    if name == "electrification":
        return a.system
    if name == "train_control":
        return a.system
    if name == "max_train":
        return {k: v for k, v in (("metres", a.metres), ("wagons", a.wagons)) if v is not None}
    return a.value


def change_points(sections: list[Section]) -> list[ChangePoint]:
    """Where gauge, power system, train control or the length limit changes along the route.

    An attribute is compared with its last known value: unknown sections in between are named
    in the note, since the change may lie anywhere in them. A sea leg ends a train: the
    comparison starts again after it (a ferry carries the wagons and does not)."""
    out: list[ChangePoint] = []
    last: dict[str, tuple[Section, Value, float]] = {}
    gaps: dict[str, list[str]] = {}
    km = 0.0
    prev: Section | None = None
    for s in sections:
        if s.mode == "sea":
            last.clear()
            gaps.clear()
            km += s.km
            prev = None
            continue
        if s.mode == "rail":
            for kind, attr in (
                ("gauge", "gauge"),
                ("power", "electrification"),
                ("train_control", "train_control"),
                ("length_limit", "max_train"),
            ):
                v = s.attributes[attr]
                if v.value is None:
                    if attr in last:
                        gaps.setdefault(attr, []).append(f"{s.from_}–{s.to} ({s.country})")
                    continue
                seen = last.get(attr)
                if seen is not None and seen[1].value != v.value:
                    change = _change(kind, seen[1], v, s, prev, km)
                    if change is not None:
                        if gaps.get(attr):
                            change = ChangePoint(
                                change.at,
                                change.kind,
                                change.from_,
                                change.to,
                                change.consequence,
                                change.km,
                                change.basis,
                                "unknown in between, so the change may lie earlier: " + ", ".join(gaps[attr]),
                            )
                        out.append(change)
                last[attr] = (s, v, km)
                gaps.pop(attr, None)
            prev = s
        km += s.km
    return out


def _weaker(a: Value, b: Value) -> str:
    order = [CURATED, DEFAULT, UNKNOWN]
    return order[max(order.index(a.basis), order.index(b.basis))]


def _change(kind: str, a: Value, b: Value, s: Section, prev: Section | None, km: float) -> ChangePoint | None:
    at = s.from_
    if kind == "gauge":
        method = _method_at(s)
        consequence = METHODS.get(method or "", "transshipment or bogie exchange (the method is not curated)")
        if method != "dual_gauge":
            consequence += "; the locomotive is changed"
        return ChangePoint(at, kind, f"{a.value:,} mm", f"{b.value:,} mm", consequence, km, _weaker(a, b))
    if kind == "power":
        power = _power_consequence(str(a.value), str(b.value))
        if power is None:
            return None
        consequence = power
        return ChangePoint(
            at,
            kind,
            describe_power(str(a.value)),
            describe_power(str(b.value)),
            consequence,
            km,
            _weaker(a, b),
        )
    if kind == "train_control":
        return ChangePoint(
            at,
            kind,
            str(a.value),
            str(b.value),
            "the locomotive needs cab equipment for both systems, or is changed",
            km,
            _weaker(a, b),
        )
    return _length_change(at, a, b, km)


def _method_at(s: Section) -> str | None:
    return s.entry.method if s.entry is not None else None


def _power_consequence(a: str, b: str) -> str | None:
    electric = {"ac-25kv-50hz", "dc-3kv", "mixed-dc-3kv-ac-25kv", "electrified-system-unknown"}
    if a == "none" and b in electric:
        return "diesel to electric: change to an electric locomotive, or keep the diesel under the wire"
    if b == "none" and a in electric:
        return "electric to diesel: change to a diesel locomotive"
    if {a, b} == {"ac-25kv-50hz", "dc-3kv"}:
        return "AC to DC: change the locomotive, or run a dual-system locomotive"
    if "mixed-dc-3kv-ac-25kv" in (a, b):
        return (
            "lines of 3 kV DC and of 25 kV AC: a dual-system locomotive, or a change where the system "
            "changes (which system each line has is not curated)"
        )
    if "electrified-system-unknown" in (a, b):
        return "electrified on both sides, one system not found: check the locomotive's systems"
    return None


def _length_change(at: str, a: Value, b: Value, km: float) -> ChangePoint | None:
    la, lb = dict(a.value), dict(b.value)
    shared = [u for u in ("wagons", "metres") if u in la and u in lb]
    text = {"wagons": "{:g} wagons", "metres": "{:g} m"}

    def show(d: dict[str, float]) -> str:
        return ", ".join(text[u].format(d[u]) for u in ("wagons", "metres") if u in d)

    if shared:
        u = shared[0]
        if la[u] == lb[u]:
            return None
        if lb[u] < la[u]:
            consequence = f"a longer train is split (at most {text[u].format(lb[u])} beyond)"
        else:
            consequence = f"trains may be combined into longer ones (up to {text[u].format(lb[u])})"
    else:
        consequence = "limits given in different units: check the train against both"
    return ChangePoint(at, "length_limit", show(la), show(lb), consequence, km, _weaker(a, b))


def _known_share(sections: list[Section]) -> dict[str, float]:
    rail = [s for s in sections if s.mode == "rail"]
    total = sum(s.km for s in rail)
    out: dict[str, float] = {}
    if not total:
        return out
    for name in ATTRIBUTES:
        known = sum(s.km for s in rail if s.attributes[name].value is not None)
        out[name] = round(known / total, 3)
    return out


# --- from a route ----------------------------------------------------------------------


def analyse_route(router: Router, route: Route, data: Interoperability) -> Corridor:
    """The sections and change points of a route of ``router``'s network; speeds from the
    sections' records, else from their line classes by the router's transit model."""
    pieces = corridor_pieces(router, route, data)
    sections = describe_sections(pieces, data, class_speeds(router, route.traffic))
    return Corridor(sections, change_points(sections), route)


def class_speeds(router: Router, traffic: str) -> ClassSpeeds:
    """The commercial speeds by line class of ``router``'s transit model for ``traffic``."""
    from silkrail.network.classes import CLASS_NAMES, LineClass
    from silkrail.traffic import Traffic, traffic_of

    model = router.graph.model
    t = traffic_of(traffic)

    def parameter(cls: int) -> str:
        if t is not Traffic.PASSENGER and cls == int(LineClass.HIGH_SPEED):
            cls = int(LineClass.MODERN)  # freight keeps the modern speed on high-speed track
        return f"{t.value}.speed_kmh.{CLASS_NAMES[cls]}"

    return ClassSpeeds(
        traffic=t.value,
        speed=lambda cls, country: model.speed_kmh(cls, t, country),
        basis=lambda cls: model.basis_of(parameter(cls)),
        source=(
            "silkrail transit model: line classes of data/line_classes.yaml and lines.yaml, commercial "
            "speeds of data/transit.yaml (sourced priors) fitted to data/evidence/ (data/fitted.yaml)",
        ),
    )


def corridor_pieces(router: Router, route: Route, data: Interoperability) -> list[Piece]:
    """The route cut at every change of leg, country, gauge and curated record."""
    net = router.net
    line_records = {s.line: s.id for s in data.sections if s.line}
    path_records = [s for s in data.sections if s.path]
    pieces: list[Piece] = []
    prev_edge = -1
    for leg in route.legs:
        track = rec.leg_track(leg)
        country = leg.countries[0] if leg.countries else ""
        if leg.mode != "rail" or track is None or not len(track.edges):
            pieces.append(
                Piece(Boundary(leg.from_), leg.to, leg.distance_km, country, leg.gauge_mm, leg.mode)
            )
            prev_edge = -1
            continue
        pieces += _leg_pieces(router, net, leg, track, line_records, path_records, prev_edge)
        prev_edge = int(track.edges[-1])
    return pieces


def _leg_pieces(
    router: Router,
    net: Network,
    leg: Leg,
    track: rec.LegTrack,
    line_records: dict[str, str],
    path_records: list[SectionRecord],
    prev_edge: int,
) -> list[Piece]:
    edges, from_nodes = track.edges, track.from_nodes
    u, v = rec.edge_ends(net, edges)
    to_nodes = np.where(u == from_nodes, v, u)
    km = rec.edge_km(net, edges)
    if km.sum() > 0:  # the leg's length is the track's (the extract's km times the track factor)
        km = km * (leg.distance_km / km.sum())
    countries = [rec.node_country(net, int(n)) for n in from_nodes.tolist()]
    record = _match_records(net, edges, from_nodes, to_nodes, line_records, path_records)
    # a crossing's edge takes both gauges at a break of gauge: only running track counts as dual gauge
    dual = [tuple(rec.edge_gauges(net, e)) if rec.edge_crossing(net, e) < 0 else () for e in edges.tolist()]
    keys = [(c, r, d if len(d) > 1 else ()) for c, r, d in zip(countries, record, dual, strict=True)]
    # a crossing's own edge is no section: it continues the track before it
    for i in range(1, len(keys)):
        if rec.edge_crossing(net, int(edges[i])) >= 0 and keys[i][0] == keys[i - 1][0]:
            keys[i] = keys[i - 1]
    runs = _smooth(_runs(keys), km, keys)
    line_class = edge_line_class(net)[edges].astype(np.int64)
    out: list[Piece] = []
    coords = leg.coordinates
    for i, (a, b) in enumerate(runs):
        start_name = leg.from_ if i == 0 else _boundary_name(router, net, edges, a, int(from_nodes[a]))
        end_name = leg.to if i == len(runs) - 1 else _boundary_name(router, net, edges, b, int(from_nodes[b]))
        before = int(edges[a - 1]) if a > 0 else prev_edge
        c_idx = max(
            rec.edge_crossing(net, before) if before >= 0 else -1, rec.edge_crossing(net, int(edges[a]))
        )
        boundary = Boundary(start_name)
        if c_idx >= 0:
            info = rec.crossing(net, c_idx)
            boundary = Boundary(start_name, info.id, info.method)
        country, record_ids, dual_g = keys[a]
        out.append(
            Piece(
                boundary,
                end_name,
                float(km[a:b].sum()),
                country,
                leg.gauge_mm,
                "rail",
                record_ids,
                dual_g,
                _slice_coords(coords, km, a, b),
                _class_km(line_class[a:b], km[a:b]),
            )
        )
    return out


def _class_km(classes: NDArray[np.int64], km: NDArray[np.float64]) -> tuple[tuple[int, float], ...]:
    """km per line class of a run of edges (classes of -1, not track, left out)."""
    return tuple((int(c), float(km[classes == c].sum())) for c in np.unique(classes).tolist() if c >= 0)


def _boundary_name(router: Router, net: Network, edges: NDArray[np.int64], i: int, node: int) -> str:
    for j in (i - 1, i):
        if 0 <= j < len(edges):
            c = rec.edge_crossing(net, int(edges[j]))
            if c >= 0:
                return rec.crossing(net, c).name
    return rec.node_name(router, node)


def _runs(keys: Sequence[object]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            runs.append((start, i))
            start = i
    return runs


def _smooth(
    runs: list[tuple[int, int]], km: NDArray[np.float64], keys: Sequence[object]
) -> list[tuple[int, int]]:
    """Runs shorter than MIN_SECTION_KM are merged into the run before them (or after, at the
    start): a few km in or out of a record's buffer is not a section. Neighbours left with the
    same key are then joined."""
    if len(runs) <= 1:
        return runs
    out: list[list[int]] = []
    for a, b in runs:
        if out and float(km[a:b].sum()) < MIN_SECTION_KM:
            out[-1][1] = b
        else:
            out.append([a, b])
    if len(out) > 1 and float(km[out[0][0] : out[0][1]].sum()) < MIN_SECTION_KM:
        out[1][0] = out[0][0]
        out.pop(0)
    joined: list[list[int]] = []
    for a, b in out:
        if joined and keys[joined[-1][0]] == keys[a]:
            joined[-1][1] = b
        else:
            joined.append([a, b])
    return [(a, b) for a, b in joined]


def _slice_coords(
    coords: list[tuple[float, float]], km: NDArray[np.float64], a: int, b: int
) -> tuple[tuple[float, float], ...]:
    """The part of a leg's polyline for edges a..b, cut by distance share (for the map)."""
    if not coords:
        return ()
    total = float(km.sum()) or 1.0
    lo = float(km[:a].sum()) / total
    hi = float(km[:b].sum()) / total
    n = len(coords)
    i, j = math.floor(lo * (n - 1)), math.ceil(hi * (n - 1))
    return tuple(coords[i : j + 1])


def _match_records(
    net: Network,
    edges: NDArray[np.int64],
    from_nodes: NDArray[np.int64],
    to_nodes: NDArray[np.int64],
    line_records: dict[str, str],
    path_records: list[SectionRecord],
) -> list[tuple[str, ...]]:
    """Per edge, the section records it lies on: a curated line's, then each path record whose
    buffer holds both its ends, in a country of the path's stations (in file order)."""
    out: list[tuple[str, ...]] = [()] * len(edges)
    lines = rec.edge_lines(net, edges)
    for i, ln in enumerate(lines.tolist()):
        if ln >= 0 and rec.line_id(net, ln) in line_records:
            out[i] = (line_records[rec.line_id(net, ln)],)
    if path_records:
        lat_a, lon_a = rec.node_coords(net, from_nodes)
        lat_b, lon_b = rec.node_coords(net, to_nodes)
        countries = np.array([rec.node_country(net, int(n)) for n in from_nodes.tolist()])
        for r in path_records:
            assert r.path is not None
            inside = (
                np.isin(countries, [str(p.country) for p in r.path])
                & (_distance_to_path(lat_a, lon_a, r) <= r.buffer_km)
                & (_distance_to_path(lat_b, lon_b, r) <= r.buffer_km)
            )
            for i in np.flatnonzero(inside).tolist():
                out[i] = (*out[i], r.id)
    return out


def _distance_to_path(
    lat: NDArray[np.float64], lon: NDArray[np.float64], r: SectionRecord
) -> NDArray[np.float64]:
    """km from each point to the record's polyline (local equirectangular projection: the
    buffers are a few tens of km, where its error is far below the buffer)."""
    assert r.path is not None
    best = np.full(len(lat), np.inf)
    for p, q in zip(r.path[:-1], r.path[1:], strict=True):
        k = math.cos(math.radians((p.lat + q.lat) / 2))
        ax, ay = p.lon * k, p.lat
        bx, by = q.lon * k, q.lat
        px, py = lon * k, lat
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy or 1e-12
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
        d = np.hypot(px - (ax + t * dx), py - (ay + t * dy)) * 111.2
        best = np.minimum(best, d)
    return best

"""Who runs each part of a route: the operator records of the interoperability data, applied
to rail edges, ferries and border events.

A rail edge belongs to the operator of its curated line or section record where one is given
(kept to the record's countries), else to its country's national railway where that is
curated, else to nobody known. A ferry belongs to its own record's operator only: a ferry is
not the railway of the country it leaves. Sea legs and ports are run by shipping lines and
port companies silkrail does not know, so they stay unknown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from silkrail.analysis import _records as rec
from silkrail.network.interop import Interoperability, OperatorRecord, SectionRecord

if TYPE_CHECKING:
    from silkrail.network.model import Network

logger = logging.getLogger("silkrail.analysis.operators")

UNKNOWN_OPERATOR = "unknown"


@dataclass(frozen=True)
class OperatorIndex:
    """The operator records by what they apply to."""

    railways: dict[str, OperatorRecord] = field(default_factory=dict)  # country -> record
    lines: dict[str, tuple[OperatorRecord, ...]] = field(default_factory=dict)  # line id -> records
    paths: tuple[tuple[SectionRecord, OperatorRecord], ...] = ()
    ferries: dict[str, OperatorRecord] = field(default_factory=dict)  # ferry id -> record

    def railway(self, country: str) -> str:
        """A country's national railway, or unknown."""
        r = self.railways.get(country)
        return UNKNOWN_OPERATOR if r is None else r.operator

    def ferry(self, ferry_id: str | None) -> str:
        r = self.ferries.get(ferry_id or "")
        return UNKNOWN_OPERATOR if r is None else r.operator

    def records(self, operator: str) -> list[OperatorRecord]:
        """Every record naming ``operator`` (the basis of its shares)."""
        every = [*self.railways.values(), *self.ferries.values(), *(o for _, o in self.paths)]
        every += [o for rs in self.lines.values() for o in rs]
        return [o for o in every if o.operator == operator]

    def rail_edges(
        self, net: Network, edges: NDArray[np.int64], from_nodes: NDArray[np.int64], countries: list[str]
    ) -> list[str]:
        """The operator of each rail edge (``countries``: each edge's country)."""
        out: list[str | None] = [None] * len(edges)
        if self.lines:
            for i, ln in enumerate(rec.edge_lines(net, edges).tolist()):
                if ln >= 0:
                    out[i] = _first(self.lines.get(rec.line_id(net, ln), ()), countries[i])
        if self.paths:
            from silkrail.analysis.sections import _match_records

            u, v = rec.edge_ends(net, edges)
            to_nodes = np.where(u == from_nodes, v, u)
            by_id = {s.id: o for s, o in self.paths}
            matched = _match_records(net, edges, from_nodes, to_nodes, {}, [s for s, _ in self.paths])
            for i, ids in enumerate(matched):
                if out[i] is None:
                    out[i] = _first(tuple(by_id[x] for x in ids), countries[i])
        return [o if o is not None else self.railway(c) for o, c in zip(out, countries, strict=True)]


def _first(records: tuple[OperatorRecord, ...], country: str) -> str | None:
    for r in records:
        if r.countries is None or country in r.countries:
            return r.operator
    return None


def operator_index(data: Interoperability) -> OperatorIndex:
    """The operator records of ``data``, indexed; a section record's operator follows the
    section's own line or path."""
    sections = {s.id: s for s in data.sections}
    railways: dict[str, OperatorRecord] = {}
    lines: dict[str, list[OperatorRecord]] = {}
    paths: list[tuple[SectionRecord, OperatorRecord]] = []
    ferries: dict[str, OperatorRecord] = {}
    for o in data.operators:
        if o.country is not None:
            railways[o.country] = o
        elif o.ferry is not None:
            ferries[o.ferry] = o
        elif o.line is not None:
            lines.setdefault(o.line, []).append(o)
        elif o.section is not None:
            s = sections[o.section]
            if s.line is not None:
                lines.setdefault(s.line, []).append(o)
            else:
                paths.append((s, o))
    return OperatorIndex(railways, {k: tuple(v) for k, v in lines.items()}, tuple(paths), ferries)

"""Whole-network validation: a problems table (severity, message, where), never a first-error raise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from silkrail.errors import DataError
from silkrail.network.curated import SCHEMA, load_file
from silkrail.network.model import GAUGES_MM, EdgeKind, Network, NodeKind

GAUGE_ISLAND_MIN_KM = 100.0


Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Problem:
    """One row of the problems table: how bad, what is wrong, and where (file and record)."""

    severity: Severity
    message: str
    where: str


def check_data(data_dir: Path) -> list[Problem]:
    """Schema problems of each curated file (one per file: the first bad field)."""
    out = []
    for name in SCHEMA:
        try:
            load_file(Path(data_dir) / name)
        except DataError as exc:
            out.append(Problem("error", exc.reason, str(exc).rsplit(": ", 1)[0] if exc.line else name))
    return out


def check_network(net: Network) -> list[Problem]:
    """Problems found while building, plus structural checks of the built network."""
    out = [Problem(**p) for p in net.meta.get("problems", [])]
    out += _gauge_islands(net)
    out += _lines_connected(net)
    return out


def _rail_components(net: Network, mask: np.ndarray) -> np.ndarray:
    u, v = net.u[mask], net.v[mask]
    n = net.n_nodes
    g = sp.coo_matrix((np.ones(2 * len(u)), (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()
    return connected_components(g, directed=False)[1]


def _gauge_islands(net: Network) -> list[Problem]:
    """A network of one gauge that no gauge change and no port reaches is an island."""
    out = []
    rail = (net.edge_kind == EdgeKind.RAIL) | (net.edge_kind == EdgeKind.BORDER)
    exits = np.zeros(net.n_nodes, bool)
    for kind_mask in (net.change, net.edge_kind == EdgeKind.PORT_LINK):
        exits[net.u[kind_mask]] = True
        exits[net.v[kind_mask]] = True
    for bit, mm in enumerate(GAUGES_MM):
        on = rail & ((net.edge_gauge >> bit) & 1).astype(bool)
        if not on.any():
            continue
        label = _rail_components(net, on)
        comp_km = np.bincount(label[net.u[on]], weights=net.km[on], minlength=label.max() + 1)
        has_exit = np.zeros(len(comp_km), bool)
        has_exit[label[exits]] = True
        for comp in np.flatnonzero((comp_km >= GAUGE_ISLAND_MIN_KM) & ~has_exit):
            nodes = np.flatnonzero((label == comp) & (net.node_kind == NodeKind.RAIL))
            countries = sorted({net.country_code(int(n)) for n in nodes[:2000]})
            out.append(
                Problem(
                    "warning",
                    f"gauge island: {comp_km[comp]:,.0f} km of {mm} mm track with no gauge change or port",
                    f"{', '.join(countries)} near {net.lat[nodes].mean():.2f}, {net.lon[nodes].mean():.2f}",
                )
            )
    return out


def _lines_connected(net: Network) -> list[Problem]:
    rail = (net.edge_kind == EdgeKind.RAIL) | (net.edge_kind == EdgeKind.BORDER)
    label = _rail_components(net, rail)
    out = []
    for line in net.lines:
        comps = {int(label[n]) for n in line.nodes}
        if len(comps) > 1:
            out.append(
                Problem(
                    "error",
                    f"the stations of '{line.name}' are not connected to each other ({len(comps)} pieces)",
                    f"lines.yaml: {line.id}",
                )
            )
    return out

"""Landmarks for the A* bounds (ALT): distances from a few spread-out states to every state.

Landmark distances are computed once per network and traffic type on the full graph of that
traffic (every year, every mode it may use), with its own weights (a passenger train is faster
than a freight train, so a freight table would overestimate a passenger's remaining time).
Constraints only remove arcs, and a weighted sum of objectives is bounded by the weighted sum
of their bounds, so the same tables are admissible for every query of that traffic.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from silkrail import cache
from silkrail.routing.graph import OBJECTIVES, Constraints, StateGraph
from silkrail.traffic import Traffic

N_LANDMARKS = 16
LANDMARK_VERSION = "2"


@dataclass(frozen=True)
class Landmarks:
    states: NDArray[np.int64]
    dist: NDArray[np.float64]  # (3 objectives, L, n_states)


def compute_landmarks(
    g: StateGraph, modes: str = "any", n: int = N_LANDMARKS, traffic: Traffic = Traffic.CONTAINER
) -> Landmarks:
    """Pick ``n`` rail states spread over the largest component of the graph of ``modes`` (all
    years), and their distances to every state. Bounds from the rail-only graph serve rail
    queries; multimodal queries need the full graph's (the sea can be a shortcut)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components, dijkstra

    from silkrail.network.geo import haversine_km
    from silkrail.network.model import NodeKind

    S = g.n_states
    every = Constraints(modes=modes, traffic=traffic, year=32766, inland_water=True)
    indptr, indices, arcs = g.csr(every)
    adj = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(S, S))
    _, label = connected_components(adj, directed=False)
    is_rail = g.net.node_kind[g.state_node] == NodeKind.RAIL
    main = np.flatnonzero((label == np.bincount(label[is_rail]).argmax()) & is_rail)
    lat = g.net.lat[g.state_node[main]]
    lon = g.net.lon[g.state_node[main]]
    chosen = [int(np.argmax(lat))]  # farthest-point sampling from the northernmost state
    best = haversine_km(lat, lon, lat[chosen[0]], lon[chosen[0]])
    for _ in range(n - 1):
        nxt = int(np.argmax(best))
        chosen.append(nxt)
        best = np.minimum(best, haversine_km(lat, lon, lat[nxt], lon[nxt]))
    states = main[chosen]
    dist = np.empty((len(OBJECTIVES), len(states), S))
    weights = g.weights_of(traffic)
    for k in range(len(OBJECTIVES)):
        w = np.maximum(weights[k][arcs], 1e-9)
        m = sp.csr_matrix((w, indices, indptr), shape=(S, S))
        dist[k] = dijkstra(m, directed=True, indices=states)
    return Landmarks(states.astype(np.int64), dist)


def load_or_compute_landmarks(
    g: StateGraph, home: Path | None, modes: str = "any", traffic: Traffic = Traffic.CONTAINER
) -> Landmarks:
    """Landmarks cached beside the network (keyed by its inputs hash and the modes). Processes
    sharing the home compute them once: the first holds the file's lock while it computes and
    writes, the others wait and read its file (see :mod:`silkrail.cache`). Files of other
    networks are left to the network store's cleanup."""
    if home is None:
        return compute_landmarks(g, modes, traffic=traffic)
    from silkrail.network.classes import line_classes

    # the weights depend on the network, its line classes and the cost model's parameters
    net_key = g.net.meta.get("inputs_hash", "x")[:16]
    classes = line_classes(g.net).digest[:8]
    key = f"{net_key}-{classes}-{g.model.fingerprint}-{LANDMARK_VERSION}-{modes}-{Traffic(traffic).value}"
    path = Path(home) / f"landmarks-{key}.npz"
    with cache.locked(path, shared=True):
        lm = _read_landmarks(path, g.n_states)
    if lm is not None:
        return lm
    with cache.locked(path):
        lm = _read_landmarks(path, g.n_states)
        if lm is None:
            lm = compute_landmarks(g, modes, traffic=traffic)
            with cache.atomic_write(path) as fh:
                np.savez(fh, states=lm.states, dist=lm.dist)
    return lm


def _read_landmarks(path: Path, n_states: int) -> Landmarks | None:
    """The landmarks saved at ``path`` if they are readable and fit a graph of ``n_states``.
    The distance table is mapped, not read: a query touches one objective's third of it (and
    a single query costs less than reading all of it). A truncated file fails the mapping."""
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh, np.load(fh) as data:
            states = data["states"]
        dist = _map_member(path, "dist.npy")
        if dist is None:
            with open(path, "rb") as fh, np.load(fh) as data:
                dist = data["dist"]
        lm = Landmarks(states, dist)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return lm if lm.dist.ndim == 3 and lm.dist.shape[2] == n_states else None


def _map_member(path: Path, name: str) -> NDArray[np.float64] | None:
    """The array ``name`` of the .npz at ``path`` as a read-only memory map, or None when the
    member is compressed (``np.savez`` stores members as they are)."""
    import struct

    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        local = fh.read(30)  # the member's local header: name and extra field lengths at 26
        if local[:4] != b"PK\x03\x04":
            raise ValueError("not a zip member header")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        offset = fh.tell()
    if dtype.hasobject:
        return None
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")

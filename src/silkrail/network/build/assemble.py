"""The final arrays: rail and sea joined, degree-2 chains contracted, nodes compacted."""

from __future__ import annotations

import numpy as np

from silkrail.network.build.params import DEFAULT_PARAMS, BuildParams
from silkrail.network.build.state import BuildState
from silkrail.network.model import EdgeKind, Network, NodeKind


def assemble(s: BuildState, params: BuildParams = DEFAULT_PARAMS) -> Network:
    """Join rail and sea, contract degree-2 rail chains, and lay out the final arrays; every
    record of ``s`` is renumbered to match, and the network holds them (its places and
    metadata are the pipeline's to add)."""
    lat, lon, node_cc, node_gauge = s.lat, s.lon, s.node_cc, s.node_gauge
    rail, sea_nodes, sea, protected = s.rail, s.sea_nodes, s.sea_edges, s.protected
    n_rail = len(lat)
    all_lat = np.r_[lat, sea_nodes.lat]
    all_lon = np.r_[lon, sea_nodes.lon]
    all_cc = np.r_[node_cc.astype("<U2"), sea_nodes.cc.astype("<U2")]
    kind = np.r_[np.full(n_rail, NodeKind.RAIL), sea_nodes.node_kind].astype(np.uint8)
    gauge = np.r_[node_gauge, np.zeros(len(sea_nodes.lat), np.uint8)]
    both = rail.appended(sea, keep_dtypes=False)
    e = both
    water_codes, water_idx = np.unique(e.water_cc.astype("<U2"), return_inverse=True)
    n = len(all_lat)
    m = len(e.u)
    # chains: a node joins two edges with the same attributes and nothing else happens there
    deg = np.bincount(np.r_[e.u, e.v], minlength=n)
    attr = np.stack(
        [
            e.edge_kind,
            e.edge_gauge,
            e.change,
            e.crossing,
            e.line,
            e.year_open,
            e.passage,
            e.port,
            e.water,
            water_idx,
        ],
        axis=1,
    ).astype(np.int64)
    contractible = (e.edge_kind == EdgeKind.RAIL) | (e.edge_kind == EdgeKind.SEA)
    incident: list[list[int]] = [[] for _ in range(n)]
    for i, (a, b) in enumerate(zip(e.u.tolist(), e.v.tolist(), strict=True)):
        incident[a].append(i)
        incident[b].append(i)
    keep_node = np.ones(n, bool)
    for node in np.flatnonzero(deg == 2):
        if node in protected:
            continue
        i, j = incident[node]
        if contractible[i] and contractible[j] and (attr[i] == attr[j]).all() and i != j:
            keep_node[node] = False
    u_l, v_l = e.u.tolist(), e.v.tolist()
    visited = np.zeros(m, bool)
    new_edges: list[tuple[int, int, float, int, list[int]]] = []  # u, v, km, template edge, path
    km_l = e.km.astype(np.float64).tolist()
    progress = True
    while progress:  # a chain cut at params.max_chain_km makes a new kept node: walk again from it
        progress = False
        for start in np.flatnonzero(~visited).tolist():
            if visited[start]:
                continue  # walked as part of an earlier chain in this pass
            a = u_l[start]
            b = v_l[start]
            if not keep_node[a] and keep_node[b]:
                a, b = b, a
            if not keep_node[a]:
                continue  # interior of a chain; reached from its kept end (or a pure cycle)
            visited[start] = True
            progress = True
            path = [a, b]
            km = km_l[start]
            cur, prev_edge = b, start
            while not keep_node[cur]:
                if km >= params.max_chain_km:
                    keep_node[cur] = True  # long chains keep a node every params.max_chain_km
                    break
                i, j = incident[cur]
                nxt = j if i == prev_edge else i
                visited[nxt] = True
                km += km_l[nxt]
                cur = v_l[nxt] if u_l[nxt] == cur else u_l[nxt]
                path.append(cur)
                prev_edge = nxt
                if cur == a:
                    break
            new_edges.append((a, cur, km, start, path))
    # pure cycles of contractible nodes: keep their nodes (rare; a loop with no junction)
    remap = np.full(n, -1, dtype=np.int64)
    used = np.zeros(n, bool)
    for a, b, *_ in new_edges:
        used[a] = used[b] = True
    used |= keep_node & (deg > 0)
    for p in protected:
        if p < n:
            used[p] = True
    remap[used] = np.arange(int(used.sum()))
    tmpl = np.array([t[3] for t in new_edges], dtype=np.int64)
    geom_len = np.array([len(t[4]) for t in new_edges], dtype=np.int64)
    geom_ptr = np.r_[0, np.cumsum(geom_len)]
    flat = np.fromiter((p for t in new_edges for p in t[4]), dtype=np.int64, count=int(geom_ptr[-1]))
    countries = ["", *sorted({str(c) for c in all_cc[used] if c} | {str(c) for c in water_codes if c})]
    c_index = {c: i for i, c in enumerate(countries)}
    s.renumber(remap)
    return Network(
        lat=all_lat[used],
        lon=all_lon[used],
        node_kind=kind[used],
        country=np.array([c_index[c] for c in all_cc[used]], dtype=np.uint8),
        gauge=gauge[used].astype(np.uint8),
        u=remap[np.array([t[0] for t in new_edges])].astype(np.int32),
        v=remap[np.array([t[1] for t in new_edges])].astype(np.int32),
        edge_kind=e.edge_kind[tmpl].astype(np.uint8),
        km=np.array([t[2] for t in new_edges], dtype=np.float32),
        edge_gauge=e.edge_gauge[tmpl].astype(np.uint8),
        change=e.change[tmpl].astype(bool),
        crossing=e.crossing[tmpl].astype(np.int32),
        line=e.line[tmpl].astype(np.int16),
        year_open=e.year_open[tmpl].astype(np.int16),
        passage=e.passage[tmpl].astype(np.uint8),
        port=e.port[tmpl].astype(np.int32),
        water=e.water[tmpl].astype(np.uint8),
        water_country=np.array([c_index[str(c)] for c in water_codes], dtype=np.uint8)[water_idx[tmpl]],
        geom_ptr=geom_ptr,
        geom_lat=all_lat[flat].astype(np.float32),
        geom_lon=all_lon[flat].astype(np.float32),
        countries=countries,
        passages=s.passages,
        names=s.names,
        crossings=tuple(s.crossings),
        lines=tuple(s.lines),
        ports=tuple(s.ports),
        places=(),
        ferries=tuple(s.ferries),
    )

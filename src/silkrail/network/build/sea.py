"""The maritime network: whose water each edge is, ports and their rail links, rail ferries."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from silkrail.network import geo, records, sources
from silkrail.network.build.params import DEFAULT_PARAMS, BuildParams
from silkrail.network.build.state import BuildReport, BuildState, EdgeArrays, EdgeList, SeaNodes
from silkrail.network.curated import Point
from silkrail.network.model import (
    EdgeKind,
    NodeKind,
    WaterKind,
    gauge_mask,
    gauges_of,
)
from silkrail.network.records import Ferry, Port


def filled_outlines(outlines: geo.Countries) -> geo.Countries:
    """The outlines with their holes filled: lakes and reservoirs (holes in the land outline)
    count as inside the country, as rivers and canals (inside the land outline) already do."""
    import shapely

    geoms = [
        shapely.MultiPolygon(
            [shapely.Polygon(shapely.get_exterior_ring(part)) for part in shapely.get_parts(geom)]
        )
        for geom in outlines.geometries
    ]
    return geo.Countries(outlines.codes, outlines.continents, geoms)


def inland_ports(
    port_lat: np.ndarray,
    port_lon: np.ndarray,
    sea_lat: np.ndarray,
    sea_lon: np.ndarray,
    km: np.ndarray,
    outlines: geo.Countries,
    params: BuildParams = DEFAULT_PARAMS,
) -> np.ndarray:
    """Which ports are inland: farther than ``params.inland_port_km`` from their nearest node of
    the maritime network (``sea_lat``, ``sea_lon``, ``km`` away), with the straight link to it
    over land for at least ``params.inland_port_land_share`` of its length. The port list holds
    customs codes of inland cities (Kunming, Lanzhou, Xi'an) and river ports (Hanoi, Nanning,
    Duisburg) that a straight "sea access" would otherwise join to a coast over 100 km of land;
    a remote coastal port (Churchill, Lobito) is as far from the shipping lanes, but over water."""
    far = np.flatnonzero(np.asarray(km, float) > params.inland_port_km)
    out = np.zeros(len(port_lat), dtype=bool)
    if not len(far):
        return out
    n = params.water_max_samples
    f = (np.arange(n) + 0.5) / n
    d_lon = (sea_lon[far] - port_lon[far] + 180.0) % 360.0 - 180.0
    s_lat = port_lat[far][:, None] + f[None, :] * (sea_lat[far] - port_lat[far])[:, None]
    s_lon = (port_lon[far][:, None] + f[None, :] * d_lon[:, None] + 180.0) % 360.0 - 180.0
    on_land = filled_outlines(outlines).locate(s_lat.ravel(), s_lon.ravel(), max_offshore_km=0.0) != ""
    out[far] = on_land.reshape(len(far), n).mean(axis=1) >= params.inland_port_land_share
    return out


def classify_water(
    sea: sources.RawSea,
    outlines: geo.Countries,
    report: BuildReport,
    params: BuildParams = DEFAULT_PARAMS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whose water each sea edge uses: (WaterKind per edge, country per edge, country per node).

    An edge lies in a country's water when most of its length is inside that country's filled
    outline, unless it is a named maritime passage. Connected runs of such edges that meet open
    water at points more than params.through_km apart (a river or canal between two seas) are inland
    waterways; the others only lead to ports (estuaries, port approaches). A sea node gets a
    country when it lies inside the outline at the end of such an edge."""
    filled = filled_outlines(outlines)
    u, v, km = sea.u, sea.v, np.asarray(sea.km, float)
    n = np.clip(np.ceil(km / params.water_sample_km), 1, params.water_max_samples).astype(np.int64)
    edge_of = np.repeat(np.arange(len(u)), n)
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    f = (offset + 0.5) / n[edge_of]
    d_lon = (sea.lon[v] - sea.lon[u] + 180.0) % 360.0 - 180.0
    s_lat = sea.lat[u][edge_of] + f * (sea.lat[v] - sea.lat[u])[edge_of]
    s_lon = (sea.lon[u][edge_of] + f * d_lon[edge_of] + 180.0) % 360.0 - 180.0
    s_cc = filled.locate(s_lat, s_lon, max_offshore_km=0.0)
    on_land = s_cc != ""
    share = np.bincount(edge_of, weights=on_land, minlength=len(u)) / n
    named = np.array([bool(p) for p in sea.passage], dtype=bool)
    inside = (share >= params.inland_share) & ~named
    edge_cc = np.full(len(u), "", dtype="<U2")
    first = np.cumsum(n) - n  # samples of edge e are first[e] : first[e] + n[e]
    for e in np.flatnonzero(inside).tolist():
        run = s_cc[first[e] : first[e] + n[e]]
        codes, counts = np.unique(run[run != ""], return_counts=True)
        edge_cc[e] = codes[np.argmax(counts)]
    kind = np.zeros(len(u), np.uint8)
    n_nodes = len(sea.lat)
    if inside.any():
        g = sp.coo_matrix(
            (np.ones(int(inside.sum())), (u[inside], v[inside])), shape=(n_nodes, n_nodes)
        ).tocsr()
        _, label = connected_components(g, directed=False)
        open_node = np.zeros(n_nodes, bool)
        open_node[u[~inside]] = True
        open_node[v[~inside]] = True
        for comp in np.unique(label[u[inside]]).tolist():
            members = np.flatnonzero(label == comp)
            joins = members[open_node[members]]
            spread = 0.0
            if len(joins) > 1:
                spread = float(
                    geo.haversine_km(
                        sea.lat[joins][:, None], sea.lon[joins][:, None], sea.lat[joins], sea.lon[joins]
                    ).max()
                )
            in_comp = inside & (label[u] == comp)
            kind[in_comp] = WaterKind.INLAND if spread > params.through_km else WaterKind.APPROACH
    node_cc = np.full(n_nodes, "", dtype="<U2")
    touched = np.unique(np.r_[u[inside], v[inside]])
    if len(touched):
        node_cc[touched] = filled.locate(sea.lat[touched], sea.lon[touched], max_offshore_km=0.0)
    inland_km: dict[str, float] = defaultdict(float)
    for e in np.flatnonzero(kind == WaterKind.INLAND).tolist():
        inland_km[str(edge_cc[e])] += float(km[e])
    report.counts.inland_water_km = {k: round(x, 1) for k, x in sorted(inland_km.items())}
    report.counts.port_approach_km = round(float(km[kind == WaterKind.APPROACH].sum()), 1)
    return kind, edge_cc, node_cc


def add_sea(
    s: BuildState,
    params: BuildParams = DEFAULT_PARAMS,
    *,
    sea_path: Path,
    ports_path: Path,
    outlines: geo.Countries,
) -> None:
    """The maritime network and its ports, numbered after the rail nodes, each edge with whose
    water it uses; every curated port with its rail terminal and a link to it."""
    curated, snapper, lat, lon = s.curated, s.snapper, s.lat, s.lon
    n_rail, names, protected, report = len(s.lat), s.names, s.protected, s.report
    sea = sources.read_sea(sea_path)
    raw_ports = sources.read_ports(ports_path)
    n_sea = len(sea.lat)
    passages = ["", *sorted({p for p in sea.passage if p})]
    p_index = {p: i for i, p in enumerate(passages)}
    port_base = n_rail + n_sea
    port_lat = np.array([p.lat for p in raw_ports])
    port_lon = np.array([p.lon for p in raw_ports])
    water, water_cc, sea_cc = classify_water(sea, outlines, report, params)
    sea_snap = geo.Snapper(sea.lat, sea.lon)
    near, near_km = sea_snap.nearest(port_lat, port_lon)
    curated_locodes = {rec.locode for rec in curated.ports.ports}
    inland = inland_ports(
        port_lat, port_lon, sea.lat[near], sea.lon[near], near_km, outlines, params
    ) & ~np.array([p.locode in curated_locodes for p in raw_ports], dtype=bool)
    report.counts.inland_ports = int(inland.sum())
    locodes: dict[str, int] = {}
    for i, p in enumerate(raw_ports):
        locodes.setdefault(p.locode, port_base + i)
        names[port_base + i] = p.name
        protected.add(port_base + i)
    edges = EdgeList()
    edges.add(
        sea.u + n_rail,
        sea.v + n_rail,
        edge_kind=EdgeKind.SEA,
        km=sea.km,
        passage=np.array([p_index[p] for p in sea.passage]),
        edge_gauge=0,
        water=water,
    )
    linked = np.flatnonzero(~inland)
    edges.add(
        linked + port_base,
        near[linked] + n_rail,
        edge_kind=EdgeKind.SEA_ACCESS,
        km=near_km[linked],
        edge_gauge=0,
    )
    ports_meta: list[Port] = []
    for rec in curated.ports.ports:
        where = f"ports.yaml: {rec.locode}"
        node = locodes.get(rec.locode)
        if node is None:
            report.add("error", f"UN/LOCODE {rec.locode} is not in the maritime network's port list", where)
            continue
        point = rec.terminal or Point(
            name=rec.name,
            lat=float(port_lat[node - port_base]),
            lon=float(port_lon[node - port_base]),
            country=rec.country,
        )
        nodes, dist = snapper.nearest(point.lat, point.lon)
        limit = params.snap_km if rec.terminal else 15.0
        terminal = int(nodes[0]) if dist[0] <= limit else None
        idx = len(ports_meta)
        ports_meta.append(
            records.from_curated(
                Port, rec, where, node=node, terminal_node=terminal, lat=point.lat, lon=point.lon
            )
        )
        if terminal is None:
            report.add(
                "warning",
                f"{rec.name} has no rail terminal on the mapped track: the nearest track is "
                f"{dist[0]:.1f} km away (at most {limit:g}); the port is served by sea only",
                where,
            )
            continue
        protected.add(terminal)
        names.setdefault(terminal, f"{rec.name} port terminal")
        link_km = float(
            geo.haversine_km(
                port_lat[node - port_base], port_lon[node - port_base], lat[terminal], lon[terminal]
            )
        )
        edges.add(node, terminal, edge_kind=EdgeKind.PORT_LINK, km=link_km, port=idx, edge_gauge=0)
    counts = report.counts
    counts.sea_nodes, counts.ports, counts.rail_ports = n_sea, len(raw_ports), len(ports_meta)
    s.sea_nodes = SeaNodes(
        lat=np.r_[sea.lat, port_lat],
        lon=np.r_[sea.lon, port_lon],
        node_kind=np.r_[np.full(n_sea, NodeKind.SEA), np.full(len(raw_ports), NodeKind.PORT)],
        cc=np.r_[sea_cc, np.array([p.locode[:2] for p in raw_ports])],
    )
    n_edges = sum(len(x) for x in edges.u)
    s.sea_edges = EdgeArrays.of(
        edges, water_cc=np.r_[water_cc, np.full(n_edges - len(water_cc), "", dtype="<U2")]
    )
    s.passages, s.ports, s.locodes = passages, ports_meta, locodes


def add_ferries(s: BuildState, params: BuildParams = DEFAULT_PARAMS) -> None:
    """Rail ferries as FERRY edges between the rail terminals of their two ports (appended to
    the sea edges). A ferry whose terminal is not on mapped track of its gauge is reported and
    left out."""
    curated, snapper, node_gauge = s.curated, s.snapper, s.node_gauge
    names, protected, report = s.names, s.protected, s.report
    out: list[Ferry] = []
    add_u, add_v, add_km, add_idx = [], [], [], []
    for rec in curated.ports.ferries:
        where = f"ports.yaml: ferry {rec.id}"
        ends: list[int] = []
        for point in rec.ends:
            nodes, dist = snapper.nearest(point.lat, point.lon)
            node, km = int(nodes[0]), float(dist[0])
            if km > params.snap_km:
                report.add(
                    "warning",
                    f"{point.name} is {km:.1f} km from the nearest mapped track "
                    f"(at most {params.snap_km:g}): "
                    f"the ferry {rec.name} is left out",
                    where,
                )
                break
            if not int(node_gauge[node]) & gauge_mask(rec.gauge_mm):
                report.add(
                    "warning",
                    f"the track at {point.name} has gauge {gauges_of(int(node_gauge[node]))} mm, not "
                    f"{rec.gauge_mm} mm: the ferry {rec.name} is left out",
                    where,
                )
                break
            ends.append(node)
        if len(ends) != 2:
            continue
        a, b = rec.ends
        km = float(geo.haversine_km(a.lat, a.lon, b.lat, b.lon))
        for node, point in zip(ends, rec.ends, strict=True):
            protected.add(node)
            names.setdefault(node, point.name)
        add_u.append(ends[0])
        add_v.append(ends[1])
        add_km.append(km)
        add_idx.append(len(out))
        out.append(
            records.from_curated(
                Ferry,
                rec,
                where,
                ends=[p.name for p in rec.ends],
                countries=[p.country for p in rec.ends],
                lat=[p.lat for p in rec.ends],
                lon=[p.lon for p in rec.ends],
                nodes=ends,
                km=round(km, 1),
            )
        )
    if out:
        k = len(add_u)
        extra = EdgeArrays(
            u=np.array(add_u, np.int64),
            v=np.array(add_v, np.int64),
            edge_kind=np.full(k, EdgeKind.FERRY),
            km=np.array(add_km),
            edge_gauge=np.array([gauge_mask(f.gauge_mm) for f in out]),
            line=np.full(k, -1),
            year_open=np.zeros(k, np.int64),
            passage=np.zeros(k, np.int64),
            port=np.array(add_idx),
            water=np.zeros(k, np.int64),
            change=np.zeros(k, bool),
            crossing=np.full(k, -1, np.int32),
            water_cc=np.full(k, "", dtype="<U2"),
        )
        s.sea_edges = s.sea_edges.appended(extra, keep_dtypes=False)
    report.counts.ferries = len(out)
    s.ferries = out

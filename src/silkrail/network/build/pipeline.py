"""The build: each step in turn on one :class:`~silkrail.network.build.state.BuildState`, logged."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import connected_components

from silkrail.errors import SourceError
from silkrail.network import geo, sources
from silkrail.network.build.assemble import assemble
from silkrail.network.build.crossings import make_crossings
from silkrail.network.build.gauges import assign_gauges, link_yards
from silkrail.network.build.lines import add_lines, join_line_ends, mark_restricted_lines
from silkrail.network.build.params import DEFAULT_PARAMS, BuildParams
from silkrail.network.build.places import place_anchors, resolve_places
from silkrail.network.build.sea import add_ferries, add_sea
from silkrail.network.build.state import BuildReport, BuildState, EdgeList, Progress, csr_of
from silkrail.network.build.track import close_gaps, crossing_side_nodes, smooth_slivers
from silkrail.network.curated import load_curated
from silkrail.network.inputs import inputs_fingerprint, source_paths
from silkrail.network.model import ATTRIBUTION, Network
from silkrail.network.summary import summarise
from silkrail.settings import Settings

log = logging.getLogger(__name__)


@contextmanager
def _step(progress: Progress | None, label: str) -> Iterator[None]:
    """One step: told to ``progress`` (the CLI's bar) and logged with its time."""
    if progress:
        progress(label)
    t = time.perf_counter()
    yield
    log.info("build: %s (%.2f s)", label, time.perf_counter() - t)


def build_network(
    settings: Settings, *, progress: Progress | None = None, params: BuildParams = DEFAULT_PARAMS
) -> Network:
    """Build the network from the sources named in ``settings``; ``progress`` gets step labels."""
    t0 = time.perf_counter()
    inputs_hash, inputs = inputs_fingerprint(settings)

    with _step(progress, "reading curated data"):
        curated = load_curated(settings.data_dir)
    countries_path = settings.resolve_countries_file()
    if countries_path is None or not Path(countries_path).is_file():
        raise SourceError(
            f"country outlines not found at {countries_path or 'the package data'}: reinstall "
            "silkrail, or set SILKRAIL_COUNTRIES_FILE to a GeoJSON file of country outlines"
        )
    with _step(progress, "reading the OSM rail graph"):
        rail_path, sea_path, ports_path = source_paths(settings)
        raw = sources.read_rail(rail_path)

    with _step(progress, "assigning countries"):
        outlines = geo.load_countries(Path(countries_path))
        cc = outlines.locate(raw.lat, raw.lon)
        kept = {c for c, k in zip(outlines.codes, outlines.continents, strict=True) if k in params.continents}
        keep = np.isin(cc, sorted(kept))
        new_id = np.full(len(cc), -1, dtype=np.int64)
        new_id[keep] = np.arange(int(keep.sum()))
        e_keep = keep[raw.u] & keep[raw.v]
        edges = EdgeList()
        edges.add(new_id[raw.u[e_keep]], new_id[raw.v[e_keep]], km=raw.km[e_keep])
        s = BuildState(
            curated=curated,
            report=BuildReport(),
            year=settings.reference_date().year,
            lat=raw.lat[keep],
            lon=raw.lon[keep],
            node_cc=cc[keep],
            edges=edges,
        )
        s.report.counts.update(
            raw_nodes=len(raw.lat),
            raw_edges=len(raw.u),
            self_loops_dropped=raw.self_loops_dropped,
            outside_europe_asia_nodes=int((~keep).sum()),
        )
    report = s.report

    with _step(progress, "adding curated lines"):
        s.lat, s.lon, s.node_cc, s.protected, s.lines = add_lines(
            curated, s.lat, s.lon, s.node_cc, s.edges, report, params=params
        )
        s.lat, s.lon, s.node_cc = join_line_ends(
            curated, s.lat, s.lon, s.node_cc, s.edges, s.lines, s.protected, report, params=params
        )

    with _step(progress, "closing breaks in the mapped track"):
        close_gaps(s.lat, s.lon, s.edges, report, params=params)
        sides = crossing_side_nodes(curated, s.lat, s.lon, params=params)
        s.node_cc = smooth_slivers(s.node_cc, s.edges, s.protected, report, keep=sides, params=params)

    with _step(progress, "dropping disconnected fragments"):
        arr = s.edges.arrays()
        n_comp, label = connected_components(
            csr_of(len(s.lat), arr["u"], arr["v"], arr["km"]), directed=False
        )
        comp_km = np.bincount(label[arr["u"]], weights=arr["km"], minlength=n_comp)
        comp_protected = np.zeros(n_comp, bool)
        comp_protected[label[list(s.protected)]] = True
        keep_comp = (comp_km >= params.min_fragment_km) | comp_protected
        report.counts.update(
            components=int(n_comp),
            fragments_dropped=int((~keep_comp).sum()),
            fragments_dropped_km=round(float(comp_km[~keep_comp].sum()), 1),
            components_kept=int(keep_comp.sum()),
        )
        s.compact(keep_comp[label])

    lat, lon, node_cc = s.lat, s.lon, s.node_cc
    n_rail = len(lat)
    arr = s.edges.arrays()
    csr = csr_of(n_rail, arr["u"], arr["v"], arr["km"])
    mark_restricted_lines(curated, arr, csr, lat, lon, s.lines, report)
    snapper = geo.Snapper(lat, lon)
    with _step(progress, "linking transshipment yards"):
        arr = link_yards(curated, arr, csr, snapper, lat, lon, node_cc, s.protected, report, params=params)
        csr = csr_of(n_rail, arr["u"], arr["v"], arr["km"])
    for meta in s.lines:
        for node, st in zip(meta.nodes, meta.stations, strict=True):
            s.names.setdefault(node, st)

    with _step(progress, "assigning gauges"):
        node_gauge, arr["edge_gauge"] = assign_gauges(
            curated, node_cc, arr, csr, snapper, lat, lon, s.names, s.protected, report
        )

    with _step(progress, "making crossings explicit"):
        s.crossings, arr["edge_kind"], arr["change"], arr["crossing"] = make_crossings(
            curated,
            arr,
            csr,
            snapper,
            lat,
            lon,
            node_cc,
            node_gauge,
            s.names,
            s.protected,
            report,
            params=params,
        )

    with _step(progress, "adding the sea, ports and rail-sea links"):
        sea_nodes, sea_edges, s.ports, s.locodes = add_sea(
            curated,
            sea_path,
            ports_path,
            outlines,
            snapper,
            lat,
            lon,
            n_rail,
            s.names,
            s.protected,
            report,
            params=params,
        )
        s.ferries = add_ferries(
            curated, sea_edges, snapper, lat, lon, node_gauge, s.names, s.protected, report, params=params
        )

    with _step(progress, "contracting degree-2 chains"):
        s.protected |= place_anchors(curated, lat, lon, arr, report, s.year, params=params)
        final = assemble(lat, lon, node_cc, node_gauge, arr, sea_nodes, sea_edges, s.protected, params=params)

    with _step(progress, "resolving places and summarising"):
        countries = final.pop("countries_list")
        s.renumber(final.pop("node_remap"))
        net = Network(
            **final,
            countries=countries,
            passages=sea_edges["passages"],
            names=s.names,
            crossings=tuple(s.crossings),
            lines=tuple(s.lines),
            ports=tuple(s.ports),
            places=(),
            ferries=tuple(s.ferries),
        )
        net.meta = {"base_year": sources.RAIL_DATA_YEAR, "reference_year": s.year}
        net.places = tuple(resolve_places(curated, net, report, s.year))
        net.meta |= {
            "inputs_hash": inputs_hash,
            "inputs": inputs,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - t0, 2),
            "attribution": ATTRIBUTION,
            "emission_basis": curated.factors.emission_basis,
            "factors": curated.factors.model_dump(mode="json"),
            "border_defaults": curated.borders.defaults.model_dump(mode="json"),
            "gauge_by_country": {r.country: r.gauge_mm for r in curated.gauges.countries},
            "locodes": s.locodes,
            "counts": report.counts,
            "problems": report.problems,
            "build_params": params.fingerprint(),
        }
        net.meta["summary"] = summarise(net)
    return net

"""The build: each step in turn on one :class:`~silkrail.network.build.state.BuildState`, logged."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from silkrail.errors import SourceError
from silkrail.network import geo, sources
from silkrail.network.build.assemble import assemble
from silkrail.network.build.crossings import make_crossings
from silkrail.network.build.gauges import assign_gauges, link_yards
from silkrail.network.build.lines import add_lines, join_line_ends, mark_restricted_lines, name_stations
from silkrail.network.build.params import DEFAULT_PARAMS, BuildParams
from silkrail.network.build.places import place_anchors, resolve_places
from silkrail.network.build.sea import add_ferries, add_sea
from silkrail.network.build.state import Progress
from silkrail.network.build.track import close_gaps, drop_fragments, keep_continents, relabel_slivers
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
        s = keep_continents(curated, raw, outlines, settings.reference_date().year, params)
    with _step(progress, "adding curated lines"):
        add_lines(s, params)
        join_line_ends(s, params)
    with _step(progress, "closing breaks in the mapped track"):
        close_gaps(s, params)
        relabel_slivers(s, params)
    with _step(progress, "dropping disconnected fragments"):
        drop_fragments(s, params)
    s.freeze()
    mark_restricted_lines(s)
    with _step(progress, "linking transshipment yards"):
        link_yards(s, params)
    name_stations(s)
    with _step(progress, "assigning gauges"):
        assign_gauges(s, params)
    with _step(progress, "making crossings explicit"):
        make_crossings(s, params)
    with _step(progress, "adding the sea, ports and rail-sea links"):
        add_sea(s, params, sea_path=sea_path, ports_path=ports_path, outlines=outlines)
        add_ferries(s, params)
    with _step(progress, "contracting degree-2 chains"):
        place_anchors(s, params)
        net = assemble(s, params)

    with _step(progress, "resolving places and summarising"):
        net.meta = {"base_year": sources.RAIL_DATA_YEAR, "reference_year": s.year}
        net.places = tuple(resolve_places(curated, net, s.report, s.year))
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
            "counts": asdict(s.report.counts),
            "problems": [asdict(p) for p in s.report.problems],
            "build_params": params.fingerprint(),
        }
        net.meta["summary"] = summarise(net)
    return net

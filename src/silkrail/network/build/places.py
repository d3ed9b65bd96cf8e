"""Places: the track kept for every named place and large city, curated places snapped."""

from __future__ import annotations

import numpy as np

from silkrail.network import geo, geonames, records
from silkrail.network.build.params import DEFAULT_PARAMS, BuildParams
from silkrail.network.build.state import BuildReport, BuildState
from silkrail.network.curated import Curated, Place, Station
from silkrail.network.model import (
    Network,
)
from silkrail.network.records import NetworkPlace


def place_anchors(s: BuildState, params: BuildParams = DEFAULT_PARAMS) -> None:
    """Protect the nodes that must survive contraction: the track nearest to each curated place
    and to each gazetteer city of params.city_min_population people or more (so that place
    names resolve where they are)."""
    curated, lat, lon, rail = s.curated, s.lat, s.lon, s.rail

    on_track = np.zeros(len(lat), bool)
    existing = rail.year_open <= s.year
    on_track[rail.u[existing]] = True
    on_track[rail.v[existing]] = True
    ids = np.flatnonzero(on_track)
    snapper = geo.Snapper(lat[ids], lon[ids], ids=ids)
    cities = geonames.cities(max(params.city_min_population, geonames.CITIES_MIN_POPULATION))
    named: list[Place | Station] = [*curated.places.places, *curated.stations.stations]
    p_lat = np.r_[[p.lat for p in named], [c.lat for c in cities]]
    p_lon = np.r_[[p.lon for p in named], [c.lon for c in cities]]
    nodes, km = snapper.nearest(p_lat, p_lon)
    n_places = len(named)
    keep = km <= params.city_anchor_km
    keep[:n_places] = True
    s.report.counts.place_anchors = int(keep.sum())
    s.protected |= {int(x) for x in nodes[keep]}


STATION_SNAP_WARN_KM = 10.0
"""A station of the gazetteer farther than this from the track of its country is reported."""


def resolve_places(curated: Curated, net: Network, report: BuildReport, year: int) -> list[NetworkPlace]:
    """Each curated place, then each station of the station gazetteer, with the open track of
    its own country nearest to it (any track if its country has none)."""
    rail = net.open_rail_nodes(year)
    snapper = geo.Snapper(net.lat[rail], net.lon[rail], ids=rail)
    by_country: dict[str, geo.Snapper] = {}
    out: list[NetworkPlace] = []
    named: list[tuple[Place | Station, str]] = [
        *((p, f"places.yaml: {p.name}") for p in curated.places.places),
        *((st, f"stations.yaml: {st.name} ({st.country})") for st in curated.stations.stations),
    ]
    for p, what in named:
        # a place is served by track of its own country (Dong Dang by Vietnamese track, not Chinese)
        if p.country in net.countries and p.country not in by_country:
            own = rail[net.country[rail] == net.countries.index(p.country)]
            if len(own):
                by_country[p.country] = geo.Snapper(net.lat[own], net.lon[own], ids=own)
        node, dist = by_country.get(p.country, snapper).nearest(p.lat, p.lon)
        if dist[0] > STATION_SNAP_WARN_KM:
            report.add(
                "warning", f"place '{p.name}' is {dist[0]:.1f} km from the nearest track", what.split(":")[0]
            )
        extra = {"terminal": None} if what.startswith("stations") else {}
        out.append(
            records.from_curated(
                NetworkPlace, p, what, node=int(node[0]), snap_km=round(float(dist[0]), 2), **extra
            )
        )
    return out

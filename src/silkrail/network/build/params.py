"""The build's tuning values, in one record whose fields are part of the network's cache key."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class BuildParams:
    """How the raw sources are turned into the network. Every field is hashed into the cache
    key (:func:`silkrail.network.inputs.inputs_fingerprint`), so changing one rebuilds."""

    continents: tuple[str, ...] = ("EU", "AS")
    """Continents (GeoNames codes) whose countries' track is kept."""
    min_fragment_km: float = 20.0
    """Disconnected pieces of track shorter than this are dropped (yards, mapping debris)."""
    snap_km: float = 3.0
    """A curated point must lie this close to track."""
    station_merge_km: float = 1.0
    """A new line's station this close to existing track joins it."""
    gap_km: float = 1.5
    """A dead end this close to other track is joined to it (a break in the mapped track) ..."""
    gap_detour: float = 5.0
    """... if the track it ends near is otherwise more than this many times the gap (+3 km) away."""
    sliver_km: float = 15.0
    """A run of track shorter than this in a neighbour's outline, between track of one country,
    takes that country (a line that touches a border does not cross it)."""
    yard_km: float = 10.0
    """A gauge-change record joins its two sides when the mapped track does not, this far apart."""
    near_crossing_km: float = 15.0
    """Border track this close to a curated crossing is part of it."""
    max_chain_km: float = 30.0
    """Contraction keeps a node at least this often, so arbitrary points snap close to track."""
    water_sample_km: float = 2.0
    """A sea edge is tested against the land outlines every this many km ..."""
    water_max_samples: int = 300
    """... with at most this many points (long edges are open ocean)."""
    inland_share: float = 0.5
    """An edge with at least this share of its length inside a country is that country's water."""
    through_km: float = 50.0
    """Inland water joining open water at points this far apart is a through waterway."""
    inland_port_km: float = 100.0
    """A port of the port list farther than this from the maritime network ...."""
    inland_port_land_share: float = 0.7
    """... whose straight link to it runs over land for at least this share is an inland port
    (a dry port or a river port up a waterway the network does not hold): it gets no sea access.
    Sea-going ships reach ports a few tens of km up the estuaries the network ends at (Ho Chi
    Minh City 59 km, Nanjing 78 km); 100 km and more up a river (Hanoi 112 km, Nanning 143 km,
    Duisburg 152 km) a port is served by river craft, and a straight "sea" link over that much
    land would carry a ship between two inland cities."""
    city_min_population: int = 100_000
    """Gazetteer cities at least this large keep the track nearest to them ..."""
    city_anchor_km: float = 20.0
    """... when it lies within this distance."""

    def fingerprint(self) -> str:
        """A short hash of every field, for the cache key."""
        return hashlib.sha256(repr(sorted(asdict(self).items())).encode()).hexdigest()[:16]


DEFAULT_PARAMS = BuildParams()

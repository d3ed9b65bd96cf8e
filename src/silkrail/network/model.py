"""The built network: flat arrays for nodes and edges, plus the curated records they point to."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from silkrail.errors import DataError
from silkrail.network.records import Crossing, Ferry, Line, NetworkPlace, Port

if TYPE_CHECKING:
    import geopandas
    import pandas

RecordTable = Literal["crossings", "lines", "ports", "ferries", "places"]
RECORD_TYPES: dict[str, type] = {
    "crossings": Crossing,
    "lines": Line,
    "ports": Port,
    "ferries": Ferry,
    "places": NetworkPlace,
}
"""The network's record tables and the record type of each."""

GAUGES_MM: tuple[int, ...] = (1000, 1050, 1067, 1435, 1520, 1600, 1668, 1676)
"""Track gauges the network knows, in mm; a node's gauges are a bit mask over this tuple."""

ATTRIBUTION = "Rail and country data © OpenStreetMap contributors (ODbL); maritime network: searoute"


class NodeKind(IntEnum):
    RAIL = 0
    PORT = 1
    SEA = 2


class EdgeKind(IntEnum):
    RAIL = 0  # track inside one country
    BORDER = 1  # track that crosses a border: customs dwell and fees
    SEA = 2  # maritime network
    SEA_ACCESS = 3  # port <-> maritime network
    PORT_LINK = 4  # rail terminal <-> port: handling time and cost
    FERRY = 5  # rail ferry between the rail terminals of two ports (wagons roll on board)


class WaterKind(IntEnum):
    """Whose water a SEA edge uses. Water inside a country's land outline (lakes and reservoirs
    count as inside) is that country's: a port approach when it only leads to ports (an
    estuary), an inland waterway when it joins two bodies of open water (rivers and canals
    such as the Volga–Don). Named maritime passages (Suez, Bosporus, ...) stay open sea."""

    OPEN = 0  # open sea, or not a water edge
    APPROACH = 1  # estuary or river reach that only leads to ports
    INLAND = 2  # inland waterway between two bodies of open water: not "sea"


def gauge_mask(gauges_mm: list[int] | tuple[int, ...] | int) -> int:
    """Bit mask of one or more gauges (bit i is GAUGES_MM[i])."""
    items = [gauges_mm] if isinstance(gauges_mm, int) else gauges_mm
    mask = 0
    for mm in items:
        mask |= 1 << GAUGES_MM.index(mm)
    return mask


def gauges_of(mask: int) -> list[int]:
    """The gauges in mm of a bit mask."""
    return [mm for i, mm in enumerate(GAUGES_MM) if mask >> i & 1]


MAX_YEAR = 2100
"""The last year a network can be asked for: planned lines open up to then."""
BASE_YEAR = 2024
"""The year the rail extract describes, for networks whose metadata does not say."""

NODE_ARRAYS = ("lat", "lon", "node_kind", "country", "gauge")
EDGE_ARRAYS = (
    "u",
    "v",
    "edge_kind",
    "km",
    "edge_gauge",
    "change",
    "crossing",
    "line",
    "year_open",
    "passage",
    "port",
    "water",
    "water_country",
    "geom_ptr",
)
GEOM_ARRAYS = ("geom_lat", "geom_lon")


@dataclass
class Network:
    """The transfer-aware multimodal network.

    Nodes are rail nodes, ports and sea nodes (a sea node inside a country's outline, on its
    inland waters, has that country; open-sea nodes have country 0). Edges are undirected;
    ``edge_gauge`` holds the gauges a train can use on an edge without changing (0 at a break
    of gauge), ``change`` marks edges where a gauge change is possible (curated transshipment
    or bogie-exchange crossings and uncurated breaks), ``crossing`` indexes :attr:`crossings` for border and
    gauge-change edges. ``geom_ptr`` delimits each edge's polyline in ``geom_lat``/``geom_lon``.
    """

    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    node_kind: NDArray[np.uint8]
    country: NDArray[np.uint8]  # index into countries; 0 is "" (sea)
    gauge: NDArray[np.uint8]  # bit mask over GAUGES_MM
    u: NDArray[np.int32]
    v: NDArray[np.int32]
    edge_kind: NDArray[np.uint8]
    km: NDArray[np.float32]
    edge_gauge: NDArray[np.uint8]
    change: NDArray[np.bool_]
    crossing: NDArray[np.int32]
    line: NDArray[np.int16]
    year_open: NDArray[np.int16]  # 0: in the base network
    passage: NDArray[np.uint8]  # index into passages; 0 is open water / not sea
    port: NDArray[np.int32]  # index into ports for PORT_LINK and SEA_ACCESS, ferries for FERRY, else -1
    water: NDArray[np.uint8]  # WaterKind of SEA edges (OPEN elsewhere)
    water_country: NDArray[np.uint8]  # index into countries of the waters a SEA edge uses; 0: open sea
    geom_ptr: NDArray[np.int64]
    geom_lat: NDArray[np.float32]
    geom_lon: NDArray[np.float32]
    countries: list[str]
    passages: list[str]
    names: dict[int, str]
    crossings: tuple[Crossing, ...]
    lines: tuple[Line, ...]
    ports: tuple[Port, ...]
    places: tuple[NetworkPlace, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    ferries: tuple[Ferry, ...] = ()
    caches: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """What the layers above build from the network once and share (the routing engine): kept
    here so that it lives and dies with the network."""

    @property
    def n_nodes(self) -> int:
        return len(self.lat)

    @property
    def n_edges(self) -> int:
        return len(self.u)

    def country_code(self, node: int) -> str:
        return self.countries[int(self.country[node])]

    @property
    def base_year(self) -> int:
        """The year the rail data describes: no earlier network can be asked for."""
        return int(self.meta.get("base_year", BASE_YEAR))

    def clamp_year(self, year: int) -> int:
        """``year`` within the network's span (its base year to MAX_YEAR): the one place where
        years outside the data are brought back to it."""
        return min(max(int(year), self.base_year), MAX_YEAR)

    def current_year(self) -> int:
        """The reference year (settings' 'today'), within the network's span."""
        from silkrail.settings import reference_year

        return self.clamp_year(reference_year())

    def open_rail_nodes(self, year: int | None = None) -> NDArray[np.intp]:
        """Rail nodes with at least one track edge open in ``year`` (default: the reference
        year), not only planned lines."""
        year = self.current_year() if year is None else year
        ok = ((self.edge_kind == EdgeKind.RAIL) | (self.edge_kind == EdgeKind.BORDER)) & (
            self.year_open <= year
        )
        mask = np.zeros(self.n_nodes, bool)
        mask[self.u[ok]] = True
        mask[self.v[ok]] = True
        return np.flatnonzero(mask)

    def edge_geometry(self, edge: int) -> list[tuple[float, float]]:
        """The polyline of an edge as (lon, lat) pairs, from u to v."""
        a, b = self.geom_ptr[edge], self.geom_ptr[edge + 1]
        return list(zip(self.geom_lon[a:b].tolist(), self.geom_lat[a:b].tolist(), strict=True))

    def summary(self) -> dict[str, Any]:
        """Headline figures: counts and km by gauge and by country (see ``network info``)."""
        return dict(self.meta.get("summary", {}))

    def __repr__(self) -> str:
        s = self.summary()
        rail = f", {s['rail_km']:,.0f} rail km" if "rail_km" in s else ""
        built = f", built {self.meta['built_at']}" if self.meta.get("built_at") else ""
        return (
            f"<Network {self.n_nodes:,} nodes, {self.n_edges:,} edges{rail}; {len(self.crossings)} "
            f"crossings, {len(self.lines)} lines, {len(self.ports)} ports, {len(self.ferries)} "
            f"ferries{built}>"
        )

    def _repr_html_(self) -> str:
        """The network's headline figures as a notebook shows them."""
        import html

        s = self.summary()
        gauges = s.get("rail_km_by_gauge", {})
        rows = [
            ("nodes / edges", f"{self.n_nodes:,} / {self.n_edges:,}"),
            ("rail km (open)", f"{s.get('rail_km', 0):,.0f}"),
            ("rail km by gauge", ", ".join(f"{g} mm: {km:,.0f}" for g, km in gauges.items())),
            ("sea km", f"{s.get('sea_km', 0):,.0f}"),
            *((name, f"{len(getattr(self, name)):,}") for name in RECORD_TYPES),
            ("built", str(self.meta.get("built_at", "–"))),
            ("attribution", str(self.meta.get("attribution", ""))),
        ]
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
        return f"<div><b>silkrail network</b><table>{body}</table></div>"

    def to_frame(self, table: RecordTable) -> pandas.DataFrame:
        """One of the record tables (``crossings``, ``lines``, ``ports``, ``ferries``,
        ``places``) as a DataFrame, one column per field (the ``frames`` extra)."""
        from silkrail.network import records

        return records.to_frame(getattr(self, _table(table)), RECORD_TYPES[table])

    def to_gdf(self, table: RecordTable) -> geopandas.GeoDataFrame:
        """:meth:`to_frame` with geometry in WGS 84 (the ``geo`` extra): points for crossings,
        ports and places; the line between its two ends for a ferry; the path through its
        stations' nodes for a line."""
        from silkrail.network import records

        table = _table(table)

        geometry = None
        if table in ("ferries", "lines"):
            from shapely.geometry import LineString, Point

            geometry = []
            for rec in getattr(self, table):
                if isinstance(rec, Ferry):
                    coords = list(zip(rec.lon, rec.lat, strict=True))
                else:
                    coords = [(float(self.lon[n]), float(self.lat[n])) for n in rec.nodes if n >= 0]
                geometry.append(
                    LineString(coords) if len(coords) > 1 else Point(coords[0]) if coords else None
                )
        return records.to_gdf(getattr(self, table), RECORD_TYPES[table], geometry=geometry)


def _table(name: str) -> RecordTable:
    """``name`` if it is one of the network's record tables, else a DataError listing them."""
    if name not in RECORD_TYPES:
        raise DataError(
            f"'{name}' is not a table of the network; use one of {', '.join(RECORD_TYPES)}", field="table"
        )
    return name  # type: ignore[return-value]

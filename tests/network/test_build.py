"""Building the fixture network: countries, gauges, crossings, lines, ports, contraction."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from silkrail.errors import DataError, SourceError
from silkrail.network.build import build_network
from silkrail.network.model import EdgeKind, Network, NodeKind, gauge_mask, gauges_of
from silkrail.network.validate import check_network
from silkrail.settings import Settings
from tests.conftest import FIXTURES, fixture_settings


def _node(net: Network, name: str) -> int:
    return next(n for n, v in net.names.items() if v == name)


def _edges_on_chain(net: Network, a: int, b: int) -> list[int]:
    """The edges of the track from a to b (a chain may be cut into pieces of at most 30 km)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    rail = np.flatnonzero(net.edge_kind <= EdgeKind.BORDER)
    n = net.n_nodes
    m = sp.coo_matrix(
        (
            np.r_[net.km[rail], net.km[rail]],
            (np.r_[net.u[rail], net.v[rail]], np.r_[net.v[rail], net.u[rail]]),
        ),
        shape=(n, n),
    ).tocsr()
    _, pred = dijkstra(m, indices=a, return_predecessors=True)
    path, v = [], b
    while v != a and pred[v] >= 0:
        p = int(pred[v])
        path.append(next(int(e) for e in rail if {int(net.u[e]), int(net.v[e])} == {p, v}))
        v = p
    return path


def test_fragments_are_dropped_and_islands_kept(small_net: Network) -> None:
    """The 5 km piece goes; the 148 km Thai island stays (it is real track, just unconnected)."""
    counts = small_net.meta["counts"]
    assert counts["fragments_dropped"] == 1
    assert counts["fragments_dropped_km"] == pytest.approx(5.0, abs=0.1)
    assert small_net.summary()["rail_km_by_country"]["TH"] == pytest.approx(148.3, abs=0.5)


def test_countries_and_gauges_either_side_of_the_border(small_net: Network) -> None:
    """Erenhot is CN on 1,435 mm, Zamyn-Uud MN on 1,520 mm; the edge between changes both."""
    erenhot, zamyn = _node(small_net, "Erenhot"), _node(small_net, "Zamyn-Uud")
    assert small_net.country_code(erenhot) == "CN"
    assert small_net.country_code(zamyn) == "MN"
    assert gauges_of(int(small_net.gauge[erenhot])) == [1435]
    assert gauges_of(int(small_net.gauge[zamyn])) == [1520]
    border = np.flatnonzero(small_net.edge_kind == EdgeKind.BORDER)
    assert len(border) == 1
    e = int(border[0])
    assert small_net.crossings[small_net.crossing[e]].id == "erenhot-zamyn-uud"
    assert small_net.change[e] and small_net.edge_gauge[e] == 0


def test_curated_crossing_figures_reach_the_network(small_net: Network) -> None:
    """A curated crossing keeps its dwell, cost and capacity; a missing figure takes the default."""
    c = {c.id: c for c in small_net.crossings}
    eren = c["erenhot-zamyn-uud"]
    assert (eren.dwell_h, eren.cost_usd_per_teu, eren.capacity_trains_per_day) == (9.1, 120, 18)
    assert eren.dwell_from == "curated"
    manz = c["manzhouli-zabaykalsk"]
    assert manz.cost_usd_per_teu == 215 + 225  # border plus gauge-change default
    assert manz.capacity_trains_per_day == 12


def test_dual_gauge_exception_sets_both_gauges_on_its_path(small_net: Network) -> None:
    """Gia Lam–Bac Giang carries 1,000 and 1,435 mm; the rest of Vietnam only 1,000 mm."""
    gia_lam, bac_giang = _node(small_net, "Gia Lam"), _node(small_net, "Bac Giang")
    dual = gauge_mask([1000, 1435])
    path = _edges_on_chain(small_net, gia_lam, bac_giang)
    assert path and all(small_net.edge_gauge[e] == dual for e in path)
    assert small_net.summary()["dual_gauge_km"] == pytest.approx(40.4, abs=0.5)
    vn = small_net.countries.index("VN")
    vn_rail = (small_net.edge_kind == EdgeKind.RAIL) & (small_net.country[small_net.u] == vn)
    assert set(np.unique(small_net.edge_gauge[vn_rail]).tolist()) == {gauge_mask(1000), dual}


def test_added_line_is_planned_with_its_chainage(small_net: Network) -> None:
    """The curated line joins existing track at its first station and opens in 2030; its km follow
    the curated chainage (45 km in all) and stay out of the open network's totals."""
    line_edges = np.flatnonzero(small_net.line == 0)
    assert len(line_edges) == 2
    assert set(small_net.year_open[line_edges].tolist()) == {2030}
    assert float(small_net.km[line_edges].sum()) == pytest.approx(45.0)
    s = small_net.summary()
    assert s["planned_km"] == pytest.approx(45.0)
    assert s["lines_added"] == ["zamyn-uud-extension"]
    junction = _node(small_net, "Ulaan-Uul junction")
    assert small_net.node_kind[junction] == NodeKind.RAIL
    joined = [
        e
        for e in range(small_net.n_edges)
        if junction in (small_net.u[e], small_net.v[e]) and small_net.line[e] < 0
    ]
    assert joined, "the line's first station must join the existing track"


def test_port_links_rail_to_sea(small_net: Network) -> None:
    """Haiphong's port node reaches both its rail terminal and the maritime network."""
    (port,) = small_net.ports
    assert port.locode == "VNHPH"
    link = np.flatnonzero(small_net.edge_kind == EdgeKind.PORT_LINK)
    assert len(link) == 1
    ends = {int(small_net.u[link[0]]), int(small_net.v[link[0]])}
    assert ends == {port.node, port.terminal_node}
    assert small_net.node_kind[port.node] == NodeKind.PORT
    assert 0 < small_net.km[link[0]] < 5
    access = np.flatnonzero(small_net.edge_kind == EdgeKind.SEA_ACCESS)
    assert port.node in set(small_net.u[access].tolist()) | set(small_net.v[access].tolist())


def test_contraction_keeps_distances_and_named_places(small_net: Network) -> None:
    """Contracting degree-2 chains removes nodes but not km, and never a named node."""
    erenhot_chain_km = 4.954 + 4.947 + 4.951 + 4.95 + 4.944 + 4.948 + 4.947 + 4.945 + 4.939 + 4.95
    cn_mn = np.isin(small_net.country[small_net.u], [small_net.countries.index(c) for c in ("CN", "MN")])
    chain = (small_net.edge_kind <= EdgeKind.BORDER) & (small_net.line < 0) & cn_mn
    assert float(small_net.km[chain].sum()) == pytest.approx(erenhot_chain_km, abs=0.01)
    assert small_net.meta["counts"]["raw_nodes"] == 45
    assert int((small_net.node_kind == NodeKind.RAIL).sum()) < 45 - 3 - 10
    for name in ("Erenhot", "Zamyn-Uud", "Gia Lam", "Bac Giang", "Haiphong port terminal"):
        assert name in small_net.names.values()
    for e in range(small_net.n_edges):  # each polyline runs from u to v
        pts = small_net.edge_geometry(e)
        assert pts[0] == pytest.approx(
            (small_net.lon[small_net.u[e]], small_net.lat[small_net.u[e]]), abs=1e-4
        )
        assert pts[-1] == pytest.approx(
            (small_net.lon[small_net.v[e]], small_net.lat[small_net.v[e]]), abs=1e-4
        )


def test_validation_reports_unsnapped_crossing_and_gauge_island(small_net: Network) -> None:
    """The Manzhouli crossing has no track nearby (error); Thailand's 1,000 mm piece is an island."""
    problems = check_network(small_net)
    errors = [p for p in problems if p.severity == "error"]
    assert any("does not snap" in p.message and "manzhouli" in p.where for p in errors)
    islands = [p for p in problems if p.message.startswith("gauge island")]
    assert len(islands) == 1
    assert "TH" in islands[0].where and "1000 mm" in islands[0].message


def test_a_border_crossing_inside_one_country_is_a_data_error(tmp_path: Path) -> None:
    """A border crossing with both sides in one country is rejected, naming the file and line."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "data", data)
    p = data / "borders.yaml"
    p.write_text(p.read_text().replace("country: MN, lat: 43.748", "country: CN, lat: 43.748"))
    with pytest.raises(DataError, match=r"borders.yaml line \d+.*both sides are in CN"):
        build_network(fixture_settings(tmp_path / "home", data))


def test_missing_country_outlines_say_where_and_what_to_set(tmp_path: Path) -> None:
    """Without the outlines the build stops, naming the file it looked for and the setting."""
    s = fixture_settings(tmp_path / "home").with_(countries_file=tmp_path / "none.json")
    assert isinstance(s, Settings)
    with pytest.raises(SourceError, match=r"none\.json.*SILKRAIL_COUNTRIES_FILE"):
        build_network(s)

"""Whose water a sea edge uses (inland waterways, port approaches, open sea) and the ferry schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from silkrail.errors import DataError
from silkrail.network.build.sea import classify_water as _classify_water
from silkrail.network.build.state import BuildReport
from silkrail.network.curated import load_curated
from silkrail.network.geo import Countries, haversine_km
from silkrail.network.model import WaterKind
from silkrail.network.records import Ferry
from silkrail.network.sources import RawSea
from silkrail.routing.edge_costs import ferry_wait_h
from silkrail.settings import Settings

# (lat, lon) of maritime-network nodes, as the searoute network draws them
CASPIAN_TO_AZOV = [
    (43.558, 50.818),  # Caspian Sea off Aktau
    (45.117, 47.802),  # Caspian Sea, off the Volga delta
    (45.394, 47.783),
    (46.392, 48.039),  # Volga near Astrakhan
    (47.427, 46.874),
    (48.538, 44.625),  # Volga at Volgograd
    (48.486, 43.32),  # Volga–Don canal and the Tsimlyansk reservoir
    (47.56, 42.091),
    (47.195, 39.696),  # Don at Rostov
    (47.076, 39.267),
    (47.104, 39.043),  # Taganrog Bay, Sea of Azov
    (46.824, 37.663),
]
ROTTERDAM_APPROACH = [
    (52.05, 3.9),  # North Sea
    (51.962, 4.152),
    (51.923, 4.23),
    (51.896, 4.29),
    (51.9, 4.369),
    (51.916, 4.504),  # Nieuwe Maas at Rotterdam
]
SUEZ = [(31.3, 32.35), (30.6, 32.33), (29.9, 32.55)]


def _sea(paths: list[tuple[list[tuple[float, float]], str]]) -> RawSea:
    """A maritime network of polylines (each with its passage name), node per point."""
    lat: list[float] = []
    lon: list[float] = []
    u: list[int] = []
    v: list[int] = []
    passage: list[str] = []
    for points, name in paths:
        base = len(lat)
        for la, lo in points:
            lat.append(la)
            lon.append(lo)
        for i in range(len(points) - 1):
            u.append(base + i)
            v.append(base + i + 1)
            passage.append(name)
    la_a, lo_a = np.array(lat), np.array(lon)
    u_a, v_a = np.array(u), np.array(v)
    km = haversine_km(la_a[u_a], lo_a[u_a], la_a[v_a], lo_a[v_a])
    return RawSea(la_a, lo_a, u_a, v_a, np.asarray(km), passage)


def test_a_river_between_two_seas_is_an_inland_waterway(outlines: Countries) -> None:
    """The Volga–Don reach is Russia's inland water; the Caspian and the Sea of Azov are open sea."""
    sea = _sea([(CASPIAN_TO_AZOV, "")])
    kind, edge_cc, node_cc = _classify_water(sea, outlines, BuildReport())
    assert kind[0] == WaterKind.OPEN and edge_cc[0] == ""  # Caspian
    assert kind[-1] == WaterKind.OPEN and edge_cc[-1] == ""  # Sea of Azov
    inner = slice(3, 9)
    assert set(kind[inner].tolist()) == {WaterKind.INLAND}
    assert set(edge_cc[inner].tolist()) == {"RU"}
    assert node_cc[3] == "RU" and node_cc[0] == ""


def test_an_estuary_that_only_leads_to_a_port_is_a_port_approach(outlines: Countries) -> None:
    """The Nieuwe Waterweg to Rotterdam is Dutch water, but it leads only to the port: not inland."""
    sea = _sea([(ROTTERDAM_APPROACH, "")])
    kind, edge_cc, _ = _classify_water(sea, outlines, BuildReport())
    assert kind[0] == WaterKind.OPEN
    assert WaterKind.INLAND not in kind.tolist()
    assert kind[-1] == WaterKind.APPROACH and edge_cc[-1] == "NL"


def test_a_named_maritime_passage_stays_open_sea(outlines: Countries) -> None:
    """The Suez Canal runs inside Egypt's outline, but it is a named passage of the sea network."""
    sea = _sea([(SUEZ, "suez")])
    kind, edge_cc, _ = _classify_water(sea, outlines, BuildReport())
    assert kind.tolist() == [WaterKind.OPEN, WaterKind.OPEN]
    assert edge_cc.tolist() == ["", ""]


def _shipped_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(Settings().data_dir, data, ignore=shutil.ignore_patterns("scenarios"))
    return data


def test_shipped_ferries_carry_their_sources_and_cross_the_caspian_and_lake_van() -> None:
    """Each ferry names two ends with countries, a sailing time and a frequency, with a source."""
    ferries = {f.id: f for f in load_curated(Settings().data_dir).ports.ferries}
    assert {"aktau-alat", "kuryk-alat", "turkmenbashi-alat", "tatvan-van"} <= set(ferries)
    for f in ferries.values():
        assert f.sources and f.as_of
        caspian = {p.country for p in f.ends} <= {"KZ", "AZ", "TM"}
        assert caspian or {p.country for p in f.ends} == {"TR"}  # Lake Van, inside Turkey
        assert f.sailing_h > 0 and f.sailings_per_week > 0


def test_a_ferry_end_without_a_country_is_rejected(tmp_path: Path) -> None:
    data = _shipped_copy(tmp_path)
    path = data / "ports.yaml"
    text = path.read_text()
    old = "{name: Aktau port ferry terminal, lat: 43.606, lon: 51.228, country: KZ}"
    assert old in text
    path.write_text(text.replace(old, "{name: Aktau port ferry terminal, lat: 43.606, lon: 51.228}"))
    with pytest.raises(DataError, match="each end of a ferry needs its country"):
        load_curated(data)


def test_a_ferry_needs_a_positive_frequency(tmp_path: Path) -> None:
    data = _shipped_copy(tmp_path)
    path = data / "ports.yaml"
    path.write_text(path.read_text().replace("sailings_per_week: 2", "sailings_per_week: 0", 1))
    with pytest.raises(DataError, match="sailings_per_week"):
        load_curated(data)


@pytest.mark.parametrize(("per_week", "wait_h"), [(2, 42.0), (7, 12.0), (0.5, 168.0)])
def test_the_mean_wait_is_half_the_interval_between_sailings(per_week: float, wait_h: float) -> None:
    ferry = Ferry(
        id="aktau-alat",
        name="Aktau–Alat",
        ends=("Aktau", "Alat"),
        countries=("KZ", "AZ"),
        lat=(43.6, 40.0),
        lon=(51.2, 49.4),
        nodes=(0, 1),
        gauge_mm=1520,
        km=420.0,
        sailing_h=20.0,
        sailings_per_week=per_week,
        handling_h=8.0,
        cost_usd_per_teu=450.0,
        source=("test",),
        as_of="2024-01",
    )
    assert ferry_wait_h(ferry) == pytest.approx(wait_h)


def test_an_inland_port_of_the_port_list_gets_no_sea_access(outlines: Countries) -> None:
    """A port far from the maritime network with its straight link over land is inland:
    Kunming's customs code (675 km from the Gulf of Tonkin), and river ports 100 km and more up
    a river the network does not hold (Duisburg, about 200 km from the North Sea; Hanoi, 112 km
    from the Gulf of Tonkin). A coast as far from the lanes over water (Vladivostok to the
    middle of the Sea of Japan) and a port up an estuary nearer than the limit (Ho Chi Minh City,
    59 km from the sea off Vung Tau) keep their sea access."""
    from silkrail.network.build.sea import inland_ports

    port = np.array([(25.03, 102.68), (43.1, 131.9), (51.43, 6.72), (21.03, 105.85), (10.77, 106.70)])
    sea = np.array([(20.69, 106.87), (40.0, 134.5), (51.9, 4.0), (20.4, 106.9), (10.35, 107.1)])
    km = haversine_km(port[:, 0], port[:, 1], sea[:, 0], sea[:, 1])
    assert km[0] > 600 and km[1] > 300 and 100 < km[2] < 300 and 100 < km[3] < 300 and km[4] < 100
    inland = inland_ports(port[:, 0], port[:, 1], sea[:, 0], sea[:, 1], km, outlines)
    assert inland.tolist() == [True, False, True, True, False]

"""Build steps on small synthetic graphs: border slivers, cutting an edge for a junction."""

from __future__ import annotations

import numpy as np
import pytest

from silkrail.network.build.lines import nearest_on_track as _nearest_on_track
from silkrail.network.build.params import DEFAULT_PARAMS
from silkrail.network.build.state import BuildReport
from silkrail.network.build.state import EdgeList as _Edges
from silkrail.network.build.track import smooth_slivers as _smooth_slivers

SLIVER_KM = DEFAULT_PARAMS.sliver_km


def _chain(countries: list[str], km: list[float]) -> tuple[np.ndarray, _Edges]:
    """A line of nodes 0..n-1 labelled ``countries``, edge i joining nodes i and i+1 of ``km[i]``."""
    assert len(km) == len(countries) - 1
    edges = _Edges()
    n = len(countries)
    edges.add(np.arange(n - 1), np.arange(1, n), km=np.array(km))
    return np.array(countries, dtype="<U2"), edges


def test_alternating_labels_along_a_border_become_one_country() -> None:
    """KZ track along the KG border, the outlines putting nodes on alternate sides
    (KZ.. KG KG KZ KG KG ..KZ): every short run is relabelled KZ, none swapped to KG."""
    cc, edges = _chain(
        ["KZ", "KZ", "KZ", "KZ", "KG", "KG", "KZ", "KG", "KG", "KZ", "KZ", "KZ"],
        [10, 10, 10, 1.2, 0.16, 1.2, 5.8, 10, 1.0, 10, 10],
    )
    report = BuildReport()
    out = _smooth_slivers(cc, edges, set(), report)
    assert set(out.tolist()) == {"KZ"}
    assert report.counts.border_slivers_relabelled >= 2


def test_a_real_crossing_and_a_long_excursion_are_kept() -> None:
    """Track that enters a neighbour for good, or leaves for longer than SLIVER_KM, keeps its labels."""
    cc, edges = _chain(["KZ", "KZ", "KG", "KG"], [10, 1, 10])
    assert _smooth_slivers(cc, edges, set(), BuildReport()).tolist() == cc.tolist()
    long_run = SLIVER_KM + 1
    cc, edges = _chain(["KZ", "KZ", "KG", "KG", "KZ", "KZ"], [10, 1, long_run, 1, 10])
    assert _smooth_slivers(cc, edges, set(), BuildReport()).tolist() == cc.tolist()


def test_a_short_run_holding_a_crossing_side_is_kept() -> None:
    """A short run of B between A and A is a real crossing when a curated crossing's side is on it."""
    cc, edges = _chain(["UZ", "UZ", "TM", "TM", "UZ", "UZ"], [10, 1, 5, 1, 10])
    assert set(_smooth_slivers(cc, edges, set(), BuildReport()).tolist()) == {"UZ"}
    kept = _smooth_slivers(cc, edges, set(), BuildReport(), keep={2})
    assert kept.tolist() == cc.tolist()


def test_a_junction_cuts_the_chord_it_meets() -> None:
    """The nearest point of track to a station lies on a chord; cutting the chord there keeps its km."""
    lat = np.array([0.0, 0.0, 0.03])
    lon = np.array([0.0, 1.0, 0.4])
    edges = _Edges()
    edges.add([0], [1], km=[120.0])
    arr = edges.arrays()
    hit = _nearest_on_track(lat, lon, arr.u, arr.v, np.array([True]), float(lat[2]), float(lon[2]))
    assert hit is not None
    e, t, km = hit
    assert e == 0 and t == pytest.approx(0.4) and km == pytest.approx(0.03 * 111.2, rel=1e-3)
    edges.split(e, 2, t)
    cut = edges.arrays()
    assert sorted(zip(cut.u.tolist(), cut.v.tolist(), strict=True)) == [(0, 2), (2, 1)]
    assert cut.km.sum() == pytest.approx(120.0)
    assert cut.km[0] == pytest.approx(48.0)

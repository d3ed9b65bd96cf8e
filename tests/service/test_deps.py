"""The service's parts that need no network or database: the once-per-process network source and
the matrix's JSON form."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from silkrail.routing.results import OdMatrix
from silkrail.service.deps import NetworkSource
from silkrail.service.routes.routing import od_to_dict
from silkrail.service.settings import ServiceSettings


def test_the_network_loads_once_when_first_requests_race(tmp_path: Path) -> None:
    """Eight requests arrive before the network is loaded: one load, one network for all."""
    calls: list[int] = []
    release = threading.Event()

    class Counting(NetworkSource):
        def _load(self) -> Any:
            calls.append(1)
            release.wait(10)  # hold the load while the other requests arrive
            return object()

    source = Counting(ServiceSettings(db_url="sqlite://", tokens=frozenset(), home=tmp_path))
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(source.network) for _ in range(8)]
        release.set()
        nets = [f.result() for f in futures]
    assert len(calls) == 1 and all(n is nets[0] for n in nets)
    assert source.network() is nets[0]


def test_an_od_matrix_becomes_json_with_null_where_no_route() -> None:
    nan = float("nan")
    m = {
        "origins": ["A", "B"],
        "destinations": ["C"],
        "objective": "time",
        "teu": 1.0,
        "duration_h": np.array([[10.123], [nan]]),
        "cost_usd": np.array([[5.555], [nan]]),
        "co2_kg": np.array([[1.25], [nan]]),
        "distance_km": np.array([[100.04], [nan]]),
        "duration_h_range": np.array([[[9.0, 11.0]], [[nan, nan]]]),
        "cost_usd_range": np.array([[[4.0, 6.0]], [[nan, nan]]]),
        "co2_kg_range": np.array([[[1.0, 1.5]], [[nan, nan]]]),
    }
    out = od_to_dict(
        OdMatrix(**m, origin_lonlat=np.zeros((2, 2)), destination_lonlat=np.zeros((1, 2)))  # type: ignore[arg-type]
    )
    assert out["duration_h"] == [[10.12], [None]] and out["distance_km"] == [[100.0], [None]]
    assert out["duration_h_range"] == [[[9.0, 11.0]], [[None, None]]]
    assert out["origins"] == ["A", "B"] and "distance_km_range" not in out

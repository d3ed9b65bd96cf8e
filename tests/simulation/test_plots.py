"""The simulation charts from a tiny hand-made result (the matplotlib calls the viz extra's floor
must support: horizontal box plots with tick labels, step lines)."""

from __future__ import annotations

import struct
from pathlib import Path

from silkrail.simulation.kpi import Kpis
from silkrail.simulation.runner import write_plots


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_write_plots_draws_queues_and_transit_times(tmp_path: Path) -> None:
    """A crossing with a queue trace and two services with transit times: one queue chart and one
    transit chart, each 11 x 4.5 inches at 110 dpi."""
    result = {
        "seed": 7,
        "resources": [
            {"name": "Erenhot", "max_queue": 3, "queue_trace": [(0.0, 0), (30.0, 2), (50.0, 3), (80.0, 0)]},
            {"name": "Idle", "max_queue": 0, "queue_trace": []},
        ],
        "services": [
            {"name": "Chongqing-Duisburg", "transit_h": [380.0, 402.5, 455.0], "planned_h": 370.0},
            {"name": "Hanoi-Moscow", "transit_h": [450.0, 470.0], "planned_h": 440.0},
            {"name": "no trains", "transit_h": [], "planned_h": 100.0},
        ],
    }
    kpis = Kpis(
        replications=1, seeds=(7,), events=0, services=(), crossings=(), scenario="tiny", results=(result,)
    )
    written = write_plots(kpis, tmp_path / "plots")
    assert [p.name for p in written] == ["tiny-queues.png", "tiny-transit.png"]
    assert [_png_size(p) for p in written] == [(1210, 495), (1210, 495)]

"""The simulation charts from a tiny hand-made result (the matplotlib calls the viz extra's floor
must support: horizontal box plots with tick labels, step lines)."""

from __future__ import annotations

import struct
from pathlib import Path

from silkrail.simulation.kpi import Kpis
from silkrail.simulation.model import Replication, ResourceRun, ServiceRun
from silkrail.simulation.runner import write_plots


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_write_plots_draws_queues_and_transit_times(tmp_path: Path) -> None:
    """A crossing with a queue trace and two services with transit times: one queue chart and one
    transit chart, each 11 x 4.5 inches at 110 dpi."""
    result = Replication(
        seed=7,
        events=0,
        end_h=80.0,
        resources=(
            ResourceRun("Erenhot", 1, 4, [], 0.5, 3, queue_trace=[(0.0, 0), (30.0, 2), (50.0, 3), (80.0, 0)]),
            ResourceRun("Idle", 1, 0, [], 0.0, 0, queue_trace=[]),
        ),
        services=(
            ServiceRun("Chongqing-Duisburg", 370.0, transit_h=[380.0, 402.5, 455.0]),
            ServiceRun("Hanoi-Moscow", 440.0, transit_h=[450.0, 470.0]),
            ServiceRun("no trains", 100.0, transit_h=[]),
        ),
    )
    kpis = Kpis(
        replications=1, seeds=(7,), events=0, services=(), crossings=(), scenario="tiny", results=(result,)
    )
    written = write_plots(kpis, tmp_path / "plots")
    assert [p.name for p in written] == ["tiny-queues.png", "tiny-transit.png"]
    assert [_png_size(p) for p in written] == [(1210, 495), (1210, 495)]

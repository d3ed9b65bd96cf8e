"""Scenarios on the real network: every shipped one runs; closures, Dask, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.network.model import Network
from silkrail.settings import Settings
from silkrail.simulation.runner import compare, simulate
from silkrail.simulation.scenario import SCENARIO_DIR

pytestmark = pytest.mark.integration
SHIPPED = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def test_the_four_seed_scenarios_are_shipped() -> None:
    """baseline-2025, vn-ru-growth, lao-cai-sg-2030 and erenhot-closure."""
    assert {"baseline-2025", "vn-ru-growth", "lao-cai-sg-2030", "erenhot-closure"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_runs(real_net: Network, name: str) -> None:
    """Each shipped scenario simulates 60 days; every service delivers trains in about its planned time."""
    k = simulate(real_net, name, days=60)
    assert k.services and k.crossings
    for s in k.services:
        assert s.trains_delivered.mean > 0, s.name
        assert s.transit_p50_h.mean >= 0.8 * s.planned_h, s.name


def test_growth_adds_vietnam_russia_trains(real_net: Network) -> None:
    """vn-ru-growth triples the Vietnam–Russia trains through Erenhot relative to baseline."""
    a = simulate(real_net, "baseline-2025", days=120)
    b = simulate(real_net, "vn-ru-growth", days=120)
    d = compare(a, b)
    fesco = next(r for r in d.services if r.name == "FESCO Vietnam Shuttle")
    assert fesco.changes["trains_delivered"].b == pytest.approx(
        2 * fesco.changes["trains_delivered"].a, abs=1
    )
    eren = next(r for r in d.crossings if r.name == "erenhot-zamyn-uud")
    assert eren.changes["trains"].change > 0


def test_a_closure_reroutes_trains_that_have_an_alternative(real_net: Network) -> None:
    """During the Erenhot closure its trains take another corridor; none is stranded."""
    k = simulate(real_net, "erenhot-closure", days=90)
    eren = k.service("China–Europe via Erenhot")
    assert eren.rerouted.mean > 0
    assert eren.stranded.mean == 0


def test_a_permanent_closure_without_alternative_strands_trains(real_net: Network, tmp_path: Path) -> None:
    """Closing Mohan–Boten for good: Kunming–Vientiane has no other way and its trains are stranded."""
    f = tmp_path / "boten-closed.yaml"
    f.write_text(
        "name: boten-closed\nextends: baseline-2025\ndays: 30\nchanges:\n"
        "  - crossing: mohan-boten\n    closed: {from: 2025-01-06}\n"
    )
    k = simulate(real_net, f)
    s = k.service("Kunming–Vientiane passenger")
    assert s.stranded.mean == 30 and s.trains_delivered.mean == 0


def test_serial_and_dask_results_are_equal(real_net: Network) -> None:
    """Four replications on a real LocalCluster of two workers equal the serial run, seed by seed."""
    serial = simulate(real_net, "erenhot-closure", days=45, replications=4, trace=True)
    dask = simulate(
        real_net, "erenhot-closure", days=45, replications=4, trace=True, scheduler="local", workers=2
    )
    assert serial.results == dask.results
    assert serial.services == dask.services


def test_cli_scheduler_none_equals_the_default_serial_run(
    real_net: Network, real_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """simulate --scheduler none (and serial), as the help offers, print the KPIs of the
    default serial run."""
    from typer.testing import CliRunner

    from silkrail.cli import app

    monkeypatch.setenv("SILKRAIL_HOME", str(real_settings.home))
    monkeypatch.setenv("SILKRAIL_COUNTRIES_FILE", str(real_settings.countries_file))
    base = ["simulate", "erenhot-closure", "--days", "20", "--replications", "2", "--json"]
    runs = [
        CliRunner().invoke(app, [*base, *extra])
        for extra in ([], ["--scheduler", "none"], ["--scheduler", "serial"])
    ]
    for r in runs:
        assert r.exit_code == 0, r.output
    assert json.loads(runs[0].stdout)["replications"] == 2 and json.loads(runs[0].stdout)["services"]
    assert runs[1].stdout == runs[0].stdout == runs[2].stdout


@pytest.mark.parametrize(
    ("text", "line", "field", "says"),
    [
        (
            "name: x\nextends: baseline-2025\nservices:\n  - name: a\n    origin: Atlantis\n    destination: Moscow\n"
            "    trains_per_week: 1\n",
            5,
            "services[0].origin",
            "unknown place 'Atlantis'",
        ),
        (
            "name: x\nextends: baseline-2025\nchanges:\n  - crossing: erenhot\n    capacity_trains_per_day: 3\n",
            4,
            "changes[0].crossing",
            "did you mean erenhot-zamyn-uud",
        ),
        (
            "name: x\nextends: baseline-2025\nchanges:\n  - crossing: erenhot-zamyn-uud\n    capacity_trains_per_day: -3\n",
            5,
            "changes[0].capacity_trains_per_day",
            "greater than 0",
        ),
        ("name: x\nstart: 2025-01-01\ndays: 0\n", 3, "days", "greater than 0"),
        (
            "name: x\nextends: baseline-2025\nchanges:\n  - crossing: manzhouli-zabaykalsk\n"
            "    processing_h: {low: 5, mode: 2, high: 1}\n",
            5,
            "changes[0].processing_h",
            "low <= mode <= high",
        ),
        (
            "name: x\nextends: baseline-2025\nchanges:\n  - close_line: no-such-line\n",
            4,
            "changes[0].close_line",
            "no line 'no-such-line'",
        ),
        ("name: x\nstart: 2025-01-01\ndays: 5\nservice: []\n", 4, "service", "unknown field"),
    ],
)
def test_bad_scenarios_name_file_line_and_field(
    real_net: Network, tmp_path: Path, text: str, line: int, field: str, says: str
) -> None:
    """One clear message naming the file, the line and the field."""
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(DataError) as info:
        simulate(real_net, f)
    e = info.value
    assert (e.file, e.line, e.field) == ("bad.yaml", line, field), str(e)
    assert says in str(e)


def test_cli_simulate_json_and_plots(real_net: Network, real_settings, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """simulate --json prints KPIs with confidence intervals; --plots writes the PNG charts."""
    from typer.testing import CliRunner

    from silkrail.cli import app

    monkeypatch.setenv("SILKRAIL_HOME", str(real_settings.home))
    monkeypatch.setenv("SILKRAIL_COUNTRIES_FILE", str(real_settings.countries_file))
    r = CliRunner().invoke(
        app,
        [
            "simulate",
            "erenhot-closure",
            "--days",
            "40",
            "--replications",
            "3",
            "--json",
            "--plots",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 0, r.output
    k = json.loads(r.stdout)
    assert k["replications"] == 3 and k["services"][0]["transit_mean_h"]["ci95"] >= 0
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["erenhot-closure-queues.png", "erenhot-closure-transit.png"]
    bad = CliRunner().invoke(app, ["simulate", "no-such-scenario"])
    said = " ".join(bad.output.split())
    assert bad.exit_code == 2 and "shipped scenario: " in said and "baseline-2025" in said
    assert "silkrail simulate list" in said

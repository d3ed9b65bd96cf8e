"""The programme's JSON (DESIGN.md's contract) and its offline report, built without the network
(the routes across the border links are the integration tier's)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from silkrail.cli import app
from silkrail.errors import DataError
from silkrail.programme import build_programme, write_report
from silkrail.programme.model import Programme
from silkrail.timetable.fleet import load_fleet_data

# two squares standing in for the country outlines: the report draws whatever it is given
OUTLINES = [
    {"code": "VN", "rings": [[[102.0, 8.0], [110.0, 8.0], [110.0, 23.5], [102.0, 23.5], [102.0, 8.0]]]},
    {"code": "CN", "rings": [[[97.0, 22.0], [112.0, 22.0], [112.0, 30.0], [97.0, 30.0], [97.0, 22.0]]]},
]


@pytest.fixture(scope="module")
def built() -> Programme:
    from silkrail.programme.data import load_programme

    return build_programme(load_programme("vietnam"), fleet=load_fleet_data())


def test_the_json_keeps_the_contract(built: Programme) -> None:
    """lines with id, name, kind, km, gauge_mm, opens, cost_usd, source; fleet and demand by year;
    the comparison with the published 16,800 units and its assumptions."""
    d = json.loads(json.dumps(built.to_dict()))
    for line in d["lines"]:
        assert {"id", "name", "kind", "km", "gauge_mm", "opens", "cost_usd", "source"} <= set(line)
        assert line["source"] and line["cost_usd"] > 0
    years = [y["year"] for y in d["demand_by_year"]]
    assert years == list(range(2026, 2051)) and [f["year"] for f in d["fleet_by_year"]] == years
    assert all(
        set(y["by_type"]) == {"locomotive", "coach", "wagon", "hsr_car", "metro_car"}
        for y in d["demand_by_year"]
    )
    c = d["comparison"]
    assert c["published_units_2050"] == 16800
    assert c["modelled_units_2050"] == sum(y["units"] for y in d["demand_by_year"])
    assert len(c["assumptions"]) >= 6 and any("retirement" in a for a in c["assumptions"])
    assert {v["label"] for v in c["sensitivity"]} >= {
        "retirement 5 years earlier",
        "retirement 5 years later",
    }
    comp = built.fleet_comparison()
    assert c == json.loads(json.dumps(comp.to_dict()))
    assert (comp.published_units_2050, comp.base_units) == (16800, comp.variants[0].units)
    assert [x["type"] for x in c["checks"]] == [k.type for k in comp.checks] and comp.checks


def test_km_and_fleet_grow_with_the_openings(built: Programme) -> None:
    """Km in service never falls, and the year a line opens its trainsets appear."""
    km = [y.km for y in built.years]
    assert km == sorted(km)
    by_year = {f.year: f for f in built.fleet}
    assert (
        "vn-north-south-hsr" not in by_year[2034].by_line and by_year[2035].by_line["vn-north-south-hsr"] > 0
    )
    assert by_year[2035].added >= by_year[2035].by_line["vn-north-south-hsr"]


def test_the_year_span_is_checked() -> None:
    from silkrail.programme.data import load_programme

    with pytest.raises(DataError, match="before"):
        build_programme(load_programme("vietnam"), fleet=load_fleet_data(), year_from=2040, year_to=2030)


def test_the_report_is_offline_and_cites_every_line(built: Programme, tmp_path: Path) -> None:
    """One file: a year slider over three maps and small multiples, four charts, the tables, and
    every line's source in the list; nothing loaded from elsewhere."""
    path = write_report(built, tmp_path / "vietnam.html", outlines=OUTLINES)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>")
    assert re.search(r'<input type="range" id="year" min="2026" max="2050"', text)
    drawn = [ln for ln in built.data.lines if ln.geometry != "none"]
    assert text.count("<path d=") >= 3 * len(drawn)
    assert text.count('<img alt="') == 4  # km, trainsets, investment and demand (two panels each)
    assert not re.search(r'(src|href)="(https?:)?//', text) and "<link" not in text
    sources = text[text.index('<h2 id="sources">Sources</h2>') :]
    for line in built.data.lines:
        for s in line.sources:
            assert s.replace("&", "&amp;").replace('"', "&quot;")[:60] in sources.replace("&#x27;", "'"), s
    assert "16,800" in text and "US$55.4 bn" in text


def test_the_command_prints_json_and_refuses_bad_input(tmp_path: Path) -> None:
    run = CliRunner().invoke(app, ["programme", "vietnam", "--no-routes", "--json", "--year-to", "2040"])
    assert run.exit_code == 0, run.output
    out = json.loads(run.output)
    assert out["years"] == [2026, 2040] and out["km_by_year"][-1]["year"] == 2040
    bad = CliRunner().invoke(app, ["programme", "atlantis", "--no-routes"])
    assert bad.exit_code == 2 and "vietnam" in bad.output
    bad = CliRunner().invoke(app, ["programme", "vietnam", "--no-routes", "--year-from", "1700"])
    assert bad.exit_code == 2 and "1990" in bad.output
    bad = CliRunner().invoke(
        app, ["programme", "vietnam", "--no-routes", "--report", str(tmp_path / "r.txt")]
    )
    assert bad.exit_code == 2 and "html" in bad.output

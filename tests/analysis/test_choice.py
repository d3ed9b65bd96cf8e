"""Corridor choice: the published service routes as evidence (sourced, checked on load), how a
route is matched to a service's corridor, and the discrete-choice fit of the generalised cost's
penalties (which weights pick the published corridor, and when none can)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from silkrail.analysis.choice import (
    Candidate,
    ChoiceSet,
    ServiceRoute,
    corridor_path,
    fit_grid,
    fit_weights,
    load_service_routes,
    matches,
)
from silkrail.errors import DataError
from silkrail.network.model import Network
from silkrail.routing.query import RouteQuery
from silkrail.routing.router import router_for

DATA = Path(__file__).resolve().parents[2] / "src" / "silkrail" / "data"


def test_every_published_service_has_its_source_and_named_crossings_exist() -> None:
    """The evidence: each service names its corridor and where that is stated; every crossing
    named is one of borders.yaml; the FESCO shuttle goes by Erenhot and Naushki, as its source says."""
    services = load_service_routes()
    assert len(services) >= 25 and len({s.id for s in services}) == len(services)
    known = {c["id"] for c in yaml.safe_load((DATA / "borders.yaml").read_text())["crossings"]}
    for s in services:
        assert s.sources and all("http" in x for x in s.sources), s.id
        assert s.as_of and len(s.countries) >= 1
        assert set(s.crossings) <= known, (s.id, set(s.crossings) - known)
    lanes = {s.lane for s in services}
    assert {"china-europe", "china-russia", "middle-corridor", "central-asia"} <= lanes
    fesco = next(s for s in services if s.id == "fesco-vietnam-shuttle")
    assert fesco.countries == ("VN", "CN", "MN", "RU")
    assert fesco.crossings == ("erenhot-zamyn-uud", "sukhbaatar-naushki")
    sanctions = [s for s in services if s.unpriced is not None and s.unpriced.kind == "sanctions"]
    assert sanctions and all(s.unpriced is not None and "RU" in s.unpriced.avoid for s in sanctions)


def _service_file(tmp_path: Path, **changes: object) -> Path:
    doc = {
        "services": [
            {
                "id": "a-train",
                "name": "A train",
                "lane": "china-mongolia",
                "origin": "Erenhot",
                "destination": "Zamyn-Uud",
                "countries": ["CN", "MN"],
                "crossings": ["erenhot-zamyn-uud"],
                "source": "Example Daily 2024-01-01, A train, https://example.org/a",
                "as_of": "2024-01-01",
            }
        ]
    }
    doc["services"][0].update(changes)
    p = tmp_path / "service_routes.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def test_a_bad_service_record_is_refused_with_its_file_and_field(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        load_service_routes(_service_file(tmp_path, countries=["CN", "XX"]))
    assert "service_routes.yaml" in str(caught.value) and "XX" in str(caught.value)
    p = _service_file(tmp_path)
    doc = yaml.safe_load(p.read_text())
    doc["services"].append(dict(doc["services"][0]))
    p.write_text(yaml.safe_dump(doc))
    with pytest.raises(DataError, match="'a-train' is given twice"):
        load_service_routes(p)
    with pytest.raises(DataError, match="source"):
        load_service_routes(_service_file(tmp_path, source=None))


def test_a_route_matches_a_service_by_its_countries_and_every_crossing_named(
    small_net: Network, tmp_path: Path
) -> None:
    router = router_for(small_net)
    r = router.route(RouteQuery("Erenhot", "Zamyn-Uud", mode="rail"))
    ids = [c.id for c in small_net.crossings]
    (s,) = load_service_routes(_service_file(tmp_path))
    assert matches(r, s, ids)
    other = ServiceRoute(**{**s.__dict__, "crossings": ("manzhouli-zabaykalsk",)})
    assert not matches(r, other, ids)  # the right countries, another crossing
    russia = ServiceRoute(**{**s.__dict__, "countries": ("CN", "RU", "MN"), "crossings": ()})
    assert not matches(r, russia, ids)


def test_inside_the_single_market_only_the_entry_and_last_country_tell_corridors_apart() -> None:
    eu = frozenset({"PL", "DE", "FR", "ES", "BE"})
    assert corridor_path(["CN", "KZ", "RU", "BY", "PL", "DE", "DE", "FR", "ES"], eu) == (
        "CN", "KZ", "RU", "BY", "PL", "…", "ES",
    )  # fmt: skip
    assert corridor_path(["CN", "KZ", "RU", "BY", "PL", "DE", "BE", "FR", "ES"], eu) == corridor_path(
        ["CN", "KZ", "RU", "BY", "PL", "DE", "FR", "ES"], eu
    )
    assert corridor_path(["BY", "PL"], eu) == ("BY", "PL")


def _set(name: str, *candidates: tuple[tuple[str, ...], float, float, int, int, bool]) -> ChoiceSet:
    s = ServiceRoute(
        name, name, "lane-" + name, "A", "B", "rail", candidates[0][0], (), ("src",), "2024-01-01"
    )
    return ChoiceSet(
        s,
        tuple(Candidate(c, (), (h, usd, 0.0, float(b), float(t)), m) for c, h, usd, b, t, m in candidates),
        True,
    )


def test_the_fit_picks_the_penalty_that_makes_the_published_corridor_win() -> None:
    """A published corridor 24 h slower and US$100 dearer but with one customs border fewer: time
    and money alone miss it; a border penalty above US$100 + 24 h of the value of time picks it,
    and the fit finds one; a corridor worse on every count (dominated) is never picked."""
    fewer_borders = _set(
        "fewer-borders",
        (("CN", "MN", "RU"), 240.0, 3100.0, 1, 1, True),
        (("CN", "KZ", "RU", "XX"), 216.0, 3000.0, 2, 1, False),
    )
    dominated = _set(
        "dominated",
        (("CN", "KZ", "AZ"), 300.0, 4000.0, 3, 3, True),
        (("CN", "KZ", "RU"), 250.0, 3500.0, 2, 1, False),
    )
    assert fewer_borders.dominated is False and dominated.dominated is True
    grid = fit_grid((10.0, 40.0))
    assert all(c[1] == 1.0 and c[2] == 0.0 for c in grid) and min(c[0] for c in grid) == 10.0
    fit = fit_weights([fewer_borders, dominated], grid, vot_mid=25.0)
    assert fit.hits == 1 and fit.services == 2
    vot, _, _, border, transfer = fit.coef
    assert border > 100.0 + 24 * vot  # the border penalty outweighs the day and the US$100
    assert transfer == 0.0  # the same transshipments on both: the smallest penalty is kept
    no_penalty = [c for c in grid if c[3] == 0.0 and c[4] == 0.0]
    assert fit_weights([fewer_borders, dominated], no_penalty, vot_mid=25.0).hits == 0
    with pytest.raises(DataError, match="at least one weight vector"):
        fit_weights([fewer_borders], [], vot_mid=25.0)

"""The route query: built and checked once, one sentence per bad field, passed whole to the
router (places already resolved are used as they are), and the typed Python facade over it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import math
import pydoc
import re
from typing import Any

import pytest

import silkrail
from silkrail.errors import DataError, UnknownPlaceError
from silkrail.network.model import Network
from silkrail.routing.places import Place
from silkrail.routing.query import (
    ICEBOUND_PASSAGES,
    RouteOptions,
    RouteQuery,
    check_query,
)
from silkrail.routing.router import Router, router_for

# --- built and checked once -----------------------------------------------------------------


def test_values_are_kept_in_one_form() -> None:
    """Comma-joined and listed countries, text and typed dates, weights and their name: each
    option is stored one way, whatever form it was given in."""
    q = RouteQuery(
        " Hanoi ",
        "Moscow",
        mode="RAIL",  # type: ignore[arg-type]
        avoid=["kz, MN", "cn"],
        as_of="2024-10-19",
        depart="2026-12-03T17:00+08:00",
    )
    assert q.origin == "Hanoi" and q.mode == "rail"
    assert q.avoid == ("CN", "KZ", "MN")
    assert q.as_of == dt.date(2024, 10, 19)
    assert q.depart == dt.datetime(2026, 12, 3, 17, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    weighted = RouteQuery("Hanoi", "Moscow", objective={"time": 1, "cost": 0.5})
    assert weighted.objective == "1*time+0.5*cost" and weighted.weights == (1.0, 0.5, 0.0, 0.0, 0.0)
    assert q.avoid_passages == tuple(sorted(ICEBOUND_PASSAGES))
    assert RouteQuery("Hanoi", "Moscow", avoid="KZ,MN").avoid == ("KZ", "MN")
    assert RouteQuery("Hanoi", "Moscow", objective="cost").weights == (0.0, 1.0, 0.0, 0.0, 0.0)


def test_a_query_is_frozen_and_replace_checks_again() -> None:
    q = RouteQuery("Hanoi", "Moscow", objective={"time": 1, "co2": 2}, avoid="KZ")
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.mode = "sea"  # type: ignore[misc]
    same = dataclasses.replace(q)  # the stored forms are valid input: a weights name parses back
    assert same == q and hash(same) == hash(q)
    assert dataclasses.replace(q, mode="sea").mode == "sea"
    with pytest.raises(DataError) as caught:
        dataclasses.replace(q, teu=-1.0)
    assert caught.value.field == "teu"


def test_options_and_query_convert_both_ways() -> None:
    opts = RouteOptions(mode="rail", teu=40, avoid="MN")
    q = opts.between("Hanoi", "Moscow")
    assert isinstance(q, RouteQuery) and (q.origin, q.destination, q.teu, q.avoid) == (
        "Hanoi",
        "Moscow",
        40.0,
        ("MN",),
    )
    assert q.options == opts and type(q.options) is RouteOptions
    assert repr(q) == "RouteQuery('Hanoi' → 'Moscow', mode='rail', avoid=('MN',), teu=40.0)"


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"mode": "train"}, "mode", "use rail, sea or any"),
    ({"objective": "fast"}, "objective", "use one of generalised, time, cost, co2"),
    ({"objective": {"time": -1}}, "objective", "non-negative"),
    ({"objective": {"speed": 1}}, "objective", "non-negative"),
    ({"objective": {"time": math.nan}}, "objective", "non-negative"),
    ({"objective": {"borders": 300}}, "objective", "besides borders"),
    ({"objective": "generalised", "traffic": "passenger"}, "objective", "for passengers"),
    ({"traffic": "cargo"}, "traffic", "passenger, freight or any"),
    ({"train": "fast"}, "train", "use standard, express, stopping"),
    ({"traffic": "freight", "train": "stopping"}, "train", "standard or express"),
    ({"traffic": "wagonload", "train": "express"}, "train", "a wagonload train is standard"),
    ({"avoid": "KZ,XX"}, "avoid", "'XX' is not an ISO 3166-1"),
    ({"year": 0}, "year", "from 1 to 9999"),
    ({"year": "2031"}, "year", "whole number"),
    ({"teu": -3}, "teu", "positive number of TEU"),
    ({"teu": math.inf}, "teu", "positive number of TEU"),
    ({"teu": True}, "teu", "positive number of TEU"),
    ({"alternatives": 11}, "alternatives", "0 to 10"),
    ({"alternatives": -1}, "alternatives", "0 to 10"),
    ({"as_of": "yesterday"}, "as_of", "YYYY-MM-DD"),
    ({"inland_water": "yes"}, "inland_water", "true or false"),
    ({"depart": "2026-12-03T17:00"}, "depart", "no UTC offset"),
    ({"arrive": "soon"}, "arrive", "ISO 8601"),
    ({"depart": "1999-12-31T23:00+08:00"}, "depart", "outside the years"),
    ({"depart": "2026-12-03T17:00+08:00", "arrive": "2026-12-05T17:00+07:00"}, "arrive", "not both"),
    ({"depart": "2026-12-03T17:00+08:00", "objective": "cost"}, "depart", "time objective"),
    ({"arrive": "2026-12-03T17:00+08:00", "alternatives": 2}, "arrive", "no alternatives"),
]


@pytest.mark.parametrize(("options", "field", "words"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_each_bad_value_is_one_sentence_naming_its_field(
    options: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(DataError) as caught:
        RouteQuery("Hanoi", "Moscow", **options)
    assert caught.value.field == field
    assert words in caught.value.reason and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("origin", "destination", "field"), [("", "Moscow", "origin"), ("Hanoi", "x" * 201, "destination")]
)
def test_a_place_is_named_with_1_to_200_characters(origin: str, destination: str, field: str) -> None:
    with pytest.raises(DataError) as caught:
        RouteQuery(origin, destination)
    assert caught.value.field == field


# --- on the small network -------------------------------------------------------------------


@pytest.fixture(scope="module")
def router(small_net: Network) -> Router:
    return router_for(small_net)


def test_the_search_query_carries_the_traffic_and_checks_the_year(small_net: Network) -> None:
    q = check_query(small_net, RouteOptions(traffic="passenger", mode="rail"))
    assert q.traffic == "passenger" and q.constraints.modes == "rail"
    with pytest.raises(DataError) as caught:
        check_query(small_net, RouteOptions(year=1990))
    assert caught.value.field == "year" and "outside the network's span" in caught.value.reason


def test_places_already_resolved_are_not_resolved_again(
    router: Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service resolves the places to answer a 422 naming the parameter; the router then
    takes the Place records as they are."""
    by_name = router.route(RouteQuery("Erenhot", "Zamyn-Uud", mode="rail"))
    o, d = router.places.resolve("Erenhot"), router.places.resolve("Zamyn-Uud")
    calls: list[str] = []

    def counted(name: str) -> Place:
        calls.append(name)
        raise UnknownPlaceError(name, [])

    monkeypatch.setattr(router.places, "resolve", counted)
    by_place = router.route(RouteQuery(o, d, mode="rail"))
    assert calls == [] and by_place.to_dict() == by_name.to_dict()
    with pytest.raises(UnknownPlaceError):
        router.route(RouteQuery("Erenhot", "Zamyn-Uud", mode="rail"))
    assert calls == ["Erenhot"]


def test_the_facade_builds_one_query(small_net: Network) -> None:
    """silkrail.route/compare/od_matrix answer as the router does for the same query."""
    r = silkrail.route(small_net, "Erenhot", "Zamyn-Uud", mode="rail", teu=2)
    assert (
        r.to_dict()
        == router_for(small_net).route(RouteQuery("Erenhot", "Zamyn-Uud", mode="rail", teu=2)).to_dict()
    )
    m = silkrail.od_matrix(small_net, ["Erenhot"], ["Zamyn-Uud"], mode="rail", teu=2)
    assert m.duration_h[0, 0] == pytest.approx(r.duration_h) and m.teu == 2
    options = silkrail.compare(small_net, "Erenhot", "Zamyn-Uud")
    assert options and {o.label for o in options} <= {"rail", "sea", "rail+sea"}
    with pytest.raises(DataError, match="use one of generalised, time, cost, co2"):
        silkrail.route(small_net, "Erenhot", "Zamyn-Uud", objective="fast")  # type: ignore[arg-type]


# --- the typed facade -----------------------------------------------------------------------


OPTIONS = [f.name for f in dataclasses.fields(RouteOptions) if f.name != "avoid_passages"]


def test_help_of_route_lists_every_option_with_its_type() -> None:
    sig = inspect.signature(silkrail.route)
    assert list(sig.parameters)[:3] == ["net", "origin", "destination"]
    for name in OPTIONS:
        p = sig.parameters[name]
        assert p.kind is inspect.Parameter.KEYWORD_ONLY and p.annotation is not inspect.Parameter.empty, name
    text = pydoc.render_doc(silkrail.route, renderer=pydoc.plaintext)
    for name in OPTIONS:
        assert f"{name}:" in text, name  # in the signature, with its annotation
        assert re.search(rf"^    (\w+, )*{name}(, \w+)* : ", text, re.M), name  # in the numpydoc Parameters
    assert """mode: "Literal['rail', 'sea', 'any']" = 'any'""" in text
    for fn in (silkrail.compare, silkrail.od_matrix):
        params = inspect.signature(fn).parameters
        assert all(params[n].kind is inspect.Parameter.KEYWORD_ONLY for n in ("objective", "teu", "year"))
        assert "Parameters\n    ----------" in (fn.__doc__ or "")


def test_the_records_and_errors_are_exported() -> None:
    from silkrail.routing.results import OdMatrix, Route

    assert silkrail.Route is Route and silkrail.OdMatrix is OdMatrix
    assert (
        silkrail.Place is Place
        and silkrail.RouteQuery is RouteQuery
        and silkrail.RouteOptions is RouteOptions
    )
    assert {
        "Route",
        "OdMatrix",
        "Place",
        "RouteQuery",
        "DataError",
        "NoRouteError",
        "UnknownPlaceError",
    } <= set(silkrail.__all__)
    for name in silkrail.__all__:
        assert getattr(silkrail, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'Rout'"):
        silkrail.Rout  # noqa: B018

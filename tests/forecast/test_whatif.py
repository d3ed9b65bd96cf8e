"""What-if requests: every input bounded and checked, one change at a time; the kinds of change
applied to a copy of the live state; trains added on the router (small fixture network)."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from silkrail.errors import DataError
from silkrail.forecast.state import servers_for
from silkrail.forecast.whatif import WhatIfRequest, apply_change, what_if
from silkrail.network.model import Network
from silkrail.routing.router import Router
from tests.forecast.cases import EXACT, converging
from tests.forecast.conftest import CROSSING, DESTINATION, ORIGIN


def _req(body: object) -> WhatIfRequest:
    return WhatIfRequest.model_validate(body)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({}, "exactly one change"),
        ({"close": {"crossing": "x", "hours": 1}, "dwell": {"crossing": "x", "dwell_h": 3}}, "exactly one"),
        ({"close": {"crossing": "x"}}, "hours"),
        ({"close": {"crossing": "x", "hours": 0}}, "hours"),
        ({"close": {"crossing": "x", "hours": 721}}, "hours"),
        ({"close": {"crossing": "x", "hours": float("nan")}}, "hours"),
        ({"close": {"crossing": "x", "hours": float("inf")}}, "hours"),
        ({"close": {"crossing": "x", "hours": 5, "from_h": -1}}, "from_h"),
        ({"close": {"crossing": "X Y", "hours": 5}}, "crossing"),
        ({"close": {"crossing": "x" * 81, "hours": 5}}, "crossing"),
        ({"close": {"crossing": "x", "hours": 5, "extra": 1}}, "extra"),
        ({"capacity": {"crossing": "x", "trains_per_day": 0}}, "trains_per_day"),
        ({"dwell": {"crossing": "x", "dwell_h": -2}}, "dwell_h"),
        ({"add_trains": {"origin": "A", "destination": "B", "trains": 201}}, "trains"),
        ({"add_trains": {"origin": "A", "destination": "B", "trains": 2, "every_h": 0.1}}, "every_h"),
        ({"add_trains": {"origin": "", "destination": "B", "trains": 2}}, "origin"),
        ({"add_trains": {"origin": "A\u202e", "destination": "B", "trains": 2}}, "origin"),
        ({"close": {"crossing": "x", "hours": 5}, "replications": 501}, "replications"),
        ({"reopen": {"crossing": "x"}}, "reopen"),
    ],
)
def test_a_bad_request_is_refused_naming_what_is_wrong(body: object, where: str) -> None:
    with pytest.raises(ValidationError) as info:
        _req(body)
    assert where in str(info.value)


def test_each_change_is_applied_to_a_copy() -> None:
    """close adds a closure window, capacity a cut to the servers that clear the new rate, dwell
    a window with the new mean; the live state is left as it was."""
    live = converging()
    closed, about = apply_change(live, _req({"close": {"crossing": "x", "hours": 48, "from_h": 6}}), net=None)
    assert (
        about == ("x",)
        and closed.crossings[0].closures[0].start_h == 6
        and closed.crossings[0].closures[0].end_h == 54
    )
    assert live.crossings[0].closures == ()
    cut, _ = apply_change(live, _req({"capacity": {"crossing": "x", "trains_per_day": 2}}), net=None)
    ((w, servers),) = cut.crossings[0].cuts
    assert servers == servers_for(2, 6.0) and math.isinf(w.end_h)
    slow, _ = apply_change(live, _req({"dwell": {"crossing": "x", "dwell_h": 12, "hours": 24}}), net=None)
    ((w, mean),) = slow.crossings[0].dwell_changes
    assert (w.start_h, w.end_h, mean) == (0.0, 24.0, 12.0)


def test_an_unknown_crossing_names_the_closest_ids(small_net: Network) -> None:
    with pytest.raises(DataError) as info:
        apply_change(
            converging(), _req({"close": {"crossing": "erenhot-zamyn-ud", "hours": 5}}), net=small_net
        )
    assert info.value.field == "close.crossing" and CROSSING in str(info.value)


def test_a_crossing_no_train_passes_is_added_and_changes_nothing(small_net: Network) -> None:
    """Closing a real crossing none of the state's trains pass: it joins the state, nobody is
    affected, and its queue is reported unchanged."""
    w = what_if(
        converging(),
        _req({"close": {"crossing": CROSSING, "hours": 24}}),
        net=small_net,
        replications=3,
        run_factor=EXACT,
    )
    assert w.affected == () and [q.id for q in w.queues] == [CROSSING]
    assert w.queues[0].peak_after == 0


def test_added_trains_are_planned_on_the_router_and_come_last(small_net: Network, router: Router) -> None:
    """Three trains every 6 h on the fixture's route through Erenhot–Zamyn-Uud: appended after
    the live trains (so those keep their draws), leaving at 0, 6 and 12 h, with that crossing
    ahead of each."""
    live = converging()
    body = {"add_trains": {"origin": ORIGIN, "destination": DESTINATION, "trains": 3, "every_h": 6}}
    state, about = apply_change(live, _req(body), net=small_net, router=router)
    assert about == () and state.trains[: len(live.trains)] == live.trains
    added = state.trains[len(live.trains) :]
    assert [t.start_h for t in added] == [0.0, 6.0, 12.0] and not any(t.departed for t in added)
    assert [state.crossings[v.crossing].id for v in added[0].visits if v.crossing >= 0] == [CROSSING]
    with pytest.raises(DataError) as info:
        apply_change(
            live,
            _req({"add_trains": {"origin": "Atlantis", "destination": DESTINATION, "trains": 1}}),
            net=small_net,
            router=router,
        )
    assert info.value.field == "add_trains.origin"

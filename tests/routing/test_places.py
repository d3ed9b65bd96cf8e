"""Place names on the small fixture network: the station gazetteer in every script, misspellings
read as the one place they mean, and names close to nothing."""

from __future__ import annotations

import pytest

from silkrail.errors import UnknownPlaceError
from silkrail.network.model import Network
from silkrail.routing.places import Gazetteer


@pytest.fixture(scope="module")
def places(small_net: Network) -> Gazetteer:
    return Gazetteer(small_net, home=None)


@pytest.mark.parametrize(
    "text", ["Fixture Junction", "Фикстура", "测试站", "fixture-junction", "FIXTURE JUNCTION"]
)
def test_a_station_of_the_gazetteer_resolves_in_every_script_to_its_own_track(
    places: Gazetteer, text: str
) -> None:
    """Every name of a station gives the station, entered at the node the build kept for it."""
    p = places.resolve(text)
    st = next(s for s in places.net.places if s.name == "Fixture Junction")
    assert (p.name, p.kind, p.country) == ("Fixture Junction", "junction", "MN")
    assert p.rail is not None and p.rail.node == st.node and p.rail.name == "Fixture Junction"
    assert p.note is None


def test_a_misspelt_station_is_read_as_it_and_says_so(places: Gazetteer) -> None:
    p = places.resolve("Fixture Junctoin")
    assert p.name == "Fixture Junction"
    assert p.note == "'Fixture Junctoin' read as Fixture Junction, MN (junction)"


def test_a_name_close_to_nothing_says_so_instead_of_listing_nothing(places: Gazetteer) -> None:
    with pytest.raises(UnknownPlaceError, match="no known place has a name close to it"):
        places.resolve("Xyzzyqq")


def test_every_access_point_has_a_name(places: Gazetteer) -> None:
    """A city entered at unnamed track names it after the nearest city ('track at Hanoi')."""
    for text in ("Hanoi", "Erenhot", "Fixture Junction", "43.7,111.95"):
        p = places.resolve(text)
        for access in (p.rail, p.port):
            assert access is None or access.name.strip(), (text, access)

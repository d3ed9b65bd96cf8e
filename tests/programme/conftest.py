"""Fixtures of the programme tests: the small hand-checkable programme and a fleet file with a
stated reserve, so the expected counts can be worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from silkrail.programme.schema import ProgrammeFile
from silkrail.timetable.fleet import FleetFile, ReserveRecord, TurnaroundRecord

SMALL = Path(__file__).parent.parent / "fixtures" / "programme" / "small.yaml"


@pytest.fixture
def fleet15() -> FleetFile:
    """15 % held back; 30 min to turn a passenger train, a day a freight train."""
    return FleetFile(
        reserve=ReserveRecord(share=0.15, source="test", as_of="2026-12"),
        turnaround_min=TurnaroundRecord(passenger=30, freight=1440, source="test", as_of="2026-12"),
    )


@pytest.fixture
def small() -> ProgrammeFile:
    from silkrail.programme.data import load_programme

    return load_programme(path=SMALL)


@pytest.fixture(scope="session")
def vietnam() -> ProgrammeFile:
    from silkrail.programme.data import load_programme

    return load_programme("vietnam")

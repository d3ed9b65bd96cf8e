"""National rail programmes: the planned lines as a phased network, their service plans and
fleets by year, rolling-stock demand against published totals, and an offline report.

>>> from silkrail.programme import load_programme, build_programme   # doctest: +SKIP
>>> p = build_programme(load_programme("vietnam"), fleet=load_fleet_data())  # doctest: +SKIP
"""

from __future__ import annotations

from silkrail.programme.data import PROGRAMMES, load_programme, programme_path
from silkrail.programme.demand import Assumptions, Demand, run_demand, sensitivity
from silkrail.programme.model import Programme, build_programme
from silkrail.programme.report import write_report

__all__ = [
    "PROGRAMMES",
    "Assumptions",
    "Demand",
    "Programme",
    "build_programme",
    "load_programme",
    "programme_path",
    "run_demand",
    "sensitivity",
    "write_report",
]

"""Corridor analysis: interoperability along a route, resilience of the network to the loss of
an element, and dependency of a flow on each country."""

from silkrail.analysis.interop import Interoperability, load_interoperability
from silkrail.analysis.sections import ChangePoint, Corridor, Section, analyse_route

__all__ = [
    "ChangePoint",
    "Corridor",
    "Interoperability",
    "Section",
    "analyse_route",
    "load_interoperability",
]

"""Corridor analysis: interoperability along a route, resilience of the network to the loss of
an element, and dependency of a flow on each country."""

from silkrail.analysis.dependency import (
    Dependency,
    compute_dependency,
    flow_set_dependency,
    hhi,
    route_dependency,
)
from silkrail.analysis.flows import Flow, load_flows
from silkrail.analysis.resilience import (
    Element,
    NetworkFlowRouter,
    Resilience,
    compute_resilience,
    network_elements,
)
from silkrail.analysis.sections import ChangePoint, Corridor, Section, analyse_route
from silkrail.network.interop import Interoperability, load_interoperability

__all__ = [
    "ChangePoint",
    "Corridor",
    "Dependency",
    "Element",
    "Flow",
    "Interoperability",
    "NetworkFlowRouter",
    "Resilience",
    "Section",
    "analyse_route",
    "compute_dependency",
    "compute_resilience",
    "flow_set_dependency",
    "hhi",
    "load_flows",
    "load_interoperability",
    "network_elements",
    "route_dependency",
]

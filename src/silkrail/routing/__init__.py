"""Routing across gauges, borders and modes: places, costs, search, routes, comparison."""

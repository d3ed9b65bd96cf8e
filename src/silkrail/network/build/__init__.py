"""Build the transfer-aware multimodal network from the raw sources and the curated data.

One module per step, run in order by :func:`~silkrail.network.build.pipeline.build_network`:

- ``track``: every node gets an ISO country and only Europe and Asia are kept; breaks in the
  mapped track are closed and border slivers relabelled; small fragments are dropped;
- ``lines``: the curated lines the extract lacks are added, line ends joined to the track they
  meet, and the track of restricted lines (passenger-only) marked;
- ``gauges``: transshipment yards are joined and every node and edge gets its gauges (country
  default, then curated path exceptions);
- ``crossings``: border crossings and breaks of gauge become explicit edges with time, cost
  and capacity;
- ``sea``: the maritime network (whose waters each edge uses), ports, rail-sea links, ferries;
- ``assemble``: degree-2 chains are contracted while every named place is kept;
- ``places``: the track kept for places, and the curated places snapped to it.

Each step is a function ``step(s, params)`` that reads and writes the typed fields of one
:class:`~silkrail.network.build.state.BuildState` (the graph under construction, its records
and the report); only inputs from outside the build (source paths, outlines) are passed by
keyword. Tuning values live in :class:`~silkrail.network.build.params.BuildParams` (part of
the cache key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from silkrail.network.build.params import DEFAULT_PARAMS, BuildParams

if TYPE_CHECKING:  # what the lazy names below are, for type checkers
    from silkrail.network.build.pipeline import build_network
    from silkrail.network.build.state import BuildReport

__all__ = ["DEFAULT_PARAMS", "BuildParams", "BuildReport", "build_network"]


def __getattr__(name: str) -> object:
    """``build_network`` and ``BuildReport`` on first use: the cache key reads ``params`` on
    every load, and must not import the build's numerical stack for it."""
    if name == "build_network":
        from silkrail.network.build.pipeline import build_network

        return build_network
    if name == "BuildReport":
        from silkrail.network.build.state import BuildReport

        return BuildReport
    raise AttributeError(name)

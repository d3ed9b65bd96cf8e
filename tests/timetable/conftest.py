"""Fixtures of the timetable tests: the routing tests' CLI environment on the real network."""

from tests.routing.conftest import real_env

__all__ = ["real_env"]

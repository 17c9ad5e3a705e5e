"""Fixtures shared by the integration tests: the pipelines' wheel and scratch repository."""

from tests.support.pipelines import scratch, wheel

__all__ = ["scratch", "wheel"]

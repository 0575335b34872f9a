"""Fixtures shared by the modules of tests/core: the real-time tests' two-app cluster (one per module)."""

from tests.core.realtime_support import cluster, servers

__all__ = ["cluster", "servers"]

"""Fixtures shared by the modules of tests/core: the real-time tests' two-app cluster (one per module), jobs brokers."""

from tests.core.brokers_support import job_broker, own_broker
from tests.core.realtime_support import cluster, servers

__all__ = ["cluster", "job_broker", "own_broker", "servers"]

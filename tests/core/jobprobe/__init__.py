"""A probe plugin for the jobs durability tests: a job whose effect is counted in PostgreSQL, applied exactly once.

It is not a built-in plugin: the tests install it for a worker process as a distribution (a ``.dist-info`` with the
``sbor.plugins`` entry point on ``PYTHONPATH``), the way a third-party plugin is found.
"""

from __future__ import annotations

from core.manifest import Manifest

manifest = Manifest(name="jobprobe", version="0.1.0", summary="Jobs durability probe (tests only)", depends={},
                    core=">=0.1,<1")

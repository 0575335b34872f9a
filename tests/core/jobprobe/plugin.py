"""Hook implementations of the probe: its one job."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl


@hookimpl
def register_actors() -> list[Any]:
    """The counted, idempotent job."""
    from tests.core.jobprobe.jobs import apply

    return [apply]

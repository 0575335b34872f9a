"""The one clock: all code asks it for "now", so tests can freeze and advance time."""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_offset_s = 0.0  # the same offset in seconds, for timestamp() (on every API request: no datetime made)
_frozen: datetime | None = None


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def timestamp() -> float:
    """Return the current time as a POSIX timestamp (seconds)."""
    if _frozen is not None:
        return _frozen.timestamp()
    return _time.time() + _offset_s


def monotonic() -> float:
    """Return a monotonic reading for measuring durations (not movable by tests)."""
    return _time.monotonic()


def freeze(at: datetime | None = None) -> datetime:
    """Stop the clock at ``at`` (default: the current time) until :func:`reset`."""
    global _frozen
    _frozen = (at or now()).astimezone(UTC)
    return _frozen


def advance(delta: timedelta | float) -> datetime:
    """Move the clock forward by ``delta`` (a timedelta or seconds), frozen or not."""
    global _frozen, _offset, _offset_s
    step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
    if _frozen is not None:
        _frozen = _frozen + step
    else:
        _offset = _offset + step
        _offset_s = _offset.total_seconds()
    return now()


def reset() -> None:
    """Return to real time."""
    global _frozen, _offset, _offset_s
    _frozen = None
    _offset = timedelta(0)
    _offset_s = 0.0

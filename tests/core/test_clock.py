"""The one clock: ``now()`` and ``timestamp()`` agree whether the clock runs, is frozen or was moved."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any


def test_timestamp_is_now_as_seconds(clock: Any) -> None:
    before = time.time()
    stamp = clock.timestamp()
    assert before <= stamp <= time.time()
    assert abs(clock.now().timestamp() - clock.timestamp()) < 1


def test_timestamp_follows_a_frozen_and_an_advanced_clock(clock: Any) -> None:
    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    clock.freeze(at)
    assert clock.timestamp() == at.timestamp()
    clock.advance(timedelta(minutes=2))
    assert clock.timestamp() == at.timestamp() + 120
    clock.reset()
    # Running, then moved forward an hour: the timestamp moves with now()
    clock.advance(3600)
    assert abs(clock.timestamp() - (time.time() + 3600)) < 1
    assert abs(clock.now().timestamp() - clock.timestamp()) < 1
    clock.reset()
    assert abs(clock.timestamp() - time.time()) < 1

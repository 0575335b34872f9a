"""The probe around each hook implementation call: its duration (``sbor_hook_duration_seconds``) and its span.

The dispatcher wraps every awaited implementation in ``with probe(hook, plugin):``. With metrics off and tracing off
it is one shared no-op object; with metrics on, two ``perf_counter`` calls and a histogram observation (a few µs).
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from core.observability import counters, tracing


class _Noop:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        return None


class _Probe:
    __slots__ = ("hook", "plugin", "span", "started")

    def __init__(self, hook: str, plugin: str) -> None:
        self.hook = hook
        self.plugin = plugin
        self.span: tuple[Any, object] | None = None
        self.started = 0.0

    def __enter__(self) -> None:
        if tracing.enabled():
            self.span = tracing.start(f"hook {self.hook}", attributes={"sbor.hook": self.hook,
                                                                        "sbor.plugin": self.plugin})
        self.started = time.perf_counter()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        elapsed = time.perf_counter() - self.started
        if counters.ENABLED:
            counters.observe_hook(self.hook, self.plugin, elapsed, failed=exc is not None)
        if self.span is not None:
            tracing.finish(self.span[0], self.span[1], exc)


_NOOP = _Noop()


def probe(hook: str, plugin: str) -> _Probe | _Noop:
    """The context manager to run one implementation in."""
    if counters.ENABLED or tracing.enabled():
        return _Probe(hook, plugin)
    return _NOOP

"""How a failing hook implementation is treated: declared on the spec, applied by the dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

Policy = Literal["notify", "decide", "collect"]
F = TypeVar("F", bound=Callable[..., Any])

ATTR = "sbor_policy"


def notification(fn: F) -> F:
    """Mark a spec as a notification: every implementation runs; a failing one is logged and skipped."""
    setattr(fn, ATTR, "notify")
    return fn


def decision(fn: F) -> F:
    """Mark a spec as a decision: an implementation's exception propagates to the caller."""
    setattr(fn, ATTR, "decide")
    return fn


def policy_of(fn: Callable[..., Any] | None) -> Policy:
    """Return the declared policy; undecorated specs collect results and propagate errors."""
    return getattr(fn, ATTR, "collect") if fn is not None else "collect"

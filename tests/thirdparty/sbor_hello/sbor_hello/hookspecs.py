"""Hooks the hello plugin offers to other plugins."""

from __future__ import annotations

from core.hooks import hookspec
from core.hooks.policy import notification


@notification
@hookspec
def greeting_made(name: str, message: str) -> None:
    """Called after a greeting is stored. ``name``: who was greeted; ``message``: the text. Failures are logged."""

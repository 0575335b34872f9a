"""Hook implementations of the groups plugin: each a few lines, delegating."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl


@hookimpl
def register_piccolo_app() -> Any:
    """The tables and migrations of groups."""
    from plugins.groups.piccolo_app import APP_CONFIG

    return APP_CONFIG

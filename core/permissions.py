"""Permissions: strings declared by core and plugins through ``register_permissions``; roles map to them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import ConfigError

NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")


@dataclass(frozen=True)
class Permission:
    """A permission such as ``events.moderate``, with a human description for the roles editor."""

    name: str
    description: str
    admin_panel: bool = False
    """Whether holding it gives access to the admin panel (staff)."""


def collect(pairs: list[tuple[str, Permission]]) -> dict[str, Permission]:
    """Build the registry from ``(plugin, Permission)`` pairs; bad or duplicate names stop start-up."""
    out: dict[str, Permission] = {}
    for plugin, perm in pairs:
        if not isinstance(perm, Permission) or not NAME.match(perm.name):
            raise ConfigError(f"plugin {plugin!r}: invalid permission {perm!r} (want Permission('<area>.<verb>', …))")
        if perm.name in out:
            raise ConfigError(f"plugin {plugin!r}: permission {perm.name!r} declared twice")
        out[perm.name] = perm
    return out

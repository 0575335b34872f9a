"""Plugin hooks: ``hookimpl`` is the one import every plugin needs."""

from __future__ import annotations

import pluggy

PROJECT = "sbor"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "hookimpl", "hookspec"]


async def call(name: str, /, **kwargs: object) -> object:
    """Call hook ``name`` on the current plugin set, awaiting async implementations (see ``HookDispatcher.call``)."""
    from core.hooks.manager import call as _call

    return await _call(name, **kwargs)


__all__ += ["call"]

"""pluggy's markers for Sbor: ``hookspec`` declares a hook, ``hookimpl`` implements one."""

from __future__ import annotations

import pluggy

PROJECT = "sbor"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "hookimpl", "hookspec"]

"""The plugin machinery in one import: discovery, ``plugins.toml``, resolution and the registry.

Each part lives in its own module (:mod:`core.hooks.discovery`, :mod:`core.hooks.config`,
:mod:`core.hooks.resolution`, :mod:`core.hooks.registry`); this module re-exports what callers use.
"""

from __future__ import annotations

from core.hooks.config import PluginsFile, read_plugins_file, validate_settings, write_enabled
from core.hooks.discovery import (
    BUILTIN_PACKAGE,
    CORE_MODULES,
    DISCOVERY_FILTER,
    ENTRY_POINT_GROUP,
    EXTRA_BUILTINS,
    PluginInfo,
    discover,
)
from core.hooks.registry import LoadedPlugin, Registry, activate, build, current, load
from core.hooks.resolution import resolve, with_dependencies

__all__ = [
    "BUILTIN_PACKAGE",
    "CORE_MODULES",
    "DISCOVERY_FILTER",
    "ENTRY_POINT_GROUP",
    "EXTRA_BUILTINS",
    "LoadedPlugin",
    "PluginInfo",
    "PluginsFile",
    "Registry",
    "activate",
    "build",
    "current",
    "discover",
    "load",
    "read_plugins_file",
    "resolve",
    "validate_settings",
    "with_dependencies",
    "write_enabled",
]

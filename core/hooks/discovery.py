"""Finding and importing plugins: core modules, ``plugins/*``, ``admin_ui`` and ``sbor.plugins`` entry points."""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType

from core.errors import ConfigError
from core.manifest import Manifest

ENTRY_POINT_GROUP = "sbor.plugins"
BUILTIN_PACKAGE = "plugins"
# Core's own areas are shaped like plugins and registered through the same hooks (no back door); always enabled.
CORE_MODULES: tuple[str, ...] = ("core.users", "core.auth", "core.reports")
# Top-level packages that are plugins in all but location (the admin panel lives in admin_ui/, named "admin").
EXTRA_BUILTINS: tuple[str, ...] = ("admin_ui",)

# Development and tests may restrict discovery to some plugins, to work on one while another is mid-edit:
# SBOR_TEST_PLUGINS=events,notify (core's own modules are always found; "none" means no optional plugin).
DISCOVERY_FILTER: set[str] | None = (
    {p.strip() for p in os.environ["SBOR_TEST_PLUGINS"].split(",") if p.strip()}
    if os.environ.get("SBOR_TEST_PLUGINS")
    else None
)


@dataclass(frozen=True)
class PluginInfo:
    """A plugin found on this installation (enabled or not)."""

    manifest: Manifest
    module: ModuleType
    source: str  # "core", "built-in" or "distribution <name> <version>"

    @property
    def name(self) -> str:
        """The plugin's name (its namespace everywhere)."""
        return self.manifest.name


def _manifest_of(module: ModuleType, where: str) -> Manifest:
    manifest = getattr(module, "manifest", None)
    if not isinstance(manifest, Manifest):
        raise ConfigError(f"{where}: package {module.__name__} has no `manifest = Manifest(...)`")
    return manifest


def _import_builtin(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"{BUILTIN_PACKAGE}.{name}")
    except Exception as exc:
        raise ConfigError(f"plugin {name!r}: cannot be imported: {type(exc).__name__}: {exc}") from exc


def discover() -> dict[str, PluginInfo]:
    """Find every installed plugin: core modules, ``plugins/*`` packages and the ``sbor.plugins`` entry points."""
    found: dict[str, PluginInfo] = {}
    only = DISCOVERY_FILTER

    def add(info: PluginInfo) -> None:
        if info.name in found:
            raise ConfigError(
                f"plugin {info.name!r}: provided twice ({found[info.name].source} and {info.source})"
            )
        found[info.name] = info

    for modname in CORE_MODULES:
        module = importlib.import_module(modname)
        add(PluginInfo(_manifest_of(module, modname), module, "core"))
    package = importlib.import_module(BUILTIN_PACKAGE)
    for mod in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not mod.ispkg or mod.name.startswith("_") or (only is not None and mod.name not in only):
            continue
        module = _import_builtin(mod.name)
        add(PluginInfo(_manifest_of(module, f"plugins/{mod.name}"), module, "built-in"))
    for modname in EXTRA_BUILTINS:
        if only is not None and "admin" not in only:
            continue
        module = importlib.import_module(modname)
        if hasattr(module, "manifest"):
            add(PluginInfo(_manifest_of(module, modname), module, "built-in"))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if only is not None and ep.name not in only:
            continue
        try:
            module = ep.load()
        except Exception as exc:
            raise ConfigError(f"plugin entry point {ep.name!r}: cannot be imported: {exc}") from exc
        dist = f"distribution {ep.dist.name} {ep.dist.version}" if ep.dist else "distribution"
        add(PluginInfo(_manifest_of(module, f"entry point {ep.name}"), module, dist))
    return found


def hookspecs_module(info: PluginInfo) -> ModuleType | None:
    """The plugin's hook specifications (``<package>.hookspecs`` unless the manifest names another), if it has any."""
    name = info.manifest.hookspecs or f"{info.module.__name__}.hookspecs"
    if name in sys.modules:
        return sys.modules[name]
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


def hooks_module(info: PluginInfo) -> ModuleType:
    """The plugin's hook implementations (``<package>.plugin`` unless the manifest names another)."""
    name = info.manifest.hooks or f"{info.module.__name__}.plugin"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise ConfigError(f"plugin {info.name!r}: hooks module {name} not found") from exc

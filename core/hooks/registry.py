"""The plugin registry: the enabled plugins with their settings and hooks, built once and made current."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

import msgspec
import pluggy

from core import i18n
from core.errors import ConfigError
from core.hooks import hookspecs
from core.hooks.config import PluginsFile, read_plugins_file, validate_settings
from core.hooks.discovery import PluginInfo, discover, hooks_module, hookspecs_module
from core.hooks.dispatch import HookDispatcher, calling_registry
from core.hooks.markers import PROJECT
from core.hooks.resolution import resolve
from core.manifest import redact
from core.permissions import Permission, collect
from core.settings import Settings, get_settings

S = TypeVar("S", bound=msgspec.Struct)


@dataclass
class LoadedPlugin:
    """An enabled plugin with its validated settings."""

    info: PluginInfo
    settings: msgspec.Struct | None

    @property
    def name(self) -> str:
        """The plugin's name."""
        return self.info.name


@dataclass
class Registry:
    """The loaded plugin set of this process: plugins in load order, the pluggy manager and the dispatcher."""

    plugins: list[LoadedPlugin]
    pm: pluggy.PluginManager
    hooks: HookDispatcher
    available: dict[str, PluginInfo]

    @property
    def names(self) -> list[str]:
        """Enabled plugin names in load order (core modules first)."""
        return [p.name for p in self.plugins]

    def get(self, name: str) -> LoadedPlugin:
        """Return an enabled plugin by name, or raise ``KeyError``."""
        for plugin in self.plugins:
            if plugin.name == name:
                return plugin
        raise KeyError(name)

    def is_enabled(self, name: str) -> bool:
        """Whether plugin ``name`` is enabled."""
        return any(p.name == name for p in self.plugins)

    def settings(self, settings_type: type[S]) -> S:
        """The settings of the enabled plugin whose manifest declares ``settings_type`` (see ``plugin_settings``)."""
        for plugin in self.plugins:
            if plugin.info.manifest.settings is settings_type and isinstance(plugin.settings, settings_type):
                return plugin.settings
        raise LookupError(f"no enabled plugin declares the settings class {settings_type.__qualname__}")

    def permissions(self) -> dict[str, Permission]:
        """The permission registry: every ``Permission`` declared by the enabled plugins, by name."""
        return collect(self.hooks.collect(hookspecs.register_permissions))

    def redacted_settings(self, name: str) -> dict[str, Any]:
        """Return a plugin's settings with secrets masked (for printing and the admin panel)."""
        return redact(self.get(name).settings)


def build(
    plugins_file: PluginsFile,
    available: Mapping[str, PluginInfo] | None = None,
    enabled: Iterable[str] | None = None,
) -> Registry:
    """Resolve, validate and register the enabled plugins; return the process's :class:`Registry`."""
    available = dict(available if available is not None else discover())
    ordered = resolve(available, plugins_file.enabled if enabled is None else enabled)
    unknown_settings = set(plugins_file.settings) - set(available)
    if unknown_settings:
        raise ConfigError(f"plugin {sorted(unknown_settings)[0]!r}: settings given for an unknown plugin")
    loaded = [LoadedPlugin(i, validate_settings(i, plugins_file.settings.get(i.name, {}))) for i in ordered]
    for info in ordered:  # each plugin's gettext catalogue (its package's locale/), merged per language
        i18n.register_package(info.module)
    pm = _plugin_manager(loaded)
    _check_hook_order(pm, plugins_file.hook_order, available)
    registry = Registry(loaded, pm, HookDispatcher(pm, plugins_file.hook_order), available)
    registry.hooks.owner = registry
    _check_schemas(registry)
    return registry


def _plugin_manager(loaded: list[LoadedPlugin]) -> pluggy.PluginManager:
    """A pluggy manager with every spec (core's, then each plugin's) and every implementation, checked."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    hook_modules: list[tuple[str, ModuleType]] = []
    for plugin in loaded:
        specs = hookspecs_module(plugin.info)
        if specs is not None:
            pm.add_hookspecs(specs)
        hook_modules.append((plugin.name, hooks_module(plugin.info)))
    # pluggy calls the last registered first; register in reverse load order so dependencies are called first.
    for name, module in reversed(hook_modules):
        try:
            pm.register(module, name=name)
        except pluggy.PluginValidationError as exc:
            raise ConfigError(f"plugin {name!r}: invalid hook implementation: {_one_line(exc)}") from exc
        for impl_list in pm.get_hookcallers(module) or []:
            for impl in impl_list.get_hookimpls():
                if impl.plugin_name == name and impl.hookwrapper:
                    raise ConfigError(f"plugin {name!r}: old-style hookwrapper in {impl_list.name}; use wrapper=True")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise ConfigError(f"plugin {pm.get_name(exc.plugin)!r}: {_one_line(exc)}") from exc
    return pm


def _check_hook_order(pm: pluggy.PluginManager, order: Mapping[str, list[str]],
                      available: Mapping[str, PluginInfo]) -> None:
    for hook, plugins in order.items():
        if not hasattr(pm.hook, hook):
            raise ConfigError(f"plugins.toml [hooks.order]: unknown hook {hook!r}")
        for p in plugins:
            if p not in available:
                raise ConfigError(f"plugins.toml [hooks.order] {hook}: unknown plugin {p!r}")


def _one_line(exc: Exception) -> str:
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def _check_schemas(registry: Registry) -> None:
    """Each plugin's tables live in the PostgreSQL schema named after it: ownership visible in the database."""
    for name, app in registry.hooks.collect(hookspecs.register_piccolo_app):
        for table in app.table_classes:
            if table._meta.schema != name:
                raise ConfigError(
                    f"plugin {name!r}: table {table.__name__} must be in schema {name!r}, not {table._meta.schema!r}"
                )


_current: Registry | None = None


def load(settings: Settings | None = None, enabled: Iterable[str] | None = None) -> Registry:
    """Load the plugin set from the settings' ``plugins.toml`` (or an explicit ``enabled`` list) and make it current."""
    settings = settings or get_settings()
    registry = build(read_plugins_file(settings.plugins_path), enabled=enabled)
    activate(registry)
    return registry


def activate(registry: Registry) -> None:
    """Make ``registry`` the process's current plugin set (used by :func:`current` and the hook calls)."""
    global _current
    _current = registry


def current() -> Registry:
    """Return the current plugin set: the one calling a hook right now, else the process's (loaded on first use)."""
    calling = calling_registry.get()
    if calling is not None:
        return calling  # type: ignore[no-any-return]
    if _current is None:
        return load()
    return _current

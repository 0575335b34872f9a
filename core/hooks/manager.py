"""Plugin loading: discover (built-in + entry points), resolve (plugins.toml, depends, versions), register hooks."""

from __future__ import annotations

import heapq
import importlib
import importlib.util
import logging
import os
import pkgutil
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import msgspec
import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

import core
from core.errors import ConfigError
from core.hooks import PROJECT, hookspecs
from core.hooks.dispatch import HookDispatcher, calling_registry
from core.manifest import Manifest, redact, secret_fields

log = logging.getLogger("core.plugins")
S = TypeVar("S", bound=msgspec.Struct)

ENTRY_POINT_GROUP = "sbor.plugins"
BUILTIN_PACKAGE = "plugins"
# Core's own areas are shaped like plugins and registered through the same hooks (no back door); always enabled.
CORE_MODULES: tuple[str, ...] = ("core.users", "core.auth")
# Top-level packages that are plugins in all but location (the admin panel lives in admin_ui/, named "admin").
EXTRA_BUILTINS: tuple[str, ...] = ("admin_ui",)


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


@dataclass
class PluginsFile:
    """What the operator wrote in ``plugins.toml``."""

    enabled: list[str] = field(default_factory=list)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    hook_order: dict[str, list[str]] = field(default_factory=dict)


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

    def permissions(self) -> dict[str, Any]:
        """The permission registry: every ``Permission`` declared by the enabled plugins, by name."""
        from core.permissions import collect

        return collect(self.hooks.collect(hookspecs.register_permissions))

    def redacted_settings(self, name: str) -> dict[str, Any]:
        """Return a plugin's settings with secrets masked (for printing and the admin panel)."""
        return redact(self.get(name).settings)


# ---------------------------------------------------------------------------------------------------------------------
# plugins.toml
# ---------------------------------------------------------------------------------------------------------------------


def read_plugins_file(path: Path) -> PluginsFile:
    """Parse ``plugins.toml``: ``enabled = [...]``, ``[settings.<plugin>]``, ``[hooks.order]``."""
    if not path.exists():
        raise ConfigError(f"{path}: plugins file not found")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    unknown = set(data) - {"enabled", "settings", "hooks"}
    if unknown:
        raise ConfigError(f"{path}: unknown key {sorted(unknown)[0]!r} (expected enabled, settings, hooks)")
    try:
        return msgspec.convert(
            {
                "enabled": data.get("enabled", []),
                "settings": data.get("settings", {}),
                "hook_order": data.get("hooks", {}).get("order", {}),
            },
            PluginsFile,
        )
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def write_enabled(path: Path, enabled: Iterable[str]) -> None:
    """Rewrite the ``enabled = [...]`` list of ``plugins.toml``, keeping comments and other tables."""
    text = path.read_text()
    line = "enabled = [" + ", ".join(f'"{n}"' for n in enabled) + "]"
    new, count = re.subn(r"(?ms)^enabled\s*=\s*\[.*?\]", line, text, count=1)
    path.write_text(new if count else line + "\n" + text)


# ---------------------------------------------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------------------------------------------


def _manifest_of(module: ModuleType, where: str) -> Manifest:
    manifest = getattr(module, "manifest", None)
    if not isinstance(manifest, Manifest):
        raise ConfigError(f"{where}: package {module.__name__} has no `manifest = Manifest(...)`")
    return manifest


# Development and tests may restrict discovery to some plugins, to work on one while another is mid-edit:
# SBOR_TEST_PLUGINS=events,notify (core's own modules are always found; "none" means no optional plugin).
DISCOVERY_FILTER: set[str] | None = (
    {p.strip() for p in os.environ["SBOR_TEST_PLUGINS"].split(",") if p.strip()}
    if os.environ.get("SBOR_TEST_PLUGINS")
    else None
)


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
        try:
            module = importlib.import_module(f"{BUILTIN_PACKAGE}.{mod.name}")
        except Exception as exc:
            raise ConfigError(f"plugin {mod.name!r}: cannot be imported: {type(exc).__name__}: {exc}") from exc
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


# ---------------------------------------------------------------------------------------------------------------------
# Resolution
# ---------------------------------------------------------------------------------------------------------------------


def _check_version(owner: str, what: str, version: str, spec: str) -> None:
    try:
        ok = Version(version) in SpecifierSet(spec)
    except (InvalidSpecifier, InvalidVersion) as exc:
        raise ConfigError(f"plugin {owner!r}: invalid version range for {what}: {exc}") from exc
    if not ok:
        raise ConfigError(f"plugin {owner!r}: needs {what} {spec}, but {version} is installed")


def resolve(available: Mapping[str, PluginInfo], enabled: Iterable[str]) -> list[PluginInfo]:
    """Return the enabled plugins (core modules first) in dependency order, ties broken by name.

    Unknown names, missing dependencies, incompatible versions and cycles raise :class:`ConfigError`.
    """
    wanted = [n for n, i in available.items() if i.source == "core"]
    for name in enabled:
        if name not in available:
            raise ConfigError(f"plugin {name!r}: unknown (not in plugins/ nor in any installed distribution)")
        if name not in wanted:
            wanted.append(name)
    chosen = {n: available[n] for n in wanted}
    for name, info in chosen.items():
        _check_version(name, "core", core.__version__, info.manifest.core)
        for dep, spec in info.manifest.depends.items():
            if dep not in chosen:
                hint = "not installed" if dep not in available else "not enabled"
                raise ConfigError(f"plugin {name!r}: depends on {dep!r}, which is {hint}")
            _check_version(name, f"plugin {dep!r}", chosen[dep].manifest.version, spec)
    # Kahn's algorithm with a name-ordered heap: deterministic, core modules before plugins.
    deps = {n: set(i.manifest.depends) for n, i in chosen.items()}
    core_first = {n: (0 if chosen[n].source == "core" else 1) for n in chosen}
    ready = [(core_first[n], n) for n, d in deps.items() if not d]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for other, d in deps.items():
            if name in d:
                d.discard(name)
                if not d:
                    heapq.heappush(ready, (core_first[other], other))
    if len(order) != len(chosen):
        cyclic = sorted(set(chosen) - set(order))
        raise ConfigError(f"plugin {cyclic[0]!r}: dependency cycle among {', '.join(cyclic)}")
    return [chosen[n] for n in order]


def with_dependencies(available: Mapping[str, PluginInfo], names: Iterable[str]) -> list[str]:
    """Return ``names`` plus everything they depend on, transitively (for ``plugins enable``)."""
    out: list[str] = []

    def visit(name: str) -> None:
        if name in out:
            return
        if name not in available:
            raise ConfigError(f"plugin {name!r}: unknown (not in plugins/ nor in any installed distribution)")
        for dep in available[name].manifest.depends:
            visit(dep)
        out.append(name)

    for n in names:
        visit(n)
    return out


def validate_settings(info: PluginInfo, raw: dict[str, Any]) -> msgspec.Struct | None:
    """Validate a plugin's settings from ``plugins.toml`` and ``SBOR_PLUGINS__<NAME>__<KEY>`` variables."""
    prefix = f"SBOR_PLUGINS__{info.name.upper()}__"
    raw = dict(raw)
    for key, value in os.environ.items():
        if key.startswith(prefix):
            raw[key[len(prefix) :].lower()] = value
    schema = info.manifest.settings
    if info.manifest.public_settings:
        known = {f.name for f in msgspec.structs.fields(schema)} if schema is not None else set()
        leaked = set(info.manifest.public_settings) & secret_fields(schema)
        if set(info.manifest.public_settings) - known:
            missing = sorted(set(info.manifest.public_settings) - known)[0]
            raise ConfigError(f"plugin {info.name!r}: public setting {missing!r} is not a setting")
        if leaked:
            raise ConfigError(f"plugin {info.name!r}: setting {sorted(leaked)[0]!r} is secret and cannot be public")
    if schema is None:
        if raw:
            raise ConfigError(f"plugin {info.name!r}: invalid settings: this plugin takes no settings")
        return None
    try:
        return msgspec.convert(raw, schema, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"plugin {info.name!r}: invalid settings: {exc}") from exc


# ---------------------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------------------


def _optional_module(name: str) -> ModuleType | None:
    import sys

    if name in sys.modules:
        return sys.modules[name]
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


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

    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    hook_modules: list[tuple[str, ModuleType]] = []
    for plugin in loaded:
        pkg = plugin.info.module.__name__
        specs_name = plugin.info.manifest.hookspecs or f"{pkg}.hookspecs"
        specs = _optional_module(specs_name)
        if specs is not None:
            pm.add_hookspecs(specs)
        hooks_name = plugin.info.manifest.hooks or f"{pkg}.plugin"
        try:
            hook_modules.append((plugin.name, importlib.import_module(hooks_name)))
        except ModuleNotFoundError as exc:
            if exc.name != hooks_name:
                raise
            raise ConfigError(f"plugin {plugin.name!r}: hooks module {hooks_name} not found") from exc
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
    for hook, plugins in plugins_file.hook_order.items():
        if not hasattr(pm.hook, hook):
            raise ConfigError(f"plugins.toml [hooks.order]: unknown hook {hook!r}")
        for p in plugins:
            if p not in available:
                raise ConfigError(f"plugins.toml [hooks.order] {hook}: unknown plugin {p!r}")
    registry = Registry(loaded, pm, HookDispatcher(pm, plugins_file.hook_order), available)
    registry.hooks.owner = registry
    _check_schemas(registry)
    return registry


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


def load(settings: Any = None, enabled: Iterable[str] | None = None) -> Registry:
    """Load the plugin set from the settings' ``plugins.toml`` (or an explicit ``enabled`` list) and make it current."""
    from core.settings import get_settings

    settings = settings or get_settings()
    registry = build(read_plugins_file(settings.plugins_path), enabled=enabled)
    activate(registry)
    return registry


def activate(registry: Registry) -> None:
    """Make ``registry`` the process's current plugin set (used by :func:`current` and :func:`call`)."""
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


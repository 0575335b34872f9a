"""Plugin resolution: which plugins run, in what order (dependencies first), with compatible versions."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from graphlib import CycleError, TopologicalSorter

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

import core
from core.errors import ConfigError
from core.hooks.discovery import PluginInfo


def _check_version(owner: str, what: str, version: str, spec: str) -> None:
    try:
        ok = Version(version) in SpecifierSet(spec)
    except (InvalidSpecifier, InvalidVersion) as exc:
        raise ConfigError(f"plugin {owner!r}: invalid version range for {what}: {exc}") from exc
    if not ok:
        raise ConfigError(f"plugin {owner!r}: needs {what} {spec}, but {version} is installed")


def _unknown(name: str) -> ConfigError:
    return ConfigError(f"plugin {name!r}: unknown (not in plugins/ nor in any installed distribution)")


def resolve(available: Mapping[str, PluginInfo], enabled: Iterable[str]) -> list[PluginInfo]:
    """Return the enabled plugins (core modules first) in dependency order, ties broken by name.

    Unknown names, missing dependencies, incompatible versions and cycles raise :class:`ConfigError`.
    """
    wanted = [n for n, i in available.items() if i.source == "core"]
    for name in enabled:
        if name not in available:
            raise _unknown(name)
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
    return [chosen[n] for n in _dependency_order(chosen)]


def _dependency_order(chosen: Mapping[str, PluginInfo]) -> list[str]:
    """Dependencies before dependents; among the plugins ready at each step, core modules first, then by name."""
    sorter = TopologicalSorter({n: sorted(i.manifest.depends) for n, i in chosen.items()})
    try:
        sorter.prepare()
    except CycleError as exc:
        cyclic = sorted(set(exc.args[1]))
        raise ConfigError(f"plugin {cyclic[0]!r}: dependency cycle among {', '.join(cyclic)}") from exc
    rank = {n: (0 if i.source == "core" else 1, n) for n, i in chosen.items()}
    ready: list[tuple[int, str]] = []
    order: list[str] = []
    while sorter.is_active():
        for name in sorter.get_ready():
            heapq.heappush(ready, rank[name])
        _, name = heapq.heappop(ready)
        order.append(name)
        sorter.done(name)
    return order


def with_dependencies(available: Mapping[str, PluginInfo], names: Iterable[str]) -> list[str]:
    """Return ``names`` plus everything they depend on, transitively (for ``plugins enable``)."""
    out: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in out:
            return
        if name not in available:
            raise _unknown(name)
        if name in visiting:
            cyclic = sorted(visiting[visiting.index(name):])
            raise ConfigError(f"plugin {cyclic[0]!r}: dependency cycle among {', '.join(cyclic)}")
        visiting.append(name)
        for dep in available[name].manifest.depends:
            visit(dep)
        visiting.pop()
        out.append(name)

    for n in names:
        visit(n)
    return out

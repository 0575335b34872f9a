"""Build throwaway plugins in memory for loader and dispatcher tests."""

from __future__ import annotations

import sys
import types
from typing import Any

from core.hooks.manager import PluginInfo
from core.manifest import Manifest


def fake_plugin(name: str, *, version: str = "1.0", depends: dict[str, str] | None = None, core: str = ">=0.1,<1",
                settings: Any = None, hooks: dict[str, Any] | None = None, source: str = "built-in") -> PluginInfo:
    """A plugin whose package and hooks module exist only in ``sys.modules``."""
    pkg_name = f"_fake_plugins.{name}"
    pkg = types.ModuleType(pkg_name)
    pkg.__path__ = []  # a package, so find_spec of <pkg>.hookspecs answers "none"
    hooks_mod = types.ModuleType(f"{pkg_name}.plugin")
    for hook_name, fn in (hooks or {}).items():
        setattr(hooks_mod, hook_name, fn)
    sys.modules.setdefault("_fake_plugins", types.ModuleType("_fake_plugins")).__path__ = []  # type: ignore[attr-defined]
    sys.modules[pkg_name] = pkg
    sys.modules[f"{pkg_name}.plugin"] = hooks_mod
    manifest = Manifest(name=name, version=version, depends=depends or {}, core=core, settings=settings)
    pkg.manifest = manifest  # type: ignore[attr-defined]
    return PluginInfo(manifest, pkg, source)


def available(*infos: PluginInfo) -> dict[str, PluginInfo]:
    """A discovery result made of core's real modules plus the given fakes."""
    from core.hooks.manager import CORE_MODULES, discover  # noqa: F401

    real = {n: i for n, i in discover().items() if i.source == "core"}
    return {**real, **{i.name: i for i in infos}}

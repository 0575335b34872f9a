"""The reportable types the enabled plugins declare (``register_reportable_types``), by name."""

from __future__ import annotations

from core.errors import ConfigError, ValidationFailed
from core.hooks import hookspecs
from core.hooks.registry import Registry, current
from core.reports.types import ReportableType


def reportable_types(registry: Registry | None = None) -> dict[str, ReportableType]:
    """Every type, by name; a type named after another plugin (core's ``users.user`` aside) or twice stops start-up."""
    table: dict[str, ReportableType] = {}
    for plugin, kind in (registry or current()).hooks.collect(hookspecs.register_reportable_types):
        if not isinstance(kind, ReportableType):
            raise ConfigError(f"plugin {plugin!r}: register_reportable_types returned {kind!r}")
        if kind.name.partition(".")[0] != plugin and plugin != "reports":
            raise ConfigError(f"plugin {plugin!r}: reportable type {kind.name!r} must be named '{plugin}.<thing>'")
        if kind.name in table:
            raise ConfigError(f"plugin {plugin!r}: reportable type {kind.name!r} is declared twice")
        table[kind.name] = kind
    return table


def reportable(name: str) -> ReportableType:
    """The type called ``name``; 422 ``unknown_target_type`` otherwise."""
    kind = reportable_types().get(name)
    if kind is None:
        raise ValidationFailed("This kind of thing cannot be reported", code="unknown_target_type",
                               errors=[{"pointer": "/target_type", "detail": "unknown type"}])
    return kind

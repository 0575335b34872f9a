"""The operator's plugin configuration: ``plugins.toml`` read and rewritten, each plugin's settings validated."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import tomlkit
from tomlkit.items import Array

from core.errors import ConfigError
from core.hooks.discovery import PluginInfo
from core.manifest import secret_fields


@dataclass
class PluginsFile:
    """What the operator wrote in ``plugins.toml``."""

    enabled: list[str] = field(default_factory=list)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    hook_order: dict[str, list[str]] = field(default_factory=dict)


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
    """Rewrite the ``enabled = [...]`` list of ``plugins.toml``, keeping comments, layout and other tables."""
    wanted = list(dict.fromkeys(enabled))
    doc = tomlkit.parse(path.read_text())
    current = doc.get("enabled")
    if isinstance(current, Array):
        # Edit the list in place, so the operator's layout and the comments beside the names that stay are kept.
        for i in reversed(range(len(current))):
            if current[i] not in wanted:
                del current[i]
        for name in wanted:
            if name not in current:
                current.append(name)
        if list(current) == wanted:
            path.write_text(tomlkit.dumps(doc))
            return
    doc["enabled"] = wanted  # absent, not a list, or reordered: a fresh list (tomlkit puts it before the tables)
    path.write_text(tomlkit.dumps(doc))


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

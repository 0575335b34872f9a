"""Greetings: the minimal example plugin (a table, a route, a permission, a job and a hook)."""

from __future__ import annotations

import msgspec

from core.manifest import Manifest, Secret


class HelloSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the hello plugin, from ``[settings.hello]`` in plugins.toml."""

    greeting: str = "Hello"
    max_length: int = 80
    api_token: Secret = ""
    retention_days: int = 30


manifest = Manifest(
    name="hello",
    version="0.1.0",
    summary="Greetings: the example plugin",
    core=">=0.1,<1",
    settings=HelloSettings,
    public_settings=("greeting",),
)

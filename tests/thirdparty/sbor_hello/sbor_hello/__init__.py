"""Greetings: the example plugin (a paginated list, typed settings, a hook, a notification, a real-time room, a job)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from core.manifest import Manifest, Secret


class HelloSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the hello plugin, from ``[settings.hello]`` in plugins.toml (checked at start-up).

    Read them with ``core.hooks.plugin_settings(HelloSettings)``: typed as this class, never ``Any``. Constraints
    (``msgspec.Meta``) are checked at start-up too: a bad value stops the app with the key's path.
    """

    greeting: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "Hello"
    max_length: Annotated[int, msgspec.Meta(ge=1, le=80)] = 80  # the longest name accepted (the column holds 80)
    api_token: Secret = ""  # never printed: not by `plugins list`, not in logs, not in the admin panel
    retention_days: Annotated[int, msgspec.Meta(ge=1)] = 30


manifest = Manifest(
    name="hello",
    version="0.1.0",
    summary="Greetings: the example plugin",
    depends={},  # e.g. {"events": ">=0.1,<1"}: loaded after it; then its `api` and `hookspecs` may be imported
    core=">=0.1,<1",
    settings=HelloSettings,
    public_settings=("greeting",),  # shown to the mobile app by GET /api/v1/capabilities
)

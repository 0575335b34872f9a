"""The plugin manifest: what a plugin declares about itself in its package ``__init__``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import msgspec


class SecretMarker:
    """Marks a settings field as secret: never printed by the CLI, in logs or in the admin panel."""

    def __repr__(self) -> str:
        return "Secret"


SECRET = SecretMarker()
Secret = Annotated[str, SECRET]
"""Use as the type of a secret settings field: ``api_key: Secret = ""``."""

REDACTED = "********"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Manifest:
    """What a plugin is and needs.

    ``depends`` maps plugin names to PEP 440 version ranges (``{"events": ">=0.1,<1"}``); ``core`` is the range of
    core versions the plugin works with; ``settings`` is a ``msgspec.Struct`` validated at start-up from
    ``plugins.toml``; ``public_settings`` names the settings the mobile app may read through ``/capabilities``.
    ``hooks`` is the module holding the ``@hookimpl`` functions (default ``<package>.plugin``); ``hookspecs`` a module
    of hook specifications the plugin offers to others (default ``<package>.hookspecs`` when it exists).
    """

    name: str
    version: str
    summary: str = ""
    depends: Mapping[str, str] = field(default_factory=dict)
    core: str = ">=0.1,<1"
    settings: type[msgspec.Struct] | None = None
    public_settings: tuple[str, ...] = ()
    hooks: str | None = None
    hookspecs: str | None = None

    def __post_init__(self) -> None:
        # The name becomes a PostgreSQL schema, a URL prefix and a job prefix: keep it a plain identifier.
        if not NAME.match(self.name):
            raise ValueError(f"plugin name {self.name!r} must match {NAME.pattern}")


def secret_fields(settings_type: type[msgspec.Struct] | None) -> set[str]:
    """Return the names of the fields declared ``Secret`` on a settings struct."""
    if settings_type is None:
        return set()
    hints = get_type_hints(settings_type, include_extras=True)
    return {name for name, hint in hints.items() if _is_secret(hint)}


def _is_secret(hint: Any) -> bool:
    """``Secret``, ``Secret | None`` and ``Annotated[..., SECRET]`` all count."""
    if get_origin(hint) is Annotated:
        return any(isinstance(a, SecretMarker) for a in get_args(hint)[1:])
    return any(_is_secret(arg) for arg in get_args(hint))


def redact(settings: msgspec.Struct | None) -> dict[str, Any]:
    """Return a plugin's settings as a dict with every secret field replaced by ``********``."""
    if settings is None:
        return {}
    data: dict[str, Any] = msgspec.to_builtins(settings)
    for name in secret_fields(type(settings)):
        if data.get(name):
            data[name] = REDACTED
    return data

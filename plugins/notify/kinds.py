"""The notification kinds of the enabled plugins (``register_notification_kinds``) and their channel order."""

from __future__ import annotations

import weakref

import pluggy

from core.hooks import plugin_settings
from core.hooks.manager import Registry, current
from core.notifications import NotificationKind, kinds
from plugins.notify import NotifySettings

VERIFICATION = NotificationKind(
    "notify.verification", label="Verification codes", channels=("sms", "email"), critical=True, inbox=False,
    description="One-time codes to confirm an account, sign in on a new device or reset a password.")
"""notify's own kind: codes sent through core's ``send_verification`` hook (to the address auth names)."""

# One table per plugin set, gone with it (tests build many registries). Keyed by its plugin manager: a Registry is a
# dataclass compared by value, so it is not hashable; its manager is compared by identity and lives as long.
_tables: weakref.WeakKeyDictionary[pluggy.PluginManager, dict[str, NotificationKind]] = weakref.WeakKeyDictionary()


def declared(registry: Registry | None = None) -> dict[str, NotificationKind]:
    """Every kind the enabled plugins declare, by name (collected and checked once per plugin set).

    Raises ``ConfigError`` naming the plugin for a misnamed, too long or twice-declared kind (see ``kinds``).
    """
    registry = registry or current()
    table = _tables.get(registry.pm)
    if table is None:
        table = _tables[registry.pm] = kinds(registry)
    return table


def channel_order(kind: NotificationKind) -> list[str]:
    """The channels to try for ``kind``: the operator's ``[settings.notify] fallback`` for it, else its own."""
    return list(plugin_settings(NotifySettings).fallback.get(kind.name) or kind.channels)

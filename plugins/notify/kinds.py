"""The notification kinds of the enabled plugins (``register_notification_kinds``) and their channel order."""

from __future__ import annotations

from core.hooks import plugin_settings
from core.hooks.manager import current
from core.notifications import NotificationKind, kinds
from plugins.notify import NotifySettings

VERIFICATION = NotificationKind(
    "notify.verification", label="Verification codes", channels=("sms", "email"), critical=True, inbox=False,
    description="One-time codes to confirm an account, sign in on a new device or reset a password.")
"""notify's own kind: codes sent through core's ``send_verification`` hook (to the address auth names)."""

_cache: dict[int, tuple[object, dict[str, NotificationKind]]] = {}


def declared() -> dict[str, NotificationKind]:
    """Every kind the enabled plugins declare, by name (collected once per plugin set)."""
    registry = current()
    cached = _cache.get(id(registry))
    if cached is None or cached[0] is not registry:  # the registry is held, so its id is not reused meanwhile
        cached = _cache[id(registry)] = (registry, kinds())
    return cached[1]


def channel_order(kind: NotificationKind) -> list[str]:
    """The channels to try for ``kind``: the operator's ``[settings.notify] fallback`` for it, else its own."""
    return list(plugin_settings(NotifySettings).fallback.get(kind.name) or kind.channels)

"""Hooks notify offers to other plugins: third parties add delivery channels (an SMS provider, a chat app…)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.hooks import hookspec

if TYPE_CHECKING:
    from plugins.notify.channels.base import Channel


@hookspec
def register_notify_channels() -> list[Channel]:
    """Return delivery channels (objects following :class:`plugins.notify.channels.base.Channel`).

    Called once per process when notify builds its channel table (first delivery). Channels are keyed by ``name``;
    a plugin loaded later (one that depends on notify) replaces a built-in of the same name, so
    ``register_notify_channels() -> [MySmsGateway()]`` with ``name = "sms"`` swaps the SMS provider. A new name
    (``"telegram"``) becomes usable in ``[settings.notify] channels`` and ``fallback``. Errors stop the worker.

    Example::

        class TelegramChannel:
            name = "telegram"
            def available_for(self, message): return bool(message.data.get("telegram_chat"))
            async def send(self, message): ...  # -> SendResult("sent", provider_id=...)
            async def close(self): ...
    """

"""The ``log`` channel for local development: every message goes to the ``plugins.notify.log`` logger."""

from __future__ import annotations

import logging

from plugins.notify.channels.base import Message, SendResult

log = logging.getLogger("plugins.notify.log")


class LogChannel:
    """Writes the message to the log and counts it as delivered."""

    name = "log"

    def available_for(self, message: Message) -> bool:
        return True

    async def send(self, message: Message) -> SendResult:
        log.info("notification %s to user %s [%s, %s]: %s | %s", message.notification_id, message.user_id,
                 message.kind, message.language, message.subject, message.short)
        return SendResult("sent", provider_id=message.idempotency_key, destination=f"user {message.user_id}")

    async def close(self) -> None:
        return None

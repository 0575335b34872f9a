"""The ``log`` channel for local development: every message goes to the ``plugins.notify.log`` logger."""

from __future__ import annotations

import logging

from core.auth.identifiers import mask
from plugins.notify.channels.base import Message, SendResult
from plugins.notify.kinds import VERIFICATION

log = logging.getLogger("plugins.notify.log")


class LogChannel:
    """Writes the message to the log and counts it as delivered."""

    name = "log"

    def available_for(self, message: Message) -> bool:
        return True

    async def send(self, message: Message) -> SendResult:
        if message.kind == VERIFICATION.name:  # the line docs/auth.md documents, whatever else is configured
            destination = message.email if message.data.get("channel") == "email" else message.phone
            log.warning("verification code for user %s (%s via %s to %s): %s", message.user_id,
                        message.data.get("purpose"), message.data.get("channel"), mask(destination or ""),
                        message.data.get("code"))
        log.info("notification %s to user %s [%s, %s]: %s | %s", message.notification_id, message.user_id,
                 message.kind, message.language, message.subject, message.short)
        return SendResult("sent", provider_id=message.idempotency_key, destination=f"user {message.user_id}")

    async def close(self) -> None:
        return None

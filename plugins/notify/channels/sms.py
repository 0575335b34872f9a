"""SMS through Twilio's Programmable Messaging REST API (``POST /2010-04-01/Accounts/{Sid}/Messages.json``).

The contract (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource): a form POST
with ``To``, ``From`` and ``Body``, HTTP basic auth ``AccountSid:AuthToken``; ``201 Created`` with a JSON message
resource (``sid``, ``status``); errors are JSON ``{"code": 21211, "message": "...", "status": 400}``. Any gateway
speaking the same contract works by pointing ``sms_url`` at it.
"""

from __future__ import annotations

import httpx

from plugins.notify import NotifySettings
from plugins.notify.channels.base import Message, Outcome, SendResult, describe, json_object

RETRY_STATUSES = {408, 429, 500, 502, 503, 504}


class TwilioSmsChannel:
    """SMS with the short text of the message; 4xx other than 408/429 rejects the channel (falls back)."""

    name = "sms"

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.client = httpx.AsyncClient(timeout=settings.http_timeout_s)

    def available_for(self, message: Message) -> bool:
        return bool(message.phone) and bool(self.settings.sms_account_sid)

    def url(self) -> str:
        return f"{self.settings.sms_url.rstrip('/')}/2010-04-01/Accounts/{self.settings.sms_account_sid}/Messages.json"

    async def send(self, message: Message) -> SendResult:
        if not message.phone:
            return SendResult("rejected", "no phone number")
        s = self.settings
        try:
            r = await self.client.post(
                self.url(),
                auth=(s.sms_account_sid, s.sms_auth_token),
                data={"To": message.phone, "From": s.sms_from, "Body": message.short[:1600]},
            )
        except httpx.HTTPError as exc:
            return SendResult("retry", describe(exc), destination=message.phone)
        if r.status_code in (200, 201):
            return SendResult("sent", provider_id=str(json_object(r).get("sid", "")), destination=message.phone)
        body = json_object(r)
        error = f"HTTP {r.status_code} {body.get('code', '')} {body.get('message', r.text[:200])}".strip()
        outcome: Outcome = "retry" if r.status_code in RETRY_STATUSES or r.status_code in (401, 403) else "rejected"
        return SendResult(outcome, error, destination=message.phone)

    async def close(self) -> None:
        await self.client.aclose()


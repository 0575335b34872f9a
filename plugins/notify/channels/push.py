"""Push: Firebase Cloud Messaging HTTP v1 (OAuth2 service-account JWT, RS256) and APNs (provider JWT, ES256, HTTP/2).

FCM (https://firebase.google.com/docs/cloud-messaging/send-message): ``POST {fcm_url}/v1/projects/{id}/messages:send``
with ``Authorization: Bearer <OAuth token>``; the token comes from ``POST {token_url}`` with
``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and a JWT assertion signed by the service account's key
(RFC 7523). An unregistered token answers 404 ``errorCode: UNREGISTERED``.

APNs (https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns):
``POST {apns_url}/3/device/{token}`` over HTTP/2 with ``authorization: bearer <JWT>`` (ES256, ``kid`` = key id,
``iss`` = team id), ``apns-topic``, ``apns-push-type``, ``apns-priority``, ``apns-id``. 400 ``BadDeviceToken`` and
410 ``Unregistered`` mean the token is dead.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import httpx
import jwt

from core import clock
from plugins.notify import NotifySettings
from plugins.notify.channels.base import Device, Message, Outcome, SendResult, describe, json_object

log = logging.getLogger("plugins.notify.push")

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
APNS_DEAD_TOKEN = {"BadDeviceToken", "Unregistered", "DeviceTokenNotForTopic", "ExpiredToken"}
APNS_BAD_JWT = {"ExpiredProviderToken", "InvalidProviderToken", "MissingProviderToken"}


class FcmProvider:
    """Sends to Android (and FCM-registered iOS) devices."""

    def __init__(self, settings: NotifySettings, client: httpx.AsyncClient) -> None:
        self.s = settings
        self.client = client
        self._token: tuple[str, float] | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def configured(self) -> bool:
        return bool(self.s.fcm_project_id and self.s.fcm_client_email and self.s.fcm_private_key)

    def assertion(self) -> str:
        """The service account's signed JWT (RFC 7523) exchanged for an OAuth access token."""
        now = int(clock.timestamp())
        claims = {"iss": self.s.fcm_client_email, "scope": FCM_SCOPE, "aud": self.s.fcm_token_url,
                  "iat": now, "exp": now + 3600}
        return jwt.encode(claims, self.s.fcm_private_key, algorithm="RS256")

    async def access_token(self) -> str:
        # Cached until a minute before expiry (Google rate-limits the token endpoint); one refresh at a time.
        if self._token and self._token[1] > time.monotonic() + 60:
            return self._token[0]
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._token and self._token[1] > time.monotonic() + 60:
                return self._token[0]
            return await self._fetch_token()

    async def _fetch_token(self) -> str:
        r = await self.client.post(self.s.fcm_token_url, data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": self.assertion()})
        r.raise_for_status()
        body = r.json()
        self._token = (body["access_token"], time.monotonic() + float(body.get("expires_in", 3600)))
        return self._token[0]

    def request_body(self, device: Device, message: Message) -> dict[str, Any]:
        return {"message": {
            "token": device.token,
            "notification": {"title": message.subject, "body": message.short},
            "data": {**message.data, "notification_id": str(message.notification_id), "kind": message.kind},
            "android": {"priority": "high" if message.urgent else "normal"},
        }}

    async def send(self, device: Device, message: Message) -> SendResult:
        url = f"{self.s.fcm_url.rstrip('/')}/v1/projects/{self.s.fcm_project_id}/messages:send"
        try:
            for attempt in (1, 2):
                token = await self.access_token()
                r = await self.client.post(url, json=self.request_body(device, message),
                                           headers={"Authorization": f"Bearer {token}"})
                if r.status_code == 401 and attempt == 1:
                    self._token = None  # revoked or expired early: fetch a new one once
                    continue
                break
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            return SendResult("retry", describe(exc))
        if r.status_code == 200:
            return SendResult("sent", provider_id=str(json_object(r).get("name", "")))
        error = json_object(r).get("error", {}) if isinstance(json_object(r).get("error"), dict) else {}
        codes = {d.get("errorCode") for d in error.get("details", []) if isinstance(d, dict)}
        text = f"FCM HTTP {r.status_code} {error.get('status', '')} {error.get('message', '')}".strip()
        if "UNREGISTERED" in codes or (r.status_code == 400 and "registration token" in str(error.get("message"))):
            return SendResult("rejected", text, invalid_tokens=[device.token])
        if r.status_code in RETRY_STATUSES or codes & {"UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED"}:
            return SendResult("retry", text)
        return SendResult("rejected", text)


class ApnsProvider:
    """Sends to iOS devices over HTTP/2 with a token-based provider JWT (refreshed every 50 minutes)."""

    def __init__(self, settings: NotifySettings, client: httpx.AsyncClient) -> None:
        self.s = settings
        self.client = client
        self._jwt: tuple[str, float] | None = None

    @property
    def configured(self) -> bool:
        return bool(self.s.apns_team_id and self.s.apns_key_id and self.s.apns_private_key and self.s.apns_topic)

    def provider_token(self) -> str:
        # Apple refuses tokens older than an hour and throttles refreshing more often than every 20 minutes.
        if self._jwt and self._jwt[1] > time.monotonic():
            return self._jwt[0]
        token = jwt.encode({"iss": self.s.apns_team_id, "iat": int(clock.timestamp())}, self.s.apns_private_key,
                           algorithm="ES256", headers={"kid": self.s.apns_key_id})
        self._jwt = (token, time.monotonic() + 50 * 60)
        return token

    def request(self, device: Device, message: Message) -> tuple[str, dict[str, str], dict[str, Any]]:
        url = f"{self.s.apns_url.rstrip('/')}/3/device/{device.token}"
        apns_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sbor:{message.idempotency_key}:{device.token}"))
        headers = {
            "authorization": f"bearer {self.provider_token()}",
            "apns-topic": self.s.apns_topic,
            "apns-push-type": "alert",
            "apns-priority": "10" if message.urgent else "5",
            "apns-id": apns_id,
            "apns-expiration": str(int(clock.timestamp()) + 86400),
        }
        body = {"aps": {"alert": {"title": message.subject, "body": message.short}, "sound": "default"},
                "notification_id": message.notification_id, "kind": message.kind, **message.data}
        return url, headers, body

    async def send(self, device: Device, message: Message) -> SendResult:
        url, headers, body = self.request(device, message)
        try:
            r = await self.client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            return SendResult("retry", describe(exc))
        if r.status_code == 200:
            return SendResult("sent", provider_id=r.headers.get("apns-id", headers["apns-id"]))
        reason = str(json_object(r).get("reason", ""))
        text = f"APNs HTTP {r.status_code} {reason}".strip()
        if reason in APNS_DEAD_TOKEN or r.status_code == 410:
            return SendResult("rejected", text, invalid_tokens=[device.token])
        if reason in APNS_BAD_JWT:
            self._jwt = None
            return SendResult("retry", text)
        if r.status_code in RETRY_STATUSES:
            return SendResult("retry", text)
        return SendResult("rejected", text)


class PushChannel:
    """Sends to every device of the recipient; delivered when at least one device accepted it."""

    name = "push"

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.client = httpx.AsyncClient(timeout=settings.http_timeout_s)
        self.h2 = httpx.AsyncClient(timeout=settings.http_timeout_s, http2=True)
        self.providers: dict[str, Any] = {"fcm": FcmProvider(settings, self.client),
                                          "apns": ApnsProvider(settings, self.h2)}

    def available_for(self, message: Message) -> bool:
        return any(d.platform in self.providers and self.providers[d.platform].configured for d in message.devices)

    async def send(self, message: Message) -> SendResult:
        results = []
        for device in message.devices:
            provider = self.providers.get(device.platform)
            if provider is None or not provider.configured:
                continue
            results.append(await provider.send(device, message))
        invalid = [t for r in results for t in r.invalid_tokens]
        sent = [r for r in results if r.outcome == "sent"]
        dest = f"{len(results)} device(s)"
        if sent:
            return SendResult("sent", provider_id=",".join(r.provider_id for r in sent)[:255], destination=dest,
                              invalid_tokens=invalid)
        errors = "; ".join(r.error for r in results)[:500] or "no device"
        outcome: Outcome = "retry" if any(r.outcome == "retry" for r in results) else "rejected"
        return SendResult(outcome, errors, destination=dest, invalid_tokens=invalid)

    async def close(self) -> None:
        await self.client.aclose()
        await self.h2.aclose()


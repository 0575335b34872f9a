"""The channel contract: what a provider receives (``Message``) and what it answers (``SendResult``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import httpx

Outcome = Literal["sent", "retry", "rejected"]


@dataclass(frozen=True)
class Device:
    """A push token of the recipient."""

    platform: str  # fcm | apns
    token: str


@dataclass(frozen=True)
class Message:
    """One notification rendered for one recipient, in their language.

    ``idempotency_key`` is unique per notification and channel: providers pass it on where the remote API can
    deduplicate (email ``Message-ID``, APNs ``apns-id``), so even a crash between the provider's acceptance and
    our record cannot produce two different messages.
    """

    notification_id: int
    idempotency_key: str
    kind: str
    user_id: int
    language: str
    subject: str
    short: str
    text: str
    html: str
    data: dict[str, str]
    urgent: bool = False
    display_name: str = ""
    email: str | None = None
    phone: str | None = None
    devices: tuple[Device, ...] = ()


@dataclass
class SendResult:
    """A provider's answer.

    ``sent``: accepted (``provider_id`` names it at the provider). ``rejected``: this channel will never take this
    message (bad address, no device, invalid token): the next channel of the fallback order is tried. ``retry``: a
    temporary failure (network, 429, 5xx): the notification is tried again later with backoff.
    ``invalid_tokens`` lists device tokens the provider reported as no longer valid (notify removes them).
    """

    outcome: Outcome
    error: str = ""
    provider_id: str = ""
    destination: str = ""
    invalid_tokens: list[str] = field(default_factory=list)


@runtime_checkable
class Channel(Protocol):
    """A delivery channel. ``name`` is how preferences and fallback orders refer to it (``email``, ``push``…).

    A channel may also offer ``batch()``, an async context manager the delivery of one chunk runs inside (the email
    channel shares one SMTP connection between the chunk's messages there).
    """

    name: str

    def available_for(self, message: Message) -> bool:
        """Whether the recipient can be reached on this channel at all (has an email, a phone, a device)."""
        ...

    async def send(self, message: Message) -> SendResult:
        """Deliver ``message``; never raise for provider errors (an exception counts as ``retry``)."""
        ...

    async def close(self) -> None:
        """Release connections (called at worker shutdown)."""
        ...


def describe(exc: BaseException) -> str:
    """A short error text for the delivery log."""
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]


def json_object(r: httpx.Response) -> dict[str, Any]:
    """A provider's JSON answer as a dict; ``{}`` when the body is not a JSON object (an HTML error page, say)."""
    try:
        data = r.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

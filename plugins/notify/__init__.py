"""Notify: email, push, SMS, in-app and log channels; a durable outbox, reminders, preferences and a delivery log."""

from __future__ import annotations

import msgspec

from core.manifest import Manifest, Secret


class NotifySettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the notify plugin, from ``[settings.notify]`` in plugins.toml."""

    channels: list[str] = msgspec.field(default_factory=lambda: ["push", "sms", "email"])
    """External channels in use. ``["log"]`` sends everything to the log (local development)."""
    fallback: dict[str, list[str]] = {}
    """Per kind name (``events.cancelled``), the channel order to try; overrides the kind's declared ``channels``."""
    reminder_offsets_min: list[int] = msgspec.field(default_factory=lambda: [1440, 300, 60])
    """Platform default reminder offsets before an event's start, in minutes (users may choose their own)."""
    reminder_grace_min: int = 30
    """A reminder later than this past its moment (worker down, quiet hours) is dropped, never sent late."""
    default_language: str = "en"
    default_timezone: str = "UTC"
    dispatch_every_s: float = 2.0
    """How often the dispatcher moves due outbox rows to the workers."""
    dispatch_batch: int = 2000
    deliver_chunk: int = 500
    """Notifications per worker message: each chunk costs a handful of statements and an SMTP connection set-up
    whatever its size, so bigger chunks are cheaper per email (500 delivered faster than 200 in the reminders bench);
    a chunk still takes only seconds on a real server (``smtp_connections`` at a time), well within
    ``lease_s``, and a crashed worker leaves no more than one chunk per thread to wait for its lease."""
    concurrency: int = 8
    """Concurrent provider calls per worker message."""
    lease_s: int = 120
    """A queued/sending row not finished within this time is taken again by the dispatcher (crash, lost message)."""
    max_attempts: int = 6
    backoff_base_s: int = 30
    backoff_max_s: int = 3600
    http_timeout_s: float = 10.0
    # Email (SMTP)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: Secret = ""
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_from: str = "Sbor <no-reply@localhost>"
    smtp_timeout_s: float = 30.0
    """How long one email may take on the wire (its MAIL, RCPT and DATA together)."""
    smtp_local_hostname: str = ""
    """The name this host gives in EHLO; empty: the machine's fully qualified name (looked up once per process)."""
    smtp_connections: int = 8
    """SMTP connections one delivery batch (a worker's chunk) opens at most; each is reused for its messages.

    8 keeps each connection busy (a message costs a few round trips, so one connection alone would mostly wait)
    while one worker process (its threads x 8: 32 by default) stays below the per-client limits mail servers
    commonly set (Postfix allows 50 connections per client); the chunk's set-up (connect, EHLO, TLS) is paid once
    per connection, so fewer, busier connections are cheaper than many."""
    # Push: Firebase Cloud Messaging HTTP v1 (service account)
    fcm_project_id: str = ""
    fcm_client_email: str = ""
    fcm_private_key: Secret = ""
    fcm_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
    fcm_url: str = "https://fcm.googleapis.com"
    # Push: Apple Push Notification service (token-based provider JWT)
    apns_team_id: str = ""
    apns_key_id: str = ""
    apns_private_key: Secret = ""
    apns_topic: str = ""
    apns_url: str = "https://api.push.apple.com"
    # SMS: Twilio Programmable Messaging REST API (or any service speaking the same contract)
    sms_url: str = "https://api.twilio.com"
    sms_account_sid: str = ""
    sms_auth_token: Secret = ""
    sms_from: str = ""


manifest = Manifest(
    name="notify",
    version="0.1.0",
    summary="Notifications: channels, durable reminders, preferences, inbox and delivery log",
    depends={},
    core=">=0.1,<1",
    settings=NotifySettings,
    public_settings=("reminder_offsets_min",),
)

"""Request and response bodies of notify's API (msgspec Structs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class InboxItemRead(msgspec.Struct):
    """An in-app notification."""

    id: int
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class ScheduledRead(msgspec.Struct):
    """A notification waiting to go out: what, about what, when (reminders say how long before the moment)."""

    id: int
    kind: str
    label: str  # the kind's name for people
    subject: str | None  # what it is about, e.g. events.event:42
    title: str  # the event's title when it is about an event, else ""
    due_at: datetime
    minutes_before: int | None  # reminders: 1440, 300, 60…


class UnreadCountRead(msgspec.Struct):
    """How many inbox items are unread."""

    unread: int


class ChannelSwitch(msgspec.Struct, forbid_unknown_fields=True):
    """Turn one kind of notification on or off on one channel."""

    kind: str
    channel: str
    enabled: bool


class KindRead(msgspec.Struct):
    """A kind of notification, as the preferences screen shows it; ``critical`` ones cannot be switched off."""

    name: str
    label: str
    description: str
    critical: bool


class PreferencesRead(msgspec.Struct):
    """The user's notification settings: ``channels`` per switchable kind, ``fallback`` the channel order per kind."""

    quiet_start: str
    quiet_end: str
    timezone: str
    reminder_offsets_min: list[int]
    custom_offsets: bool
    channels: dict[str, dict[str, bool]]
    kinds: list[KindRead]
    fallback: dict[str, list[str]]


class PreferencesUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Changes to the settings; omitted fields stay. ``reminder_offsets_min: null`` returns to the default."""

    quiet_start: str | msgspec.UnsetType = msgspec.UNSET
    quiet_end: str | msgspec.UnsetType = msgspec.UNSET
    timezone: str | msgspec.UnsetType = msgspec.UNSET
    reminder_offsets_min: list[int] | msgspec.UnsetType | None = msgspec.UNSET
    channels: list[ChannelSwitch] | msgspec.UnsetType = msgspec.UNSET


class DeviceCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Register a push token (``fcm`` or ``apns``); ``previous_token`` when the app's token was refreshed."""

    platform: str
    token: str
    previous_token: str | None = None


class DeviceRead(msgspec.Struct):
    """A registered device."""

    id: int
    platform: str
    token: str
    created_at: datetime
    refreshed_at: datetime


class DeliveryRead(msgspec.Struct):
    """One entry of the user's delivery log."""

    id: int
    notification_id: int
    kind: str
    channel: str
    status: str
    error: str
    at: datetime
    notification_status: str
    subject: str | None

"""Support: tickets and live chat with the support team, the user's context beside each ticket, SLA and metrics."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from msgspec import Meta

from core.manifest import Manifest

CATEGORIES = ("account", "event", "order", "payment", "safety", "bug", "other")
PRIORITIES = ("low", "normal", "high", "urgent")

Hours = Annotated[float, Meta(gt=0, le=10_000)]
Clock = Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class SlaRule(msgspec.Struct, forbid_unknown_fields=True):
    """A service-level target in working hours; the first rule matching a ticket's category and priority applies.

    ``category``/``priority`` ``"*"`` match any.
    """

    first_response_h: Hours
    resolution_h: Hours
    category: str = "*"
    priority: str = "*"


DEFAULT_SLA = [
    SlaRule(category="safety", first_response_h=1, resolution_h=8),
    SlaRule(priority="urgent", first_response_h=1, resolution_h=8),
    SlaRule(priority="high", first_response_h=4, resolution_h=16),
    SlaRule(first_response_h=8, resolution_h=40),
]


class SupportSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the support plugin, from ``[settings.support]`` in plugins.toml (checked at start-up)."""

    sla: list[SlaRule] = msgspec.field(default_factory=lambda: list(DEFAULT_SLA))
    """Targets per category and priority, first match wins (keep a ``"*"``/``"*"`` rule last)."""
    timezone: str = "Europe/Moscow"
    """The time zone of the working hours."""
    work_starts: Clock = "09:00"
    """Working hours start (local time in ``timezone``) …"""
    work_ends: Clock = "18:00"
    """… and end."""
    working_days: list[Annotated[int, Meta(ge=1, le=7)]] = msgspec.field(default_factory=lambda: [1, 2, 3, 4, 5])
    """ISO weekdays the team works (1 = Monday)."""
    holidays: list[date] = []
    """Days off besides the weekend (``2027-01-01``)."""
    warn_before_min: Annotated[int, Meta(ge=1, le=24 * 60)] = 60
    """Agents are warned this long (wall-clock minutes) before a ticket's due time."""
    auto_close_days: Annotated[int, Meta(ge=1, le=365)] = 7
    """Resolved tickets close by themselves after this many days."""
    urgent_categories: list[str] = msgspec.field(default_factory=lambda: ["safety"])
    """Tickets of these categories open as ``urgent`` (agents are told at once)."""
    max_message_chars: Annotated[int, Meta(ge=100, le=100_000)] = 10_000
    """The longest message (422 ``validation_failed`` beyond)."""
    max_attachments: Annotated[int, Meta(ge=0, le=20)] = 5
    """Attachments (screenshots) per message."""
    messages_per_minute: Annotated[int, Meta(ge=1)] = 30
    """Messages one person may post to one ticket per minute (429 beyond)."""
    tickets_per_day: Annotated[int, Meta(ge=1)] = 20
    """Tickets one user may open per day (429 beyond)."""
    typing_per_minute: Annotated[int, Meta(ge=1)] = 30
    """Typing signals one person may send per ticket per minute (429 beyond)."""
    auto_assign: bool = True
    """Give a new ticket to the next online agent in turn (round-robin); unassigned when nobody is online."""
    online_window_s: Annotated[int, Meta(ge=10, le=3600)] = 90
    """An agent is online when their last heartbeat (panel page or API) is this recent."""


manifest = Manifest(
    name="support",
    version="0.1.0",
    summary="Tickets and live chat with the support team, with the user's context, SLA and metrics",
    core=">=0.1,<1",
    settings=SupportSettings,
    public_settings=("max_message_chars", "max_attachments"),
)

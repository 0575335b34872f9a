"""Rules the schemas cannot state: those comparing fields or needing the clock, settings or a lookup.

Lengths, ranges and patterns of single fields are ``msgspec.Meta`` constraints in ``schemas.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import clock
from core.errors import ValidationFailed

MAX_DURATION = timedelta(days=31)


def fail(pointer: str, detail: str, code: str = "validation_failed",
         params: dict[str, Any] | None = None) -> ValidationFailed:
    """One-field validation error; ``detail``'s ``%(name)s`` placeholders come from ``params``."""
    error = ValidationFailed(detail, code=code, params=params)
    error.extra["errors"] = [{"pointer": pointer, "detail": error.detail}]
    return error


def timezone(name: str, pointer: str = "/timezone") -> str:
    """Return ``name`` if it is an IANA timezone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(pointer, "unknown timezone %(name)r (use an IANA name such as Europe/Moscow)",
                   "invalid_timezone", params={"name": name}) from None
    return name


def reason(text: str | None) -> str:
    """A reason the author or participants will read: 1 to 2000 characters once trimmed."""
    text = (text or "").strip()
    if not 1 <= len(text) <= 2000:
        raise fail("/reason", "give a reason of 1 to 2000 characters", "reason_required")
    return text


def event_fields(data: dict[str, Any], *, creating: bool, pointer: str = "") -> None:
    """Rules across the fields of an event (the merged result for updates); raise ValidationFailed on the first."""
    starts, ends = data["starts_at"], data["ends_at"]
    if ends <= starts:
        raise fail(f"{pointer}/ends_at", "the event must end after it starts", "ends_before_start")
    if ends - starts > MAX_DURATION:
        raise fail(f"{pointer}/ends_at", "an event lasts at most 31 days (use a series for recurring events)")
    if data.get("_check_start", creating) and starts <= clock.now():
        raise fail(f"{pointer}/starts_at", "the event must start in the future", "starts_in_past")
    tags = data.get("tags") or []
    if len(set(tags)) != len(tags):
        raise fail(f"{pointer}/tags", "tags must be unique")
    if data.get("venue_id") is None and data.get("online_url") is None:
        raise fail(f"{pointer}/venue_id", "give a venue or an online link", "place_required")

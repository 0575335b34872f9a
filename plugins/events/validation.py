"""Field rules shared by create, update and series: each failure is a JSON pointer and a message."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import clock
from core.errors import ValidationFailed

TAG = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
CATEGORY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
URL = re.compile(r"^https?://[^\s]{3,490}$")
MAX_DURATION = timedelta(days=31)
MAX_CAPACITY = 1_000_000


def fail(pointer: str, detail: str, code: str = "validation_failed") -> ValidationFailed:
    """One-field validation error."""
    return ValidationFailed(detail, code=code, errors=[{"pointer": pointer, "detail": detail}])


def timezone(name: str, pointer: str = "/timezone") -> str:
    """Return ``name`` if it is an IANA timezone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(pointer, f"unknown timezone {name!r} (use an IANA name such as Europe/Moscow)",
                   "invalid_timezone") from None
    return name


def coordinates(lat: float, lng: float, prefix: str = "") -> None:
    """Latitude in [-90, 90], longitude in [-180, 180]."""
    errors = []
    if not -90.0 <= lat <= 90.0:
        errors.append({"pointer": f"{prefix}/latitude", "detail": "latitude must be between -90 and 90"})
    if not -180.0 <= lng <= 180.0:
        errors.append({"pointer": f"{prefix}/longitude", "detail": "longitude must be between -180 and 180"})
    if errors:
        raise ValidationFailed("coordinates out of range", code="coordinates_out_of_range", errors=errors)


def aware(value: datetime, pointer: str) -> datetime:
    """Times must carry an offset (``2026-12-01T19:00:00+03:00``): a bare local time is ambiguous."""
    if value.tzinfo is None:
        raise fail(pointer, "give the time with its UTC offset", "naive_datetime")
    return value


def event_fields(data: dict[str, Any], *, creating: bool) -> None:
    """Check the fields present in ``data`` (the merged result for updates); raise ValidationFailed on the first."""
    if "title" in data and not 1 <= len(data["title"].strip()) <= 200:
        raise fail("/title", "title must have 1 to 200 characters")
    if "description" in data and len(data["description"]) > 20_000:
        raise fail("/description", "description must have at most 20000 characters")
    starts, ends = aware(data["starts_at"], "/starts_at"), aware(data["ends_at"], "/ends_at")
    if ends <= starts:
        raise fail("/ends_at", "the event must end after it starts", "ends_before_start")
    if ends - starts > MAX_DURATION:
        raise fail("/ends_at", "an event lasts at most 31 days (use a series for recurring events)")
    if data.get("_check_start", creating) and starts <= clock.now():
        raise fail("/starts_at", "the event must start in the future", "starts_in_past")
    tags = data.get("tags") or []
    if len(tags) > 10:
        raise fail("/tags", "at most 10 tags")
    for i, tag in enumerate(tags):
        if not isinstance(tag, str) or not TAG.match(tag):
            raise fail(f"/tags/{i}", "a tag is 1-32 lower-case letters, digits or '-', starting with a letter or digit",
                       "invalid_tag")
    if len(set(tags)) != len(tags):
        raise fail("/tags", "tags must be unique")
    if data.get("category") is not None and not CATEGORY.match(data["category"]):
        raise fail("/category", "a category is 1-50 lower-case letters, digits, '_' or '-'", "invalid_category")
    if data.get("online_url") is not None and not URL.match(data["online_url"]):
        raise fail("/online_url", "the online link must be an http(s) URL", "invalid_url")
    if data.get("venue_id") is None and data.get("online_url") is None:
        raise fail("/venue_id", "give a venue or an online link", "place_required")
    capacity = data.get("capacity")
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise fail("/capacity", f"capacity must be between 1 and {MAX_CAPACITY}")
    price = data.get("price_cents")
    if price is not None and not 0 <= price <= 100_000_000:
        raise fail("/price_cents", "price must be between 0 and 100000000 (minor units)")
    if len(data.get("price_text") or "") > 100:
        raise fail("/price_text", "price text must have at most 100 characters")

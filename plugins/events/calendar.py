"""iCalendar (RFC 5545) export: one event, and a personal feed of my upcoming events behind a revocable token."""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as VEvent

from core import clock, db
from core.errors import NotFound
from core.settings import get_settings

log = logging.getLogger("plugins.events")
PRODID = "-//Sbor//events//EN"
FEED_PATH = "/ical/events"

ICAL_SQL = (
    "SELECT e.id, e.title, e.description, e.starts_at, e.ends_at, e.timezone, e.status, e.online_url, e.version, "
    "e.updated_at, e.created_at, v.name AS venue_name, v.address, v.city, e.latitude, e.longitude "
    "FROM events.event e LEFT JOIN events.venue v ON v.id = e.venue "
)


def _host() -> str:
    from urllib.parse import urlsplit

    url = get_settings().http.public_url
    return urlsplit(url).hostname or "sbor.local" if url else "sbor.local"


def _vevent(row: dict[str, Any], with_link: bool) -> VEvent:
    tz = ZoneInfo(row["timezone"])
    ev = VEvent()
    ev.add("uid", f"event-{row['id']}@{_host()}")
    ev.add("dtstamp", clock.now())
    ev.add("created", row["created_at"])
    ev.add("last-modified", row["updated_at"])
    ev.add("sequence", row["version"])
    ev.add("dtstart", row["starts_at"].astimezone(tz))
    ev.add("dtend", row["ends_at"].astimezone(tz))
    ev.add("summary", row["title"])
    if row["description"]:
        ev.add("description", row["description"])
    place = ", ".join(p for p in (row["venue_name"], row["address"], row["city"]) if p)
    if place:
        ev.add("location", place)
    if row["latitude"] is not None:
        ev.add("geo", (row["latitude"], row["longitude"]))
    if with_link and row["online_url"]:
        ev.add("url", row["online_url"])
    ev.add("status", "CANCELLED" if row["status"] == "cancelled" else "CONFIRMED")
    return ev


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def render(rows: list[dict[str, Any]], name: str, with_links: set[int]) -> bytes:
    """A VCALENDAR with one VEVENT per row and the VTIMEZONEs they use."""
    cal = _calendar(name)
    for row in rows:
        cal.add_component(_vevent(row, row["id"] in with_links))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


async def event_ics(event: dict[str, Any], confirmed: bool) -> bytes:
    """One event (already checked readable by the caller); the online link only for confirmed participants."""
    rows = await db.fetch(ICAL_SQL + "WHERE e.id = $1", event["id"])
    return render(rows, rows[0]["title"], {event["id"]} if confirmed else set())


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_token(user_id: int) -> str:
    """Issue my calendar feed token, revoking the previous one (a leaked URL stops working)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    await db.fetch("UPDATE events.calendar_token SET revoked_at = $2 WHERE \"user\" = $1 AND revoked_at IS NULL",
                   user_id, now)
    await db.fetch("INSERT INTO events.calendar_token (\"user\", token_hash, created_at) VALUES ($1, $2, $3)",
                   user_id, _hash(token), now)
    log.info("user %s issued a calendar feed token", user_id)
    return token


async def revoke_tokens(user_id: int) -> int:
    """Revoke my calendar feed tokens; return how many were active."""
    rows = await db.fetch("UPDATE events.calendar_token SET revoked_at = $2 WHERE \"user\" = $1 AND revoked_at IS "
                          "NULL RETURNING id", user_id, clock.now())
    log.info("user %s revoked %s calendar feed tokens", user_id, len(rows))
    return len(rows)


async def feed_ics(token: str) -> bytes:
    """The feed of a token's owner: upcoming events they take part in (confirmed), or NotFound when revoked."""
    owner = await db.fetch("SELECT \"user\" AS user_id FROM events.calendar_token WHERE token_hash = $1 "
                           "AND revoked_at IS NULL", _hash(token))
    if not owner:
        raise NotFound("This calendar link is unknown or was revoked", code="calendar_token_invalid")
    rows = await db.fetch(
        ICAL_SQL + "JOIN events.participation p ON p.event = e.id WHERE p.\"user\" = $1 AND p.status = 'confirmed' "
        "AND e.deleted_at IS NULL AND e.status IN ('published', 'cancelled') AND e.ends_at > $2 ORDER BY e.starts_at "
        "LIMIT 500", owner[0]["user_id"], clock.now(),
    )
    return render(rows, "Sbor: my events", {r["id"] for r in rows})

"""iCalendar (RFC 5545) export: one event, and a personal feed of my upcoming events behind a revocable token."""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as VEvent

from core import clock
from core.errors import NotFound
from core.settings import get_settings
from plugins.events import states
from plugins.events.store import transaction
from plugins.events.tables import CalendarToken, Event, Participation

log = logging.getLogger("plugins.events")
PRODID = "-//Sbor//events//EN"
FEED_PATH = "/ical/events"



def _ical_columns(e: Any) -> tuple[Any, ...]:
    """The columns a VEVENT needs, from ``Event`` or a foreign key to it."""
    return (e.id.as_alias("id"), e.title.as_alias("title"), e.description.as_alias("description"),
            e.starts_at.as_alias("starts_at"), e.ends_at.as_alias("ends_at"), e.timezone.as_alias("timezone"),
            e.status.as_alias("status"), e.online_url.as_alias("online_url"), e.version.as_alias("version"),
            e.updated_at.as_alias("updated_at"), e.created_at.as_alias("created_at"),
            e.venue.name.as_alias("venue_name"), e.venue.address.as_alias("address"), e.venue.city.as_alias("city"),
            e.latitude.as_alias("latitude"), e.longitude.as_alias("longitude"))

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
    rows = await Event.select(*_ical_columns(Event)).where(Event.id == event["id"])
    return render(rows, rows[0]["title"], {event["id"]} if confirmed else set())


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_token(user_id: int) -> str:
    """Issue my calendar feed token, revoking the previous one (a leaked URL stops working)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    async with transaction():
        await CalendarToken.update({CalendarToken.revoked_at: now}).where(
            CalendarToken.user == user_id, CalendarToken.revoked_at.is_null())
        await CalendarToken.insert(CalendarToken(user=user_id, token_hash=_hash(token), created_at=now))
    log.info("user %s issued a calendar feed token", user_id)
    return token


async def revoke_tokens(user_id: int) -> int:
    """Revoke my calendar feed tokens; return how many were active."""
    rows = await CalendarToken.update({CalendarToken.revoked_at: clock.now()}).where(
        CalendarToken.user == user_id, CalendarToken.revoked_at.is_null()).returning(CalendarToken.id)
    log.info("user %s revoked %s calendar feed tokens", user_id, len(rows))
    return len(rows)


async def feed_ics(token: str) -> bytes:
    """The feed of a token's owner: upcoming events they take part in (confirmed), or NotFound when revoked."""
    owner = await CalendarToken.select(CalendarToken.user).where(
        CalendarToken.token_hash == _hash(token), CalendarToken.revoked_at.is_null()).first()
    if owner is None:
        raise NotFound("This calendar link is unknown or was revoked", code="calendar_token_invalid")
    event = Participation.event
    rows = await Participation.select(*_ical_columns(event)).where(
        Participation.user == owner["user"], Participation.status == states.P_CONFIRMED, event.deleted_at.is_null(),
        event.status.is_in([states.PUBLISHED, states.CANCELLED]), event.ends_at > clock.now(),
    ).order_by(event.starts_at).limit(500)
    return render(rows, "Sbor: my events", {r["id"] for r in rows})

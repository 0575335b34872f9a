"""Reading events: the detail as the reader may see it, the author's and participant's delta lists, participants."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from core import db
from core.errors import BadRequest, NotFound
from core.users import services as users
from plugins.events import states
from plugins.events.store import EVENT_SQL

HIDDEN_UNTIL_PUBLISHED = (states.DRAFT, states.PENDING, states.REJECTED)


def encode_cursor(*values: Any) -> str:
    """An opaque cursor for keyset pagination."""
    raw = msgspec.json.encode([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: tuple[type, ...]) -> list[Any]:
    """Decode a cursor made by :func:`encode_cursor` with values of ``kinds``; 400 when it is not one."""
    try:
        values = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("shape")
        out: list[Any] = []
        for v, kind in zip(values, kinds, strict=True):
            if kind is datetime:
                out.append(datetime.fromisoformat(v))
            elif kind is float:
                out.append(float(v))
            else:
                out.append(int(v))
        return out
    except (ValueError, TypeError, msgspec.DecodeError):
        raise BadRequest("The cursor is not one this API gave out", code="invalid_cursor") from None


def etag_of(event_id: int, version: int, body: bytes) -> str:
    """The detail's entity tag: the event version (what If-Match compares) plus a hash of what this reader sees."""
    return f'"e{event_id}v{version}-{hashlib.blake2b(body, digest_size=8).hexdigest()}"'


async def detail(event_id: int, viewer_id: int | None, moderator: bool, key: str | None) -> dict[str, Any]:
    """The event as ``viewer_id`` may see it, with participant count, seats left and my status; NotFound otherwise."""
    rows = await db.fetch(EVENT_SQL, event_id)
    if not rows or rows[0]["deleted_at"] is not None:
        raise NotFound(f"event {event_id} not found", code="event_not_found")
    e = rows[0]
    mine = None
    if viewer_id is not None:
        found = await db.fetch("SELECT status, guests, offer_expires_at FROM events.participation WHERE event = $1 "
                               "AND \"user\" = $2", event_id, viewer_id)
        mine = found[0] if found else None
    is_author = viewer_id == e["author_id"]
    takes_part = mine is not None and mine["status"] in states.ACTIVE
    if not (is_author or moderator):
        if e["status"] in HIDDEN_UNTIL_PUBLISHED:
            raise NotFound(f"event {event_id} not found", code="event_not_found")
        # Link-only events need the secret of the link; group events (no groups yet) only their participants.
        if e["visibility"] == "link" and not takes_part and key != e["share_key"]:
            raise NotFound(f"event {event_id} not found", code="event_not_found")
        if e["visibility"] == "group" and not takes_part:
            raise NotFound(f"event {event_id} not found", code="event_not_found")
    count = await db.fetch("SELECT coalesce(sum(1 + guests), 0) AS n FROM events.participation WHERE event = $1 "
                           "AND status = 'confirmed'", event_id)
    tz = ZoneInfo(e["timezone"])
    confirmed = mine is not None and mine["status"] == states.P_CONFIRMED
    return {
        **{k: e[k] for k in ("id", "title", "description", "category", "cover_ref", "starts_at", "ends_at",
                             "timezone", "latitude", "longitude", "capacity", "price_text", "price_cents",
                             "visibility", "requires_approval", "author_id", "status", "series_id", "version",
                             "updated_at")},
        "tags": list(e["tags"] or []),
        "local_starts_at": e["starts_at"].astimezone(tz).isoformat(),
        "local_ends_at": e["ends_at"].astimezone(tz).isoformat(),
        "venue": None if e["venue_id"] is None else {"id": e["venue_id"], "name": e["venue_name"],
                                                     "address": e["venue_address"], "city": e["venue_city"]},
        "online": e["online_url"] is not None,
        "online_url": e["online_url"] if (is_author or confirmed) else None,
        "participant_count": int(count[0]["n"]),
        "seats_left": None if e["capacity"] is None else max(0, e["capacity"] - e["seats_taken"]),
        "my_status": mine["status"] if mine else None,
        "my_guests": mine["guests"] if mine else None,
        "offer_expires_at": mine["offer_expires_at"] if mine and mine["status"] == states.P_OFFERED else None,
        "share_key": e["share_key"] if is_author and e["visibility"] == "link" else None,
    }


async def authored(author_id: int, updated_since: datetime | None, cursor: str | None,
                   limit: int) -> dict[str, Any]:
    """The author's events changed since ``updated_since`` (deleted ones as tombstones), oldest change first."""
    since = updated_since or datetime.fromtimestamp(0).astimezone()
    after_ts, after_id = decode_cursor(cursor, (datetime, int)) if cursor else (since, 0)
    rows = await db.fetch(
        "SELECT id, title, status, starts_at, ends_at, version, updated_at, deleted_at FROM events.event "
        "WHERE author = $1 AND updated_at > $2 AND (updated_at, id) > ($3, $4) ORDER BY updated_at, id LIMIT $5",
        author_id, since, after_ts, after_id, limit + 1,
    )
    items = [
        {"id": r["id"], "deleted": True, "updated_at": r["updated_at"]} if r["deleted_at"] is not None else
        {**{k: r[k] for k in ("id", "title", "status", "starts_at", "ends_at", "version", "updated_at")},
         "deleted": False}
        for r in rows[:limit]
    ]
    nxt = encode_cursor(rows[limit - 1]["updated_at"], rows[limit - 1]["id"]) if len(rows) > limit else None
    return {"items": items, "next_cursor": nxt}


async def joined(user_id: int, updated_since: datetime | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """My participations changed since ``updated_since``; ones no longer active and deleted events are tombstones."""
    since = updated_since or datetime.fromtimestamp(0).astimezone()
    after_ts, after_id = decode_cursor(cursor, (datetime, int)) if cursor else (since, 0)
    rows = await db.fetch(
        "SELECT p.id AS pid, p.event AS event_id, p.status, p.guests, p.offer_expires_at, "
        "greatest(p.updated_at, e.updated_at) AS changed_at, e.title, e.starts_at, e.ends_at, e.status AS "
        "event_status, e.deleted_at FROM events.participation p JOIN events.event e ON e.id = p.event "
        "WHERE p.\"user\" = $1 AND greatest(p.updated_at, e.updated_at) > $2 "
        "AND (greatest(p.updated_at, e.updated_at), p.id) > ($3, $4) "
        "ORDER BY greatest(p.updated_at, e.updated_at), p.id LIMIT $5",
        user_id, since, after_ts, after_id, limit + 1,
    )
    items = []
    for r in rows[:limit]:
        gone = r["deleted_at"] is not None or r["status"] not in states.ACTIVE
        if gone:
            items.append({"event_id": r["event_id"], "deleted": True, "updated_at": r["changed_at"]})
        else:
            items.append({"event_id": r["event_id"], "deleted": False, "updated_at": r["changed_at"],
                          "status": r["status"], "guests": r["guests"], "offer_expires_at": r["offer_expires_at"],
                          "title": r["title"], "starts_at": r["starts_at"], "ends_at": r["ends_at"],
                          "event_status": r["event_status"]})
    nxt = encode_cursor(rows[limit - 1]["changed_at"], rows[limit - 1]["pid"]) if len(rows) > limit else None
    return {"items": items, "next_cursor": nxt}


async def _can_see(viewer_id: int | None, owner_id: int) -> bool:
    return await users.can_see(viewer_id, owner_id, "participation")


async def participants(event_id: int, viewer_id: int | None, moderator: bool, cursor: str | None,
                       limit: int) -> dict[str, Any]:
    """Confirmed participants the reader may see (each user's "participation" privacy); the rest are only counted."""
    info = await detail(event_id, viewer_id, moderator, None)  # same visibility rules as the event itself
    after = decode_cursor(cursor, (int,))[0] if cursor else 0
    rows = await db.fetch(
        "SELECT p.id, p.\"user\" AS user_id, p.guests, u.display_name FROM events.participation p "
        "JOIN users.account u ON u.id = p.\"user\" WHERE p.event = $1 AND p.status = 'confirmed' AND p.id > $2 "
        "ORDER BY p.id LIMIT $3", event_id, after, limit + 1,
    )
    sees_all = moderator or viewer_id == info["author_id"]  # organisers see who joins their events
    items, hidden = [], 0
    for r in rows[:limit]:
        if sees_all or r["user_id"] == viewer_id or await _can_see(viewer_id, r["user_id"]):
            items.append({"user_id": r["user_id"], "display_name": r["display_name"], "guests": r["guests"]})
        else:
            hidden += 1
    nxt = encode_cursor(rows[limit - 1]["id"]) if len(rows) > limit else None
    return {"items": items, "hidden": hidden, "next_cursor": nxt}


async def share_event(a: int, b: int) -> bool:
    """Whether two users take part in (or one authored and the other takes part in) the same event."""
    rows = await db.fetch(
        "SELECT 1 FROM events.participation p JOIN events.participation q ON q.event = p.event "
        "WHERE p.\"user\" = $1 AND q.\"user\" = $2 AND p.status = 'confirmed' AND q.status = 'confirmed' "
        "UNION ALL SELECT 1 FROM events.event e JOIN events.participation p ON p.event = e.id "
        "WHERE p.status = 'confirmed' AND ((e.author = $1 AND p.\"user\" = $2) OR (e.author = $2 AND p.\"user\" = $1)) "
        "LIMIT 1", a, b)
    return bool(rows)

"""Reading events: the detail as the reader may see it, the author's and participant's delta lists, participants."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import msgspec
from piccolo.query.functions.aggregate import Count, Sum

from core import db
from core.errors import NotFound
from core.pagination import Page, decode_cursor, paginate
from core.users import services as users
from core.users.schemas import RatingFigures
from plugins.events import sql, states
from plugins.events.schemas import JoinedItem, MyEventItem, ParticipantRead, ParticipantsPage
from plugins.events.store import Row, acts_as_author, load_event, may_see
from plugins.events.tables import Event, Participation, Venue

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DETAIL_FIELDS = ("id", "title", "description", "category", "cover_ref", "starts_at", "ends_at", "timezone",
                 "latitude", "longitude", "capacity", "price_text", "price_cents", "visibility", "requires_approval",
                 "author_id", "status", "series_id", "version", "updated_at", "group_id")


def figures_json(figures: RatingFigures | None) -> str | None:
    """Ratings as stored in a ``rating_figures`` column (JSON; None: none shown)."""
    return None if figures is None else msgspec.json.encode(figures).decode()


def figures_of(stored: str | bytes | None) -> RatingFigures | None:
    """Ratings from a ``rating_figures`` column (asyncpg hands JSONB over as text)."""
    return None if stored is None else msgspec.json.decode(stored, type=RatingFigures)


async def event_figures(event_id: int) -> RatingFigures | None:
    """The ratings an event's detail shows (set by the reviews plugin through ``api.set_event_figures``)."""
    row = await Event.select(Event.rating_figures).where(Event.id == event_id).first()
    return None if row is None else figures_of(row["rating_figures"])


async def venue_figures(venue_id: int) -> RatingFigures | None:
    """The ratings a venue shows (set by the reviews plugin through ``api.set_venue_figures``)."""
    row = await Venue.select(Venue.rating_figures).where(Venue.id == venue_id).first()
    return None if row is None else figures_of(row["rating_figures"])


def etag_of(event_id: int, version: int, body: bytes) -> str:
    """The detail's entity tag: the event version (what If-Match compares) plus a hash of what this reader sees."""
    return f'"e{event_id}v{version}-{hashlib.blake2b(body, digest_size=8).hexdigest()}"'


async def detail(event_id: int, viewer_id: int | None, moderator: bool, key: str | None) -> Row:
    """The event as ``viewer_id`` may see it, with participant count, seats left and my status; NotFound otherwise.

    Read from a replica when one is healthy, unless the viewer just wrote (their join or edit shows at once).
    """
    async with db.reading(viewer_id):
        return await _detail(event_id, viewer_id, moderator, key)


async def _detail(event_id: int, viewer_id: int | None, moderator: bool, key: str | None) -> Row:
    e = await load_event(event_id)
    mine = None
    if viewer_id is not None:
        mine = await Participation.select(Participation.status, Participation.guests,
                                          Participation.offer_expires_at).where(
            Participation.event == event_id, Participation.user == viewer_id).first()
    is_author = viewer_id is not None and await acts_as_author(e, viewer_id)
    takes_part = mine is not None and mine["status"] in states.ACTIVE
    if not await may_see(e, viewer_id, moderator=moderator, key=key, participant=takes_part):
        raise NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")
    count = await Participation.select(Count(alias="people"), Sum(Participation.guests, alias="guests")).where(
        Participation.event == event_id, Participation.status == states.P_CONFIRMED).first()
    tz = ZoneInfo(e["timezone"])
    confirmed = mine is not None and mine["status"] == states.P_CONFIRMED
    return {
        **{k: e[k] for k in DETAIL_FIELDS},
        "tags": list(e["tags"] or []),
        "local_starts_at": e["starts_at"].astimezone(tz).isoformat(),
        "local_ends_at": e["ends_at"].astimezone(tz).isoformat(),
        "venue": None if e["venue_id"] is None else {"id": e["venue_id"], "name": e["venue_name"],
                                                     "address": e["venue_address"], "city": e["venue_city"]},
        "online": e["online_url"] is not None,
        "online_url": e["online_url"] if (is_author or confirmed) else None,
        "participant_count": int(count["people"] if count else 0) + int((count or {}).get("guests") or 0),
        "seats_left": None if e["capacity"] is None else max(0, e["capacity"] - e["seats_taken"]),
        "my_status": mine["status"] if mine else None,
        "my_guests": mine["guests"] if mine else None,
        "offer_expires_at": mine["offer_expires_at"] if mine and mine["status"] == states.P_OFFERED else None,
        "share_key": e["share_key"] if is_author and e["visibility"] == "link" else None,
        "rating": figures_of(e["rating_figures"]),  # in the row already loaded: no query of its own
    }


async def authored(author_id: int, updated_since: datetime | None, cursor: str | None,
                   limit: int) -> Page[MyEventItem]:
    """The author's events changed since ``updated_since`` (deleted ones as tombstones), oldest change first."""
    since = updated_since or EPOCH
    after_ts, after_id = decode_cursor(cursor, datetime, int, scope="events.mine") if cursor else (since, 0)
    rows = await Event.select(Event.id, Event.title, Event.status, Event.starts_at, Event.ends_at, Event.version,
                              Event.updated_at, Event.deleted_at).where(
        Event.author == author_id, Event.updated_at > since,
        (Event.updated_at > after_ts) | ((Event.updated_at == after_ts) & (Event.id > after_id)),
    ).order_by(Event.updated_at, Event.id).limit(limit + 1)
    page, nxt = paginate(rows, limit, key=lambda r: (r["updated_at"], r["id"]), scope="events.mine")
    items = [
        MyEventItem(id=r["id"], deleted=True, updated_at=r["updated_at"]) if r["deleted_at"] is not None else
        MyEventItem(id=r["id"], deleted=False, updated_at=r["updated_at"], title=r["title"], status=r["status"],
                    starts_at=r["starts_at"], ends_at=r["ends_at"], version=r["version"])
        for r in page
    ]
    return Page(items=items, next_cursor=nxt)


async def joined(user_id: int, updated_since: datetime | None, cursor: str | None, limit: int) -> Page[JoinedItem]:
    """My participations changed since ``updated_since``; ones no longer active and deleted events are tombstones.

    So are events hidden by reports (a hidden event comes back, changed, when the reports are dismissed).
    """
    since = updated_since or EPOCH
    after_ts, after_id = decode_cursor(cursor, datetime, int, scope="events.joined") if cursor else (since, 0)
    rows = await db.fetch(sql.JOINED_SINCE, user_id, since, after_ts, after_id, limit + 1)
    page, nxt = paginate(rows, limit, key=lambda r: (r["changed_at"], r["pid"]), scope="events.joined")
    items = []
    for r in page:
        if r["deleted_at"] is not None or r["status"] not in states.ACTIVE or r["event_status"] == states.HIDDEN:
            items.append(JoinedItem(event_id=r["event_id"], deleted=True, updated_at=r["changed_at"]))
        else:
            items.append(JoinedItem(
                event_id=r["event_id"], deleted=False, updated_at=r["changed_at"], status=r["status"],
                guests=r["guests"], offer_expires_at=r["offer_expires_at"], title=r["title"],
                starts_at=r["starts_at"], ends_at=r["ends_at"], event_status=r["event_status"]))
    return Page(items=items, next_cursor=nxt)


async def participants(event_id: int, viewer_id: int | None, moderator: bool, cursor: str | None,
                       limit: int) -> ParticipantsPage:
    """Confirmed participants the reader may see (each user's "participation" privacy); the rest are only counted."""
    async with db.reading(viewer_id):  # a replica, as the detail
        return await _participants(event_id, viewer_id, moderator, cursor, limit)


async def _participants(event_id: int, viewer_id: int | None, moderator: bool, cursor: str | None,
                        limit: int) -> ParticipantsPage:
    info = await detail(event_id, viewer_id, moderator, None)  # same visibility rules as the event itself
    scope = f"events.participants.{event_id}"
    after = decode_cursor(cursor, int, scope=scope)[0] if cursor else 0
    rows = await Participation.select(
        Participation.id, Participation.user.as_alias("user_id"), Participation.guests,
        Participation.user.display_name.as_alias("display_name"),
    ).where(Participation.event == event_id, Participation.status == states.P_CONFIRMED,
            Participation.id > after).order_by(Participation.id).limit(limit + 1)
    page, nxt = paginate(rows, limit, key=lambda r: (r["id"],), scope=scope)
    sees_all = moderator or viewer_id == info["author_id"]  # organisers see who joins their events
    items, hidden = [], 0
    for r in page:
        if sees_all or r["user_id"] == viewer_id or await users.can_see(viewer_id, r["user_id"], "participation"):
            items.append(ParticipantRead(user_id=r["user_id"], display_name=r["display_name"], guests=r["guests"]))
        else:
            hidden += 1
    return ParticipantsPage(items=items, hidden=hidden, next_cursor=nxt)


async def share_event(a: int, b: int) -> bool:
    """Whether two users take part in (or one authored and the other takes part in) the same event."""
    return bool(await db.fetch(sql.USERS_SHARE_EVENT, a, b))

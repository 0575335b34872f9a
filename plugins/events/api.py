"""The public Python API of events for plugins that depend on it (notify, analytics, admin): import only this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count

from core import clock
from core.pagination import Page, decode_cursor, paginate
from core.users.schemas import RatingFigures
from plugins.events import cache as event_cache
from plugins.events import participation, reads, services, states, venues
from plugins.events.hookspecs import EventInfo, GroupAccess
from plugins.events.store import event_columns, events_where, info_of
from plugins.events.tables import Event, Participation, Venue

__all__ = [
    "EventDocument", "EventInfo", "GroupAccess", "Page", "RatingFigures", "StatusMove", "VenueInfo", "VenueRef",
    "approve", "attended_tags", "cancel", "confirmed_participants", "count_by_status", "create_located_venue",
    "deleted_events_since", "event_documents", "event_history", "get_event_info", "get_venue", "group_events",
    "join_pair", "leave_pair", "listed_event_count", "listed_event_ids", "locate_venue", "participation_status",
    "pending_review", "reject", "set_event_figures", "set_event_rating", "set_host_rating", "set_venue_figures",
    "taking_part", "upcoming_event_ids_of_author", "upcoming_for_user", "venue_location", "venues_near",
    "venues_with_address",
]

PENDING_SCOPE = "events.pending_review"


@dataclass(frozen=True)
class StatusMove:
    """One move in an event's history; ``from_status`` is None for the creation, ``actor_id`` None for the system."""

    actor_id: int | None
    at: datetime
    from_status: str | None
    to_status: str
    reason: str


async def get_event_info(event_id: int) -> EventInfo:
    """The snapshot of an event; NotFound(code="event_not_found") when missing or deleted."""
    return await services.event_info(event_id)


async def confirmed_participants(event_id: int) -> list[tuple[int, int]]:
    """``(user_id, guests)`` of the confirmed participants, in joining order."""
    rows = await Participation.select(Participation.user, Participation.guests).where(
        Participation.event == event_id, Participation.status == states.P_CONFIRMED).order_by(Participation.id)
    return [(r["user"], r["guests"]) for r in rows]


async def pending_review(limit: int = 50, cursor: str | None = None) -> Page[EventInfo]:
    """The moderation queue: events waiting for review, oldest submission first (``limit`` 1..200, as the caller's).

    A bad cursor raises ``InvalidCursor`` (400 ``invalid_cursor``).
    """
    where: list[Combinable] = [Event.status == states.PENDING]
    if cursor:
        after_ts, after_id = decode_cursor(cursor, datetime, int, scope=PENDING_SCOPE)
        where.append((Event.submitted_at > after_ts) | ((Event.submitted_at == after_ts) & (Event.id > after_id)))
    rows = await events_where(*where, order_by=(Event.submitted_at, Event.id), limit=limit + 1)
    items, nxt = paginate(rows, limit, key=lambda r: (r["submitted_at"], r["id"]), scope=PENDING_SCOPE)
    return Page(items=[info_of(r) for r in items], next_cursor=nxt)


async def approve(event_id: int, moderator_id: int) -> EventInfo:
    """Publish an event waiting for review; Conflict(409, code="illegal_status_move") otherwise."""
    return await services.approve(event_id, moderator_id)


async def reject(event_id: int, moderator_id: int, reason: str) -> EventInfo:
    """Reject an event waiting for review with a reason for the author (required)."""
    return await services.reject(event_id, moderator_id, reason)


async def cancel(event_id: int, actor_id: int, reason: str) -> EventInfo:
    """Cancel a published event as a moderator (the admin panel checks the permission)."""
    return await services.cancel(services.Actor(actor_id, moderator=True), event_id, reason)


async def event_history(event_id: int) -> list[StatusMove]:
    """Every status move of an event (who, when, from, to, reason), oldest first."""
    return [StatusMove(**r) for r in await services.history(event_id)]


async def count_by_status() -> dict[str, int]:
    """How many (not deleted) events are in each status; every status is present."""
    rows = await Event.select(Event.status, Count(alias="n")).where(Event.deleted_at.is_null()).group_by(Event.status)
    out = dict.fromkeys(states.STATUSES, 0)
    out.update({r["status"]: int(r["n"]) for r in rows})
    return out


async def upcoming_for_user(user_id: int) -> list[EventInfo]:
    """Events the user is confirmed for that have not ended, soonest first."""
    event = Participation.event
    rows = await Participation.select(*event_columns(event)).where(
        Participation.user == user_id, Participation.status == states.P_CONFIRMED, event.deleted_at.is_null(),
        event.ends_at > clock.now(), event.status != states.HIDDEN,
    ).order_by(event.starts_at).limit(500)
    return [info_of(r) for r in rows]


async def group_events(group_id: int, *, upcoming: bool, members_only: bool, cursor: str | None = None,
                       limit: int = 20) -> Page[EventInfo]:
    """Events a group hosts: upcoming (published, not ended) soonest first, or past (ended) latest first.

    ``members_only`` includes the events only the group's members see (the caller decides who is a member).
    A bad cursor raises ``InvalidCursor`` (400 ``invalid_cursor``).
    """
    scope = f"events.group.{group_id}.{'upcoming' if upcoming else 'past'}"
    now = clock.now()
    where: list[Combinable] = [Event.group_id == group_id]
    if not members_only:
        where.append(Event.visibility == "public")
    if upcoming:
        where += [Event.status == states.PUBLISHED, Event.ends_at > now]
    else:
        where += [Event.status.is_in([states.PUBLISHED, states.FINISHED]), Event.ends_at <= now]
    if cursor:
        ts, eid = decode_cursor(cursor, datetime, int, scope=scope)
        if upcoming:
            where.append((Event.starts_at > ts) | ((Event.starts_at == ts) & (Event.id > eid)))
        else:
            where.append((Event.starts_at < ts) | ((Event.starts_at == ts) & (Event.id < eid)))
    query = Event.select(*event_columns()).where(Event.deleted_at.is_null(), *where).order_by(
        Event.starts_at, Event.id, ascending=upcoming)
    rows = await query.limit(limit + 1)
    items, nxt = paginate(rows, limit, key=lambda r: (r["starts_at"], r["id"]), scope=scope)
    return Page(items=[info_of(r) for r in items], next_cursor=nxt)


async def participation_status(event_id: int, user_id: int) -> str | None:
    """The user's participation status at an event (``confirmed``, ``waitlisted``, ``left``…), None if never joined.

    A participation stays ``confirmed`` after the event finishes: that is who was there.
    """
    row = await Participation.select(Participation.status).where(
        Participation.event == event_id, Participation.user == user_id).first()
    return None if row is None else str(row["status"])


async def join_pair(event_id: int, user_a: int, user_b: int) -> str:
    """Join an event as a pair, both seats or none: ``confirmed``, ``waitlisted`` (as a party of two) or ``pending``.

    Both confirmed only when two seats are free and nobody waits ahead; the waitlist offers a pair both seats
    together and a claim by either confirms both. Conflict ``already_joined`` (either already takes part),
    ``event_not_joinable``, ``party_too_large`` (capacity under two); NotFound ``event_not_found``.
    """
    return await participation.join_pair(event_id, user_a, user_b)


async def leave_pair(event_id: int, user_id: int) -> list[int]:
    """Leave with one's pair (both seats pass on); returns the users who left.

    NotFound ``not_participating``; Conflict ``not_in_pair`` when the user joined alone. (A plain leave by one of the
    pair frees only their seat and dissolves the pair.)
    """
    return await participation.leave_pair(event_id, user_id)


async def attended_tags(user_ids: list[int]) -> dict[int, set[str]]:
    """The tags of the events each user attended (confirmed, ended, not deleted); users with none are left out."""
    event = Participation.event
    rows = await Participation.select(Participation.user, event.tags.as_alias("tags")).where(
        Participation.user.is_in(list(user_ids) or [0]), Participation.status == states.P_CONFIRMED,
        event.deleted_at.is_null(), event.ends_at <= clock.now())
    out: dict[int, set[str]] = {}
    for r in rows:
        out.setdefault(r["user"], set()).update(r["tags"] or ())
    return out


async def set_host_rating(author_id: int, rank: float | None) -> int:
    """Set the rating the feed sorts by (``sort=rating``) on every not yet ended event of ``author_id``.

    ``rank`` is the organiser's ranking score as the reviews plugin computes it (a Bayesian average; None: unrated).
    Joins the caller's transaction; returns how many events it set. Events published later get it through
    :func:`set_event_rating` (reviews calls it from ``event_published``).
    """
    rows = await Event.update({Event.rating_rank: rank}).where(
        Event.author == author_id, Event.deleted_at.is_null(), Event.ends_at > clock.now(),
    ).returning(Event.id)
    await event_cache.touched([], feed=True)  # rating_rank is shown and sorted by in the feed, not in the card
    return len(rows)


async def set_event_rating(event_id: int, rank: float | None) -> None:
    """Set the rating the feed sorts by on one event (see :func:`set_host_rating`)."""
    await Event.update({Event.rating_rank: rank}).where(Event.id == event_id)
    await event_cache.touched([], feed=True)


async def set_event_figures(event_id: int, figures: RatingFigures | None) -> None:
    """Set the ratings an event's detail shows (``EventRead.rating``); None hides them (too few, or none).

    The reviews plugin calls it in the transaction that changes the figures. The event's version does not move (a
    review is no edit: an author's ``If-Match`` stays valid); its cached card goes stale after the commit.
    """
    await Event.update({Event.rating_figures: reads.figures_json(figures)}).where(Event.id == event_id)
    await event_cache.touched([event_id], feed=False)  # the card shows them; feed pages do not


async def set_venue_figures(venue_id: int, figures: RatingFigures | None) -> None:
    """Set the ratings a venue shows (``VenueRead.rating``), as :func:`set_event_figures` for an event."""
    await Venue.update({Venue.rating_figures: reads.figures_json(figures)}).where(Venue.id == venue_id)


async def deleted_events_since(since: datetime, limit: int = 500) -> list[tuple[int, datetime]]:
    """``(event_id, deleted_at)`` of events deleted at or after ``since``, oldest deletion first, at most ``limit``."""
    rows = await Event.select(Event.id, Event.deleted_at).where(
        Event.updated_at >= since, Event.deleted_at.is_not_null(), Event.deleted_at >= since,
    ).order_by(Event.deleted_at, Event.id).limit(limit)
    return [(r["id"], r["deleted_at"]) for r in rows]


async def taking_part(event_id: int, user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` take part in the event now (pending, confirmed, waitlisted or offered)."""
    rows = await Participation.select(Participation.user).where(
        Participation.event == event_id, Participation.user.is_in(list(user_ids) or [0]),
        Participation.status.is_in(list(states.ACTIVE)))
    return {r["user"] for r in rows}


@dataclass(frozen=True)
class VenueRef:
    """A venue as other plugins see it (orders: where the café is, and its point-of-sale reference)."""

    id: int
    name: str
    city: str
    timezone: str
    pos_ref: str | None
    created_by: int | None


async def get_venue(venue_id: int) -> VenueRef | None:
    """The venue ``venue_id``, or None when there is no such venue."""
    row = await Venue.select(Venue.id, Venue.name, Venue.city, Venue.timezone, Venue.pos_ref,
                             Venue.created_by).where(Venue.id == venue_id).first()
    return None if row is None else VenueRef(row["id"], row["name"], row["city"], row["timezone"], row["pos_ref"],
                                             row["created_by"])


@dataclass(frozen=True)
class EventDocument:
    """What a search index needs of an event: its snapshot plus description, price, seats taken and rating."""

    info: EventInfo
    description: str
    price_cents: int | None  # the lowest price in minor units; 0 = free; None = unknown
    seats_taken: int
    rating_rank: float | None
    listed: bool  # published, public and not ended: what a public search lists


async def event_documents(event_ids: list[int]) -> dict[int, EventDocument]:
    """The documents of those events that exist, by id (a deleted or unknown event is left out)."""
    if not event_ids:
        return {}
    rows = await Event.select(*event_columns(), Event.rating_rank).where(
        Event.id.is_in(list(event_ids)), Event.deleted_at.is_null())
    now = clock.now()
    return {r["id"]: EventDocument(
        info_of(r), r["description"], r["price_cents"], r["seats_taken"], r["rating_rank"],
        r["status"] == states.PUBLISHED and r["visibility"] == "public" and r["ends_at"] > now) for r in rows}


async def listed_event_ids(after_id: int = 0, limit: int = 1000) -> list[int]:
    """Ids of the events a public search lists (published, public, not ended), ascending after ``after_id``."""
    rows = await Event.select(Event.id).where(
        Event.id > after_id, Event.status == states.PUBLISHED, Event.visibility == "public",
        Event.deleted_at.is_null(), Event.ends_at > clock.now()).order_by(Event.id).limit(limit)
    return [r["id"] for r in rows]


async def listed_event_count() -> int:
    """How many events a public search lists now (see :func:`listed_event_ids`)."""
    return int(await Event.count().where(
        Event.status == states.PUBLISHED, Event.visibility == "public", Event.deleted_at.is_null(),
        Event.ends_at > clock.now()))


async def upcoming_event_ids_of_author(author_id: int) -> list[int]:
    """Ids of the not yet ended, not deleted events of ``author_id`` (whose rating moves with the organiser's)."""
    rows = await Event.select(Event.id).where(
        Event.author == author_id, Event.deleted_at.is_null(), Event.ends_at > clock.now())
    return [r["id"] for r in rows]


# Venues located by the geo plugin (plugins/events/venues.py): with or without a point, the pin, by address or distance.
VenueInfo = venues.VenueInfo


async def create_located_venue(*, name: str, address: str, city: str, latitude: float | None,
                               longitude: float | None, timezone: str, located: str,
                               created_by: int | None) -> VenueInfo:
    """Create a venue; ``latitude``/``longitude`` None with ``located="pending"`` until it is geocoded.

    ``located`` is ``manual`` (typed), ``pinned`` (placed on a map), ``geocoded``, ``pending`` or ``failed``. The
    caller checked the point; a bad ``timezone`` is 422 ``invalid_timezone``.
    """
    return await venues.create(name=name, address=address, city=city, latitude=latitude, longitude=longitude,
                               timezone=timezone, located=located, created_by=created_by)


async def venue_location(venue_id: int) -> VenueInfo:
    """A venue with its point and how it was located; NotFound ``venue_not_found``."""
    return await venues.get(venue_id)


async def locate_venue(venue_id: int, *, latitude: float | None, longitude: float | None, timezone: str,
                       located: str) -> VenueInfo:
    """Set a venue's point and time zone; its events that have not ended move with it (their version goes up)."""
    return await venues.locate(venue_id, latitude=latitude, longitude=longitude, timezone=timezone, located=located)


async def venues_with_address(address: str, city: str) -> list[VenueInfo]:
    """Venues whose address and city normalise alike (``core.geo.address_key``), oldest first."""
    return await venues.with_address(address, city)


async def venues_near(latitude: float, longitude: float, radius_km: float,
                      limit: int = 20) -> list[tuple[VenueInfo, float]]:
    """Located venues within ``radius_km`` of a point, nearest first, with the great-circle distance in km."""
    return await venues.near(latitude, longitude, radius_km, limit)

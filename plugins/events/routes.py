"""HTTP routes of events: ``/api/v1/events/…`` (thin: parse, call services, shape) and the ``/ical/events`` feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from core import clock
from core.auth.guards import Principal, requires
from core.errors import PermissionDenied
from core.hooks import plugin_settings
from core.http import query, response_cache
from core.http.params import Limit
from core.pagination import Page
from core.settings import get_settings
from core.users import directory
from plugins.events import EventsSettings, api, calendar, feed, participation, reads, series, services
from plugins.events import cache as event_cache
from plugins.events.schemas import (
    CalendarLink,
    EventCreate,
    EventRead,
    EventUpdate,
    FeedItem,
    FeedParams,
    JoinBody,
    JoinedItem,
    MoveRead,
    MyEventItem,
    ParticipantsPage,
    ParticipationRead,
    PendingItem,
    ReasonBody,
    SeriesCreate,
    SeriesRead,
    VenueCreate,
    VenueRead,
)

MODERATE = "events.moderate"
CREATE = "events.create"
Caller = NamedDependency[Principal]
OptionalCaller = NamedDependency[Principal | None]
FeedQuery = NamedDependency[FeedParams]
JSON = "application/json"
ICS = "text/calendar; charset=utf-8"
FEED_CODES = {"tags": "invalid_tag", "category": "invalid_category"}


async def may_create(principal: Principal) -> bool:
    """``events.create``, or (unless the operator requires the organiser role) a verified account."""
    if principal.has(CREATE):
        return True
    return not plugin_settings(EventsSettings).require_organiser_role and await directory.is_verified(principal.user_id)


async def creator(principal: Principal) -> services.Actor:
    """The caller as an author who creates; 403 ``organiser_role_required`` or ``verification_required`` if not."""
    if not await may_create(principal):
        if plugin_settings(EventsSettings).require_organiser_role:
            raise PermissionDenied("Creating events needs the organiser role; ask for it in the app",
                                   code="organiser_role_required")
        raise PermissionDenied("Verify your email or phone before creating events", code="verification_required")
    return services.Actor(principal.user_id, principal.has(MODERATE), creator=True)


def actor(principal: Principal) -> services.Actor:
    """The services' view of the caller."""
    return services.Actor(principal.user_id, principal.has(MODERATE), principal.has(CREATE))


async def author(principal: Principal, group_id: int | None) -> services.Actor:
    """The creator of a new event: anyone who may create, or, for a group's event, its managers (checked after)."""
    if group_id is None:
        return await creator(principal)
    return services.Actor(principal.user_id, principal.has(MODERATE), await may_create(principal))


def not_modified(request: Request[Any, Any, Any], etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks for GET)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


async def event_response(request: Request[Any, Any, Any], event_id: int, principal: Principal | None,
                         key: str | None = None, status: int = HTTP_200_OK) -> Response[Any]:
    """The event detail with its ETag, or 304 when the client's copy is current (anonymous reads: from the cache)."""

    async def compute() -> tuple[str, bytes]:
        detail = await reads.detail(event_id, principal.user_id if principal else None,
                                    bool(principal and principal.has(MODERATE)), key)
        body = msgspec.json.encode(msgspec.convert(detail, EventRead))
        return reads.etag_of(event_id, detail["version"], body), body

    if principal is None and key is None and status == HTTP_200_OK:  # what every anonymous reader sees alike
        etag, body = await event_cache.card(event_id, compute)
    else:
        etag, body = await compute()
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if status == HTTP_200_OK and not_modified(request, etag):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=body, status_code=status, media_type=JSON, headers=headers)


class EventController(Controller):
    """Events: the feed, CRUD for authors, status moves, moderation, participation and calendars."""

    path = "/events"

    @get("/", operation_id="list_events", summary="The feed: search, filters, near-me, keyset pages",
         dependencies={"feed_query": Provide(query.provider(FeedParams, FEED_CODES), sync_to_thread=False)},
         operation_class=query.operation_with(FeedParams), opt={response_cache.OPT: True})
    async def list_events(self, request: Request[Any, Any, Any], feed_query: FeedQuery) -> Response[Page[FeedItem]]:
        """Public published events; with ``near=lat,lng`` sorted by distance (``distance_km`` in each item)."""
        now = clock.now()
        fq = feed.parse(feed_query, now=now, max_radius_km=plugin_settings(EventsSettings).max_radius_km)

        async def compute() -> event_cache.Computed:
            result = await feed.page(fq)
            body = msgspec.json.encode(result)
            return (reads.etag_of(0, 0, body), body, [i.id for i in result.items],
                    min((i.ends_at for i in result.items), default=None))

        etag, body = await event_cache.feed_page(feed_query, compute, now)  # the same for every reader
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        # The body is encoded once (for its ETag) and sent as is; OpenAPI documents it as the page it encodes.
        response: Response[Any] = Response(content=b"", status_code=304, headers=headers)
        if not not_modified(request, etag):
            response = Response(content=body, media_type=JSON, headers=headers)
        return response

    @post("/", operation_id="create_event", opt={"etag": True})
    async def create_event(self, request: Request[Any, Any, Any], principal: Caller,
                           data: JSONBody[EventCreate]) -> Response[EventRead]:
        """Create a draft event (submit it for review to publish it).

        Needs a verified account (or ``events.create`` when the operator requires the organiser role: see
        ``/api/v1/capabilities``), or, with ``group_id``, to be a moderator of that group.
        """
        event_id = await services.create_event(await author(principal, data.group_id), msgspec.structs.asdict(data))
        return await event_response(request, event_id, principal, status=HTTP_201_CREATED)

    @get("/{event_id:int}", operation_id="get_event", opt={"etag": True})
    async def get_event(self, request: Request[Any, Any, Any], optional_principal: OptionalCaller,
                        event_id: FromPath[int], key: FromQuery[str | None] = None) -> Response[EventRead]:
        """One event as the caller may see it (``key``: the secret of a link-only event). ETag / 304."""
        return await event_response(request, event_id, optional_principal, key)

    @patch("/{event_id:int}", operation_id="update_event", opt={"etag": True, "if_match": True})
    async def update_event(self, request: Request[Any, Any, Any], principal: Caller, event_id: FromPath[int],
                           data: JSONBody[EventUpdate]) -> Response[EventRead]:
        """Edit my event; send ``If-Match`` with the ETag you read (412 when someone changed it meanwhile)."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        await services.update_event(actor(principal), event_id, changes, request.headers.get("if-match"))
        return await event_response(request, event_id, principal)

    @delete("/{event_id:int}", operation_id="delete_event", status_code=HTTP_204_NO_CONTENT, opt={"if_match": True})
    async def delete_event(self, request: Request[Any, Any, Any], principal: Caller,
                           event_id: FromPath[int]) -> None:
        """Delete my draft, rejected or cancelled event (it becomes a tombstone in ``/events/mine``)."""
        await services.delete_event(actor(principal), event_id, request.headers.get("if-match"))

    @post("/{event_id:int}/submit", operation_id="submit_event", status_code=HTTP_200_OK)
    async def submit_event(self, request: Request[Any, Any, Any], principal: Caller,
                           event_id: FromPath[int]) -> Response[EventRead]:
        """Ask moderators to review my event."""
        await services.submit(actor(principal), event_id)
        return await event_response(request, event_id, principal)

    @post("/{event_id:int}/cancel", operation_id="cancel_event", status_code=HTTP_200_OK)
    async def cancel_event(self, request: Request[Any, Any, Any], principal: Caller, event_id: FromPath[int],
                           data: JSONBody[ReasonBody]) -> Response[EventRead]:
        """Cancel a published event (its author or a moderator), with a reason participants will read."""
        await services.cancel(actor(principal), event_id, data.reason)
        return await event_response(request, event_id, principal)

    @post("/{event_id:int}/approve", operation_id="approve_event", status_code=HTTP_200_OK,
          guards=[requires(MODERATE)])
    async def approve_event(self, request: Request[Any, Any, Any], principal: Caller,
                            event_id: FromPath[int]) -> Response[EventRead]:
        """Publish an event waiting for review."""
        await services.approve(event_id, principal.user_id)
        return await event_response(request, event_id, principal)

    @post("/{event_id:int}/reject", operation_id="reject_event", status_code=HTTP_200_OK,
          guards=[requires(MODERATE)])
    async def reject_event(self, request: Request[Any, Any, Any], principal: Caller, event_id: FromPath[int],
                           data: JSONBody[ReasonBody]) -> Response[EventRead]:
        """Reject an event waiting for review, with a reason for its author."""
        await services.reject(event_id, principal.user_id, data.reason)
        return await event_response(request, event_id, principal)

    @get("/{event_id:int}/history", operation_id="list_event_history")
    async def list_event_history(self, principal: Caller, event_id: FromPath[int]) -> list[MoveRead]:
        """The status moves of my event (or any event, for moderators)."""
        if not principal.has(MODERATE):
            await services.check_history_access(event_id, principal.user_id, False)
        return msgspec.convert(await services.history(event_id), list[MoveRead])

    @get("/moderation", operation_id="list_pending_events", guards=[requires(MODERATE)])
    async def list_pending_events(self, cursor: FromQuery[str | None] = None, limit: Limit = 50) -> Page[PendingItem]:
        """The moderation queue, oldest submission first."""
        page = await api.pending_review(limit, cursor)
        return Page(items=[msgspec.convert(i, PendingItem, from_attributes=True) for i in page.items],
                    next_cursor=page.next_cursor)

    @get("/mine", operation_id="list_my_events")
    async def list_my_events(self, principal: Caller, updated_since: FromQuery[datetime | None] = None,
                             cursor: FromQuery[str | None] = None, limit: Limit = 50) -> Page[MyEventItem]:
        """Events I authored changed since ``updated_since``; deleted ones come as ``{"id", "deleted": true}``."""
        return await reads.authored(principal.user_id, updated_since, cursor, limit)

    @get("/joined", operation_id="list_joined_events")
    async def list_joined_events(self, principal: Caller, updated_since: FromQuery[datetime | None] = None,
                                 cursor: FromQuery[str | None] = None, limit: Limit = 50) -> Page[JoinedItem]:
        """My participations changed since ``updated_since``; ones I left come as tombstones."""
        return await reads.joined(principal.user_id, updated_since, cursor, limit)

    @post("/{event_id:int}/join", operation_id="join_event", status_code=HTTP_200_OK)
    async def join_event(self, principal: Caller, event_id: FromPath[int], data: JSONBody[JoinBody | None] = None,
                         key: FromQuery[str | None] = None) -> ParticipationRead:
        """Join (``guests``: extra people); confirmed, pending approval, or waitlisted when full.

        A link-only event needs the ``key`` of its link (as reading it does); a members-only event, membership.
        """
        result = await participation.join(principal.user_id, event_id, data.guests if data else 0, key)
        return msgspec.convert(result, ParticipationRead)

    @post("/{event_id:int}/leave", operation_id="leave_event", status_code=HTTP_204_NO_CONTENT)
    async def leave_event(self, principal: Caller, event_id: FromPath[int]) -> None:
        """Leave the event or its waitlist."""
        await participation.leave(principal.user_id, event_id)

    @post("/{event_id:int}/claim", operation_id="claim_offer", status_code=HTTP_200_OK)
    async def claim_offer(self, principal: Caller, event_id: FromPath[int]) -> ParticipationRead:
        """Claim the seats offered to me from the waitlist."""
        return msgspec.convert(await participation.claim(principal.user_id, event_id), ParticipationRead)

    @post("/{event_id:int}/participants/{user_id:int}/approve", operation_id="approve_participant",
          status_code=HTTP_200_OK)
    async def approve_participant(self, principal: Caller, event_id: FromPath[int],
                                  user_id: FromPath[int]) -> ParticipationRead:
        """Accept a participant waiting for my approval."""
        result = await participation.decide(principal.user_id, event_id, user_id, accept=True)
        return msgspec.convert(result, ParticipationRead)

    @post("/{event_id:int}/participants/{user_id:int}/decline", operation_id="decline_participant",
          status_code=HTTP_200_OK)
    async def decline_participant(self, principal: Caller, event_id: FromPath[int],
                                  user_id: FromPath[int]) -> ParticipationRead:
        """Decline (or remove) a participant of my event."""
        result = await participation.decide(principal.user_id, event_id, user_id, accept=False)
        return msgspec.convert(result, ParticipationRead)

    @get("/{event_id:int}/participants", operation_id="list_participants")
    async def list_participants(self, optional_principal: OptionalCaller, event_id: FromPath[int],
                                cursor: FromQuery[str | None] = None, limit: Limit = 50) -> ParticipantsPage:
        """Confirmed participants I may see under each one's privacy settings; the others are counted."""
        p = optional_principal
        return await reads.participants(event_id, p.user_id if p else None, bool(p and p.has(MODERATE)), cursor, limit)

    @get("/{event_id:int}/calendar.ics", operation_id="get_event_calendar", media_type=ICS)
    async def get_event_calendar(self, optional_principal: OptionalCaller, event_id: FromPath[int],
                                 key: FromQuery[str | None] = None) -> Response[bytes]:
        """The event as an iCalendar file (with its VTIMEZONE)."""
        p = optional_principal
        detail = await reads.detail(event_id, p.user_id if p else None, bool(p and p.has(MODERATE)), key)
        ics = await calendar.event_ics(detail, detail["online_url"] is not None)
        return Response(content=ics, media_type=ICS,
                        headers={"Content-Disposition": f'attachment; filename="event-{event_id}.ics"'})

    @post("/calendar-token", operation_id="create_calendar_token", status_code=HTTP_201_CREATED)
    async def create_calendar_token(self, principal: Caller) -> CalendarLink:
        """A personal calendar feed URL of my upcoming events (a new one revokes the old one)."""
        token = await calendar.new_token(principal.user_id)
        base = (plugin_settings(EventsSettings).public_url or get_settings().http.public_url).rstrip("/")
        return CalendarLink(url=f"{base}{calendar.FEED_PATH}/{token}/calendar.ics", token=token)

    @delete("/calendar-token", operation_id="delete_calendar_token", status_code=HTTP_204_NO_CONTENT)
    async def delete_calendar_token(self, principal: Caller) -> None:
        """Revoke my calendar feed URL."""
        await calendar.revoke_tokens(principal.user_id)


class VenueController(Controller):
    """Venues."""

    path = "/events/venues"

    @post("/", operation_id="create_venue")
    async def create_venue(self, principal: Caller, data: JSONBody[VenueCreate]) -> VenueRead:
        """Add a venue (IANA timezone, coordinates in degrees); who may: as for creating events."""
        row = await services.create_venue(await creator(principal), msgspec.structs.asdict(data))
        return msgspec.convert(row, VenueRead)

    @get("/{venue_id:int}", operation_id="get_venue")
    async def get_venue(self, optional_principal: OptionalCaller, venue_id: FromPath[int]) -> VenueRead:
        """One venue; ``pos_ref`` (its point-of-sale link) only for staff and whoever added the venue."""
        row = await services.get_venue(venue_id)
        p = optional_principal
        if p is None or not (p.has(MODERATE) or p.user_id == row["created_by"]):
            row = {**row, "pos_ref": None}
        return msgspec.convert(row, VenueRead)


class SeriesController(Controller):
    """Recurring events."""

    path = "/events/series"

    @post("/", operation_id="create_series")
    async def create_series(self, principal: Caller, data: JSONBody[SeriesCreate]) -> SeriesRead:
        """Create a series: the first occurrence plus an RRULE, expanded in the venue's local time."""
        created = await series.create_series(await author(principal, data.event.group_id),
                                             msgspec.structs.asdict(data.event), data.rrule)
        return msgspec.convert(created, SeriesRead)


class CalendarFeedController(Controller):
    """The personal calendar feed, outside the JSON API (calendar apps fetch it without a bearer token)."""

    path = calendar.FEED_PATH

    @get("/{token:str}/calendar.ics", operation_id="get_calendar_feed", media_type=ICS, include_in_schema=False)
    async def get_calendar_feed(self, token: FromPath[str]) -> Response[bytes]:
        """My upcoming events, for Google/Apple calendar subscriptions."""
        return Response(content=await calendar.feed_ics(token), media_type=ICS)

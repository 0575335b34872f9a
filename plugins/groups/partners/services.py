"""The "+1" requests: post (who may, the caps), list mine, withdraw, close at the start; suggestions for one of mine.

Who may post for an event: anyone taking part in it (pending, confirmed, waitlisted or offered), and — "interested"
— anyone signed in for a published **public** event; an event shared by link or members-only needs joining first
(an event one cannot see is 404 ``event_not_found``). Requests close at the event's start: after ``starts_at`` no
request is posted, suggested or proposed to, and reads show an open one as ``closed`` (the periodic job writes it).
Every action counts against ``partner_actions_per_minute`` (429 ``rate_limited``).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

import msgspec
from piccolo.columns.combination import Or

from core import clock, ratelimit
from core.errors import Conflict, NotFound, ValidationFailed
from core.hooks import plugin_settings
from core.pagination import Page, decode_cursor, page_of
from core.users import services as users
from core.users.tables import User
from plugins.events import api as events
from plugins.groups import GroupsSettings
from plugins.groups.partners import matching
from plugins.groups.partners.schemas import PartnerRequestCreate, PartnerRequestRead, PartnerSuggestion
from plugins.groups.store import transaction
from plugins.groups.tables import PartnerBlock, PartnerProposal, PartnerRequest

log = logging.getLogger("plugins.groups")
Row = dict[str, Any]

OPEN, WITHDRAWN, MATCHED, CLOSED = "open", "withdrawn", "matched", "closed"
TAKING_PART = ("pending", "confirmed", "waitlisted", "offered")
MINE_SCOPE = "groups.partner_requests"
CANDIDATES = 500  # open requests of one event looked at per suggestion list
REQUEST_COLUMNS = (
    PartnerRequest.id, PartnerRequest.event_id, PartnerRequest.user.as_alias("user_id"), PartnerRequest.kind,
    PartnerRequest.group_size, PartnerRequest.note, PartnerRequest.languages, PartnerRequest.age_min,
    PartnerRequest.age_max, PartnerRequest.verified_only, PartnerRequest.audience, PartnerRequest.status,
    PartnerRequest.pseudonym, PartnerRequest.starts_at, PartnerRequest.created_at,
)
_ANIMALS = ("Otter", "Lynx", "Heron", "Fox", "Badger", "Falcon", "Marten", "Beaver", "Crane", "Hare", "Owl", "Seal",
            "Raven", "Wolf", "Elk", "Swift", "Ibis", "Puffin", "Gecko", "Koala", "Panda", "Tapir", "Yak", "Zebra")


def settings() -> GroupsSettings:
    """The groups plugin's settings."""
    return plugin_settings(GroupsSettings)


async def act(user_id: int) -> None:
    """Count one "+1" action of the user (429 ``rate_limited`` past ``partner_actions_per_minute``)."""
    await ratelimit.hit("groups.partners", str(user_id), limit=settings().partner_actions_per_minute, window_s=60)


def pseudonym() -> str:
    """A fresh pseudonym (an animal and a number): what others see instead of a name until one reveals it."""
    return f"{secrets.choice(_ANIMALS)} {secrets.randbelow(900) + 100}"


def shown_status(row: Row, now: datetime | None = None) -> str:
    """A request's status as reads show it: an open request is closed once its event started."""
    if row["status"] == OPEN and row["starts_at"] <= (now or clock.now()):
        return CLOSED
    return str(row["status"])


def request_not_found(request_id: int) -> NotFound:
    """The one answer for a request that does not exist or is not the caller's to see."""
    return NotFound("partner request %(request_id)s not found",
                    params={"request_id": request_id}, code="partner_request_not_found")


async def load_request(request_id: int, *, lock: bool = False) -> Row | None:
    """A request row (any status), or None; ``lock`` takes its row lock."""
    query = PartnerRequest.select(*REQUEST_COLUMNS).where(PartnerRequest.id == request_id)
    if lock:
        query = query.lock_rows("UPDATE")
    row: Row | None = await query.first()
    return row


async def own_open_request(user_id: int, request_id: int, *, lock: bool = False) -> Row:
    """One of the user's requests, still open (404 when not theirs, 409 ``partner_request_closed`` otherwise)."""
    row = await load_request(request_id, lock=lock)
    if row is None or row["user_id"] != user_id:
        raise request_not_found(request_id)
    if shown_status(row) != OPEN:
        raise Conflict("This request is %(request_status)s", code="partner_request_closed",
                       request_status=shown_status(row))
    return row


async def blocked_with(user_id: int) -> set[int]:
    """Everyone the user blocked or was blocked by (hidden from each other in partner search, both ways)."""
    rows = await PartnerBlock.select(PartnerBlock.blocker, PartnerBlock.blocked).where(
        Or(PartnerBlock.blocker == user_id, PartnerBlock.blocked == user_id))
    return {r["blocked"] if r["blocker"] == user_id else r["blocker"] for r in rows}


async def _eligible_event(user_id: int, event_id: int) -> events.EventInfo:
    info = await events.get_event_info(event_id)
    taking_part = await events.participation_status(event_id, user_id) in TAKING_PART
    if not taking_part and not (info.status == "published" and info.visibility == "public"):
        raise NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")
    if info.status != "published" or info.starts_at <= clock.now():
        raise Conflict("Partner requests for this event are closed (it started, or is not open)",
                       code="partner_requests_closed", event_status=info.status)
    return info


def _check_body(data: PartnerRequestCreate) -> None:
    errors = []
    if data.kind == "group" and data.group_size < 2:
        errors.append({"pointer": "/group_size", "detail": "A group is at least 2 people"})
    if data.kind != "group" and data.group_size != 1:
        errors.append({"pointer": "/group_size", "detail": "Only a group has a size"})
    if data.age_min is not None and data.age_max is not None and data.age_min > data.age_max:
        errors.append({"pointer": "/age_max", "detail": "Must not be below age_min"})
    if errors:
        raise ValidationFailed("Invalid partner request", errors=errors)


async def create_request(user_id: int, data: PartnerRequestCreate) -> PartnerRequestRead:
    """Post a request; the event must be open to the user (see the module docstring).

    One open request per user and event (409 ``partner_request_exists``), at most ``max_open_partner_requests``
    open (409 ``partner_request_limit``).
    """
    await act(user_id)
    _check_body(data)
    info = await _eligible_event(user_id, data.event_id)
    async with transaction():
        # The user's own row lock serialises their creations: the cap holds under concurrent posts.
        await User.select(User.id).where(User.id == user_id).lock_rows("NO KEY UPDATE")
        now = clock.now()
        open_rows = await PartnerRequest.select(PartnerRequest.event_id).where(
            PartnerRequest.user == user_id, PartnerRequest.status == OPEN, PartnerRequest.starts_at > now)
        if any(r["event_id"] == data.event_id for r in open_rows):
            raise Conflict("You already have an open request for this event", code="partner_request_exists")
        cap = settings().max_open_partner_requests
        if len(open_rows) >= cap:
            raise Conflict("At most %(cap)s open partner requests at once",
                           params={"cap": cap}, code="partner_request_limit", limit=cap)
        await PartnerRequest.update({PartnerRequest.status: CLOSED, PartnerRequest.updated_at: now}).where(
            PartnerRequest.user == user_id, PartnerRequest.event_id == data.event_id, PartnerRequest.status == OPEN)
        rows = await PartnerRequest.insert(PartnerRequest(
            event_id=data.event_id, user=user_id, kind=data.kind, group_size=data.group_size, note=data.note.strip(),
            languages=list(dict.fromkeys(data.languages)), age_min=data.age_min, age_max=data.age_max,
            verified_only=data.verified_only, audience=data.audience, status=OPEN, pseudonym=pseudonym(),
            starts_at=info.starts_at, created_at=now, updated_at=now)).returning(PartnerRequest.id)
    log.info("user %s posted partner request %s (%s) for event %s", user_id, rows[0]["id"], data.kind, data.event_id)
    return read(await load_request(rows[0]["id"]))


def read(row: Row | None) -> PartnerRequestRead:
    """The API shape of a request row."""
    assert row is not None
    return msgspec.convert({**row, "status": shown_status(row)}, PartnerRequestRead)


async def my_requests(user_id: int, cursor: str | None, limit: int) -> Page[PartnerRequestRead]:
    """My requests, newest first (400 ``invalid_cursor`` for a bad cursor)."""
    query = PartnerRequest.select(*REQUEST_COLUMNS).where(PartnerRequest.user == user_id)
    if cursor:
        (after,) = decode_cursor(cursor, int, scope=MINE_SCOPE)
        query = query.where(PartnerRequest.id < after)
    rows = await query.order_by(PartnerRequest.id, ascending=False).limit(limit + 1)
    return page_of(rows, limit, key=lambda r: (r["id"],), scope=MINE_SCOPE, item=read)


async def withdraw_request(user_id: int, request_id: int) -> PartnerRequestRead:
    """Withdraw my open request; proposals still waiting on it are withdrawn too (open pairs go on)."""
    await act(user_id)
    async with transaction():
        await own_open_request(user_id, request_id, lock=True)
        now = clock.now()
        await PartnerRequest.update({PartnerRequest.status: WITHDRAWN, PartnerRequest.updated_at: now}).where(
            PartnerRequest.id == request_id)
        await PartnerProposal.update({PartnerProposal.status: "withdrawn", PartnerProposal.updated_at: now}).where(
            Or(PartnerProposal.from_request == request_id, PartnerProposal.to_request == request_id),
            PartnerProposal.status == "proposed")
    log.info("user %s withdrew partner request %s", user_id, request_id)
    return read(await load_request(request_id))


async def close_started() -> int:
    """Close the open requests whose event has started (periodic job; idempotent). Returns how many."""
    rows = await PartnerRequest.update({PartnerRequest.status: CLOSED, PartnerRequest.updated_at: clock.now()}).where(
        PartnerRequest.status == OPEN, PartnerRequest.starts_at <= clock.now()).returning(PartnerRequest.id)
    if rows:
        log.info("closed %s partner requests whose event started", len(rows))
    return len(rows)


# ---------------------------------------------------------------------------------------------------------------------
# Suggestions
# ---------------------------------------------------------------------------------------------------------------------


async def sides(event_id: int, requests: list[Row]) -> dict[int, matching.Side]:
    """What matching knows of each request's author, by request id (banned and deleted authors are left out)."""
    user_ids = sorted({r["user_id"] for r in requests})
    facts = await users.matching_facts(user_ids)
    attended = await events.attended_tags(user_ids)
    taking_part = await events.taking_part(event_id, user_ids)
    out = {}
    for r in requests:
        f = facts.get(r["user_id"])
        if f is not None:
            tags = frozenset(t.lower() for t in (*f.interests, *attended.get(r["user_id"], ())))
            out[r["id"]] = matching.Side(r, f, tags, r["user_id"] in taking_part)
    return out


async def proposed_between(request_id: int) -> set[int]:
    """The requests that already have a proposal with this one (either way, any status): never suggested again."""
    rows = await PartnerProposal.select(PartnerProposal.from_request, PartnerProposal.to_request).where(
        Or(PartnerProposal.from_request == request_id, PartnerProposal.to_request == request_id))
    return {r["to_request"] if r["from_request"] == request_id else r["from_request"] for r in rows}


async def suggestable(mine: Row, candidates: list[Row]) -> list[tuple[Row, matching.Match]]:
    """The candidates that fit ``mine`` (not blocked either way, no proposal yet), best first."""
    hidden = await blocked_with(mine["user_id"])
    done = await proposed_between(mine["id"])
    now = clock.now()
    candidates = [c for c in candidates if c["user_id"] != mine["user_id"] and c["user_id"] not in hidden
                  and c["id"] not in done and shown_status(c, now) == OPEN and c["event_id"] == mine["event_id"]]
    known = await sides(mine["event_id"], [mine, *candidates])
    me = known.get(mine["id"])
    if me is None:
        return []
    scored = [(c, matching.score(me, known[c["id"]])) for c in candidates
              if c["id"] in known and matching.fits(me, known[c["id"]])]
    scored.sort(key=lambda cm: (-cm[1].score, -cm[0]["id"]))
    return scored


async def suggestions(user_id: int, request_id: int, limit: int) -> Page[PartnerSuggestion]:
    """Suggestions for my open request: at most ``partner_suggestions``, best first; pseudonyms, never people."""
    await act(user_id)
    mine = await own_open_request(user_id, request_id)
    candidates = await PartnerRequest.select(*REQUEST_COLUMNS).where(
        PartnerRequest.event_id == mine["event_id"], PartnerRequest.status == OPEN,
        PartnerRequest.starts_at > clock.now(), PartnerRequest.user != user_id,
    ).order_by(PartnerRequest.id, ascending=False).limit(CANDIDATES)
    best = (await suggestable(mine, candidates))[:min(limit, settings().partner_suggestions)]
    return Page(items=[PartnerSuggestion(
        request_id=c["id"], pseudonym=c["pseudonym"], kind=c["kind"], group_size=c["group_size"], note=c["note"],
        shared_interests=m.shared_interests, shared_languages=m.shared_languages, score=m.score) for c, m in best],
        next_cursor=None)


async def erase_user(user_id: int) -> None:
    """A deleted account: its open requests withdrawn, its pairs ended (left); blocks stay (they protect others)."""
    now = clock.now()
    await PartnerRequest.update({PartnerRequest.status: WITHDRAWN, PartnerRequest.note: "",
                                 PartnerRequest.updated_at: now}).where(PartnerRequest.user == user_id,
                                                                        PartnerRequest.status == OPEN)
    await PartnerProposal.update({PartnerProposal.status: "left", PartnerProposal.ended_by: user_id,
                                  PartnerProposal.updated_at: now}).where(
        Or(PartnerProposal.from_user == user_id, PartnerProposal.to_user == user_id),
        PartnerProposal.status.is_in(["proposed", "matched", "going"]))


async def export_user(user_id: int) -> dict[str, Any]:
    """The user's "+1" requests (their proposals are in the pairs list of the app)."""
    rows = await PartnerRequest.select(*REQUEST_COLUMNS).where(PartnerRequest.user == user_id).order_by(
        PartnerRequest.id)
    return {"requests": [msgspec.to_builtins(read(r)) for r in rows]}


async def event_moved(event_id: int, starts_at: datetime) -> None:
    """The event's start moved: its open requests close at the new start."""
    await PartnerRequest.update({PartnerRequest.starts_at: starts_at, PartnerRequest.updated_at: clock.now()}).where(
        PartnerRequest.event_id == event_id, PartnerRequest.status == OPEN)


async def close_event(event_id: int) -> None:
    """The event was cancelled: its open requests close."""
    await PartnerRequest.update({PartnerRequest.status: CLOSED, PartnerRequest.updated_at: clock.now()}).where(
        PartnerRequest.event_id == event_id, PartnerRequest.status == OPEN)

"""Domain facts from the events, reviews, support and search hooks, written inside the change's transaction.

One small insert per hook call and no other I/O: the rollups fold the facts in later (``rollups.refresh``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from piccolo.querystring import QueryString

from core import clock
from plugins.analytics.tables import Fact
from plugins.events.hookspecs import EventInfo

log = logging.getLogger("plugins.analytics")

JOIN_KINDS = {"confirmed": "joined", "waitlisted": "waitlisted", "pending": "requested"}
# The inserting transaction's id, which the rollups' snapshot window reads (see ``rollups``).
_TXID = QueryString("pg_current_xact_id()::text::bigint")


async def record(kind: str, event: EventInfo, user_id: int | None, duration_s: float | None = None) -> None:
    """Store one fact about ``event`` (``user_id``: who acted)."""
    # A Piccolo query joins the caller's transaction (the events change), unlike a fresh pool connection.
    await Fact.insert(Fact(kind=kind, event_id=event.id, author_id=event.author_id, user_id=user_id,
                           occurred_at=clock.now(), duration_s=duration_s, txid=_TXID))


async def record_decision(kind: str, event: EventInfo, moderator_id: int | None) -> None:
    """Store a moderation decision with the time since the event's latest submission (the throughput figure)."""
    submitted = await Fact.select(Fact.occurred_at).where(
        (Fact.event_id == event.id) & (Fact.kind == "submitted")).order_by(Fact.id, ascending=False).first()
    duration = None
    if submitted and moderator_id is not None:
        duration = max(0.0, (clock.now() - submitted["occurred_at"]).total_seconds())
    await record(kind, event, moderator_id, duration)


async def record_join(event: EventInfo, user_id: int, status: str) -> None:
    """Store a join (``joined``, ``waitlisted`` or ``requested``) and convert the user's join experiments."""
    from plugins.analytics import experiments

    await record(JOIN_KINDS.get(status, status), event, user_id)
    if status == "confirmed":
        await experiments.convert_goal("join", f"u:{user_id}")


class Reviewed(Protocol):
    """What analytics reads of the reviews plugin's ``ReviewInfo`` (analytics does not depend on reviews)."""

    @property
    def event_id(self) -> int: ...
    @property
    def organiser_id(self) -> int: ...
    @property
    def author_id(self) -> int: ...
    @property
    def rating(self) -> int: ...
    @property
    def tags(self) -> Sequence[str]: ...


async def record_review(kind: str, review: Reviewed) -> None:
    """Store ``reviewed`` (a review became visible) or ``unreviewed`` (its rating and tags counted out)."""
    await Fact.insert(Fact(kind=kind, event_id=review.event_id, author_id=review.organiser_id,
                           user_id=review.author_id, occurred_at=clock.now(), rating=review.rating,
                           tags=list(review.tags), txid=_TXID))


class Ticketed(Protocol):
    """What analytics reads of the support plugin's ``TicketInfo`` (analytics does not depend on support)."""

    @property
    def requester_id(self) -> int: ...


async def record_ticket(kind: str, user_id: int | None) -> None:
    """Store ``ticket_opened``, ``ticket_replied`` or ``ticket_resolved`` (support plugin; ``user_id``: who acted)."""
    await Fact.insert(Fact(kind=kind, event_id=None, author_id=None, user_id=user_id, occurred_at=clock.now(),
                           txid=_TXID))


class Searched(Protocol):
    """What analytics reads of the search plugin's ``LoggedQuery`` (analytics does not depend on search)."""

    @property
    def query(self) -> str: ...
    @property
    def results(self) -> int: ...
    @property
    def at(self) -> datetime: ...


async def record_searches(entries: Sequence[Searched]) -> None:
    """Store one ``searched`` fact per logged search (anonymised: no user, no event), in one insert."""
    if entries:
        await Fact.insert(*(Fact(kind="searched", event_id=None, author_id=None, user_id=None, occurred_at=e.at,
                                 query=e.query[:200], results=max(0, e.results), txid=_TXID) for e in entries))

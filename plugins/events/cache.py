"""The read cache of events (core.cache): feed pages per normalised query and anonymous event cards.

What is cached is what everyone is shown alike: a feed page (the feed has no per-reader part) and the event as an
anonymous reader sees it. Signed-in readers' details (``my_status``, ``online_url`` …) are never cached.

Entries depend on version counters, bumped by events' own hooks (``plugin.py``) after the transaction of the change
commits (``store.transaction`` wraps it in ``core.cache.deferred``):

* ``events:event:<id>`` — one event: its anonymous card, and every feed page showing it (a page is stored with the
  counters of the events on it), bumped by any change to the event (an edit, a join or leave, a status move);
* ``events:feed`` — which events every feed page holds, and in which order: bumped by changes that can move an event
  into, out of or within any page (a move to or from published, an edit of a time, place, tag, category, price or
  visibility of a published event, a venue moved, a rating set). A title edit or a join only stales the pages that
  show that event (and, for title and description, the text searches: ``events:feed:text``);
* ``events:changes`` — bumped with every event: a page computed while an event changed is not stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import msgspec

from core import cache
from core.cache import Hit
from plugins.events import states
from plugins.events.hookspecs import EventInfo
from plugins.events.schemas import FeedParams

FEED = "events:feed"
FEED_TEXT = "events:feed:text"
CHANGES = "events:changes"
MIN_TTL_S = 1
# Fields whose change can move a published event into, out of or within feed pages (filters and sort keys).
SHAPE_FIELDS = frozenset({"starts_at", "ends_at", "timezone", "tags", "category", "latitude", "longitude", "venue_id",
                          "price_cents", "visibility", "status"})
TEXT_FIELDS = frozenset({"title", "description"})


def event_dep(event_id: int) -> str:
    """The version counter of one event (its card, and the feed pages showing it)."""
    return f"events:event:{event_id}"


def feed_name(params: FeedParams) -> str:
    """The entry name of a feed page: a digest of the parsed query (field order and defaults make it canonical)."""
    return "events:feed:" + hashlib.blake2b(msgspec.json.encode(params), digest_size=12).hexdigest()


Computed = tuple[str, bytes, list[int], datetime | None]
"""A computed feed page: its ETag, body, the ids of its events, and when the first of them ends."""


async def feed_page(params: FeedParams, compute: Callable[[], Awaitable[Computed]], now: datetime) -> Hit:
    """The feed page for ``params``: from the cache while current, else ``compute()``.

    The entry also expires when its earliest event ends (the feed shows only events not yet over).
    """
    name = feed_name(params)
    deps = (FEED, FEED_TEXT) if params.q else (FEED,)
    found = await cache.lookup(name, deps, guard=CHANGES)
    if found.hit is not None:
        return found.hit
    etag, body, ids, first_end = await compute()
    ttl = cache.ttl_s()
    if first_end is not None:
        ttl = min(ttl, max(MIN_TTL_S, int((first_end - now).total_seconds())))
    await cache.store(name, found, etag, body, ttl, parts=[event_dep(i) for i in ids], guard=CHANGES)
    return Hit(etag, body)


async def card(event_id: int, compute: Callable[[], Awaitable[tuple[str, bytes]]]) -> Hit:
    """The anonymous detail of an event: from the cache while current, else ``compute()`` → (etag, body).

    Only successful reads are stored; ``compute`` raising (404 for an event anonymous readers may not see) passes.
    """
    name = f"events:card:{event_id}"
    found = await cache.lookup(name, (event_dep(event_id),))
    if found.hit is not None:
        return found.hit
    etag, body = await compute()
    await cache.store(name, found, etag, body)
    return Hit(etag, body)


async def changed(event: EventInfo, changes: Mapping[str, Any] | None = None, *, moved: bool = False) -> None:
    """An event changed: an edit (``changes``: field → (old, new)) or a status move (``moved``)."""
    deps = [event_dep(event.id), CHANGES]
    published = event.status == states.PUBLISHED
    if moved or (published and changes is not None and not SHAPE_FIELDS.isdisjoint(changes)):
        deps.append(FEED)
    if published and changes is not None and not TEXT_FIELDS.isdisjoint(changes):
        deps.append(FEED_TEXT)
    await cache.bump(*deps)


async def seats_changed(event: EventInfo) -> None:
    """Someone joined, left or was offered seats: the event's card and the pages showing it (seats left)."""
    await cache.bump(event_dep(event.id), CHANGES)


async def touched(event_ids: Iterable[int], *, feed: bool = True) -> None:
    """Events changed outside the hooks (deleted, venue moved, rating set): their cards and pages, and the feed."""
    await cache.bump(*(event_dep(i) for i in event_ids), CHANGES, *([FEED] if feed else []))

"""The read cache of events (core.cache): feed pages per normalised query and anonymous event cards.

What is cached is what everyone is shown alike: a feed page (the feed has no per-reader part) and the event as an
anonymous reader sees it. Signed-in readers' details (``my_status``, ``online_url`` …) are never cached.

Entries depend on version counters, bumped by events' own hooks (``plugin.py``) after the transaction of the change
commits (``store.transaction`` wraps it in ``core.cache.deferred``):

* ``events:feed`` — every feed page: any change to a published event (an edit, a move to or from published, a
  join or leave changing the seats left of a published public event with a capacity), a venue moved, a rating set;
* ``events:event:<id>`` — the anonymous card of event ``<id>``: any change to it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

import msgspec

from core import cache
from core.cache import Hit
from plugins.events import states
from plugins.events.hookspecs import EventInfo
from plugins.events.schemas import FeedParams

FEED = "events:feed"
MIN_TTL_S = 1


def event_dep(event_id: int) -> str:
    """The version counter of one event's card."""
    return f"events:event:{event_id}"


def feed_name(params: FeedParams) -> str:
    """The entry name of a feed page: a digest of the parsed query (field order and defaults make it canonical)."""
    return "events:feed:" + hashlib.blake2b(msgspec.json.encode(params), digest_size=12).hexdigest()


async def feed_page(params: FeedParams, compute: Callable[[], Awaitable[tuple[str, bytes, datetime | None]]],
                    now: datetime) -> Hit:
    """The feed page for ``params``: from the cache while current, else ``compute()`` → (etag, body, first end).

    The entry also expires when its earliest event ends (the feed shows only events not yet over).
    """
    name = feed_name(params)
    hit, stamp = await cache.lookup(name, (FEED,))
    if hit is not None:
        return hit
    etag, body, first_end = await compute()
    ttl = cache.ttl_s()
    if first_end is not None:
        ttl = min(ttl, max(MIN_TTL_S, int((first_end - now).total_seconds())))
    await cache.store(name, stamp, etag, body, ttl)
    return Hit(etag, body)


async def card(event_id: int, compute: Callable[[], Awaitable[tuple[str, bytes]]]) -> Hit:
    """The anonymous detail of an event: from the cache while current, else ``compute()`` → (etag, body).

    Only successful reads are stored; ``compute`` raising (404 for an event anonymous readers may not see) passes.
    """
    name = f"events:card:{event_id}"
    hit, stamp = await cache.lookup(name, (event_dep(event_id),))
    if hit is not None:
        return hit
    etag, body = await compute()
    await cache.store(name, stamp, etag, body)
    return Hit(etag, body)


async def changed(event: EventInfo, *, moved: bool = False) -> None:
    """An event changed (an edit, a status move when ``moved``): its card, and the feed if it was or is in it."""
    deps = [event_dep(event.id)]
    if moved or event.status == states.PUBLISHED:
        deps.append(FEED)
    await cache.bump(*deps)


async def seats_changed(event: EventInfo) -> None:
    """Someone joined, left or was offered seats: the card (count), and the feed when it shows seats left."""
    deps = [event_dep(event.id)]
    if event.capacity is not None and event.status == states.PUBLISHED and event.visibility == "public":
        deps.append(FEED)
    await cache.bump(*deps)


async def touched(event_ids: Iterable[int], *, feed: bool = True) -> None:
    """Events changed outside the hooks above (deleted, venue moved, rating set): their cards and the feed."""
    deps = [event_dep(i) for i in event_ids]
    await cache.bump(*deps, *([FEED] if feed else []))

"""Who works on which moderation item: claims (opening an item holds it a few minutes), decisions, skipped items.

All in Redis, keyed by queue and item. A claim is advisory: others see who holds an item (in the list and on the
item) and "next" passes it over; the plugin's service still refuses a second decision (Conflict), and the panel
then names who decided first from the record :func:`decided` keeps (or the item's own history).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from admin_ui import session
from core import cache, clock

DECISION_TTL_S = 7 * 86_400


class Claim(msgspec.Struct):
    """One staff member holding one item until ``until`` (a timestamp of ``core.clock``)."""

    staff_id: int
    name: str
    until: float

    @property
    def minutes_left(self) -> int:
        """Whole minutes left (at least 1 while it holds)."""
        return max(1, round((self.until - clock.timestamp()) / 60))


class Decision(msgspec.Struct):
    """What the panel recorded when an item was decided (for the 409 page of whoever comes second)."""

    staff_id: int
    name: str
    what: str  # approved | rejected
    at: float
    reason: str = ""

    @property
    def when(self) -> datetime:
        """The decision's time as an aware datetime."""
        return datetime.fromtimestamp(self.at, tz=clock.now().tzinfo)


def _claim_key(queue: str, item: str) -> str:
    return cache.key("admin", "claim", queue, item)


def _decision_key(queue: str, item: str) -> str:
    return cache.key("admin", "decided", queue, item)


def _skipped_key(queue: str, staff_id: int) -> str:
    return cache.key("admin", "skipped", queue, staff_id)


def claim_seconds() -> int:
    """How long opening an item holds it (the ``claim_minutes`` setting)."""
    return session.settings().claim_minutes * 60


def _live(raw: bytes | str | None) -> Claim | None:
    if raw is None:
        return None
    found = msgspec.json.decode(raw, type=Claim)
    return found if found.until > clock.timestamp() else None


async def claim(queue: str, item: str, staff_id: int, name: str) -> Claim:
    """Hold ``item`` for ``staff_id`` unless someone else holds it; return whoever holds it now."""
    redis = cache.client()
    key = _claim_key(queue, item)
    held = _live(await redis.get(key))
    if held is not None and held.staff_id != staff_id:
        return held
    mine = Claim(staff_id=staff_id, name=name, until=clock.timestamp() + claim_seconds())
    # The Redis expiry only cleans up; liveness is judged on ``until`` (core.clock), so tests can move time.
    await redis.set(key, msgspec.json.encode(mine), ex=claim_seconds() + 60)
    return mine


async def holders(queue: str, items: Sequence[str]) -> dict[str, Claim]:
    """The live claims on ``items`` (one round trip)."""
    if not items:
        return {}
    raws = await cache.client().mget([_claim_key(queue, i) for i in items])
    out = {}
    for item, raw in zip(items, raws, strict=True):
        held = _live(raw)
        if held is not None:
            out[item] = held
    return out


async def release(queue: str, item: str, staff_id: int) -> None:
    """Let go of an item this staff member holds (after deciding or skipping it)."""
    redis = cache.client()
    key = _claim_key(queue, item)
    held = _live(await redis.get(key))
    if held is not None and held.staff_id == staff_id:
        await redis.delete(key)


async def record_decision(queue: str, item: str, staff_id: int, name: str, what: str, reason: str = "") -> None:
    """Remember who decided an item, what and when (shown to a second moderator deciding it too)."""
    entry = Decision(staff_id=staff_id, name=name, what=what, at=clock.timestamp(), reason=reason[:2000])
    await cache.client().set(_decision_key(queue, item), msgspec.json.encode(entry), ex=DECISION_TTL_S)
    await release(queue, item, staff_id)


async def decided(queue: str, item: str) -> Decision | None:
    """The panel's record of the item's decision, if it was decided through the panel lately."""
    raw = await cache.client().get(_decision_key(queue, item))
    return None if raw is None else msgspec.json.decode(raw, type=Decision)


async def skip(queue: str, item: str, staff_id: int) -> None:
    """This staff member passed over ``item`` ("next" without deciding): "next" leaves it out for a while."""
    redis = cache.client()
    key = _skipped_key(queue, staff_id)
    await redis.sadd(key, item)
    await redis.expire(key, claim_seconds())
    await release(queue, item, staff_id)


async def skipped(queue: str, staff_id: int) -> set[str]:
    """The items this staff member passed over lately."""
    return {m.decode() if isinstance(m, bytes) else str(m)
            for m in await cache.client().smembers(_skipped_key(queue, staff_id))}

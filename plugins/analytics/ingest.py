"""Client events: accepted in batches onto a Redis stream, written to PostgreSQL by a consumer group.

The request only validates and appends one stream entry per batch (``XADD``), so ingestion never waits for
PostgreSQL. The consumer (a periodic job on the workers) reads with ``XREADGROUP``, inserts a whole read in one
``INSERT … SELECT unnest(…) ON CONFLICT (client_event_id) DO NOTHING`` (retries and duplicates cost nothing), then
``XACK``s and deletes the entries. A worker that dies between read and ack leaves its entries pending; the next
consumer claims them with ``XAUTOCLAIM`` once they have been idle ``claim_idle_s``. Nothing is lost, nothing counted
twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
from redis.exceptions import RedisError, ResponseError

from core import cache, clock, db
from core.errors import ServiceUnavailable, ValidationFailed
from core.hooks import plugin_settings
from plugins.analytics import AnalyticsSettings, sql
from plugins.analytics.schemas import BatchAccepted, ClientEventBatch, RejectedEvent

log = logging.getLogger("plugins.analytics")

GROUP = "analytics-writers"
CONSUMER = f"{socket.gethostname()}-{os.getpid()}"


class StreamEvent(msgspec.Struct, array_like=True):
    """One accepted event as stored on the stream."""

    id: str
    name: str
    occurred_at: float
    event_id: int | None
    props: bytes


class StreamBatch(msgspec.Struct, array_like=True):
    """One accepted batch: who sent it, when, and its events."""

    user_id: int | None
    device_id: str | None
    received_at: float
    events: list[StreamEvent]


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(StreamBatch)
_json = msgspec.json.Encoder()


def stream_key() -> str:
    """The Redis stream of accepted, not yet stored batches."""
    return cache.key("analytics", "client-events")


def dead_key() -> str:
    """Entries that could not be decoded (kept for inspection, never retried)."""
    return cache.key("analytics", "client-events-dead")


def subject_of(user_id: int | None, device_id: str | None) -> str:
    """The key of who did something: the user when signed in, else the device."""
    return f"u:{user_id}" if user_id is not None else f"d:{device_id}"


async def accept_batch(batch: ClientEventBatch, user_id: int | None) -> BatchAccepted:
    """Validate a batch's times and append the acceptable events to the stream (one ``XADD``)."""
    if user_id is None and batch.device_id is None:
        raise ValidationFailed("Anonymous callers must send a device_id", code="device_id_required",
                               errors=[{"pointer": "/device_id", "detail": "required when not signed in"}])
    settings = plugin_settings(AnalyticsSettings)
    now = clock.now()
    oldest = now - timedelta(days=settings.max_event_age_days)
    newest = now + timedelta(seconds=settings.max_clock_skew_s)
    rejected: list[RejectedEvent] = []
    events: list[StreamEvent] = []
    for i, ev in enumerate(batch.events):
        at = ev.occurred_at if ev.occurred_at.tzinfo else ev.occurred_at.replace(tzinfo=UTC)
        if at < oldest:
            rejected.append(RejectedEvent(i, "too_old", f"occurred more than {settings.max_event_age_days} days ago"))
        elif at > newest:
            rejected.append(RejectedEvent(i, "in_future", "occurred_at is in the future; check the device clock"))
        else:
            events.append(StreamEvent(str(ev.id), ev.name, at.timestamp(), ev.event_id, _json.encode(ev.props)))
    if events:
        entry = _encoder.encode(StreamBatch(user_id, batch.device_id, now.timestamp(), events))
        try:
            added = await cache.client().eval(APPEND, 1, stream_key(), entry, settings.max_backlog)
        except (RedisError, OSError) as exc:
            log.warning("analytics: cannot append to the stream: %s", exc)
            raise ServiceUnavailable("Events cannot be accepted right now; retry later", code="ingest_unavailable",
                                     headers={"Retry-After": "5"}) from exc
        if not added:
            log.warning("analytics: stream backlog over %d batches; refusing new ones", settings.max_backlog)
            raise ServiceUnavailable("Too many events are waiting to be stored; retry later", code="ingest_backlog",
                                     headers={"Retry-After": "30"})
    return BatchAccepted(accepted=len(events), rejected=rejected)


# Append unless the backlog is full, in one round trip (XLEN and XADD atomically).
APPEND = """
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[2]) then return false end
return redis.call('XADD', KEYS[1], '*', 'b', ARGV[1])
"""


# ---------------------------------------------------------------------------------------------------------------------
# Consumer
# ---------------------------------------------------------------------------------------------------------------------

async def _ensure_group(redis: Any) -> None:
    try:
        await redis.xgroup_create(stream_key(), GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


async def _store(entries: list[tuple[bytes, dict[bytes, bytes]]]) -> tuple[list[bytes], int]:
    """Insert the entries' events; return the ids of the entries handled (stored or dead-lettered) and the count."""
    cols: list[list[Any]] = [[] for _ in range(8)]
    handled: list[bytes] = []
    for entry_id, fields in entries:
        try:
            batch = _decoder.decode(fields[b"b"])
        except (KeyError, msgspec.DecodeError) as exc:
            log.error("analytics: undecodable stream entry %r moved to the dead-letter stream: %s", entry_id, exc)
            dead: dict[Any, Any] = {b"id": entry_id, **fields}
            await cache.client().xadd(dead_key(), dead)
            handled.append(entry_id)
            continue
        received = _ts(batch.received_at)
        for ev in batch.events:
            for col, value in zip(cols, (UUID(ev.id), ev.name, _ts(ev.occurred_at), received, batch.user_id,
                                         batch.device_id, ev.event_id, ev.props.decode()), strict=True):
                col.append(value)
        handled.append(entry_id)
    if cols[0]:
        await db.fetch(sql.INSERT_CLIENT_EVENTS, *cols)
    return handled, len(cols[0])


async def _ack(redis: Any, ids: list[bytes]) -> None:
    if ids:
        pipe = redis.pipeline(transaction=False)
        pipe.xack(stream_key(), GROUP, *ids)
        pipe.xdel(stream_key(), *ids)
        await pipe.execute()


async def consume(*, budget_s: float | None = None, claim_idle_ms: int | None = None,
                  consumer: str = CONSUMER) -> int:
    """Move accepted batches from the stream into PostgreSQL until it is empty or the time budget is spent.

    Entries left pending by a dead consumer for ``claim_idle_ms`` are claimed first. Returns the events read
    (duplicates included; PostgreSQL drops them).
    """
    settings = plugin_settings(AnalyticsSettings)
    budget = settings.drain_budget_s if budget_s is None else budget_s
    idle = settings.claim_idle_s * 1000 if claim_idle_ms is None else claim_idle_ms
    redis = cache.client()
    await _ensure_group(redis)
    started = clock.monotonic()
    total = 0
    cursor = "0-0"
    while True:  # orphaned entries of dead consumers first
        cursor, claimed, *_ = await redis.xautoclaim(stream_key(), GROUP, consumer, min_idle_time=idle,
                                                     start_id=cursor, count=settings.read_count)
        if claimed:
            log.warning("analytics: claimed %d stream entries left by another consumer", len(claimed))
            handled, n = await _store([(i, f) for i, f in claimed if f is not None])
            await _ack(redis, [i for i, f in claimed if f is None] + handled)
            total += n
        if cursor in (b"0-0", "0-0"):
            break
    await _forget_idle_consumers(redis)
    while clock.monotonic() - started < budget:
        reply: Any = await redis.xreadgroup(GROUP, consumer, {stream_key(): ">"}, count=settings.read_count)
        entries = reply[0][1] if reply else []
        if not entries:
            break
        handled, n = await _store(entries)
        await _ack(redis, handled)
        total += n
    return total


async def _forget_idle_consumers(redis: Any, idle_ms: int = 86_400_000) -> None:
    """Remove consumers (dead worker processes) that hold nothing and were idle a day: the group stays small."""
    for info in await redis.xinfo_consumers(stream_key(), GROUP):
        if info["pending"] == 0 and info["idle"] >= idle_ms:
            await redis.xgroup_delconsumer(stream_key(), GROUP, info["name"])


_running = asyncio.Lock()


async def consume_and_refresh() -> int:
    """The periodic job's body: drain the stream, then bring the rollups up to date. One run per process at once."""
    from plugins.analytics import rollups

    if _running.locked():
        return 0
    async with _running:
        n = await consume()
        await rollups.refresh()
    if n:
        log.info("analytics: stored %d client events", n)
    return n

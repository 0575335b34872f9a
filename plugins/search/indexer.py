"""Indexing: the outbox written inside each change's transaction, applied in batches per target, and pruning.

A change (an event published, a seat taken, a group renamed) writes one outbox row per target in the transaction of
the change; nothing else happens there. The ``search.apply`` job takes a batch (``FOR UPDATE SKIP LOCKED``), reads
fresh snapshots through events' public API, writes them to the target and deletes the rows in one transaction.
When the target is down the transaction rolls back: the rows wait, counted in ``attempts``, and nothing is lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core import clock, db
from core.hooks import plugin_settings
from core.users.directory import get_user
from plugins.events import api as events
from plugins.search import SearchSettings, documents, sql
from plugins.search.backends import Backend, BackendDown, registry
from plugins.search.documents import DirectoryDoc, EventDoc
from plugins.search.tables import DirectoryDoc as DirectoryRow
from plugins.search.tables import EventDoc as EventRow
from plugins.search.tables import Outbox, Synonym

log = logging.getLogger("plugins.search")


async def enqueue(kind: str, ref_ids: Iterable[int], payload: dict[str, Any] | None = None) -> None:
    """Ask every target to (re)index these objects; joins the caller's transaction (call it from hooks)."""
    rows = [Outbox(target=t, kind=kind, ref_id=i, payload=payload) for i in set(ref_ids) for t in registry.targets()]
    if rows:
        await Outbox.insert(*rows)


async def synonym_sets() -> list[list[str]]:
    """Every synonym set the operator keeps."""
    return [list(r["words"]) for r in await Synonym.select(Synonym.words).order_by(Synonym.id)]


@dataclass
class Batch:
    """What one batch of outbox rows asks for, deduplicated."""

    events: set[int]
    organisers: set[int]
    groups: dict[int, dict[str, Any]]
    synonyms: bool


def _batch(rows: list[dict[str, Any]]) -> Batch:
    b = Batch(set(), set(), {}, False)
    for r in rows:
        if r["kind"] == "event":
            b.events.add(r["ref_id"])
        elif r["kind"] == "organiser":
            b.organisers.add(r["ref_id"])
        elif r["kind"] == "group":
            payload = r["payload"]
            b.groups[r["ref_id"]] = db_json(payload)  # the latest row wins (rows come in id order)
        elif r["kind"] == "synonyms":
            b.synonyms = True
    return b


def db_json(value: Any) -> dict[str, Any]:
    """A JSONB value as asyncpg returns it (text) or as given (dict)."""
    import json

    return value if isinstance(value, dict) else json.loads(value or "{}")


async def organiser_doc(author_id: int) -> DirectoryDoc | None:
    """An organiser with upcoming events, as a directory document (None: nothing to find them by)."""
    upcoming = len(await events.upcoming_event_ids_of_author(author_id))
    if not upcoming:
        return None
    try:
        user = await get_user(author_id)
    except Exception:  # deleted or unknown: not findable
        return None
    if user.status != "active":
        return None
    return DirectoryDoc("organiser", author_id, user.display_name[:200], f"{upcoming} upcoming events", "", (), None,
                        None, upcoming)


async def write(backend: Backend, batch: Batch) -> None:
    """Write one deduplicated batch to a backend (fresh snapshots; a missing or unlisted event is removed)."""
    found = await events.event_documents(sorted(batch.events))
    docs: list[EventDoc] = []
    venues: dict[int, DirectoryDoc] = {}
    for d in found.values():
        if d.listed:
            docs.append(documents.event_doc(d))
            venue = documents.venue_doc(d)
            if venue is not None:
                venues[venue.ref_id] = venue
    await backend.put_events(docs, sorted(batch.events - {d.id for d in docs}))
    directory = list(venues.values())
    removed: list[tuple[str, int]] = []
    for author_id in sorted(batch.organisers):
        organiser = await organiser_doc(author_id)
        if organiser is None:
            removed.append(("organiser", author_id))
        else:
            directory.append(organiser)
    for group_id, payload in batch.groups.items():
        group = documents.group_doc(payload)
        if group is None:
            removed.append(("group", group_id))
        else:
            directory.append(group)
    await backend.put_directory(directory, removed)
    if batch.synonyms:
        await backend.set_synonyms(await synonym_sets())


async def apply_batch(target: str) -> int:
    """Apply one batch of ``target``'s outbox; 0 when empty (or a reindex of it runs). BackendDown propagates."""
    size = plugin_settings(SearchSettings).batch_size
    ids: list[int] = []
    try:
        async with db.engine().transaction():
            conn = _connection()
            if not (await conn.fetchrow(sql.TRY_APPLY_LOCK, target))["ok"]:
                return 0
            rows = [dict(r) for r in await conn.fetch(sql.CLAIM_OUTBOX, target, size)]
            if not rows:
                return 0
            ids = [r["id"] for r in rows]
            await write(registry.by_target(target), _batch(rows))
            await Outbox.delete().where(Outbox.id.is_in(ids))
    except BackendDown as exc:
        await Outbox.update({Outbox.attempts: Outbox.attempts + 1, Outbox.last_error: str(exc)[:500]}).where(
            Outbox.id.is_in(ids or [0]))
        raise
    return len(rows)


def _connection() -> Any:
    tx = db.current_transaction()
    assert tx is not None
    return tx.connection


async def apply(target: str | None = None, budget_s: float = 5.0) -> dict[str, int]:
    """Apply the outbox of every target (or one) until empty or ``budget_s`` passes; a down target waits."""
    applied: dict[str, int] = {}
    deadline = time.monotonic() + budget_s
    for t in [target] if target else registry.targets():
        applied[t] = 0
        try:
            while time.monotonic() < deadline:
                n = await apply_batch(t)
                applied[t] += n
                if n == 0:
                    break
        except BackendDown as exc:
            log.warning("search: %s index is behind (%s); the outbox keeps the changes", t, exc)
    return applied


async def backlog() -> dict[str, int]:
    """How many changes wait per target."""
    return {t: int(await Outbox.count().where(Outbox.target == t)) for t in registry.targets()}


async def prune() -> int:
    """Remove ended events from PostgreSQL's index (and from Typesense's); the queries skip them anyway."""
    now = clock.now()
    rows = await EventRow.delete().where(EventRow.ends_at <= now).returning(EventRow.event_id)
    gone = [r["event_id"] for r in rows]
    if plugin_settings(SearchSettings).backend == "typesense" and gone:
        try:
            await registry.typesense().put_events([], gone)
        except BackendDown as exc:
            log.warning("search: could not prune Typesense (%s); retried with the next prune", exc)
            await enqueue("event", gone)
    stale = await DirectoryRow.select(DirectoryRow.ref_id).where(DirectoryRow.kind == "organiser")
    await enqueue("organiser", [r["ref_id"] for r in stale])  # counts of upcoming events move as time passes
    return len(gone)

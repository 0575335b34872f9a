"""The full reindex (a new Typesense collection, then the alias swapped; PostgreSQL rebuilt in place) and the check.

While a target is being rebuilt its outbox is held (an advisory lock): changes made meanwhile wait and are applied
to the new index afterwards, so nothing committed during the rebuild is lost, and searches keep answering from the
old index until the swap.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core import clock, db
from plugins.events import api as events
from plugins.search import documents, indexer, sql
from plugins.search.backends import registry
from plugins.search.backends.typesense import TypesenseBackend
from plugins.search.documents import DirectoryDoc
from plugins.search.tables import DirectoryDoc as DirectoryRow
from plugins.search.tables import EventDoc as EventRow
from plugins.search.tables import Outbox

Progress = Callable[[int], None]
CHUNK = 1000


@dataclass
class ReindexReport:
    """What a reindex did."""

    target: str
    events: int
    directory: int
    collection: str | None = None
    replaced: str | None = None


async def _groups() -> list[DirectoryDoc]:
    """Groups as search last heard of them (search cannot ask groups: it does not depend on it)."""
    rows = await DirectoryRow.select().where(DirectoryRow.kind == "group")
    return [DirectoryDoc("group", r["ref_id"], r["title"], r["subtitle"], r["city"], tuple(r["tags"]), r["latitude"],
                         r["longitude"], r["weight"]) for r in rows]


async def _walk(progress: Progress, put: Callable[[list[documents.EventDoc]], Any]) -> tuple[int, dict[int, Any]]:
    """Every listed event, in chunks, handed to ``put``; returns the count and the venues and organisers seen."""
    after, count = 0, 0
    seen: dict[Any, DirectoryDoc | None] = {}
    while ids := await events.listed_event_ids(after, CHUNK):
        found = await events.event_documents(ids)
        docs = [documents.event_doc(d) for d in found.values() if d.listed]
        await put(docs)
        for d in found.values():
            venue = documents.venue_doc(d)
            if venue is not None:
                seen[("venue", venue.ref_id)] = venue
            seen.setdefault(("organiser", d.info.author_id), None)
        count += len(docs)
        progress(len(ids))
        after = ids[-1]
    return count, seen


async def _directory(seen: dict[Any, DirectoryDoc | None]) -> list[DirectoryDoc]:
    out = [d for d in seen.values() if d is not None]
    for kind, ref_id in seen:
        if kind == "organiser":
            doc = await indexer.organiser_doc(ref_id)
            if doc is not None:
                out.append(doc)
    return out + await _groups()


class _Hold:
    """Hold a target's apply lock on a connection of its own for the length of a rebuild."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.conn: Any = None

    async def __aenter__(self) -> None:
        self.conn = await db.engine().get_new_connection()
        if not (await self.conn.fetchrow(sql.REINDEX_LOCK, self.target))["ok"]:
            await self.conn.close()
            raise RuntimeError(f"a reindex or an outbox batch of {self.target} is running; try again")

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.conn.fetchrow(sql.REINDEX_UNLOCK, self.target)
        finally:
            await self.conn.close()


async def reindex_postgres(progress: Progress) -> ReindexReport:
    """Rebuild PostgreSQL's index in place: upsert everything listed, then drop what was not (ended, hidden)."""
    pg = registry.postgres()
    started = clock.now()
    async with _Hold("postgres"):
        count, seen = await _walk(progress, lambda docs: pg.put_events(docs, []))
        directory = await _directory(seen)
        await pg.put_directory(directory, [])
        await EventRow.delete().where(EventRow.indexed_at < started)
        await DirectoryRow.delete().where((DirectoryRow.indexed_at < started) & (DirectoryRow.kind != "group"))
    return ReindexReport("postgres", count, len(directory))


async def reindex_typesense(progress: Progress) -> ReindexReport:
    """Build new collections from the source, then swap the aliases: searches never see a half-built index."""
    ts: TypesenseBackend = registry.typesense()
    suffix = clock.now().strftime("%Y%m%d%H%M%S") + f"{random.randrange(1000):03d}"  # noqa: S311 (a name)
    async with _Hold("typesense"):
        events_coll = await ts.create_collection("events", suffix)
        directory_coll = await ts.create_collection("directory", suffix)
        await ts.set_synonyms(await indexer.synonym_sets(), events_coll)

        async def put(docs: list[documents.EventDoc]) -> None:
            await ts.import_into(events_coll, [documents.typesense_event(d) for d in docs])

        count, seen = await _walk(progress, put)
        directory = await _directory(seen)
        await ts.import_into(directory_coll, [documents.typesense_directory(d) for d in directory])
        replaced = await ts.swap("events", events_coll)
        await ts.swap("directory", directory_coll)
    return ReindexReport("typesense", count, len(directory), events_coll, replaced)


async def reindex(target: str, progress: Progress) -> ReindexReport:
    """Rebuild one target's index from the source (events' public API, groups as last heard)."""
    return await (reindex_typesense(progress) if target == "typesense" else reindex_postgres(progress))


@dataclass
class CheckReport:
    """Counts and a sample compared with PostgreSQL (the source of truth, through events' public API)."""

    source: int
    indexed: dict[str, int] = field(default_factory=dict)
    backlog: dict[str, int] = field(default_factory=dict)
    missing: dict[str, list[int]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every target holds every listed event of the sample and the counts agree (bar the backlog)."""
        return not self.errors and not any(self.missing.values()) and all(
            abs(self.indexed[t] - self.source) <= self.backlog.get(t, 0) for t in self.indexed)


async def check(sample: int = 200) -> CheckReport:
    """Compare each target's count of live events, and a random sample of ids, with the source."""
    report = CheckReport(await events.listed_event_count())
    report.backlog = await indexer.backlog()
    ids: list[int] = []
    after = 0
    while chunk := await events.listed_event_ids(after, 10_000):
        ids += chunk
        after = chunk[-1]
    chosen = random.sample(ids, min(sample, len(ids)))
    for target in registry.targets():
        backend = registry.by_target(target)
        try:
            report.indexed[target] = await backend.event_count()
            held = set()
            for i in range(0, len(chosen), 100):
                held |= await backend.event_ids(chosen[i:i + 100])
            report.missing[target] = sorted(set(chosen) - held)
        except Exception as exc:  # a target that does not answer is the finding itself
            report.errors[target] = f"{type(exc).__name__}: {exc}"
    return report


async def pending(target: str) -> int:
    """How many outbox rows wait for ``target``."""
    return int(await Outbox.count().where(Outbox.target == target))

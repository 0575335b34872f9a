"""The PostgreSQL backend: search's own index table (tsvector, Russian and English stems), facets in two statements."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from core import clock, db
from core.geo import bounding_box, distance_sql
from plugins.search import sql, text
from plugins.search.backends import DirectoryFound, EventFound, Features
from plugins.search.documents import DirectoryDoc, EventDoc
from plugins.search.query import EventQuery
from plugins.search.schemas import DirectoryHit, EventHit, FacetCount
from plugins.search.tables import DirectoryDoc as DirectoryRow
from plugins.search.tables import EventDoc as EventRow

TERMS_PER_FACET = 20
ROWS_PER_INSERT = 500
_BY_SORT = {"date": sql.EVENTS_BY_DATE, "relevance": sql.EVENTS_BY_RELEVANCE, "distance": sql.EVENTS_BY_DISTANCE,
            "rating": sql.EVENTS_BY_RATING}
_TSQ = "(to_tsquery('russian', {0}) || to_tsquery('english', {0}))"


def filters(q: EventQuery, args: list[Any], synonyms: dict[str, set[str]]) -> str:
    """The ``AND …`` conditions of ``q`` with their values appended to ``args`` (as ``$n``)."""

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where: list[str] = []
    if q.words:
        where.append(f"d.search @@ {_TSQ.format(arg(text.tsquery(q.words, synonyms)))}")
    if q.category:
        where.append(f"d.category = {arg(q.category)}")
    if q.tags:
        where.append(f"d.tags @> {arg(q.tags)}::varchar[]")
    if q.city:
        where.append(f"lower(d.city) = lower({arg(q.city)})")
    if q.window:
        where.append(f"d.starts_at >= {arg(q.window[0])} AND d.starts_at < {arg(q.window[1])}")
    if q.price == "free":
        where.append("d.price_cents = 0")
    elif q.price == "paid":
        where.append("d.price_cents > 0")
    if q.online is not None:
        where.append("d.online" if q.online else "NOT d.online")
    if q.has_seats is True:
        where.append("(d.seats_left IS NULL OR d.seats_left > 0)")
    elif q.has_seats is False:
        where.append("d.seats_left = 0")
    if q.near is not None and q.radius_km is not None:
        lat, lng = q.near
        box = bounding_box(lat, lng, q.radius_km)  # no longitude band across the antimeridian or at a pole
        where.append(f"d.latitude BETWEEN {arg(box.lat_lo)} AND {arg(box.lat_hi)}")
        if box.lng_lo is not None:
            where.append(f"d.longitude BETWEEN {arg(box.lng_lo)} AND {arg(box.lng_hi)}")
        distance = distance_sql("d.latitude", "d.longitude", arg(lat), arg(lng))
        where.append(f"{distance} <= {arg(q.radius_km)}")
    return "".join(f"AND {w} " for w in where)


class PostgresBackend:
    """Search's own tables in the platform's database: no extra server; no typo tolerance."""

    name = "postgres"
    features = Features(typo_tolerance=False)

    async def search_events(self, q: EventQuery, synonyms: dict[str, set[str]]) -> EventFound:
        """A page, the count and the facets, in up to three statements run side by side."""
        tsq = text.tsquery(q.words, synonyms) if q.words else ""
        lat, lng = q.near or (None, None)
        page_args: list[Any] = [q.now, q.limit, q.offset, tsq, lat, lng]
        page_sql = _BY_SORT[q.sort].replace("/*filters*/", filters(q, page_args, synonyms))
        b = q.buckets
        count_args: list[Any] = [q.now, *b["today"], *b["tomorrow"], *b["this_weekend"], *b["next_7_days"]]
        count_sql = sql.FACET_COUNTS.replace("/*filters*/", filters(q, count_args, synonyms))
        async with db.reading():  # a replica when one is healthy: the index is refreshed by jobs, stale by nature
            jobs = [db.fetch(page_sql, *page_args), db.fetch(count_sql, *count_args)]
            if {"category", "city", "tags"} & set(q.facets):
                terms_args: list[Any] = [q.now, TERMS_PER_FACET]
                jobs.append(db.fetch(sql.FACET_TERMS.replace("/*filters*/", filters(q, terms_args, synonyms)),
                                     *terms_args))
            rows, counts, *terms = await asyncio.gather(*jobs)
        c = counts[0]
        facets: dict[str, list[FacetCount]] = {}
        fixed = {"date": ("today", "tomorrow", "this_weekend", "next_7_days"), "price": ("free", "paid"),
                 "online": ("online", "in_person"), "seats": ("available", "full")}
        for name in q.facets:
            if name in fixed:
                facets[name] = [FacetCount(v, int(c[v])) for v in fixed[name] if c[v]]
            else:
                facets[name] = [FacetCount(r["value"], int(r["n"])) for r in (terms[0] if terms else [])
                                if r["facet"] == name]
        hits = msgspec.convert([dict(r) for r in rows], list[EventHit], from_attributes=False, strict=False)
        return EventFound(hits, int(c["found"]), facets)

    async def search_directory(self, words: list[str], kind: str | None, offset: int, limit: int,
                               synonyms: dict[str, set[str]]) -> DirectoryFound:
        """Groups, venues and organisers by rank, then weight (members, upcoming events)."""
        async with db.reading():
            rows = await db.fetch(sql.DIRECTORY_PAGE, text.tsquery(words, synonyms), kind, limit, offset)
        hits = [DirectoryHit(r["kind"], r["id"], r["title"], r["subtitle"], r["city"]) for r in rows]
        return DirectoryFound(hits, int(rows[0]["found"]) if rows else 0)

    async def put_events(self, docs: list[EventDoc], removed: list[int]) -> None:
        """Upsert and delete in the caller's transaction."""
        if removed:
            await EventRow.delete().where(EventRow.event_id.is_in(removed))
        if docs:
            now = clock.now()
            rows = [EventRow(event_id=d.id, title=d.title, description=d.description, tags=list(d.tags),
                             category=d.category, city=d.city, venue_id=d.venue_id, venue_name=d.venue_name,
                             author_id=d.author_id, group_id=d.group_id, starts_at=d.starts_at, ends_at=d.ends_at,
                             timezone=d.timezone, latitude=d.latitude, longitude=d.longitude, online=d.online,
                             price_cents=d.price_cents, seats_left=d.seats_left, rating=d.rating, joined=d.joined,
                             indexed_at=now)
                    for d in docs]
            columns = [c for c in EventRow._meta.columns if c._meta.name != "event_id"]
            for i in range(0, len(rows), ROWS_PER_INSERT):  # asyncpg takes at most 32 767 arguments
                await EventRow.insert(*rows[i:i + ROWS_PER_INSERT]).on_conflict(
                    target=EventRow.event_id, action="DO UPDATE", values=columns)

    async def put_directory(self, docs: list[DirectoryDoc], removed: list[tuple[str, int]]) -> None:
        """Upsert and delete in the caller's transaction."""
        for kind, ref_id in removed:
            await DirectoryRow.delete().where((DirectoryRow.kind == kind) & (DirectoryRow.ref_id == ref_id))
        if docs:
            rows = [DirectoryRow(kind=d.kind, ref_id=d.ref_id, title=d.title, subtitle=d.subtitle, city=d.city,
                                 tags=list(d.tags), latitude=d.latitude, longitude=d.longitude, weight=d.weight,
                                 indexed_at=clock.now())
                    for d in docs]
            columns = [c for c in DirectoryRow._meta.columns if c._meta.name not in ("id", "kind", "ref_id")]
            for i in range(0, len(rows), ROWS_PER_INSERT):
                await DirectoryRow.insert(*rows[i:i + ROWS_PER_INSERT]).on_conflict(
                    target=(DirectoryRow.kind, DirectoryRow.ref_id), action="DO UPDATE", values=columns)

    async def set_synonyms(self, sets: list[list[str]]) -> None:
        """Nothing to do: queries are expanded with the synonyms as they are built."""

    async def event_ids(self, ids: list[int]) -> set[int]:
        """Which of ``ids`` the table holds."""
        rows = await EventRow.select(EventRow.event_id).where(EventRow.event_id.is_in(ids or [0]))
        return {r["event_id"] for r in rows}

    async def event_count(self) -> int:
        """How many live (not ended) events the table holds."""
        return int(await EventRow.count().where(EventRow.ends_at > clock.now()))

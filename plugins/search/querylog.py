"""The anonymised query log: what people look for and how many results they get (no user, no address, no time zone).

Searches add to an in-process buffer; it is written in one insert a second later (or at 200 entries), so the hot
path pays no extra round trip. The admin panel lists the top queries and those that found nothing. The same entries go
to ``search_queries_logged`` in the insert's transaction (the analytics plugin counts them).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from piccolo.query.functions.aggregate import Avg, Count

from core import clock, hooks
from plugins.search import hookspecs
from plugins.search.tables import QueryLog

log = logging.getLogger("plugins.search")
FLUSH_AFTER_S, FLUSH_AT = 1.0, 200
_buffer: list[QueryLog] = []
_pending: asyncio.TimerHandle | None = None
_tasks: set[asyncio.Task[int]] = set()


def record(query: str, results: int, backend: str) -> None:
    """Log one search (``query`` already normalised: lower case, words only)."""
    global _pending
    _buffer.append(QueryLog(query=query[:200], results=results, backend=backend, at=clock.now()))
    if len(_buffer) >= FLUSH_AT:
        _spawn()
    elif _pending is None:
        _pending = asyncio.get_running_loop().call_later(FLUSH_AFTER_S, _spawn)


def _spawn() -> None:
    global _pending
    if _pending is not None:
        _pending.cancel()
        _pending = None
    task = asyncio.get_running_loop().create_task(flush())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def flush() -> int:
    """Write what the buffer holds (also at shutdown and in tests)."""
    global _pending
    if _pending is not None:
        _pending.cancel()
        _pending = None
    rows = _buffer[:]
    del _buffer[:]
    if rows:
        entries = [hookspecs.LoggedQuery(r.query, r.results, r.backend, r.at) for r in rows]
        try:
            async with QueryLog._meta.db.transaction():
                await QueryLog.insert(*rows)
                await hooks.notify(hookspecs.search_queries_logged, entries=entries)
        except Exception:  # the log is best effort: a search never fails because of it
            log.exception("search: could not write %d query log rows", len(rows))
    return len(rows)


async def top(days: int, *, no_results: bool, limit: int) -> list[dict[str, Any]]:
    """The most frequent queries of the last ``days`` (only those that found nothing, with ``no_results``).

    Ties in order of the query, so the panel's list does not shuffle between two loads.
    """
    since = clock.now() - timedelta(days=days)
    where = (QueryLog.at >= since) & (QueryLog.results == 0) if no_results else QueryLog.at >= since
    rows = await QueryLog.select(QueryLog.query, Count(alias="searches"), Avg(QueryLog.results, alias="avg")).where(
        where).group_by(QueryLog.query).order_by(Count(), ascending=False).order_by(QueryLog.query).limit(limit)
    return [{"query": r["query"], "searches": int(r["searches"]), "results": round(float(r["avg"] or 0), 1)}
            for r in rows]


async def purge(days: int) -> int:
    """Drop log rows older than ``days``."""
    rows = await QueryLog.delete().where(QueryLog.at < clock.now() - timedelta(days=days)).returning(QueryLog.id)
    return len(rows)

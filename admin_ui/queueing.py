"""A moderation queue's list state (search, typed filters, sort, cursor, page size) and the next item in that order.

The state travels as the list's query string: the item page keeps it in its links and forms, so after a decision
the moderator lands on the next item of the same filtered, sorted list, or back on the list where they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

from admin_ui import claims
from core.admin import AdminQuery, Filter, ModerationQueue, Sort
from core.pagination import MAX_LIMIT

MAX_TEXT = 200
NEXT_PAGES = 4  # pages "next" looks through for an item nobody else holds


def _clean(f: Filter, param: str, raw: str) -> str:
    raw = raw.strip()[:MAX_TEXT]
    if not raw:
        return ""
    if f.kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            return ""
    if f.kind == "int":
        return raw if raw.isdigit() and len(raw) < 9 else ""
    if f.choices and raw not in f.choices:
        return ""
    return raw


def clean_filters(declared: Sequence[Filter], params: Any) -> dict[str, str]:
    """The declared filters' values from a query string, checked by kind; values that do not parse are dropped."""
    filters: dict[str, str] = {}
    for f in declared:
        for param in f.params:
            value = _clean(f, param, str(params.get(param) or ""))
            if value:
                filters[param] = value
    return filters


def clean_sort(declared: Sequence[Sort], raw: Any) -> str:
    """A declared sort's name, or ``""`` (the first, the default) for anything else."""
    names = [s.name for s in declared]
    return str(raw) if raw and str(raw) in names[1:] else ""


def parse(q: ModerationQueue, params: Any, *, staff_id: int, timezone: str, page_size: int) -> AdminQuery:
    """The list query from a query string (or a kept state): values that do not parse are dropped."""
    filters = clean_filters(q.filters, params)
    limit_raw = str(params.get("limit") or "")
    limit = int(limit_raw) if limit_raw.isdigit() and 1 <= int(limit_raw) <= MAX_LIMIT else page_size
    return AdminQuery(filters=filters, search=str(params.get("q") or "").strip()[:MAX_TEXT] if q.searchable else "",
                      cursor=str(params.get("cursor") or "") or None, limit=limit, staff_id=staff_id,
                      timezone=timezone, sort=clean_sort(q.sorts, params.get("sort")))


def state_of(query: AdminQuery, page_size: int, *, cursor: bool = True) -> str:
    """The query string that reopens this list (defaults left out)."""
    pairs: list[tuple[str, str]] = []
    if query.search:
        pairs.append(("q", query.search))
    pairs.extend(sorted(query.filters.items()))
    if query.sort:
        pairs.append(("sort", query.sort))
    if query.limit != page_size:
        pairs.append(("limit", str(query.limit)))
    if cursor and query.cursor:
        pairs.append(("cursor", query.cursor))
    return urlencode(pairs)


def from_state(q: ModerationQueue, state: str, *, staff_id: int, timezone: str, page_size: int) -> AdminQuery:
    """The list query kept in an item page's ``state`` field."""
    return parse(q, dict(parse_qsl(state[:4000])), staff_id=staff_id, timezone=timezone, page_size=page_size)


async def next_item(q: ModerationQueue, query: AdminQuery, staff_id: int, current: str) -> str | None:
    """The next item in the list's order from where the moderator was, or None when the rest is done.

    Not this one, not one another moderator holds, and the ones they passed over ("skip") only when nothing else
    is left.
    """
    passed = await claims.skipped(q.key, staff_id)
    cursor = query.cursor
    fallback: str | None = None  # a passed-over item comes back once nothing else is left
    for _ in range(NEXT_PAGES):
        items, nxt = await q.list(replace(query, cursor=cursor))
        held = await claims.holders(q.key, [str(i.id) for i in items])
        for item in items:
            item_id = str(item.id)
            holder = held.get(item_id)
            if item_id == current or (holder is not None and holder.staff_id != staff_id):
                continue
            if item_id not in passed:
                return item_id
            fallback = fallback or item_id
        if not nxt:
            break
        cursor = nxt
    return fallback

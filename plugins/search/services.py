"""Searching: the active backend, the fallback to PostgreSQL, synonyms, and the anonymised query log."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from core import clock
from core.errors import ServiceUnavailable
from core.hooks import plugin_settings
from core.pagination import decode_cursor, encode_cursor
from plugins.search import SearchSettings, indexer, querylog, text
from plugins.search import query as queries
from plugins.search.backends import BackendDown, registry
from plugins.search.schemas import (
    FACETS,
    SORTS,
    DirectoryParams,
    DirectoryResults,
    EventResults,
    Features,
    SearchParams,
)

log = logging.getLogger("plugins.search")
SYNONYMS_TTL_S = 10.0
_synonyms: tuple[float, dict[str, set[str]]] = (0.0, {})


async def synonyms() -> dict[str, set[str]]:
    """The operator's synonyms by word, read at most every 10 s per process."""
    global _synonyms
    if time.monotonic() - _synonyms[0] > SYNONYMS_TTL_S:
        _synonyms = (time.monotonic(), text.synonym_map(await indexer.synonym_sets()))
    return _synonyms[1]


def forget_synonyms() -> None:
    """Read the synonyms again on the next search (after an edit in this process)."""
    global _synonyms
    _synonyms = (0.0, {})


@dataclass
class Answer:
    """Results, the backend that answered, and whether it was the fallback."""

    results: EventResults | DirectoryResults
    backend: str
    fallback: bool = False


async def search_events(params: SearchParams) -> Answer:
    """Search events on the active backend; when Typesense fails, on PostgreSQL (or 503 if the operator said so)."""
    settings = plugin_settings(SearchSettings)
    q = queries.parse(params, clock.now(), settings.max_results)
    syn = await synonyms()
    backend, fallback = registry.active(), False
    try:
        found = await backend.search_events(q, syn)
    except BackendDown as exc:
        log.warning("search: %s failed (%s); %s", backend.name, exc,
                    "answering from PostgreSQL" if settings.fallback else "503, the fallback is off")
        if not settings.fallback:
            raise ServiceUnavailable("Search is unavailable; try again shortly", code="search_unavailable") from exc
        backend, fallback = registry.postgres(), True
        found = await backend.search_events(q, syn)
    if q.offset == 0 and q.words:
        querylog.record(" ".join(q.words), found.found, backend.name)
    results = EventResults(found.hits, found.found, found.facets, q.next_cursor(found.found, settings.max_results))
    return Answer(results, backend.name, fallback)


async def search_directory(params: DirectoryParams) -> Answer:
    """Groups, venues and organisers, with the same fallback."""
    settings = plugin_settings(SearchSettings)
    words = text.tokens(params.q)
    scope = f"search.directory:{params.kind}:{' '.join(words)}"
    offset = decode_cursor(params.cursor, int, scope=scope)[0] if params.cursor else 0
    if not words:
        return Answer(DirectoryResults([], 0), registry.active().name)
    backend, fallback = registry.active(), False
    try:
        found = await backend.search_directory(words, params.kind, offset, params.limit, await synonyms())
    except BackendDown as exc:
        if not settings.fallback:
            raise ServiceUnavailable("Search is unavailable; try again shortly", code="search_unavailable") from exc
        backend, fallback = registry.postgres(), True
        found = await backend.search_directory(words, params.kind, offset, params.limit, await synonyms())
    after = offset + params.limit
    nxt = encode_cursor(after, scope=scope) if after < min(found.found, settings.max_results) else None
    return Answer(DirectoryResults(found.hits, found.found, nxt), backend.name, fallback)


def features() -> Features:
    """What the active backend can do."""
    settings = plugin_settings(SearchSettings)
    backend = registry.active()
    f = backend.features
    return Features(backend.name, f.typo_tolerance, f.facet_counts, f.prefix, f.stemming, f.synonyms,
                    settings.fallback and backend.name != "postgres", list(FACETS), list(SORTS))

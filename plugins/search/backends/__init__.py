"""The search backends: one protocol, two implementations (PostgreSQL, the default; Typesense), chosen by settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from plugins.search.documents import DirectoryDoc, EventDoc
from plugins.search.query import EventQuery
from plugins.search.schemas import DirectoryHit, EventHit, FacetCount


class BackendDown(Exception):
    """The backend did not answer (connection refused, timeout, 5xx): search may fall back, indexing retries."""


@dataclass
class EventFound:
    """What a backend answers to an event query."""

    hits: list[EventHit]
    found: int
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)


@dataclass
class DirectoryFound:
    """What a backend answers to a directory query."""

    hits: list[DirectoryHit]
    found: int


@dataclass(frozen=True)
class Features:
    """What a backend can do (``/search/capabilities`` tells the app)."""

    typo_tolerance: bool
    facet_counts: bool = True
    prefix: bool = True
    stemming: bool = True
    synonyms: bool = True


class Backend(Protocol):
    """A search index: the same query in, the same answer out, on every backend."""

    name: str
    features: Features

    async def search_events(self, q: EventQuery, synonyms: dict[str, set[str]]) -> EventFound:
        """One page of events matching ``q``, how many match, and the facets ``q`` asks for."""
        ...

    async def search_directory(self, words: list[str], kind: str | None, offset: int, limit: int,
                               synonyms: dict[str, set[str]]) -> DirectoryFound:
        """Groups, venues and organisers matching ``words``."""
        ...

    async def put_events(self, docs: list[EventDoc], removed: list[int]) -> None:
        """Insert or replace ``docs`` and remove the events ``removed`` (idempotent)."""
        ...

    async def put_directory(self, docs: list[DirectoryDoc], removed: list[tuple[str, int]]) -> None:
        """Insert or replace directory documents and remove ``(kind, ref_id)`` ones (idempotent)."""
        ...

    async def set_synonyms(self, sets: list[list[str]]) -> None:
        """Replace the synonym sets (PostgreSQL expands queries itself: nothing to do there)."""
        ...

    async def event_ids(self, ids: list[int]) -> set[int]:
        """Which of ``ids`` the index holds (the check command's sample)."""
        ...

    async def event_count(self) -> int:
        """How many event documents the index holds."""
        ...

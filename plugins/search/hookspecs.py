"""Hooks the search plugin offers: the experiment variant of "for you", and the searches made (for analytics).

``variant_from_experiments`` is a decision (``firstresult``): the analytics plugin answers it from its A/B
experiments, so the ranking weights can be tested without search depending on analytics.

``search_queries_logged`` is a notification: the anonymised query log, handed over each time it is written, so the
analytics plugin counts searches without search depending on analytics (it implements it as an optional hook).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.hooks import hookspec
from core.hooks.policy import decision, notification


@dataclass(frozen=True)
class LoggedQuery:
    """One search as the query log keeps it: anonymised (no user, no address, no time zone, no filters)."""

    query: str
    """The words searched, normalised (lower case, words only, at most 200 characters)."""
    results: int
    """How many events it found (0: a search with no results)."""
    backend: str
    """The backend that answered (``postgres`` or ``typesense``; ``postgres`` for a fallback answer)."""
    at: datetime
    """When it was searched."""


@decision
@hookspec(firstresult=True)
def variant_from_experiments(experiment: str, subject: str) -> str | None:
    """The variant of the running experiment ``experiment`` that ``subject`` (``user:<id>``) is assigned to.

    Called when "for you" is ranked and ``[settings.search] experiment`` names an experiment; the answer picks the
    weights in ``[settings.search.variants.<variant>]`` (unknown variants use the default weights). Return None when
    the experiment does not exist or is not running (the default weights are used). The implementation records the
    exposure. Errors propagate.
    Example: ``return (await experiments.expose(experiment, subject)).variant``.
    """


@notification
@hookspec
def search_queries_logged(entries: Sequence[LoggedQuery]) -> None:
    """Called when the query log writes its buffer (about a second after a search, or at 200 searches, and at shutdown).

    ``entries`` are the searches written, oldest first: each the first page of a search with words (a later page
    or an empty query is not logged). Called inside the transaction that writes search's own log rows; an
    implementation that writes with Piccolo joins it, and a failing one is rolled back alone (its savepoint) and
    logged, and the log rows still commit. Do no slow I/O.
    Example (analytics, which does not depend on search)::

        @hookimpl(optionalhook=True)
        async def search_queries_logged(entries):
            await Fact.insert(*(Fact(kind="searched", query=e.query, results=e.results) for e in entries))
    """

"""Aggregates per event, organiser and venue: count, sum and histogram, kept incrementally; summaries and ranking.

A change to a published review adds its deltas in the review's own transaction (``sql.APPLY_DELTA``: one atomic
upsert per change, never a recount), so concurrent reviews each add exactly once. The ranking score is a Bayesian
average: ``(prior_count * prior_mean + total) / (prior_count + count)``, so three 5-star reviews (4.23 with the
default prior of ten reviews at 4.0) do not outrank two hundred 4.8s (4.76).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import clock
from core.hooks import plugin_settings
from plugins.events import api as events
from plugins.reviews import ReviewsSettings, sql
from plugins.reviews.schemas import SummaryRead
from plugins.reviews.tables import Aggregate

EVENT, ORGANISER, VENUE = "event", "organiser", "venue"
TARGETS = (EVENT, ORGANISER, VENUE)


def targets_of(row: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The targets a review counts toward, in the one order every transaction locks them."""
    out = [(EVENT, int(row["event_id"])), (ORGANISER, int(row["organiser_id"]))]
    if row.get("venue_id") is not None:
        out.append((VENUE, int(row["venue_id"])))
    return out


def ranking(count: int, total: int, settings: ReviewsSettings | None = None) -> float | None:
    """The Bayesian average of ``count`` ratings summing to ``total`` (None without ratings)."""
    if count <= 0:
        return None
    s = settings or plugin_settings(ReviewsSettings)
    return round((s.prior_count * s.prior_mean + total) / (s.prior_count + count), 4)


async def apply(row: Mapping[str, Any], old_rating: int | None, new_rating: int | None) -> None:
    """Move the review's targets from counting ``old_rating`` to counting ``new_rating`` (None: not counted).

    Runs inside the review's transaction; the organiser's new ranking score goes onto their upcoming events (the
    feed's ``sort=rating``) in the same transaction.
    """
    if old_rating == new_rating:
        return
    stars = [0] * 5
    count = total = 0
    if old_rating is not None:
        stars[old_rating - 1] -= 1
        count -= 1
        total -= old_rating
    if new_rating is not None:
        stars[new_rating - 1] += 1
        count += 1
        total += new_rating
    kinds, ids = zip(*targets_of(row), strict=True)
    figures = await Aggregate.raw(sql.APPLY_DELTA, list(kinds), list(ids), count, total, *stars, clock.now())
    for f in figures:
        if f["target"] == ORGANISER:
            await events.set_host_rating(f["target_id"], ranking(f["reviews"], f["total"]))


async def host_ranking(organiser_id: int) -> float | None:
    """The organiser's ranking score now (for an event just published)."""
    row = await Aggregate.select(Aggregate.reviews, Aggregate.total).where(
        (Aggregate.target == ORGANISER) & (Aggregate.target_id == organiser_id)).first()
    return None if row is None else ranking(row["reviews"], row["total"])


async def summary(target: str, target_id: int) -> SummaryRead:
    """A target's figures: the count always, the average, histogram and ranking from ``min_reviews_shown`` on."""
    settings = plugin_settings(ReviewsSettings)
    row = await Aggregate.select().where((Aggregate.target == target) & (Aggregate.target_id == target_id)).first()
    count = int(row["reviews"]) if row else 0
    out = SummaryRead(target=target, target_id=target_id, count=count, min_reviews=settings.min_reviews_shown,
                      shown=count >= settings.min_reviews_shown)
    if row and out.shown:
        out.average = round(row["total"] / count, 2)
        out.histogram = {str(n): int(row[f"stars_{n}"]) for n in range(1, 6)}
        out.ranking = ranking(count, row["total"], settings)
    return out

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
from core.users.profiles import profile_changed
from core.users.schemas import RatingFigures
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

    Runs inside the review's transaction; in the same transaction the new figures go where they are shown: onto the
    event and the venue (their responses' ``rating``, through events' API), the organiser's ranking score onto their
    upcoming events (the feed's ``sort=rating``); the organiser's cached public profile goes stale after the commit.
    Each target's row stays locked by the upsert until the commit, so the last writer also writes the latest figures.
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
    rows = await Aggregate.raw(sql.APPLY_DELTA, list(kinds), list(ids), count, total, *stars, clock.now())
    settings = plugin_settings(ReviewsSettings)
    for figures in rows:
        await show(figures, settings)


async def show(row: Mapping[str, Any], settings: ReviewsSettings) -> None:
    """Put one target's figures where they are shown, from its aggregate row, in the caller's transaction.

    The event's and the venue's ``rating`` (through events' API); for an organiser, the ranking score on their upcoming
    events (the feed's ``sort=rating``) and their public profile (stale after the commit).
    """
    target, target_id = row["target"], int(row["target_id"])
    if target == EVENT:
        await events.set_event_figures(target_id, figures_of(row, settings))
    elif target == VENUE:
        await events.set_venue_figures(target_id, figures_of(row, settings))
    else:
        await events.set_host_rating(target_id, ranking(row["reviews"], row["total"], settings))
        await profile_changed(target_id)


def shown_with(settings: ReviewsSettings) -> str:
    """The settings the shown figures depend on (the threshold and the prior), as one string to compare."""
    return f"{settings.min_reviews_shown}:{settings.prior_mean}:{settings.prior_count}"


def figures_of(row: Mapping[str, Any], settings: ReviewsSettings | None = None) -> RatingFigures | None:
    """What a target's responses show of an aggregate row: None below ``min_reviews_shown`` published reviews."""
    s = settings or plugin_settings(ReviewsSettings)
    count = int(row["reviews"])
    if count < s.min_reviews_shown or count <= 0:
        return None
    return RatingFigures(count=count, average=round(row["total"] / count, 2),
                         histogram=[int(row[f"stars_{n}"]) for n in range(1, 6)],
                         ranking=ranking(count, row["total"], s))


async def organiser_figures(organiser_id: int) -> RatingFigures | None:
    """The organiser's figures now (their public profile's ``rating``), None below the threshold."""
    row = await Aggregate.select().where(
        (Aggregate.target == ORGANISER) & (Aggregate.target_id == organiser_id)).first()
    return None if row is None else figures_of(row)


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
    figures = figures_of(row, settings) if row else None
    if figures is not None:
        out.average, out.ranking = figures.average, figures.ranking
        out.histogram = {str(n): c for n, c in enumerate(figures.histogram, start=1)}
    return out

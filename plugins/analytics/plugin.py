"""Hook implementations of the analytics plugin: each a few lines, delegating."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from core.hooks import hookimpl, plugin_settings
from core.permissions import Permission
from plugins.analytics import AnalyticsSettings
from plugins.analytics.facts import Reviewed, Searched, Ticketed
from plugins.events.hookspecs import EventInfo


@hookimpl
def register_piccolo_app() -> Any:
    """The tables of analytics."""
    from plugins.analytics.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_routes() -> list[Any]:
    """The JSON API under ``/api/v1/analytics``."""
    from plugins.analytics.routes import (
        ClientEventController,
        DashboardController,
        ExperimentController,
        IdeaController,
    )

    return [ClientEventController, DashboardController, ExperimentController, IdeaController]


@hookimpl
def register_permissions() -> list[Permission]:
    """``analytics.view`` (dashboards) and ``analytics.manage`` (experiments, RICE board)."""
    return [
        Permission("analytics.view", "See platform dashboards and every event's figures", admin_panel=True),
        Permission("analytics.manage", "Run A/B experiments and edit the RICE board", admin_panel=True),
    ]


@hookimpl
def register_actors() -> list[Any]:
    """The stream consumer and the retention job."""
    from plugins.analytics import jobs

    return [jobs.consume, jobs.purge]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    """Consume every few seconds; purge nightly."""
    from core.jobs import Periodic
    from plugins.analytics import jobs

    every = plugin_settings(AnalyticsSettings).consume_every_s
    return [Periodic(jobs.consume, every=timedelta(seconds=every)), Periodic(jobs.purge, cron="17 3 * * *")]


@hookimpl
def register_metrics() -> list[Any]:
    """Ingestion lag and backlog, for Prometheus (plugins/analytics/metrics.py)."""
    from plugins.analytics.metrics import gauges

    return gauges()


@hookimpl
def register_admin_pages() -> list[Any]:
    """The platform widget, daily figures, RICE board and experiments."""
    from plugins.analytics.admin import contributions

    return contributions()


# Domain facts from the events plugin (inside the change's transaction; one insert each).


@hookimpl
async def event_submitted(event: EventInfo, actor_id: int) -> None:
    """Record a submission (start of the moderation clock)."""
    from plugins.analytics import facts

    await facts.record("submitted", event, actor_id)


@hookimpl
async def event_published(event: EventInfo, moderator_id: int | None) -> None:
    """Record an approval and its time since submission."""
    from plugins.analytics import facts

    await facts.record_decision("published", event, moderator_id)


@hookimpl
async def event_rejected(event: EventInfo, moderator_id: int) -> None:
    """Record a rejection and its time since submission."""
    from plugins.analytics import facts

    await facts.record_decision("rejected", event, moderator_id)


@hookimpl
async def event_cancelled(event: EventInfo, actor_id: int) -> None:
    """Record a cancellation."""
    from plugins.analytics import facts

    await facts.record("cancelled", event, actor_id)


@hookimpl
async def participant_joined(event: EventInfo, user_id: int, status: str) -> None:
    """Record a join, a waitlisting or a request."""
    from plugins.analytics import facts

    await facts.record_join(event, user_id, status)


@hookimpl
async def participant_left(event: EventInfo, user_id: int) -> None:
    """Record a leave."""
    from plugins.analytics import facts

    await facts.record("left", event, user_id)


# Reviews (optional: analytics does not depend on reviews; pluggy leaves these unchecked while reviews is disabled)


@hookimpl(optionalhook=True)
async def review_published(review: Reviewed, previous: Reviewed | None) -> None:
    """Count a review in; an edit counts the old rating and tags out first."""
    from plugins.analytics import facts

    if previous is not None:
        await facts.record_review("unreviewed", previous)
    await facts.record_review("reviewed", review)


@hookimpl(optionalhook=True)
async def review_hidden(review: Reviewed) -> None:
    """Count a review out (hidden, removed, held again or deleted)."""
    from plugins.analytics import facts

    await facts.record_review("unreviewed", review)


# Support (optional: analytics does not depend on support): ticket events counted per day (``PlatformDaily``)


@hookimpl(optionalhook=True)
async def ticket_opened(ticket: Ticketed) -> None:
    """Record a ticket opened by its requester."""
    from plugins.analytics import facts

    await facts.record_ticket("ticket_opened", ticket.requester_id)


@hookimpl(optionalhook=True)
async def ticket_replied(author_id: int) -> None:
    """Record a public reply (the user's or an agent's; internal notes never reach this hook)."""
    from plugins.analytics import facts

    await facts.record_ticket("ticket_replied", author_id)


@hookimpl(optionalhook=True)
async def ticket_resolved(actor_id: int) -> None:
    """Record a ticket resolved (by an agent, or by the user)."""
    from plugins.analytics import facts

    await facts.record_ticket("ticket_resolved", actor_id)


# Search (optional): the "for you" ranking weights are A/B tested through an experiment of ours; searches counted


@hookimpl(optionalhook=True)
async def search_queries_logged(entries: Sequence[Searched]) -> None:
    """Record each anonymised search and its result count (counted per day in ``PlatformDaily``)."""
    from plugins.analytics import facts

    await facts.record_searches(entries)


@hookimpl(optionalhook=True)
async def variant_from_experiments(experiment: str, subject: str) -> str | None:
    """The subject's variant of a running experiment (its exposure recorded); None when not running or unknown."""
    from core.errors import Conflict, NotFound
    from plugins.analytics import experiments

    try:
        return (await experiments.expose(experiment, subject)).variant
    except (NotFound, Conflict):
        return None


# Accounts


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    """Analytics' part of the user's export."""
    from plugins.analytics import privacy

    return await privacy.export(user_id)


@hookimpl
async def user_erasure(user_id: int) -> None:
    """Anonymise the user's analytics data."""
    from plugins.analytics import privacy

    await privacy.erase(user_id)

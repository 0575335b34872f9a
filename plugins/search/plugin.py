"""Hook implementations of the search plugin: each a few lines, delegating.

Events' hooks write to the outbox and record "for you" signals inside the change's transaction. Groups' and reviews'
hooks are optional (search depends on neither): pluggy leaves them unchecked while those plugins are disabled.
"""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl
from core.permissions import Permission
from plugins.events.hookspecs import EventInfo


@hookimpl
def register_piccolo_app() -> Any:
    """The outbox, PostgreSQL's index, synonyms, the query log and the "for you" signals."""
    from plugins.search.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_routes() -> list[Any]:
    """The JSON API under /api/v1/search."""
    from plugins.search.routes import SearchController

    return [SearchController]


@hookimpl
def register_permissions() -> list[Permission]:
    """search.manage: synonyms and the search reports in the admin panel."""
    return [Permission("search.manage", "Edit search synonyms; see top searches and searches with no results",
                       admin_panel=True)]


@hookimpl
def register_admin_pages() -> list[Any]:
    """Top searches, searches with no results, synonyms, and the index widget (plugins/search/admin.py)."""
    from plugins.search.admin import contributions

    return contributions()


@hookimpl
def register_actors() -> list[Any]:
    """Apply the outbox; prune."""
    from plugins.search import jobs

    return [jobs.apply, jobs.prune]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    """The outbox every second (a new event is searchable within about two); pruning hourly."""
    from datetime import timedelta

    from core.jobs import Periodic
    from plugins.search import jobs

    return [Periodic(jobs.apply, every=timedelta(seconds=1)), Periodic(jobs.prune, cron="17 * * * *")]


@hookimpl
def register_cli_commands() -> list[Any]:
    """``manage.py search reindex|check|apply``."""
    from plugins.search.cli import search

    return [search]


@hookimpl
def register_capabilities() -> dict[str, Any]:
    """The active backend's features (typo tolerance, facet counts, …) in ``/api/v1/capabilities``."""
    import msgspec

    from .services import features

    return dict(msgspec.to_builtins(features()))


@hookimpl
def register_embedded_servers() -> list[Any]:
    """Typesense, when the backend is typesense without URLs (and always in the test session)."""
    from plugins.search.embedded import server

    return [server()]


@hookimpl
async def app_stopping() -> None:
    """Write the query log still buffered."""
    from plugins.search import querylog

    await querylog.flush()


# Events: every change to a listed event (and its organiser) goes to the outbox; joins teach "for you".


async def _changed(event: EventInfo) -> None:
    from plugins.search import indexer

    await indexer.enqueue("event", [event.id])
    await indexer.enqueue("organiser", [event.author_id])


@hookimpl
async def event_published(event: EventInfo) -> None:
    """Index it (searchable and in "for you" within seconds)."""
    await _changed(event)


@hookimpl
async def event_changed(event: EventInfo) -> None:
    """Index the new version (or remove it, if it is no longer public)."""
    await _changed(event)


@hookimpl
async def event_cancelled(event: EventInfo) -> None:
    """Remove it."""
    await _changed(event)


@hookimpl
async def event_finished(event: EventInfo) -> None:
    """Remove it."""
    await _changed(event)


@hookimpl
async def participant_joined(event: EventInfo, user_id: int, status: str) -> None:
    """Seats left and popularity move; the user's taste learns."""
    from plugins.search import indexer, signals

    await indexer.enqueue("event", [event.id])
    await signals.joined(event, user_id, status)


@hookimpl
async def participant_left(event: EventInfo, user_id: int) -> None:
    """Seats left move; the user is no longer going."""
    from plugins.search import indexer, signals

    await indexer.enqueue("event", [event.id])
    await signals.left(event, user_id)


# Groups (optional): public groups are findable; memberships feed "members of your group are going".


def _group(group: Any, deleted: bool = False) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "description": group.description, "visibility": group.visibility,
            "tags": list(group.tags), "city": group.city, "latitude": group.latitude, "longitude": group.longitude,
            "member_count": group.member_count, "deleted": deleted, "hidden": getattr(group, "hidden", False)}


@hookimpl(optionalhook=True)
async def group_created(group: Any, actor_id: int) -> None:
    """Index the group; its owner is a member."""
    from plugins.search import indexer, signals

    await indexer.enqueue("group", [group.id], _group(group))
    await signals.member(group.id, actor_id, True)


@hookimpl(optionalhook=True)
async def group_changed(group: Any, actor_id: int) -> None:
    """A renamed, re-described, moved or re-tagged group (or one made private: dropped from the index)."""
    from plugins.search import indexer

    await indexer.enqueue("group", [group.id], _group(group))


@hookimpl(optionalhook=True)
async def group_deleted(group: Any, actor_id: int) -> None:
    """A deleted group leaves the index."""
    from plugins.search import indexer

    await indexer.enqueue("group", [group.id], _group(group, deleted=True))


@hookimpl(optionalhook=True)
async def member_joined(group: Any, user_id: int) -> None:
    """The member count moves; the member's groups feed "for you"."""
    from plugins.search import indexer, signals

    await indexer.enqueue("group", [group.id], _group(group))
    await signals.member(group.id, user_id, True)


@hookimpl(optionalhook=True)
async def member_left(group: Any, user_id: int) -> None:
    """The member count moves."""
    from plugins.search import indexer, signals

    await indexer.enqueue("group", [group.id], _group(group))
    await signals.member(group.id, user_id, False)


# Reviews (optional): the organiser's rating moves on their upcoming events; a review teaches the author's taste.


@hookimpl(optionalhook=True)
async def review_published(review: Any) -> None:
    """Reindex the organiser's upcoming events (their rating); learn from the reviewer's rating."""
    from plugins.events import api as events
    from plugins.search import indexer, signals

    await indexer.enqueue("event", await events.upcoming_event_ids_of_author(review.organiser_id))
    await signals.reviewed(review.event_id, review.author_id, review.rating)


@hookimpl(optionalhook=True)
async def review_hidden(review: Any) -> None:
    """The organiser's rating moves."""
    from plugins.events import api as events
    from plugins.search import indexer

    await indexer.enqueue("event", await events.upcoming_event_ids_of_author(review.organiser_id))


# Accounts


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    """What "for you" learned about the user."""
    from plugins.search import signals

    return {"search": await signals.export(user_id)}


@hookimpl
async def user_erasure(user_id: int) -> None:
    """Forget the user's signals; drop them from the organisers one can find."""
    from plugins.search import indexer, signals

    await signals.erase(user_id)
    await indexer.enqueue("organiser", [user_id])

"""Every hook specification of core, typed and documented.

Calling convention: plugins never call pluggy directly; core's dispatcher (:class:`core.hooks.manager.HookDispatcher`)
awaits implementations that are ``async def`` and applies the failure policy each spec declares:

* ``@notification``: every implementation runs; one that raises is logged with its plugin's name and the others
  still run. The caller never sees the error.
* ``@decision`` and ``firstresult=True``: the error propagates to the caller.
* ``register_*`` collectors: the error propagates (start-up fails and names the plugin).

Order of implementations: dependencies before dependents, then by plugin name; ``tryfirst``/``trylast`` move an
implementation to the front/back; an operator may override the order per hook in ``plugins.toml`` (``[hooks.order]``).
Implementations may take any subset of the keyword arguments (pluggy's rule); new arguments may be added freely.

Plugins that offer hooks to other plugins (POS adapters from ``orders``, maps providers from ``geo``, the events
lifecycle from ``events``) declare them in their own ``hookspecs.py``; the loader adds them before registering any
implementation, so a misspelt hook name fails at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.hooks import hookspec
from core.hooks.policy import notification

if TYPE_CHECKING:
    import click
    from litestar.types import ControllerRouterHandler
    from piccolo.conf.apps import AppConfig

    from core.jobs import Job, Periodic
    from core.permissions import Permission


# --------------------------------------------------------------------------------------------------------------------
# Registration: called once at start-up, in load order. Each returns the plugin's contributions.
# --------------------------------------------------------------------------------------------------------------------


@hookspec
def register_piccolo_app() -> AppConfig | None:
    """Return the plugin's Piccolo ``AppConfig`` (its tables and migrations folder).

    Called when building the migration plan and the database registry. The app's tables must live in the PostgreSQL
    schema named after the plugin. Return ``None`` for a plugin without tables. Errors stop start-up.
    """


@hookspec
def register_routes() -> list[ControllerRouterHandler]:
    """Return Litestar controllers/route handlers/routers for the JSON API.

    Called by the app factory. Core mounts them under ``/api/v1`` and tags them with the plugin's name in OpenAPI.
    Paths must start with the plugin's own prefix (``/events``), so two plugins never collide. A disabled plugin's
    handlers are never mounted. Errors stop start-up.
    """


@hookspec
def register_page_routes() -> list[ControllerRouterHandler]:
    """Return route handlers served outside the JSON API, mounted as given (the admin panel, calendar feeds).

    Their paths must start with the plugin's own prefix (``/admin``, ``/ical/events``). Errors stop start-up.
    """


@hookspec
def register_dependencies() -> dict[str, Any]:
    """Return app-wide Litestar dependencies (``{"principal": Provide(...)}``) any handler may declare.

    Names are global: two plugins providing the same name stop start-up.
    """


@hookspec
def register_permissions() -> list[Permission]:
    """Return the permissions this plugin checks, e.g. ``Permission("events.moderate", "Approve or reject events")``.

    Called at start-up to fill the permission registry that roles map to. Names are ``<plugin>.<verb>``; a name
    declared twice stops start-up.
    """


@hookspec
def register_actors() -> list[Job]:
    """Return the background jobs (``core.jobs.job``-decorated functions) this plugin runs on Dramatiq workers.

    Called at start-up of the API and of ``manage.py worker``; core binds them to the configured broker. Job names are
    ``<plugin>.<name>``. Errors stop start-up.
    """


@hookspec
def register_periodic_jobs() -> list[Periodic]:
    """Return periodic jobs: ``Periodic(job, every=timedelta(seconds=30))`` or ``Periodic(job, cron="0 3 * * *")``.

    The scheduler in ``manage.py worker`` enqueues each one on time and only once per tick across all worker
    machines (a Redis lock per job and tick).
    """


@hookspec
def register_cli_commands() -> list[click.Command]:
    """Return click commands; they appear as ``manage.py <plugin> …`` (name your group after the plugin)."""


@hookspec
def register_admin_pages() -> list[Any]:
    """Return admin panel contributions (pages, menu entries, dashboard widgets, moderation queues).

    The types live in ``core.admin``; ``admin_ui`` renders them under ``/admin/<plugin>/…``. A disabled plugin's
    pages disappear.
    """


@hookspec
def register_template_dirs() -> list[str]:
    """Return directories holding this plugin's Jinja2 templates (``templates/<plugin>/…`` inside them).

    Used by the admin panel and by email rendering. Directories of later plugins take precedence, so a plugin can
    override a core template by name.
    """


# --------------------------------------------------------------------------------------------------------------------
# Application lifecycle
# --------------------------------------------------------------------------------------------------------------------


@notification
@hookspec
def app_started() -> None:
    """Called once after the database pool and Redis are up, before the first request. Failures are logged."""


@notification
@hookspec
def app_stopping() -> None:
    """Called once when the application shuts down. Failures are logged."""

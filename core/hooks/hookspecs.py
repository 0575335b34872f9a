"""Every hook specification of core, typed and documented.

Calling convention: plugins never call pluggy directly; core's dispatcher (:class:`core.hooks.dispatch.HookDispatcher`)
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

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.hooks.markers import hookspec
from core.hooks.policy import decision, notification

if TYPE_CHECKING:
    import click
    from litestar.types import ControllerRouterHandler
    from piccolo.conf.apps import AppConfig

    from core.auth.oidc import OIDCProvider
    from core.deploy_check import DeployCheck
    from core.embedded import EmbeddedServer
    from core.jobs import Job, Periodic
    from core.notifications import Notice, NotificationKind
    from core.observability import ScrapeGauge
    from core.permissions import Permission
    from core.realtime import RoomKind
    from core.reports.types import ReportableType
    from core.users.schemas import RatingFigures


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
def register_error_pages() -> dict[str, Callable[[Any, Exception], Any]]:
    """Return ``{path prefix: exception handler}``: errors of requests under a prefix answered by the plugin's handler.

    For pages outside the JSON API (the admin panel answers HTML error pages, never problem+json). The handler
    (``handler(request, exc) -> Response``, synchronous as Litestar's) gets every error of a path equal to the prefix
    or below it, including those raised before any router of the plugin is reached: no route (404), wrong method
    (405), a path parameter of the wrong type, a missing static file. Routers' own handlers still come first for the
    requests they route. Called once at start-up; two plugins claiming the same prefix stop start-up. Example::

        @hookimpl
        def register_error_pages():
            from admin_ui.web import on_error

            return {"/admin": on_error}
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

    The types live in ``core.admin`` (``AdminPage``, ``MenuEntry``, ``DashboardWidget``, ``ModerationQueue``); each
    names the permission it needs. ``admin_ui`` renders pages at ``/admin/p/<plugin>/<slug>`` and queues at
    ``/admin/moderation/<plugin>.<name>``. Called once per app; anything else than those types, or a duplicate page or
    queue, stops start-up naming the plugin. A disabled plugin's pages disappear. Example::

        @hookimpl
        def register_admin_pages() -> list[Any]:
            from sbor_reviews.admin import contributions  # the plugin's own admin.py

            return contributions()
    """


@hookspec
def register_metrics() -> list[ScrapeGauge]:
    """Return gauges Prometheus reads from ``/metrics`` (``core.observability.ScrapeGauge``), named ``sbor_<plugin>_…``.

    Called once per app at start-up. Each gauge's async ``read()`` is awaited at every scrape (concurrently, 2 s time
    limit each) in the API process that answers it; return one value, a value per tuple of label values, or None.
    One that raises or times out is left out of that scrape and counted in ``sbor_metrics_read_failures{metric}``;
    the others still answer. Read site-wide state (rows, Redis keys), cheaply: an index-backed ``min()``, not a
    scan. A name outside the plugin's prefix, or declared twice, stops start-up naming the plugin. For what the
    process itself measures, define ``prometheus_client`` counters/histograms in the plugin's ``metrics.py`` instead.
    Example::

        @hookimpl
        def register_metrics():
            from .metrics import gauges  # the plugin's own metrics.py

            return gauges()
    """


@hookspec
def register_capabilities() -> dict[str, Any]:
    """Return what the app should know this plugin can do here, beyond its public settings (``/api/v1/capabilities``).

    Shown as the plugin's ``features`` (JSON values), for example which search features the configured backend has.
    Called once per app (the answer is kept): return what the configuration decides, not a live state. Example::

        @hookimpl
        def register_capabilities():
            from .services import features  # the plugin's own services.py

            return msgspec.to_builtins(features())
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


# --------------------------------------------------------------------------------------------------------------------
# Accounts (core.users / core.auth): verification delivery, account lifecycle, privacy, data rights, OIDC providers
# --------------------------------------------------------------------------------------------------------------------


@decision
@hookspec(firstresult=True)
def send_verification(user_id: int, channel: str, destination: str, code: str, purpose: str) -> bool | None:
    """Deliver a one-time verification code; return True when taken care of.

    Called by auth when a code is issued: ``purpose`` is ``"verify"`` (registration), ``"login"`` (a new device),
    ``"reset"`` (password reset) or ``"change"`` (a new email/phone); ``channel`` is ``"email"`` or ``"sms"``;
    ``destination`` the address or E.164 number. The first implementation returning non-None wins (the notify
    plugin). When nothing implements it, auth writes the code to the log so local development works. Errors
    propagate (the request fails with the error).
    Example: ``return await mailer.send(destination, "code", code=code)``.
    """


@notification
@hookspec
def user_registered(user_id: int) -> None:
    """Called after an account is created (password or OIDC registration). Failures are logged."""


@notification
@hookspec
def user_banned(user_id: int, reason: str, actor_id: int | None) -> None:
    """Called after a user is banned; core's auth ends their sessions here, before any plugin. Failures are logged."""


@notification
@hookspec
def user_unbanned(user_id: int, actor_id: int | None) -> None:
    """Called after a ban is lifted. Failures are logged."""


@hookspec
def admin_user_sections(user_id: int, permissions: frozenset[str]) -> list[dict[str, Any]] | None:
    """Sections a plugin adds to a user's page in the admin panel (``/admin/users/<id>``), e.g. their events.

    Called when staff open the page; ``permissions`` are the staff member's: show only what they allow, return None
    (or ``[]``) to add nothing. Each section is ``{"title": str, "rows": [{"label": str, "value": str, "url": str}]}``
    (``url`` optional: a page of the panel; ``title`` is translated where shown: mark it with ``N_``), optionally
    with ``"total"`` (how many there are beyond the rows shown). Collected from every plugin in load order; errors
    propagate (the page fails loudly rather than hiding a section). Example::

        @hookimpl
        async def admin_user_sections(user_id, permissions):
            rows = [{"label": e.title, "value": e.status} for e in await recent_events_of(user_id)]
            return [{"title": N_("Events"), "rows": rows}]
    """


@hookspec
def user_data_export(user_id: int) -> dict[str, Any] | None:
    """Return this plugin's data about ``user_id`` for the user's export, keyed by the plugin name.

    Called by ``GET /api/v1/me/export``; results are merged into ``{"account": ..., "plugins": {...}}``. Return
    JSON-serialisable values (ISO strings for datetimes), e.g. ``{"events": {"joined": [...]}}``. Errors propagate.
    """


@decision
@hookspec
def user_erasure(user_id: int) -> None:
    """Erase or anonymise this plugin's personal data of ``user_id``, which is deleting their account.

    Called before core anonymises the account (content stays, anonymised), inside the deletion's database
    transaction (Piccolo queries join it). Raise ``core.errors.Conflict`` to refuse (e.g. open orders): everything is
    rolled back and the user gets 409. Must be idempotent.
    """


@decision
@hookspec(firstresult=True)
def media_ref_checked(ref: str, user_id: int, target: str, target_id: int) -> bool | None:
    """May ``user_id`` use the media reference ``ref`` (``media:<id>``) on ``target`` ``target_id``?

    Asked by a plugin that stores a media reference (a review's photos, a group's or an event's cover) but does
    not depend on media, before it stores a new one. ``target`` names the media target (``reviews.review``,
    ``groups.cover``, ``events.cover``); ``target_id`` is its id, 0 while the thing is being created. The media
    plugin answers True when the item exists, is the user's own upload for that target (or otherwise allowed
    there) and is neither rejected nor removed, False otherwise; None means nobody answers (media disabled).
    """


@decision
@hookspec(firstresult=True)
def users_share_context(viewer_id: int, owner_id: int) -> bool | None:
    """Whether ``viewer_id`` and ``owner_id`` share an event or a group (privacy "shared").

    Called by ``core.users.services.can_see``. Return True/False when you know, None to abstain; the first non-None
    answer wins. When nothing answers, they do not share a context. Errors propagate.
    """


@decision
@hookspec(firstresult=True)
def organiser_rating_from_plugin(user_id: int) -> RatingFigures | None:
    """The published ratings of the events ``user_id`` organised, for their public profile (``ProfileRead.rating``).

    Called by ``core.users.profiles.public_profile`` when the profile is read (not from its cache). Return
    ``core.users.schemas.RatingFigures`` once there are enough ratings to show (the ratings plugin's own threshold),
    None otherwise; the first non-None answer wins (the reviews plugin). When nothing answers, the profile has no
    rating. Public profiles are cached: the implementing plugin calls ``core.users.profiles.profile_changed(user_id)``
    when the figures change (in its transaction: the bump lands after the commit inside ``core.cache.deferred``).
    Errors propagate. Example::

        @hookimpl
        async def organiser_rating_from_plugin(user_id):
            return await figures("organiser", user_id)  # None below the threshold
    """


@hookspec
def register_oidc_providers() -> list[OIDCProvider]:
    """Return OAuth/OIDC sign-in providers: instances of ``core.auth.oidc.OIDCProvider`` subclasses.

    Each provider builds its authorisation URL, exchanges the code for tokens and returns the user's identity; core
    runs the flow (state, account linking, sessions) under ``/api/v1/auth/oidc/<provider>/…``. Names are unique.
    """



# --------------------------------------------------------------------------------------------------------------------
# Notifications (declared by any plugin, delivered by notify when it is enabled; see core.notifications)
# --------------------------------------------------------------------------------------------------------------------


@hookspec
def register_notification_kinds() -> list[NotificationKind]:
    """Return the notification kinds this plugin sends (``core.notifications.NotificationKind``).

    Called by notify (preferences, rendering, channel order) and by the contract test, which checks each kind is
    named ``<plugin>.<kind>`` and has its templates in every language. Example::

        @hookimpl
        def register_notification_kinds():
            return [NotificationKind("events.published", label="My event was published")]
    """


@decision
@hookspec
def notification_requested(notice: Notice) -> None:
    """Write ``notice`` to the delivery outbox; called by ``core.notifications.send`` inside the caller's transaction.

    Implemented by notify (writes with Piccolo or raw SQL on the task's connection, so the row commits or rolls back
    with the change; no network I/O here). With no implementation nothing is sent. Errors propagate: the change
    rolls back rather than lose its notification.
    """


@decision
@hookspec
def notifications_withdrawn(key_prefix: str, user_ids: list[int] | None) -> None:
    """Cancel notifications not yet sent whose key starts with ``key_prefix`` (for ``user_ids``, or everyone).

    Called by ``core.notifications.withdraw`` inside the caller's transaction (a participant left: their reminders
    go). Errors propagate.
    """


# --------------------------------------------------------------------------------------------------------------------
# Reports (core.reports: one report queue for every plugin's content, thresholds, text screening)
# --------------------------------------------------------------------------------------------------------------------


@hookspec
def register_reportable_types() -> list[ReportableType]:
    """Return the kinds of things people may report (``core.reports.types.ReportableType``), named ``<plugin>.<x>``.

    Called by ``POST /api/v1/reports`` (which type a report names; an unknown one is 422 ``unknown_target_type``)
    and by the panel's report queue (its actions). Each type answers through the plugin's own services: whether the
    reporter may see the target (else 404, as the target's own API), its author, ``hide``/``unhide`` for the
    reporters' threshold and dismissals, and the actions staff may take (remove, warn…). Core itself declares
    ``users.user``. A name declared twice stops start-up. Errors propagate. Example::

        @hookimpl
        def register_reportable_types():
            from .reports import reportable_types  # the plugin's own reports.py

            return reportable_types()
    """


# --------------------------------------------------------------------------------------------------------------------
# Real time (core.realtime: authenticated WebSocket, fanned out across API processes through Redis)
# --------------------------------------------------------------------------------------------------------------------


@hookspec
def register_realtime_rooms() -> list[RoomKind]:
    """Return the kinds of real-time rooms this plugin offers and who may join them (``core.realtime.RoomKind``).

    A room is ``<kind>:<id>`` (``groups.chat:42``); the kind is ``<plugin>.<name>``. When a client subscribes, core
    asks the kind's ``may_join(user_id, room_id)``; a refusal, or an unknown kind, is an error frame, never a
    subscription. Every signed-in user is also subscribed to their own channel (``core.realtime.to_user``).
    """


# --------------------------------------------------------------------------------------------------------------------
# Embedded servers (core.embedded: what a plugin needs and a package provides, when the operator configured none)
# --------------------------------------------------------------------------------------------------------------------


@hookspec
def register_embedded_servers() -> list[EmbeddedServer]:
    """Return the servers this plugin can start itself (``core.embedded.EmbeddedServer``): SeaweedFS, Typesense….

    Each one's ``configured()`` says whether the plugin's settings already name a real server; if not,
    ``manage.py run``/``worker``/``bench`` and the test suite call its ``start(directory)`` before reading the
    plugins' settings, on loopback ports, and export the ``SBOR_PLUGINS__<PLUGIN>__<KEY>`` values it returns to the
    process and its children. Production configures real servers; nothing is started then.

    Example::

        @hookimpl
        def register_embedded_servers():
            def configured() -> bool:
                s = plugin_settings(MediaSettings)
                return s.backend != "s3" or bool(s.s3_endpoint)

            return [EmbeddedServer("seaweedfs", configured=configured, start=start_seaweedfs)]
    """


@hookspec
def register_deploy_checks() -> list[DeployCheck]:
    """Return checks for ``manage.py check --deploy``: what this plugin must not run with in production.

    Each check is called with core's ``Settings`` (read the plugin's own with ``plugin_settings``) and returns, or as
    ``async def`` resolves to, a list of ``core.deploy_check.Finding(setting, message)``: the setting to change and
    why, printed as one line; an empty list when all is well. Checks may ask the plugin's servers (time-box them).
    Core already flags ``Secret`` settings left at a placeholder and servers that would run embedded. A check that
    raises becomes a finding naming the plugin (never a silent pass); the command exits non-zero on any finding.
    Example::

        @hookimpl
        def register_deploy_checks():
            def keys_given(settings):
                if not plugin_settings(OrdersSettings).credentials_keys:
                    return [Finding("plugins.orders.credentials_keys", "is empty: set Fernet keys of its own")]
                return []

            return [keys_given]
    """

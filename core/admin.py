"""Admin panel contribution types: what a plugin returns from ``register_admin_pages`` (rendered by ``admin_ui``).

Plugins import these from core, never from ``admin_ui``, so a deployment without the admin panel still loads them.
Every contribution names the permission it needs; the panel hides what the signed-in staff member may not use and
answers 403 to a direct request. Loaders are plain async functions over the plugin's own services.

Example (in a plugin's ``admin.py``)::

    from core.admin import AdminPage, AdminQuery, Column, DashboardWidget, Filter, Page, Stat

    async def list_deliveries(query: AdminQuery) -> Page:
        # the plugin's own keyset list (core.pagination); a bad cursor raises InvalidCursor: let it propagate,
        # the panel answers 400 with an HTML message and a link to the first page
        page = await services.deliveries(status=query.filters.get("status"), cursor=query.cursor, limit=query.limit)
        return Page(items=[{"id": d.id, "status": d.status} for d in page.items], next_cursor=page.next_cursor)

    def contributions() -> list[object]:
        return [
            AdminPage(plugin="notify", slug="deliveries", title="Delivery log", permission="notify.view",
                      columns=[Column("id", "#"), Column("status", "Status")],
                      filters=[Filter("status", "Status", choices=["sent", "failed"])], load=list_deliveries),
            DashboardWidget(plugin="notify", name="failed", title="Failed in 24 h", permission="notify.view",
                            load=failed_stats),
        ]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from core import pagination


@dataclass(frozen=True)
class AdminQuery:
    """What the panel passes to a list loader: filters and search from the query string, and the page to show.

    ``cursor`` is passed through untouched: decode it with :func:`core.pagination.decode_cursor` and let its
    ``InvalidCursor`` propagate (never restart from the top silently); ``limit`` is already within 1..200.
    """

    filters: dict[str, str]
    search: str = ""
    cursor: str | None = None
    limit: int = 25
    staff_id: int = 0
    timezone: str = "UTC"


Page: TypeAlias = pagination.Page[dict[str, Any]]
"""What a list page's loader returns: the one page type, :class:`core.pagination.Page`, of rows (dicts keyed by
column name). ``Page(items=[...], next_cursor=...)`` builds a ``core.pagination.Page``."""


@dataclass(frozen=True)
class Column:
    """A column of a list page. ``link`` is a format string over the row (``"/admin/users/{author_id}"``)."""

    name: str
    label: str
    kind: str = "text"  # text | datetime | number | badge
    link: str | None = None


@dataclass(frozen=True)
class Filter:
    """A filter of a list page, read from ``?<name>=``; ``choices`` makes it a select, else a text input."""

    name: str
    label: str
    choices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MenuEntry:
    """A link in the panel's side menu. Pages add their own entry; use this for links elsewhere."""

    plugin: str
    title: str
    url: str
    permission: str = "admin.access"
    section: str = "Plugins"
    order: int = 100


@dataclass(frozen=True)
class AdminPage:
    """A list page at ``/admin/p/<plugin>/<slug>``: columns, filters and search, rendered by the panel.

    ``load`` gets an :class:`AdminQuery` and returns a :data:`Page` (``core.pagination.Page`` of dicts).
    ``template`` replaces the generic list template with the plugin's own (``"<plugin>/admin/<name>.html"`` in a
    directory from ``register_template_dirs``); it receives ``page``, ``rows``, ``query`` and ``next_cursor``.
    """

    plugin: str
    slug: str
    title: str
    load: Callable[[AdminQuery], Awaitable[Page]]
    permission: str = "admin.access"
    columns: list[Column] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    searchable: bool = False
    template: str | None = None
    section: str = "Plugins"
    menu: bool = True

    @property
    def url(self) -> str:
        """Where the panel serves this page."""
        return f"/admin/p/{self.plugin}/{self.slug}"


@dataclass(frozen=True)
class Stat:
    """One figure of a dashboard widget; ``url`` links to the list behind it."""

    label: str
    value: int | float | str
    url: str | None = None
    tone: str = ""  # "" | "warn" | "bad"


@dataclass(frozen=True)
class DashboardWidget:
    """A box on the dashboard: ``load()`` returns its figures. A failing loader shows an error in its box only."""

    plugin: str
    name: str
    title: str
    load: Callable[[], Awaitable[list[Stat]]]
    permission: str = "admin.access"
    order: int = 100
    template: str | None = None


@dataclass(frozen=True)
class QueueItem:
    """A row of a moderation queue (oldest first)."""

    id: int | str
    title: str
    submitted_at: Any  # aware datetime
    author_id: int | None = None
    summary: str = ""


@dataclass(frozen=True)
class QueueDetail:
    """Everything a moderator needs to decide: all fields, the author, and the item's history."""

    id: int | str
    title: str
    fields: list[tuple[str, Any]]
    author_id: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)  # {"at": datetime, "actor_id": int|None, "what": str}
    status: str = ""
    decidable: bool = True


@dataclass(frozen=True)
class ModerationQueue:
    """A moderation queue on ``/admin/moderation/<plugin>.<name>``: list, open, approve, reject with a reason.

    ``approve``/``reject`` run the plugin's own service (which notifies the author through its hooks) and raise
    ``core.errors`` (Conflict when the item was already decided, NotFound when gone); the panel shows the message.
    ``list`` returns one page of items, oldest first, and the next page's cursor (``core.pagination``); like a list
    page's loader it lets ``InvalidCursor`` propagate (the panel answers 400 with a link to the first page).
    """

    plugin: str
    name: str
    title: str
    count: Callable[[], Awaitable[int]]
    list: Callable[[AdminQuery], Awaitable[tuple[list[QueueItem], str | None]]]
    detail: Callable[[str], Awaitable[QueueDetail]]
    approve: Callable[[str, int], Awaitable[None]]
    reject: Callable[[str, int, str], Awaitable[None]]
    permission: str = "admin.access"

    @property
    def key(self) -> str:
        """The queue's id in URLs."""
        return f"{self.plugin}.{self.name}"


ADMIN_TYPES = (AdminPage, MenuEntry, DashboardWidget, ModerationQueue)

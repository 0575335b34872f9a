"""Admin panel contribution types: what a plugin returns from ``register_admin_pages`` (rendered by ``admin_ui``).

Plugins import these from core, never from ``admin_ui``, so a deployment without the admin panel still loads them.
Every contribution names the permission it needs; the panel hides what the signed-in staff member may not use and
answers 403 to a direct request. Loaders and callbacks are plain async functions over the plugin's own services.

* :class:`AdminPage` — a list at ``/admin/p/<plugin>/<slug>`` (columns, filters, search, keyset pages); optionally
  ``actions`` (row buttons and bulk actions on ticked rows), a ``form`` (``…/new``, ``…/o/<id>/edit``) and a
  ``detail`` page (``…/o/<id>``: the object's fields, its row actions as buttons, the form's Edit link).
* :class:`Action` — ``run(ActionContext) -> ActionResult | None``: asks its ``fields`` and ``confirm`` first,
  converts the values by :class:`Field` kind, runs, and redirects back where the staff member was (same filters and
  page) with a flash message. A ``ValidationFailed`` raised by ``run`` (pointers ``"/<field>"``) re-shows the form
  with the errors and what was typed; other ``core.errors`` become the panel's HTML error page (409, 404…).
* :class:`Form` — ``load(id)`` for the edit form (None → 404), ``save(ctx, id | None, values) -> id``.
* Every POST is CSRF-checked and permission-checked by the panel; errors are HTML pages; the services still check
  their own rules (the panel is one caller among the API, the CLI and jobs) and write the audit log.
* :class:`DashboardWidget`, :class:`ModerationQueue`, :class:`MenuEntry` — dashboard boxes, queues, menu links.
* :class:`Chart` — figures per day (:class:`Series`) the panel draws as SVG on ``/admin/charts``, with a date range.

Examples: ``docs/admin.md`` ("Writing a plugin"): a list page with a widget, a queue and a menu entry; a page with
row and bulk actions, a form and a detail page.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, TypeAlias
from urllib.parse import quote

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
    sort: str = ""
    """The name of one of the page's (or queue's) :class:`Sort` s, already checked; ``""`` means the first."""


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
    tz: str | None = None
    """For a datetime column: the row field holding the place's time zone (a venue's); the value is then shown in
    that zone and, beside it, in the staff member's zone."""


@dataclass(frozen=True)
class Filter:
    """A filter of a list page, read from ``?<name>=``; ``choices`` makes it a select, else a text input."""

    name: str
    label: str
    choices: list[str] = field(default_factory=list)
    kind: str = "text"
    """``text`` (an input; a select when ``choices`` are given), ``date`` (a range: ``?<name>_from=`` and
    ``?<name>_to=``, ISO dates, inclusive, in the staff member's zone) or ``int`` (a minimum: ``?<name>=3``).
    The panel drops a value that does not parse, so a loader only sees ``YYYY-MM-DD`` dates and digits."""

    def __post_init__(self) -> None:
        if self.kind not in ("text", "date", "int"):
            raise ValueError(f"filter {self.name!r}: unknown kind {self.kind!r}")

    @property
    def params(self) -> tuple[str, ...]:
        """The query-string names this filter reads."""
        return (f"{self.name}_from", f"{self.name}_to") if self.kind == "date" else (self.name,)


@dataclass(frozen=True)
class Sort:
    """An order a list or queue offers (``?sort=<name>``); the first one declared is the default.

    The loader gets the checked name in :attr:`AdminQuery.sort` and must make its cursor depend on it (a cursor
    from another order is an ``InvalidCursor``: use a scope per order).
    """

    name: str
    label: str


FieldKind: TypeAlias = Literal["text", "textarea", "int", "decimal", "bool", "choice", "multichoice", "date",
                               "datetime", "secret", "email", "url"]
FIELD_KINDS: tuple[str, ...] = ("text", "textarea", "int", "decimal", "bool", "choice", "multichoice", "date",
                                "datetime", "secret", "email", "url")
_URL_SAFE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class Field:
    """One input of a form or an action, converted by ``kind`` before it reaches the plugin.

    Converted values: ``text``/``textarea``/``secret``/``email``/``url`` → ``str`` (stripped; ``""`` when empty),
    ``int`` → ``int``, ``decimal`` → ``decimal.Decimal``, ``bool`` → ``bool``, ``choice`` → ``str`` (one of
    ``choices``), ``multichoice`` → ``list[str]``, ``date`` → ``datetime.date``, ``datetime`` → an aware
    ``datetime.datetime`` (typed in the staff member's time zone); an empty optional field → ``None`` (``""`` for
    the text kinds, ``False`` for bool, ``[]`` for multichoice). Bad input gives an error on that field only.
    ``max_length`` caps text (default 10 000 characters for ``textarea``, 1 000 for the other text kinds).
    """

    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = False
    choices: Sequence[tuple[str, str]] = ()
    help: str = ""
    max_length: int | None = None
    default: Any = None

    def __post_init__(self) -> None:
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"field {self.name!r}: unknown kind {self.kind!r}")
        if self.kind in ("choice", "multichoice") and not self.choices:
            raise ValueError(f"field {self.name!r}: a {self.kind} field needs choices")


@dataclass(frozen=True)
class ActionContext:
    """Who runs an action or saves a form, on what, with which (converted) values."""

    staff_id: int
    ids: tuple[str, ...]
    values: Mapping[str, Any]
    request_id: str | None = None
    ip: str | None = None
    timezone: str = "UTC"


@dataclass(frozen=True)
class ActionResult:
    """What an action answers: a flash message, and where to go (default: back where the staff member was)."""

    message: str = ""
    redirect: str | None = None


@dataclass(frozen=True)
class Action:
    """A button on a list page's rows, its detail page and (``bulk=True``) its selected rows.

    ``run`` gets an :class:`ActionContext` (``ids`` holds one id for a row action, the selection for a bulk action)
    and calls the plugin's own service; ``core.errors`` it raises are shown (Conflict, NotFound → a flash-like error
    page), a ``ValidationFailed`` with ``errors=[{"pointer": "/<field>", "detail": ...}]`` re-shows the action's form
    with the errors and what was typed. ``fields`` are asked first (a reason); ``confirm`` is the question shown
    before running (required for ``bulk`` and ``danger`` actions). ``visible(row)`` hides the button on rows it
    does not apply to (the panel still runs ``run``: the service must refuse an illegal move itself).
    """

    name: str
    label: str
    permission: str
    run: Callable[[ActionContext], Awaitable[ActionResult | None]]
    fields: Sequence[Field] = ()
    bulk: bool = False
    row: bool = True
    confirm: str = ""
    danger: bool = False
    visible: Callable[[Mapping[str, Any]], bool] | None = None

    def __post_init__(self) -> None:
        if not _URL_SAFE.match(self.name):
            raise ValueError(f"action {self.name!r}: the name must be url-safe (a-z, 0-9, _ and -)")
        if (self.bulk or self.danger) and not self.confirm:
            raise ValueError(f"action {self.name!r}: bulk and danger actions need a confirm text")
        if not (self.bulk or self.row):
            raise ValueError(f"action {self.name!r}: offered nowhere (row=False and bulk=False)")


@dataclass(frozen=True)
class Form:
    """The create/edit form of a page's objects, at ``<page url>/new`` and ``<page url>/o/<id>/edit``.

    ``load(id)`` returns the current values by field name (None → 404 page); ``save(ctx, id, values)`` (id None
    when creating) calls the plugin's service and returns the object's id; a ``ValidationFailed`` with pointers
    ``"/<field>"`` re-shows the form with the errors and what was typed.
    """

    fields: Sequence[Field]
    load: Callable[[str], Awaitable[Mapping[str, Any] | None]]
    save: Callable[[ActionContext, str | None, Mapping[str, Any]], Awaitable[str]]
    permission: str | None = None
    creatable: bool = True
    editable: bool = True


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

    Filters are typed (:class:`Filter` ``kind``: text, date range, int minimum); ``sorts`` and ``total`` add an order
    select and the count of matching rows.

    Optional: ``actions`` (row and bulk :class:`Action` s), ``form`` (a create/edit :class:`Form`), ``detail`` (the
    loader of one object's detail page at ``<url>/o/<id>``: its fields as a definition list, the row actions as
    buttons, the form's Edit link) and ``key``, the row field that identifies an object (default ``"id"``).
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
    actions: Sequence[Action] = ()
    form: Form | None = None
    detail: Callable[[str], Awaitable[Mapping[str, Any] | None]] | None = None
    key: str = "id"
    sorts: Sequence[Sort] = ()
    """Orders offered (``?sort=``; the first is the default), handed to ``load`` in :attr:`AdminQuery.sort`."""
    total: Callable[[AdminQuery], Awaitable[int]] | None = None
    """How many rows match the query's filters and search (shown beside the title)."""

    def __post_init__(self) -> None:
        names = [a.name for a in self.actions]
        if len(names) != len(set(names)):
            raise ValueError(f"admin page {self.url}: two actions share a name")

    @property
    def url(self) -> str:
        """Where the panel serves this page."""
        return f"/admin/p/{self.plugin}/{self.slug}"

    def action(self, name: str) -> Action | None:
        """The action called ``name``, if the page declares it."""
        return next((a for a in self.actions if a.name == name), None)

    def object_url(self, object_id: object) -> str:
        """The detail page of one object (or its edit form when the page has no detail loader)."""
        base = f"{self.url}/o/{quote(str(object_id), safe='')}"
        return base if self.detail is not None or self.form is None else f"{base}/edit"


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
class ChartQuery:
    """What the panel passes to a chart's loader: the days to draw (inclusive, already checked and capped)."""

    since: date
    until: date
    timezone: str = "UTC"
    """The staff member's zone: count a day from midnight to midnight there (``AT TIME ZONE``)."""
    staff_id: int = 0

    @property
    def days(self) -> list[date]:
        """Every day of the range, oldest first."""
        return [self.since + timedelta(days=n) for n in range((self.until - self.since).days + 1)]


@dataclass(frozen=True)
class Series:
    """One line of a chart: a value per day (``{date: number}``); a day missing from ``points`` shows ``missing``.

    Counts leave ``missing=0``; a measure that has no value on a day without data (a median) sets ``missing=None``
    and the line has a gap there.
    """

    label: str
    points: Mapping[date, int | float | None]
    missing: int | float | None = 0

    def value(self, day: date) -> int | float | None:
        """The figure of ``day``."""
        return self.points.get(day, self.missing)


@dataclass(frozen=True)
class Chart:
    """A figure per day drawn by the panel (server-rendered SVG with its numbers as a table), with a date range.

    ``load(ChartQuery)`` returns the :class:`Series` to draw; the panel validates and caps the range (from/to
    inputs, the last 30 days by default), draws the lines, the axes, a tooltip per point and the table, and lists
    the chart on ``/admin/charts``. Plugins declare data, never SVG. Example::

        async def deliveries(query: ChartQuery) -> list[Series]:
            rows = await sql.sent_per_day(query.since, query.until, query.timezone)
            return [Series("Sent", {r["day"]: r["n"] for r in rows})]

        Chart(plugin="notify", name="delivery", title="Notification delivery", load=deliveries,
              permission="notify.view", unit="notifications")
    """

    plugin: str
    name: str
    title: str
    load: Callable[[ChartQuery], Awaitable[Sequence[Series]]]
    permission: str = "admin.access"
    description: str = ""
    unit: str = ""
    """The y axis' label (already English text: translated where shown)."""
    order: int = 100

    def __post_init__(self) -> None:
        if not (_URL_SAFE.match(self.plugin) and _URL_SAFE.match(self.name)):
            raise ValueError(f"chart {self.plugin}.{self.name}: plugin and name must be url-safe")

    @property
    def key(self) -> str:
        """The chart's id (``<plugin>.<name>``)."""
        return f"{self.plugin}.{self.name}"

    @property
    def url(self) -> str:
        """Where the panel serves this chart alone."""
        return f"/admin/charts/{self.plugin}/{self.name}"


@dataclass(frozen=True)
class QueueItem:
    """A row of a moderation queue (oldest first)."""

    id: int | str
    title: str
    submitted_at: Any  # aware datetime
    author_id: int | None = None
    summary: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    """The values of the queue's extra :attr:`ModerationQueue.columns`, by column name."""


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
    timezone: str | None = None
    """The place's zone (a venue's): the fields named in ``local_times`` are shown in it beside the staff member's."""
    local_times: Sequence[str] = ()


@dataclass(frozen=True)
class ModerationQueue:
    """A moderation queue on ``/admin/moderation/<plugin>.<name>``: list, open, approve, reject with a reason.

    ``approve``/``reject`` run the plugin's own service (which notifies the author through its hooks) and raise
    ``core.errors`` (Conflict when the item was already decided, NotFound when gone); the panel shows the message.
    ``list`` returns one page of items in the query's order (oldest first by default) and the next page's cursor
    (``core.pagination``); like a list page's loader it lets ``InvalidCursor`` propagate (the panel answers 400
    with a link to the first page).

    Working at volume (all optional): ``filters`` (typed :class:`Filter` s, read from the query string and handed
    to ``list`` and ``total`` in :attr:`AdminQuery.filters`), ``searchable`` (``?q=``), ``sorts``, ``columns``
    (extra columns filled from :attr:`QueueItem.values`), and ``total(query)``: how many items match the filters
    (without it the panel shows ``count()``). The panel adds the rest for every queue: a claim on the item a
    moderator opens, bulk approve/reject with a confirmation, canned reasons, "approve and next", keyboard
    shortcuts, and a 409 page naming who decided first.

    Example::

        ModerationQueue(plugin="events", name="review", title="Events to review", count=count, list=waiting,
                        detail=detail, approve=approve, reject=reject, permission="events.moderate",
                        searchable=True, total=matching,
                        filters=[Filter("city", "City"), Filter("submitted", "Submitted", kind="date"),
                                 Filter("reports", "Reports (at least)", kind="int")],
                        sorts=[Sort("submitted", "Oldest first"), Sort("starts", "Starts soonest")],
                        columns=[Column("starts_at", "Starts", "datetime", tz="timezone")])
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
    filters: Sequence[Filter] = ()
    sorts: Sequence[Sort] = ()
    columns: Sequence[Column] = ()
    searchable: bool = False
    total: Callable[[AdminQuery], Awaitable[int]] | None = None
    reject_label: str = "Reject"
    """The name of the refusing decision (reviews call it "Hide")."""

    def __post_init__(self) -> None:
        names = [p for f in self.filters for p in f.params]
        if len(names) != len(set(names)) or {"q", "sort", "cursor", "limit"} & set(names):
            raise ValueError(f"moderation queue {self.key}: filter names clash")
        if len({s.name for s in self.sorts}) != len(self.sorts):
            raise ValueError(f"moderation queue {self.key}: two sorts share a name")

    @property
    def key(self) -> str:
        """The queue's id in URLs."""
        return f"{self.plugin}.{self.name}"


ADMIN_TYPES = (AdminPage, MenuEntry, DashboardWidget, ModerationQueue, Chart)

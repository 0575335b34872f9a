"""``/admin/export/…``: any list of the panel as CSV, with its filters and search, across all its pages.

Every list is read through its own loader, page after page by its keyset cursor (never an OFFSET), and streamed
as it is read: plugins' pages (``/admin/export/p/<plugin>/<slug>``), moderation queues
(``/admin/export/moderation/<plugin>.<name>``), users (``/admin/export/users``) and the audit log
(``/admin/export/audit``), each with the query string of the list it came from. The first page is read before the
response starts, so a bad cursor or a missing permission is still the panel's HTML error page. At most the
``export_max_rows`` setting rows are written (then a last row says the file was cut). Cells that a spreadsheet would
run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) are prefixed with ``'``.
UTF-8 with a byte order mark, so Excel opens Russian text. Each export is recorded in the audit log.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Stream

from admin_ui import accounts, audit, queueing, session
from admin_ui.pages.extension import page_of
from admin_ui.render import panel
from admin_ui.web import needs, staff_of
from core import clock, i18n
from core.admin import AdminQuery
from core.errors import NotFound, PermissionDenied
from core.i18n import N_
from core.pagination import MAX_LIMIT, Page

log = logging.getLogger("admin_ui")

BOM = "\ufeff"
BATCH = MAX_LIMIT
"""Rows read per page of the list (its loader's ``limit``)."""
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
Loader = Callable[[str | None], Awaitable[Page[dict[str, Any]]]]
"""Reads one page of a list from a cursor (None: the first page)."""


def cell(value: Any, tz: str = "UTC") -> str | int | float:
    """One CSV cell: numbers as they are, dates in the staff member's zone, the rest as text made formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        moment: datetime = value
        try:
            moment = value.astimezone(ZoneInfo(tz)) if value.tzinfo else value
        except (ZoneInfoNotFoundError, ValueError):
            pass
        return moment.isoformat(timespec="seconds")
    if isinstance(value, dict | list | tuple):
        text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def _line(values: Sequence[Any]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(values)
    return buf.getvalue().encode("utf-8")


async def _rows(first: Page[dict[str, Any]], load: Loader, names: Sequence[str], cap: int,
                tz: str) -> AsyncIterator[bytes]:
    """The CSV lines of every page, one chunk a page (one send each), until the last page or the cap."""
    page, written = first, 0
    while True:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        for row in page.items:
            if written >= cap:
                writer.writerow([i18n.gettext("The export stops at %(max)s rows: narrow the filters.") % {"max": cap}])
                yield buf.getvalue().encode("utf-8")
                return
            writer.writerow([cell(row.get(n), tz) for n in names])
            written += 1
        yield buf.getvalue().encode("utf-8")
        if not page.next_cursor:
            return
        try:
            page = await load(page.next_cursor)
        except Exception:  # the response has started: say so in the file rather than cut it silently
            log.exception("admin: export stopped after %s rows", written)
            yield _line([i18n.gettext("The export failed here; the rows above are complete.")])
            return


async def _export(request: Request[Any, Any, Any], name: str, columns: Sequence[tuple[str, str]],
                  load: Loader) -> Stream:
    """Read the first page (errors become HTML pages), record the export, then stream the rest."""
    staff = staff_of(request)
    first = await load(None)
    cap = session.settings().export_max_rows
    await audit.record(staff.user_id, "admin.export", "list", request.url.path[:64],
                       after={"query": str(request.url.query)[:500]})
    header = BOM.encode("utf-8") + _line([cell(i18n.gettext(label)) for _n, label in columns])
    names = [n for n, _label in columns]
    language = i18n.get_locale()

    async def body() -> AsyncIterator[bytes]:
        yield header
        with i18n.use_locale(language):
            async for chunk in _rows(first, load, names, cap, staff.timezone):
                yield chunk

    stamp = clock.now().strftime("%Y%m%d-%H%M")
    return Stream(body(), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


class ExportController(Controller):
    """``/admin/export/…``: the CSV behind each list's "Export CSV" link (same query string as the list)."""

    path = "/export"
    include_in_schema = False
    guards = [needs("admin.access")]

    @get("/p/{plugin:str}/{slug:str}", operation_id="admin_export_page")
    async def export_page(self, request: Request[Any, Any, Any], plugin: FromPath[str], slug: FromPath[str]) -> Stream:
        """A plugin's list page: its columns, through its loader, with the list's filters and search."""
        page = page_of(request, plugin, slug)
        staff = staff_of(request)
        q = request.query_params
        filters = queueing.clean_filters(page.filters, q)  # exactly as the list page reads them
        sort = queueing.clean_sort(page.sorts, q.get("sort"))

        async def load(cursor: str | None) -> Page[dict[str, Any]]:
            return await page.load(AdminQuery(filters=filters, search=(q.get("q") or "")[:200], cursor=cursor,
                                              limit=BATCH, staff_id=staff.user_id, timezone=staff.timezone,
                                              sort=sort))

        return await _export(request, f"{plugin}-{slug}", [(c.name, c.label) for c in page.columns], load)

    @get("/moderation/{key:str}", operation_id="admin_export_queue")
    async def export_queue(self, request: Request[Any, Any, Any], key: FromPath[str]) -> Stream:
        """A moderation queue with the queue list's search, filters and sort (its own typed parsing)."""
        q = panel(request).contributions.queues.get(key)
        if q is None:
            raise NotFound("No such queue.", code="queue_not_found")
        staff = staff_of(request)
        if not staff.has(q.permission):
            raise PermissionDenied("This page needs the permission %(permission)s.",
                                   params={"permission": q.permission}, code="permission_denied")
        base = queueing.parse(q, request.query_params, staff_id=staff.user_id, timezone=staff.timezone,
                              page_size=MAX_LIMIT)

        async def load(cursor: str | None) -> Page[dict[str, Any]]:
            items, next_cursor = await q.list(AdminQuery(
                filters=base.filters, search=base.search, cursor=cursor, limit=BATCH, staff_id=staff.user_id,
                timezone=staff.timezone, sort=base.sort))
            return Page(items=[{"id": i.id, "title": i.title, "submitted_at": i.submitted_at,
                                "author_id": i.author_id, "summary": i.summary, **dict(i.values)} for i in items],
                        next_cursor=next_cursor)

        columns = [("id", "#"), ("title", N_("Title")), ("submitted_at", N_("Submitted")),
                   ("author_id", N_("Author")), ("summary", N_("Summary")), *((c.name, c.label) for c in q.columns)]
        return await _export(request, f"moderation-{key}", columns, load)

    @get("/users", operation_id="admin_export_users", guards=[needs("users.view")])
    async def export_users(self, request: Request[Any, Any, Any]) -> Stream:
        """Users matching the users page's search."""
        search = (request.query_params.get("q") or "")[:200]

        async def load(cursor: str | None) -> Page[dict[str, Any]]:
            return await accounts.search_users(search, cursor, BATCH)

        columns = [("id", "#"), ("display_name", N_("Name")), ("email", N_("Email")), ("phone", N_("Phone")),
                   ("status", N_("Status")), ("created_at", N_("Joined"))]
        return await _export(request, "users", columns, load)

    @get("/audit", operation_id="admin_export_audit", guards=[needs("admin.audit")])
    async def export_audit(self, request: Request[Any, Any, Any]) -> Stream:
        """The audit log with the audit page's filters, newest first."""
        filters = {k: request.query_params.get(k) or "" for k in audit.FILTERS}

        async def load(cursor: str | None) -> Page[dict[str, Any]]:
            return await audit.entries(filters, cursor, BATCH)

        columns = [("created_at", N_("When")), ("actor_id", N_("Actor id")), ("actor_label", N_("Who")),
                   ("action", N_("Action")), ("object_type", N_("Object type")), ("object_id", N_("Object id")),
                   ("before", N_("Before")), ("after", N_("After")), ("reason", N_("Reason")),
                   ("origin", N_("Origin")), ("ip", N_("Address")), ("request_id", N_("Request id"))]
        return await _export(request, "audit", columns, load)

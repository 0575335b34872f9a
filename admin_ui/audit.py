"""The panel's view of core's audit log (``core.audit``): its pages and links from entries to the objects.

Services write the log (so the panel, the API, the CLI and jobs are all recorded once); the panel only records
what is its own: staff signing in and out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from core.audit import ENTRIES, FILTERS, about_user, entries, record

__all__ = ["ENTRIES", "FILTERS", "about_user", "entries", "object_url", "record"]

# object_type → the admin page of one such object ("{id}" is the object id, URL-quoted).
OBJECT_PAGES: dict[str, str] = {
    "user": "/admin/users/{id}",
    "role": "/admin/roles/{id}",
    "event": "/admin/moderation/events.review/{id}",
    "media": "/admin/moderation/media.review/{id}",
    "review": "/admin/moderation/reviews.queue/{id}",
    "report_case": "/admin/p/reports/queue/o/{id}",
}


def object_url(object_type: str, object_id: Any) -> str | None:
    """The admin page of an audited object, or None when it has none (or no id)."""
    page = OBJECT_PAGES.get(object_type)
    oid = str(object_id or "")
    if page is None or not oid:
        return None
    if object_type == "user" and not oid.isdigit():
        return None
    return page.replace("{id}", quote(oid, safe=""))

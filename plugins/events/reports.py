"""Events as reportable content (core.reports): who may see one, its author, hide (``hidden``) and show again."""

from __future__ import annotations

from core.errors import NotFound
from core.reports.types import ReportableType
from plugins.events import services, states
from plugins.events.store import load_event, may_see


async def _exists(event_id: int, viewer_id: int) -> bool:
    """What ``GET /events/{id}`` shows the viewer (drafts and hidden events are 404 to others)."""
    try:
        row = await load_event(event_id)
    except NotFound:
        return False
    return await may_see(row, viewer_id)


async def _author(event_id: int) -> int | None:
    try:
        return int((await load_event(event_id))["author_id"])
    except NotFound:
        return None


async def _describe(event_id: int) -> str:
    row = await load_event(event_id)
    return f"{row['title']} ({row['status']})"


async def _hide(event_id: int, reason: str) -> None:
    await services.hide_reported(event_id)


async def _cancel(event_id: int, staff_id: int, note: str) -> None:
    row = await load_event(event_id)
    if row["status"] == states.PENDING:
        await services.reject(event_id, staff_id, note or "Removed after reports")
    else:
        await services.cancel(services.Actor(staff_id, moderator=True), event_id, note or "Removed after reports")


def reportable_types() -> list[ReportableType]:
    """``events.event``: hidden by reports (status ``hidden``, restored on dismissal), rejected or cancelled."""
    from core.reports.types import ReportAction

    return [ReportableType(
        name="events.event", label="Event", exists=_exists, author_of=_author, describe=_describe, hide=_hide,
        unhide=services.unhide_reported,
        actions=[ReportAction("remove", "Remove (reject or cancel)", _cancel, danger=True)],
        admin_url=lambda event_id: f"/admin/moderation/events.review/{event_id}",
    )]

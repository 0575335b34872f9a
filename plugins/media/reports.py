"""Media items as reportable content (core.reports): visibility, uploader, back to review, removal."""

from __future__ import annotations

from core.errors import NotFound
from core.reports.types import ReportableType
from plugins.media import moderation, reads
from plugins.media.store import load


async def _exists(item_id: int, viewer_id: int) -> bool:
    """What ``GET /media/items/{id}`` shows the viewer."""
    try:
        await reads.visible(item_id, viewer_id)
    except NotFound:
        return False
    return True


async def _uploader(item_id: int) -> int | None:
    try:
        return int((await load(item_id))["uploader_id"])
    except NotFound:
        return None


async def _describe(item_id: int) -> str:
    row = await load(item_id)
    return f"{row['kind']} #{item_id} ({row['status']})"


async def _hide(item_id: int, reason: str) -> None:
    await moderation.hold_reported(item_id)


async def _remove(item_id: int, staff_id: int, note: str) -> None:
    await moderation.reject(item_id, staff_id, note or "Removed after reports")


def reportable_types() -> list[ReportableType]:
    """``media.item``: photos and videos; hidden by reports (back to review), rejected by staff."""
    from core.reports.types import ReportAction

    return [ReportableType(
        name="media.item", label="Photo or video", exists=_exists, author_of=_uploader, describe=_describe,
        hide=_hide, unhide=moderation.release_reported,
        actions=[ReportAction("remove", "Remove (reject)", _remove, danger=True)],
        admin_url=lambda item_id: f"/admin/p/media/queue/o/{item_id}",
    )]

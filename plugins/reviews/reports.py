"""Reviews as reportable content (core.reports): visibility, author, held by reports, hidden or removed by staff."""

from __future__ import annotations

from core.errors import NotFound
from core.reports.types import ReportableType
from plugins.reviews import moderation, services
from plugins.reviews.store import load


async def _exists(review_id: int, viewer_id: int) -> bool:
    """What ``GET /reviews/{id}`` shows the viewer (their own in any status, others' when published)."""
    try:
        await services.get(review_id, viewer_id)
    except NotFound:
        return False
    return True


async def _author(review_id: int) -> int | None:
    try:
        author = (await load(review_id))["author_id"]
    except NotFound:
        return None
    return None if author is None else int(author)


async def _describe(review_id: int) -> str:
    row = await load(review_id)
    return f"{row['rating']}★ {row['text'][:120]} ({row['status']})"


async def _hide(review_id: int, reason: str) -> None:
    await moderation.hold_reported(review_id)


async def _take_down(review_id: int, staff_id: int, note: str) -> None:
    await moderation.hide(review_id, staff_id, note or "Hidden after reports")


async def _remove(review_id: int, staff_id: int, note: str) -> None:
    await moderation.remove(review_id, staff_id, note or "Removed after reports")


def reportable_types() -> list[ReportableType]:
    """``reviews.review``: held by reports; staff hide it (the author may fix it) or remove it for good."""
    from core.reports.types import ReportAction

    return [ReportableType(
        name="reviews.review", label="Review", exists=_exists, author_of=_author, describe=_describe, hide=_hide,
        unhide=moderation.release_reported,
        actions=[ReportAction("take_down", "Hide (the author may fix it)", _take_down),
                 ReportAction("remove", "Remove for good", _remove, danger=True)],
        admin_url=lambda review_id: f"/admin/moderation/reviews.queue/{review_id}",
    )]

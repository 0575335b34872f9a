"""Moderators' decisions (approve, reject with a reason, in bulk) and people's reports of approved media.

Reports stay in this one small module (no platform-wide mechanism yet): enough open reports take an approved item
back to the moderators' queue; a decision resolves its reports.
"""

from __future__ import annotations

from core import clock, notifications
from core.errors import Conflict, NotFound, ValidationFailed
from core.hooks import plugin_settings
from core.notifications import Notice
from plugins.media import MediaSettings, reads, states
from plugins.media.store import lock, log, move, ref_of, transaction
from plugins.media.tables import Item, Report


async def _resolve_reports(item_id: int) -> None:
    await Report.update({Report.resolved_at: clock.now()}).where(Report.item == item_id, Report.resolved_at.is_null())


async def approve(item_id: int, moderator_id: int) -> None:
    """Publish a held item (or one rejected by mistake); its reports are resolved."""
    async with transaction():
        row = await lock(item_id)
        await move(row, states.APPROVED, moderator_id, hold_reason="", reason="", reports=0)
        await _resolve_reports(item_id)


async def reject(item_id: int, moderator_id: int, reason: str) -> None:
    """Reject a held or approved item with a reason the uploader reads; its look-alikes are held from now on."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("A reason is required.", code="reason_required",
                               errors=[{"pointer": "/reason", "detail": "required"}])
    async with transaction():
        row = await lock(item_id)
        await move(row, states.REJECTED, moderator_id, reason=reason[:2000], reports=0)
        await _resolve_reports(item_id)
        await notifications.send(Notice(
            "media.rejected", user_ids=[row["uploader_id"]], subject=f"media.item:{item_id}",
            context={"media_ref": ref_of(item_id), "kind": row["kind"], "reason": reason}))


async def decide_many(ids: list[int], moderator_id: int, approve_them: bool, reason: str = "") -> tuple[int, int]:
    """Approve or reject several items; returns (done, skipped) — an item decided meanwhile is skipped."""
    done = skipped = 0
    for item_id in ids:
        try:
            if approve_them:
                await approve(item_id, moderator_id)
            else:
                await reject(item_id, moderator_id, reason)
            done += 1
        except (Conflict, NotFound):
            skipped += 1
    return done, skipped


async def report(item_id: int, user_id: int, reason: str, note: str) -> int:
    """A person reports an approved item they can see; enough open reports send it back to review."""
    row = await reads.visible(item_id, user_id)
    if row["status"] != states.APPROVED:
        raise Conflict("Only published media can be reported.", code="not_reportable")
    threshold = plugin_settings(MediaSettings).reports_to_hold
    async with transaction():
        await Report(item=item_id, reporter=user_id, reason=reason, note=note.strip()).save()
        current = await lock(item_id)
        open_reports = await Report.count().where(Report.item == item_id, Report.resolved_at.is_null())
        await Item.update({Item.reports: open_reports}).where(Item.id == item_id)
        if current["status"] == states.APPROVED and open_reports >= threshold:
            await move(current, states.PENDING, None, hold_reason=f"reported {open_reports} times")
    log.info("user %s reported media %s (%s)", user_id, item_id, reason)
    return int(open_reports)


async def open_reports(item_id: int) -> list[dict[str, object]]:
    """The item's unresolved reports, oldest first (for the moderators' detail page)."""
    rows = await Report.select(Report.reporter, Report.reason, Report.note, Report.created_at).where(
        Report.item == item_id, Report.resolved_at.is_null()).order_by(Report.id)
    return list(rows)

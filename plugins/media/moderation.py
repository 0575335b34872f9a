"""Moderators' decisions (approve, reject with a reason, in bulk) and people's reports of approved media.

Reports go to the platform's one report queue (``core.reports``, type ``media.item``: ``reports.py``); the reporters'
threshold takes an approved item back to this queue (``hold_reason`` ``reported``) until staff decide there.
"""

from __future__ import annotations

from core import audit, notifications
from core.errors import Conflict, NotFound, ValidationFailed
from core.notifications import Notice
from core.reports import services as reports
from plugins.media import reads, states
from plugins.media.store import load, lock, move, ref_of, transaction

REASONS = {"nudity": "nudity", "violence": "harassment", "hate": "harassment", "spam": "spam", "privacy": "other",
           "copyright": "illegal", "other": "other"}
"""This route's reasons of old, as the platform's report reasons (the old one stays at the head of the text)."""
MEDIA_TYPE = "media.item"


async def approve(item_id: int, moderator_id: int) -> None:
    """Publish a held item (or one rejected by mistake); a report case that held it is dismissed."""
    async with transaction():
        row = await lock(item_id)
        await move(row, states.APPROVED, moderator_id, hold_reason="", reason="", reports=0)
        await reports.target_decided(MEDIA_TYPE, item_id, moderator_id, upheld=False, decision="kept",
                                     hidden_only=True)
        await audit.record(moderator_id, "media.approve", "media", item_id, before={"status": row["status"]},
                           after={"status": states.APPROVED})


async def reject(item_id: int, moderator_id: int, reason: str) -> None:
    """Reject a held or approved item with a reason the uploader reads; its look-alikes are held from now on."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("A reason is required.", code="reason_required",
                               errors=[{"pointer": "/reason", "detail": "required"}])
    async with transaction():
        row = await lock(item_id)
        await move(row, states.REJECTED, moderator_id, reason=reason[:2000], reports=0)
        await reports.target_decided(MEDIA_TYPE, item_id, moderator_id, upheld=True, decision="rejected")
        await audit.record(moderator_id, "media.reject", "media", item_id, reason=reason,
                           before={"status": row["status"]}, after={"status": states.REJECTED})
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
    """A person reports an approved item they can see, to the platform's report queue (``core.reports``).

    The route of old, kept for the app: 409 ``not_reportable`` unless approved, 409 ``already_exists`` for a second
    report; the reporters' threshold (``[settings.reports]``) takes it back to review. Returns the reporters so far.
    """
    row = await reads.visible(item_id, user_id)
    if row["status"] != states.APPROVED:
        raise Conflict("Only published media can be reported.", code="not_reportable")
    text = f"{reason}: {note.strip()}" if note.strip() else reason
    _made, created = await reports.file(user_id, MEDIA_TYPE, item_id, REASONS.get(reason, "other"), text)
    if not created:
        raise Conflict("You already reported this item.", code="already_exists")
    return (await reports.open_reporters(MEDIA_TYPE, [item_id])).get(item_id, 0)


async def open_reports(item_id: int) -> list[dict[str, object]]:
    """The item's open reports, oldest first (for the moderators' detail page)."""
    return await reports.open_reports_of(MEDIA_TYPE, item_id)


REPORTED = "reported"
"""The ``hold_reason`` of an item the platform's report threshold took out of the galleries."""


async def hold_reported(item_id: int) -> None:
    """The platform's reports (core.reports) reached their threshold: an approved item goes back to review."""
    async with transaction():
        row = await lock(item_id)
        if row["status"] == states.APPROVED:
            await move(row, states.PENDING, None, hold_reason=REPORTED)


async def release_reported(item_id: int, moderator_id: int | None) -> None:
    """The reports were dismissed: publish again an item they held (and nothing else held it since)."""
    row = await load(item_id)
    if row["status"] == states.PENDING and row["hold_reason"] == REPORTED and moderator_id is not None:
        await approve(item_id, moderator_id)

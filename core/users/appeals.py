"""Ban appeals: a banned user files one appeal against their current ban; staff accept (the ban is lifted) or refuse.

A banned user cannot sign in, so the appeal is filed with their email-or-phone and password (``POST
/api/v1/appeals``). One appeal per ban: a second is 409 ``appeal_exists`` (a new ban opens a new chance).
Moves: pending → accepted | refused, once (409 ``appeal_decided`` for the second moderator).
"""

from __future__ import annotations

import logging
from typing import Any

from core import audit, clock
from core.errors import Conflict, NotFound, ValidationFailed
from core.pagination import Page, decode_cursor, paginate
from core.users.lifecycle import unban_user
from core.users.tables import BanAppeal, User

log = logging.getLogger("core.users")

PENDING, ACCEPTED, REFUSED = "pending", "accepted", "refused"
STATUSES = (PENDING, ACCEPTED, REFUSED)
SCOPE = "users.appeals"
COLUMNS = (BanAppeal.id, BanAppeal.user.as_alias("user_id"), BanAppeal.user.display_name.as_alias("display_name"),
           BanAppeal.user.email.as_alias("email"), BanAppeal.text, BanAppeal.ban_reason, BanAppeal.status,
           BanAppeal.answer, BanAppeal.decided_by.as_alias("decided_by_id"), BanAppeal.decided_at,
           BanAppeal.created_at)


async def file(user_id: int, text: str) -> dict[str, Any]:
    """File the banned user's one appeal against their current ban (409 ``not_banned``, ``appeal_exists``)."""
    text = text.strip()
    if not text:
        raise ValidationFailed("Say why the ban should be lifted", code="text_required",
                               errors=[{"pointer": "/text", "detail": "required"}])
    user = await User.select(User.status, User.ban_reason, User.banned_at).where(User.id == user_id).first()
    if user is None or user["status"] != "banned":
        raise Conflict("The account is not banned", code="not_banned")
    same_ban = (BanAppeal.banned_at == user["banned_at"]) if user["banned_at"] else BanAppeal.banned_at.is_null()
    earlier = await BanAppeal.select(BanAppeal.id, BanAppeal.status).where(BanAppeal.user == user_id,
                                                                           same_ban).first()
    if earlier is not None:
        raise Conflict("You have already appealed against this ban", code="appeal_exists",
                       appeal_id=earlier["id"], appeal_status=earlier["status"])
    row = BanAppeal(user=user_id, text=text[:4000], ban_reason=user["ban_reason"], banned_at=user["banned_at"],
                    created_at=clock.now())
    await row.save()
    log.info("user %s appealed against their ban (appeal %s)", user_id, row.id)
    return await get(int(row.id))


async def get(appeal_id: int) -> dict[str, Any]:
    """One appeal with its user's name and email (NotFound ``appeal_not_found``)."""
    row = await BanAppeal.select(*COLUMNS).where(BanAppeal.id == appeal_id).first()
    if row is None:
        raise NotFound("appeal %(appeal_id)s not found", params={"appeal_id": appeal_id}, code="appeal_not_found")
    return dict(row)


async def queue(status: str | None, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """Appeals in ``status`` (pending by default), oldest first."""
    query = BanAppeal.select(*COLUMNS).where(BanAppeal.status == (status or PENDING))
    if cursor:
        query = query.where(BanAppeal.id > decode_cursor(cursor, int, scope=SCOPE)[0])
    rows = await query.order_by(BanAppeal.id).limit(limit + 1)
    items, nxt = paginate([dict(r) for r in rows], limit, key=lambda r: (r["id"],), scope=SCOPE)
    return Page(items=items, next_cursor=nxt)


async def of_user(user_id: int) -> list[dict[str, Any]]:
    """A user's appeals, newest first (the user's page in the panel)."""
    return [dict(r) for r in await BanAppeal.select(*COLUMNS).where(BanAppeal.user == user_id).order_by(
        BanAppeal.id, ascending=False)]


async def decide(appeal_id: int, staff_id: int, accept: bool, answer: str = "") -> dict[str, Any]:
    """Accept (the ban is lifted) or refuse (with an answer the user reads) a pending appeal."""
    answer = answer.strip()
    if not accept and not answer:
        raise ValidationFailed("Say why, for the user", code="reason_required",
                               errors=[{"pointer": "/answer", "detail": "required"}])
    row = await get(appeal_id)
    done = await BanAppeal.update({
        BanAppeal.status: ACCEPTED if accept else REFUSED, BanAppeal.answer: answer[:2000],
        BanAppeal.decided_by: staff_id, BanAppeal.decided_at: clock.now(),
    }).where(BanAppeal.id == appeal_id, BanAppeal.status == PENDING).returning(BanAppeal.id)
    if not done:
        raise Conflict("This appeal was already decided", code="appeal_decided")
    if accept:
        user = await User.select(User.status).where(User.id == row["user_id"]).first()
        if user is not None and user["status"] == "banned":  # audited as the unban, with the appeal as its reason
            await unban_user(row["user_id"], staff_id, f"appeal {appeal_id} accepted{': ' + answer if answer else ''}")
    else:
        await audit.record(staff_id, "user.appeal_refuse", "user", row["user_id"], reason=answer,
                           before={"appeal": appeal_id, "status": PENDING}, after={"status": REFUSED})
    log.info("staff %s %s appeal %s of user %s", staff_id, "accepted" if accept else "refused", appeal_id,
             row["user_id"])
    return await get(appeal_id)

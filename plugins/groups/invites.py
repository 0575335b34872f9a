"""Invitation links: a random token (only its SHA-256 stored) with an expiry and a use limit. No Litestar."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from core import clock, ratelimit
from core.errors import Conflict, NotFound
from core.hooks import plugin_settings
from plugins.groups import GroupsSettings, states, store
from plugins.groups.members import Actor, move, require_moderator, visible_group
from plugins.groups.store import Row
from plugins.groups.tables import InviteLink

log = logging.getLogger("plugins.groups")

LINK_COLUMNS = (InviteLink.id, InviteLink.expires_at, InviteLink.max_uses, InviteLink.uses, InviteLink.revoked_at,
                InviteLink.created_at, InviteLink.created_by)


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _not_found() -> NotFound:
    return NotFound("No such invitation link", code="invite_not_found")


async def create_link(actor: Actor, group_id: int, days: int, max_uses: int | None) -> tuple[Row, str]:
    """A new link for the group (its moderators); returns the row and the token, shown this once."""
    cap = plugin_settings(GroupsSettings).invite_max_days
    if days > cap:
        raise store.fail("/expires_in_days", "an invitation link lasts at most %(cap)s days", "invite_too_long",
                         params={"cap": cap})
    await ratelimit.hit("groups.invite_link", str(actor.user_id), limit=50, window_s=3600)
    token = secrets.token_urlsafe(24)
    async with store.transaction():
        await visible_group(actor, group_id)
        await require_moderator(actor, group_id)
        now = clock.now()
        rows = await InviteLink.insert(InviteLink(
            group=group_id, token_hash=digest(token), created_by=actor.user_id, expires_at=now + timedelta(days=days),
            max_uses=max_uses, uses=0, created_at=now)).returning(*LINK_COLUMNS)
    log.info("user %s created invitation link %s of group %s", actor.user_id, rows[0]["id"], group_id)
    return rows[0], token


async def list_links(actor: Actor, group_id: int) -> list[Row]:
    """The group's links, newest first (without tokens: they are not stored)."""
    await visible_group(actor, group_id)
    await require_moderator(actor, group_id)
    return await InviteLink.select(*LINK_COLUMNS).where(InviteLink.group == group_id).order_by(
        InviteLink.id, ascending=False).limit(200)


async def revoke_link(actor: Actor, group_id: int, link_id: int) -> None:
    """Revoke a link (idempotent); 404 ``invite_not_found`` for a link of another group."""
    async with store.transaction():
        await visible_group(actor, group_id)
        await require_moderator(actor, group_id)
        done = await InviteLink.update({InviteLink.revoked_at: clock.now()}).where(
            InviteLink.id == link_id, InviteLink.group == group_id).returning(InviteLink.id)
        if not done:
            raise _not_found()
    log.info("user %s revoked invitation link %s of group %s", actor.user_id, link_id, group_id)


async def accept_link(actor: Actor, token: str) -> dict[str, Any]:
    """Join the link's group (any policy, any visibility) unless the link is revoked, expired or used up.

    409 ``invite_revoked`` / ``invite_expired`` / ``invite_used_up``; 403 ``member_banned`` for a banned user. An
    active member gets the group back without using the link.
    """
    await ratelimit.hit("groups.join", str(actor.user_id), limit=30, window_s=3600)
    found = await InviteLink.select(InviteLink.group).where(InviteLink.token_hash == digest(token)).first()
    if found is None:
        raise _not_found()
    group_id = int(found["group"])
    async with store.transaction():
        group = await store.load_group(group_id, lock=True)
        link = await InviteLink.select(*LINK_COLUMNS).where(InviteLink.token_hash == digest(token)).lock_rows(
            "UPDATE").first()
        if link is None:
            raise _not_found()
        mine = await store.membership(group_id, actor.user_id, lock=True)
        result = {"group_id": group_id, "slug": group["slug"], "state": states.ACTIVE}
        if mine is not None and mine["state"] == states.ACTIVE:
            return result
        if mine is not None and mine["state"] == states.BANNED:
            await move(group_id, actor.user_id, states.ACTIVE, states.LINK, actor_id=actor.user_id, current_row=mine)
        if link["revoked_at"] is not None:
            raise Conflict("This invitation link was revoked", code="invite_revoked")
        if link["expires_at"] <= clock.now():
            raise Conflict("This invitation link has expired", code="invite_expired")
        if link["max_uses"] is not None and link["uses"] >= link["max_uses"]:
            raise Conflict("This invitation link was used up", code="invite_used_up")
        await move(group_id, actor.user_id, states.ACTIVE, states.LINK, actor_id=actor.user_id, current_row=mine)
        await InviteLink.update({InviteLink.uses: InviteLink.uses + 1}).where(InviteLink.id == link["id"])
    log.info("user %s joined group %s through invitation link %s", actor.user_id, group_id, link["id"])
    return result

"""Agents: who answers tickets, who is online (a recent heartbeat), and the round-robin turn among them."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from core import clock, db
from core.hooks import plugin_settings
from core.users import services as users
from core.users.tables import Role, UserRole
from plugins.support import SupportSettings, sql
from plugins.support.tables import Agent

log = logging.getLogger("plugins.support")

ANSWER = "support.answer"
MANAGE = "support.manage"
HEARTBEAT_WRITE_S = 20
"""A heartbeat writes the row at most this often (the panel polls every few seconds)."""


async def is_agent(user_id: int) -> bool:
    """Whether the user holds ``support.answer`` now (roles may change at any time)."""
    return users.allows(await users.permissions_of(user_id), ANSWER)


async def heartbeat(user_id: int) -> None:
    """The agent is here (a panel page of support, or ``POST /support/agents/heartbeat``): online for a while."""
    now = clock.now()
    await db.fetch(sql.SEEN, user_id, now, now - timedelta(seconds=HEARTBEAT_WRITE_S))
    forget()


def _online_since() -> datetime:
    return clock.now() - timedelta(seconds=plugin_settings(SupportSettings).online_window_s)


async def online() -> list[int]:
    """Agents seen within ``online_window_s``, by user id."""
    rows = await Agent.select(Agent.user).where(Agent.active.eq(True), Agent.last_seen_at >= _online_since())
    return [r["user"] for r in rows]


_any_online: tuple[float, bool] = (0.0, False)
ANY_ONLINE_TTL_S = 2.0
"""Whether someone is online is asked on every reply: the answer is reused this long in one process."""


async def any_online() -> bool:
    """Whether at least one agent is online now (reused for :data:`ANY_ONLINE_TTL_S` within a process)."""
    global _any_online
    at, answer = _any_online
    now = time.monotonic()
    if now - at < ANY_ONLINE_TTL_S:
        return answer
    answer = await Agent.exists().where(Agent.active.eq(True), Agent.last_seen_at >= _online_since())
    _any_online = (now, answer)
    return answer


def forget() -> None:
    """Drop what this process remembers about presence (after a heartbeat here, and in tests)."""
    global _any_online
    _any_online = (0.0, False)


async def known() -> list[int]:
    """Who hears of urgent tickets and of unassigned ones nearing their due time.

    Every active account with a role that names ``support.answer`` (whether or not they ever came online), and
    everyone else who came online as an agent and still holds it (admins through ``*``).
    """
    roles = [r["id"] for r in await Role.select(Role.id).where(Role.permissions.any(ANSWER))]
    named = await UserRole.select(UserRole.user).where(UserRole.role.is_in(roles), UserRole.user.status == "active") \
        if roles else []
    ids = {r["user"] for r in named}
    for r in await Agent.select(Agent.user).where(Agent.active.eq(True)):
        if r["user"] not in ids and await is_agent(r["user"]):
            ids.add(r["user"])
    return sorted(ids)


async def next_in_turn() -> int | None:
    """The online agent whose round-robin turn is longest ago (stamped now), or None when nobody is online.

    One statement with ``FOR UPDATE SKIP LOCKED``: two assignments at once never pick the same turn. An agent who
    lost the permission is marked inactive and skipped.
    """
    skipped: list[int] = []
    for _ in range(20):
        rows = await db.fetch(sql.NEXT_AGENT, _online_since(), clock.now(), skipped)
        if not rows:
            return None
        user_id = int(rows[0]["user"])
        if await is_agent(user_id):
            return user_id
        await Agent.update({Agent.active: False}).where(Agent.user == user_id)
        skipped.append(user_id)
    return None

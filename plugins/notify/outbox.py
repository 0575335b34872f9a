"""The outbox: notices written as rows in the transaction of the change that asks for them.

Everything here runs inside the caller's transaction (``core.notifications.send`` is called in it), so it goes
through Piccolo (``Table.raw``), which joins the task's current transaction; nothing here does network I/O.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any

from core import clock
from core.errors import ConfigError
from core.hooks import plugin_settings
from core.notifications import Notice
from core.settings import get_settings
from plugins.notify import NotifySettings, sql
from plugins.notify.kinds import VERIFICATION, declared
from plugins.notify.tables import Notification

log = logging.getLogger("plugins.notify")


async def _run(query: str, *args: Any) -> list[dict[str, Any]]:
    """Run SQL (``{}`` placeholders) in the current transaction when there is one."""
    rows: list[dict[str, Any]] = await Notification.raw(query, *args)
    return rows


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable in a notice's context: {type(value).__name__}")


async def request(notice: Notice) -> int:
    """Write ``notice`` (one row per recipient, or one per reminder offset); returns how many rows were written.

    A notice with a ``key`` first cancels the recipients' pending rows with that key (the new one replaces them).
    """
    if notice.kind not in declared():
        raise ConfigError(f"notification kind {notice.kind!r} is not declared by any enabled plugin")
    user_ids = sorted(set(notice.user_ids))
    now = clock.now()
    if notice.key:
        await _run(sql.REPLACE, now, notice.key, user_ids)
    payload = json.dumps(dict(notice.context), default=_json_default)
    common = (notice.kind, notice.subject, payload, notice.urgent, notice.urgent_if_today)
    if notice.remind_before is not None:
        moment = notice.remind_before
        expires = min(moment, notice.expires_at) if notice.expires_at else moment  # never after the moment
        offsets = list(plugin_settings(NotifySettings).reminder_offsets_min)
        rows = await _run(sql.ADD_REMINDERS, *common, moment, expires, notice.key, now, user_ids, offsets, moment, now)
    else:
        rows = await _run(sql.ADD, *common, notice.send_at or now, notice.expires_at, notice.key, now, user_ids)
    log.info("%d %s notification(s) queued for %d user(s)%s", len(rows), notice.kind, len(user_ids),
             f" ({notice.subject})" if notice.subject else "")
    return len(rows)


async def withdraw(key_prefix: str, user_ids: list[int] | None) -> int:
    """Cancel pending notifications keyed ``key_prefix`` or ``key_prefix:…`` (of ``user_ids``, or everyone's)."""
    if not key_prefix or key_prefix.endswith(":"):
        # An empty prefix would cancel everything; a trailing ``:`` would match nothing (segments are whole).
        raise ValueError(f"withdraw needs a key prefix of whole segments, not {key_prefix!r}")
    rows = await _run(sql.WITHDRAW, clock.now(), key_prefix, key_prefix, user_ids, user_ids)
    if rows:
        log.info("%d notification(s) withdrawn (%s[:…])", len(rows), key_prefix)
    return len(rows)


async def on_send_verification(user_id: int, channel: str, destination: str, code: str, purpose: str) -> None:
    """Queue a verification code (notify's own kind, critical: it breaks quiet hours and cannot be switched off)."""
    ttl_minutes = max(1, round(get_settings().auth.code_ttl_s / 60))
    await request(Notice(VERIFICATION.name, user_ids=(user_id,), urgent=True, context={
        "channel": channel, "destination": destination, "code": code, "purpose": purpose,
        "ttl_minutes": ttl_minutes}))

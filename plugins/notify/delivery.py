"""The delivery actor (decide, render, send, record) and the code it runs; the dispatcher feeds it.

Exactly-once per channel rests on PostgreSQL, never on the broker:

* the dispatcher claims due rows with ``FOR UPDATE SKIP LOCKED`` and a lease (two dispatchers never take one row);
  a row whose lease ran out (worker killed, message lost in a Redis restart) is claimed again;
* the actor moves rows ``queued → sending`` in one UPDATE (a duplicate message finds nothing to claim);
* before a provider call the ``(notification, channel)`` delivery row is taken atomically, and a channel already
  ``sent`` is never called again; after the call the outcome is recorded with the attempt in one statement.

The actor works on a chunk of rows with a handful of set-based statements (not a few queries per notification):
one worker process then delivers hundreds of emails a second.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from typing import Any

from core import clock, db
from core.hooks import plugin_settings
from core.jobs import job
from core.notifications import NotificationKind
from plugins.notify import NotifySettings, sql
from plugins.notify.channels.base import Device, Message, describe
from plugins.notify.channels.registry import channels
from plugins.notify.contacts import Contact, contacts_of
from plugins.notify.kinds import VERIFICATION, channel_order, declared
from plugins.notify.prefs import UserPrefs, load_prefs, quiet_until
from plugins.notify.render import Rendered, pick_language, render, render_shared, zone
from plugins.notify.sending import Work, through_chains, to_json
from plugins.notify.tables import DeviceToken

log = logging.getLogger("plugins.notify")

Renders = dict[tuple[Any, ...], Callable[[str], Rendered] | None]  # a chunk's shared renderings (see prepare)

UNDECLARED_RETRY = timedelta(hours=1)
"""How long a row of an undeclared kind waits before it is looked at again (its plugin may be re-enabled)."""
UNDECLARED = "kind not declared (its plugin is disabled?): deferred"


def backoff(attempts: int) -> timedelta:
    """Exponential backoff: base * 2^(n-1), capped."""
    s = plugin_settings(NotifySettings)
    return timedelta(seconds=min(s.backoff_max_s, s.backoff_base_s * 2 ** max(0, attempts - 1)))


def chain_for(kind: NotificationKind, prefs: UserPrefs) -> list[str]:
    """The channels to try for ``kind``, in fallback order, filtered by the platform's channels and the user."""
    s = plugin_settings(NotifySettings)
    order = channel_order(kind)
    if "log" in s.channels and "log" not in order:
        order.append("log")
    return [c for c in order if c in s.channels and prefs.allows(kind, c)]


def is_urgent(row: dict[str, Any], kind: NotificationKind, tz_name: str, now: datetime,
              quiet_end: datetime | None) -> bool:
    """Urgent notifications ignore quiet hours: critical kinds, urgent notices, and those whose moment is today."""
    if row["urgent"] or kind.critical:
        return True
    moment: datetime | None = row["urgent_if_today"]
    if moment is None:
        return False
    tz = zone(tz_name)
    return moment.astimezone(tz).date() <= now.astimezone(tz).date() or (quiet_end is not None and moment <= quiet_end)


@job("notify.deliver", max_retries=3, min_backoff=2000)
async def deliver_job(ids: list[int]) -> None:
    """Deliver a chunk of notifications (idempotent: a duplicate message finds nothing left to claim)."""
    await deliver(ids)


async def deliver(ids: list[int]) -> int:
    """Deliver the notifications ``ids`` (the actor's body); returns how many this run finished as sent."""
    s = plugin_settings(NotifySettings)
    rows = await db.fetch(sql.TAKE, ids, clock.now() + timedelta(seconds=s.lease_s))
    if not rows:
        return 0
    user_ids = sorted({r["user_id"] for r in rows})
    prefs = await load_prefs(user_ids)
    contacts = await contacts_of(user_ids, s.default_language, s.default_timezone)
    devices: dict[int, list[Device]] = {}
    if "push" in s.channels:
        for d in await DeviceToken.select(DeviceToken.user_id, DeviceToken.platform, DeviceToken.token).where(
                DeviceToken.user_id.is_in(user_ids)).order_by(DeviceToken.id):
            devices.setdefault(d["user_id"], []).append(Device(d["platform"], d["token"]))
    work = [Work(r) for r in sorted(rows, key=lambda r: r["id"])]
    parsed: dict[str, Any] = {}
    for w in work:  # one event's reminders share their payload: parse each text once per chunk (read-only after)
        text = w.row["payload"]
        if isinstance(text, str):
            try:
                w.row["payload"] = parsed[text] if text in parsed else parsed.setdefault(text, json.loads(text))
            except ValueError:
                pass  # left as text: prepare() fails on it and the row is retried, as before
    kinds = declared()
    renders: Renders = {}
    for w in work:
        try:
            prepare(w, kinds.get(w.row["kind"]), contacts.get(w.row["user_id"]), prefs[w.row["user_id"]],
                    devices.get(w.row["user_id"], []), renders)
        except Exception as exc:  # a template or payload bug: retry later, never lose the row
            log.exception("notification %s: cannot be prepared", w.row["id"])
            _retry_or_fail(w, describe(exc))
    _log_undeclared(work)
    now = clock.now()
    inbox = [{"user_id": w.row["user_id"], "nid": w.row["id"], "kind": w.row["kind"], "title": w.inbox[0],
              "body": w.inbox[1], "data": w.inbox[2]} for w in work if w.inbox and not w.status]
    if inbox:
        await db.fetch(sql.INBOX_MANY, to_json(inbox), now)
    async with AsyncExitStack() as stack:  # a channel's batch: the email channel's one SMTP connection per chunk
        for channel in channels().values():
            batch = getattr(channel, "batch", None)
            if batch is not None:
                await stack.enter_async_context(batch())
        await through_chains([w for w in work if not w.status])
    for w in work:
        if not w.status:
            _conclude(w)
    logs = [_log_row(w, *entry) for w in work for entry in w.logs]
    if logs:
        await db.fetch(sql.LOG_MANY, to_json(logs), clock.now())
    done = [w.outcome() for w in work if w.status != "sending"]
    await db.fetch(sql.FINISH, to_json(done), clock.now())
    _log_chunk(work)
    return sum(1 for w in work if w.status == "sent")


def _log_chunk(work: list[Work]) -> None:
    """One line per chunk, not per email (a log record per message cost as much as building the email).

    Each notification's own story is in the delivery log (``notify.attempt``).
    """
    if not log.isEnabledFor(logging.INFO):
        return
    outcomes = Counter(f"{w.status} by {w.sent_by}" if w.sent_by else w.status for w in work)
    log.info("notifications %s..%s: %s", work[0].row["id"], work[-1].row["id"],
             ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())))


def _log_undeclared(work: list[Work]) -> None:
    """One warning per chunk for the rows deferred because their kind is not declared (each row says it too)."""
    undeclared = Counter(w.row["kind"] for w in work if w.error == UNDECLARED)
    if undeclared:
        log.warning("notifications of undeclared kinds deferred by %s (is their plugin disabled?): %s",
                    UNDECLARED_RETRY, ", ".join(f"{n} {kind}" for kind, n in sorted(undeclared.items())))


def _log_row(w: Work, channel: str, status: str, error: str) -> dict[str, Any]:
    return {"nid": w.row["id"], "user_id": w.row["user_id"], "kind": w.row["kind"], "channel": channel,
            "status": status, "error": error[:1000]}


def _retry_or_fail(w: Work, error: str) -> None:
    if w.row["attempts"] >= plugin_settings(NotifySettings).max_attempts:
        w.end("failed", error)
    else:
        w.end("pending", error, due_at=clock.now() + backoff(w.row["attempts"]))


def prepare(w: Work, kind: NotificationKind | None, contact: Contact | None, prefs: UserPrefs,
            devices: list[Device], renders: Renders | None = None) -> None:
    """Decide (too late, quiet hours, no such user) or render the message and pick the channels; no I/O.

    ``renders``: the chunk's shared renderings (see :func:`render_shared`), by kind, payload object, language,
    timezone and offset; the payload objects must outlive it (the chunk's rows hold them).
    """
    s = plugin_settings(NotifySettings)
    now = clock.now()
    row = w.row
    payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"] or "{}")
    expires: datetime | None = row["expires_at"]
    reminder = row["offset_min"] is not None
    grace_end = row["due_at"] + timedelta(minutes=s.reminder_grace_min)
    if reminder and (now > grace_end or (expires and now >= expires)):
        w.logs.append(("-", "skipped", "too late: the moment of this reminder has passed"))
        return w.end("cancelled", "too late")
    if expires is not None and now >= expires:
        w.logs.append(("-", "skipped", "expired before it could be sent"))
        return w.end("cancelled", "expired")
    if kind is None:  # its plugin disabled for a while (a deploy, a mistake): keep the row until it is too late
        if reminder:  # the grace counts from the reminder's moment, not from the deferral: it becomes its expiry
            w.expires_at = min(expires, grace_end) if expires else grace_end
        return w.end("pending", UNDECLARED, due_at=now + UNDECLARED_RETRY, refund=1)
    if contact is None:
        w.logs.append(("-", "skipped", "no such user"))
        return w.end("cancelled", "no such user")
    tz_name = prefs.timezone or contact.timezone or s.default_timezone
    quiet_end = quiet_until(now, prefs, tz_name)
    urgent = is_urgent(row, kind, tz_name, now, quiet_end)
    if quiet_end is not None and not urgent:
        if expires is not None and quiet_end >= expires:
            w.logs.append(("-", "skipped", "quiet hours last until it expires"))
            return w.end("cancelled", "quiet hours")
        w.logs.append(("-", "deferred", f"quiet hours until {quiet_end.isoformat()}"))
        return w.end("pending", "", due_at=quiet_end, refund=1)  # waiting is not an attempt
    language = pick_language(contact.language, s.default_language)
    if renders is None:
        text = render(kind, payload, language, contact.display_name, tz_name, row["offset_min"])
    else:  # a chunk of one event's reminders: one rendering per language and timezone, the name filled in
        key = (kind.name, id(payload), language, tz_name, row["offset_min"])
        fill = renders[key] if key in renders else renders.setdefault(
            key, render_shared(kind, payload, language, tz_name, row["offset_min"]))
        text = fill(contact.display_name) if fill is not None else render(
            kind, payload, language, contact.display_name, tz_name, row["offset_min"])
    email, phone = contact.email, contact.phone
    verification = kind.name == VERIFICATION.name
    if verification:  # the code goes where auth says, not to the account's address
        email = payload["destination"] if payload.get("channel") == "email" else None
        phone = payload["destination"] if payload.get("channel") == "sms" else None
    data = {"subject": row["subject"]} if row["subject"] else {}
    if verification:  # the log channel writes the code the way docs/auth.md shows it (local development)
        data.update(code=str(payload.get("code", "")), purpose=str(payload.get("purpose", "")),
                    channel=str(payload.get("channel", "")))
    w.message = Message(
        notification_id=row["id"], idempotency_key=f"n{row['id']}:", kind=kind.name, user_id=row["user_id"],
        language=language, subject=text.subject, short=text.short, text=text.text, html=text.html, data=data,
        urgent=urgent, display_name=contact.display_name, email=email, phone=phone, devices=tuple(devices))
    if kind.inbox and prefs.allows(kind, "inbox"):
        w.inbox = (text.subject[:300], text.short, data)
    if verification:
        # With the log channel on (development) the code is logged too.
        w.chain = [c for c in (payload.get("channel", "email"), "log") if c in s.channels]
    else:
        w.chain = chain_for(kind, prefs)


def _conclude(w: Work) -> None:
    """The notification's status once its channels are exhausted without a success."""
    error = "; ".join(w.errors)
    if w.transient:
        return _retry_or_fail(w, error)
    if not w.errors:
        if w.inbox:
            return w.end("sent")  # the user chose the in-app inbox only
        # Every channel switched off by the user, or no address or device for the remaining ones.
        w.logs.append(("-", "skipped", "no channel"))
        return w.end("cancelled", "no channel: preferences, or no address or device")
    w.end("failed", error)

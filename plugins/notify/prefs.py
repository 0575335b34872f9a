"""Preferences: per kind and channel on/off, quiet hours, timezone, reminder offsets, and push device tokens."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from core import clock, i18n
from core.errors import NotFound, ValidationFailed
from core.hooks import plugin_settings
from core.notifications import NotificationKind
from plugins.notify import NotifySettings
from plugins.notify.kinds import channel_order, declared
from plugins.notify.render import zone
from plugins.notify.tables import DeviceToken, InboxItem, Notification, Preference, UserOptions

log = logging.getLogger("plugins.notify")

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
USER_CHANNELS = ("inbox", "push", "sms", "email")
PLATFORMS = ("fcm", "apns")


@dataclass
class UserPrefs:
    """Everything delivery needs to know about one user's wishes."""

    quiet_start: str = ""
    quiet_end: str = ""
    timezone: str = ""
    reminder_offsets: list[int] | None = None
    disabled: set[tuple[str, str]] = field(default_factory=set)

    def allows(self, kind: NotificationKind, channel: str) -> bool:
        """Whether the user lets ``kind`` reach them on ``channel`` (critical kinds cannot be switched off)."""
        return kind.critical or (kind.name, channel) not in self.disabled


async def load_prefs(user_ids: list[int]) -> dict[int, UserPrefs]:
    """Preferences of many users in two queries (delivery works in chunks)."""
    out = {uid: UserPrefs() for uid in user_ids}
    if not user_ids:
        return out
    for r in await UserOptions.select(UserOptions.user_id, UserOptions.quiet_start, UserOptions.quiet_end,
                                      UserOptions.timezone, UserOptions.reminder_offsets).where(
            UserOptions.user_id.is_in(user_ids)):
        p = out[r["user_id"]]
        p.quiet_start, p.quiet_end, p.timezone = r["quiet_start"], r["quiet_end"], r["timezone"]
        p.reminder_offsets = r["reminder_offsets"]
    for r in await Preference.select(Preference.user_id, Preference.kind, Preference.channel).where(
            Preference.user_id.is_in(user_ids), Preference.enabled == False):  # noqa: E712
        out[r["user_id"]].disabled.add((r["kind"], r["channel"]))
    return out


def quiet_until(now: datetime, prefs: UserPrefs, tz_name: str) -> datetime | None:
    """When the user's quiet hours end, if ``now`` falls inside them (local time; spans midnight when start > end)."""
    if not (prefs.quiet_start and prefs.quiet_end) or prefs.quiet_start == prefs.quiet_end:
        return None
    tz = zone(tz_name)
    local = now.astimezone(tz)
    start, end = time.fromisoformat(prefs.quiet_start), time.fromisoformat(prefs.quiet_end)
    t = local.time().replace(tzinfo=None)
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date() if (start < end or t < end) else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=tz).astimezone(now.tzinfo)


# ---------------------------------------------------------------------------------------------------------------------
# The user's own settings (API)
# ---------------------------------------------------------------------------------------------------------------------


def _switchable() -> dict[str, NotificationKind]:
    """The kinds users may switch on and off (every declared kind but the critical ones)."""
    return {name: k for name, k in sorted(declared().items()) if not k.critical}


async def get_preferences(user_id: int) -> dict[str, Any]:
    """The user's notification settings, with every kind and channel listed (absent rows mean on)."""
    opts = await UserOptions.select().where(UserOptions.user_id == user_id).first()
    disabled = {(r["kind"], r["channel"]) for r in await Preference.select(Preference.kind, Preference.channel).where(
        (Preference.user_id == user_id) & (Preference.enabled == False))}  # noqa: E712
    return {
        "quiet_start": opts["quiet_start"] if opts else "",
        "quiet_end": opts["quiet_end"] if opts else "",
        "timezone": opts["timezone"] if opts else "",
        "reminder_offsets_min": (opts["reminder_offsets"] if opts and opts["reminder_offsets"] is not None
                                 else list(plugin_settings(NotifySettings).reminder_offsets_min)),
        "custom_offsets": bool(opts and opts["reminder_offsets"] is not None),
        "channels": {k: {c: (k, c) not in disabled for c in USER_CHANNELS} for k in _switchable()},
        "kinds": [{"name": k.name, "label": i18n.gettext(k.label), "description": i18n.gettext(k.description),
                   "critical": k.critical}
                  for _n, k in sorted(declared().items())],
        "fallback": {name: channel_order(k) for name, k in sorted(declared().items())},
    }


def _validate(changes: dict[str, Any]) -> list[dict[str, str]]:
    errors = []
    for key in ("quiet_start", "quiet_end"):
        v = changes.get(key)
        if v is not None and v != "" and not HHMM.match(v):
            errors.append({"pointer": f"/{key}", "detail": "HH:MM (24 h) or empty"})
    if changes.get("timezone"):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(changes["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            errors.append({"pointer": "/timezone", "detail": "an IANA timezone such as Europe/Berlin"})
    offsets = changes.get("reminder_offsets_min")
    if offsets is not None and (len(offsets) > 10 or any(not 5 <= o <= 60 * 24 * 14 for o in offsets)):
        errors.append({"pointer": "/reminder_offsets_min", "detail": "at most 10 offsets, each 5 min to 14 days"})
    switchable = _switchable()
    for i, item in enumerate(changes.get("channels") or []):
        if item.get("kind") not in switchable:
            errors.append({"pointer": f"/channels/{i}/kind", "detail": f"one of {', '.join(switchable)}"})
        if item.get("channel") not in USER_CHANNELS:
            errors.append({"pointer": f"/channels/{i}/channel", "detail": f"one of {', '.join(USER_CHANNELS)}"})
    return errors


async def update_preferences(user_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change some settings; ``reminder_offsets_min: []`` means no reminders, ``null`` the platform default."""
    errors = _validate(changes)
    if errors:
        raise ValidationFailed(errors=errors)
    if {"quiet_start", "quiet_end"} & set(changes) and bool(changes.get("quiet_start")) != bool(
            changes.get("quiet_end")):
        raise ValidationFailed(errors=[{"pointer": "/quiet_end", "detail": "give both quiet_start and quiet_end"}])
    option_keys = {"quiet_start", "quiet_end", "timezone", "reminder_offsets_min"} & set(changes)
    if option_keys:
        values: dict[str, Any] = {k: changes[k] for k in option_keys - {"reminder_offsets_min"}}
        if "reminder_offsets_min" in changes:
            offs = changes["reminder_offsets_min"]
            values["reminder_offsets"] = sorted(set(offs), reverse=True) if offs is not None else None
        existing = await UserOptions.select(UserOptions.id).where(UserOptions.user_id == user_id).first()
        if existing:
            await UserOptions.update({**{getattr(UserOptions, k): v for k, v in values.items()},
                                      UserOptions.updated_at: clock.now()}).where(UserOptions.id == existing["id"])
        else:
            await UserOptions.insert(UserOptions(user_id=user_id, updated_at=clock.now(), **values))
    for item in changes.get("channels") or []:
        key = f"{user_id}:{item['kind']}:{item['channel']}"
        await Preference.insert(Preference(user_id=user_id, key=key, kind=item["kind"], channel=item["channel"],
                                           enabled=bool(item.get("enabled", True)))).on_conflict(
            target=Preference.key, action="DO UPDATE", values=[Preference.enabled])
    log.info("user %s changed notification preferences: %s", user_id, sorted(changes))
    return await get_preferences(user_id)


# ---------------------------------------------------------------------------------------------------------------------
# Device tokens
# ---------------------------------------------------------------------------------------------------------------------


async def register_device(user_id: int, platform: str, token: str, previous_token: str | None = None) -> dict[str, Any]:
    """Register a push token, or refresh one (``previous_token``: the token it replaces).

    A token moves to the latest user who registers it (a shared or resold phone).
    """
    errors = []
    if platform not in PLATFORMS:
        errors.append({"pointer": "/platform", "detail": "fcm or apns"})
    if not token or len(token) > 512 or not token.isprintable() or " " in token:
        errors.append({"pointer": "/token", "detail": "1 to 512 printable characters, no spaces"})
    if errors:
        raise ValidationFailed(errors=errors)
    now = clock.now()
    if previous_token:
        await DeviceToken.delete().where((DeviceToken.token == previous_token) & (DeviceToken.user_id == user_id))
    # A known token moves to this user and platform; its ``created_at`` stays.
    rows = await DeviceToken.insert(DeviceToken(user_id=user_id, platform=platform, token=token, created_at=now,
                                                refreshed_at=now)).on_conflict(
        target=DeviceToken.token, action="DO UPDATE",
        values=[DeviceToken.user_id, DeviceToken.platform, DeviceToken.refreshed_at]).returning(
        DeviceToken.id, DeviceToken.platform, DeviceToken.token, DeviceToken.created_at, DeviceToken.refreshed_at)
    log.info("user %s registered a %s device token (id %s)", user_id, platform, rows[0]["id"])
    return dict(rows[0])


async def list_devices(user_id: int) -> list[dict[str, Any]]:
    """The user's registered devices."""
    return await DeviceToken.select(DeviceToken.id, DeviceToken.platform, DeviceToken.token, DeviceToken.created_at,
                                    DeviceToken.refreshed_at).where(DeviceToken.user_id == user_id).order_by(
        DeviceToken.id)


async def remove_device(user_id: int, device_id: int) -> None:
    """Remove one of the user's devices (someone else's id is reported as not found)."""
    rows = await DeviceToken.delete().where((DeviceToken.id == device_id) & (DeviceToken.user_id == user_id)).returning(
        DeviceToken.id)
    if not rows:
        raise NotFound("no such device", code="device_not_found")
    log.info("user %s removed device %s", user_id, device_id)


async def remove_invalid_tokens(tokens: list[str]) -> int:
    """Drop tokens a push provider reported as invalid; returns how many were removed."""
    if not tokens:
        return 0
    rows = await DeviceToken.delete().where(DeviceToken.token.is_in(tokens)).returning(DeviceToken.user_id)
    for r in rows:
        log.info("removed an invalid push token of user %s", r["user_id"])
    return len(rows)


# ---------------------------------------------------------------------------------------------------------------------
# The user's data: export and erasure (core's account hooks)
# ---------------------------------------------------------------------------------------------------------------------


async def export_user(user_id: int) -> dict[str, Any]:
    """What notify holds about a user, for their data export (JSON-ready)."""
    prefs = await get_preferences(user_id)
    devices = [{"platform": d["platform"], "registered_at": d["created_at"].isoformat()}
               for d in await list_devices(user_id)]
    items = await InboxItem.select(InboxItem.kind, InboxItem.title, InboxItem.body, InboxItem.created_at,
                                   InboxItem.read_at).where(InboxItem.user_id == user_id).order_by(InboxItem.id)
    inbox = [{"kind": r["kind"], "title": r["title"], "body": r["body"], "created_at": r["created_at"].isoformat(),
              "read_at": r["read_at"].isoformat() if r["read_at"] else None} for r in items]
    return {"notify": {"preferences": prefs, "devices": devices, "inbox": inbox}}


async def erase_user(user_id: int) -> None:
    """Delete a leaving user's notifications, inbox, devices and settings (inside the deletion's transaction)."""
    for table in (DeviceToken, Preference, UserOptions, InboxItem, Notification):
        # Deliveries and the log go with their notifications (ON DELETE CASCADE).
        await table.delete().where(table.user_id == user_id)
    log.info("notify data of user %s erased", user_id)

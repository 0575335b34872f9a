"""HTTP routes of notify: ``/api/v1/notify/…`` — inbox, preferences, devices and the caller's delivery log."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from core.auth.guards import Principal
from core.http.params import Limit, RowIdFilter
from core.pagination import Page
from plugins.notify import inbox, prefs, scheduled
from plugins.notify.schemas import (
    DeliveryRead,
    DeviceCreate,
    DeviceRead,
    InboxItemRead,
    PreferencesRead,
    PreferencesUpdate,
    ScheduledRead,
    UnreadCountRead,
)


class InboxController(Controller):
    """The in-app inbox of the signed-in user."""

    path = "/notify/inbox"

    @get("/", operation_id="list_inbox_items")
    async def list_inbox_items(self, principal: NamedDependency[Principal], cursor: FromQuery[str | None] = None,
                               limit: Limit = 20, unread: FromQuery[bool] = False) -> Page[InboxItemRead]:
        """Newest first; ``?unread=true`` lists only unread items."""
        rows, next_cursor = await inbox.list_inbox(principal.user_id, cursor, limit, unread)
        return Page(items=msgspec.convert(rows, list[InboxItemRead]), next_cursor=next_cursor)

    @get("/unread-count", operation_id="get_inbox_unread_count")
    async def get_inbox_unread_count(self, principal: NamedDependency[Principal]) -> UnreadCountRead:
        """The badge number."""
        return UnreadCountRead(unread=await inbox.unread_count(principal.user_id))

    @post("/{item_id:int}/read", operation_id="update_inbox_item_read", status_code=HTTP_204_NO_CONTENT)
    async def update_inbox_item_read(self, principal: NamedDependency[Principal], item_id: FromPath[int]) -> None:
        """Mark one item read."""
        await inbox.mark_read(principal.user_id, item_id)

    @post("/read-all", operation_id="update_inbox_read_all", status_code=HTTP_200_OK)
    async def update_inbox_read_all(self, principal: NamedDependency[Principal]) -> UnreadCountRead:
        """Mark everything read; returns the new unread count (0)."""
        await inbox.mark_all_read(principal.user_id)
        return UnreadCountRead(unread=0)


class ScheduledController(Controller):
    """Notifications waiting to go out to the signed-in user (the reminders before events I joined…)."""

    path = "/notify/scheduled"

    @get("/", operation_id="list_scheduled_notifications")
    async def list_scheduled_notifications(self, principal: NamedDependency[Principal],
                                           cursor: FromQuery[str | None] = None,
                                           limit: Limit = 50) -> Page[ScheduledRead]:
        """Soonest first: "you will be reminded at …"."""
        return await scheduled.list_scheduled(principal.user_id, cursor, limit)

    @delete("/{notification_id:int}", operation_id="delete_scheduled_notification")
    async def delete_scheduled_notification(self, principal: NamedDependency[Principal],
                                            notification_id: FromPath[int]) -> None:
        """Turn off one waiting notification (the others, and the kind, stay on)."""
        await scheduled.cancel(principal.user_id, notification_id)


class PreferencesController(Controller):
    """The signed-in user's notification settings."""

    path = "/notify/preferences"

    @get("/", operation_id="get_notify_preferences")
    async def get_notify_preferences(self, principal: NamedDependency[Principal]) -> PreferencesRead:
        """Channels per kind, quiet hours, timezone and reminder offsets."""
        return msgspec.convert(await prefs.get_preferences(principal.user_id), PreferencesRead)

    @patch("/", operation_id="update_notify_preferences")
    async def update_notify_preferences(self, principal: NamedDependency[Principal],
                                        data: JSONBody[PreferencesUpdate]) -> PreferencesRead:
        """Change some settings; omitted fields stay as they are."""
        changes = {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not msgspec.UNSET}
        if "channels" in changes:
            changes["channels"] = msgspec.to_builtins(changes["channels"])
        return msgspec.convert(await prefs.update_preferences(principal.user_id, changes), PreferencesRead)


class DeviceController(Controller):
    """Push tokens of the signed-in user's devices."""

    path = "/notify/devices"

    @get("/", operation_id="list_devices")
    async def list_devices(self, principal: NamedDependency[Principal]) -> list[DeviceRead]:
        """Registered devices."""
        return msgspec.convert(await prefs.list_devices(principal.user_id), list[DeviceRead])

    @post("/", operation_id="create_device")
    async def create_device(self, principal: NamedDependency[Principal], data: JSONBody[DeviceCreate]) -> DeviceRead:
        """Register (or refresh, with ``previous_token``) a push token; registering a known token is idempotent."""
        row = await prefs.register_device(principal.user_id, data.platform, data.token, data.previous_token)
        return msgspec.convert(row, DeviceRead)

    @delete("/{device_id:int}", operation_id="delete_device")
    async def delete_device(self, principal: NamedDependency[Principal], device_id: FromPath[int]) -> None:
        """Remove a device (sign-out on the phone)."""
        await prefs.remove_device(principal.user_id, device_id)


class DeliveryController(Controller):
    """The signed-in user's own delivery log."""

    path = "/notify/deliveries"

    @get("/", operation_id="list_deliveries")
    async def list_deliveries(self, principal: NamedDependency[Principal], cursor: FromQuery[str | None] = None,
                              limit: Limit = 50, notification_id: RowIdFilter = None) -> Page[DeliveryRead]:
        """Every attempt to reach the caller: channel, status, error, time; newest first."""
        rows, next_cursor = await inbox.delivery_log(user_id=principal.user_id, notification_id=notification_id,
                                                     cursor=cursor, limit=limit)
        return Page(items=msgspec.convert(rows, list[DeliveryRead]), next_cursor=next_cursor)

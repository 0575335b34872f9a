"""The notification kinds media sends (templates under ``templates/media/notifications/{en,ru}/``)."""

from __future__ import annotations

from core.notifications import NotificationKind

KINDS = [
    NotificationKind("media.rejected", label="My photo or video was rejected", channels=("push", "email")),
    NotificationKind("media.tag_requested", label="Someone tagged me in a photo", channels=("push",)),
]

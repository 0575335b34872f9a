"""The built-in roles and the permissions they start with (admins edit them afterwards)."""

from __future__ import annotations

BUILTIN_ROLES: dict[str, tuple[str, list[str]]] = {
    "user": ("Every registered person", []),
    "organiser": ("Creates events and sees who joins", ["events.create"]),
    "moderator": ("Moderates events, media and reviews", ["admin.access", "events.moderate", "users.view"]),
    "support": ("Answers support tickets; sees users", ["admin.access", "users.view", "notify.view"]),
    "admin": ("Everything", ["*"]),
}

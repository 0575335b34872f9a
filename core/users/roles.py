"""The built-in roles and the permissions they start with (admins edit them afterwards).

A permission of a plugin that is not enabled is kept and simply grants nothing.
"""

from __future__ import annotations

BUILTIN_ROLES: dict[str, tuple[str, list[str]]] = {
    "user": ("Every registered person", []),
    "organiser": ("Creates events and sees who joins", ["events.create"]),
    "moderator": ("Moderates events, groups, media and reviews", ["admin.access", "events.moderate", "groups.moderate",
                                                                  "media.moderate", "reviews.moderate", "users.view",
                                                                  "reports.moderate"]),
    "support": ("Answers support tickets; sees users", ["admin.access", "users.view", "notify.view",
                                                        "support.answer"]),
    "admin": ("Everything", ["*"]),
}

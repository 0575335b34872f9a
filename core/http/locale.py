"""The language of each API request: ``Accept-Language`` negotiated against ``core.i18n.LANGUAGES``.

Without the header the request stays in the default language until the caller is known: ``core.auth`` then switches
to the signed-in user's ``language`` (``core.i18n.locale_chosen()`` tells the two cases apart).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from core import i18n

ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


def accept_language(scope: Any) -> str | None:
    """The raw ``Accept-Language`` header of an ASGI scope, or None."""
    for key, value in scope.get("headers", []):
        if key == b"accept-language":
            return str(value.decode("latin-1"))
    return None


def locale_middleware(app: ASGIApp) -> ASGIApp:
    """Set ``core.i18n``'s current locale for the request (HTTP and WebSocket), reset it afterwards."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        language = i18n.negotiate(accept_language(scope))
        with i18n.use_locale(language, chosen=language is not None):
            await app(scope, receive, send)

    return middleware

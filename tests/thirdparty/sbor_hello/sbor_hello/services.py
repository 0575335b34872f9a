"""The hello plugin's rules: plain async functions over Piccolo, no Litestar."""

from __future__ import annotations

from typing import Any

from core import clock, hooks
from core.errors import ValidationFailed
from core.hooks import plugin_settings
from sbor_hello import HelloSettings, hookspecs
from sbor_hello.tables import Greeting


async def greet(name: str) -> dict[str, Any]:
    """Store a greeting for ``name`` and tell other plugins about it."""
    settings = plugin_settings(HelloSettings)
    if not name.strip() or len(name) > settings.max_length:
        raise ValidationFailed(errors=[{"pointer": "/name", "detail": f"1 to {settings.max_length} characters"}])
    row = Greeting(name=name, message=f"{settings.greeting}, {name}!", created_at=clock.now())
    await row.save()
    await hooks.notify(hookspecs.greeting_made, name=name, message=row.message)
    return {"id": row.id, "name": row.name, "message": row.message, "created_at": row.created_at}


async def list_greetings(limit: int = 20) -> list[dict[str, Any]]:
    """Return the latest greetings."""
    rows: list[dict[str, Any]] = await Greeting.select().order_by(Greeting.id, ascending=False).limit(limit)
    return rows

"""Request and response shapes of the hello API: msgspec Structs, field rules as constraints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

# Field rules live here: a bad body is 422 `validation_failed` listing every failing field by JSON pointer (missing
# ones included) before any code runs. services.py keeps only the rule that depends on the operator's settings.
WALL_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=80, pattern=r"\S", description="Who is greeted.")]
Wall = Annotated[str, msgspec.Meta(pattern=WALL_PATTERN, description="Where the greeting is left (its room).")]
UserId = Annotated[int, msgspec.Meta(ge=1, description="A registered user to notify; 404 if unknown or hidden.")]


class GreetingCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new greeting."""

    name: Name
    wall: Wall = "lobby"
    to_user_id: UserId | None = None


class GreetingRead(msgspec.Struct):
    """A stored greeting (also the data of its real-time message)."""

    id: int
    name: str
    message: str
    wall: str
    created_at: datetime

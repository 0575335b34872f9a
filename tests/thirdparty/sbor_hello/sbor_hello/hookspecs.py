"""Hooks the hello plugin offers to other plugins (loaded before any implementation: a misspelt one fails)."""

from __future__ import annotations

from core.hooks import hookspec
from core.hooks.policy import notification


@notification
@hookspec
def greeting_made(greeting_id: int, name: str, message: str, wall: str, author_id: int) -> None:
    """Called after a greeting is stored, inside the transaction that stores it.

    ``greeting_id``: the new row; ``name``: who was greeted; ``message``: the text; ``wall``: where it was left;
    ``author_id``: the signed-in user who left it. A failing implementation is logged and the greeting stands.
    Call it with ``await core.hooks.notify(hookspecs.greeting_made, greeting_id=..., ...)``: mypy checks the
    arguments against this signature.
    """

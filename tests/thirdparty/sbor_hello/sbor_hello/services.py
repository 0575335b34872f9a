"""The hello plugin's rules: plain async functions over Piccolo; no Litestar; errors from ``core.errors``."""

from __future__ import annotations

import logging
import re

from core import clock, hooks, notifications, realtime
from core.errors import NotFound, ValidationFailed
from core.hooks import plugin_settings
from core.notifications import Notice
from core.pagination import Page, decode_cursor, page_of
from core.users import services as users

from sbor_hello import HelloSettings, hookspecs
from sbor_hello.schemas import WALL_PATTERN, GreetingCreate, GreetingRead
from sbor_hello.tables import Greeting

log = logging.getLogger("plugins.hello")
SCOPE = "hello.greetings"  # a cursor of this list is refused by any other list (400 invalid_cursor)
WALL_ROOM = "hello.wall"  # the real-time room kind: `hello.wall:<wall>`
GREETED = "hello.greeted"  # the notification kind (templates: templates/hello/notifications/<lang>/greeted.txt)


def read(row: Greeting) -> GreetingRead:
    """The API shape of a row."""
    return GreetingRead(id=row.id, name=row.name, message=row.message, wall=row.wall, created_at=row.created_at)


def room(wall: str) -> str:
    """The real-time room of a wall."""
    return f"{WALL_ROOM}:{wall}"


async def may_join_wall(user_id: int, wall: str) -> bool:
    """Who may listen to a wall: every signed-in user (core checked the token), on any well-formed wall."""
    return re.fullmatch(WALL_PATTERN, wall) is not None


async def greet(author_id: int, data: GreetingCreate) -> GreetingRead:
    """Store a greeting; tell other plugins and the greeted user in its transaction, and the wall after the commit.

    Raises ``ValidationFailed`` (422) for a name longer than the ``max_length`` setting and ``NotFound`` (404
    ``user_not_found``) for a ``to_user_id`` that is unknown or hidden from the author.
    """
    settings = plugin_settings(HelloSettings)
    if len(data.name) > settings.max_length:  # a rule from the operator's settings: code, not a schema constraint
        raise ValidationFailed(errors=[{"pointer": "/name", "detail": f"At most {settings.max_length} characters"}])
    if data.to_user_id is not None and not await users.can_see(author_id, data.to_user_id, "profile"):
        raise NotFound("user not found", code="user_not_found")  # the same answer for unknown and hidden users
    # after_commit() outside the transaction: the room hears of the greeting only once it is committed.
    async with realtime.after_commit() as rt, Greeting._meta.db.transaction():
        row = Greeting(name=data.name, message=f"{settings.greeting}, {data.name}!", wall=data.wall,
                       created_at=clock.now())
        await row.save()
        # A typed hook call: mypy checks the arguments against the spec in hookspecs.py.
        await hooks.notify(hookspecs.greeting_made, greeting_id=row.id, name=row.name, message=row.message,
                           wall=row.wall, author_id=author_id)
        if data.to_user_id is not None:
            # Joins this transaction: notify's outbox row commits or rolls back with the greeting (no-op without it).
            author = await users.get_user(author_id)
            await notifications.send(Notice(GREETED, user_ids=[data.to_user_id], subject=f"hello.greeting:{row.id}",
                                            context={"author": author.display_name, "message": row.message}))
        greeting = read(row)
        rt.publish(room(row.wall), greeting)
    log.info("user %s greeted %r on wall %s (greeting %s)", author_id, data.name, data.wall, greeting.id)
    return greeting


async def list_greetings(cursor: str | None, limit: int) -> Page[GreetingRead]:
    """Greetings, newest first, one keyset page (``limit`` is 1..200, checked by the route)."""
    query = Greeting.objects()
    if cursor is not None:
        (before,) = decode_cursor(cursor, int, scope=SCOPE)  # 400 invalid_cursor when tampered or foreign
        query = query.where(Greeting.id < before)
    rows = await query.order_by(Greeting.id, ascending=False).limit(limit + 1)
    return page_of(rows, limit, key=lambda r: (r.id,), scope=SCOPE, item=read)

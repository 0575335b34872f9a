"""Notifications from any plugin: declare kinds, ask for a notice; the notify plugin delivers (when it is enabled).

A plugin never imports notify. It declares its kinds through ``register_notification_kinds`` and asks for a
notification with :func:`send` **inside its own transaction**: notify writes the outbox row in that transaction, so the
notification commits or rolls back with the change. When notify is disabled nothing implements the hooks: nothing is
sent and nothing fails::

    @hookimpl
    def register_notification_kinds() -> list[NotificationKind]:
        return [NotificationKind("hello.greeted", label=_("Someone greeted you"), channels=("push", "email"))]

    # services.py, inside the change's transaction
    await notifications.send(Notice("hello.greeted", user_ids=(friend_id,), context={"name": name}))

Templates live in the declaring plugin: ``templates/<plugin>/notifications/<language>/<kind>.txt`` (subject, short
text for push and SMS, plain text; Jinja2 blocks ``subject``, ``short``, ``body``) and optionally ``….html``. Notify
renders them in the recipient's language with the ``context`` given here plus ``name`` (the recipient's display
name), ``language``, ``timezone`` and, for reminders, ``offset_min``; its filters format moments in the recipient's
timezone (``{{ starts_at | when(timezone) }}``) and reminder offsets (``{{ offset_min | in_text }}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core import hooks
from core.errors import ConfigError
from core.hooks import hookspecs
from core.hooks.manager import Registry, current


@dataclass(frozen=True)
class NotificationKind:
    """A kind of notification a plugin sends, as users see it in their preferences.

    ``name`` is ``<plugin>.<kind>`` (the template file is ``<kind>``); ``label`` the text of the preference (an
    English gettext message id, translated by the plugin's catalogue); ``channels`` the default order of channels
    tried (a channel that rejects falls back to the next; the operator may override it per kind); ``critical`` kinds
    (codes, seat offers) may break quiet hours and cannot be switched off by users; a single notice may be urgent
    (``Notice.urgent``, ``urgent_if_today``) without its kind being critical.
    """

    name: str
    label: str
    channels: tuple[str, ...] = ("push", "email")
    critical: bool = False
    inbox: bool = True
    description: str = ""

    @property
    def plugin(self) -> str:
        """The declaring plugin (the part of the name before the dot)."""
        return self.name.partition(".")[0]

    @property
    def short_name(self) -> str:
        """The kind within its plugin (the template's file name)."""
        return self.name.partition(".")[2]


@dataclass(frozen=True)
class Notice:
    """A request for one notification to each of ``user_ids``.

    ``context`` must be JSON-serialisable (ISO strings for moments); it is copied into the outbox, so the notice says
    what was true when it was asked for. ``key`` makes the request idempotent and replaceable: a later notice with
    the same key replaces one not yet sent (per user), and :func:`withdraw` cancels by key prefix. A key is made of
    ``:``-separated segments, the plugin's name first (``"events.event:42:reminder"``); a prefix is whole segments
    (``"events.event:42"`` matches that key, never ``"events.event:420:reminder"``). ``send_at`` delays
    it; ``expires_at`` drops it when it could not be delivered in time; ``urgent`` lets this one notice break quiet
    hours; ``urgent_if_today`` (a moment: the start of a cancelled event) makes it urgent for each recipient to whom
    that moment is today in their timezone, or comes before their quiet hours end. ``remind_before``: instead of one
    notification now, schedule the recipient's reminders before that moment (their own offsets, else the
    platform's 24 h, 5 h and 1 h), each rendered with ``offset_min``; a reminder whose moment passed is never sent
    late. ``subject`` names what it is about (``"events.event:42"``) for the delivery log.
    """

    kind: str
    user_ids: Sequence[int]
    context: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None
    send_at: datetime | None = None
    expires_at: datetime | None = None
    urgent: bool = False
    urgent_if_today: datetime | None = None
    remind_before: datetime | None = None
    subject: str | None = None


async def send(notice: Notice) -> None:
    """Ask for a notification (in the caller's transaction); a no-op when no plugin delivers notifications."""
    if notice.user_ids:
        await hooks.call(hookspecs.notification_requested, notice=notice)


async def withdraw(key_prefix: str, user_ids: Sequence[int] | None = None) -> None:
    """Cancel notifications not yet sent keyed ``key_prefix`` or ``key_prefix:…`` (for ``user_ids``, or everyone).

    ``key_prefix`` is whole segments of a key, without a trailing ``:``: ``withdraw("events.event:4")`` cancels
    ``events.event:4`` and ``events.event:4:reminder``, not ``events.event:42:reminder``.
    """
    await hooks.call(hookspecs.notifications_withdrawn, key_prefix=key_prefix,
                     user_ids=list(user_ids) if user_ids is not None else None)


MAX_KIND_LENGTH = 80
"""The longest kind name: notify stores it in ``Varchar(80)`` columns."""

_SHORT_NAME = re.compile(r"[a-z][a-z0-9_]*")


def kinds(registry: Registry | None = None) -> dict[str, NotificationKind]:
    """Every notification kind the enabled plugins declare, by name.

    Raises ``ConfigError`` naming the plugin for a kind not named ``<plugin>.<kind>`` (lower case, ``_``), longer than
    :data:`MAX_KIND_LENGTH`, or declared twice (by one plugin or two): a second declaration never silently wins.
    """
    table: dict[str, NotificationKind] = {}
    for plugin, kind in (registry or current()).hooks.collect(hookspecs.register_notification_kinds):
        head, dot, short = kind.name.partition(".")
        if head != plugin or not dot or not _SHORT_NAME.fullmatch(short):
            raise ConfigError(f"plugin {plugin!r}: notification kind {kind.name!r} must be named '{plugin}.<kind>' "
                              "(lower case letters, digits and '_')")
        if len(kind.name) > MAX_KIND_LENGTH:
            raise ConfigError(f"plugin {plugin!r}: notification kind {kind.name!r} is longer than "
                              f"{MAX_KIND_LENGTH} characters")
        if kind.name in table:
            raise ConfigError(f"plugin {plugin!r}: notification kind {kind.name!r} is declared twice")
        table[kind.name] = kind
    return table

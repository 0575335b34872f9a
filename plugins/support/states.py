"""The ticket status machine: every allowed move, and who may make it, in one table."""

from __future__ import annotations

from core.errors import Conflict

NEW, OPEN, WAITING, RESOLVED, CLOSED = "new", "open", "waiting_for_user", "resolved", "closed"
STATUSES = (NEW, OPEN, WAITING, RESOLVED, CLOSED)
UNRESOLVED = (NEW, OPEN, WAITING)
"""The statuses whose tickets still run against their SLA."""

USER, AGENT, SYSTEM = "user", "agent", "system"

# (from, to) -> who may make the move. Anything else is refused with 409 ``illegal_status_move``.
MOVES: dict[tuple[str, str], frozenset[str]] = {
    (NEW, OPEN): frozenset({AGENT}),  # an agent takes it (assignment, or opened by hand)
    (NEW, WAITING): frozenset({AGENT}),  # the first answer asks the user something
    (OPEN, WAITING): frozenset({AGENT}),  # an agent's reply: the ball is in the user's court
    (WAITING, OPEN): frozenset({USER, AGENT}),  # the user answered (or an agent takes it back)
    (NEW, RESOLVED): frozenset({AGENT, USER}),  # answered at once, or the user withdrew it
    (OPEN, RESOLVED): frozenset({AGENT, USER}),
    (WAITING, RESOLVED): frozenset({AGENT, USER}),
    (RESOLVED, OPEN): frozenset({USER, AGENT}),  # the user replied to a resolved ticket: it reopens
    (RESOLVED, CLOSED): frozenset({SYSTEM, AGENT}),  # auto_close_days after resolution, or by hand
}
"""A closed ticket never moves again: a reply to it opens a new ticket linked to it."""


def check_move(current: str, target: str, role: str) -> None:
    """Raise Conflict (409) unless ``role`` may move a ticket from ``current`` to ``target``."""
    allowed = MOVES.get((current, target))
    if allowed is None or role not in allowed:
        raise Conflict("A ticket cannot go from %(current)s to %(target)s (by the %(role)s)",
                       params={"current": current, "target": target, "role": role}, code="illegal_status_move",
                       current_status=current, target_status=target)


def after_reply(current: str, role: str) -> str:
    """The status a public reply leaves a ticket in: an agent's waits for the user; a user's (re)opens it."""
    if role == AGENT:
        return WAITING if current in (NEW, OPEN) else current
    return OPEN if current in (WAITING, RESOLVED) else current

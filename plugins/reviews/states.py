"""The review status machine: every allowed move, and who may make it, in one table (anything else is 409)."""

from __future__ import annotations

from core.errors import Conflict

HELD, PUBLISHED, HIDDEN, REMOVED = "held", "published", "hidden", "removed"
STATUSES = (HELD, PUBLISHED, HIDDEN, REMOVED)

AUTHOR, MODERATOR, SYSTEM = "author", "moderator", "system"

# (from, to) -> who may make the move.
MOVES: dict[tuple[str, str], frozenset[str]] = {
    (HELD, PUBLISHED): frozenset({MODERATOR}),  # approve what screening held
    (HELD, HIDDEN): frozenset({MODERATOR}),  # hide, with a reason the author reads
    (HELD, REMOVED): frozenset({MODERATOR}),  # remove (spam, abuse): final
    (PUBLISHED, HELD): frozenset({SYSTEM}),  # an edit that screening holds
    (PUBLISHED, HIDDEN): frozenset({MODERATOR}),
    (PUBLISHED, REMOVED): frozenset({MODERATOR}),
    (HIDDEN, HELD): frozenset({AUTHOR}),  # the author fixed what the moderator named: checked again
    (HIDDEN, PUBLISHED): frozenset({MODERATOR}),  # a moderator restores it
    (HIDDEN, REMOVED): frozenset({MODERATOR}),
}

VISIBLE = PUBLISHED
"""The one status everyone sees (and the aggregates count)."""
EDITABLE = (HELD, PUBLISHED, HIDDEN)
"""Statuses in which the author may still edit (within the edit window)."""


def check_move(current: str, target: str, role: str) -> None:
    """Raise Conflict (409 ``illegal_status_move``) unless ``role`` may move a review from ``current`` to ``target``."""
    allowed = MOVES.get((current, target))
    if allowed is None or role not in allowed:
        raise Conflict("A review cannot go from %(current)s to %(target)s (by the %(role)s)",
                       params={"current": current, "target": target, "role": role}, code="illegal_status_move",
                       current_status=current, target_status=target)

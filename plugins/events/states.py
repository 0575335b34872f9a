"""The event status machine: every allowed move, and who may make it, in one table."""

from __future__ import annotations

from core.errors import Conflict

DRAFT, PENDING, PUBLISHED, REJECTED, CANCELLED, FINISHED, HIDDEN = (
    "draft", "pending_review", "published", "rejected", "cancelled", "finished", "hidden",
)
STATUSES = (DRAFT, PENDING, PUBLISHED, REJECTED, CANCELLED, FINISHED, HIDDEN)
HIDDEN_UNTIL_PUBLISHED = (DRAFT, PENDING, REJECTED)  # only the author (and moderators) know these exist
UNSEEN = (*HIDDEN_UNTIL_PUBLISHED, HIDDEN)  # 404 to all but the author and moderators (participants too)
HIDEABLE = (PUBLISHED, CANCELLED, FINISHED)  # what others see, so what reports may hide (and a dismissal restores)

AUTHOR, MODERATOR, SYSTEM = "author", "moderator", "system"

# (from, to) -> who may make the move. Anything else is refused with 409.
MOVES: dict[tuple[str, str], frozenset[str]] = {
    (DRAFT, PENDING): frozenset({AUTHOR}),  # submit
    (REJECTED, PENDING): frozenset({AUTHOR}),  # resubmit after fixing
    (PENDING, PUBLISHED): frozenset({MODERATOR, SYSTEM}),  # approve; a trusted organiser's submission (trust.py)
    (PENDING, REJECTED): frozenset({MODERATOR}),  # reject (reason required)
    (PUBLISHED, PENDING): frozenset({AUTHOR}),  # edited with remoderate_on_edit
    (PUBLISHED, CANCELLED): frozenset({AUTHOR, MODERATOR}),  # cancel (reason required)
    (PUBLISHED, FINISHED): frozenset({SYSTEM}),  # the periodic finisher, after the end
    # Hidden by reports (core.reports' threshold, or staff by hand): out of sight, nobody told, and back to exactly
    # where it was when the reports are dismissed (no second "published"); staff may also remove it from there.
    (PUBLISHED, HIDDEN): frozenset({SYSTEM}),
    (CANCELLED, HIDDEN): frozenset({SYSTEM}),
    (FINISHED, HIDDEN): frozenset({SYSTEM}),
    (HIDDEN, PUBLISHED): frozenset({SYSTEM}),
    (HIDDEN, CANCELLED): frozenset({SYSTEM, AUTHOR, MODERATOR}),  # restored; or cancelled while hidden (removed)
    (HIDDEN, FINISHED): frozenset({SYSTEM}),
}

def check_move(current: str, target: str, role: str) -> None:
    """Raise Conflict (409) unless ``role`` may move an event from ``current`` to ``target``."""
    allowed = MOVES.get((current, target))
    if allowed is None:
        raise Conflict("An event cannot go from %(current)s to %(target)s",
                       params={"current": current, "target": target}, code="illegal_status_move",
                       current_status=current, target_status=target)
    if role not in allowed:
        raise Conflict("Moving from %(current)s to %(target)s is not done by the %(role)s",
                       params={"current": current, "target": target, "role": role}, code="illegal_status_move",
                       current_status=current, target_status=target)


# Participation statuses; seats are held by confirmed and offered places.
P_PENDING, P_CONFIRMED, P_WAITLISTED, P_OFFERED, P_LEFT, P_DECLINED, P_EXPIRED = (
    "pending", "confirmed", "waitlisted", "offered", "left", "declined", "expired",
)
ACTIVE = (P_PENDING, P_CONFIRMED, P_WAITLISTED, P_OFFERED)
HOLDS_SEATS = (P_CONFIRMED, P_OFFERED)

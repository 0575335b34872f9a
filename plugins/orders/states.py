"""The order status machine: every allowed move, and who may make it, in one table."""

from __future__ import annotations

from core.errors import Conflict

DRAFT, SUBMITTED, CONFIRMED, REJECTED, PREPARING, READY, COMPLETED, CANCELLED, FAILED = (
    "draft", "submitted", "confirmed", "rejected", "preparing", "ready", "completed", "cancelled", "failed",
)
STATUSES = (DRAFT, SUBMITTED, CONFIRMED, REJECTED, PREPARING, READY, COMPLETED, CANCELLED, FAILED)
OPEN = (SUBMITTED, CONFIRMED, PREPARING, READY)
"""Orders the venue still works on (the live queue)."""
FINAL = (REJECTED, COMPLETED, CANCELLED, FAILED)

USER, STAFF, POS, SYSTEM = "user", "staff", "pos", "system"
VENUE = frozenset({STAFF, POS})  # the venue acts by hand (manual adapter, admin panel) or through its POS

# (from, to) -> who may make the move. Anything else is refused with 409 illegal_status_move.
MOVES: dict[tuple[str, str], frozenset[str]] = {
    (DRAFT, SUBMITTED): frozenset({USER}),  # submit (Idempotency-Key)
    (DRAFT, CANCELLED): frozenset({USER}),  # discard a draft
    (SUBMITTED, CONFIRMED): VENUE,
    (SUBMITTED, REJECTED): VENUE,  # with a reason
    (SUBMITTED, CANCELLED): frozenset({USER, STAFF, POS}),  # the user, before confirmation; or the venue
    (SUBMITTED, FAILED): frozenset({SYSTEM}),  # the POS refused it or stayed unreachable
    (SUBMITTED, PREPARING): frozenset({POS}),  # a POS may report the kitchen's progress without a confirmation
    (SUBMITTED, READY): frozenset({POS}),
    (CONFIRMED, PREPARING): VENUE,
    (CONFIRMED, READY): VENUE,  # a POS may skip a step
    (CONFIRMED, COMPLETED): frozenset({POS}),
    (CONFIRMED, CANCELLED): VENUE,
    (PREPARING, READY): VENUE,
    (PREPARING, COMPLETED): frozenset({POS}),
    (PREPARING, CANCELLED): VENUE,
    (READY, COMPLETED): VENUE,
    (READY, CANCELLED): VENUE,  # never picked up
    # Reconciliation: the POS has an order we thought failed; it takes the POS's status.
    (FAILED, SUBMITTED): frozenset({SYSTEM}),
    (FAILED, CONFIRMED): frozenset({SYSTEM}),
    (FAILED, PREPARING): frozenset({SYSTEM}),
    (FAILED, READY): frozenset({SYSTEM}),
    (FAILED, COMPLETED): frozenset({SYSTEM}),
    (FAILED, CANCELLED): frozenset({SYSTEM}),
}


def allowed(current: str, target: str, role: str) -> bool:
    """Whether ``role`` may move an order from ``current`` to ``target``."""
    return role in MOVES.get((current, target), frozenset())


def check_move(current: str, target: str, role: str) -> None:
    """Raise Conflict (409 ``illegal_status_move``) unless ``role`` may move an order from ``current`` to ``target``."""
    if (current, target) not in MOVES:
        raise Conflict("An order cannot go from %(current)s to %(target)s",
                       params={"current": current, "target": target}, code="illegal_status_move",
                       current_status=current, target_status=target)
    if role not in MOVES[(current, target)]:
        raise Conflict("Moving an order from %(current)s to %(target)s is not done by the %(role)s",
                       params={"current": current, "target": target, "role": role},
                       code="illegal_status_move", current_status=current, target_status=target)

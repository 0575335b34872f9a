"""The "+1" proposal machine: every allowed move, who may make it and where it leads, in one table."""

from __future__ import annotations

from core.errors import Conflict

PROPOSED, MATCHED, GOING, DECLINED, WITHDRAWN, LEFT, BLOCKED = (
    "proposed", "matched", "going", "declined", "withdrawn", "left", "blocked",
)
STATUSES = (PROPOSED, MATCHED, GOING, DECLINED, WITHDRAWN, LEFT, BLOCKED)
CHATTING = (MATCHED, GOING)
"""A pair whose anonymous chat is open (both accepted, neither left nor blocked)."""

PROPOSER, RECIPIENT, BOTH = "proposer", "recipient", "both"
EITHER = frozenset({PROPOSER, RECIPIENT})

# (status, action) -> (next status, who may act). Anything else is refused with 409 ``illegal_proposal_move``.
# ``agree_to_go`` is one side's yes to going together; ``go`` is made once both said yes (``BOTH``): the pair joins.
MOVES: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (PROPOSED, "accept"): (MATCHED, frozenset({RECIPIENT})),
    (PROPOSED, "decline"): (DECLINED, frozenset({RECIPIENT})),
    (PROPOSED, "withdraw"): (WITHDRAWN, frozenset({PROPOSER})),
    (PROPOSED, "block"): (BLOCKED, EITHER),
    (MATCHED, "reveal"): (MATCHED, EITHER),
    (MATCHED, "agree_to_go"): (MATCHED, EITHER),
    (MATCHED, "go"): (GOING, frozenset({BOTH})),
    (MATCHED, "leave"): (LEFT, EITHER),
    (MATCHED, "block"): (BLOCKED, EITHER),
    (GOING, "reveal"): (GOING, EITHER),
    (GOING, "leave_event"): (MATCHED, EITHER),  # the pair leaves the event together (both seats pass on)
    (GOING, "leave"): (LEFT, EITHER),
    (GOING, "block"): (BLOCKED, EITHER),
}


def check_move(current: str, action: str, role: str) -> str:
    """The status after ``action`` by ``role``; Conflict (409 ``illegal_proposal_move``) when it is not allowed."""
    move = MOVES.get((current, action))
    if move is None or role not in move[1]:
        raise Conflict("A %(current)s proposal cannot be %(action)s by the %(role)s",
                       params={"current": current, "action": action, "role": role}, code="illegal_proposal_move",
                       current_status=current, action=action)
    return move[0]

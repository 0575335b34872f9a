"""The membership state machine: every allowed move, and who may make it, in one table; roles and who sets them."""

from __future__ import annotations

from core.errors import Conflict

NONE, INVITED, REQUESTED, ACTIVE, REJECTED, BANNED, LEFT = (
    "none", "invited", "requested", "active", "rejected", "banned", "left",
)
"""Member states; ``none`` stands for "no row yet" (a row is kept after leaving, as ``left``)."""
STATES = (INVITED, REQUESTED, ACTIVE, REJECTED, BANNED, LEFT)

SELF, MODERATOR, LINK = "self", "moderator", "link"
"""Who moves: the member themself; a moderator of the group (owner, admin or moderator) acting on someone of a lower
role (``RANK``); or the member themself through a valid invitation link."""

OWNER, ADMIN, GROUP_MODERATOR, MEMBER = "owner", "admin", "moderator", "member"
ROLES = (OWNER, ADMIN, GROUP_MODERATOR, MEMBER)
MODERATING_ROLES = (OWNER, ADMIN, GROUP_MODERATOR)
RANK = {OWNER: 3, ADMIN: 2, GROUP_MODERATOR: 1, MEMBER: 0}

# (from, to) -> who may make the move. Anything else is refused with 409 ``illegal_member_move``.
# Join policies narrow the self moves: (x, active) by self needs an ``open`` group or an invitation (invited → active);
# (x, requested) needs a ``request`` group. A banned user has no move of their own: not even an invitation link.
MOVES: dict[tuple[str, str], frozenset[str]] = {
    (NONE, ACTIVE): frozenset({SELF, LINK}),  # join an open group; accept an invitation link
    (LEFT, ACTIVE): frozenset({SELF, LINK}),
    (REJECTED, ACTIVE): frozenset({SELF, LINK}),
    (REQUESTED, ACTIVE): frozenset({MODERATOR, LINK}),  # approve a request; or the link answers it
    (INVITED, ACTIVE): frozenset({SELF, LINK}),  # accept an invitation
    (NONE, REQUESTED): frozenset({SELF}),  # ask to join a request-only group
    (LEFT, REQUESTED): frozenset({SELF}),
    (REJECTED, REQUESTED): frozenset({SELF}),  # ask again after a refusal
    (NONE, INVITED): frozenset({MODERATOR}),  # invite a user
    (LEFT, INVITED): frozenset({MODERATOR}),
    (REJECTED, INVITED): frozenset({MODERATOR}),
    (REQUESTED, REJECTED): frozenset({MODERATOR}),  # reject a request
    (INVITED, LEFT): frozenset({SELF, MODERATOR}),  # decline; withdraw the invitation
    (REQUESTED, LEFT): frozenset({SELF}),  # withdraw my request
    (ACTIVE, LEFT): frozenset({SELF, MODERATOR}),  # leave (not the owner); remove a member
    (NONE, BANNED): frozenset({MODERATOR}),  # ban, whatever the state
    (INVITED, BANNED): frozenset({MODERATOR}),
    (REQUESTED, BANNED): frozenset({MODERATOR}),
    (ACTIVE, BANNED): frozenset({MODERATOR}),
    (REJECTED, BANNED): frozenset({MODERATOR}),
    (LEFT, BANNED): frozenset({MODERATOR}),
    (BANNED, LEFT): frozenset({MODERATOR}),  # unban: free to join again by the group's policy
}

# Roles a member's role may be set to, by the setter's role (the owner role moves only by transfer).
ROLE_SETTERS: dict[str, frozenset[str]] = {
    OWNER: frozenset({ADMIN, GROUP_MODERATOR, MEMBER}),
    ADMIN: frozenset({GROUP_MODERATOR, MEMBER}),
}


def check_move(current: str, target: str, who: str) -> None:
    """Raise Conflict (409 ``illegal_member_move``) unless ``who`` may move a member from ``current`` to ``target``."""
    allowed = MOVES.get((current, target))
    if allowed is None or who not in allowed:
        raise Conflict("A member cannot go from %(current)s to %(target)s by %(who)s",
                       params={"current": current, "target": target, "who": who}, code="illegal_member_move",
                       current_state=current, target_state=target)


def outranks(actor_role: str | None, target_role: str) -> bool:
    """Whether a moderator of role ``actor_role`` may act on a member of role ``target_role``."""
    return actor_role in MODERATING_ROLES and RANK[actor_role] > RANK[target_role]

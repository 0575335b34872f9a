"""Groups: groups with members, invitations and group events, group chat, and finding a "+1" for an event."""

from __future__ import annotations

import msgspec

from core.manifest import Manifest


class GroupsSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the groups plugin, from ``[settings.groups]`` in plugins.toml."""

    # Groups, members and invitations
    max_groups_per_user: int = 20
    """How many groups one user may create (owners of more are refused with 409)."""
    invite_max_days: int = 30
    """The longest an invitation link may stay valid."""

    # Chat (group rooms and the anonymous partner chat)
    message_edit_minutes: int = 15
    """How long an author may edit a chat message."""
    chat_messages_per_minute: int = 30
    """Messages one user may post to one room per minute (429 ``rate_limited`` beyond)."""

    # "+1": partner search
    max_open_partner_requests: int = 5
    """Open "+1" requests one user may have at once."""
    partner_suggestions: int = 10
    """The most suggestions a user is shown for one request."""
    partner_actions_per_minute: int = 20
    """"+1" actions (requests, suggestions, proposals, reveals, blocks…) one user may take per minute (429 beyond)."""


manifest = Manifest(
    name="groups",
    version="0.1.0",
    summary="Groups, members and invitations, group events, group chat and the +1 partner search",
    core=">=0.1,<1",
    depends={"events": ">=0.1,<1"},
    settings=GroupsSettings,
)

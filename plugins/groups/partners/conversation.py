"""The anonymous "+1" chat as a conversation kind (``pair``, key = proposal id) for the groups chat.

Both sides of a matched pair read and post while the pair lasts (``matched`` or ``going``); once one left or blocked,
the chat is closed and hidden for both (404), history included. Authors are shown by their request's pseudonym, with
no user id, until they reveal their profile; contacts (phones, emails) are held back until both revealed. Nobody
moderates a pair: one blocks instead.
"""

from __future__ import annotations

from typing import Any

from core.users import services as users
from plugins.groups.chat.conversations import AuthorView, Conversation
from plugins.groups.partners import states
from plugins.groups.tables import PartnerProposal

_COLUMNS = (PartnerProposal.status, PartnerProposal.from_user, PartnerProposal.to_user,
            PartnerProposal.from_revealed, PartnerProposal.to_revealed,
            PartnerProposal.from_request.pseudonym.as_alias("from_pseudonym"),
            PartnerProposal.to_request.pseudonym.as_alias("to_pseudonym"))


async def _pair(key: str) -> dict[str, Any] | None:
    if not (key.isdigit() and len(key) < 10):
        return None
    row: dict[str, Any] | None = await PartnerProposal.select(*_COLUMNS).where(PartnerProposal.id == int(key)).first()
    return row


async def may_read(user_id: int, key: str) -> bool:
    """Both sides of a pair that lasts (matched or going)."""
    row = await _pair(key)
    return (row is not None and bool(user_id) and user_id in (row["from_user"], row["to_user"])
            and row["status"] in states.CHATTING)


async def may_moderate(user_id: int, key: str) -> bool:
    """Nobody: a pair has no moderator (block the other instead)."""
    return False


async def authors(viewer_id: int, key: str, author_ids: list[int]) -> dict[int, AuthorView]:
    """Pseudonyms (no id) until an author revealed; then their display name and id (to the pair and the room)."""
    row = await _pair(key)
    if row is None:
        return {}
    revealed = [u for u in (row["from_user"], row["to_user"]) if u in author_ids and row[
        "from_revealed" if u == row["from_user"] else "to_revealed"]]
    names = await users.get_contacts(revealed) if revealed else {}
    out = {}
    for side in ("from", "to"):
        uid = row[f"{side}_user"]
        if uid in author_ids:
            out[uid] = (AuthorView(uid, names[uid].display_name) if uid in names
                        else AuthorView(None, row[f"{side}_pseudonym"]))
    return out


async def screen_contacts(key: str) -> bool:
    """Hold back phones and emails until both revealed their profiles."""
    row = await _pair(key)
    return row is None or not (row["from_revealed"] and row["to_revealed"])


PAIR = Conversation(kind="pair", may_read=may_read, may_post=may_read, may_moderate=may_moderate, authors=authors,
                    screen_contacts=screen_contacts)
"""The anonymous chat of a "+1" pair (room ``groups.pair:<proposal id>``)."""

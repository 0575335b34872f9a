"""Proposals between two requests and the pairs they become: accept, decline, reveal, leave, block, go together.

Every move is checked against ``partners/states.py`` (409 ``illegal_proposal_move``). A proposal is seen only by its
two sides (anyone else: 404 ``partner_proposal_not_found``). Leaving or blocking ends the pair for both: its chat is
hidden from then on (404), and the other's identity with it. A block hides the two from each other in partner search,
both ways, for every event, and ends every proposal between them.
"""

from __future__ import annotations

import logging
from typing import Any

from piccolo.columns.combination import Or

from core import clock, hooks, notifications
from core.errors import Conflict, NotFound
from core.notifications import Notice, NotificationKind
from core.pagination import Page, decode_cursor, page_of
from core.users import services as users
from plugins.events import api as events
from plugins.groups import hookspecs
from plugins.groups.partners import services, states
from plugins.groups.partners.schemas import BlockBody, GoTogetherRead, PairRead, PartnerView
from plugins.groups.store import transaction
from plugins.groups.tables import PartnerBlock, PartnerProposal, PartnerRequest

log = logging.getLogger("plugins.groups")
Row = dict[str, Any]

PROPOSAL_KIND, MATCHED_KIND = "groups.partner_proposal", "groups.partner_matched"
KINDS = [
    NotificationKind(PROPOSAL_KIND, label="Someone proposes to go to an event together (+1)"),
    NotificationKind(MATCHED_KIND, label="A +1 proposal was accepted: our anonymous chat is open"),
]
PAIRS_SCOPE = "groups.partner_pairs"
PROPOSAL_COLUMNS = (
    PartnerProposal.id, PartnerProposal.event_id, PartnerProposal.status, PartnerProposal.from_user,
    PartnerProposal.to_user, PartnerProposal.from_request, PartnerProposal.to_request, PartnerProposal.from_revealed,
    PartnerProposal.to_revealed, PartnerProposal.from_going, PartnerProposal.to_going, PartnerProposal.created_at,
    PartnerProposal.matched_at,
)


def not_found(proposal_id: int) -> NotFound:
    """The one answer for a proposal that does not exist or is not the caller's."""
    return NotFound("partner proposal %(proposal_id)s not found",
                    params={"proposal_id": proposal_id}, code="partner_proposal_not_found")


async def load(proposal_id: int, *, lock: bool = False) -> Row | None:
    """A proposal row, or None; ``lock`` takes its row lock."""
    query = PartnerProposal.select(*PROPOSAL_COLUMNS).where(PartnerProposal.id == proposal_id)
    if lock:
        query = query.lock_rows("UPDATE")
    row: Row | None = await query.first()
    return row


async def _mine(user_id: int, proposal_id: int, *, lock: bool = True) -> tuple[Row, str]:
    row = await load(proposal_id, lock=lock)
    if row is None or user_id not in (row["from_user"], row["to_user"]):
        raise not_found(proposal_id)
    return row, states.PROPOSER if row["from_user"] == user_id else states.RECIPIENT


def _side(role: str) -> str:
    return "from" if role == states.PROPOSER else "to"


async def _update(proposal_id: int, **values: Any) -> None:
    await PartnerProposal.update({getattr(PartnerProposal, k): v for k, v in values.items()}
                                 | {PartnerProposal.updated_at: clock.now()}).where(PartnerProposal.id == proposal_id)


async def _event_context(event_id: int) -> dict[str, Any]:
    info = await events.get_event_info(event_id)
    return {"id": info.id, "title": info.title, "starts_at": info.starts_at.isoformat(), "timezone": info.timezone}


# ---------------------------------------------------------------------------------------------------------------------
# Proposing and answering
# ---------------------------------------------------------------------------------------------------------------------


async def propose(user_id: int, request_id: int, to_request_id: int) -> PairRead:
    """Propose from my open request to another that fits it (404 ``partner_request_not_found`` for any other).

    Proposing to someone who already proposed to me accepts their proposal. A second proposal between the same two
    requests (either way, any status) is 409 ``already_proposed``.
    """
    await services.act(user_id)
    async with transaction():
        mine = await services.own_open_request(user_id, request_id, lock=True)
        theirs = await services.load_request(to_request_id)
        if theirs is None or not [c for c, _ in await services.suggestable(mine, [theirs])]:
            reverse = await PartnerProposal.select(PartnerProposal.id).where(
                PartnerProposal.from_request == to_request_id, PartnerProposal.to_request == request_id,
                PartnerProposal.status == states.PROPOSED).first()
            if reverse is not None:  # they proposed to me first: my proposal is my yes
                return await accept(user_id, reverse["id"], counted=True)
            if theirs is not None and to_request_id in await services.proposed_between(request_id):
                raise Conflict("There already is a proposal between these requests", code="already_proposed")
            raise services.request_not_found(to_request_id)  # not suggestable to me: as if it did not exist
        now = clock.now()
        rows = await PartnerProposal.insert(PartnerProposal(
            event_id=mine["event_id"], from_request=mine["id"], to_request=theirs["id"], from_user=user_id,
            to_user=theirs["user_id"], status=states.PROPOSED, created_at=now, updated_at=now,
        )).returning(PartnerProposal.id)
        proposal_id = rows[0]["id"]
        await notifications.send(Notice(PROPOSAL_KIND, user_ids=(theirs["user_id"],), context={
            "event": await _event_context(mine["event_id"]), "pseudonym": mine["pseudonym"], "note": mine["note"]},
            key=f"groups.partner:{proposal_id}", subject=f"groups.partner:{proposal_id}"))
    log.info("user %s proposed (proposal %s) from request %s to request %s", user_id, proposal_id, request_id,
             to_request_id)
    return await pair(user_id, proposal_id)


async def accept(user_id: int, proposal_id: int, *, counted: bool = False) -> PairRead:
    """Accept a proposal made to me: the pair is matched, ``partner_matched`` fires, both are told, the chat opens."""
    if not counted:
        await services.act(user_id)
    async with transaction():
        row, role = await _mine(user_id, proposal_id)
        target = states.check_move(row["status"], "accept", role)
        requests = {r["id"]: r for r in await PartnerRequest.select(*services.REQUEST_COLUMNS).where(
            PartnerRequest.id.is_in([row["from_request"], row["to_request"]]))}
        for r in requests.values():
            if services.shown_status(r) == services.CLOSED:
                raise Conflict("Partner requests for this event are closed", code="partner_requests_closed")
        now = clock.now()
        await _update(proposal_id, status=target, matched_at=now)
        # A +1 found: those requests are done; a group goes on looking for more.
        await PartnerRequest.update({PartnerRequest.status: services.MATCHED, PartnerRequest.updated_at: now}).where(
            PartnerRequest.id.is_in(list(requests)), PartnerRequest.kind != "group",
            PartnerRequest.status == services.OPEN)
        users_pair = (row["from_user"], row["to_user"])
        await hooks.notify(hookspecs.partner_matched, event_id=row["event_id"], user_ids=users_pair,
                           proposal_id=proposal_id)
        event = await _event_context(row["event_id"])
        for uid, other in ((row["from_user"], row["to_request"]), (row["to_user"], row["from_request"])):
            await notifications.send(Notice(MATCHED_KIND, user_ids=(uid,), context={
                "event": event, "pseudonym": requests[other]["pseudonym"], "proposal_id": proposal_id},
                key=f"groups.partner:{proposal_id}", subject=f"groups.partner:{proposal_id}"))
    log.info("user %s accepted partner proposal %s", user_id, proposal_id)
    return await pair(user_id, proposal_id)


async def decline(user_id: int, proposal_id: int) -> PairRead:
    """Decline a proposal made to me, or withdraw mine (before it is accepted)."""
    await services.act(user_id)
    async with transaction():
        row, role = await _mine(user_id, proposal_id)
        action = "withdraw" if role == states.PROPOSER else "decline"
        await _update(proposal_id, status=states.check_move(row["status"], action, role), ended_by=user_id)
        await notifications.withdraw(f"groups.partner:{proposal_id}")
    log.info("user %s %s partner proposal %s", user_id, action, proposal_id)
    return await pair(user_id, proposal_id)


# ---------------------------------------------------------------------------------------------------------------------
# The pair: reveal, leave, block, go together
# ---------------------------------------------------------------------------------------------------------------------


async def reveal(user_id: int, proposal_id: int) -> PairRead:
    """Show my display name and user id to the other (in the pair and the chat); both revealed: contacts pass."""
    await services.act(user_id)
    async with transaction():
        row, role = await _mine(user_id, proposal_id)
        states.check_move(row["status"], "reveal", role)
        await _update(proposal_id, **{f"{_side(role)}_revealed": True})
    log.info("user %s revealed their profile in pair %s", user_id, proposal_id)
    return await pair(user_id, proposal_id)


async def leave(user_id: int, proposal_id: int) -> PairRead:
    """Leave the pair: its chat closes for both (hidden from then on); a joint participation in the event stays."""
    await services.act(user_id)
    async with transaction():
        row, role = await _mine(user_id, proposal_id)
        await _update(proposal_id, status=states.check_move(row["status"], "leave", role), ended_by=user_id)
    log.info("user %s left pair %s", user_id, proposal_id)
    return await pair(user_id, proposal_id)


async def block(user_id: int, proposal_id: int, body: BlockBody) -> PairRead:
    """Block (and maybe report) the other side: every proposal between us ends, and we never meet in search again."""
    await services.act(user_id)
    async with transaction():
        row, role = await _mine(user_id, proposal_id)
        target = states.check_move(row["status"], "block", role)
        other = row["to_user"] if role == states.PROPOSER else row["from_user"]
        if not await PartnerBlock.exists().where(PartnerBlock.blocker == user_id, PartnerBlock.blocked == other):
            await PartnerBlock.insert(PartnerBlock(blocker=user_id, blocked=other, proposal=proposal_id,
                                                   reason=body.reason or "", details=body.details.strip(),
                                                   created_at=clock.now()))
        between = Or(
            (PartnerProposal.from_user == user_id) & (PartnerProposal.to_user == other),
            (PartnerProposal.from_user == other) & (PartnerProposal.to_user == user_id))
        await PartnerProposal.update({PartnerProposal.status: target, PartnerProposal.ended_by: user_id,
                                      PartnerProposal.updated_at: clock.now()}).where(
            between, PartnerProposal.status.is_in([states.PROPOSED, *states.CHATTING]))
    log.info("user %s blocked the other side of pair %s%s", user_id, proposal_id,
             f" and reported them ({body.reason})" if body.reason else "")
    return await pair(user_id, proposal_id)


async def go_together(user_id: int, proposal_id: int) -> GoTogetherRead:
    """Say yes to going together; the second yes joins both to the event as a pair (both seats or none).

    The events API answers for the seats: 409 ``already_joined`` when either already takes part (the yes is not kept:
    leave the event, or join alone), ``party_too_large``, ``event_not_joinable``.
    """
    await services.act(user_id)
    status: str | None = None
    async with transaction():
        row, role = await _mine(user_id, proposal_id)
        states.check_move(row["status"], "agree_to_go", role)
        side = _side(role)
        await _update(proposal_id, **{f"{side}_going": True})
        other_agreed = row["to_going" if side == "from" else "from_going"]
        if other_agreed:
            target = states.check_move(row["status"], "go", states.BOTH)
            status = await events.join_pair(row["event_id"], row["from_user"], row["to_user"])
            await _update(proposal_id, status=target)
    log.info("user %s agreed to go together in pair %s%s", user_id, proposal_id,
             f": joined as a pair, {status}" if status else "")
    return GoTogetherRead(pair=await pair(user_id, proposal_id), participation=status)


async def leave_together(user_id: int, proposal_id: int) -> PairRead:
    """Leave the event with my pair (both seats pass on); the pair and its chat go on, both yeses are cleared."""
    await services.act(user_id)
    async with transaction():
        row, role = await _mine(user_id, proposal_id)
        target = states.check_move(row["status"], "leave_event", role)
        await events.leave_pair(row["event_id"], user_id)
        await _update(proposal_id, status=target, from_going=False, to_going=False)
    log.info("user %s left event %s with their pair %s", user_id, row["event_id"], proposal_id)
    return await pair(user_id, proposal_id)


# ---------------------------------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------------------------------


async def _views(user_id: int, rows: list[Row]) -> list[PairRead]:
    request_ids = {r[k] for r in rows for k in ("from_request", "to_request")}
    requests = {r["id"]: r for r in await PartnerRequest.select(*services.REQUEST_COLUMNS).where(
        PartnerRequest.id.is_in(sorted(request_ids) or [0]))}
    revealed = [r["to_user"] if r["from_user"] == user_id else r["from_user"] for r in rows if r["status"] in
                states.CHATTING and r["to_revealed" if r["from_user"] == user_id else "from_revealed"]]
    names = await users.get_contacts(revealed) if revealed else {}
    out = []
    for r in rows:
        mine_side = "from" if r["from_user"] == user_id else "to"
        other_side = "to" if mine_side == "from" else "from"
        mine, theirs = requests[r[f"{mine_side}_request"]], requests[r[f"{other_side}_request"]]
        other_id = r[f"{other_side}_user"]
        chat_open = r["status"] in states.CHATTING
        shown = chat_open and r[f"{other_side}_revealed"] and other_id in names  # identity only while the pair lasts
        out.append(PairRead(
            id=r["id"], event_id=r["event_id"], status=r["status"],
            role=states.PROPOSER if mine_side == "from" else states.RECIPIENT, my_request_id=mine["id"],
            my_pseudonym=mine["pseudonym"],
            partner=PartnerView(pseudonym=theirs["pseudonym"], kind=theirs["kind"], group_size=theirs["group_size"],
                                note=theirs["note"], revealed=bool(shown), user_id=other_id if shown else None,
                                display_name=names[other_id].display_name if shown else None),
            i_revealed=r[f"{mine_side}_revealed"], i_agreed_to_go=r[f"{mine_side}_going"],
            partner_agreed_to_go=r[f"{other_side}_going"], chat_open=chat_open, created_at=r["created_at"],
            matched_at=r["matched_at"]))
    return out


async def pair(user_id: int, proposal_id: int) -> PairRead:
    """One of my proposals as I see it (404 for anyone else's)."""
    row, _ = await _mine(user_id, proposal_id, lock=False)
    return (await _views(user_id, [row]))[0]


async def my_pairs(user_id: int, cursor: str | None, limit: int, status: str | None = None) -> Page[PairRead]:
    """Proposals I made or received and the pairs they became, newest first (optionally of one ``status``)."""
    query = PartnerProposal.select(*PROPOSAL_COLUMNS).where(
        Or(PartnerProposal.from_user == user_id, PartnerProposal.to_user == user_id))
    if status is not None:
        query = query.where(PartnerProposal.status == status)
    if cursor:
        (after,) = decode_cursor(cursor, int, scope=PAIRS_SCOPE)
        query = query.where(PartnerProposal.id < after)
    rows = await query.order_by(PartnerProposal.id, ascending=False).limit(limit + 1)
    page = page_of(rows, limit, key=lambda r: (r["id"],), scope=PAIRS_SCOPE, item=lambda r: r)
    return Page(items=await _views(user_id, page.items), next_cursor=page.next_cursor)

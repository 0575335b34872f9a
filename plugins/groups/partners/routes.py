"""HTTP routes of the "+1" search: ``/api/v1/groups/partners/requests…`` and ``/api/v1/groups/pairs…`` (thin).

The pair's chat (``/api/v1/groups/pairs/{proposal_id}/messages``) is the chat's route; its rules are
``partners/conversation.py``.
"""

from __future__ import annotations

from typing import Literal

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from core.auth.guards import SignedIn
from core.http.params import Limit
from core.pagination import Page
from plugins.groups.partners import proposals, services
from plugins.groups.partners.schemas import (
    BlockBody,
    GoTogetherRead,
    PairRead,
    PartnerRequestCreate,
    PartnerRequestRead,
    PartnerSuggestion,
    ProposalCreate,
)

PairStatus = Literal["proposed", "matched", "going", "declined", "withdrawn", "left", "blocked"]


class PartnerRequestController(Controller):
    """My "+1" requests, their suggestions, and proposing to one."""

    path = "/groups/partners/requests"

    @post(operation_id="create_partner_request", status_code=HTTP_201_CREATED,
          opt={"codes": {404: ["event_not_found"]}})
    async def create_partner_request(self, principal: SignedIn,
                                     data: JSONBody[PartnerRequestCreate]) -> PartnerRequestRead:
        """Post a request for an event (409 ``partner_request_exists``/``partner_request_limit``/…, 404, 422)."""
        return await services.create_request(principal.user_id, data)

    @get(operation_id="list_my_partner_requests")
    async def list_my_partner_requests(self, principal: SignedIn, cursor: FromQuery[str | None] = None,
                                       limit: Limit = 20) -> Page[PartnerRequestRead]:
        """My requests, newest first."""
        return await services.my_requests(principal.user_id, cursor, limit)

    @post("/{request_id:int}/withdraw", operation_id="withdraw_partner_request", status_code=HTTP_200_OK)
    async def withdraw_partner_request(self, principal: SignedIn, request_id: FromPath[int]) -> PartnerRequestRead:
        """Withdraw my open request (404 when not mine, 409 ``partner_request_closed``)."""
        return await services.withdraw_request(principal.user_id, request_id)

    @get("/{request_id:int}/suggestions", operation_id="list_partner_suggestions")
    async def list_partner_suggestions(self, principal: SignedIn, request_id: FromPath[int],
                                       limit: Limit = 10) -> Page[PartnerSuggestion]:
        """The best-fitting requests for mine (at most the operator's ``partner_suggestions``; one page)."""
        return await services.suggestions(principal.user_id, request_id, limit)

    @post("/{request_id:int}/proposals", operation_id="propose_partner", status_code=HTTP_201_CREATED)
    async def propose_partner(self, principal: SignedIn, request_id: FromPath[int],
                              data: JSONBody[ProposalCreate]) -> PairRead:
        """Propose to a suggestion (404 ``partner_request_not_found`` for anything not suggestable to me)."""
        return await proposals.propose(principal.user_id, request_id, data.to_request_id)


class PairController(Controller):
    """Proposals I made or received and the pairs they became."""

    path = "/groups/pairs"

    @get(operation_id="list_my_pairs")
    async def list_my_pairs(self, principal: SignedIn, status: FromQuery[PairStatus | None] = None,
                            cursor: FromQuery[str | None] = None, limit: Limit = 20) -> Page[PairRead]:
        """My proposals and pairs, newest first (optionally of one ``status``)."""
        return await proposals.my_pairs(principal.user_id, cursor, limit, status)

    @get("/{proposal_id:int}", operation_id="get_pair")
    async def get_pair(self, principal: SignedIn, proposal_id: FromPath[int]) -> PairRead:
        """One of my proposals or pairs (404 ``partner_proposal_not_found`` for anyone else's)."""
        return await proposals.pair(principal.user_id, proposal_id)

    @post("/{proposal_id:int}/accept", operation_id="accept_partner_proposal", status_code=HTTP_200_OK)
    async def accept_partner_proposal(self, principal: SignedIn, proposal_id: FromPath[int]) -> PairRead:
        """Accept a proposal made to me: the anonymous chat opens (409 ``illegal_proposal_move``)."""
        return await proposals.accept(principal.user_id, proposal_id)

    @post("/{proposal_id:int}/decline", operation_id="decline_partner_proposal", status_code=HTTP_200_OK)
    async def decline_partner_proposal(self, principal: SignedIn, proposal_id: FromPath[int]) -> PairRead:
        """Decline a proposal made to me, or withdraw mine."""
        return await proposals.decline(principal.user_id, proposal_id)

    @post("/{proposal_id:int}/reveal", operation_id="reveal_profile", status_code=HTTP_200_OK)
    async def reveal_profile(self, principal: SignedIn, proposal_id: FromPath[int]) -> PairRead:
        """Show the other my display name and user id."""
        return await proposals.reveal(principal.user_id, proposal_id)

    @post("/{proposal_id:int}/leave", operation_id="leave_pair", status_code=HTTP_200_OK)
    async def leave_pair(self, principal: SignedIn, proposal_id: FromPath[int]) -> PairRead:
        """Leave the pair: the chat closes for both."""
        return await proposals.leave(principal.user_id, proposal_id)

    @post("/{proposal_id:int}/block", operation_id="block_partner", status_code=HTTP_200_OK)
    async def block_partner(self, principal: SignedIn, proposal_id: FromPath[int],
                            data: JSONBody[BlockBody | None] = None) -> PairRead:
        """Block the other side (and report them with a ``reason``): we never meet in partner search again."""
        return await proposals.block(principal.user_id, proposal_id, data or BlockBody())

    @post("/{proposal_id:int}/together", operation_id="go_together", status_code=HTTP_200_OK)
    async def go_together(self, principal: SignedIn, proposal_id: FromPath[int]) -> GoTogetherRead:
        """Say yes to going together; the second yes joins both to the event as a pair (both seats or none)."""
        return await proposals.go_together(principal.user_id, proposal_id)

    @post("/{proposal_id:int}/together/leave", operation_id="leave_together", status_code=HTTP_200_OK)
    async def leave_together(self, principal: SignedIn, proposal_id: FromPath[int]) -> PairRead:
        """Leave the event with my pair: both seats pass on (the pair and its chat go on)."""
        return await proposals.leave_together(principal.user_id, proposal_id)

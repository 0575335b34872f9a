"""HTTP routes of reviews: ``/api/v1/reviews/…`` (thin: parse, call the services, shape)."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from core.auth.guards import MaybeSignedIn, SignedIn, requires
from core.http.params import Limit
from core.pagination import Page
from core.users import services as users
from plugins.reviews import aggregates, moderation, reads, services
from plugins.reviews.schemas import (
    HelpfulRead,
    ModerationBody,
    ReplyBody,
    ReportBody,
    ReviewCreate,
    ReviewRead,
    ReviewUpdate,
    Sort,
    SummaryRead,
)

MODERATE = "reviews.moderate"


class ReviewController(Controller):
    """One review: read, edit and delete mine; helpful, reply and report; moderators decide."""

    path = "/reviews"

    @get("/mine", operation_id="list_my_reviews", summary="My reviews, newest first, in every status")
    async def list_my_reviews(self, principal: SignedIn, cursor: FromQuery[str | None] = None,
                              limit: Limit = 20) -> Page[ReviewRead]:
        """Hidden ones carry the moderator's ``hidden_reason``; reviews of deleted events are kept here."""
        return await reads.list_mine(principal.user_id, cursor, limit)

    @get("/{review_id:int}", operation_id="get_review")
    async def get_review(self, optional_principal: MaybeSignedIn, review_id: FromPath[int]) -> ReviewRead:
        """A published review, or my own in any status; 404 ``review_not_found`` otherwise."""
        return await services.get(review_id, optional_principal.user_id if optional_principal else None)

    @patch("/{review_id:int}", operation_id="update_review")
    async def update_review(self, principal: SignedIn, review_id: FromPath[int],
                            data: JSONBody[ReviewUpdate]) -> ReviewRead:
        """Edit my review within ``edit_days`` (409 ``edit_window_passed``); another user's is 404."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        return await services.update(principal.user_id, review_id, changes)

    @delete("/{review_id:int}", operation_id="delete_review", status_code=HTTP_204_NO_CONTENT)
    async def delete_review(self, principal: SignedIn, review_id: FromPath[int]) -> None:
        """Delete my review; another user's is 404."""
        await services.delete(principal.user_id, review_id)

    @post("/{review_id:int}/helpful", operation_id="mark_review_helpful", status_code=HTTP_200_OK)
    async def mark_review_helpful(self, principal: SignedIn, review_id: FromPath[int]) -> HelpfulRead:
        """Once per user (409 ``already_marked``), not my own (409 ``own_review``)."""
        return HelpfulRead(helpful=await services.mark_helpful(principal.user_id, review_id))

    @post("/{review_id:int}/reply", operation_id="create_review_reply")
    async def create_review_reply(self, principal: SignedIn, review_id: FromPath[int],
                                  data: JSONBody[ReplyBody]) -> ReviewRead:
        """The organiser's one public reply (409 ``already_replied``; 403 ``not_event_organiser``)."""
        return await services.reply(principal.user_id, review_id, data.text, edit=False)

    @patch("/{review_id:int}/reply", operation_id="update_review_reply")
    async def update_review_reply(self, principal: SignedIn, review_id: FromPath[int],
                                  data: JSONBody[ReplyBody]) -> ReviewRead:
        """Edit my reply (404 ``reply_not_found`` when there is none)."""
        return await services.reply(principal.user_id, review_id, data.text, edit=True)

    @post("/{review_id:int}/report", operation_id="report_review", status_code=HTTP_204_NO_CONTENT)
    async def report_review(self, principal: SignedIn, review_id: FromPath[int], data: JSONBody[ReportBody]) -> None:
        """Ask the moderators to look at a review (once per user: 409 ``already_reported``)."""
        await services.report(principal.user_id, review_id, data.reason)

    @post("/{review_id:int}/approve", operation_id="approve_review", status_code=HTTP_204_NO_CONTENT,
          guards=[requires(MODERATE)])
    async def approve_review(self, principal: SignedIn, review_id: FromPath[int]) -> None:
        """Publish a held or hidden review, or keep a reported one (409 ``not_flagged``/``illegal_status_move``)."""
        await moderation.approve(review_id, principal.user_id)

    @post("/{review_id:int}/hide", operation_id="hide_review", status_code=HTTP_204_NO_CONTENT,
          guards=[requires(MODERATE)])
    async def hide_review(self, principal: SignedIn, review_id: FromPath[int],
                          data: JSONBody[ModerationBody]) -> None:
        """Hide a review with a reason its author reads (they may edit it: it comes back to the queue)."""
        await moderation.hide(review_id, principal.user_id, data.reason)

    @post("/{review_id:int}/remove", operation_id="remove_review", status_code=HTTP_204_NO_CONTENT,
          guards=[requires(MODERATE)])
    async def remove_review(self, principal: SignedIn, review_id: FromPath[int],
                            data: JSONBody[ModerationBody]) -> None:
        """Remove a review for good, with a reason its author reads."""
        await moderation.remove(review_id, principal.user_id, data.reason)


class TargetController(Controller):
    """Reviews of an event, an organiser or a venue, and their summaries; writing my review of an event."""

    path = "/reviews"

    @post("/events/{event_id:int}", operation_id="create_review")
    async def create_review(self, principal: SignedIn, event_id: FromPath[int],
                            data: JSONBody[ReviewCreate]) -> ReviewRead:
        """Review a finished event I attended (201).

        409 ``already_reviewed``, ``event_not_finished``, ``event_cancelled``; 403 ``not_attended``, ``own_event``;
        422 ``text_required`` (3 stars or fewer).
        """
        return await services.create(principal.user_id, event_id, data)

    @get("/events/{event_id:int}", operation_id="list_event_reviews")
    async def list_event_reviews(self, optional_principal: MaybeSignedIn, event_id: FromPath[int],
                                 sort: FromQuery[Sort] = "newest", cursor: FromQuery[str | None] = None,
                                 limit: Limit = 20) -> Page[ReviewRead]:
        """Published reviews of an event, newest or most helpful first."""
        await reads.check_event_readable(event_id, optional_principal.user_id if optional_principal else None)
        return await reads.list_reviews(aggregates.EVENT, event_id, sort, cursor, limit)

    @get("/events/{event_id:int}/summary", operation_id="get_event_review_summary")
    async def get_event_review_summary(self, optional_principal: MaybeSignedIn,
                                       event_id: FromPath[int]) -> SummaryRead:
        """Count, and from ``min_reviews_shown`` on the average, histogram and ranking score."""
        await reads.check_event_readable(event_id, optional_principal.user_id if optional_principal else None)
        return await aggregates.summary(aggregates.EVENT, event_id)

    @get("/organisers/{user_id:int}", operation_id="list_organiser_reviews")
    async def list_organiser_reviews(self, user_id: FromPath[int], sort: FromQuery[Sort] = "newest",
                                     cursor: FromQuery[str | None] = None, limit: Limit = 20) -> Page[ReviewRead]:
        """Published reviews of an organiser's public events."""
        return await reads.list_reviews(aggregates.ORGANISER, user_id, sort, cursor, limit)

    @get("/organisers/{user_id:int}/summary", operation_id="get_organiser_review_summary")
    async def get_organiser_review_summary(self, user_id: FromPath[int]) -> SummaryRead:
        """An organiser's figures across their events (404 ``user_not_found``)."""
        await users.get_user(user_id)
        return await aggregates.summary(aggregates.ORGANISER, user_id)

    @get("/venues/{venue_id:int}", operation_id="list_venue_reviews")
    async def list_venue_reviews(self, venue_id: FromPath[int], sort: FromQuery[Sort] = "newest",
                                 cursor: FromQuery[str | None] = None, limit: Limit = 20) -> Page[ReviewRead]:
        """Published reviews of the public events at a venue."""
        return await reads.list_reviews(aggregates.VENUE, venue_id, sort, cursor, limit)

    @get("/venues/{venue_id:int}/summary", operation_id="get_venue_review_summary")
    async def get_venue_review_summary(self, venue_id: FromPath[int]) -> SummaryRead:
        """A venue's figures across the events held there."""
        return await aggregates.summary(aggregates.VENUE, venue_id)

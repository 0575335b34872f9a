"""HTTP routes of search: ``/api/v1/search/…`` (thin: parse, call services, shape, say which backend answered)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from core.auth.guards import SignedIn
from core.http import query
from core.http.params import Limit
from plugins.search import recommend, services, signals
from plugins.search.schemas import (
    DirectoryParams,
    DirectoryResults,
    DismissBody,
    EventResults,
    Features,
    ForYouPage,
    SearchParams,
    ViewedBody,
)

JSON = "application/json"
CODES = {"q": "query_too_long", "category": "invalid_category", "tags": "invalid_tag", "city": "invalid_city",
         "near": "invalid_coordinates"}
Params = NamedDependency[SearchParams]
DirParams = NamedDependency[DirectoryParams]


def answered(answer: services.Answer) -> Response[Any]:
    """The results with ``Search-Backend`` (who answered) and, after a fallback, ``Search-Fallback``."""
    headers = {"Search-Backend": answer.backend, "Cache-Control": "no-cache"}
    if answer.fallback:
        headers["Search-Fallback"] = "postgres"
    return Response(content=msgspec.json.encode(answer.results), media_type=JSON, headers=headers)


class SearchController(Controller):
    """Search and "for you"."""

    path = "/search"

    @get("/events", operation_id="search_events", summary="Search events: words, filters, facets, sort",
         dependencies={"params": Provide(query.provider(SearchParams, CODES), sync_to_thread=False)},
         operation_class=query.operation_with(SearchParams))
    async def search_events(self, params: Params) -> Response[EventResults]:
        """Public upcoming events matching ``q`` (typo-tolerant on Typesense) and the filters, with facet counts.

        ``Search-Backend`` says which backend answered; ``Search-Fallback: postgres`` that Typesense failed and
        PostgreSQL answered (503 ``search_unavailable`` when the operator disabled the fallback). A cursor from
        another query is 400 ``invalid_cursor``; an unknown facet 400 ``unknown_facet``; a query over 200
        characters 400 ``query_too_long``.
        """
        return answered(await services.search_events(params))

    @get("/directory", operation_id="search_directory", summary="Search groups, venues and organisers",
         dependencies={"dparams": Provide(query.provider(DirectoryParams, CODES), sync_to_thread=False)},
         operation_class=query.operation_with(DirectoryParams))
    async def search_directory(self, dparams: DirParams) -> Response[DirectoryResults]:
        """Groups, venues and organisers matching ``q``, optionally of one ``kind``."""
        return answered(await services.search_directory(dparams))

    @get("/capabilities", operation_id="get_search_capabilities", summary="What the search backend can do")
    async def get_capabilities(self) -> Features:
        """Typo tolerance, facet counts, prefix, stemming, synonyms, fallback; the facets and sorts accepted."""
        return services.features()

    @get("/for-you", operation_id="list_for_you", summary="Events recommended to me, each with why")
    async def list_for_you(self, principal: SignedIn, cursor: FromQuery[str | None] = None,
                           limit: Limit = 20) -> ForYouPage:
        """Upcoming events ranked for me (interests, distance, time, popularity, my groups), with reasons."""
        return await recommend.for_you(principal.user_id, cursor, limit)

    @post("/for-you/dismissals", operation_id="create_dismissal", status_code=HTTP_204_NO_CONTENT,
          opt={"codes": {404: ["event_not_found"]}},
          summary="Never show me this event (or its organiser) in \"for you\"")
    async def create_dismissal(self, principal: SignedIn, data: JSONBody[DismissBody]) -> None:
        """Hide the event; with ``organiser: true`` every event of its organiser. 404 ``event_not_found``."""
        await signals.dismiss(principal.user_id, data.event_id, data.organiser)

    @post("/views", operation_id="create_view", status_code=HTTP_204_NO_CONTENT,
          opt={"codes": {404: ["event_not_found"]}}, summary="I looked at this event (teaches \"for you\")")
    async def create_view(self, principal: SignedIn, data: JSONBody[ViewedBody]) -> None:
        """Record that the app showed me the event's page. 404 ``event_not_found``."""
        await signals.viewed(principal.user_id, data.event_id)

"""HTTP routes of reports: file one, list mine, and the kinds of things that can be reported."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from core.auth.guards import SignedIn
from core.http.params import Limit
from core.pagination import Page
from core.reports import services
from core.reports.registry import reportable_types
from core.reports.schemas import ReportCreate, ReportRead, ReportTypeRead


class ReportController(Controller):
    """Reports to the moderators."""

    path = "/reports"

    @post("/", operation_id="create_report", status_code=HTTP_201_CREATED,
          opt={"codes": {404: ["target_not_found"], 409: ["own_content"],
                         422: ["unknown_target_type", "invalid_reason", "text_too_long"], 429: ["rate_limited"]}},
          responses={HTTP_200_OK: ResponseSpec(ReportRead, description="I had already reported it: my report.")})
    async def create_report(self, principal: SignedIn, data: JSONBody[ReportCreate]) -> Response[ReportRead]:
        """Report a thing I can see (201); reporting it again while staff have not decided returns my report (200).

        A thing I cannot see is 404 ``target_not_found``, exactly like its own API (nothing leaks).
        """
        row, created = await services.file(principal.user_id, data.target_type, data.target_id, data.reason, data.text)
        return Response(content=msgspec.convert(row, ReportRead),
                        status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/types", operation_id="list_report_types")
    async def list_report_types(self, principal: SignedIn) -> list[ReportTypeRead]:
        """The kinds of things that can be reported on this server (``target_type`` values)."""
        return [ReportTypeRead(name=k.name, label=k.label) for k in reportable_types().values()]


class MyReportController(Controller):
    """The reports I filed."""

    path = "/me/reports"

    @get("/", operation_id="list_my_reports", opt={"codes": {400: ["invalid_cursor"]}})
    async def list_my_reports(self, principal: SignedIn, cursor: FromQuery[str | None] = None,
                              limit: Limit = 20) -> Page[ReportRead]:
        """My reports, newest first, with what staff decided (cursor pagination)."""
        page = await services.mine(principal.user_id, cursor, limit)
        return Page(items=msgspec.convert(page.items, list[ReportRead]), next_cursor=page.next_cursor)

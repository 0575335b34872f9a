"""HTTP routes of the analytics plugin: ``/api/v1/analytics/…`` (client events, dashboards, experiments, ideas)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from litestar import Controller, delete, get, patch, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream

from core.auth.guards import Principal, requires
from core.errors import PayloadTooLarge, ValidationFailed
from core.hooks import plugin_settings
from core.http.params import Limit
from core.pagination import Page
from plugins.analytics import AnalyticsSettings, dashboards, experiments, ingest, rice
from plugins.analytics.schemas import (
    AssignmentRead,
    BatchAccepted,
    ClientEventBatch,
    ConversionRead,
    EventDashboardRead,
    ExperimentCreate,
    ExperimentRead,
    ExperimentResults,
    ExperimentUpdate,
    IdeaCreate,
    IdeaRead,
    IdeaUpdate,
    PlatformDashboardRead,
    SubjectIn,
    to_builtins,
)

VIEW = "analytics.view"
MANAGE = "analytics.manage"
CSV = "text/csv; charset=utf-8"


async def requires_small_body(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Refuse a batch body over ``max_body_bytes`` before it is read or parsed (413)."""
    limit = plugin_settings(AnalyticsSettings).max_body_bytes
    length = connection.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise PayloadTooLarge("A batch body may have at most %(limit)s bytes",
                              params={"limit": limit}, code="batch_too_large")


def _csv(body: AsyncIterator[bytes], filename: str) -> Stream:
    return Stream(body, media_type=CSV,
                  headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _subject(principal: Principal | None, data: SubjectIn) -> str:
    if principal is None and data.device_id is None:
        raise ValidationFailed("Anonymous callers must send a device_id", code="device_id_required",
                               errors=[{"pointer": "/device_id", "detail": "required when not signed in"}])
    return ingest.subject_of(principal.user_id if principal else None, data.device_id)


class ClientEventController(Controller):
    """Client events from the mobile app, in batches."""

    path = "/analytics/events"

    @post(operation_id="create_client_events", status_code=202, guards=[requires_small_body],
          opt={"read_your_writes": False},  # frequent, and nothing the sender reads back: keep them on replicas
          summary="Send up to 100 client events (anonymous callers give a device_id); stored asynchronously")
    async def create_client_events(self, data: JSONBody[ClientEventBatch],
                                   optional_principal: NamedDependency[Principal | None]) -> BatchAccepted:
        """Accept a batch; events with a bad timestamp are listed as rejected, the others are kept."""
        return await ingest.accept_batch(data, optional_principal.user_id if optional_principal else None)


RANGE = {"codes": {422: ["invalid_range"]}}  # since after until, or a range past MAX_RANGE_DAYS


class DashboardController(Controller):
    """Dashboards: an event's for its author, the platform's for admins; CSV of each."""

    path = "/analytics"

    @get("/events/{event_id:int}/dashboard", operation_id="get_event_dashboard", opt=RANGE,
         summary="An event's views, unique viewers, joins, leaves, waitlist and conversion, by day")
    async def get_event_dashboard(self, event_id: FromPath[int], principal: NamedDependency[Principal],
                                  since: FromQuery[date | None] = None,
                                  until: FromQuery[date | None] = None) -> EventDashboardRead:
        """Only the event's author (or an analytics viewer)."""
        await dashboards.check_event_access(event_id, principal.user_id, principal.has(VIEW))
        return await dashboards.event_dashboard(event_id, *dashboards.date_range(since, until))

    @get("/events/{event_id:int}/dashboard.csv", operation_id="export_event_dashboard", opt=RANGE, media_type=CSV,
         summary="An event's daily figures as CSV (streamed)")
    async def export_event_dashboard(self, event_id: FromPath[int], principal: NamedDependency[Principal],
                                     since: FromQuery[date | None] = None,
                                     until: FromQuery[date | None] = None) -> Stream:
        """CSV of the event's daily rollup."""
        await dashboards.check_event_access(event_id, principal.user_id, principal.has(VIEW))
        return _csv(dashboards.event_csv(event_id, *dashboards.date_range(since, until)), f"event-{event_id}.csv")

    @get("/platform/dashboard", operation_id="get_platform_dashboard", opt=RANGE, guards=[requires(VIEW)],
         summary="Daily active users, new events, joins and moderation throughput, by day")
    async def get_platform_dashboard(self, since: FromQuery[date | None] = None,
                                     until: FromQuery[date | None] = None) -> PlatformDashboardRead:
        """The admins' dashboard."""
        return await dashboards.platform_dashboard(*dashboards.date_range(since, until))

    @get("/platform/dashboard.csv", operation_id="export_platform_dashboard", opt=RANGE, guards=[requires(VIEW)],
         media_type=CSV,
         summary="The platform's daily figures as CSV (streamed)")
    async def export_platform_dashboard(self, since: FromQuery[date | None] = None,
                                        until: FromQuery[date | None] = None) -> Stream:
        """CSV of the platform's daily rollup."""
        return _csv(dashboards.platform_csv(*dashboards.date_range(since, until)), "platform.csv")


class ExperimentController(Controller):
    """A/B experiments: defined by the product team, assigned and converted by the app."""

    path = "/analytics/experiments"

    @get(operation_id="list_experiments", guards=[requires(MANAGE)])
    async def list_experiments(self) -> list[ExperimentRead]:
        """Every experiment, newest first."""
        return await experiments.list_all()

    @post(operation_id="create_experiment", guards=[requires(MANAGE)])
    async def create_experiment(self, data: JSONBody[ExperimentCreate],
                                principal: NamedDependency[Principal]) -> ExperimentRead:
        """Define an experiment (a draft until started)."""
        return await experiments.create(data, principal.user_id)

    @get("/{key:str}", operation_id="get_experiment", guards=[requires(MANAGE)])
    async def get_experiment(self, key: FromPath[str]) -> ExperimentRead:
        """One experiment."""
        return await experiments.get(key)

    @patch("/{key:str}", operation_id="update_experiment", guards=[requires(MANAGE)],
           summary="Edit a draft, or move it: draft → running → stopped")
    async def update_experiment(self, key: FromPath[str], data: JSONBody[ExperimentUpdate],
                                principal: NamedDependency[Principal]) -> ExperimentRead:
        """Edit or start/stop an experiment."""
        return await experiments.update(key, data, principal.user_id)

    @post("/{key:str}/assignment", operation_id="create_assignment", status_code=200,
          summary="The variant this user (or device) sees; records the exposure")
    async def create_assignment(self, key: FromPath[str], data: JSONBody[SubjectIn],
                                optional_principal: NamedDependency[Principal | None]) -> AssignmentRead:
        """Deterministic assignment: the same subject always gets the same variant."""
        return await experiments.expose(key, _subject(optional_principal, data))

    @post("/{key:str}/conversions", operation_id="create_conversion", status_code=200,
          summary="Record that this user (or device) reached the experiment's goal")
    async def create_conversion(self, key: FromPath[str], data: JSONBody[SubjectIn],
                                optional_principal: NamedDependency[Principal | None]) -> ConversionRead:
        """Record a conversion (once per subject)."""
        return await experiments.convert(key, _subject(optional_principal, data))

    @get("/{key:str}/results", operation_id="get_experiment_results", guards=[requires(MANAGE)])
    async def get_experiment_results(self, key: FromPath[str]) -> ExperimentResults:
        """Counts, conversion per variant and significance."""
        return await experiments.results(key)

    @get("/{key:str}/results.csv", operation_id="export_experiment_results", guards=[requires(MANAGE)],
         media_type=CSV)
    async def export_experiment_results(self, key: FromPath[str]) -> Stream:
        """Results as CSV."""
        res = await experiments.results(key)
        cols = ("variant", "exposures", "conversions", "conversion_rate", "z", "p_value")
        return _csv(dashboards.rows_csv(cols, to_builtins(res.variants)), f"experiment-{key}.csv")


class IdeaController(Controller):
    """The RICE board of feature ideas."""

    path = "/analytics/ideas"
    guards = [requires(MANAGE)]

    @get(operation_id="list_ideas", summary="Ideas by RICE score, best first")
    async def list_ideas(self, status: FromQuery[str | None] = None, cursor: FromQuery[str | None] = None,
                         limit: Limit = 50) -> Page[IdeaRead]:
        """The board."""
        return await rice.list_ideas(status=status, cursor=cursor, limit=limit)

    @post(operation_id="create_idea")
    async def create_idea(self, data: JSONBody[IdeaCreate], principal: NamedDependency[Principal]) -> IdeaRead:
        """Add an idea."""
        return await rice.create_idea(data, principal.user_id)

    @get("/{idea_id:int}", operation_id="get_idea")
    async def get_idea(self, idea_id: FromPath[int]) -> IdeaRead:
        """One idea."""
        return await rice.get_idea(idea_id)

    @patch("/{idea_id:int}", operation_id="update_idea")
    async def update_idea(self, idea_id: FromPath[int], data: JSONBody[IdeaUpdate],
                          principal: NamedDependency[Principal]) -> IdeaRead:
        """Change an idea (its score follows)."""
        return await rice.update_idea(idea_id, data, principal.user_id)

    @delete("/{idea_id:int}", operation_id="delete_idea")
    async def delete_idea(self, idea_id: FromPath[int], principal: NamedDependency[Principal]) -> None:
        """Remove an idea."""
        await rice.delete_idea(idea_id, principal.user_id)

    @get("/export.csv", operation_id="export_ideas", summary="The board as CSV (streamed)", media_type=CSV)
    async def export_ideas(self) -> Stream:
        """CSV of every idea, best first."""
        cols = ("id", "title", "reach", "impact", "confidence", "effort", "score", "status")
        return _csv(dashboards.rows_csv(cols, to_builtins(await rice.all_ideas())), "rice.csv")

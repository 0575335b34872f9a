"""Admin panel contributions, the user's export and erasure, and a disabled plugin leaving nothing behind."""

from __future__ import annotations

from typing import Any

import pytest

from core import db, hooks
from core.admin import AdminPage, AdminQuery, DashboardWidget
from core.hooks import hookspecs as core_specs
from plugins.analytics import experiments, ingest, privacy, rollups
from plugins.analytics.admin import contributions
from plugins.analytics.schemas import ExperimentCreate, ExperimentUpdate, Variant
from plugins.analytics.tables import Exposure
from plugins.events import hookspecs as events_specs

from .conftest import client_event, info


async def test_admin_contributions_load_real_figures(api: Any, make_user: Any, auth_headers: Any,
                                                     clock: Any) -> None:
    clock.freeze()
    h = await auth_headers(await make_user(roles=["admin"]))
    await api.post("/api/v1/analytics/ideas", json={"title": "Maps", "reach": 10, "impact": 2, "confidence": 50,
                                                    "effort": 1}, headers=h)
    await hooks.notify(events_specs.participant_joined, event=info(1, 2), user_id=3, guests=0, status="confirmed")
    await rollups.refresh()
    items = {getattr(c, "slug", getattr(c, "name", "")): c for c in contributions()}
    assert {"platform", "daily", "ideas", "experiments"} <= set(items)
    widget = items["platform"]
    assert isinstance(widget, DashboardWidget) and widget.permission == "analytics.view"
    stats = {s.label: s.value for s in await widget.load()}
    assert stats["Active users today"] == 1 and stats["Joins (7 days)"] == 1
    ideas = items["ideas"]
    assert isinstance(ideas, AdminPage) and ideas.permission == "analytics.manage"
    page = await ideas.load(AdminQuery(filters={}))
    assert [(r["title"], r["score"]) for r in page.items] == [("Maps", 10.0)]
    assert (await ideas.load(AdminQuery(filters={"status": "done"}))).items == []
    daily = await items["daily"].load(AdminQuery(filters={}))  # type: ignore[union-attr]
    assert daily.items[0]["joins"] == 1


async def test_export_and_erasure_of_a_user(api: Any, make_user: Any, auth_headers: Any) -> None:
    user = await make_user()
    h = await auth_headers(user)
    await api.post("/api/v1/analytics/events", json={"events": [client_event(event_id=4)]}, headers=h)
    await ingest.consume()
    await hooks.notify(events_specs.participant_joined, event=info(4, 2), user_id=user.id, guests=0, status="confirmed")
    await rollups.refresh()
    exported = await hooks.call(core_specs.user_data_export, user_id=user.id)
    mine = next(x["analytics"] for x in exported if "analytics" in x)  # type: ignore[union-attr]
    assert (mine["client_events"], mine["facts"]) == (1, 1)

    await hooks.call(core_specs.user_erasure, user_id=user.id)
    await hooks.call(core_specs.user_erasure, user_id=user.id)  # idempotent
    assert await db.fetch("SELECT 1 FROM analytics.client_event WHERE user_id = $1", user.id) == []
    assert await db.fetch("SELECT 1 FROM analytics.event_viewer WHERE viewer = $1", f"u:{user.id}") == []
    assert await db.fetch("SELECT 1 FROM analytics.active_actor WHERE actor = $1", f"u:{user.id}") == []
    # The figures do not change.
    assert await rollups.event_unique_viewers(4) == 1
    rows = await db.fetch("SELECT views, joins FROM analytics.event_daily WHERE event_id = 4")
    assert rows == [{"views": 1, "joins": 1}]


async def test_export_lists_exposures_and_erasure_joins_the_deletion_transaction(api: Any, make_user: Any) -> None:
    user, admin = await make_user(), await make_user(roles=["admin"])
    subject = f"u:{user.id}"
    await experiments.create(ExperimentCreate(key="copy", name="Copy", variants=[Variant("a", 1), Variant("b", 1)],
                                              goal="join"), admin.id)
    await experiments.update("copy", ExperimentUpdate(status="running"), admin.id)
    shown = await experiments.expose("copy", subject)
    await hooks.notify(events_specs.participant_joined, event=info(4, 2), user_id=user.id, guests=0, status="confirmed")
    mine = (await privacy.export(user.id))["analytics"]
    assert (mine["client_events"], mine["facts"]) == (0, 1)
    assert [(x["experiment"], x["variant"]) for x in mine["experiments"]] == [("copy", shown.variant)]
    assert mine["experiments"][0]["converted_at"] is not None  # the join converted the "join" goal

    # Given another plugin refuses the deletion, When analytics has erased inside its transaction, Then nothing changed.
    with pytest.raises(RuntimeError, match="refused"):
        async with Exposure._meta.db.transaction():
            await hooks.call(core_specs.user_erasure, user_id=user.id)
            raise RuntimeError("refused")
    assert (await privacy.export(user.id))["analytics"] == mine

    await hooks.call(core_specs.user_erasure, user_id=user.id)
    assert (await privacy.export(user.id))["analytics"] == {"client_events": 0, "facts": 0, "experiments": []}
    anonymous = await db.fetch("SELECT subject FROM analytics.exposure")
    assert len(anonymous) == 1 and anonymous[0]["subject"].startswith("x:")
    results = await experiments.results("copy")  # the experiment's figures do not change
    assert [(v.exposures, v.conversions) for v in results.variants if v.variant == shown.variant] == [(1, 1)]


async def test_disabled_analytics_leaves_no_route(make_client: Any) -> None:
    client = await make_client(["events"])
    r = await client.post("/api/v1/analytics/events", json={"device_id": "device-0001", "events": [client_event()]})
    assert r.status_code == 404
    schema = (await client.get("/schema/openapi.json")).json()
    assert not any(p.startswith("/api/v1/analytics") for p in schema["paths"])

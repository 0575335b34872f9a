"""Support's ticket events counted per day (optional hooks: analytics does not depend on support)."""

from __future__ import annotations

from typing import Any

from core.errors import Conflict
from plugins.analytics import dashboards, rollups
from plugins.analytics.tables import Fact

PLUGINS = ["events", "analytics", "support"]


async def test_ticket_opened_replied_and_resolved_are_counted_per_day(make_client: Any, make_user: Any,
                                                                       auth_headers: Any, clock: Any) -> None:
    from core.users import services as users

    api = await make_client(PLUGINS)
    try:
        await users.create_role("analytics_agent", "Support agent", ["support.answer"], None)
    except Conflict:
        pass
    ada, agent, boss = await make_user(), await make_user(roles=["analytics_agent"]), await make_user(roles=["admin"])
    ada_h, agent_h = await auth_headers(ada), await auth_headers(agent)
    r = await api.post("/api/v1/support/tickets", json={"category": "account", "subject": "Locked out",
                                                        "body": "Help"}, headers=ada_h)
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    r = await api.post(f"/api/v1/support/desk/tickets/{tid}/messages", json={"body": "A note", "internal": True},
                       headers=agent_h)
    assert r.status_code == 201, r.text  # an internal note is not a reply
    r = await api.post(f"/api/v1/support/desk/tickets/{tid}/messages", json={"body": "Try again"}, headers=agent_h)
    assert r.status_code == 201, r.text
    r = await api.post(f"/api/v1/support/tickets/{tid}/resolve", headers=ada_h)
    assert r.status_code == 200, r.text

    facts = await Fact.select(Fact.kind, Fact.user_id, Fact.event_id).order_by(Fact.id)
    assert facts == [{"kind": "ticket_opened", "user_id": ada.id, "event_id": None},
                     {"kind": "ticket_replied", "user_id": agent.id, "event_id": None},
                     {"kind": "ticket_resolved", "user_id": ada.id, "event_id": None}]
    await rollups.refresh()
    today = clock.now().date()
    board = await dashboards.platform_dashboard(today, today)
    (day,) = board.days
    assert (day.tickets_opened, day.tickets_replied, day.tickets_resolved) == (1, 1, 1)
    assert (board.tickets_opened, board.tickets_resolved) == (1, 1)
    assert day.moderation_decisions == 0 and day.events_submitted == 0  # ticket facts count nowhere else
    r = await api.get("/api/v1/analytics/platform/dashboard", headers=await auth_headers(boss))
    assert r.status_code == 200 and r.json()["tickets_opened"] == 1, r.text


async def test_analytics_loads_and_counts_nothing_without_support(make_app: Any) -> None:
    from core.hooks.manager import PluginsFile, build

    make_app(["events", "analytics"])  # the optional hooks need no spec
    for enabled, with_spec in ((["events", "analytics"], False), (["events", "analytics", "support"], True)):
        caller = build(PluginsFile(enabled=enabled)).pm.hook.ticket_opened
        assert "analytics" in [i.plugin_name for i in caller.get_hookimpls()]
        assert (caller.spec is not None) is with_spec

"""Search's query log reaches analytics (optional hook: analytics does not depend on search) and is counted per day."""

from __future__ import annotations

from typing import Any

from plugins.analytics import dashboards, rollups
from plugins.analytics.tables import Fact
from plugins.events.testing import make_published_event  # noqa: F401  (fixture)
from plugins.search import indexer, querylog
from plugins.search.tables import QueryLog

PLUGINS = ["events", "search", "analytics"]


async def _search(api: Any, *queries: str) -> None:
    for q in queries:
        r = await api.get("/api/v1/search/events", params={"q": q})
        assert r.status_code == 200, r.text


async def test_every_search_is_an_anonymised_fact_counted_per_day(make_client: Any, make_published_event: Any,  # noqa: F811
                                                                   make_user: Any, auth_headers: Any,
                                                                   clock: Any) -> None:
    api = await make_client(PLUGINS)
    await make_published_event(title="Chess night", tags=["chess"])
    await indexer.apply(budget_s=30)
    await _search(api, "Chess", "opera!", "chess")
    r = await api.get("/api/v1/search/events", params={"q": "chess", "limit": 1, "sort": "date"})
    assert r.status_code == 200 and r.json()["found"] == 1
    assert await querylog.flush() == 4  # what the job does a second later (and the app at shutdown)

    facts = await Fact.select(Fact.query, Fact.results, Fact.user_id, Fact.event_id, Fact.author_id).where(
        Fact.kind == "searched").order_by(Fact.id)
    assert facts == [{"query": q, "results": n, "user_id": None, "event_id": None, "author_id": None}
                     for q, n in (("chess", 1), ("opera", 0), ("chess", 1), ("chess", 1))]
    assert await QueryLog.count() == 4  # search's own log (the panel's top queries) is written in the same transaction
    await rollups.refresh()
    today = clock.now().date()
    board = await dashboards.platform_dashboard(today, today)
    (day,) = board.days
    assert (day.searches, day.searches_no_results) == (4, 1) == (board.searches, board.searches_no_results)
    assert day.active_users == 2  # the organiser and the moderator: a search (anonymised) makes nobody active
    r = await api.get("/api/v1/analytics/platform/dashboard", headers=await auth_headers(await make_user(
        roles=["admin"])))
    assert r.status_code == 200, r.text
    assert (r.json()["searches"], r.json()["days"][0]["searches_no_results"]) == (4, 1)


async def test_search_logs_without_analytics_and_analytics_loads_without_search(make_client: Any, make_app: Any,
                                                                                make_published_event: Any,  # noqa: F811
                                                                                ) -> None:
    from core.hooks.manager import PluginsFile, build

    api = await make_client(["events", "search"])  # analytics disabled: nobody implements the hook
    await make_published_event(title="Chess night", tags=["chess"])
    await indexer.apply(budget_s=30)
    await _search(api, "chess", "opera")
    assert await querylog.flush() == 2
    assert await QueryLog.count() == 2 and await Fact.count().where(Fact.kind == "searched") == 0
    make_app(["events", "analytics"])  # search disabled: analytics' optional implementation needs no spec
    for enabled, with_spec in ((["events", "analytics"], False), (PLUGINS, True)):
        caller = build(PluginsFile(enabled=enabled)).pm.hook.search_queries_logged
        assert "analytics" in [i.plugin_name for i in caller.get_hookimpls()]
        assert (caller.spec is not None) is with_spec

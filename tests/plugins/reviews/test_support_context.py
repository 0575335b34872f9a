"""reviews answers support's ``user_context_for_support`` (optional hook): review reports made and received."""

from __future__ import annotations

from typing import Any

from core import hooks
from core.hooks.manager import PluginsFile, build
from plugins.reviews import moderation, plugin

from .conftest import PLUGINS, SETTINGS, write


async def test_agents_see_review_reports_made_and_received(make_client: Any, finished: Any, person: Any) -> None:
    from plugins.support import hookspecs

    api = await make_client([*PLUGINS, "support"], settings=SETTINGS)
    scene = await finished(attendees=2)
    ann, bob = scene.attendees
    r = await write(api, ann, scene.event.id, rating=2, text="Too loud, started late")
    assert r.status_code == 201, r.text
    first = r.json()["id"]
    second = (await write(api, bob, scene.event.id, rating=5)).json()["id"]
    for who, rid, reason in ((bob, first, "not there"), (scene.organiser, first, ""), (ann, second, "fake")):
        r = await api.post(f"/api/v1/reviews/{rid}/report", headers=who.headers, json={"reason": reason})
        assert r.status_code == 204, r.text
    await moderation.approve(second, (await person("moderator")).id)  # ann's report of bob's review is resolved

    # An agent without reviews.moderate: counts, dates and reasons, no links
    section = await plugin.user_context_for_support(user_id=ann.id, permissions=frozenset({"support.answer"}))
    rows = section["rows"]
    assert section["title"] == "Review reports"
    assert rows[0] == {"label": "Reports made", "value": "1 (0 open)"}
    assert rows[1]["label"].startswith(f"made: review #{second} resolved") and rows[1]["value"] == "fake"
    assert rows[2] == {"label": "Reports received", "value": "2 (2 open)"}
    assert [r["value"] for r in rows[3:]] == ["(no reason)", "not there"]  # newest first
    assert not any("url" in r for r in rows)

    # A moderator gets links to the queue; the collector support calls includes the section
    linked = await plugin.user_context_for_support(user_id=ann.id, permissions=frozenset({"reviews.moderate"}))
    assert linked["rows"][2]["url"] == "/admin/moderation/reviews.queue"
    assert linked["rows"][3]["url"] == f"/admin/moderation/reviews.queue/{first}"
    sections = await hooks.call(hookspecs.user_context_for_support, user_id=bob.id, permissions=frozenset({"*"}))
    mine = next(s for s in sections if s and s["title"] == "Review reports")
    assert mine["rows"][0]["value"] == "1 (1 open)" and mine["rows"][2]["value"] == "1 (0 open)"


async def test_reviews_loads_without_support(make_app: Any) -> None:
    make_app(["events", "reviews"])  # the optional hook needs no spec
    caller = build(PluginsFile(enabled=["events", "reviews"])).pm.hook.user_context_for_support
    assert "reviews" in [i.plugin_name for i in caller.get_hookimpls()] and caller.spec is None

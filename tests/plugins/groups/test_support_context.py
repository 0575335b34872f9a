"""groups answers support's ``user_context_for_support`` (optional hook): chat reports made and received."""

from __future__ import annotations

from typing import Any

from core import hooks
from core.hooks.manager import PluginsFile, build
from plugins.groups import plugin
from plugins.groups.chat import services
from tests.plugins.groups.chat_support import Rooms, rooms_fixture  # noqa: F401  (the fixture `rooms`)


async def test_agents_see_chat_reports_made_and_received(make_user: Any, rooms: Rooms) -> None:
    from plugins.support import hookspecs

    ann, bob, cat = await make_user(), await make_user(), await make_user()
    for user in (ann, bob, cat):
        rooms.join(user.id, 3)
    rude = await services.post("chat", "3", ann.id, "rude words")
    fine = await services.post("chat", "3", bob.id, "fine words")
    by_bob = await services.report(rude.id, bob.id, "insult")
    by_cat = await services.report(rude.id, cat.id, "")
    by_ann = await services.report(fine.id, ann.id, "spam")
    await services.dismiss(by_ann.id, cat.id, "harmless")

    # An agent without groups.moderate: counts, statuses and reasons, no links, never the messages
    section = await plugin.user_context_for_support(user_id=ann.id, permissions=frozenset({"support.answer"}))
    rows = section["rows"]
    assert section["title"] == "Chat reports"
    assert rows[0] == {"label": "Reports made", "value": "1 (0 open)"}
    assert rows[1]["label"].startswith(f"made: report #{by_ann.id} dismissed") and rows[1]["value"] == "spam"
    assert rows[2] == {"label": "Reports received", "value": "2 (2 open)"}
    assert [r["value"] for r in rows[3:]] == ["(no reason)", "insult"]  # newest first
    assert f"#{by_cat.id} open" in rows[3]["label"] and f"#{by_bob.id} open" in rows[4]["label"]
    assert not any("url" in r for r in rows) and "rude words" not in str(rows)

    # A moderator gets links into the queue; the collector support calls includes the section
    linked = await plugin.user_context_for_support(user_id=ann.id, permissions=frozenset({"groups.moderate"}))
    assert linked["rows"][2]["url"] == "/admin/moderation/groups.chat_reports"
    assert linked["rows"][3]["url"] == f"/admin/moderation/groups.chat_reports/{by_cat.id}"
    sections = await hooks.call(hookspecs.user_context_for_support, user_id=bob.id, permissions=frozenset({"*"}))
    mine = next(s for s in sections if s and s["title"] == "Chat reports")
    assert mine["rows"][0]["value"] == "1 (1 open)" and mine["rows"][2]["value"] == "1 (0 open)"


async def test_groups_loads_without_support(make_app: Any) -> None:
    make_app(["events", "groups"])  # the optional hook needs no spec
    caller = build(PluginsFile(enabled=["events", "groups"])).pm.hook.user_context_for_support
    assert "groups" in [i.plugin_name for i in caller.get_hookimpls()] and caller.spec is None

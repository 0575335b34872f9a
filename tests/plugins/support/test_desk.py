"""The agents' side: working-hours SLA, round-robin among online agents, warnings, real time, optional hooks."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from core import cache, realtime
from core.admin import AdminQuery
from core.errors import ConfigError
from core.hooks.manager import PluginsFile, build
from plugins.support import SupportSettings, agents, desk, inbox, jobs, rooms, sla
from tests.plugins.support.conftest import AGENT_ROLE, kinds_sent

pytestmark = pytest.mark.asyncio(loop_scope="session")
T = "/api/v1/support/tickets"
DESK = "/api/v1/support/desk/tickets"
CAL = sla.calendar(SupportSettings(timezone="Europe/Moscow", holidays=[date(2027, 1, 1)]))


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=CAL.tz).astimezone(UTC)


async def test_due_times_count_working_hours_only() -> None:
    friday_evening = msk(2026, 12, 4, 17, 0)  # one working hour left on Friday
    assert sla.add_working(friday_evening, 2, CAL) == msk(2026, 12, 7, 10, 0)  # Monday 10:00
    assert sla.add_working(msk(2026, 12, 5, 12, 0), 1, CAL) == msk(2026, 12, 7, 10, 0)  # from Saturday
    assert sla.add_working(msk(2026, 12, 31, 17, 30), 1, CAL) == msk(2027, 1, 4, 9, 30)  # the holiday is skipped
    assert sla.working_seconds(friday_evening, msk(2026, 12, 7, 9, 30), CAL) == 5400
    assert sla.working_seconds(msk(2026, 12, 7, 10), msk(2026, 12, 7, 9), CAL) == 0
    rules = SupportSettings()
    assert sla.rule_for("safety", "low", rules).first_response_h == 1
    assert sla.rule_for("bug", "high", rules).resolution_h == 16
    assert sla.rule_for("bug", "low", rules).resolution_h == 40
    never = sla.calendar(SupportSettings(working_days=[]))
    assert sla.add_working(friday_evening, 3, never) == friday_evening + timedelta(hours=3)


async def test_round_robin_among_online_agents(api, person, open_ticket) -> None:
    ada = await person()
    first = await open_ticket(ada)
    assert (await api.get(f"/api/v1/support/tickets/{first['id']}", headers=ada.headers)).json()["agents_online"] \
        is False
    a1, a2 = await person(AGENT_ROLE), await person(AGENT_ROLE)
    for a in (a1, a2):
        assert (await api.post("/api/v1/support/desk/heartbeat", headers=a.headers)).status_code == 204
    picks = [await agents.next_in_turn() for _ in range(4)]
    assert sorted(picks[:2]) == sorted([a1.id, a2.id]) and picks[:2] == picks[2:]
    t = await open_ticket(ada)
    from plugins.support.store import load

    assert (await load(t["id"]))["assignee"] in (a1.id, a2.id) and t["agents_online"] is True
    # Demoted: skipped and marked inactive
    from core.users import services as users

    await users.revoke_role(a1.id, AGENT_ROLE)
    assert {await agents.next_in_turn() for _ in range(3)} == {a2.id}


async def test_assign_transfer_priority_and_warnings(api, person, open_ticket, clock) -> None:
    ada, a1, a2, plain = await person(), await person(AGENT_ROLE), await person(AGENT_ROLE), await person()
    tid = (await open_ticket(ada))["id"]
    row = await desk.assign(tid, a1.id, a1.id)
    assert row["status"] == "open" and row["assignee"] == a1.id
    with pytest.raises(Exception) as refused:
        await desk.assign(tid, plain.id, a1.id)
    assert getattr(refused.value, "code", "") == "not_an_agent"
    await desk.assign(tid, a2.id, a1.id, "Knows payments")
    assert "support.assigned" in await kinds_sent(a2.id)
    notes = (await api.get(f"{DESK}/{tid}/messages", headers=a1.headers)).json()["items"]
    assert any(m["kind"] == "system" and "Knows payments" in m["body"] for m in notes)
    row = await desk.set_priority(tid, "urgent", a2.id)
    assert row["first_response_due"] <= row["resolution_due"]
    clock.freeze(row["due_at"] - timedelta(minutes=30))
    breaching = await inbox.load_tickets(AdminQuery({"queue": "breaching"}, staff_id=a2.id))
    assert [r["id"] for r in breaching.items] == [tid] and breaching.items[0]["sla"] == "due"
    assert (await inbox.load_tickets(AdminQuery({"queue": "mine"}, staff_id=a2.id))).items[0]["id"] == tid
    assert await jobs.warn_due() == 1
    assert await jobs.warn_due() == 0  # once per due time
    assert "support.sla_warning" in await kinds_sent(a2.id)


async def test_messages_reach_the_room_live_and_notes_stay_with_agents(api, person, open_ticket) -> None:
    ada, agent = await person(), await person(AGENT_ROLE)
    tid = (await open_ticket(ada))["id"]
    assert await rooms.may_join_ticket(ada.id, str(tid)) and await rooms.may_join_ticket(agent.id, str(tid))
    assert not await rooms.may_join_notes(ada.id, str(tid)) and await rooms.may_join_notes(agent.id, str(tid))
    stranger = await person()
    assert not await rooms.may_join_ticket(stranger.id, str(tid)) and not await rooms.may_join_ticket(ada.id, "x")
    pubsub = cache.client().pubsub()
    await pubsub.subscribe(realtime.room_channel(f"support.ticket:{tid}"),
                           realtime.room_channel(f"support.notes:{tid}"))
    await pubsub.get_message(timeout=1)
    await pubsub.get_message(timeout=1)
    await api.post(f"{DESK}/{tid}/messages", json={"body": "secret", "internal": True}, headers=agent.headers)
    await api.post(f"{DESK}/{tid}/messages", json={"body": "Hello Ada"}, headers=agent.headers)
    assert (await api.post(f"{T}/{tid}/typing", headers=ada.headers)).status_code == 204
    assert (await api.post(f"{DESK}/{tid}/typing", headers=agent.headers)).status_code == 204
    seen: list[tuple[str, dict]] = []
    deadline = asyncio.get_running_loop().time() + 5
    while len(seen) < 5 and asyncio.get_running_loop().time() < deadline:
        m = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if m:
            frame = msgspec.json.decode(m["data"])
            seen.append((frame["room"].split(":")[0], frame["data"]))
    await pubsub.aclose()
    by_room = {(room, d["event"], (d.get("message") or {}).get("body")) for room, d in seen}
    assert ("support.notes", "message.created", "secret") in by_room
    assert ("support.ticket", "message.created", "Hello Ada") in by_room
    assert ("support.ticket", "ticket.updated", None) in by_room and ("support.ticket", "typing", None) in by_room
    typing = {(d["user_id"], d["from_agent"]) for room, d in seen if d["event"] == "typing"}
    assert typing == {(ada.id, False), (agent.id, True)}  # each side sees the other typing
    assert not any(room == "support.ticket" and (d.get("message") or {}).get("body") == "secret" for room, d in seen)


async def test_typing_is_rate_limited(api, person, open_ticket) -> None:
    ada = await person()
    tid = (await open_ticket(ada))["id"]
    codes = [(await api.post(f"{T}/{tid}/typing", headers=ada.headers)).status_code for _ in range(31)]
    assert codes[:30] == [204] * 30 and codes[30] == 429


async def test_optional_hooks_load_with_or_without_support() -> None:
    """events implements support's hooks with optionalhook: events alone, support alone, and both all load."""
    for enabled in (["events"], ["support"], ["events", "support"]):
        try:
            registry = build(PluginsFile(enabled=enabled))
        except ConfigError as exc:  # pragma: no cover - the failure this test guards against
            pytest.fail(f"{enabled}: {exc}")
        caller = getattr(registry.pm.hook, "ticket_subject_from_plugin", None)
        names = [i.plugin_name for i in caller.get_hookimpls()] if caller is not None else []
        assert ("events" in names) == ("events" in enabled)
        assert (caller is not None and caller.spec is not None) == ("support" in enabled)  # the spec is support's


async def test_the_user_context_shows_what_the_agent_may_see(person, open_ticket, published_event) -> None:
    from core.users import services as users
    from plugins.support import context

    ada, agent, lead = await person(), await person(AGENT_ROLE), await person("support_lead")
    await open_ticket(ada)
    with_users_view = await context.sections(ada.id, agent.id)
    titles = [s["title"] for s in with_users_view]
    assert titles[0] == "Account" and "Support tickets" in titles and "Events" in titles
    without = [s["title"] for s in await context.sections(ada.id, lead.id)]  # no users.view: no account section
    assert "Account" not in without and "Support tickets" in without
    await users.ban_user(ada.id, "spam", None)
    account = (await context.sections(ada.id, agent.id))[0]["rows"]
    assert {"label": "Ban", "value": "spam"} in account


async def test_screenshots_through_media_belong_to_the_ticket(person, open_ticket) -> None:
    """support answers media's target and visibility hooks for ``support.ticket`` (optional implementations)."""
    from types import SimpleNamespace

    from core.errors import NotFound
    from plugins.support import plugin

    ada, bob, agent = await person(), await person(), await person(AGENT_ROLE)
    tid = (await open_ticket(ada))["id"]
    assert await plugin.media_target_from_plugin(target="events.cover", target_id=1, user_id=ada.id) is None
    assert (await plugin.media_target_from_plugin(target="support.ticket", target_id=tid, user_id=ada.id))["private"]
    assert await plugin.media_target_from_plugin(target="support.ticket", target_id=0, user_id=bob.id) is not None
    with pytest.raises(NotFound):
        await plugin.media_target_from_plugin(target="support.ticket", target_id=tid, user_id=bob.id)
    shot = SimpleNamespace(target="support.ticket", target_id=tid)
    assert await plugin.media_visible_from_plugin(media=shot, user_id=ada.id) is True
    assert await plugin.media_visible_from_plugin(media=shot, user_id=agent.id) is True
    assert await plugin.media_visible_from_plugin(media=shot, user_id=bob.id) is False
    assert await plugin.media_visible_from_plugin(media=shot, user_id=None) is False
    assert await plugin.media_visible_from_plugin(media=SimpleNamespace(target="x", target_id=1), user_id=1) is None
    for opening in (0, None):  # uploaded while the ticket was being opened: the agents see it (media shows ada hers)
        early = SimpleNamespace(target="support.ticket", target_id=opening)
        assert await plugin.media_visible_from_plugin(media=early, user_id=agent.id) is True
        assert await plugin.media_visible_from_plugin(media=early, user_id=bob.id) is False

"""Every plugin's reportable types through the hook and the API; support's section, the data export and erasure."""

from __future__ import annotations

from typing import Any

import pytest

from core import hooks
from core.errors import ConfigError
from core.hooks import hookimpl
from core.hooks.manager import PluginsFile, build
from core.reports import plugin, services
from core.reports.registry import reportable_types
from core.reports.types import ReportableType, ReportAction

URL = "/api/v1/reports"


def test_the_hook_collects_every_plugins_types(sbor_database: Any) -> None:
    types = reportable_types(build(PluginsFile(enabled=["events", "groups", "media", "reviews"])))
    assert sorted(types) == ["events.event", "groups.group", "groups.message", "media.item", "reviews.review",
                             "users.user"]
    for kind in types.values():  # each does what the spec promises: visibility, author, a label
        assert kind.label and callable(kind.exists) and callable(kind.author_of)
    assert [a.name for a in types["reviews.review"].actions] == ["take_down", "remove"]
    assert types["groups.message"].hide is not None and types["groups.group"].hide is not None
    assert sorted(reportable_types(build(PluginsFile(enabled=[])))) == ["users.user"]  # a disabled plugin's go


def test_misnamed_or_twice_declared_types_stop_start_up(sbor_database: Any) -> None:
    async def nothing(*args: Any) -> Any:
        return None

    class Squatter:
        @hookimpl
        def register_reportable_types(self) -> list[ReportableType]:
            return [ReportableType(name="events.event", label="Mine", exists=nothing, author_of=nothing)]

    registry = build(PluginsFile(enabled=["events"]))
    registry.pm.register(Squatter(), name="squat")
    with pytest.raises(ConfigError, match="plugin 'squat': reportable type 'events.event' must be named"):
        reportable_types(registry)
    with pytest.raises(ValueError, match="a-z, 0-9"):
        ReportAction("dismiss", "Clash", nothing)
    with pytest.raises(ValueError, match="<plugin>.<thing>"):
        ReportableType(name="Events", label="x", exists=nothing, author_of=nothing)


async def test_a_group_is_reported_and_deleted_from_the_queue(make_client: Any, make_user: Any,
                                                              auth_headers: Any) -> None:
    api = await make_client(["events", "groups"])
    owner, member, outsider, moderator = [await make_user() for _ in range(3)] + [await make_user(roles=["admin"])]
    owner_h, member_h, outsider_h = [await auth_headers(u) for u in (owner, member, outsider)]
    public = await api.post("/api/v1/groups", headers=owner_h, json={"name": "Spam Club"})
    private = await api.post("/api/v1/groups", headers=owner_h, json={"name": "Inner circle", "visibility": "private"})
    assert public.status_code == 201 and private.status_code == 201, (public.text, private.text)
    r = await api.post(URL, headers=outsider_h, json={"target_type": "groups.group",
                                                      "target_id": private.json()["id"], "reason": "spam"})
    assert (r.status_code, r.json()["code"]) == (404, "target_not_found")  # a private group is 404 to outsiders
    r = await api.post(URL, headers=member_h, json={"target_type": "groups.group", "target_id": public.json()["id"],
                                                    "reason": "scam", "text": "Sells fake tickets"})
    assert r.status_code == 201, r.text
    (case,) = (await services.queue()).items
    assert case["author_id"] == owner.id and case["target"].startswith("Spam Club")
    await services.decide(case["id"], moderator.id, "remove", "Fake tickets")
    gone = await api.get(f"/api/v1/groups/by-slug/{public.json()['slug']}", headers=member_h)
    assert gone.status_code == 404


async def test_support_sees_reports_made_and_received_and_they_are_exported_and_erased(
        make_client: Any, make_user: Any, auth_headers: Any) -> None:
    from plugins.support import hookspecs

    api = await make_client(["support"])
    ann, bob, staff = await make_user(), await make_user(), await make_user(roles=["admin"])
    await services.file(ann.id, "users.user", bob.id, "harassment", "He insults me")
    (case,) = (await services.queue()).items
    await services.decide(case["id"], staff.id, "uphold")
    await services.file(bob.id, "users.user", ann.id, "spam", "Revenge")

    section = await plugin.user_context_for_support(user_id=bob.id, permissions=frozenset({"support.answer"}))
    assert section["title"] == "Reports"
    assert section["rows"][0] == {"label": "Reports made", "value": "1 (1 open)"}
    assert section["rows"][1] == {"label": "Reported content", "value": "1 (0 open, 1 upheld)"}
    assert not any("url" in r for r in section["rows"]) and "insults" not in str(section)
    linked = await plugin.user_context_for_support(user_id=ann.id, permissions=frozenset({"reports.moderate"}))
    assert linked["rows"][1]["url"] == "/admin/p/reports/queue"
    sections = await hooks.call(hookspecs.user_context_for_support, user_id=ann.id, permissions=frozenset({"*"}))
    assert any(s and s["title"] == "Reports" for s in sections)

    exported = (await api.get("/api/v1/me/export", headers=await auth_headers(ann))).json()
    assert [(r["target_id"], r["text"], r["status"]) for r in exported["plugins"]["reports"]] == [
        (bob.id, "He insults me", "upheld")]
    r = await api.request("DELETE", "/api/v1/me", headers=await auth_headers(ann), json={})
    assert r.status_code == 204, r.text  # the account is gone: so is what it wrote in its reports
    assert [r["text"] for r in await services.export_user(ann.id)] == [""]


def test_reports_loads_without_support(sbor_database: Any) -> None:
    caller = build(PluginsFile(enabled=[])).pm.hook.user_context_for_support
    assert "reports" in [i.plugin_name for i in caller.get_hookimpls()] and caller.spec is None

"""A group hidden by reports: 404 to all but its active members and staff, out of search and listings; a dismissal
shows it again (``groups.group``'s hide/unhide in core's report queue)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core import db
from core.errors import NotFound
from core.reports import services as reports
from plugins.groups import api as groups_api
from plugins.groups import services
from plugins.groups.accounts import group_access
from plugins.search.documents import group_doc
from tests.plugins.groups.conftest import GROUPS


async def _listed(api: httpx.AsyncClient, group_id: int) -> bool:
    r = await api.get(f"{GROUPS}/", params={"q": "lighthouse", "limit": 50})
    assert r.status_code == 200, r.text
    return group_id in [g["id"] for g in r.json()["items"]]


async def test_reports_hide_a_group_from_all_but_members_and_staff_until_dismissed(
        api: httpx.AsyncClient, person: Any, make_group: Any, add_member: Any, platform_moderator: Any,
        make_user: Any) -> None:
    group = await make_group(name="Lighthouse keepers", description="Lighthouse walks")
    member, stranger = await person(), await person()
    await add_member(group, member)
    staff = await platform_moderator()
    page = f"{GROUPS}/by-slug/{group['slug']}"
    assert await _listed(api, group["id"])

    for _ in range(3):  # the default threshold
        await reports.file((await make_user()).id, "groups.group", group["id"], "scam", "Sells fake tickets")

    case = await reports.open_case_of("groups.group", group["id"])
    assert case is not None and case["hidden"]
    for headers in ({}, stranger.headers):
        r = await api.get(page, headers=headers)
        assert r.status_code == 404 and r.json()["code"] == "group_not_found", r.text
        assert (await api.get(f"{GROUPS}/{group['id']}/events", headers=headers)).status_code == 404
        assert (await api.get(f"{GROUPS}/{group['id']}/members", headers=headers)).status_code == 404
    r = await api.post(f"{GROUPS}/{group['id']}/join", headers=stranger.headers)
    assert r.status_code == 404 and r.json()["code"] == "group_not_found"
    assert (await api.post(f"{GROUPS}/{group['id']}/follow", headers=stranger.headers)).status_code == 404
    for who in (member, group["owner"], staff):  # members keep using it; staff decide
        assert (await api.get(page, headers=who.headers)).status_code == 200
    mine = await api.get(f"{GROUPS}/mine", headers=member.headers)
    assert group["id"] in [g["id"] for g in mine.json()["items"]]
    assert not await _listed(api, group["id"])
    assert not await groups_api.can_see(group["id"], stranger.id) and await groups_api.can_see(group["id"], member.id)
    assert (await groups_api.get_group(group["id"])).hidden
    # its name is not shown on its events' pages to outsiders
    assert await group_access(group["id"], stranger.id) is None
    assert (await group_access(group["id"], member.id)) is not None
    # a fourth person cannot see it, so cannot report it either
    with pytest.raises(NotFound) as gone:
        await reports.file((await make_user()).id, "groups.group", group["id"], "spam", "")
    assert gone.value.code == "target_not_found"

    await reports.decide(case["id"], staff.id, "dismiss", "A real club")

    assert (await api.get(page, headers=stranger.headers)).status_code == 200
    assert await _listed(api, group["id"])
    audit = await db.fetch("SELECT action, actor_id FROM users.audit_entry WHERE object_type = 'group' "
                           "AND object_id = $1 ORDER BY id", str(group["id"]))
    assert [(a["action"], a["actor_id"]) for a in audit][-2:] == [("group.hide", None), ("group.unhide", staff.id)]


async def test_hiding_is_idempotent_and_private_groups_stay_private(person: Any, make_group: Any,
                                                                    add_member: Any) -> None:
    group = await make_group(visibility="private")
    assert await services.set_hidden(group["id"], True) is True
    assert await services.set_hidden(group["id"], True) is False
    assert await services.set_hidden(group["id"], False) is True
    assert await services.set_hidden(group["id"], False) is False
    assert not await groups_api.can_see(group["id"], (await person()).id)  # shown again, still private


def test_search_drops_a_hidden_group() -> None:
    doc = {"id": 1, "name": "Lighthouse keepers", "description": "", "visibility": "public", "tags": [],
           "city": "", "latitude": None, "longitude": None, "member_count": 1, "deleted": False}
    assert group_doc(doc) is not None
    assert group_doc({**doc, "hidden": True}) is None

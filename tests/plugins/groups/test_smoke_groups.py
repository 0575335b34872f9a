"""A first pass over the groups API: create, page, join, members."""

from __future__ import annotations

from typing import Any

import httpx

from tests.plugins.groups.conftest import GROUPS


async def test_create_page_join(api: httpx.AsyncClient, person: Any, make_group: Any, add_member: Any) -> None:
    owner = await person()
    group = await make_group(owner, name="Шахматы по пятницам")
    assert group["slug"] == "shakhmaty-po-pyatnitsam"
    assert group["my_role"] == "owner" and group["member_count"] == 1
    joiner = await person()
    r = await api.post(f"{GROUPS}/{group['id']}/join", headers=joiner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "active"
    mod = await person()
    await add_member(group, mod, role="moderator")
    r = await api.get(f"{GROUPS}/by-slug/{group['slug']}", headers=joiner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["member_count"] == 3 and r.json()["my_role"] == "member"
    r = await api.get(f"{GROUPS}/{group['id']}/members")
    assert r.status_code == 200, r.text
    assert [m["role"] for m in r.json()["items"]] == ["owner", "member", "moderator"]

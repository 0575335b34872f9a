"""The permission matrix: anonymous, user, member, group moderator, owner, platform moderator, by each operation.

On a private, request-only group with one pending request (``R``) and one plain member (``T``).
"""

from __future__ import annotations

from typing import Any

import httpx

from core import db
from tests.plugins.groups.conftest import GROUPS

ROLES = ("anonymous", "user", "member", "group_moderator", "owner", "platform_moderator")
# operation -> (method, path template, body, expected status per role, in ROLES order)
MATRIX: dict[str, tuple[str, str, Any, tuple[int, ...]]] = {
    "get_group": ("GET", "by-slug/{slug}", None, (404, 404, 200, 200, 200, 200)),
    "list_group_members": ("GET", "{id}/members", None, (404, 404, 200, 200, 200, 200)),
    "list_requests": ("GET", "{id}/members?state=requested", None, (404, 404, 403, 200, 200, 200)),
    "list_group_events": ("GET", "{id}/events", None, (404, 404, 200, 200, 200, 200)),
    "update_group": ("PATCH", "{id}", {"description": "x"}, (401, 404, 403, 403, 200, 403)),
    "delete_group": ("DELETE", "{id}", None, (401, 404, 403, 403, 204, 204)),
    "approve_member": ("POST", "{id}/members/{r}/approve", None, (401, 404, 403, 204, 204, 403)),
    "ban_member": ("POST", "{id}/members/{t}/ban", None, (401, 404, 403, 204, 204, 403)),
    "invite_user": ("POST", "{id}/invitations", "new-user", (401, 404, 403, 204, 204, 403)),
    "create_invite_link": ("POST", "{id}/invite-links", {}, (401, 404, 403, 201, 201, 403)),
    "set_member_role": ("POST", "{id}/members/{t}/role", {"role": "moderator"}, (401, 404, 403, 403, 204, 403)),
    "transfer_ownership": ("POST", "{id}/owner", "t", (401, 404, 403, 403, 204, 403)),
    "join_group": ("POST", "{id}/join", None, (401, 404, 409, 409, 409, 200)),  # a platform moderator may ask
}


async def test_permission_matrix(api: httpx.AsyncClient, person: Any, make_group: Any, add_member: Any,
                                 platform_moderator: Any) -> None:
    """One test (one table truncation) over every operation; a mismatch names the operation and the role."""
    table = {op: await _row(op, api, person, make_group, add_member, platform_moderator) for op in MATRIX}
    assert table == {op: dict(zip(ROLES, MATRIX[op][3], strict=True)) for op in MATRIX}


async def _row(operation: str, api: httpx.AsyncClient, person: Any, make_group: Any, add_member: Any,
               platform_moderator: Any) -> dict[str, int]:
    method, template, body, _expected = MATRIX[operation]
    got: list[int] = []
    for role in ROLES:
        group = await make_group(visibility="private", join_policy="request")
        requester, target = await person(), await person()
        await add_member(group, target)
        await add_member(group, requester)
        # the requester's row is moved back to a pending request (private groups take requests only by invitation)
        await db.fetch("UPDATE groups.member SET state = 'requested' WHERE \"user\" = $1", requester.id)
        caller: Any = None
        if role == "user":
            caller = await person()
        elif role == "member":
            caller = await person()
            await add_member(group, caller)
        elif role == "group_moderator":
            caller = await person()
            await add_member(group, caller, role="moderator")
        elif role == "owner":
            caller = group["owner"]
        elif role == "platform_moderator":
            caller = await platform_moderator()
        if body == "t":
            payload: Any = {"user_id": target.id}
        elif body == "new-user":
            payload = {"user_id": (await person()).id}
        else:
            payload = body
        path = template.format(slug=group["slug"], id=group["id"], r=requester.id, t=target.id)
        r = await api.request(method, f"{GROUPS}/{path}", headers=caller.headers if caller else {}, json=payload)
        got.append(r.status_code)
        if r.status_code == 404:
            assert r.json()["code"] == "group_not_found", (role, r.text)
    return dict(zip(ROLES, got, strict=True))

"""HTTP routes of groups: ``/api/v1/groups/…`` (thin: parse, call services, shape)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from core.auth.guards import Principal
from core.errors import InvalidParameter, PreconditionFailed
from core.http.params import Limit
from core.pagination import Page
from plugins.events import api as events_api
from plugins.groups import invites, members, services, states, store
from plugins.groups.members import Actor
from plugins.groups.schemas import (
    GroupCreate,
    GroupEventItem,
    GroupItem,
    GroupRead,
    GroupUpdate,
    InviteAccept,
    InviteAccepted,
    InviteLinkCreate,
    InviteLinkRead,
    MemberItem,
    MembershipRead,
    RoleBody,
    UserRef,
)

MODERATE = "groups.moderate"
Caller = NamedDependency[Principal]
OptionalCaller = NamedDependency[Principal | None]
JSON = "application/json"
_ETAG = re.compile(r'^\s*(?:W/)?"g(\d+)v(\d+)"\s*$')
_NEAR = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
MAX_RADIUS_KM = 1000.0
MemberState = Literal["active", "requested", "invited", "banned"]
MEMBER = "/{group_id:int}/members/{user_id:int}"


def actor(principal: Principal | None) -> Actor | None:
    """The services' view of the caller."""
    return None if principal is None else Actor(principal.user_id, principal.has(MODERATE))


def me(principal: Principal) -> Actor:
    """The services' view of a signed-in caller."""
    return Actor(principal.user_id, principal.has(MODERATE))


def etag(group_id: int, version: int) -> str:
    """A group's entity tag: its version (what If-Match compares)."""
    return f'"g{group_id}v{version}"'


def expected_version(request: Request[Any, Any, Any], group_id: int) -> int | None:
    """The version ``If-Match`` names (None without the header; 412 ``version_mismatch`` for another group's tag)."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    m = _ETAG.match(header)
    if m is None or int(m.group(1)) != group_id:
        raise PreconditionFailed("If-Match does not name this group's version", code="version_mismatch")
    return int(m.group(2))


def _bad(parameter: str, detail: str, code: str = "invalid_parameter") -> InvalidParameter:
    return InvalidParameter(detail, code=code, errors=[{"parameter": parameter, "in": "query", "detail": detail}])


async def group_response(principal: Principal | None, slug: str, status: int = HTTP_200_OK) -> Response[GroupRead]:
    """A group's page with its ETag."""
    body = msgspec.convert(await services.page(actor(principal), slug), GroupRead)
    return Response(content=body, status_code=status, media_type=JSON,
                    headers={"ETag": etag(body.id, body.version), "Cache-Control": "private, no-cache"})


class GroupController(Controller):
    """Groups: search, create, the page, edit, delete; membership, roles, invitations, following, events."""

    path = "/groups"

    @get("/", operation_id="list_groups", summary="Search public groups by text, tags and near-me")
    async def list_groups(self, q: FromQuery[str | None] = None, tags: FromQuery[str | None] = None,
                          near: FromQuery[str | None] = None, radius_km: FromQuery[float | None] = None,
                          cursor: FromQuery[str | None] = None, limit: Limit = 20) -> Page[GroupItem]:
        """Public groups (unlisted and private ones are never listed); ``near=lat,lng`` sorts by distance."""
        if q is not None and len(q) > 200:
            raise _bad("q", "at most 200 characters")
        tag_list = [t.strip() for t in (tags or "").split(",") if t.strip()]
        if len(tag_list) > 10 or any(not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,31}", t) for t in tag_list):
            raise _bad("tags", "at most 10 comma-separated tags of lower-case letters, digits or '-'", "invalid_tag")
        point: tuple[float, float] | None = None
        if near is not None:
            m = _NEAR.match(near)
            if m is None:
                raise _bad("near", "near is lat,lng")
            point = (float(m.group(1)), float(m.group(2)))
            if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
                raise _bad("near", "coordinates out of range", "coordinates_out_of_range")
        elif radius_km is not None:
            raise _bad("radius_km", "radius_km needs near=lat,lng")
        radius = 25.0 if radius_km is None else radius_km
        if not 0 < radius <= MAX_RADIUS_KM:
            raise _bad("radius_km", f"radius_km must be more than 0 and at most {MAX_RADIUS_KM:g}", "radius_too_large")
        page = await services.search(q=(q or "").strip() or None, tags=tag_list, near=point, radius_km=radius,
                                     cursor=cursor, limit=limit)
        return Page(items=msgspec.convert(page.items, list[GroupItem]), next_cursor=page.next_cursor)

    @post("/", operation_id="create_group")
    async def create_group(self, principal: Caller, data: JSONBody[GroupCreate]) -> Response[GroupRead]:
        """Create a group; I am its owner. 409 ``slug_taken``, ``too_many_groups``."""
        group_id = await services.create_group(me(principal), msgspec.structs.asdict(data))
        slug = (await store.load_group(group_id))["slug"]
        return await group_response(principal, slug, HTTP_201_CREATED)

    @get("/mine", operation_id="list_my_groups")
    async def list_my_groups(self, principal: Caller, cursor: FromQuery[str | None] = None,
                             limit: Limit = 20) -> Page[GroupItem]:
        """The groups I am an active member of, most recently joined first."""
        page = await services.mine(principal.user_id, cursor, limit)
        return Page(items=msgspec.convert(page.items, list[GroupItem]), next_cursor=page.next_cursor)

    @get("/by-slug/{slug:str}", operation_id="get_group")
    async def get_group(self, optional_principal: OptionalCaller, slug: FromPath[str]) -> Response[GroupRead]:
        """A group's page (private groups: 404 to non-members), with my role/state and whether I follow it."""
        return await group_response(optional_principal, slug)

    @patch("/{group_id:int}", operation_id="update_group", opt={"if_match": True})
    async def update_group(self, request: Request[Any, Any, Any], principal: Caller, group_id: FromPath[int],
                           data: JSONBody[GroupUpdate]) -> Response[GroupRead]:
        """Edit a group (owner, admins); ``If-Match`` with the ETag read (412 ``version_mismatch``)."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        await services.update_group(me(principal), group_id, changes, expected_version(request, group_id))
        return await group_response(principal, (await store.load_group(group_id))["slug"])

    @delete("/{group_id:int}", operation_id="delete_group", status_code=HTTP_204_NO_CONTENT)
    async def delete_group(self, principal: Caller, group_id: FromPath[int]) -> None:
        """Delete a group (its owner, or a platform moderator with ``groups.moderate``)."""
        await services.delete_group(me(principal), group_id)

    # --- my membership ---

    @post("/{group_id:int}/join", operation_id="join_group", status_code=HTTP_200_OK)
    async def join_group(self, principal: Caller, group_id: FromPath[int]) -> MembershipRead:
        """Join an open group (active), ask to join a request-only one (requested); invite-only: 403."""
        state = await members.join(me(principal), group_id)
        return MembershipRead(group_id, state, await store.active_role(group_id, principal.user_id))

    @post("/{group_id:int}/leave", operation_id="leave_group", status_code=HTTP_204_NO_CONTENT)
    async def leave_group(self, principal: Caller, group_id: FromPath[int]) -> None:
        """Leave, withdraw my request or decline my invitation; 409 ``owner_cannot_leave`` for the owner."""
        await members.leave(me(principal), group_id)

    @post("/{group_id:int}/invitation/accept", operation_id="accept_invitation", status_code=HTTP_200_OK)
    async def accept_invitation(self, principal: Caller, group_id: FromPath[int]) -> MembershipRead:
        """Accept my invitation."""
        await members.accept_invitation(me(principal), group_id)
        return MembershipRead(group_id, states.ACTIVE, states.MEMBER)

    @post("/{group_id:int}/invitation/decline", operation_id="decline_invitation", status_code=HTTP_204_NO_CONTENT)
    async def decline_invitation(self, principal: Caller, group_id: FromPath[int]) -> None:
        """Decline my invitation."""
        await members.decline_invitation(me(principal), group_id)

    @post("/{group_id:int}/follow", operation_id="follow_group", status_code=HTTP_204_NO_CONTENT)
    async def follow_group(self, principal: Caller, group_id: FromPath[int]) -> None:
        """Follow a public group: hear of its new public events without joining."""
        await services.follow(me(principal), group_id)

    @delete("/{group_id:int}/follow", operation_id="unfollow_group", status_code=HTTP_204_NO_CONTENT)
    async def unfollow_group(self, principal: Caller, group_id: FromPath[int]) -> None:
        """Stop following."""
        await services.unfollow(me(principal), group_id)

    # --- members ---

    @get("/{group_id:int}/members", operation_id="list_group_members")
    async def list_group_members(
        self, optional_principal: OptionalCaller, group_id: FromPath[int],
        member_state: Annotated[MemberState, QueryParameter(name="state")] = "active",
        cursor: FromQuery[str | None] = None, limit: Limit = 50,
    ) -> Page[MemberItem]:
        """Active members (as each one's privacy allows); requests, invitations and bans for the group's moderators."""
        page = await services.members(actor(optional_principal), group_id, cursor, limit, member_state)
        return Page(items=msgspec.convert(page.items, list[MemberItem]), next_cursor=page.next_cursor)

    @post(f"{MEMBER}/approve", operation_id="approve_member", status_code=HTTP_204_NO_CONTENT)
    async def approve_member(self, principal: Caller, group_id: FromPath[int], user_id: FromPath[int]) -> None:
        """Approve a request to join."""
        await members.moderate(me(principal), group_id, user_id, states.ACTIVE, "approved")

    @post(f"{MEMBER}/reject", operation_id="reject_member", status_code=HTTP_204_NO_CONTENT)
    async def reject_member(self, principal: Caller, group_id: FromPath[int], user_id: FromPath[int]) -> None:
        """Reject a request to join."""
        await members.moderate(me(principal), group_id, user_id, states.REJECTED, "rejected")

    @post(f"{MEMBER}/ban", operation_id="ban_member", status_code=HTTP_204_NO_CONTENT)
    async def ban_member(self, principal: Caller, group_id: FromPath[int], user_id: FromPath[int]) -> None:
        """Ban a user from the group (no way back in, not even an old invitation link, until unbanned)."""
        await members.moderate(me(principal), group_id, user_id, states.BANNED, "banned")

    @post(f"{MEMBER}/unban", operation_id="unban_member", status_code=HTTP_204_NO_CONTENT)
    async def unban_member(self, principal: Caller, group_id: FromPath[int], user_id: FromPath[int]) -> None:
        """Lift a ban (the user may join again by the group's policy)."""
        await members.moderate(me(principal), group_id, user_id, states.LEFT, "unbanned")

    @delete(MEMBER, operation_id="remove_member", status_code=HTTP_204_NO_CONTENT)
    async def remove_member(self, principal: Caller, group_id: FromPath[int], user_id: FromPath[int]) -> None:
        """Remove a member (or withdraw an invitation)."""
        row = await store.membership(group_id, user_id)
        reason = "removed" if row is None or row["state"] == states.ACTIVE else "invitation withdrawn"
        await members.moderate(me(principal), group_id, user_id, states.LEFT, reason)

    @post(f"{MEMBER}/role", operation_id="set_member_role", status_code=HTTP_204_NO_CONTENT)
    async def set_member_role(self, principal: Caller, group_id: FromPath[int], user_id: FromPath[int],
                              data: JSONBody[RoleBody]) -> None:
        """Set a member's role (owner: admin/moderator/member; admin: moderator/member). Never one's own (409)."""
        await members.set_role(me(principal), group_id, user_id, data.role)

    @post("/{group_id:int}/owner", operation_id="transfer_ownership", status_code=HTTP_204_NO_CONTENT)
    async def transfer_ownership(self, principal: Caller, group_id: FromPath[int], data: JSONBody[UserRef]) -> None:
        """Give the ownership to an active member; I become an admin."""
        await members.transfer_ownership(me(principal), group_id, data.user_id)

    # --- invitations ---

    @post("/{group_id:int}/invitations", operation_id="invite_user", status_code=HTTP_204_NO_CONTENT)
    async def invite_user(self, principal: Caller, group_id: FromPath[int], data: JSONBody[UserRef]) -> None:
        """Invite a user (they accept or decline)."""
        await members.invite_user(me(principal), group_id, data.user_id)

    @post("/{group_id:int}/invite-links", operation_id="create_invite_link", status_code=HTTP_201_CREATED)
    async def create_invite_link(self, principal: Caller, group_id: FromPath[int],
                                 data: JSONBody[InviteLinkCreate]) -> InviteLinkRead:
        """A new invitation link; its token is in this answer only."""
        row, token = await invites.create_link(me(principal), group_id, data.expires_in_days, data.max_uses)
        return msgspec.convert({**row, "token": token}, InviteLinkRead)

    @get("/{group_id:int}/invite-links", operation_id="list_invite_links")
    async def list_invite_links(self, principal: Caller, group_id: FromPath[int]) -> list[InviteLinkRead]:
        """The group's invitation links (without tokens), newest first."""
        return msgspec.convert(await invites.list_links(me(principal), group_id), list[InviteLinkRead])

    @delete("/{group_id:int}/invite-links/{link_id:int}", operation_id="revoke_invite_link",
            status_code=HTTP_204_NO_CONTENT)
    async def revoke_invite_link(self, principal: Caller, group_id: FromPath[int], link_id: FromPath[int]) -> None:
        """Revoke a link: nobody else joins through it."""
        await invites.revoke_link(me(principal), group_id, link_id)

    @post("/invite-links/accept", operation_id="accept_invite_link", status_code=HTTP_200_OK,
          opt={"codes": {404: ["invite_not_found"]}})
    async def accept_invite_link(self, principal: Caller, data: JSONBody[InviteAccept]) -> InviteAccepted:
        """Join through a link's token. 409 ``invite_expired``, ``invite_used_up``, ``invite_revoked``."""
        return msgspec.convert(await invites.accept_link(me(principal), data.token), InviteAccepted)

    # --- events ---

    @get("/{group_id:int}/events", operation_id="list_group_events")
    async def list_group_events(self, optional_principal: OptionalCaller, group_id: FromPath[int],
                                when: FromQuery[Literal["upcoming", "past"]] = "upcoming",
                                cursor: FromQuery[str | None] = None, limit: Limit = 20) -> Page[GroupEventItem]:
        """The group's events: upcoming soonest first, or past latest first (members-only ones for members)."""
        caller = actor(optional_principal)
        await members.visible_group(caller, group_id)
        members_only = bool(caller and caller.platform_moderator) or (
            await store.active_role(group_id, caller.user_id if caller else None) is not None)
        page = await events_api.group_events(group_id, upcoming=when == "upcoming", members_only=members_only,
                                             cursor=cursor, limit=limit)
        return Page(items=[msgspec.convert(e, GroupEventItem, from_attributes=True) for e in page.items],
                    next_cursor=page.next_cursor)

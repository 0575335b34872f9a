"""Request and response shapes of the groups API (msgspec Structs); field rules are their ``Meta`` constraints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

Visibility = Literal["public", "unlisted", "private"]
JoinPolicy = Literal["open", "request", "invite"]
AssignableRole = Literal["admin", "moderator", "member"]

TAG_PATTERN = "^[a-z0-9][a-z0-9-]{0,31}$"  # the events' tag rule
Name = Annotated[str, Meta(min_length=1, max_length=120, pattern=r"\S", description="1 to 120 characters")]
Slug = Annotated[str, Meta(pattern="^[a-z0-9][a-z0-9-]{1,79}$",
                           description="lower-case letters, digits or '-', 2 to 80; fixed once the group exists")]
Description = Annotated[str, Meta(max_length=10_000)]
Tag = Annotated[str, Meta(pattern=TAG_PATTERN, description="lower-case letters, digits or '-', 1 to 32")]
Tags = Annotated[list[Tag], Meta(max_length=10, description="at most 10 unique tags")]
CoverRef = Annotated[str, Meta(max_length=300)]
City = Annotated[str, Meta(max_length=100)]
Latitude = Annotated[float, Meta(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Meta(ge=-180.0, le=180.0)]
UserId = Annotated[int, Meta(ge=1, le=2**31 - 1)]


class GroupCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new group (the caller owns it)."""

    name: Name
    slug: Slug | None = None
    description: Description = ""
    cover_ref: CoverRef | None = None
    tags: Tags = []
    city: City = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    visibility: Visibility = "public"
    join_policy: JoinPolicy = "open"


class GroupUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Changes to a group (only the fields sent); the slug never changes."""

    name: Name | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    cover_ref: CoverRef | UnsetType | None = UNSET
    tags: Tags | UnsetType = UNSET
    city: City | UnsetType = UNSET
    latitude: Latitude | UnsetType | None = UNSET
    longitude: Longitude | UnsetType | None = UNSET
    visibility: Visibility | UnsetType = UNSET
    join_policy: JoinPolicy | UnsetType = UNSET


class GroupRead(msgspec.Struct):
    """A group's page: its fields, counts, and the caller's membership and following."""

    id: int
    slug: str
    name: str
    description: str
    cover_ref: str | None
    tags: list[str]
    city: str
    latitude: float | None
    longitude: float | None
    visibility: str
    join_policy: str
    member_count: int
    follower_count: int
    owner_id: int
    version: int
    created_at: datetime
    updated_at: datetime
    my_role: str | None = None
    my_state: str | None = None
    following: bool = False


class GroupItem(msgspec.Struct):
    """A group in a list (search, my groups)."""

    id: int
    slug: str
    name: str
    description: str
    cover_ref: str | None
    tags: list[str]
    city: str
    latitude: float | None
    longitude: float | None
    visibility: str
    join_policy: str
    member_count: int
    follower_count: int
    distance_km: float | None = None
    my_role: str | None = None


class MemberItem(msgspec.Struct):
    """A member of a group."""

    user_id: int
    display_name: str
    role: str
    state: str
    joined_at: datetime | None


class MembershipRead(msgspec.Struct):
    """The caller's membership after a move."""

    group_id: int
    state: str
    role: str | None = None


class UserRef(msgspec.Struct, forbid_unknown_fields=True):
    """A user to invite or to make the owner."""

    user_id: UserId


class RoleBody(msgspec.Struct, forbid_unknown_fields=True):
    """The new role of a member (the owner role moves by transfer)."""

    role: AssignableRole


class GroupReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    """Why (kept in the log)."""

    reason: Annotated[str, Meta(max_length=2000)] = ""


class InviteLinkCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new invitation link: how long it lasts (at most ``invite_max_days``) and how many may use it."""

    expires_in_days: Annotated[int, Meta(ge=1, le=365)] = 7
    max_uses: Annotated[int, Meta(ge=1, le=100_000)] | None = None


class InviteLinkRead(msgspec.Struct):
    """An invitation link; ``token`` only in the answer that created it (only its hash is stored)."""

    id: int
    expires_at: datetime
    max_uses: int | None
    uses: int
    revoked_at: datetime | None
    created_at: datetime
    token: str | None = None


class InviteAccept(msgspec.Struct, forbid_unknown_fields=True):
    """The token of an invitation link."""

    token: Annotated[str, Meta(min_length=16, max_length=100)]


class InviteAccepted(msgspec.Struct):
    """The group the link let me into."""

    group_id: int
    slug: str
    state: str


class GroupEventItem(msgspec.Struct):
    """An event a group hosts."""

    id: int
    title: str
    status: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    city: str | None
    online: bool
    visibility: str
    tags: list[str]

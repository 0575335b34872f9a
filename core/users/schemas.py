"""Request and response bodies of the users API (msgspec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.http.params import LimitField

Audience = Literal["everyone", "shared", "nobody"]
Tag = Annotated[str, Meta(min_length=1, max_length=40)]
LanguageTag = Annotated[str, Meta(min_length=2, max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]


class Privacy(msgspec.Struct):
    """Who may see my profile, my participation in events, and contact me."""

    profile: Audience = "everyone"
    participation: Audience = "shared"
    contact: Audience = "shared"


class PrivacyUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Change some privacy settings."""

    profile: Audience | None = None
    participation: Audience | None = None
    contact: Audience | None = None

AccountStatus = Literal["active", "banned", "deleted"]
"""An account's ``status`` (``users.user.status``)."""


class AccountsQuery(msgspec.Struct, forbid_unknown_fields=True):
    """The query of ``GET /users`` (staff): a parameter it does not know is a 400, not ignored."""

    q: Annotated[str, Meta(max_length=100, description="searches email, phone and name")] | None = None
    status: AccountStatus | None = None
    cursor: str | None = None
    limit: LimitField = 50


class MeRead(msgspec.Struct):
    """The caller's own account and profile."""

    id: int
    email: str | None
    phone: str | None
    display_name: str
    status: str
    is_verified: bool
    totp_enabled: bool
    avatar: str
    bio: str
    city: str
    home_lat: float | None
    home_lon: float | None
    interests: list[str]
    language: str
    timezone: str
    languages: list[str]
    birth_year: int | None
    privacy: Privacy
    onboarding: list[str]
    referral_code: str | None
    roles: list[str]
    created_at: datetime


class MeUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A partial update of my profile (absent fields stay as they are)."""

    display_name: Annotated[str, Meta(min_length=1, max_length=100)] | UnsetType = UNSET
    avatar: Annotated[str, Meta(max_length=500)] | UnsetType = UNSET
    bio: Annotated[str, Meta(max_length=2000)] | UnsetType = UNSET
    city: Annotated[str, Meta(max_length=100)] | UnsetType = UNSET
    home_lat: Annotated[float, Meta(ge=-90, le=90)] | UnsetType | None = UNSET
    home_lon: Annotated[float, Meta(ge=-180, le=180)] | UnsetType | None = UNSET
    interests: Annotated[list[Tag], Meta(max_length=30)] | UnsetType = UNSET
    language: Annotated[str, Meta(max_length=16)] | UnsetType = UNSET
    languages: Annotated[list[LanguageTag], Meta(max_length=10)] | UnsetType = UNSET
    """Languages I speak (tags such as ``en``, ``pt-BR``), used to match "+1" partners."""
    birth_year: Annotated[int, Meta(ge=1900)] | UnsetType | None = UNSET
    """Private: never shown to others; only used for the age preferences of partner matching."""
    timezone: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    privacy: PrivacyUpdate | UnsetType = UNSET
    onboarding_done: Annotated[list[Annotated[str, Meta(max_length=40)]], Meta(max_length=20)] | UnsetType = UNSET


class RatingFigures(msgspec.Struct):
    """Published ratings of an organiser, an event or a venue, as a ratings plugin (reviews) counts them.

    Given only once there are as many ratings as the plugin's operator asks for (reviews: ``min_reviews_shown``).
    """

    count: Annotated[int, Meta(ge=0, description="how many published ratings")]
    average: Annotated[float, Meta(ge=1.0, le=5.0, description="their mean, 1 to 5 stars, to two decimals")]
    histogram: Annotated[list[int], Meta(min_length=5, max_length=5,
                                         description="how many ratings of 1, 2, 3, 4 and 5 stars, in that order")]
    ranking: Annotated[float, Meta(description="the score to rank by (reviews: a Bayesian average, so three 5s do "
                                               "not outrank two hundred 4.8s)")] | None = None


class ProfileRead(msgspec.Struct):
    """Another user's public profile; ``rating``: their events' ratings as an organiser (None: too few, or none)."""

    id: int
    display_name: str
    avatar: str
    bio: str
    city: str
    interests: list[str]
    created_at: datetime
    rating: RatingFigures | None = None


class ReferralRead(msgspec.Struct):
    """Someone who registered with my referral code."""

    id: int
    display_name: str
    created_at: datetime


class DataExportRead(msgspec.Struct):
    """Everything Sbor holds about me: my account (no secrets) and each enabled plugin's part, keyed by plugin."""

    account: dict[str, Any]
    plugins: dict[str, Any]


class DeleteAccount(msgspec.Struct, forbid_unknown_fields=True):
    """Confirm deleting my account (the password is required when the account has one)."""

    password: Annotated[str, Meta(max_length=1024)] | None = None


class BanCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Why the user is banned, and until when (omitted: until staff lift it)."""

    reason: Annotated[str, Meta(min_length=1, max_length=500)]
    until: Annotated[datetime, Meta(tz=True)] | None = None


class AppealCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A banned user's appeal: they cannot sign in, so they prove who they are with their password."""

    identifier: Annotated[str, Meta(min_length=1, max_length=254)]
    password: Annotated[str, Meta(min_length=1, max_length=1024)]
    text: Annotated[str, Meta(min_length=1, max_length=4000)]


class AppealRead(msgspec.Struct):
    """An appeal as its author sees it."""

    id: int
    status: str
    text: str
    answer: str
    created_at: datetime
    decided_at: datetime | None = None


RoleName = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{1,49}$")]
PermissionName = Annotated[str, Meta(max_length=100)]


class RoleRead(msgspec.Struct):
    """A role and its permissions."""

    name: str
    description: str
    permissions: list[str]
    builtin: bool


class RoleCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new custom role."""

    name: RoleName
    description: Annotated[str, Meta(max_length=500)] = ""
    permissions: Annotated[list[PermissionName], Meta(max_length=500)] = []


class RoleUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Change a role."""

    description: Annotated[str, Meta(max_length=500)] | None = None
    permissions: Annotated[list[PermissionName], Meta(max_length=500)] | None = None


class PermissionRead(msgspec.Struct):
    """A declared permission."""

    name: str
    description: str
    admin_panel: bool


class AccountRead(msgspec.Struct):
    """An account as staff see it."""

    id: int
    email: str | None
    phone: str | None
    display_name: str
    status: str
    ban_reason: str
    is_verified: bool
    totp_enabled: bool
    created_at: datetime
    roles: list[str] = []


class ContactChange(msgspec.Struct, forbid_unknown_fields=True):
    """A new email address or phone number (one of them)."""

    email: Annotated[str, Meta(max_length=254)] | None = None
    phone: Annotated[str, Meta(max_length=32)] | None = None


class ContactConfirm(msgspec.Struct, forbid_unknown_fields=True):
    """The code sent to the new address."""

    code: Annotated[str, Meta(min_length=1, max_length=20)]


class CodeSentRead(msgspec.Struct):
    """Where the code went (masked)."""

    channel: str
    destination: str
    expires_in: int


class RoleRequestCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Ask staff for a role (``organiser``: to create events where the operator requires it)."""

    role: Annotated[str, Meta(min_length=1, max_length=50)]
    note: Annotated[str, Meta(max_length=2000)] = ""


class RoleRequestRead(msgspec.Struct):
    """A role request and its decision (``reason`` says why when rejected)."""

    id: int
    role: str
    note: str
    status: str  # pending | approved | rejected
    reason: str
    created_at: datetime
    decided_at: datetime | None

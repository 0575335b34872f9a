"""Tables of users (schema ``users``)."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Array,
    BigSerial,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, schema="users", tablename="account"):
    """An account with its profile. ``email``/``phone`` are unique when set (lower-case email, E.164 phone)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    email = Varchar(length=254, null=True, default=None, unique=True)
    phone = Varchar(length=20, null=True, default=None, unique=True)
    password_hash = Text(default="")
    display_name = Varchar(length=100, default="")
    status = Varchar(length=16, default="active", index=True)  # active | banned | deleted
    ban_reason = Text(default="")
    banned_at = Timestamptz(null=True, default=None)  # when the current ban began (one appeal per ban)
    banned_until = Timestamptz(null=True, default=None)  # a temporary ban ends then (None: until lifted)
    is_verified = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    # Second factor: the secret is kept while set-up is pending; ``totp_enabled`` turns it on.
    totp_secret = Varchar(length=64, default="")
    totp_enabled = Boolean(default=False)
    totp_last_step = Integer(default=0)  # the last accepted time step: a code is never accepted twice
    recovery_codes = Array(Varchar(length=64), default=list)  # sha256 of unused one-time recovery codes
    # Profile
    avatar = Varchar(length=500, default="")
    bio = Text(default="")
    city = Varchar(length=100, default="")
    home_lat = DoublePrecision(null=True, default=None)
    home_lon = DoublePrecision(null=True, default=None)
    interests = Array(Varchar(length=40), default=list)
    languages = Array(Varchar(length=16), default=list)  # spoken languages (tags), for partner matching
    birth_year = Integer(null=True, default=None)  # private: never shown to others, only used for matching by age
    language = Varchar(length=16, default="en")
    timezone = Varchar(length=64, default="UTC")
    privacy = JSONB(default="{}")  # {"profile": "everyone", "participation": "shared", "contact": "shared"}
    onboarding = Array(Varchar(length=40), default=list)  # steps done
    referral_code = Varchar(length=16, null=True, default=None, unique=True)
    referred_by = Integer(null=True, default=None, index=True)
    deleted_at = Timestamptz(null=True, default=None)


class Role(Table, schema="users"):
    """A named set of permissions (``*`` grants every permission)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    name = Varchar(length=50, unique=True)
    description = Text(default="")
    permissions = Array(Varchar(length=100), default=list)
    builtin = Boolean(default=False)


class UserRole(Table, schema="users"):
    """Which user has which role."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    user = ForeignKey(User, null=False, index=True)
    role = ForeignKey(Role, null=False, index=True)


class RoleRequest(Table, schema="users"):
    """A user asking for a role staff grant (the organiser role when the operator requires it): pending → decided."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    user = ForeignKey(User, null=False, index=True)
    role = Varchar(length=50)
    note = Text(default="")
    status = Varchar(length=16, default="pending", index=True)  # pending | approved | rejected
    reason = Text(default="")  # why it was rejected (the user reads it)
    decided_by = ForeignKey(User, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class BanAppeal(Table, schema="users"):
    """A banned user's one appeal against their current ban: pending → accepted (ban lifted) | refused."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    user = ForeignKey(User, null=False, index=True)
    text = Text(default="")
    ban_reason = Text(default="")  # the ban appealed against, as it read then
    banned_at = Timestamptz(null=True, default=None)  # which ban (the user's ``banned_at`` then)
    status = Varchar(length=16, default="pending", index=True)  # pending | accepted | refused
    answer = Text(default="")  # staff's answer (the user reads it)
    decided_by = ForeignKey(User, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AuditEntry(Table, schema="users"):
    """One privileged action, whoever made it (panel, API, CLI, job): who, what, on which object, before/after.

    Written by services through ``core.audit.record``. Append-only: a trigger (see the ``audit`` migration)
    refuses UPDATE and DELETE. No foreign key to the actor: the log outlives accounts.
    """

    id = BigSerial(primary_key=True)
    actor_id = Integer(null=True, default=None, index=True)
    actor_label = Varchar(length=254, default="")
    action = Varchar(length=64, index=True)
    object_type = Varchar(length=64, default="", index=True)
    object_id = Varchar(length=64, default="")
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
    reason = Text(default="")
    ip = Varchar(length=64, default="")
    request_id = Varchar(length=64, default="")
    origin = Varchar(length=64, default="")  # "api", "admin", "cli", "job:<actor>"
    created_at = Timestamptz(default=TimestamptzNow(), index=True)

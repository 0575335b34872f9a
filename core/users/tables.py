"""Tables of users (schema ``users``)."""

from __future__ import annotations

from piccolo.columns import Array, Boolean, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, schema="users", tablename="account"):
    """An account. ``email``/``phone`` are unique when set (normalised: lower-case email, E.164 phone)."""

    email = Varchar(length=254, null=True, default=None, unique=True)
    phone = Varchar(length=20, null=True, default=None, unique=True)
    password_hash = Text(default="")
    display_name = Varchar(length=100, default="")
    status = Varchar(length=16, default="active", index=True)  # active | banned | deleted
    ban_reason = Text(default="")
    is_verified = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Role(Table, schema="users"):
    """A named set of permissions (``*`` grants every permission)."""

    name = Varchar(length=50, unique=True)
    description = Text(default="")
    permissions = Array(Varchar(length=100), default=list)
    builtin = Boolean(default=False)


class UserRole(Table, schema="users"):
    """Which user has which role."""

    user = ForeignKey(User, null=False, index=True)
    role = ForeignKey(Role, null=False, index=True)



"""Tables of auth (schema ``auth``)."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow

from piccolo.table import Table

from core.users.tables import User


class Session(Table, schema="auth", tablename="device_session"):
    """A signed-in device. Access tokens carry its id (``sid``); revoking it ends them at once."""

    id = UUID(primary_key=True)
    user = ForeignKey(User, null=False, index=True)
    device = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)

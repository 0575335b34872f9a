"""Tables of auth (schema ``auth``)."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.users.tables import User


class Session(Table, schema="auth", tablename="device_session"):
    """A signed-in device and its refresh-token family. Access tokens carry its id (``sid``); revoking ends them."""

    id = UUID(primary_key=True)
    user = ForeignKey(User, null=False, index=True)
    device = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)  # absolute end of the refresh-token family
    revoked_at = Timestamptz(null=True, default=None)
    revoke_reason = Varchar(length=32, default="")


class RefreshToken(Table, schema="auth"):
    """One refresh token of a session (stored as sha256 only). Used once; presenting it again revokes the session."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    session = ForeignKey(Session, null=False, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    used_at = Timestamptz(null=True, default=None)


class VerificationCode(Table, schema="auth"):
    """A 6-digit code (stored as an HMAC) sent to prove the email/phone: registration, new device, password reset."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    user = ForeignKey(User, null=False, index=True)
    purpose = Varchar(length=16)  # verify | login | reset
    channel = Varchar(length=8)  # email | sms
    code_hash = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    attempts = Integer(default=0)
    consumed_at = Timestamptz(null=True, default=None)


class TrustedDevice(Table, schema="auth"):
    """A device (the app's install id, hashed) that proved the account's email/phone: no code on its next login."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    user = ForeignKey(User, null=False, index=True)
    device_hash = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())


class Identity(Table, schema="auth"):
    """An external (OIDC) identity linked to an account. ``key`` is ``<provider>:<subject>``, unique."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    user = ForeignKey(User, null=False, index=True)
    key = Varchar(length=300, unique=True)
    provider = Varchar(length=50)
    subject = Varchar(length=255)
    email = Varchar(length=254, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    details = Text(default="")

"""Request and response bodies of the auth API (msgspec), with OpenAPI examples."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

Identifier = Annotated[str, Meta(min_length=3, max_length=254, examples=["ada@example.org", "+447911123456"])]
Password = Annotated[str, Meta(min_length=1, max_length=1024, examples=["correct horse battery staple"])]
Code = Annotated[str, Meta(min_length=1, max_length=20, examples=["123456"])]
DeviceId = Annotated[str, Meta(min_length=8, max_length=128, examples=["3f1c9a52-0b7e-4d1e-9a43-5f0f6c1d2e7a"])]
DeviceName = Annotated[str, Meta(max_length=200, examples=["Pixel 8"])]


class RegisterCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Register with an email address or a phone number (E.164) and a password."""

    password: Password
    email: Annotated[str, Meta(max_length=254, examples=["ada@example.org"])] | None = None
    phone: Annotated[str, Meta(max_length=32, examples=["+447911123456"])] | None = None
    display_name: Annotated[str, Meta(max_length=100, examples=["Ada"])] = ""
    language: Annotated[str, Meta(max_length=16)] = "en"
    timezone: Annotated[str, Meta(max_length=64, examples=["Europe/London"])] = "UTC"
    referral_code: Annotated[str, Meta(max_length=16)] | None = None


class CodeSent(msgspec.Struct):
    """Where the verification code went (masked) and how long it is valid."""

    channel: str
    destination: str
    expires_in: int


class RegisterRead(msgspec.Struct):
    """The new account; a verification code is on its way."""

    user_id: int
    verification: CodeSent


class VerifyCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The code received after registration; the device sending it becomes trusted."""

    identifier: Identifier
    code: Code
    device_id: DeviceId | None = None


class IdentifierCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An email address or phone number."""

    identifier: Identifier


class LoginCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Sign in. ``device_id`` is the app install's stable random id; a new device needs the emailed/SMS ``code``."""

    identifier: Identifier
    password: Password
    device_id: DeviceId
    device_name: DeviceName = ""
    code: Code | None = None
    totp_code: Code | None = None


class TokenPairRead(msgspec.Struct):
    """An access token (JWT, 15 min) and a refresh token (opaque, single use; rotate with /auth/refresh)."""

    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime
    session_id: uuid.UUID
    user_id: int


class RefreshCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The current refresh token."""

    refresh_token: Annotated[str, Meta(min_length=1, max_length=200)]


class ResetCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Set a new password with the reset code."""

    identifier: Identifier
    code: Code
    new_password: Password


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    """Change my password."""

    current_password: Password
    new_password: Password


class SessionRead(msgspec.Struct):
    """One of my signed-in devices."""

    id: uuid.UUID
    device: str
    created_at: datetime
    last_used_at: datetime
    current: bool


class TotpSetupRead(msgspec.Struct):
    """Scan the URI (QR code) in an authenticator app, then confirm with /auth/totp/enable."""

    secret: str
    otpauth_uri: str


class TotpCode(msgspec.Struct, forbid_unknown_fields=True):
    """A current code from the authenticator app."""

    code: Code


class TotpDisable(msgspec.Struct, forbid_unknown_fields=True):
    """Turn TOTP off: password and a current code (or a recovery code)."""

    password: Password
    code: Code


class RecoveryCodesRead(msgspec.Struct):
    """One-time recovery codes: shown once; each signs in once instead of a TOTP code."""

    recovery_codes: list[str]


class ProviderRead(msgspec.Struct):
    """A sign-in provider."""

    name: str
    display_name: str


class OidcStart(msgspec.Struct, forbid_unknown_fields=True):
    """Where the provider sends the user back (the app's redirect URI)."""

    redirect_uri: Annotated[str, Meta(min_length=1, max_length=500, examples=["sbor://oauth/callback"])]


class OidcStartRead(msgspec.Struct):
    """Open ``authorization_url``; keep ``state`` for the callback."""

    authorization_url: str
    state: str


class OidcCallback(msgspec.Struct, forbid_unknown_fields=True):
    """What the provider returned to the redirect URI."""

    state: Annotated[str, Meta(min_length=1, max_length=200)]
    code: Annotated[str, Meta(min_length=1, max_length=2000)]
    device_name: DeviceName = ""

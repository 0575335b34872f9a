"""HTTP routes of auth under ``/api/v1/auth``: register, verify, login, refresh, logout, sessions, passwords, TOTP."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from core.auth import accounts, oidc, services, totp
from core.auth.guards import MaybeSignedIn, SignedIn
from core.auth.problems import problems
from core.auth.schemas import (
    IdentifierCreate,
    LoginCreate,
    OidcCallback,
    OidcStart,
    OidcStartRead,
    PasswordChange,
    ProviderRead,
    RecoveryCodesRead,
    RefreshCreate,
    RegisterCreate,
    RegisterRead,
    ResetCreate,
    SessionRead,
    TokenPairRead,
    TotpCode,
    TotpDisable,
    TotpSetupRead,
    VerifyCreate,
)
from core.http.middleware import client_ip

Req = Request[Any, Any, Any]

REGISTER_ERRORS = problems(
    s409=["account_exists"],
    s422=["invalid_email", "invalid_phone", "weak_password", "identifier_required", "invalid_referral_code"],
    s429=["rate_limited"],
)
VERIFY_ERRORS = problems(
    s422=["code_invalid", "code_exhausted"],
    s429=["rate_limited"],
)
LOGIN_ERRORS = problems(
    s401=["invalid_credentials", "verification_required", "totp_required", "totp_invalid", "account_inactive"],
    s422=["code_invalid", "code_exhausted"],
    s429=["rate_limited"],
)
REFRESH_ERRORS = problems(
    s401=["refresh_reused", "refresh_invalid", "session_revoked", "session_expired", "account_inactive"],
)
RESET_ERRORS = problems(
    s422=["code_invalid", "code_exhausted", "weak_password"],
    s429=["rate_limited"],
)
OIDC_ERRORS = problems(
    s400=["oidc_state_invalid"],
    s401=["oidc_refused", "account_inactive"],
    s404=["provider_not_found"],
    s409=["link_required", "identity_linked"],
    s429=["rate_limited"],
    s503=["oidc_unavailable"],
)


def _pair(pair: services.TokenPair) -> TokenPairRead:
    return msgspec.convert(pair, TokenPairRead, from_attributes=True)


class AuthController(Controller):
    """Accounts and sign-in for the mobile app."""

    path = "/auth"

    @post("/register", operation_id="register",
          responses=REGISTER_ERRORS, status_code=HTTP_201_CREATED)
    async def register(self, request: Req, data: JSONBody[RegisterCreate]) -> RegisterRead:
        """Create an account; a 6-digit code goes to the email (or phone). 409 ``account_exists`` when taken."""
        out = await accounts.register(email=data.email, phone=data.phone, password=data.password,
                                      display_name=data.display_name, language=data.language,
                                      timezone=data.timezone, referral_code=data.referral_code,
                                      ip=client_ip(request.scope))
        return msgspec.convert(out, RegisterRead)

    @post("/verify", operation_id="verify_account",
          responses=VERIFY_ERRORS, status_code=HTTP_204_NO_CONTENT)
    async def verify_account(self, request: Req, data: JSONBody[VerifyCreate]) -> None:
        """Confirm the email/phone with the code; the device becomes trusted. 422 ``code_invalid``."""
        await accounts.verify(data.identifier, data.code, data.device_id, ip=client_ip(request.scope))

    @post("/verify/resend", operation_id="resend_verification", status_code=HTTP_202_ACCEPTED)
    async def resend_verification(self, request: Req, data: JSONBody[IdentifierCreate]) -> None:
        """Send a new code to an unverified account (same answer for any identifier)."""
        await accounts.resend(data.identifier, ip=client_ip(request.scope))

    @post("/login", operation_id="login",
          responses=LOGIN_ERRORS, status_code=HTTP_200_OK)
    async def login(self, request: Req, data: JSONBody[LoginCreate]) -> TokenPairRead:
        """Sign in with email or phone and password; returns tokens.

        401 ``invalid_credentials``; 401 ``verification_required`` (a code was sent: repeat with ``code``);
        401 ``totp_required`` (repeat with ``totp_code``); 429 past the throttle.
        """
        pair = await accounts.login(identifier=data.identifier, password=data.password, device_id=data.device_id,
                                    device_name=data.device_name, code=data.code, totp_code=data.totp_code,
                                    ip=client_ip(request.scope))
        return _pair(pair)

    @post("/refresh", operation_id="refresh_tokens",
          responses=REFRESH_ERRORS, status_code=HTTP_200_OK)
    async def refresh_tokens(self, data: JSONBody[RefreshCreate]) -> TokenPairRead:
        """Trade the refresh token for a new pair. A token used twice ends the session (401 ``refresh_reused``)."""
        return _pair(await services.refresh(data.refresh_token))

    @post("/logout", operation_id="logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(self, principal: SignedIn) -> None:
        """End this session."""
        await services.revoke_session(principal.user_id, principal.session_id)

    @post("/logout-all", operation_id="logout_all", status_code=HTTP_204_NO_CONTENT)
    async def logout_all(self, principal: SignedIn) -> None:
        """End every session of mine, this one included."""
        await services.revoke_all_sessions(principal.user_id)

    @get("/sessions", operation_id="list_sessions")
    async def list_sessions(self, principal: SignedIn) -> list[SessionRead]:
        """My signed-in devices, most recently used first."""
        rows = await services.list_sessions(principal.user_id)
        return [SessionRead(r["id"], r["device"], r["created_at"], r["last_used_at"], r["id"] == principal.session_id)
                for r in rows]

    @delete("/sessions/{session_id:uuid}", operation_id="delete_session", status_code=HTTP_204_NO_CONTENT)
    async def delete_session(self, principal: SignedIn, session_id: FromPath[uuid.UUID]) -> None:
        """End one of my sessions (404 for anyone else's)."""
        await services.revoke_session(principal.user_id, session_id)

    @post("/password/forgot", operation_id="forgot_password", status_code=HTTP_202_ACCEPTED)
    async def forgot_password(self, request: Req, data: JSONBody[IdentifierCreate]) -> None:
        """Send a reset code when the account exists (same answer either way)."""
        await accounts.forgot_password(data.identifier, ip=client_ip(request.scope))

    @post("/password/reset", operation_id="reset_password",
          responses=RESET_ERRORS, status_code=HTTP_204_NO_CONTENT)
    async def reset_password(self, request: Req, data: JSONBody[ResetCreate]) -> None:
        """Set a new password with the reset code; every session ends."""
        await accounts.reset_password(data.identifier, data.code, data.new_password, ip=client_ip(request.scope))

    @post("/password/change", operation_id="change_password", status_code=HTTP_204_NO_CONTENT)
    async def change_password(self, principal: SignedIn, data: JSONBody[PasswordChange]) -> None:
        """Change my password; my other sessions end."""
        await accounts.change_password(principal.user_id, data.current_password, data.new_password,
                                       keep_session=principal.session_id)


class TotpController(Controller):
    """Second factor (TOTP, RFC 6238) with recovery codes."""

    path = "/auth/totp"

    @post("/setup", operation_id="setup_totp", status_code=HTTP_200_OK)
    async def setup_totp(self, principal: SignedIn) -> TotpSetupRead:
        """A new secret to add to an authenticator app; not active until confirmed."""
        return msgspec.convert(await totp.setup(principal.user_id), TotpSetupRead)

    @post("/enable", operation_id="enable_totp", status_code=HTTP_200_OK)
    async def enable_totp(self, principal: SignedIn, data: JSONBody[TotpCode]) -> RecoveryCodesRead:
        """Confirm with a current code; returns the recovery codes (shown once)."""
        return RecoveryCodesRead(await totp.enable(principal.user_id, data.code))

    @post("/recovery-codes", operation_id="regenerate_recovery_codes", status_code=HTTP_200_OK)
    async def regenerate_recovery_codes(self, principal: SignedIn, data: JSONBody[TotpCode]) -> RecoveryCodesRead:
        """Replace my recovery codes (the old ones stop working)."""
        return RecoveryCodesRead(await totp.regenerate_recovery_codes(principal.user_id, data.code))

    @post("/disable", operation_id="disable_totp", status_code=HTTP_204_NO_CONTENT)
    async def disable_totp(self, principal: SignedIn, data: JSONBody[TotpDisable]) -> None:
        """Turn TOTP off (password and a code needed)."""
        await totp.disable(principal.user_id, data.password, data.code)


class OidcController(Controller):
    """Sign in with an external provider (OAuth 2 / OpenID Connect), and link providers to my account."""

    path = "/auth/oidc"

    @get("/providers", operation_id="list_oidc_providers")
    async def list_oidc_providers(self) -> list[ProviderRead]:
        """The sign-in providers offered."""
        return [ProviderRead(p.name, p.display_name) for p in oidc.providers().values()]

    @post("/{provider:str}/start", operation_id="start_oidc", status_code=HTTP_200_OK)
    async def start_oidc(self, optional_principal: MaybeSignedIn, provider: FromPath[str],
                         data: JSONBody[OidcStart]) -> OidcStartRead:
        """Begin: open the returned URL. When signed in, finishing links the provider to my account."""
        uid = optional_principal.user_id if optional_principal else None
        return msgspec.convert(await oidc.start(provider, data.redirect_uri, uid), OidcStartRead)

    @post("/{provider:str}/callback", operation_id="finish_oidc",
          responses=OIDC_ERRORS, status_code=HTTP_200_OK)
    async def finish_oidc(self, request: Req, provider: FromPath[str], data: JSONBody[OidcCallback]) -> TokenPairRead:
        """Finish with the ``state`` and ``code`` the provider returned: tokens for the (new or linked) account."""
        return _pair(await oidc.finish(provider, data.state, data.code, data.device_name, ip=client_ip(request.scope)))

    @delete("/{provider:str}/link", operation_id="unlink_oidc", status_code=HTTP_204_NO_CONTENT)
    async def unlink_oidc(self, principal: SignedIn, provider: FromPath[str]) -> None:
        """Remove a linked provider (not the last way to sign in)."""
        await oidc.unlink(principal.user_id, provider)

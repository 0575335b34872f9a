"""OAuth/OIDC sign-in: providers come from plugins (``register_oidc_providers``); the flow and linking live here."""

from __future__ import annotations

import inspect
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from asyncpg.exceptions import UniqueViolationError

from core import cache, clock, hooks, ratelimit
from core.auth.services import TokenPair, start_session
from core.auth.tables import Identity
from core.errors import BadRequest, Conflict, NotAuthenticated, NotFound, ServiceUnavailable
from core.hooks import hookspecs
from core.hooks.manager import current
from core.settings import get_settings
from core.users import services as users
from core.users.tables import User

log = logging.getLogger("core.auth")


@dataclass(frozen=True)
class ExternalIdentity:
    """Who the provider says the user is."""

    subject: str
    email: str = ""
    email_verified: bool = False
    display_name: str = ""


class OIDCProvider:
    """Base class of a sign-in provider.

    Subclass it in a plugin and return an instance from ``register_oidc_providers``. Raise ``core.errors`` (or let
    ``httpx.HTTPError`` out) on failure.
    """

    name: str = ""
    display_name: str = ""

    def authorization_url(self, *, state: str, nonce: str, redirect_uri: str) -> Any:
        """The provider's authorisation URL for this sign-in attempt (a ``str``, or an awaitable of one)."""
        raise NotImplementedError

    async def exchange_code(self, *, code: str, redirect_uri: str, nonce: str = "") -> dict[str, Any]:
        """Exchange the authorisation code for the provider's tokens (its token endpoint's JSON)."""
        raise NotImplementedError

    async def user_info(self, *, tokens: dict[str, Any]) -> ExternalIdentity:
        """The user's identity from the tokens (userinfo endpoint or ID token)."""
        raise NotImplementedError


def providers() -> dict[str, OIDCProvider]:
    """The providers of the enabled plugins, by name."""
    return {p.name: p for _plugin, p in current().hooks.collect(hookspecs.register_oidc_providers)}


def _provider(name: str) -> OIDCProvider:
    found = providers().get(name)
    if found is None:
        raise NotFound("No sign-in provider %(name)r", params={"name": name}, code="provider_not_found")
    return found


async def start(provider: str, redirect_uri: str, user_id: int | None = None) -> dict[str, str]:
    """Begin a sign-in (or, for a signed-in ``user_id``, a linking) attempt; return the URL and the state."""
    p = _provider(provider)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(16)
    record = {"provider": provider, "redirect_uri": redirect_uri, "nonce": nonce, "user_id": user_id}
    await cache.client().set(cache.key("oidc", state), json.dumps(record), ex=get_settings().auth.oidc_state_ttl_s)
    url = p.authorization_url(state=state, nonce=nonce, redirect_uri=redirect_uri)
    if inspect.isawaitable(url):  # providers that read a discovery document build the URL asynchronously
        url = await url
    return {"authorization_url": str(url), "state": state}


async def finish(provider: str, state: str, code: str, device_name: str = "", ip: str = "") -> TokenPair:
    """Complete the attempt: exchange the code, find/link/create the account, open a session."""
    auth = get_settings().auth
    await ratelimit.hit("login_ip", ip, limit=auth.login_ip_limit, window_s=auth.login_window_s)

    raw = await cache.client().getdel(cache.key("oidc", state))  # a state works once
    record = json.loads(raw) if raw else None
    if record is None or record["provider"] != provider:
        raise BadRequest("Unknown or expired sign-in attempt; start again", code="oidc_state_invalid")
    p = _provider(provider)
    try:
        tokens = await p.exchange_code(code=code, redirect_uri=record["redirect_uri"], nonce=record["nonce"])
        ident = await p.user_info(tokens=tokens)
    except httpx.HTTPStatusError as exc:
        raise NotAuthenticated("%(provider)s refused the sign-in",
                               params={"provider": provider}, code="oidc_refused") from exc
    except httpx.HTTPError as exc:
        raise ServiceUnavailable("%(provider)s cannot be reached",
                                 params={"provider": provider}, code="oidc_unavailable") from exc
    except jwt.PyJWTError as exc:
        log.warning("%s sent an invalid ID token: %s", provider, exc)
        raise NotAuthenticated("%(provider)s sent an invalid ID token",
                               params={"provider": provider}, code="oidc_refused") from exc
    if not ident.subject:
        raise NotAuthenticated("%(provider)s gave no subject", params={"provider": provider}, code="oidc_refused")
    key = f"{provider}:{ident.subject}"
    linked = await Identity.select(Identity.user).where(Identity.key == key).first()
    link_to = record["user_id"]
    if linked is not None:
        user_id = int(linked["user"])
        if link_to is not None and link_to != user_id:
            raise Conflict("This account of the provider is linked to another user", code="identity_linked")
    elif link_to is not None:
        user_id = int(link_to)
        await _link(user_id, provider, ident)
    else:
        user_id = await _create_account(provider, ident)
    row = await User.select(User.status).where(User.id == user_id).first()
    if row is None or row["status"] != "active":
        raise NotAuthenticated("This account is not active", code="account_inactive")
    log.info("user %s signed in with %s", user_id, provider)
    return await start_session(user_id, device_name or provider)


async def _link(user_id: int, provider: str, ident: ExternalIdentity) -> None:
    try:
        await Identity.insert(Identity(user=user_id, key=f"{provider}:{ident.subject}", provider=provider,
                                       subject=ident.subject, email=ident.email[:254], created_at=clock.now()))
    except UniqueViolationError as exc:
        raise Conflict("This account of the provider is linked to another user", code="identity_linked") from exc
    log.info("user %s linked %s identity", user_id, provider)


async def _create_account(provider: str, ident: ExternalIdentity) -> int:
    email = ident.email.strip().lower() if ident.email_verified and ident.email else None
    if email and await User.exists().where(User.email == email):
        # Never link silently: whoever controls that provider account would take over the Sbor account.
        raise Conflict("An account with this email exists; sign in with it and link the provider",
                       code="link_required")
    row = User(email=email, display_name=(ident.display_name or "New user")[:100], is_verified=True,
               referral_code=users.new_referral_code(), privacy=users.DEFAULT_PRIVACY, created_at=clock.now())
    try:
        await row.save()
    except UniqueViolationError as exc:
        raise Conflict("An account with this email exists", code="link_required") from exc
    await users.grant_role(row.id, "user")
    await _link(row.id, provider, ident)
    log.info("user %s registered through %s", row.id, provider)
    await hooks.notify(hookspecs.user_registered, user_id=row.id)
    return int(row.id)


async def unlink(user_id: int, provider: str) -> None:
    """Remove a linked identity, unless it is the only way left to sign in."""
    mine = await Identity.select(Identity.id, Identity.provider).where(Identity.user == user_id)
    target = [r for r in mine if r["provider"] == provider]
    if not target:
        raise NotFound("No such linked provider", code="identity_not_found")
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    if not (row and row["password_hash"]) and len(mine) <= 1:
        raise Conflict("Set a password first: this is your only way to sign in", code="last_sign_in_method")
    await Identity.delete().where(Identity.id.is_in([r["id"] for r in target]))
    log.info("user %s unlinked %s", user_id, provider)


async def identities_of(user_id: int) -> list[dict[str, Any]]:
    """The user's linked providers."""
    return await Identity.select(Identity.provider, Identity.email, Identity.created_at).where(
        Identity.user == user_id)

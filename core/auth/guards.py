"""The caller (``Principal``) as a Litestar dependency, and the ``requires("<permission>")`` guard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from core import db, i18n
from core.auth import sql
from core.auth.tokens import AccessClaims, decode_access_token
from core.errors import NotAuthenticated, PermissionDenied
from core.users import services as users


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    user_id: int
    session_id: Any
    roles: tuple[str, ...]
    permissions: frozenset[str]

    def has(self, permission: str) -> bool:
        """Whether the caller holds ``permission``."""
        return users.allows(self.permissions, permission)


SignedIn = NamedDependency[Principal]
"""Handler parameter type for the ``principal`` dependency: ``principal: SignedIn``."""
MaybeSignedIn = NamedDependency[Principal | None]
"""Handler parameter type for ``optional_principal``: ``optional_principal: MaybeSignedIn``."""


async def check_access_token(token: str) -> AccessClaims:
    """The claims of a valid access token whose session is live and whose account is active; 401 otherwise.

    The one check every way in uses: the ``Authorization`` header here, the real-time channel's ``auth`` frame.
    """
    return (await _caller(token))[0]


async def _caller(token: str) -> tuple[AccessClaims, tuple[str, ...], frozenset[str]]:
    """The token's claims, the account's roles and permissions: one statement (``core.auth.sql.PRINCIPAL``)."""
    claims = decode_access_token(token)
    rows = await db.fetch(sql.PRINCIPAL, claims.session_id, claims.user_id)
    if not rows or rows[0]["revoked_at"] is not None:
        raise NotAuthenticated("Session ended; sign in again", code="session_revoked")
    if rows[0]["status"] != "active":
        raise NotAuthenticated("Account is not active", code="account_inactive")
    if not i18n.locale_chosen():  # no Accept-Language: answer in the language the user chose in their profile
        i18n.set_locale(rows[0]["language"], chosen=False)
    return claims, tuple(rows[0]["roles"]), frozenset(rows[0]["permissions"])


async def principal_from(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """Resolve the caller from ``Authorization: Bearer <access token>``; None when absent; 401 when invalid.

    Cached on the connection so guards and handlers resolve it once per request.
    """
    cached = connection.scope.get("state", {}).get("sbor_principal", ...)
    if cached is not ...:
        return cached  # type: ignore[no-any-return]
    header = connection.headers.get("authorization")
    principal = None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("Use 'Authorization: Bearer <access token>'", code="token_invalid")
        claims, roles, perms = await _caller(token.strip())
        principal = Principal(claims.user_id, claims.session_id, roles, perms)
        if connection.scope.get("method") in db.WRITE_METHODS and _reads_back(connection):
            await db.wrote(principal.user_id)  # this caller's reads stay on the primary a while (read your writes)
    connection.scope.setdefault("state", {})["sbor_principal"] = principal
    return principal


def _reads_back(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    handler = connection.scope.get("route_handler")
    return handler is None or bool(handler.opt.get(db.READ_YOUR_WRITES_OPT, True))


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """Dependency ``principal``: the signed-in caller, or 401."""
    principal = await principal_from(request)
    if principal is None:
        raise NotAuthenticated("Sign in to do this", code="not_authenticated")
    return principal


async def provide_optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """Dependency ``optional_principal``: the caller when signed in, else None (invalid tokens still 401)."""
    return await principal_from(request)


def requires(permission: str) -> Any:
    """A Litestar guard: the caller must be signed in and hold ``permission`` (403 otherwise)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await principal_from(connection)
        if principal is None:
            raise NotAuthenticated("Sign in to do this", code="not_authenticated")
        if not principal.has(permission):
            raise PermissionDenied("Requires permission %(permission)s", code="permission_denied",
                                   params={"permission": permission})

    guard.__name__ = f"requires_{permission.replace('.', '_')}"
    return guard



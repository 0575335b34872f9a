"""A standard OpenID Connect provider (discovery, code flow, ID token checked against the provider's JWKS).

Provider plugins for OIDC-compliant services (Google, Microsoft, Keycloak, GitLab…) only configure it::

    @hookimpl
    def register_oidc_providers():
        s = plugin_settings(GoogleLoginSettings)
        return [GenericOIDCProvider("google", "Google", "https://accounts.google.com", s.client_id, s.client_secret)]
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from core.auth.oidc import ExternalIdentity, OIDCProvider

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


class GenericOIDCProvider(OIDCProvider):
    """Authorisation-code flow with ``client_secret_post``.

    The ID token's signature, issuer, audience, expiry and nonce are verified before its claims are believed.
    """

    def __init__(self, name: str, display_name: str, issuer: str, client_id: str, client_secret: str,
                 scopes: str = "openid email profile", timeout_s: float = 10.0) -> None:
        self.name, self.display_name = name, display_name
        self.issuer = issuer.rstrip("/")
        self.client_id, self.client_secret, self.scopes, self.timeout_s = client_id, client_secret, scopes, timeout_s
        self._config: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKClient | None = None

    async def config(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once)."""
        if self._config is None:
            async with httpx.AsyncClient(timeout=self.timeout_s) as http:
                r = await http.get(f"{self.issuer}/.well-known/openid-configuration")
                r.raise_for_status()
                self._config = dict(r.json())
        return self._config

    async def authorization_url(self, *, state: str, nonce: str, redirect_uri: str) -> str:
        """The authorisation endpoint with the code-flow parameters."""
        cfg = await self.config()
        query = urlencode({"client_id": self.client_id, "response_type": "code", "redirect_uri": redirect_uri,
                           "scope": self.scopes, "state": state, "nonce": nonce})
        return f"{cfg['authorization_endpoint']}?{query}"

    async def exchange_code(self, *, code: str, redirect_uri: str, nonce: str = "") -> dict[str, Any]:
        """Trade the code at the token endpoint; verify the ID token (when present) including the nonce."""
        cfg = await self.config()
        async with httpx.AsyncClient(timeout=self.timeout_s) as http:
            r = await http.post(cfg["token_endpoint"], data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "client_id": self.client_id, "client_secret": self.client_secret})
            r.raise_for_status()
            tokens = dict(r.json())
        if tokens.get("id_token"):
            tokens["id_claims"] = await self._verify(str(tokens["id_token"]), nonce)
        return tokens

    async def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        cfg = await self.config()
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(cfg["jwks_uri"], timeout=int(self.timeout_s))
        jwks = self._jwks
        # PyJWKClient fetches with urllib (blocking): keep it off the event loop.
        key = await asyncio.to_thread(jwks.get_signing_key_from_jwt, id_token)
        claims: dict[str, Any] = jwt.decode(id_token, key.key, algorithms=ALGORITHMS, audience=self.client_id,
                                            issuer=cfg.get("issuer", self.issuer),
                                            options={"require": ["exp", "iat", "sub", "aud", "iss"]})
        if nonce and claims.get("nonce") != nonce:
            raise jwt.InvalidTokenError("nonce mismatch")
        return claims

    async def user_info(self, *, tokens: dict[str, Any]) -> ExternalIdentity:
        """Identity from the verified ID token; the userinfo endpoint fills in what it lacks."""
        claims = dict(tokens.get("id_claims") or {})
        cfg = await self.config()
        if ("email" not in claims or not claims.get("sub")) and cfg.get("userinfo_endpoint"):
            async with httpx.AsyncClient(timeout=self.timeout_s) as http:
                r = await http.get(cfg["userinfo_endpoint"],
                                   headers={"Authorization": f"Bearer {tokens['access_token']}"})
                r.raise_for_status()
                info = dict(r.json())
            if claims.get("sub") and info.get("sub") != claims["sub"]:
                raise jwt.InvalidTokenError("userinfo subject differs from the ID token's")
            claims = {**info, **claims}
        return ExternalIdentity(subject=str(claims.get("sub") or ""), email=str(claims.get("email") or ""),
                                email_verified=claims.get("email_verified") in (True, "true"),
                                display_name=str(claims.get("name") or ""))

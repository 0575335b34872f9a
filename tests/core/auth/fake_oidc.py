"""An in-test OIDC provider plugin talking to a real local HTTP identity server (``http.server`` in a thread).

The server speaks the shape of the OAuth 2 authorisation-code flow: ``/authorize`` redirects back with a code,
``/token`` exchanges it (form-encoded, client credentials), ``/userinfo`` answers for the bearer access token.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from core.auth.oidc import ExternalIdentity, OIDCProvider
from core.hooks import hookimpl
from core.manifest import Manifest

manifest = Manifest(name="fakeid", version="0.1.0", hooks="tests.core.auth.fake_oidc")
CLIENT_ID, CLIENT_SECRET = "sbor-test", "s3cret"


class IdentityServer:
    """The provider's side: users chosen by ``login_hint`` (``sub|email|verified|name``)."""

    def __init__(self) -> None:
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.signing_key = self.key  # a test may swap in a key the JWKS does not publish
        self.id_token_nonce: str | None = None  # a test may force a wrong nonce into the ID token
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                server.requests.append(f"GET {url.path}")
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/authorize":
                    if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
                        self._json(400, {"error": "invalid_request"})
                        return
                    sub, email, verified, name = q["login_hint"].split("|")
                    code = secrets.token_urlsafe(8)
                    server.codes[code] = {"sub": sub, "email": email, "email_verified": verified == "1",
                                          "name": name, "redirect_uri": q["redirect_uri"], "nonce": q.get("nonce")}
                    self.send_response(302)
                    back = urlencode({"code": code, "state": q["state"]})
                    self.send_header("Location", f"{q['redirect_uri']}?{back}")
                    self.end_headers()
                elif url.path == "/.well-known/openid-configuration":
                    self._json(200, {"issuer": server.url, "authorization_endpoint": f"{server.url}/authorize",
                                     "token_endpoint": f"{server.url}/token", "jwks_uri": f"{server.url}/jwks",
                                     "userinfo_endpoint": f"{server.url}/userinfo"})
                elif url.path == "/jwks":
                    jwk = json.loads(RSAAlgorithm.to_jwk(server.key.public_key()))
                    self._json(200, {"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]})
                elif url.path == "/userinfo":
                    token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                    user = server.tokens.get(token)
                    if user is None:
                        self._json(401, {"error": "invalid_token"})
                        return
                    self._json(200, {k: user[k] for k in ("sub", "email", "email_verified", "name")})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                server.requests.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path != "/token":
                    self._json(404, {"error": "not_found"})
                    return
                if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                    self._json(401, {"error": "invalid_client"})
                    return
                grant = server.codes.pop(form.get("code", ""), None)  # codes work once
                if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    self._json(400, {"error": "invalid_grant"})
                    return
                token = secrets.token_urlsafe(16)
                server.tokens[token] = grant
                now = int(time.time())  # the provider's own clock, not Sbor's
                claims = {"iss": server.url, "aud": CLIENT_ID, "sub": grant["sub"], "iat": now, "exp": now + 300,
                          "nonce": server.id_token_nonce or grant["nonce"], "email": grant["email"],
                          "email_verified": grant["email_verified"], "name": grant["name"]}
                id_token = jwt.encode(claims, server.signing_key, algorithm="RS256", headers={"kid": "idp-1"})
                self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                                 "id_token": id_token})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> IdentityServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeProvider(OIDCProvider):
    """A provider plugin as a third party would write one, against the server above."""

    name = "fakeid"
    display_name = "Fake ID"
    base_url = ""

    def authorization_url(self, *, state: str, nonce: str, redirect_uri: str) -> str:
        query = urlencode({"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": redirect_uri,
                           "state": state, "nonce": nonce, "scope": "openid email profile"})
        return f"{self.base_url}/authorize?{query}"

    async def exchange_code(self, *, code: str, redirect_uri: str, nonce: str = "") -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=5) as http:
            r = await http.post(f"{self.base_url}/token", data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
            r.raise_for_status()
            return dict(r.json())

    async def user_info(self, *, tokens: dict[str, Any]) -> ExternalIdentity:
        async with httpx.AsyncClient(timeout=5) as http:
            r = await http.get(f"{self.base_url}/userinfo",
                               headers={"Authorization": f"Bearer {tokens['access_token']}"})
            r.raise_for_status()
            info = r.json()
        return ExternalIdentity(subject=info["sub"], email=info.get("email", ""),
                                email_verified=bool(info.get("email_verified")), display_name=info.get("name", ""))


PROVIDER = FakeProvider()


@hookimpl
def register_oidc_providers() -> list[OIDCProvider]:
    return [PROVIDER]

"""Auth: sign-in, tokens, sessions, second factor, and the ``Principal``/``requires`` every plugin uses."""

from __future__ import annotations

from core.manifest import Manifest

manifest = Manifest(
    name="auth", version="0.1.0", summary="Sign-in, tokens, sessions and permission guards", depends={"users": ">=0.1"}
)

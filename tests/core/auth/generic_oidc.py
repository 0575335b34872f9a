"""An in-test plugin configuring core's GenericOIDCProvider against the local identity server."""

from __future__ import annotations

from core.auth.oidc import OIDCProvider
from core.hooks import hookimpl
from core.manifest import Manifest

manifest = Manifest(name="genericid", version="0.1.0", hooks="tests.core.auth.generic_oidc")
PROVIDERS: list[OIDCProvider] = []


@hookimpl
def register_oidc_providers() -> list[OIDCProvider]:
    return PROVIDERS

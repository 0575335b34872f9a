"""Test helpers for accounts: read issued codes from the log, build apps with extra test plugins."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

import httpx
import pytest

from core.hooks.manager import PluginInfo, PluginsFile, activate, build, current, discover

CODE_LINE = re.compile(r"verification code for user (?P<user>\d+) \((?P<purpose>\w+) via .*: (?P<code>\d{6})$")
DEVICE = "device-0001-test"


class CodeLog:
    """The codes auth wrote to the log (no delivery plugin in these tests, as in local development)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog

    def all(self, purpose: str | None = None) -> list[tuple[int, str, str]]:
        """``(user_id, purpose, code)`` in issue order."""
        out = []
        for rec in self.caplog.records:
            m = CODE_LINE.search(rec.getMessage())
            if m and (purpose is None or m["purpose"] == purpose):
                out.append((int(m["user"]), m["purpose"], m["code"]))
        return out

    def last(self, purpose: str | None = None) -> str:
        """The latest code (for ``purpose``)."""
        found = self.all(purpose)
        assert found, f"no {purpose or ''} code was issued"
        return found[-1][2]


def registry_with(modules: dict[str, ModuleType], enabled: list[str] | None = None) -> Any:
    """A registry with extra in-test plugins (modules carrying a ``manifest``) enabled."""
    available = dict(discover())
    for name, module in modules.items():
        available[name] = PluginInfo(module.manifest, module, "test")
    return build(PluginsFile(enabled=[*(enabled or []), *modules]), available=available)


@asynccontextmanager
async def client_with(modules: dict[str, ModuleType]) -> Any:
    """An HTTP client on an app whose plugin set includes the in-test plugins; the previous set comes back after."""
    from core.app import create_app
    from core.testing import _lifespan

    before = current()
    app = create_app(registry_with(modules))
    try:
        async with _lifespan(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield client
    finally:
        activate(before)


async def register_and_verify(client: httpx.AsyncClient, codes: CodeLog, email: str,
                              password: str = "tangerine-horse-42") -> int:
    """Register ``email`` through the API and verify it from :data:`DEVICE`; return the user id."""
    r = await client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    r2 = await client.post("/api/v1/auth/verify", json={"identifier": email, "code": codes.last("verify"),
                                                         "device_id": DEVICE})
    assert r2.status_code == 204, r2.text
    return int(r.json()["user_id"])


async def login(client: httpx.AsyncClient, identifier: str, password: str = "tangerine-horse-42",
                **extra: Any) -> httpx.Response:
    """POST /auth/login from :data:`DEVICE`."""
    body = {"identifier": identifier, "password": password, "device_id": DEVICE, **extra}
    return await client.post("/api/v1/auth/login", json=body)

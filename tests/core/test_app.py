"""App factory details: CORS for the mobile app, structured logs with request ids, secrets never printed."""

from __future__ import annotations

import json
import logging

import httpx
import msgspec

from core.app import create_app
from core.hooks.manager import PluginsFile, build
from core.logs import JsonFormatter, RequestIdFilter
from core.manifest import redact
from core.settings import get_settings


async def test_cors_allows_configured_origins_only(sbor_database) -> None:
    base = get_settings()
    settings = msgspec.structs.replace(base, http=msgspec.structs.replace(base.http, cors_origins=["https://app.example"]))
    app = create_app(build(PluginsFile(enabled=[])), settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        ok = await c.options("/api/v1/capabilities", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
        assert ok.headers.get("access-control-allow-origin") == "https://app.example"
        bad = await c.options("/api/v1/capabilities", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
        assert bad.headers.get("access-control-allow-origin") != "https://evil.example"


def test_json_logs_carry_the_request_id_and_extra_fields() -> None:
    from core.http.context import request_id

    record = logging.LogRecord("plugins.events", logging.INFO, __file__, 1, "joined %s", ("e1",), None)
    record.user_id = 7
    token = request_id.set("rid-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "joined e1"
    assert line["request_id"] == "rid-1"
    assert line["user_id"] == 7
    assert line["logger"] == "plugins.events"


def test_secret_settings_are_masked() -> None:
    from sbor_hello import HelloSettings

    masked = redact(HelloSettings(api_token="tok", greeting="Hi"))
    assert masked == {"greeting": "Hi", "max_length": 80, "api_token": "********", "retention_days": 30}
    assert redact(HelloSettings())["api_token"] == ""  # nothing to hide

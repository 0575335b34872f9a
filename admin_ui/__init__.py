"""The admin panel: server-rendered pages under ``/admin`` that core and every plugin extend through hooks."""

from __future__ import annotations

from typing import Annotated

import msgspec

from core.manifest import Manifest
from core.pagination import MAX_LIMIT


class AdminSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the admin panel, from ``[settings.admin]`` in plugins.toml."""

    session_idle_s: int = 60 * 60 * 2
    """A staff session ends after this long without a request."""
    session_max_s: int = 60 * 60 * 12
    """A staff session ends this long after sign-in, used or not."""
    cookie_secure: bool | None = None
    """Mark the cookie ``Secure``: ``None`` decides per request (HTTPS or not); set ``true`` behind a TLS proxy."""
    require_totp: bool = True
    """Refuse staff without a second factor (TOTP) turned on; switch off only for local development."""
    login_limit: int = 10
    """Sign-in attempts per minute per address (and per email)."""
    page_size: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = 25
    """Rows per page of every list in the panel (users, audit log, queues, plugins' pages)."""
    claim_minutes: Annotated[int, msgspec.Meta(ge=1, le=240)] = 10
    """Opening a moderation item claims it for this long: other moderators see who holds it."""
    export_max_rows: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 50_000
    """The most rows one "Export CSV" writes (the list's filters applied); the file then ends with a note row."""


manifest = Manifest(
    name="admin",
    version="0.1.0",
    summary="The admin panel: moderation, users, roles, audit log, plugins",
    core=">=0.1,<1",
    settings=AdminSettings,
)

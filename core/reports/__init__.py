"""Reports and text screening: any user reports what they see, one queue for staff, thresholds, blocklists."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.manifest import Manifest


class ReportsSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of reports, from ``[settings.reports]`` in plugins.toml."""

    hide_after: Annotated[int, Meta(ge=0, le=1000)] = 3
    """Distinct reporters after whom a target is hidden until a moderator decides (0: never hide)."""
    hide_after_by_type: dict[str, Annotated[int, Meta(ge=0, le=1000)]] = {}
    """Per-type overrides of ``hide_after`` (``{"events.event" = 5, "groups.message" = 2}``)."""
    reports_per_hour: Annotated[int, Meta(ge=1)] = 20
    """Reports one user may file per hour (429 ``rate_limited`` beyond)."""
    screening_languages: list[str] = msgspec.field(default_factory=lambda: ["ru", "en"])
    """The blocklists screened when a caller names no language."""
    blocklist: dict[str, list[Annotated[str, Meta(min_length=1, max_length=100)]]] = {}
    """Blocked words per language from the operator's file (``{ru = ["…"], en = ["…"]}``), beside staff's list."""


manifest = Manifest(
    name="reports", version="0.1.0", summary="Reports of users, events and plugins' content; text screening",
    depends={"users": ">=0.1"}, settings=ReportsSettings,
)

"""API shapes of reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Reason = Literal["spam", "scam", "harassment", "nudity", "illegal", "other"]


class ReportCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Report something to the moderators: what (``target_type``, ``target_id``), why, and in your words."""

    target_type: Annotated[str, Meta(min_length=3, max_length=64, examples=["events.event"])]
    target_id: Annotated[int, Meta(ge=1, le=2_147_483_647)]
    reason: Reason
    text: Annotated[str, Meta(max_length=2000)] = ""


class ReportRead(msgspec.Struct):
    """A report I filed; ``status`` is its case's: ``open``, ``upheld`` (staff agreed) or ``dismissed``."""

    id: int
    target_type: str
    target_id: int
    reason: str
    text: str
    status: str
    created_at: datetime
    decided_at: datetime | None = None


class ReportTypeRead(msgspec.Struct):
    """A kind of thing that can be reported here."""

    name: str
    label: str

"""Trust levels: a new organiser's events are reviewed; a proven one's publish at once, until a report is upheld.

An organiser is trusted once moderators approved ``trusted_after_approved`` of their events since the last report
upheld against one of their events (``core.reports``): one upheld report sends their next events back to the queue,
and the count starts again. A submission the screener flagged is always reviewed.
"""

from __future__ import annotations

from piccolo.query.functions.aggregate import Count

from core.hooks import plugin_settings
from core.reports import services as reports
from plugins.events import EventsSettings, states
from plugins.events.tables import StatusMove

EVENT_TYPE = "events.event"
TRUSTED = "trusted organiser"
"""The history's reason when a trusted organiser's submission published without review."""


async def approved_since_upheld(author_id: int) -> int:
    """Events of ``author_id`` a moderator approved since the last report upheld against one of their events."""
    where = [StatusMove.event.author == author_id, StatusMove.from_status == states.PENDING,
             StatusMove.to_status == states.PUBLISHED, StatusMove.actor.is_not_null()]
    since = await reports.last_upheld_at(author_id, EVENT_TYPE)
    if since is not None:
        where.append(StatusMove.at > since)
    row = await StatusMove.select(Count(distinct=[StatusMove.event], alias="n")).where(
        *where).first()
    return int(row["n"]) if row else 0


async def is_trusted(author_id: int) -> bool:
    """Whether ``author_id``'s submissions publish without review (see the module's docstring)."""
    needed = plugin_settings(EventsSettings).trusted_after_approved
    return needed > 0 and await approved_since_upheld(author_id) >= needed

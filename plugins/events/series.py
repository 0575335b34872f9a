"""Series: an RFC 5545 rule expanded in the venue's local time (DST keeps 19:00 at 19:00) into occurrence events."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from core import clock
from core.hooks import plugin_settings
from plugins.events import EventsSettings, validation
from plugins.events.services import Actor, check_host, insert_event, place_of
from plugins.events.store import transaction
from plugins.events.tables import Series

log = logging.getLogger("plugins.events")


def expand(rule: str, first_start: datetime, tz: ZoneInfo, limit: int) -> list[datetime]:
    """Occurrence starts (aware, UTC) of ``rule`` from ``first_start``, computed on the local wall clock of ``tz``."""
    local = first_start.astimezone(tz).replace(tzinfo=None)  # naive local: the rule repeats wall-clock times
    text = rule.strip().removeprefix("RRULE:")
    if not text or "\n" in text or "DTSTART" in text.upper():
        raise validation.fail("/rrule", "give one RRULE value such as FREQ=WEEKLY;COUNT=10", "invalid_rrule")
    upper = text.upper()
    if "COUNT=" not in upper and "UNTIL=" not in upper:
        raise validation.fail("/rrule", "the rule needs COUNT or UNTIL", "invalid_rrule")
    try:
        rule_obj = rrulestr(text, dtstart=local)
        out: list[datetime] = []
        for occurrence in rule_obj:
            if len(out) >= limit:
                raise validation.fail("/rrule", "a series has at most %(limit)s occurrences", "too_many_occurrences",
                                      params={"limit": limit})
            # fold=0: in the repeated hour of a DST change take the first; a skipped hour moves forward (zoneinfo).
            out.append(occurrence.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")))
    except (ValueError, TypeError) as exc:
        raise validation.fail("/rrule", "invalid recurrence rule: %(exc)s", "invalid_rrule",
                              params={"exc": exc}) from None
    return out


async def create_series(actor: Actor, data: dict[str, Any], rule: str) -> dict[str, Any]:
    """Create a series and its occurrences (drafts, each editable and cancellable on its own)."""
    validation.event_fields(data, creating=True, pointer="/event")
    await check_host(actor, data, "/event")
    async with transaction():
        place = await place_of(data, "/event")
        tz = ZoneInfo(place["timezone"])
        starts = expand(rule, data["starts_at"], tz, plugin_settings(EventsSettings).series_max_occurrences)
        duration_local = data["ends_at"] - data["starts_at"]
        rows = await Series.insert(Series(author=actor.user_id, rrule=rule.strip(), timezone=place["timezone"],
                                          created_at=clock.now())).returning(Series.id)
        series_id: int = rows[0]["id"]
        ids = []
        for start in starts:
            # The duration is kept in wall-clock terms too: 19:00-21:00 stays 19:00-21:00 across DST.
            local_start = start.astimezone(tz).replace(tzinfo=None)
            end = (local_start + duration_local).replace(tzinfo=tz).astimezone(ZoneInfo("UTC"))
            ids.append(await insert_event(actor, {**data, "starts_at": start, "ends_at": end}, series_id, place))
    log.info("user %s created series %s with %s occurrences", actor.user_id, series_id, len(ids))
    return {"id": series_id, "rrule": rule.strip(), "timezone": place["timezone"], "occurrence_ids": ids}

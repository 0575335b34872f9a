"""The user's rights over analytics data: export what we hold, and anonymise it when the account is deleted."""

from __future__ import annotations

import logging
from typing import Any

from core import db

log = logging.getLogger("plugins.analytics")


async def export(user_id: int) -> dict[str, Any]:
    """What analytics holds about a user: counts of raw records and the experiments they were part of."""
    subject = f"u:{user_id}"
    counts = await db.fetch(
        "SELECT (SELECT count(*) FROM analytics.client_event WHERE user_id = $1) AS client_events, "
        "(SELECT count(*) FROM analytics.fact WHERE user_id = $1) AS facts", user_id)
    exposures = await db.fetch(
        "SELECT e.key, x.variant, x.exposed_at, x.converted_at FROM analytics.exposure x "
        "JOIN analytics.experiment e ON e.id = x.experiment WHERE x.subject = $1 ORDER BY x.exposed_at", subject)
    return {"analytics": {
        "client_events": counts[0]["client_events"], "facts": counts[0]["facts"],
        "experiments": [{"experiment": r["key"], "variant": r["variant"], "exposed_at": r["exposed_at"].isoformat(),
                         "converted_at": r["converted_at"].isoformat() if r["converted_at"] else None}
                        for r in exposures],
    }}


ERASE = [
    # Raw rows lose the person; rolled-up figures stay (they hold no identity).
    "UPDATE analytics.client_event SET user_id = NULL, device_id = 'erased' WHERE user_id = $1",
    "UPDATE analytics.fact SET user_id = NULL WHERE user_id = $1",
    # Dedupe sets and exposures keep one anonymous member per row, so counts and results do not change.
    "UPDATE analytics.event_viewer SET viewer = 'x:' || gen_random_uuid() WHERE viewer = $1",
    "UPDATE analytics.event_viewer_day SET viewer = 'x:' || gen_random_uuid() WHERE viewer = $1",
    "UPDATE analytics.active_actor SET actor = 'x:' || gen_random_uuid() WHERE actor = $1",
    "UPDATE analytics.exposure SET subject = 'x:' || gen_random_uuid() WHERE subject = $1",
]


async def erase(user_id: int) -> None:
    """Anonymise a deleted account's analytics data (idempotent)."""
    for sql in ERASE:
        # The first two match the id column, the others the subject string.
        await db.fetch(sql, user_id if "user_id = $1" in sql else f"u:{user_id}")
    log.info("analytics: anonymised the data of user %s", user_id)

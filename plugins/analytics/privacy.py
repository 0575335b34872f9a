"""The user's rights over analytics data: export what we hold, and anonymise it when the account is deleted."""

from __future__ import annotations

import logging
from typing import Any

from piccolo.querystring import QueryString

from plugins.analytics.tables import ActiveActor, ClientEvent, EventViewer, EventViewerDay, Exposure, Fact

log = logging.getLogger("plugins.analytics")


async def export(user_id: int) -> dict[str, Any]:
    """What analytics holds about a user: counts of raw records and the experiments they were part of."""
    client_events = await ClientEvent.count().where(ClientEvent.user_id == user_id)
    facts = await Fact.count().where(Fact.user_id == user_id)
    exposures = await Exposure.select(
        Exposure.experiment.key.as_alias("key"), Exposure.variant, Exposure.exposed_at, Exposure.converted_at
    ).where(Exposure.subject == f"u:{user_id}").order_by(Exposure.exposed_at)
    return {"analytics": {
        "client_events": client_events, "facts": facts,
        "experiments": [{"experiment": r["key"], "variant": r["variant"], "exposed_at": r["exposed_at"].isoformat(),
                         "converted_at": r["converted_at"].isoformat() if r["converted_at"] else None}
                        for r in exposures],
    }}


def _anonymous() -> QueryString:
    """A fresh anonymous member for a dedupe set: counts and results stay, the person goes."""
    return QueryString("'x:' || gen_random_uuid()")


async def erase(user_id: int) -> None:
    """Anonymise a deleted account's analytics data (idempotent), inside the deletion's transaction."""
    subject = f"u:{user_id}"
    # Raw rows lose the person; rolled-up figures stay (they hold no identity).
    await ClientEvent.update({ClientEvent.user_id: None, ClientEvent.device_id: "erased"}).where(
        ClientEvent.user_id == user_id)
    await Fact.update({Fact.user_id: None}).where(Fact.user_id == user_id)
    # Dedupe sets and exposures keep one anonymous member per row, so counts and results do not change.
    await EventViewer.update({EventViewer.viewer: _anonymous()}).where(EventViewer.viewer == subject)
    await EventViewerDay.update({EventViewerDay.viewer: _anonymous()}).where(EventViewerDay.viewer == subject)
    await ActiveActor.update({ActiveActor.actor: _anonymous()}).where(ActiveActor.actor == subject)
    await Exposure.update({Exposure.subject: _anonymous()}).where(Exposure.subject == subject)
    log.info("analytics: anonymised the data of user %s", user_id)

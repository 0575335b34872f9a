"""Venues' POS configuration, written by staff: the adapter, its settings, credentials (encrypted, write-only)."""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from core import clock
from core.errors import ValidationFailed
from core.settings import get_settings
from plugins.orders import credentials, pos, signing
from plugins.orders.menu import venue_or_404
from plugins.orders.schemas import PosConfigRead, PosConfigWrite
from plugins.orders.tables import VenuePos

log = logging.getLogger("plugins.orders")


def webhook_url(venue_id: int) -> str:
    """Where the venue's POS sends its webhooks."""
    base = get_settings().http.public_url.rstrip("/")
    return f"{base}/api/v1/orders/pos/{venue_id}/webhooks"


async def read(venue_id: int, new_secret: str | None = None) -> PosConfigRead:
    """The configuration as staff see it: secrets only as "set"."""
    await venue_or_404(venue_id)
    row = await pos.config_row(venue_id)
    if row is None:
        return PosConfigRead(venue_id=venue_id, adapter="manual", settings={}, secret_set=False,
                             webhook_secret_set=False, outgoing_url="", outgoing_secrets=0,
                             webhook_url=webhook_url(venue_id))
    settings = row["settings"]
    if isinstance(settings, str):
        settings = msgspec.json.decode(settings or "{}")
    return PosConfigRead(venue_id=venue_id, adapter=row["adapter"], settings=dict(settings),
                         secret_set=bool(row["secret_enc"]), webhook_secret_set=bool(row["webhook_secret_enc"]),
                         outgoing_url=row["outgoing_url"],
                         outgoing_secrets=len(credentials.decrypt_list(row["outgoing_secrets_enc"])),
                         webhook_url=webhook_url(venue_id), new_outgoing_secret=new_secret)


async def write(staff_id: int, venue_id: int, data: PosConfigWrite) -> PosConfigRead:
    """Set the venue's adapter and settings; empty secrets keep the stored ones.

    A rotation adds a signing secret in front and keeps the previous one (both sign until the next rotation), and
    returns the new one once.
    """
    await venue_or_404(venue_id)
    adapter = pos.adapter(data.adapter)
    unknown = sorted(set(data.settings) - set(adapter.settings_fields))
    if unknown:
        raise ValidationFailed("unknown settings for this adapter", code="unknown_pos_setting",
                               errors=[{"pointer": f"/settings/{k}", "detail": "not a setting of this adapter"}
                                       for k in unknown])
    row = await pos.config_row(venue_id)
    secrets_ = credentials.decrypt_list(row["outgoing_secrets_enc"]) if row else []
    new_secret = None
    if data.rotate_outgoing_secret or (data.outgoing_url and not secrets_):
        new_secret = signing.new_secret()
        secrets_ = [new_secret, *secrets_[:1]]
    values: dict[str, Any] = {
        "adapter": data.adapter, "settings": dict(data.settings), "outgoing_url": data.outgoing_url,
        "outgoing_secrets_enc": credentials.encrypt_list(secrets_), "updated_at": clock.now()}
    if data.secret or row is None:
        values["secret_enc"] = credentials.encrypt(data.secret)
    if data.webhook_secret or row is None:
        values["webhook_secret_enc"] = credentials.encrypt(data.webhook_secret)
    if row is None:
        await VenuePos.insert(VenuePos(venue_id=venue_id, **values))
    else:
        await VenuePos.update({getattr(VenuePos, k): v for k, v in values.items()}).where(
            VenuePos.venue_id == venue_id)
    log.info("staff %s configured the POS of venue %s: adapter %s, settings %s, secret %s, webhook secret %s",
             staff_id, venue_id, data.adapter, sorted(data.settings), "changed" if data.secret else "kept",
             "changed" if data.webhook_secret else "kept")
    return await read(venue_id, new_secret)


async def queue_sync(staff_id: int, venue_id: int) -> None:
    """Queue the venue's menu sync."""
    await venue_or_404(venue_id)
    from plugins.orders import jobs

    await jobs.sync_menu.enqueue(venue_id)
    log.info("staff %s asked for the menu sync of venue %s", staff_id, venue_id)

"""A person's data rights: the export of their uploads and tags, and erasure with the account."""

from __future__ import annotations

from typing import Any

from plugins.media import states
from plugins.media.store import log
from plugins.media.tables import Item, PersonTag


async def export_user(user_id: int) -> dict[str, Any]:
    """The user's uploads and the photos they are tagged in (JSON-ready)."""
    items = await Item.select(Item.id, Item.kind, Item.status, Item.target, Item.target_id, Item.created_at).where(
        Item.uploader == user_id).order_by(Item.id)
    tags = await PersonTag.select(PersonTag.item, PersonTag.accepted_at).where(PersonTag.person == user_id)
    return {
        "uploads": [{**r, "created_at": r["created_at"].isoformat()} for r in items],
        "tagged_in": [{"media_id": r["item"], "accepted": r["accepted_at"] is not None} for r in tags],
    }


async def erase_user(user_id: int) -> None:
    """Delete the user's uploads (the purge job removes the files after the commit) and every tag of them."""
    from core import clock

    await PersonTag.delete().where((PersonTag.person == user_id) | (PersonTag.tagged_by == user_id))
    ids = await Item.update({Item.status: states.DELETED, Item.deleted_at: clock.now()}).where(
        Item.uploader == user_id, Item.status != states.DELETED).returning(Item.id)
    log.info("erased user %s: %s media items deleted (purged by the sweep)", user_id, len(ids))

"""Low-level helpers of media: transactions, item loads (locked or not), snapshots for hooks, status moves."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from core import clock, db, hooks
from core.errors import NotFound
from plugins.media import hookspecs, sql, states
from plugins.media.hookspecs import MediaInfo
from plugins.media.tables import Item

log = logging.getLogger("plugins.media")
Row = dict[str, Any]
REF_PREFIX = "media:"


def ref_of(item_id: int) -> str:
    """The reference other plugins store: ``media:<id>``."""
    return f"{REF_PREFIX}{item_id}"


def id_of(ref: str) -> int | None:
    """The item id of a ``media:<id>`` reference, None when it is not one."""
    head, _, tail = ref.partition(":")
    if f"{head}:" != REF_PREFIX or not tail.isdigit() or len(tail) > 12:
        return None
    return int(tail)


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A transaction on the primary; Piccolo queries and hook implementations in this task join it."""
    async with db.engine().transaction():
        yield


def not_found(item_id: int | str) -> NotFound:
    """The one answer for an item that does not exist, is deleted, or that the caller may not see."""
    return NotFound("media %(item_id)s not found", params={"item_id": item_id}, code="media_not_found")


async def load(item_id: int) -> Row:
    """An item row (deleted ones too); NotFound when missing."""
    row = await Item.select(*Item.all_columns(), Item.uploader.as_alias("uploader_id")).where(
        Item.id == item_id).first()
    if row is None:
        raise not_found(item_id)
    return dict(row)


async def lock(item_id: int) -> Row:
    """Take the item's row lock for the rest of the transaction and return it freshly read."""
    if not await Item.raw(sql.LOCK_ITEM, item_id):
        raise not_found(item_id)
    return await load(item_id)


def renditions_of(row: Row) -> list[dict[str, Any]]:
    """The item's derived files (``{"name", "fmt", "key", "width", "height"}``); Piccolo reads JSONB as text."""
    value = row["renditions"]
    if isinstance(value, str):
        value = json.loads(value)
    return list(value or [])


def info(row: Row) -> MediaInfo:
    """The snapshot handed to hooks and other plugins."""
    return MediaInfo(id=row["id"], ref=ref_of(row["id"]), kind=row["kind"], status=row["status"],
                     uploader_id=row["uploader_id"] if "uploader_id" in row else row["uploader"],
                     target=row["target"], target_id=row["target_id"], event_id=row["event_id"],
                     private=row["private"], mime=row["mime"], width=row["width"], height=row["height"],
                     duration_s=row["duration_s"])


async def move(row: Row, new: str, actor_id: int | None, **values: Any) -> Row:
    """Check and write one status move of a locked row, call the hooks that follow it, return the new row."""
    states.check_move(row["status"], new)
    now = clock.now()
    changes: dict[Any, Any] = {Item.status: new}
    if new in (states.APPROVED, states.REJECTED) or (new == states.PENDING and actor_id is not None):
        changes.update({Item.decided_at: now, Item.decided_by: actor_id})
    if new == states.APPROVED and row["published_at"] is None:
        changes[Item.published_at] = now
    if new == states.DELETED:
        changes[Item.deleted_at] = now
    for name, value in values.items():
        changes[Item._meta.get_column_by_name(name)] = value
    await Item.update(changes).where(Item.id == row["id"])
    after = await load(row["id"])
    if new == states.APPROVED:
        await hooks.notify(hookspecs.media_approved, media=info(after))
    elif row["status"] == states.APPROVED or new in (states.REJECTED, states.DELETED):
        await hooks.notify(hookspecs.media_removed, media=info(after), reason=new)
    log.info("media %s: %s → %s by %s", row["id"], row["status"], new, actor_id or "the system")
    return after

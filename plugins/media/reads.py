"""What viewers see: who may see an item, its shape with URLs and consented tags, and the three galleries."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from piccolo.custom_types import Combinable

from core import hooks
from core.pagination import Page, decode_cursor, paginate
from plugins.media import delivery, hookspecs, states, targets
from plugins.media.schemas import MediaRead, PersonRead, SharedParams
from plugins.media.store import Row, info, load, not_found, ref_of
from plugins.media.tables import Item, PersonTag

load_any = load

COLUMNS = (*Item.all_columns(), Item.uploader.as_alias("uploader_id"))


async def may_see(row: Row, user_id: int | None, moderator: bool = False) -> bool:
    """Whether the viewer may see the item (its uploader and moderators always; others once approved)."""
    if row["status"] == states.DELETED:
        return False
    if moderator or (user_id is not None and row["uploader_id"] == user_id):
        return True
    if row["status"] != states.APPROVED:
        return False
    if row["event_id"] is not None:
        from plugins.events import api as events

        try:
            event = await events.get_event_info(row["event_id"])
        except Exception:  # the event is gone: so is its gallery
            return False
        return await targets.may_view(event, user_id)
    if not row["private"]:
        return True
    return bool(await hooks.first(hookspecs.media_visible_from_plugin, media=info(row), user_id=user_id))


async def visible(item_id: int, user_id: int | None, moderator: bool = False) -> Row:
    """The item if the viewer may see it; NotFound ``media_not_found`` otherwise (never a hint that it exists)."""
    row = await load(item_id)
    if not await may_see(row, user_id, moderator):
        raise not_found(item_id)
    return row


async def people(item_ids: list[int], viewer_id: int | None, owners: dict[int, int]) -> dict[int, list[PersonRead]]:
    """Tags per item: accepted ones for everyone; pending ones only for the uploader and the tagged person."""
    if not item_ids:
        return {}
    rows = await PersonTag.select(PersonTag.item, PersonTag.person, PersonTag.person.display_name.as_alias("name"),
                                  PersonTag.accepted_at).where(PersonTag.item.is_in(item_ids)).order_by(PersonTag.id)
    out: dict[int, list[PersonRead]] = {}
    for r in rows:
        accepted = r["accepted_at"] is not None
        if accepted or viewer_id in (r["person"], owners.get(r["item"])):
            out.setdefault(r["item"], []).append(PersonRead(r["person"], r["name"], accepted))
    return out


async def shape(rows: list[Row], viewer_id: int | None) -> list[MediaRead]:
    """Rows as the API shows them to ``viewer_id`` (URLs signed per viewer)."""
    tags = await people([r["id"] for r in rows], viewer_id, {r["id"]: r["uploader_id"] for r in rows})
    out = []
    for r in rows:
        own = viewer_id == r["uploader_id"]
        urls = await delivery.urls(r) if r["status"] in (states.APPROVED, states.PENDING) else delivery.Urls({}, None)
        out.append(MediaRead(
            id=r["id"], ref=ref_of(r["id"]), kind=r["kind"], mime=r["mime"], status=r["status"], target=r["target"],
            target_id=r["target_id"], event_id=r["event_id"], uploader_id=r["uploader_id"], width=r["width"],
            height=r["height"], duration_s=r["duration_s"], blurhash=r["blurhash"], color=r["color"],
            files=urls.files, urls_expire_at=urls.expires_at, created_at=r["created_at"],
            published_at=r["published_at"], people=tags.get(r["id"], []),
            error_code=(r["error_code"] or None) if own else None, error_detail=(r["error_detail"] or None) if own
            else None, reason=(r["reason"] or None) if own else None))
    return out


async def one(item_id: int, viewer_id: int | None, moderator: bool = False) -> MediaRead:
    """One item as the viewer may see it."""
    return (await shape([await visible(item_id, viewer_id, moderator)], viewer_id))[0]


def _newest(scope: str, cursor: str | None, column: Any) -> list[Combinable]:
    if not cursor:
        return []
    at, after = decode_cursor(cursor, datetime, int, scope=scope)
    return [(column < at) | ((column == at) & (Item.id < after))]


async def _page(where: list[Combinable], column: Any, key: str, scope: str, limit: int,
                viewer_id: int | None) -> Page[MediaRead]:
    rows = await Item.select(*COLUMNS).where(*where).order_by(column, Item.id, ascending=False).limit(limit + 1)
    items, nxt = paginate(rows, limit, key=lambda r: (r[key], r["id"]), scope=scope)
    return Page(items=await shape(items, viewer_id), next_cursor=nxt)


async def event_gallery(event_id: int, viewer_id: int | None, cursor: str | None, limit: int) -> Page[MediaRead]:
    """An event's approved gallery items, newest first (NotFound when the viewer may not see the event)."""
    await targets.visible_event(event_id, viewer_id)
    scope = f"media.gallery.{event_id}"
    where = [Item.event_id == event_id, Item.target == "events.gallery", Item.status == states.APPROVED,
             *_newest(scope, cursor, Item.published_at)]
    return await _page(where, Item.published_at, "published_at", scope, limit, viewer_id)


async def shared_gallery(params: SharedParams, viewer_id: int | None) -> Page[MediaRead]:
    """Approved items of public events' galleries, newest first, filtered by city, tag, event date and kind."""
    scope = "media.shared"
    where: list[Combinable] = [Item.public_gallery.eq(True), Item.status == states.APPROVED,
                               *_newest(scope, params.cursor, Item.published_at)]
    if params.city:
        where.append(Item.city.ilike(params.city.replace("%", "").replace("_", r"\_")))
    if params.tag:
        where.append(Item.tags.any(params.tag))
    if params.date_from:
        where.append(Item.event_starts_at >= datetime.combine(params.date_from, time(), UTC))
    if params.date_to:
        where.append(Item.event_starts_at < datetime.combine(params.date_to + timedelta(days=1), time(), UTC))
    if params.kind:
        where.append(Item.kind == params.kind)
    return await _page(where, Item.published_at, "published_at", scope, params.limit, viewer_id)


async def mine(user_id: int, cursor: str | None, limit: int, status: str | None) -> Page[MediaRead]:
    """The user's own uploads with their moderation state, newest first."""
    scope = "media.mine"
    where: list[Combinable] = [Item.uploader == user_id, Item.status != states.DELETED,
                               *_newest(scope, cursor, Item.created_at)]
    if status:
        where.append(Item.status == status)
    return await _page(where, Item.created_at, "created_at", scope, limit, user_id)

"""Groups: create, edit, delete, the page, search, my groups, following. No Litestar."""

from __future__ import annotations

import logging
import re
from typing import Any

from piccolo.query.functions.aggregate import Count

from core import audit, clock, db, hooks, ratelimit
from core.errors import AlreadyExists, Conflict, PermissionDenied, PreconditionFailed
from core.geo import bounding_box
from core.hooks import hookspecs as core_specs
from core.hooks import plugin_settings
from core.pagination import Page, decode_cursor, paginate
from core.users.privacy import can_see
from plugins.groups import GroupsSettings, hookspecs, sql, states, store
from plugins.groups.members import Actor, visible_group
from plugins.groups.store import Row, fail
from plugins.groups.tables import Follower, Group, Member

log = logging.getLogger("plugins.groups")

CREATES_PER_HOUR = 10
EDITABLE = ("name", "description", "cover_ref", "tags", "city", "latitude", "longitude", "visibility", "join_policy")
_LATIN = "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split()
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN, strict=True))
SCOPE_SEARCH, SCOPE_MINE = "groups.search", "groups.mine"


def slugify(name: str) -> str:
    """A URL slug from a name: Cyrillic transliterated, anything else not [a-z0-9] a hyphen; ``group`` if empty."""
    text = "".join(_TRANSLIT.get(c, c) for c in name.lower()).replace("-", " ")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60].strip("-")
    return slug or "group"


async def _free_slug(base: str) -> str:
    taken = {r["slug"] for r in await Group.select(Group.slug).where(Group.slug.like(f"{base}%"))}
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


def _check_place(data: dict[str, Any]) -> None:
    if (data.get("latitude") is None) != (data.get("longitude") is None):
        raise fail("/longitude" if data.get("longitude") is None else "/latitude",
                   "latitude and longitude go together", "coordinates_incomplete")
    tags = data.get("tags") or []
    if len(set(tags)) != len(tags):
        raise fail("/tags", "tags must be unique")


COVER_TARGET = "groups.cover"


async def check_cover(user_id: int, ref: str | None, group_id: int) -> None:
    """A new cover must be the user's own upload for this group's cover, as media says (core's hook).

    ``group_id`` 0 while creating. 422 (pointer ``/cover_ref``) ``media_not_allowed`` when media refuses it,
    ``media_unavailable`` when nobody answers (media disabled).
    """
    if ref is None:
        return
    answer = await hooks.first(core_specs.media_ref_checked, ref=ref, user_id=user_id, target=COVER_TARGET,
                               target_id=group_id)
    if answer is None:
        raise fail("/cover_ref", "covers need the media plugin, which is not enabled", "media_unavailable")
    if not answer:
        raise fail("/cover_ref", "not your cover upload for this group, or not usable", "media_not_allowed")


async def cover_target(group_id: int, user_id: int) -> dict[str, Any]:
    """Who uploads ``groups.cover`` (media asks): the group's owner and admins; a private group's is private."""
    row = await visible_group(Actor(user_id), group_id)
    if await store.active_role(group_id, user_id) not in (states.OWNER, states.ADMIN):
        raise PermissionDenied("Only the group's owner and admins set its cover", code="not_group_admin")
    return {"event_id": None, "private": row["visibility"] == "private", "gallery": False}


async def drop_cover(ref: str) -> None:
    """A media item went away (rejected, deleted): groups that showed it as their cover lose it."""
    changed = await Group.update({Group.cover_ref: None, Group.version: Group.version + 1,
                                  Group.updated_at: clock.now()}).where(Group.cover_ref == ref).returning(Group.id)
    if changed:
        log.info("media %s removed: cover of groups %s cleared", ref, [r["id"] for r in changed])


async def create_group(actor: Actor, data: dict[str, Any]) -> int:
    """Create a group owned by ``actor``; the slug is given (409 ``slug_taken``) or derived from the name."""
    _check_place(data)
    await check_cover(actor.user_id, data.get("cover_ref"), 0)
    await ratelimit.hit("groups.create", str(actor.user_id), limit=CREATES_PER_HOUR, window_s=3600)
    cap = plugin_settings(GroupsSettings).max_groups_per_user
    async with store.transaction():
        owned = await Member.count().where(
            Member.user == actor.user_id, Member.role == states.OWNER, Member.state == states.ACTIVE,
            Member.group.deleted_at.is_null())
        if owned >= cap:
            raise Conflict("You own %(owned)s groups, the most one user may",
                           params={"owned": owned}, code="too_many_groups", limit=cap)
        if data.get("slug"):
            slug = data["slug"]
            if await Group.exists().where(Group.slug == slug):
                raise AlreadyExists("the slug %(slug)r is taken", params={"slug": slug}, code="slug_taken",
                                    errors=[{"pointer": "/slug", "detail": "taken"}])
        else:
            slug = await _free_slug(slugify(data["name"]))
        now = clock.now()
        rows = await Group.insert(Group(
            name=data["name"].strip(), slug=slug, description=data.get("description", ""),
            cover_ref=data.get("cover_ref"), tags=data.get("tags") or [], city=data.get("city", ""),
            latitude=data.get("latitude"), longitude=data.get("longitude"),
            visibility=data.get("visibility", "public"), join_policy=data.get("join_policy", "open"),
            member_count=1, follower_count=0, created_by=actor.user_id, version=1, created_at=now, updated_at=now,
        )).returning(Group.id)
        group_id: int = rows[0]["id"]
        await Member.insert(Member(group=group_id, user=actor.user_id, role=states.OWNER, state=states.ACTIVE,
                                   joined_at=now, created_at=now, updated_at=now))
        await hooks.notify(hookspecs.group_created, group=await store.snapshot(group_id), actor_id=actor.user_id)
    log.info("user %s created group %s (%s)", actor.user_id, group_id, slug)
    return group_id


async def update_group(actor: Actor, group_id: int, data: dict[str, Any], expected_version: int | None) -> None:
    """Edit a group (its owner and admins); ``expected_version`` from If-Match (412 ``version_mismatch``)."""
    async with store.transaction():
        row = await visible_group(actor, group_id, lock=True)
        if await store.active_role(group_id, actor.user_id) not in (states.OWNER, states.ADMIN):
            raise PermissionDenied("Only the group's owner and admins edit it", code="not_group_admin")
        if expected_version is not None and expected_version != row["version"]:
            raise PreconditionFailed("The group changed since you read it", code="version_mismatch")
        merged = {k: row[k] for k in EDITABLE} | data
        _check_place(merged)
        if merged["cover_ref"] != row["cover_ref"]:
            await check_cover(actor.user_id, merged["cover_ref"], group_id)
        values: dict[Any, Any] = {getattr(Group, k): v for k, v in data.items() if k in EDITABLE}
        if "name" in data:
            values[Group.name] = data["name"].strip()
        values[Group.version] = Group.version + 1
        values[Group.updated_at] = clock.now()
        await Group.update(values).where(Group.id == group_id)
        await hooks.notify(hookspecs.group_changed, group=await store.snapshot(group_id), actor_id=actor.user_id)
    log.info("user %s edited group %s: %s", actor.user_id, group_id, sorted(data))


async def delete_group(actor: Actor, group_id: int) -> None:
    """Delete a group (its owner, or a platform moderator): it vanishes everywhere; its rows stay for the record."""
    async with store.transaction():
        await visible_group(actor, group_id, lock=True)
        if not actor.platform_moderator and await store.active_role(group_id, actor.user_id) != states.OWNER:
            raise PermissionDenied("Only the owner deletes a group", code="not_group_owner")
        before = await store.snapshot(group_id)
        now = clock.now()
        await Group.update({Group.deleted_at: now, Group.updated_at: now, Group.version: Group.version + 1}).where(
            Group.id == group_id)
        await hooks.notify(hookspecs.group_deleted, group=before, actor_id=actor.user_id)
        if actor.platform_moderator:  # staff's decision (an owner deleting their own group is not audited)
            await audit.record(actor.user_id, "group.delete", "group", group_id, before={"deleted": False},
                               after={"deleted": True})
    log.info("user %s deleted group %s", actor.user_id, group_id)


async def set_hidden(group_id: int, hidden: bool, staff_id: int | None = None) -> bool:
    """Hide a group after reports (``core.reports``' threshold, or staff by hand), or show it again; idempotent.

    A hidden group is 404 to everyone but its active members and platform moderators, and leaves search and the
    listings; its members keep using it. Nobody is notified. Returns whether anything changed.
    """
    async with store.transaction():
        row = await store.load_group(group_id, lock=True)
        if (row["hidden_at"] is not None) == hidden:
            return False
        now = clock.now()
        await Group.update({Group.hidden_at: now if hidden else None, Group.updated_at: now,
                            Group.version: Group.version + 1}).where(Group.id == group_id)
        await audit.record(staff_id, "group.hide" if hidden else "group.unhide", "group", group_id,
                           actor_label="" if staff_id is not None else "reports",
                           before={"hidden": not hidden}, after={"hidden": hidden})
        await hooks.notify(hookspecs.group_changed, group=await store.snapshot(group_id), actor_id=staff_id or 0)
    log.info("group %s %s after reports", group_id, "hidden" if hidden else "shown again")
    return True


# ---------------------------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------------------------


async def page(actor: Actor | None, slug: str) -> dict[str, Any]:
    """A group's page by slug, with the caller's membership and following; 404 for a private group's outsiders."""
    row = await store.group_by_slug(slug)
    await visible_group(actor, row["id"])
    user_id = actor.user_id if actor else None
    mine = await store.membership(row["id"], user_id)
    following = user_id is not None and await Follower.exists().where(
        Follower.group == row["id"], Follower.user == user_id)
    return {**row, "owner_id": await store.owner_of(row["id"]),
            "my_role": mine["role"] if mine and mine["state"] == states.ACTIVE else None,
            "my_state": mine["state"] if mine else None, "following": following}


async def search(*, q: str | None, tags: list[str], near: tuple[float, float] | None, radius_km: float,
                 cursor: str | None, limit: int) -> Page[Row]:
    """Public groups by text, tags (all of them) and distance; newest first, or nearest first with ``near``."""
    lat = lng = lat_lo = lat_hi = lng_lo = lng_hi = None
    if near is not None:
        lat, lng = near
        box = bounding_box(lat, lng, radius_km)  # lng bounds None across the antimeridian
        lat_lo, lat_hi, lng_lo, lng_hi = box.lat_lo, box.lat_hi, box.lng_lo, box.lng_hi
    scope = SCOPE_SEARCH if near is None else f"{SCOPE_SEARCH}.near:{near[0]:.6f},{near[1]:.6f}"
    after_key: float | None = None
    after_id: int | None = None
    if cursor:
        if near is None:
            (after_id,) = decode_cursor(cursor, int, scope=scope)
        else:
            after_key, after_id = decode_cursor(cursor, float, int, scope=scope)
    common = [q or None, tags or None, limit + 1]
    if near is None:
        rows = await db.fetch(sql.SEARCH_NEWEST, *common, after_id)
        items, nxt = paginate(rows, limit, key=lambda r: (r["id"],), scope=scope)
    else:
        rows = await db.fetch(sql.SEARCH_NEAREST, *common, lat, lng, lat_lo, lat_hi, lng_lo, lng_hi, radius_km,
                              after_key, after_id)
        items, nxt = paginate(rows, limit, key=lambda r: (r["distance_km"], r["id"]), scope=scope)
    return Page(items=items, next_cursor=nxt)


async def mine(user_id: int, cursor: str | None, limit: int) -> Page[Row]:
    """The groups I am an active member of, most recently joined first."""
    where = [Member.user == user_id, Member.state == states.ACTIVE, Member.group.deleted_at.is_null()]
    if cursor:
        (after,) = decode_cursor(cursor, int, scope=SCOPE_MINE)
        where.append(Member.id < after)
    g = Member.group
    rows = await Member.select(
        Member.id.as_alias("member_id"), Member.role.as_alias("my_role"),
        *(getattr(g, f).as_alias(f) for f in store.GROUP_FIELDS),
    ).where(*where).order_by(Member.id, ascending=False).limit(limit + 1)
    items, nxt = paginate(rows, limit, key=lambda r: (r["member_id"],), scope=SCOPE_MINE)
    return Page(items=items, next_cursor=nxt)


async def members(actor: Actor | None, group_id: int, cursor: str | None, limit: int,
                  state: str = states.ACTIVE) -> Page[Row]:
    """Members of a group (oldest first). Other states (requests, invitations, bans) are for its moderators only.

    A member whose profile is hidden from the caller (their privacy setting) is left out; group moderators and
    platform moderators see everyone.
    """
    await visible_group(actor, group_id)
    user_id = actor.user_id if actor else None
    sees_all = bool(actor and actor.platform_moderator) or (
        await store.active_role(group_id, user_id) in states.MODERATING_ROLES)
    if state != states.ACTIVE and not sees_all:
        raise PermissionDenied("Only the group's moderators list requests, invitations and bans",
                               code="not_group_moderator")
    scope = f"groups.members.{group_id}.{state}"
    after = decode_cursor(cursor, int, scope=scope)[0] if cursor else 0
    out: list[Row] = []
    batch_size = limit + 1
    while len(out) <= limit:  # rows hidden by privacy do not shorten a page: read on
        rows = await Member.select(
            Member.id, Member.user.as_alias("user_id"), Member.user.display_name.as_alias("display_name"),
            Member.role, Member.state, Member.joined_at,
        ).where(Member.group == group_id, Member.state == state, Member.id > after).order_by(Member.id).limit(
            batch_size)
        for r in rows:
            after = r["id"]
            if sees_all or await can_see(user_id, r["user_id"], "profile"):
                out.append(r)
                if len(out) > limit:
                    break
        if len(rows) < batch_size:
            break
    items, nxt = paginate(out, limit, key=lambda r: (r["id"],), scope=scope)
    return Page(items=items, next_cursor=nxt)


# ---------------------------------------------------------------------------------------------------------------------
# Following
# ---------------------------------------------------------------------------------------------------------------------


async def follow(actor: Actor, group_id: int) -> None:
    """Follow a public group (idempotent); unlisted and private groups are followed by joining them."""
    async with store.transaction():
        row = await visible_group(actor, group_id, lock=True)
        if row["visibility"] != "public":
            raise Conflict("Only public groups can be followed", code="not_followable")
        mine = await store.membership(group_id, actor.user_id)
        if mine is not None and mine["state"] == states.BANNED:
            raise PermissionDenied("You are banned from this group", code="member_banned")
        if await Follower.exists().where(Follower.group == group_id, Follower.user == actor.user_id):
            return
        await Follower.insert(Follower(group=group_id, user=actor.user_id, created_at=clock.now()))
        await Group.update({Group.follower_count: Group.follower_count + 1}).where(Group.id == group_id)


async def unfollow(actor: Actor, group_id: int) -> None:
    """Stop following (idempotent)."""
    async with store.transaction():
        await visible_group(actor, group_id, lock=True)
        gone = await Follower.delete().where(
            Follower.group == group_id, Follower.user == actor.user_id).returning(Follower.id)
        if gone:
            await Group.update({Group.follower_count: Group.follower_count - len(gone)}).where(Group.id == group_id)


async def count_members(group_id: int) -> int:
    """Active members, counted (the stored ``member_count`` is kept by the moves; this checks it)."""
    rows = await Member.select(Count(alias="n")).where(Member.group == group_id, Member.state == states.ACTIVE)
    return int(rows[0]["n"])

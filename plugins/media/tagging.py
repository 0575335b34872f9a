"""People in photos, only with their consent: the uploader asks, the person accepts or removes the tag."""

from __future__ import annotations

from core import clock, notifications
from core.errors import Conflict, NotFound, PermissionDenied
from core.notifications import Notice
from core.users.tables import User
from plugins.media import reads, states
from plugins.media.store import log, not_found, ref_of, transaction
from plugins.media.tables import PersonTag


async def tag(item_id: int, by_user: int, person_id: int) -> None:
    """The uploader tags a person in a photo; the person is asked (the tag shows once accepted)."""
    row = await reads.visible(item_id, by_user)
    if row["uploader_id"] != by_user:
        raise PermissionDenied("Only the uploader tags people.", code="not_uploader")
    if row["kind"] != "photo" or row["status"] not in (states.PENDING, states.APPROVED):
        raise Conflict("People can be tagged in processed photos only.", code="not_taggable")
    if not await User.exists().where(User.id == person_id):
        raise NotFound("user %(person_id)s not found", params={"person_id": person_id}, code="user_not_found")
    async with transaction():
        own = person_id == by_user
        await PersonTag(item=item_id, person=person_id, tagged_by=by_user,
                        accepted_at=clock.now() if own else None).save()
        if not own:
            await notifications.send(Notice("media.tag_requested", user_ids=[person_id], key=f"media.tag:{item_id}",
                                            subject=f"media.item:{item_id}",
                                            context={"media_ref": ref_of(item_id), "media_id": item_id}))
    log.info("user %s tagged user %s in media %s", by_user, person_id, item_id)


async def accept(item_id: int, person_id: int) -> None:
    """The tagged person agrees to be shown."""
    updated = await PersonTag.update({PersonTag.accepted_at: clock.now()}).where(
        PersonTag.item == item_id, PersonTag.person == person_id, PersonTag.accepted_at.is_null()).returning(
        PersonTag.id)
    if not updated:
        if await PersonTag.exists().where(PersonTag.item == item_id, PersonTag.person == person_id):
            raise Conflict("You accepted this tag already.", code="already_accepted")
        raise NotFound("You are not tagged in this photo.", code="tag_not_found")
    log.info("user %s accepted their tag in media %s", person_id, item_id)


async def remove(item_id: int, person_id: int, by_user: int) -> None:
    """The tagged person removes their tag (any time), or the uploader withdraws it."""
    row = await reads.load_any(item_id)
    if by_user != person_id and row["uploader_id"] != by_user:
        raise not_found(item_id)
    deleted = await PersonTag.delete().where(PersonTag.item == item_id, PersonTag.person == person_id).returning(
        PersonTag.id)
    if not deleted:
        raise NotFound("No such tag.", code="tag_not_found")
    await notifications.withdraw(f"media.tag:{item_id}", [person_id])
    log.info("user %s removed user %s's tag in media %s", by_user, person_id, item_id)

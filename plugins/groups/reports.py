"""Groups and chat messages as reportable content (core.reports): visibility, author, hide, remove."""

from __future__ import annotations

from core.errors import NotFound
from core.reports.types import ReportableType
from plugins.groups import services, store
from plugins.groups.chat import services as chat
from plugins.groups.members import Actor, visible_group


async def _group_visible(group_id: int, viewer_id: int) -> bool:
    """What the group's page shows the viewer (a private group is 404 to outsiders)."""
    try:
        await visible_group(Actor(viewer_id), group_id)
    except NotFound:
        return False
    return True


async def _owner(group_id: int) -> int | None:
    try:
        return await store.owner_of(group_id) or None
    except NotFound:
        return None


async def _group_name(group_id: int) -> str:
    row = await store.load_group(group_id)
    return f"{row['name']} (/{row['slug']})"


async def _hide_group(group_id: int, reason: str) -> None:
    await services.set_hidden(group_id, True)


async def _show_group(group_id: int, staff_id: int | None) -> None:
    await services.set_hidden(group_id, False, staff_id)


async def _delete_group(group_id: int, staff_id: int, note: str) -> None:
    await services.delete_group(Actor(staff_id, platform_moderator=True), group_id)


async def _hide_message(message_id: int, reason: str) -> None:
    await chat.set_held(message_id, True)


async def _show_message(message_id: int, staff_id: int | None) -> None:
    await chat.set_held(message_id, False)


async def _remove_message(message_id: int, staff_id: int, note: str) -> None:
    await chat.remove(message_id, staff_id)


def reportable_types() -> list[ReportableType]:
    """``groups.group`` and ``groups.message``: hidden by reports (shown again on dismissal), removed by staff."""
    from core.reports.types import ReportAction

    return [
        ReportableType(name="groups.group", label="Group", exists=_group_visible, author_of=_owner,
                       describe=_group_name, hide=_hide_group, unhide=_show_group,
                       actions=[ReportAction("remove", "Delete the group", _delete_group, danger=True)]),
        ReportableType(name="groups.message", label="Chat message", exists=chat.visible_to, author_of=chat.author_of,
                       describe=chat.excerpt, hide=_hide_message, unhide=_show_message,
                       actions=[ReportAction("remove", "Remove the message", _remove_message, danger=True)]),
    ]

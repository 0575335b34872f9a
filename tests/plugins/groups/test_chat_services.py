"""The chat's services (no HTTP): posting, history, edits, deletion, reports, screening, export and erasure."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import Conflict, NotFound, PermissionDenied, RateLimited, ValidationFailed
from core.pagination import InvalidCursor
from core.reports import services as reports
from plugins.groups.chat import accounts, conversations, services, sql
from plugins.groups.chat.schemas import CONTACT_DETAILS_HELD
from tests.plugins.groups.chat_support import Rooms, rooms_fixture  # noqa: F401  (the fixture `rooms`)
from tests.test_sql_contract import prepare, statements


async def people(make_user: Any, rooms: Rooms, key: str = "1", n: int = 2) -> list[Any]:
    users = [await make_user() for _ in range(n)]
    for user in users:
        rooms.join(user.id, key)
    return users


async def test_a_post_is_in_history_newest_first_and_pages_with_a_scoped_cursor(make_user, rooms: Rooms) -> None:
    ann, bob = await people(make_user, rooms)
    rooms.join(ann.id, "2")
    for i in range(5):
        await services.post("chat", "1", (ann, bob)[i % 2].id, f"  message {i}  ")
    await services.post("chat", "2", ann.id, "another room")
    first = await services.history("chat", "1", bob.id, None, 3)
    assert [m.body for m in first.items] == ["message 4", "message 3", "message 2"]  # stripped, newest first
    assert first.items[0].author.id == ann.id and first.items[0].author.name == ann.display_name
    assert first.items[0].status == "visible" and first.items[0].warning is None
    second = await services.history("chat", "1", bob.id, first.next_cursor, 3)
    assert [m.body for m in second.items] == ["message 1", "message 0"] and second.next_cursor is None
    with pytest.raises(InvalidCursor):  # a cursor of room 1 is refused by room 2
        await services.history("chat", "2", ann.id, first.next_cursor, 3)


async def test_who_may_read_and_post(make_user, rooms: Rooms) -> None:
    ann, reader, stranger = await make_user(), await make_user(), await make_user()
    rooms.join(ann.id, "1")
    rooms.join(reader.id, "1", post=False)
    await services.post("chat", "1", ann.id, "hi")
    with pytest.raises(NotFound) as e:
        await services.post("chat", "1", stranger.id, "let me in")
    assert e.value.code == "conversation_not_found"
    with pytest.raises(NotFound):
        await services.history("chat", "1", stranger.id, None, 10)
    with pytest.raises(PermissionDenied) as e2:
        await services.post("chat", "1", reader.id, "read-only")
    assert e2.value.code == "chat_post_forbidden"
    assert len((await services.history("chat", "1", reader.id, None, 10)).items) == 1
    with pytest.raises(NotFound) as e:
        await services.post("nonsense", "1", ann.id, "x")
    assert e.value.code == "conversation_not_found"


async def test_a_blank_message_is_refused(make_user, rooms: Rooms) -> None:
    (ann,) = await people(make_user, rooms, n=1)
    with pytest.raises(ValidationFailed) as e:
        await services.post("chat", "1", ann.id, " \n\t ")
    assert e.value.extra["errors"][0]["pointer"] == "/body"


async def test_the_author_edits_within_the_window_then_409(make_user, rooms: Rooms, clock) -> None:
    ann, bob = await people(make_user, rooms)
    clock.freeze()
    msg = await services.post("chat", "1", ann.id, "typo")
    with pytest.raises(PermissionDenied) as e:
        await services.edit(msg.id, bob.id, "not mine")
    assert e.value.code == "not_author"
    clock.advance(14 * 60)
    edited = await services.edit(msg.id, ann.id, "fixed")
    assert edited.body == "fixed" and edited.edited_at is not None
    clock.advance(61 + 60)
    with pytest.raises(Conflict) as c:
        await services.edit(msg.id, ann.id, "too late")
    assert c.value.code == "edit_window_passed"


async def test_delete_leaves_a_tombstone_and_moderators_delete_others(make_user, rooms: Rooms) -> None:
    ann, bob = await people(make_user, rooms)
    mod = await make_user()
    rooms.join(mod.id, "1", moderate=True)
    mine = await services.post("chat", "1", ann.id, "mine")
    theirs = await services.post("chat", "1", bob.id, "rude")
    with pytest.raises(PermissionDenied) as e:
        await services.delete(theirs.id, ann.id)
    assert e.value.code == "not_author"
    await services.report(theirs.id, ann.id, "rude")
    await services.delete(theirs.id, mod.id)
    await services.delete(mine.id, ann.id)
    await services.delete(mine.id, ann.id)  # again: nothing changes
    items = (await services.history("chat", "1", bob.id, None, 10)).items
    assert [(m.status, m.body) for m in items] == [("deleted", None), ("deleted", None)]
    assert items[0].author.id == bob.id  # a tombstone still says whose it was
    (case,) = (await reports.queue(status="upheld")).items  # the report's case closed with the message
    assert (case["target_id"], case["decision"], case["decided_by_id"]) == (theirs.id, "removed", mod.id)
    with pytest.raises(Conflict) as c:
        await services.edit(mine.id, ann.id, "undelete?")
    assert c.value.code == "message_deleted"
    with pytest.raises(Conflict) as c:
        await services.report(mine.id, bob.id, "")
    assert c.value.code == "message_deleted"


async def test_reports_once_never_ones_own_and_only_by_readers(make_user, rooms: Rooms) -> None:
    ann, bob = await people(make_user, rooms)
    stranger = await make_user()
    msg = await services.post("chat", "1", ann.id, "hello")
    report = await services.report(msg.id, bob.id, " spam ")
    assert (report.message_id, report.reason, report.status) == (msg.id, "spam", "open")
    with pytest.raises(Conflict) as c:
        await services.report(msg.id, bob.id, "again")
    assert c.value.code == "already_reported"
    with pytest.raises(Conflict) as c:
        await services.report(msg.id, ann.id, "me")
    assert c.value.code == "own_message"
    with pytest.raises(NotFound) as e:
        await services.report(msg.id, stranger.id, "x")
    assert e.value.code == "message_not_found"
    with pytest.raises(NotFound):
        await services.report(10**9, bob.id, "x")


async def test_leaving_the_room_loses_access_to_its_messages(make_user, rooms: Rooms) -> None:
    ann, bob = await people(make_user, rooms)
    msg = await services.post("chat", "1", ann.id, "before I go")
    rooms.leave(ann.id, "1")
    for call in (services.edit(msg.id, ann.id, "x"), services.delete(msg.id, ann.id),
                 services.history("chat", "1", ann.id, None, 10)):
        with pytest.raises(NotFound):
            await call
    assert len((await services.history("chat", "1", bob.id, None, 10)).items) == 1


async def test_contacts_are_held_in_screened_conversations_only(make_user, rooms: Rooms) -> None:
    ann, bob = await people(make_user, rooms, key="7")
    rooms.screened.add("7")
    held = await services.post("pair", "7", ann.id, "call me +7 (999) 123-45-67")
    assert (held.status, held.warning) == ("held", CONTACT_DETAILS_HELD)
    assert held.author.id is None and held.author.name == f"Guest {ann.id}"  # pairs show pseudonyms
    fine = await services.post("pair", "7", ann.id, "see you at 19:00, tickets 1500 RUB")
    assert (fine.status, fine.warning) == ("visible", None)
    # The other side never sees the held message; its author does
    assert [m.id for m in (await services.history("pair", "7", bob.id, None, 10)).items] == [fine.id]
    assert [m.id for m in (await services.history("pair", "7", ann.id, None, 10)).items] == [fine.id, held.id]
    with pytest.raises(NotFound):
        await services.report(held.id, bob.id, "x")
    # An edit may hold a shown message back, or show a held one once the contact is gone
    assert (await services.edit(fine.id, ann.id, "mail ada at example dot com")).warning == CONTACT_DETAILS_HELD
    assert (await services.edit(held.id, ann.id, "never mind")).status == "visible"
    # Group rooms are never screened
    assert not await conversations.GROUP.screen_contacts("7")


async def test_posting_and_editing_share_the_per_room_limit(make_user, rooms: Rooms) -> None:
    ann, bob = await people(make_user, rooms)
    rooms.join(ann.id, "2")
    msg = await services.post("chat", "1", ann.id, "0")
    for i in range(28):
        await services.post("chat", "1", ann.id, str(i))
    await services.edit(msg.id, ann.id, "edited")  # the 30th use of the minute
    with pytest.raises(RateLimited) as e:
        await services.post("chat", "1", ann.id, "one too many")
    assert e.value.code == "rate_limited" and 1 <= e.value.retry_after <= 60
    await services.post("chat", "2", ann.id, "another room has its own count")
    await services.post("chat", "1", bob.id, "another user too")


async def test_export_and_erasure(make_user, rooms: Rooms) -> None:
    ann, bob = await people(make_user, rooms, key="7")
    rooms.screened.add("7")
    shown = await services.post("pair", "7", ann.id, "hello")
    await services.post("pair", "7", ann.id, "ada@example.org")
    other = await services.post("pair", "7", bob.id, "hi")
    await services.report(other.id, ann.id, "meh")
    exported = await accounts.export_user(ann.id)
    assert [m["body"] for m in exported["messages"]] == ["hello", "ada@example.org"]
    assert [(r["target_id"], r["text"]) for r in await reports.export_user(ann.id)] == [(other.id, "meh")]
    await accounts.erase_user(ann.id)
    await accounts.erase_user(ann.id)  # idempotent
    items = (await services.history("pair", "7", bob.id, None, 10)).items
    assert [(m.id, m.author.id, m.author.name) for m in items] == [
        (other.id, None, f"Guest {bob.id}"), (shown.id, None, "Deleted account")]
    assert await accounts.export_user(ann.id) == {"messages": []}
    await reports.erase_user(ann.id)  # core's part of the erasure (its user_erasure hook)
    assert [r["text"] for r in await reports.export_user(ann.id)] == [""]


@pytest.mark.parametrize("name", sorted(statements(sql)))
async def test_the_chats_raw_statements_prepare(name: str, sbor_database: Any) -> None:
    # plugins/groups/chat/sql.py is not the plugin's own sql.py, so the SQL contract test does not see it: prepare here.
    await prepare(statements(sql)[name])

"""The admin queue of reported chat messages: listed oldest first, upheld (message deleted) or dismissed."""

from __future__ import annotations

import pytest

from core.admin import AdminQuery
from core.errors import Conflict, NotFound
from core.pagination import InvalidCursor
from plugins.groups.chat import admin, services
from plugins.groups.tables import ChatReport
from tests.plugins.groups.chat_support import Rooms, rooms_fixture  # noqa: F401  (the fixture `rooms`)


async def test_the_queue_lists_decides_and_refuses_twice(make_user, rooms: Rooms) -> None:
    ann, bob, cat, staff = await make_user(), await make_user(), await make_user(), await make_user()
    for user in (ann, bob, cat):
        rooms.join(user.id, 3)
    rude = await services.post("chat", "3", ann.id, "rude words")
    fine = await services.post("chat", "3", ann.id, "fine words")
    first = await services.report(rude.id, bob.id, "insult")
    second = await services.report(rude.id, cat.id, "")
    third = await services.report(fine.id, bob.id, "mistake")
    (queue,) = admin.contributions()
    assert await queue.count() == 3
    items, cursor = await queue.list(AdminQuery(filters={}, limit=2))
    assert [i.id for i in items] == [first.id, second.id] and items[0].title == "rude words"
    assert items[0].author_id == ann.id and "insult" in items[0].summary
    items, cursor = await queue.list(AdminQuery(filters={}, limit=2, cursor=cursor))
    assert [i.id for i in items] == [third.id] and cursor is None
    with pytest.raises(InvalidCursor):
        await queue.list(AdminQuery(filters={}, cursor="v1.x.y"))
    detail = await queue.detail(str(first.id))
    assert dict(detail.fields)["Reports of this message"] == 2 and detail.decidable
    # Upholding deletes the message and closes every open report of it; dismissing closes one
    await queue.approve(str(first.id), staff.id)
    await queue.reject(str(third.id), staff.id, "harmless")
    statuses = {r["id"]: r["status"] for r in await ChatReport.select(ChatReport.id, ChatReport.status)}
    assert statuses == {first.id: "upheld", second.id: "upheld", third.id: "dismissed"}
    assert (await services.history("chat", "3", bob.id, None, 10)).items[1].status == "deleted"
    assert await queue.count() == 0
    with pytest.raises(Conflict) as c:
        await queue.reject(str(second.id), staff.id, "late")
    assert c.value.code == "report_decided"
    with pytest.raises(Conflict):
        await queue.approve(str(third.id), staff.id)
    for bad in ("999999", "x"):
        with pytest.raises(NotFound):
            await queue.detail(bad)
        with pytest.raises(NotFound):
            await queue.reject(bad, staff.id, "")

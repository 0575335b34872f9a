"""Text screening: staff's per-language blocklists match every word form, and hold events, chat messages, reviews."""

# ruff: noqa: RUF001, RUF003  (Russian word forms are the point of these tests)
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from core.reports import screening, services
from plugins.events import services as events
from plugins.groups.chat import services as chat
from plugins.groups.chat.schemas import HELD_FOR_REVIEW
from tests.plugins.groups.chat_support import Rooms, rooms_fixture  # noqa: F401  (the fixture `rooms`)

BLOCKLIST = "/admin/p/reports/blocklist"


async def test_russian_word_forms_match_the_blocked_word(sbor_database: Any) -> None:
    await screening.block("ru", "мошенник", None)
    await screening.block("ru", "лёгкие деньги", None)
    for text, found in [
        ("Осторожно, МОШЕННИКИ!", "мошенники"),
        ("Не верьте мошенникам", "мошенникам"),
        ("Это мошенника работа", "мошенника"),
        ("Мечты о лёгких деньгах", "легких деньгах"),  # a phrase in another case, ё read as е
        ("легкими деньгами", "легкими деньгами"),
    ]:
        (match,) = await screening.screen(text, ["ru"])
        assert match.found == found and match.language == "ru", text
    assert await screening.screen("Машина и мошна, деньги лёгкие", ["ru"]) == []  # other words; words out of order
    await screening.block("ru", "кидала", None)  # Snowball: кидала → кида, кидалы → кидал (a stem one letter longer)
    assert [m.found for m in await screening.screen("Там одни кидалы", ["ru"])] == ["кидалы"]
    await screening.block("ru", "кот", None)  # a short stem matches only itself
    assert [m.found for m in await screening.screen("Котлета и коты", ["ru"])] == ["коты"]
    assert await screening.screen("Осторожно, мошенники!", ["en"]) == []  # only the languages asked for


async def test_english_forms_and_the_operators_settings_list(make_app: Any) -> None:
    await screening.block("en", "scam", None)
    (match,) = await screening.screen("Stop scamming people, these scams are old", ["en"])
    assert (match.word, match.found) == ("scam", "scamming")
    make_app([], settings={"reports": {"blocklist": {"en": ["casino"]}}})  # activates a registry with the setting
    await screening.forget()  # the operator's list changed with the registry: read it again
    assert [m.word for m in await screening.screen("Best CASINOS online and a scam", ["en"])] == ["casino", "scam"]


async def test_blocklist_edits_are_checked(sbor_database: Any) -> None:
    word_id = await screening.block("ru", "  Казино ", None)
    with pytest.raises(Conflict) as conflict:
        await screening.block("ru", "казино", None)  # the same stems
    assert conflict.value.code == "already_blocked"
    for language, word, code in [("xx", "word", "unknown_language"), ("ru", "", "invalid_word"),
                                 ("ru", "123", "invalid_word"), ("ru", "x" * 101, "invalid_word")]:
        with pytest.raises(ValidationFailed) as invalid:
            await screening.block(language, word, None)
        assert invalid.value.code == code
    await screening.change(word_id, "ru", "ставки", None)
    assert [m.word for m in await screening.screen("Ставки на спорт", ["ru"])] == ["ставки"]
    await screening.unblock(word_id, None)
    assert await screening.screen("Ставки на спорт", ["ru"]) == []


async def test_staff_manage_the_blocklist_in_the_panel(admin_client: Any) -> None:
    staff = await admin_client(roles=["admin"])
    form = await staff.get(f"{BLOCKLIST}/new")
    assert form.status_code == 200, form.text
    r = await staff.post(f"{BLOCKLIST}/new", data={"_csrf": staff.csrf, "language": "ru", "word": "закладки"})
    assert r.status_code == 303, r.text
    page = await staff.get(BLOCKLIST)
    assert page.status_code == 200 and "закладки" in page.text and "заклад" in page.text
    assert [m.found for m in await screening.screen("Продаю закладку", ["ru"])] == ["закладку"]
    again = await staff.post(f"{BLOCKLIST}/new", data={"_csrf": staff.csrf, "language": "ru", "word": "закладка"})
    assert again.status_code in (409, 422) and "already blocked" in again.text
    moderator = await admin_client(roles=["moderator"])  # deciding reports is not editing the lists
    assert (await moderator.get(BLOCKLIST)).status_code == 403


async def test_a_submitted_event_with_a_blocked_word_waits_with_the_match_named(make_user: Any) -> None:
    await screening.block("ru", "казино", None)
    author = events.Actor((await make_user(roles=["organiser"])).id)
    starts = clock.now() + timedelta(days=3)
    event_id = await events.create_event(author, {
        "title": "Вечер в казино", "description": "Ставки", "starts_at": starts, "ends_at": starts + timedelta(hours=2),
        "online_url": "https://meet.example.org/x", "timezone": "UTC"})
    info = await events.submit(author, event_id)
    assert info.status == "pending_review"
    assert (await events.history(event_id))[-1]["reason"] == "blocklist: казино"


async def test_a_chat_message_with_a_blocked_word_is_held_for_review_and_a_dismissal_shows_it(
        make_user: Any, rooms: Rooms) -> None:
    await screening.block("ru", "мошенник", None)
    ann, bob, moderator = await make_user(), await make_user(), await make_user(roles=["moderator"])
    rooms.join(ann.id, "1")
    rooms.join(bob.id, "1")
    fine = await chat.post("chat", "1", ann.id, "Привет всем")
    assert fine.status == "visible" and fine.warning is None
    held = await chat.post("chat", "1", ann.id, "Бобу не верьте, он из мошенников")
    assert held.status == "held" and held.warning == HELD_FOR_REVIEW
    assert [m.id for m in (await chat.history("chat", "1", bob.id, None, 10)).items] == [fine.id]
    (case,) = (await services.queue()).items
    assert (case["target_type"], case["target_id"], case["source"], case["hidden"]) == (
        "groups.message", held.id, "screening", True)
    assert case["summary"] == "blocklist: мошенник" and case["author_id"] == ann.id
    await services.decide(case["id"], moderator.id, "dismiss", "Just a joke")
    assert [m.id for m in (await chat.history("chat", "1", bob.id, None, 10)).items] == [held.id, fine.id]


async def test_reports_hide_a_chat_message_and_staff_remove_it(make_user: Any, rooms: Rooms) -> None:
    ann, bob, cat, dan = [await make_user() for _ in range(4)]
    moderator = await make_user(roles=["moderator"])
    for user in (ann, bob, cat, dan):
        rooms.join(user.id, "1")
    message = await chat.post("chat", "1", ann.id, "rude words")
    outsider = await make_user()
    with pytest.raises(NotFound) as gone:  # not a reader of the room: the message does not exist for them
        await services.file(outsider.id, "groups.message", message.id, "harassment")
    assert gone.value.code == "target_not_found"
    for user in (bob, cat, dan):  # the default threshold: three people
        await services.file(user.id, "groups.message", message.id, "harassment", "rude")
    (case,) = (await services.queue()).items
    assert case["hidden"] and case["reporters"] == 3
    assert [m.id for m in (await chat.history("chat", "1", bob.id, None, 10)).items] == []
    await services.decide(case["id"], moderator.id, "remove", "")
    (tombstone,) = (await chat.history("chat", "1", bob.id, None, 10)).items
    assert tombstone.status == "deleted" and tombstone.body is None

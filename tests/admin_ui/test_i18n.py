"""The panel in Russian: the staff member's language, the switch, plugin labels, dates and errors per locale."""
# ruff: noqa: RUF001  (Russian text is the point of these tests)

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.users.tables import User
from tests.admin_ui.conftest import PLUGINS, page_csrf, pending_event


async def _language(user_id: int) -> str:
    row = await User.select(User.language).where(User.id == user_id).first()
    return str(row["language"])


async def test_a_russian_speaking_moderator_gets_the_panel_in_russian(admin_client, make_user) -> None:
    moderator = await make_user(roles=["moderator"], display_name="Ольга")
    await User.update({User.language: "ru"}).where(User.id == moderator.id)
    client = await admin_client(user=moderator, plugins=["events"], timezone="Europe/Moscow")
    author = await make_user(roles=["organiser"])
    event_id = await pending_event(author.id, title="Настольные игры")

    home = await client.get("/admin/")
    assert home.status_code == 200 and home.headers["content-language"] == "ru"
    assert '<html lang="ru"' in home.text
    assert "Сводка" in home.text and "Модерация" in home.text and "Выйти" in home.text
    assert "События по статусам" in home.text and "На проверке" in home.text  # labels declared by the events plugin
    assert "Время: Europe/Moscow" in home.text
    assert "Dashboard" not in home.text and "Sign out" not in home.text

    queue = await client.get("/admin/moderation/events.review")
    assert "События на проверку" in queue.text and "1 ждёт" in queue.text  # a plural form: 1 ждёт, 2 ждут
    assert "Одобрить выбранные" in queue.text and "Настольные игры" in queue.text
    month = ["янв.", "февр.", "мар.", "апр.", "мая", "июн.", "июл.", "авг.", "сент.", "окт.", "нояб.", "дек."]
    assert month[clock.now().month - 1] in queue.text or month[(clock.now() + timedelta(hours=3)).month - 1] in \
        queue.text  # the submission time, formatted for Russian

    item = await client.get(f"/admin/moderation/events.review/{event_id}")
    assert "Одобрить и опубликовать" in item.text and "Причина (её получит автор)" in item.text

    csrf = await page_csrf(client, f"/admin/moderation/events.review/{event_id}")
    r = await client.post(f"/admin/moderation/events.review/{event_id}/reject", data={"_csrf": csrf, "reason": ""})
    assert r.status_code == 422 and "Объясните автору причину (обязательно)." in r.text  # the form error

    missing = await client.get("/admin/users/999999")
    assert missing.status_code == 404 and "Не найдено" in missing.text
    assert "пользователь 999999 не найден" in missing.text


async def test_the_language_switch_saves_the_staff_members_choice(admin_client) -> None:
    client = await admin_client(roles=["moderator"])
    page = await client.get("/admin/")
    assert "Dashboard" in page.text and 'name="language" value="ru"' in page.text
    csrf = await page_csrf(client, "/admin/")
    r = await client.post("/admin/language", data={"_csrf": csrf, "language": "ru", "next": "/admin/users"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    assert await _language(client.user.id) == "ru"  # the profile: notifications follow it too
    assert "Пользователи" in (await client.get("/admin/users")).text
    r = await client.post("/admin/language", data={"_csrf": csrf, "language": "en", "next": "https://evil.example/"})
    assert r.headers["location"] == "/admin/"  # no open redirect
    assert await _language(client.user.id) == "en" and "Users" in (await client.get("/admin/users")).text


async def test_the_sign_in_page_follows_the_browser_then_the_switch(make_client) -> None:
    client = await make_client(PLUGINS)
    ru = await client.get("/admin/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert "Войти" in ru.text and "Пароль" in ru.text and ru.headers["content-language"] == "ru"
    assert "Password" in (await client.get("/admin/login", headers={"Accept-Language": "en"})).text
    r = await client.post("/admin/language", data={"language": "ru", "next": "/admin/login"})
    assert r.status_code == 303
    assert "Пароль" in (await client.get("/admin/login", headers={"Accept-Language": "en"})).text  # the cookie wins

"""Translations: every message has Russian, API errors follow Accept-Language, plural forms, dates, notifications."""
# ruff: noqa: RUF001  (Russian text is the point of these tests)

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from core import i18n
from core import i18n_catalogues as catalogues
from core.errors import NotFound

PROBLEM = "application/problem+json"


# --- the catalogues ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("package", catalogues.packages(), ids=lambda p: p.name)
def test_every_message_of_a_package_has_a_russian_translation(package: catalogues.Package) -> None:
    """Messages are extracted in-process (templates, problem details, admin labels) and looked up in the .po files.

    When this fails for a new message: ``python3 manage.py i18n update``, translate the empty ``msgstr`` in
    ``<package>/locale/ru/LC_MESSAGES/messages.po``, then ``python3 manage.py i18n check``.
    """
    core_po = catalogues.read(catalogues.packages()[0].po("ru"), "ru")
    missing = catalogues.missing(package, "ru", core_po)
    assert not missing, "\n".join(missing)


def test_extraction_finds_error_messages_titles_admin_labels_and_template_strings() -> None:
    core_messages = {m.id for m in catalogues.extract(catalogues.packages()[0]).catalog}
    assert "Not found" in core_messages  # the title of core.errors.NotFound
    assert "user %(user_id)s not found" in core_messages  # NotFound("user %(user_id)s not found", params=...)
    assert "Malformed JSON" in core_messages  # problem(400, "malformed_json", "Malformed JSON", ...)
    admin = {m.id for m in catalogues.extract(catalogues.Package("admin", catalogues.ROOT / "admin_ui")).catalog}
    assert {"Audit log", "Sign in", "Times in %(timezone)s", ("%(num)d selected", "%(num)d selected")} <= admin
    events_package = catalogues.Package("events", catalogues.ROOT / "plugins/events")
    events = {m.id for m in catalogues.extract(events_package).catalog}
    assert "Events to review" in events  # ModerationQueue(title=...) declared by the plugin


def test_an_f_string_given_to_an_error_class_is_reported(tmp_path: Path) -> None:
    (tmp_path / "services.py").write_text(
        "from core.errors import Conflict, NotFound\n"
        "class Gone(NotFound):\n    title = 'Gone for good'\n"
        "def f(x):\n"
        "    raise Conflict(f'bad {x}', code='c')\n"
        "def g(x):\n"
        "    raise Gone('thing %(x)s is gone', params={'x': x}, errors=[{'pointer': '/x', 'detail': 'no x here'}])\n")
    found = catalogues.extract(catalogues.Package("demo", tmp_path))
    assert len(found.problems) == 1 and "services.py:5" in found.problems[0]
    assert {"Gone for good", "thing %(x)s is gone", "no x here"} <= {m.id for m in found.catalog}


def test_update_adds_new_messages_and_keeps_translations(tmp_path: Path) -> None:
    (tmp_path / "routes.py").write_text("from core.errors import NotFound\nraise NotFound('No such widget')\n")
    package = catalogues.Package("demo", tmp_path)
    core_po = Catalog(locale="ru")
    core_po.add("Not found", "Не найдено")
    assert catalogues.update(package, "ru", core_po) == (1, 1)
    assert catalogues.missing(package, "ru") == ["demo: 'No such widget' (routes.py:2) has no ru translation"]
    po = catalogues.read(package.po("ru"), "ru")
    assert po is not None
    po["No such widget"].string = "Такого виджета нет"
    catalogues.write(package.po("ru"), po)
    (tmp_path / "more.py").write_text("from core.errors import NotFound\nraise NotFound('Not found')\n")
    assert catalogues.update(package, "ru", core_po) == (2, 0)  # core's translation fills the shared message
    assert catalogues.missing(package, "ru") == []


# --- the locale ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "expected"), [
    ("ru-RU,ru;q=0.9,en-US;q=0.8", "ru"), ("en-GB", "en"), ("de-DE, ru;q=0.5", "ru"), ("fr", None),
    ("en;q=0.1, ru", "ru"), ("ru;q=0, en", "en"), ("", None), (None, None), ("*", None), ("ru;q=abc", None),
])
def test_accept_language_is_negotiated_against_the_platform_languages(header: str | None, expected: str | None) -> None:
    assert i18n.negotiate(header) == expected


def test_the_locale_is_context_local() -> None:
    assert i18n.get_locale() == "en"
    with i18n.use_locale("ru-RU"):
        assert i18n.get_locale() == "ru"
        assert i18n.gettext("Not found") == "Не найдено"
        with i18n.use_locale("pt-BR"):  # a language we do not speak: the default
            assert i18n.gettext("Not found") == "Not found"
    assert i18n.get_locale() == "en" and i18n.gettext("Not found") == "Not found"


# --- plural forms, dates and numbers ------------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "text"), [
    (1, "1 событие"), (2, "2 события"), (4, "4 события"), (5, "5 событий"), (11, "11 событий"), (12, "12 событий"),
    (21, "21 событие"), (22, "22 события"), (25, "25 событий"), (101, "101 событие"), (111, "111 событий"),
])
def test_russian_plural_forms_from_a_plugin_catalogue(tmp_path: Path, n: int, text: str) -> None:
    """A (third-party) plugin ships its own catalogue: registered by the loader, merged into the language's."""
    po = tmp_path / "ru" / "LC_MESSAGES" / "messages.po"
    catalog = Catalog(locale="ru")
    catalog.add(("%(num)d event", "%(num)d events"), ("%(num)d событие", "%(num)d события", "%(num)d событий"))
    catalogues.write(po, catalog)
    i18n.register_dir(tmp_path)
    with i18n.use_locale("ru"):
        assert i18n.ngettext("%(num)d event", "%(num)d events", n) % {"num": n} == text
    assert i18n.ngettext("%(num)d event", "%(num)d events", n) % {"num": n} == f"{n} event{'s' if n != 1 else ''}"


@pytest.mark.parametrize(("n", "ru"), [(1, "жалоба"), (2, "жалобы"), (5, "жалоб"), (21, "жалоба"), (14, "жалоб")])
def test_russian_plural_forms_of_the_shipped_catalogues(n: int, ru: str) -> None:
    import plugins.media

    i18n.register_package(plugins.media)  # what the plugin loader does for each enabled plugin
    with i18n.use_locale("ru"):
        assert i18n.ngettext("%(num)d report", "%(num)d reports", n) % {"num": n} == f"{n} {ru}"


def test_dates_and_numbers_are_formatted_per_locale() -> None:
    moment = datetime(2026, 12, 5, 16, 0, tzinfo=UTC)
    assert i18n.format_datetime(moment, tz="Europe/Moscow") == "Dec 5, 2026, 7:00\u202fPM"
    assert i18n.format_number(1234567.5) == "1,234,567.5"
    with i18n.use_locale("ru"):
        assert i18n.format_datetime(moment, tz="Europe/Moscow") == "5 дек. 2026\u202fг., 19:00"
        assert i18n.format_date(moment) == "5 дек. 2026\u202fг."
        assert i18n.format_number(1234567.5) == "1\xa0234\xa0567,5"
        assert i18n.format_currency(Decimal("1500"), "RUB") == "1\xa0500,00\xa0₽"
        assert i18n.format_timedelta(3 * 3600, add_direction=True) == "через 3 часа"


# --- API errors ---------------------------------------------------------------------------------------------------

def test_an_error_keeps_its_english_detail_and_translates_when_shown() -> None:
    error = NotFound("event %(event_id)s not found", code="event_not_found", params={"event_id": 7})
    assert error.detail == str(error) == "event 7 not found" and error.code == "event_not_found"
    with i18n.use_locale("ru"):
        assert error.localized() == "событие 7 не найдено" and error.localized_title() == "Не найдено"


async def test_a_real_api_error_follows_accept_language(make_client, make_user, auth_headers) -> None:
    client = await make_client(["events"])
    ru = await client.get("/api/v1/events/999999", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    en = await client.get("/api/v1/events/999999", headers={"Accept-Language": "en-US"})
    none = await client.get("/api/v1/events/999999")
    assert ru.status_code == en.status_code == none.status_code == 404
    assert ru.headers["content-type"].startswith(PROBLEM)
    body = ru.json()
    assert body["code"] == en.json()["code"] == "event_not_found"  # the code never changes
    assert body["title"] == "Не найдено" and body["detail"] == "событие 999999 не найдено"
    assert en.json()["title"] == "Not found" and en.json()["detail"] == "event 999999 not found"
    assert ru.headers["content-language"] == "ru" and en.headers["content-language"] == "en"
    assert "Accept-Language" in ru.headers["vary"]
    assert none.json()["detail"] == "event 999999 not found"
    # Without the header, a signed-in user gets the language of their profile.
    user = await make_user()
    from core.users.tables import User

    await User.update({User.language: "ru"}).where(User.id == user.id)
    mine = await client.get("/api/v1/events/999999", headers=await auth_headers(user))
    assert mine.json()["detail"] == "событие 999999 не найдено" and mine.headers["content-language"] == "ru"
    asked = await client.get("/api/v1/events/999999", headers={**await auth_headers(user), "Accept-Language": "en"})
    assert asked.json()["detail"] == "event 999999 not found"  # the header wins


async def test_validation_errors_and_middleware_errors_are_translated(make_client) -> None:
    client = await make_client(["events"])
    r = await client.post("/api/v1/events", content=b"{", headers={"Accept-Language": "ru",
                                                                     "Content-Type": "application/json"})
    assert r.status_code in (400, 401) and r.headers["content-language"] == "ru"
    r = await client.post("/api/v1/events", content=b"x=1", headers={"Accept-Language": "ru",
                                                                       "Content-Type": "text/plain"})
    body = r.json()
    assert r.status_code == 415 and body["code"] == "unsupported_media_type"
    assert body["title"] == "Неподдерживаемый тип содержимого"
    assert body["detail"] == "Отправьте тело запроса как application/json, а не text/plain."


# --- notifications ------------------------------------------------------------------------------------------------

def test_a_notification_is_rendered_in_the_recipients_language(sbor_database) -> None:
    from core.notifications import NotificationKind
    from plugins.notify import render

    kind = NotificationKind(name="events.reminder", label="Reminders before events I joined")
    event = {"title": "Шахматы", "starts_at": "2026-12-03T18:00:00+00:00", "timezone": "Europe/Berlin"}
    ru = render.render(kind, {"event": event, "place": ""}, "ru", name="Иван", offset_min=21 * 60)
    assert ru.subject == "Напоминание: «Шахматы» через 21 час"
    assert "3 дек. 2026, 19:00 (Europe/Berlin)" in ru.text
    en = render.render(kind, {"event": event, "place": ""}, "en", name="Ann", offset_min=120)
    assert en.subject == 'Reminder: "Шахматы" in 2 hours' and "3 Dec 2026, 19:00 (Europe/Berlin)" in en.text
    assert render.in_text(5, "ru") == "через 5 минут" and render.in_text(2 * 60, "ru") == "через 2 часа"
    assert render.in_text(1, "en") == "in 1 minute"


def test_a_lone_percent_in_a_template_message_is_reported(tmp_path: Path) -> None:
    """Jinja's newstyle gettext formats every message: ``_("met %")`` would fail at render time."""
    (tmp_path / "templates" / "demo").mkdir(parents=True)
    (tmp_path / "templates" / "demo" / "page.html").write_text(
        '<th>{{ _("Met %") }}</th><th>{{ _("Met, %%") }}</th><td>{{ _("%(n)s of %(m)s", n=1, m=2) }}</td>')
    found = catalogues.extract(catalogues.Package("demo", tmp_path))
    assert len(found.problems) == 1 and "page.html:1" in found.problems[0] and "%%" in found.problems[0]

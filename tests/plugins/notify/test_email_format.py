"""The email wire format notify writes itself: what any MIME parser reads back, and no header injection."""

from __future__ import annotations

import email
import email.policy

from plugins.notify.channels.base import Message
from plugins.notify.channels.mime import build_email_bytes
from plugins.notify.kinds import VERIFICATION
from plugins.notify.render import render


def _message(**over) -> Message:
    base = {"notification_id": 7, "idempotency_key": "n7:email", "kind": "events.reminder", "user_id": 1,
            "language": "ru",
            "subject": "s", "short": "", "text": "t\n", "html": "", "data": {}, "display_name": "", "email": "a@b.test"}
    return Message(**{**base, **over})


def _parse(raw: bytes) -> email.message.EmailMessage:
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only, as SMTP wants
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_long_non_ascii_subject_names_and_bodies_round_trip() -> None:
    subject = ("Напоминание: «Шахматы <ночью> & чай» через 24 часа — " + "очень длинное название " * 6).strip()
    text, html = "Здравствуйте, Иван!\n" + "строка\n" * 200, "<p>Привет &amp; пока</p>\n"
    raw, mid = build_email_bytes(_message(subject=subject, text=text, html=html, display_name='Иван "Г"'),
                                 "Сбор <no-reply@sbor.test>")  # noqa: RUF001
    msg = _parse(raw)
    assert str(msg["Subject"]) == subject
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n"))  # headers folded
    assert msg["To"].addresses[0].display_name == 'Иван "Г"' and msg["To"].addresses[0].addr_spec == "a@b.test"
    assert msg["From"].addresses[0].display_name == "Сбор"  # noqa: RUF001
    assert mid == msg["Message-ID"] == "<n7.email@sbor.test>"
    assert msg["Content-Language"] == "ru" and msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content() == text
    assert msg.get_body(("html",)).get_content() == html


def test_text_only_and_ascii_headers() -> None:
    subject = 'Your event "Jazz night" is under review; ' + "words " * 30
    raw, _ = build_email_bytes(_message(subject=subject.strip(), language="en", display_name="Ann, B."),
                               "no-reply@sbor.test")
    msg = _parse(raw)
    assert str(msg["Subject"]) == subject.strip() and msg.get_content_type() == "text/plain"
    assert msg["To"].addresses[0].display_name == "Ann, B." and str(msg["From"]) == "no-reply@sbor.test"
    assert msg.get_content() == "t\n"


def test_line_breaks_in_data_cannot_inject_headers() -> None:
    raw, _ = build_email_bytes(_message(subject="Hi\r\nBcc: victim@example.org", display_name="Eve\nBcc: x@y.z"),
                               "no-reply@sbor.test")
    msg = _parse(raw)
    assert msg["Bcc"] is None and str(msg["Subject"]) == "Hi Bcc: victim@example.org"
    assert msg["To"].addresses[0].addr_spec == "a@b.test"


def test_russian_reset_code_purpose(use_settings) -> None:
    use_settings()
    text = render(VERIFICATION, {"code": "123456", "purpose": "reset", "ttl_minutes": 10}, "ru")
    assert "сбросить пароль" in text.text


def test_a_shared_rendering_is_exactly_the_recipients_own(use_settings) -> None:
    from plugins.events import notifications as events_notifications
    from plugins.notify.kinds import declared
    from plugins.notify.render import render_shared
    from tests.plugins.notify.conftest import make_event

    use_settings()
    kind = declared()["events.reminder"]
    context = events_notifications.context(make_event(title='Chess <by night> & "tea"'))
    for language in ("en", "ru"):
        fill = render_shared(kind, context, language, "Asia/Tokyo", 1440)
        assert fill is not None  # the reminder prints the name only as {{ name }}
        for name in ("Ann", 'Bob <b>&amp; "Jr"\'', "  Иван\n Петров  ", "{{ name }}", ""):
            assert fill(name) == render(kind, context, language, name, "Asia/Tokyo", 1440)

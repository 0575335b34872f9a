"""Delivery through a real SMTP server: language, quiet hours, preferences, retries, exactly once, fallbacks."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from core import db, hooks
from core.hooks import hookspecs as core_specs
from core.users.tables import User
from plugins.events import hookspecs as events_specs
from plugins.notify.delivery import deliver_job
from plugins.notify.dispatch import dispatch
from tests.plugins.notify.conftest import at, fire, join, make_event


def email_settings(port: int, **over):
    return {"channels": ["email"], "smtp_host": "127.0.0.1", "smtp_port": port,
            "smtp_from": "Sbor <no-reply@sbor.test>", **over}


async def deliver_due(run_jobs) -> int:
    handed = await dispatch()
    await run_jobs()
    return handed


async def set_locale(user_id: int, language: str, timezone: str) -> None:
    await User.update({User.language: language, User.timezone: timezone}).where(User.id == user_id)


async def statuses(kind: str | None = None) -> list[str]:
    rows = await db.fetch("SELECT status FROM notify.notification WHERE ($1::text IS NULL OR kind = $1) ORDER BY id",
                          kind)
    return [r["status"] for r in rows]


async def test_reminder_email_in_each_users_language(use_settings, smtp, make_user, clock, run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    clock.freeze(at(2026, 12, 1, 10))
    ann = await make_user(email="ann@example.org", display_name="Ann")
    ivan = await make_user(email="ivan@example.org", display_name="Иван")
    await set_locale(ivan.id, "ru", "Europe/Moscow")
    event = make_event(20, starts_at=at(2026, 12, 3, 18), title="Chess <night> & tea")
    for u in (ann, ivan):
        await join(event=event, user_id=u.id, guests=0, status="confirmed")
    assert await deliver_due(run_jobs) == 0  # nothing is due yet
    clock.advance(timedelta(days=1, hours=8, minutes=1))  # 2 Dec 18:01: the 24 h reminders are due
    assert await deliver_due(run_jobs) == 2
    by_to = {m.to[0]: m for m in recorder.messages}
    assert set(by_to) == {"ann@example.org", "ivan@example.org"}
    en, ru = by_to["ann@example.org"], by_to["ivan@example.org"]
    assert en.language == "en" and en.subject == 'Reminder: "Chess <night> & tea" in 24 hours'
    assert "Hello Ann," in en.text and "3 Dec 2026, 19:00 (Europe/Berlin)" in en.text
    assert ru.language == "ru" and ru.subject == "Напоминание: «Chess <night> & tea» через 24 часа"
    assert "Здравствуйте, Иван!" in ru.text and "3 дек. 2026" in ru.text
    assert "Chess &lt;night&gt; &amp; tea" in en.html and "<night>" not in en.html  # HTML is escaped
    assert en.message_id != ru.message_id
    assert await statuses("events.reminder") == ["sent", "pending", "pending", "sent", "pending", "pending"]
    # the in-app inbox got them too, and the log records the email
    inbox = await db.fetch("SELECT user_id, title FROM notify.inbox_item ORDER BY user_id")
    assert [r["user_id"] for r in inbox] == sorted([ann.id, ivan.id])
    log = await db.fetch("SELECT channel, status FROM notify.attempt ORDER BY id")
    assert log == [{"channel": "email", "status": "sent"}] * 2


async def test_quiet_hours_hold_non_urgent_until_they_end(use_settings, smtp, make_user, clock, run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    user = await make_user()
    await set_locale(user.id, "en", "Europe/Berlin")
    from plugins.notify.prefs import update_preferences

    await update_preferences(user.id, {"quiet_start": "22:00", "quiet_end": "08:00"})
    clock.freeze(at(2026, 12, 1, 22, 30))  # 23:30 in Berlin
    event = make_event(21, starts_at=at(2026, 12, 10, 18))
    await join(event=event, user_id=user.id, guests=0, status="confirmed")
    await fire(events_specs.event_changed, event=replace(event, venue_name="Other place"),
               changes={"venue_name": ("Café Central", "Other place")}, actor_id=1)
    assert await deliver_due(run_jobs) == 1
    assert recorder.messages == []
    row = (await db.fetch("SELECT status, due_at, attempts FROM notify.notification WHERE kind = 'events.changed'"))[0]
    assert row == {"status": "pending", "due_at": at(2026, 12, 2, 7), "attempts": 0}  # 08:00 Berlin
    assert (await db.fetch("SELECT status FROM notify.attempt"))[0]["status"] == "deferred"
    clock.freeze(at(2026, 12, 2, 6, 59))
    assert await deliver_due(run_jobs) == 0
    clock.freeze(at(2026, 12, 2, 7, 0))
    assert await deliver_due(run_jobs) == 1
    assert len(recorder.messages) == 1 and "venue" in recorder.messages[0].text


async def test_cancellation_of_todays_event_goes_through_quiet_hours(use_settings, smtp, make_user, clock,
                                                                      run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    user = await make_user(email="late@example.org")
    await set_locale(user.id, "en", "Asia/Tokyo")
    from plugins.notify.prefs import update_preferences

    await update_preferences(user.id, {"quiet_start": "00:00", "quiet_end": "09:00"})
    clock.freeze(at(2026, 12, 1, 20))  # 05:00 on 2 Dec in Tokyo: quiet
    today = make_event(22, starts_at=at(2026, 12, 2, 9))  # 18:00 Tokyo, today
    next_week = make_event(23, starts_at=at(2026, 12, 9, 9))
    for e in (today, next_week):
        await join(event=e, user_id=user.id, guests=0, status="confirmed")
        await fire(events_specs.event_cancelled, event=replace(e, status="cancelled"), reason="Storm", actor_id=1)
    await deliver_due(run_jobs)
    assert [m.subject for m in recorder.messages] == [f'Cancelled: "{today.title}"']
    rows = await db.fetch("SELECT subject, status FROM notify.notification WHERE kind = 'events.cancelled' "
                          "ORDER BY subject")
    assert rows == [{"subject": "events.event:22", "status": "sent"},
                    {"subject": "events.event:23", "status": "pending"}]


async def test_preferences_switch_channels_off(use_settings, smtp, make_user, clock, run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    from plugins.notify.prefs import update_preferences

    inbox_only, nothing = await make_user(), await make_user()
    await update_preferences(inbox_only.id, {"channels": [{"kind": "events.published", "channel": "email",
                                                           "enabled": False}]})
    await update_preferences(nothing.id, {"channels": [
        {"kind": "events.published", "channel": "email", "enabled": False},
        {"kind": "events.published", "channel": "inbox", "enabled": False}]})
    for u in (inbox_only, nothing):
        await fire(events_specs.event_published, event=make_event(24, author_id=u.id), moderator_id=None)
    # another kind is unaffected
    await fire(events_specs.event_rejected, event=make_event(25, author_id=nothing.id), moderator_id=1, reason="Spam")
    await deliver_due(run_jobs)
    assert [m.to for m in recorder.messages] == [[(await _email(nothing.id))]]
    assert "Reason: Spam" in recorder.messages[0].text
    rows = await db.fetch("SELECT user_id, kind, status FROM notify.notification ORDER BY id")
    assert [r["status"] for r in rows] == ["sent", "cancelled", "sent"]
    inbox = await db.fetch("SELECT user_id, kind FROM notify.inbox_item ORDER BY id")
    assert inbox == [{"user_id": inbox_only.id, "kind": "events.published"},
                     {"user_id": nothing.id, "kind": "events.rejected"}]


async def _email(user_id: int) -> str:
    return (await User.select(User.email).where(User.id == user_id).first())["email"]


async def test_temporary_failures_are_retried_with_backoff_then_failed(use_settings, smtp, make_user, clock,
                                                                       run_jobs) -> None:
    recorder, port = smtp
    recorder.reply = lambda msg: "451 4.3.0 Mailbox busy, try later"
    use_settings(**email_settings(port, max_attempts=3, backoff_base_s=60))
    clock.freeze(at(2026, 12, 1, 10))
    user = await make_user()
    await fire(events_specs.event_published, event=make_event(26, author_id=user.id), moderator_id=None)
    await deliver_due(run_jobs)
    row = (await db.fetch("SELECT status, attempts, due_at, error FROM notify.notification"))[0]
    assert row["status"] == "pending" and row["attempts"] == 1 and row["due_at"] == at(2026, 12, 1, 10, 1)
    assert "451" in row["error"]
    clock.advance(timedelta(seconds=59))
    assert await deliver_due(run_jobs) == 0  # backoff not over
    clock.advance(timedelta(seconds=1))
    await deliver_due(run_jobs)
    row = (await db.fetch("SELECT status, attempts, due_at FROM notify.notification"))[0]
    assert row["attempts"] == 2 and row["due_at"] == at(2026, 12, 1, 10, 3)  # 2 minutes later: backoff doubles
    clock.advance(timedelta(minutes=2))
    await deliver_due(run_jobs)
    row = (await db.fetch("SELECT status, attempts, error, finished_at FROM notify.notification"))[0]
    assert row["status"] == "failed" and row["attempts"] == 3 and "451" in row["error"]
    assert row["finished_at"] == at(2026, 12, 1, 10, 3)
    clock.advance(timedelta(hours=1))
    assert await deliver_due(run_jobs) == 0  # failed is final
    log = await db.fetch("SELECT channel, status FROM notify.attempt ORDER BY id")
    assert log == [{"channel": "email", "status": "retry"}] * 3
    assert recorder.messages == []


async def test_permanent_rejection_fails_at_once(use_settings, smtp, make_user, clock, run_jobs) -> None:
    recorder, port = smtp
    recorder.reply = lambda msg: "550 5.1.1 No such mailbox"
    use_settings(**email_settings(port))
    user = await make_user()
    await fire(events_specs.event_published, event=make_event(27, author_id=user.id), moderator_id=None)
    await deliver_due(run_jobs)
    row = (await db.fetch("SELECT status, attempts, error FROM notify.notification"))[0]
    assert row["status"] == "failed" and row["attempts"] == 1 and "550" in row["error"]


async def test_two_dispatchers_and_duplicate_messages_deliver_each_once(use_settings, smtp, make_user, clock,
                                                                        run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port, dispatch_batch=40, deliver_chunk=7))
    users = [await make_user() for _ in range(10)]
    event = make_event(28)
    for u in users:
        await join(event=event, user_id=u.id, guests=0, status="confirmed")
    for i in range(15):
        await fire(events_specs.event_changed, event=replace(event, title=f"v{i}"), changes={"title": ("a", "b")},
                   actor_id=1)
    # 150 notifications due now; two dispatchers claim at the same moment on two connections
    handed = await asyncio.gather(dispatch(), dispatch(), dispatch())
    assert sum(handed) == 150 and all(h > 0 for h in handed[:1])
    # a worker crash makes the broker hand the same ids again: duplicates must find nothing to do
    ids = [r["id"] for r in await db.fetch("SELECT id FROM notify.notification WHERE kind = 'events.changed'")]
    for i in range(0, len(ids), 25):
        await deliver_job.enqueue(ids[i : i + 25])
    await run_jobs()
    assert len(recorder.messages) == 150
    assert len(set(recorder.ids())) == 150
    assert await statuses("events.changed") == ["sent"] * 150
    dup = await db.fetch("SELECT notification, channel, count(*) FROM notify.attempt GROUP BY 1, 2 HAVING count(*) > 1")
    assert dup == []


async def test_concurrent_deliveries_of_the_same_row_send_once(use_settings, smtp, make_user, run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    from plugins.notify.delivery import deliver

    user = await make_user()
    await fire(events_specs.event_published, event=make_event(29, author_id=user.id), moderator_id=None)
    await db.fetch("UPDATE notify.notification SET status = 'queued'")
    ids = [r["id"] for r in await db.fetch("SELECT id FROM notify.notification")]
    results = await asyncio.gather(*(deliver(ids) for _ in range(5)))
    assert sorted(results) == [0, 0, 0, 0, 1]
    assert len(recorder.messages) == 1


async def test_verification_code_goes_to_the_given_address_immediately(use_settings, smtp, make_user, clock,
                                                                       run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    user = await make_user(email="old@example.org")
    await set_locale(user.id, "ru", "Europe/Moscow")
    from plugins.notify.prefs import update_preferences

    await update_preferences(user.id, {"quiet_start": "00:00", "quiet_end": "23:59"})  # quiet all day
    taken = await hooks.first(core_specs.send_verification, user_id=user.id, channel="email",
                              destination="new@example.org", code="482913", purpose="verify")
    assert taken is True
    await deliver_due(run_jobs)
    assert [m.to for m in recorder.messages] == [["new@example.org"]]
    assert recorder.messages[0].subject == "Ваш код Sbor: 482913"
    assert await db.fetch("SELECT id FROM notify.inbox_item") == []  # codes never sit in the inbox


async def test_waitlist_offer_carries_its_deadline_and_expires(use_settings, smtp, make_user, clock,
                                                               run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    clock.freeze(at(2026, 12, 1, 10))
    a, b = await make_user(), await make_user()
    event = make_event(30, tz="UTC")
    await fire(events_specs.waitlist_offer_made, event=event, user_id=a.id, seats=2, expires_at=at(2026, 12, 1, 12))
    await deliver_due(run_jobs)
    assert "before 1 Dec 2026, 12:00 (UTC)" in recorder.messages[0].text
    await fire(events_specs.waitlist_offer_made, event=event, user_id=b.id, seats=1, expires_at=at(2026, 12, 1, 10, 30))
    clock.advance(timedelta(hours=1))  # the worker was down; the offer is over: never send it late
    await deliver_due(run_jobs)
    assert len(recorder.messages) == 1
    assert await statuses("events.waitlist_offer") == ["sent", "cancelled"]


async def test_late_reminder_is_dropped_not_sent(use_settings, smtp, make_user, clock, run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    clock.freeze(at(2026, 12, 1, 10))
    user = await make_user()
    await join(event=make_event(31, starts_at=at(2026, 12, 3, 10)), user_id=user.id,
               guests=0, status="confirmed")
    clock.freeze(at(2026, 12, 3, 9, 10))  # workers were down for two days: only the 1 h reminder is still timely
    await deliver_due(run_jobs)
    assert len(recorder.messages) == 1 and "in 1 hour" in recorder.messages[0].subject
    assert await statuses("events.reminder") == ["cancelled", "cancelled", "sent"]


async def test_reminder_held_by_quiet_hours_past_the_start_is_dropped(use_settings, smtp, make_user, clock,
                                                                      run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    user = await make_user()
    await set_locale(user.id, "en", "UTC")
    from plugins.notify.prefs import update_preferences

    await update_preferences(user.id, {"quiet_start": "23:00", "quiet_end": "09:00"})
    clock.freeze(at(2026, 12, 1, 12))
    await join(event=make_event(32, starts_at=at(2026, 12, 2, 7)), user_id=user.id, guests=0,
               status="confirmed")
    clock.freeze(at(2026, 12, 2, 2, 0))  # the 5 h reminder is due at 02:00, quiet until 09:00, event at 07:00
    await deliver_due(run_jobs)
    assert recorder.messages == []
    rows = await db.fetch("SELECT offset_min, status, error FROM notify.notification ORDER BY offset_min")
    assert [(r["offset_min"], r["status"]) for r in rows] == [(60, "pending"), (300, "cancelled")]  # 24 h: too late
    log = await db.fetch("SELECT status, error FROM notify.attempt ORDER BY id")
    assert {r["status"] for r in log} == {"skipped"}


async def test_a_chunk_logs_one_line_and_builds_only_the_channels_in_use(use_settings, smtp, make_user, clock,
                                                                         run_jobs, caplog) -> None:
    from plugins.notify.channels.registry import channels

    recorder, port = smtp
    use_settings(**email_settings(port))
    clock.freeze(at(2026, 12, 1, 10))
    users = [await make_user(email=f"u{i}@example.org") for i in range(3)]
    event = make_event(30, starts_at=at(2026, 12, 2, 18))
    for u in users:
        await join(event=event, user_id=u.id, guests=0, status="confirmed")
    clock.advance(timedelta(hours=8, minutes=1))  # the 24 h reminders are due
    with caplog.at_level("INFO", logger="plugins.notify"):
        assert await deliver_due(run_jobs) == 3
    lines = [r.getMessage() for r in caplog.records if r.name == "plugins.notify" and r.getMessage().startswith(
        "notifications ")]
    assert len(lines) == 1 and lines[0].endswith(": 3 sent by email"), lines
    assert len(recorder.messages) == 3
    assert sorted(channels()) == ["email", "log"]  # no HTTP clients for push and SMS nobody uses


async def test_the_log_channel_writes_a_code_as_the_auth_docs_show_it(use_settings, make_user, run_jobs,
                                                                     caplog) -> None:
    use_settings(channels=["log"])
    user = await make_user(email="dev@example.org")
    with caplog.at_level("INFO"):
        taken = await hooks.first(core_specs.send_verification, user_id=user.id, channel="email",
                                  destination="dev@example.org", code="771204", purpose="verify")
        assert taken is True
        await deliver_due(run_jobs)
    lines = [r.getMessage() for r in caplog.records if r.name == "plugins.notify.log"]
    assert f"verification code for user {user.id} (verify via email to d***@example.org): 771204" in lines

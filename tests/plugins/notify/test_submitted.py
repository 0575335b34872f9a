"""The "under review" notification: the events hook ``event_submitted`` tells the author, by email and in the inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock as core_clock
from core import db
from plugins.events import hookspecs as events_specs
from plugins.notify.prefs import update_preferences
from tests.plugins.notify.conftest import at, fire, make_event
from tests.plugins.notify.test_delivery import deliver_due, email_settings, set_locale


async def _rows(kind: str = "events.submitted") -> list[dict]:
    return await db.fetch("SELECT user_id, subject, status FROM notify.notification WHERE kind = $1 ORDER BY id",
                          kind)


async def test_author_is_told_the_event_is_under_review_in_their_language(use_settings, smtp, make_user, clock,
                                                                          run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    clock.freeze(at(2026, 12, 1, 10))
    ann = await make_user(email="ann@example.org", display_name="Ann")
    ivan = await make_user(email="ivan@example.org", display_name="Иван")
    await set_locale(ivan.id, "ru", "Europe/Moscow")
    await fire(events_specs.event_submitted, event=make_event(60, author_id=ann.id, title="Chess <night>",
                                                             status="pending_review", starts_at=at(2026, 12, 3, 18)),
               actor_id=ann.id)
    await fire(events_specs.event_submitted, event=make_event(61, author_id=ivan.id, title="Шахматы",
                                                             status="pending_review", starts_at=at(2026, 12, 3, 18)),
               actor_id=ivan.id)
    assert await _rows() == [{"user_id": ann.id, "subject": "events.event:60", "status": "pending"},
                             {"user_id": ivan.id, "subject": "events.event:61", "status": "pending"}]
    assert await deliver_due(run_jobs) == 2
    by_to = {m.to[0]: m for m in recorder.messages}
    assert set(by_to) == {"ann@example.org", "ivan@example.org"}
    en, ru = by_to["ann@example.org"], by_to["ivan@example.org"]
    assert en.language == "en" and en.subject == 'Your event "Chess <night>" is under review'
    assert "Hello Ann," in en.text and "3 Dec 2026, 19:00 (Europe/Berlin)" in en.text
    assert "Chess &lt;night&gt;" in en.html and "<night>" not in en.html
    assert ru.language == "ru" and ru.subject == "Ваше событие «Шахматы» на модерации"
    assert "Здравствуйте, Иван!" in ru.text and "3 дек. 2026" in ru.text and "проверяют модераторы" in ru.html
    assert [r["status"] for r in await _rows()] == ["sent", "sent"]
    inbox = await db.fetch("SELECT user_id, kind, title, data FROM notify.inbox_item ORDER BY user_id")
    assert [(i["user_id"], i["kind"], i["title"]) for i in inbox] == [
        (ann.id, "events.submitted", en.subject), (ivan.id, "events.submitted", ru.subject)]
    deliveries = await db.fetch("SELECT d.channel, d.status, d.idempotency_key FROM notify.delivery d "
                                "JOIN notify.notification n ON n.id = d.notification WHERE n.user_id = $1 "
                                "ORDER BY d.channel", ann.id)
    nid = (await db.fetch("SELECT id FROM notify.notification WHERE user_id = $1", ann.id))[0]["id"]
    assert deliveries == [{"channel": "email", "status": "sent", "idempotency_key": f"n{nid}:email"},
                          {"channel": "inbox", "status": "sent", "idempotency_key": f"n{nid}:inbox"}]
    assert await deliver_due(run_jobs) == 0  # sent once, never again
    assert len(recorder.messages) == 2


async def test_under_review_respects_preferences_per_kind(use_settings, smtp, make_user, clock, run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    inbox_only, nothing = await make_user(), await make_user(email="nothing@example.org")
    await update_preferences(inbox_only.id, {"channels": [{"kind": "events.submitted", "channel": "email",
                                                           "enabled": False}]})
    await update_preferences(nothing.id, {"channels": [
        {"kind": "events.submitted", "channel": "email", "enabled": False},
        {"kind": "events.submitted", "channel": "inbox", "enabled": False}]})
    for n, u in enumerate((inbox_only, nothing)):
        await fire(events_specs.event_submitted, event=make_event(62 + n, author_id=u.id, status="pending_review"),
                   actor_id=u.id)
    # switching "under review" off leaves the moderation result on
    await fire(events_specs.event_published, event=make_event(63, author_id=nothing.id), moderator_id=None)
    await deliver_due(run_jobs)
    assert [(m.to, m.subject.endswith("is published")) for m in recorder.messages] == [(["nothing@example.org"], True)]
    assert [r["status"] for r in await _rows()] == ["sent", "cancelled"]
    inbox = await db.fetch("SELECT user_id, kind FROM notify.inbox_item ORDER BY id")
    assert inbox == [{"user_id": inbox_only.id, "kind": "events.submitted"},
                     {"user_id": nothing.id, "kind": "events.published"}]


async def test_under_review_waits_for_the_end_of_quiet_hours(use_settings, smtp, make_user, clock, run_jobs) -> None:
    recorder, port = smtp
    use_settings(**email_settings(port))
    user = await make_user()
    await update_preferences(user.id, {"quiet_start": "22:00", "quiet_end": "08:00", "timezone": "UTC"})
    clock.freeze(at(2026, 12, 1, 23))
    await fire(events_specs.event_submitted, event=make_event(64, author_id=user.id, status="pending_review"),
               actor_id=user.id)
    await deliver_due(run_jobs)
    assert recorder.messages == [] and [r["status"] for r in await _rows()] == ["pending"]
    clock.freeze(at(2026, 12, 2, 8))
    await deliver_due(run_jobs)
    assert len(recorder.messages) == 1 and [r["status"] for r in await _rows()] == ["sent"]


# ---------------------------------------------------------------------------------------------------------------------
# Through the events HTTP API
# ---------------------------------------------------------------------------------------------------------------------


@pytest.fixture
async def smtp_app(make_client, smtp):
    recorder, port = smtp
    client = await make_client(["events", "notify"], settings={"notify": email_settings(port)})
    return client, recorder


async def _draft(app, headers, title: str = "Street food tour") -> int:
    start = (core_clock.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    r = await app.post("/api/v1/events", headers=headers, json={
        "title": title, "description": "Tasting our way through the old town", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(), "online_url": "https://meet.example.org/x",
        "tags": ["food"], "category": "meetup"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_submit_endpoint_tells_the_author(smtp_app, make_user, auth_headers, run_jobs) -> None:
    app, recorder = smtp_app
    organiser = await make_user(roles=["organiser"], email="org@example.org", display_name="Olga")
    h = await auth_headers(organiser)
    event_id = await _draft(app, h)
    assert await _rows() == []  # a draft is nobody's business yet
    r = await app.post(f"/api/v1/events/{event_id}/submit", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "pending_review", r.text
    # written in the submit's transaction: the row is there before any worker ran
    assert await _rows() == [{"user_id": organiser.id, "subject": f"events.event:{event_id}", "status": "pending"}]
    await deliver_due(run_jobs)
    assert [(m.to, m.subject) for m in recorder.messages] == [
        (["org@example.org"], 'Your event "Street food tour" is under review')]
    r = await app.get("/api/v1/notify/inbox", headers=h)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["kind"], i["title"]) for i in items] == [
        ("events.submitted", 'Your event "Street food tour" is under review')]
    prefs = (await app.get("/api/v1/notify/preferences", headers=h)).json()
    assert prefs["channels"]["events.submitted"] == {"inbox": True, "push": True, "sms": True, "email": True}


async def test_refused_submits_tell_nobody(smtp_app, make_user, auth_headers, run_jobs) -> None:
    app, recorder = smtp_app
    organiser, stranger = await make_user(roles=["organiser"]), await make_user(roles=["organiser"])
    h = await auth_headers(organiser)
    event_id = await _draft(app, h)
    r = await app.post(f"/api/v1/events/{event_id}/submit", headers=await auth_headers(stranger))
    assert r.status_code in (403, 404), r.text  # someone else's event
    r = await app.post("/api/v1/events/999999/submit", headers=h)
    assert r.status_code == 404, r.text
    assert (await app.post(f"/api/v1/events/{event_id}/submit", headers=h)).status_code == 200
    r = await app.post(f"/api/v1/events/{event_id}/submit", headers=h)  # already pending: an illegal move
    assert r.status_code == 409, r.text
    assert [r["user_id"] for r in await _rows()] == [organiser.id]  # only the one accepted submit
    await deliver_due(run_jobs)
    assert len(recorder.messages) == 1

"""Trust levels: a new organiser's events are reviewed; after ``trusted_after_approved`` approvals without an upheld
report they publish at once; one upheld report sends the organiser back to the queue (and the count starts again)."""

from __future__ import annotations

from core import db
from core.reports import screening
from core.reports import services as reports
from plugins.events import services as events
from plugins.events import trust
from tests.admin_ui.conftest import event_status, pending_event


async def submit_and_approve(author_id: int, moderator_id: int, title: str) -> int:
    event_id = await pending_event(author_id, title)
    assert await event_status(event_id) == "pending_review"
    await events.approve(event_id, moderator_id)
    return event_id


async def test_an_organiser_earns_trust_and_loses_it_with_an_upheld_report(make_client, make_user) -> None:
    await make_client(["events"], settings={"events": {"trusted_after_approved": 2}})
    organiser = await make_user(roles=["organiser"])
    moderator = await make_user(roles=["moderator"])
    reporter = await make_user()
    # Given two events approved by moderators
    await submit_and_approve(organiser.id, moderator.id, "First")
    assert not await trust.is_trusted(organiser.id)
    await submit_and_approve(organiser.id, moderator.id, "Second")
    assert await trust.approved_since_upheld(organiser.id) == 2
    # When they submit a third, it publishes at once, by the system, with the reason in its history
    third = await pending_event(organiser.id, "Third")
    assert await event_status(third) == "published"
    history = await events.history(third)
    assert [(h["from_status"], h["to_status"], h["actor_id"], h["reason"]) for h in history[-2:]] == [
        ("draft", "pending_review", organiser.id, ""), ("pending_review", "published", None, trust.TRUSTED)]
    rows = await db.fetch("SELECT actor_id, object_id FROM users.audit_entry WHERE action = 'event.publish_trusted'")
    assert [(r["actor_id"], r["object_id"]) for r in rows] == [(None, str(third))]
    # Another organiser is not trusted by it
    newcomer = await make_user(roles=["organiser"])
    assert await event_status(await pending_event(newcomer.id, "Newcomer's")) == "pending_review"
    # When a report against one of their events is upheld
    await reports.file(reporter.id, "events.event", third, "scam", "asks for money up front")
    case = await reports.open_case_of("events.event", third)
    assert case is not None
    await reports.decide(case["id"], moderator.id, "uphold", "confirmed scam")
    # Then their next event goes to the queue again, and trust is earned anew
    assert not await trust.is_trusted(organiser.id)
    await submit_and_approve(organiser.id, moderator.id, "Fourth")
    await submit_and_approve(organiser.id, moderator.id, "Fifth")
    assert await event_status(await pending_event(organiser.id, "Sixth")) == "published"


async def test_a_dismissed_report_keeps_the_trust(make_client, make_user) -> None:
    await make_client(["events"], settings={"events": {"trusted_after_approved": 1}})
    organiser = await make_user(roles=["organiser"])
    moderator = await make_user(roles=["moderator"])
    first = await submit_and_approve(organiser.id, moderator.id, "First")
    await reports.file((await make_user()).id, "events.event", first, "spam", "")
    case = await reports.open_case_of("events.event", first)
    assert case is not None
    await reports.decide(case["id"], moderator.id, "dismiss")
    assert await event_status(await pending_event(organiser.id, "Second")) == "published"


async def test_screened_text_is_always_reviewed(make_client, make_user) -> None:
    await make_client(["events"], settings={"events": {"trusted_after_approved": 1}})
    organiser = await make_user(roles=["organiser"])
    moderator = await make_user(roles=["moderator"])
    await submit_and_approve(organiser.id, moderator.id, "First")
    await screening.block("en", "casino", moderator.id)
    assert await event_status(await pending_event(organiser.id, "Casino night")) == "pending_review"
    assert await event_status(await pending_event(organiser.id, "Chess night")) == "published"


async def test_zero_means_every_event_is_reviewed(make_client, make_user) -> None:
    await make_client(["events"], settings={"events": {"trusted_after_approved": 0}})
    organiser = await make_user(roles=["organiser"])
    moderator = await make_user(roles=["moderator"])
    for n in range(3):
        await submit_and_approve(organiser.id, moderator.id, f"Event {n}")
    assert not await trust.is_trusted(organiser.id)
    assert await event_status(await pending_event(organiser.id, "Still reviewed")) == "pending_review"


async def test_the_setting_is_checked_at_start_up(make_app) -> None:
    import pytest

    from core.errors import ConfigError

    with pytest.raises(ConfigError):
        make_app(["events"], settings={"events": {"trusted_after_approved": -1}})

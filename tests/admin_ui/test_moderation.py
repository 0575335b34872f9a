"""The events moderation queue (contributed by the events plugin), the dashboard and the delivery log page."""

from __future__ import annotations

from core import db
from tests.admin_ui.conftest import event_status, page_csrf, pending_event

PLUGINS = ["admin", "events", "notify"]


async def test_queue_lists_pending_events_oldest_first_with_authors(admin_client, make_user, clock) -> None:
    client = await admin_client(roles=["moderator"], plugins=PLUGINS)
    author = await make_user(roles=["organiser"], display_name="Olga Organiser")
    clock.freeze()
    old = await pending_event(author.id, "Older one")
    clock.advance(60)
    new = await pending_event(author.id, "Newer one")
    r = await client.get("/admin/moderation/events.review")
    assert r.status_code == 200
    assert r.text.index("Older one") < r.text.index("Newer one")
    assert "Olga Organiser" in r.text
    index = await client.get("/admin/moderation")
    assert "Events to review" in index.text and "<td>2</td>" in index.text
    detail = await client.get(f"/admin/moderation/events.review/{old}")
    assert detail.status_code == 200
    for text in ("Older one: bring friends.", "https://meet.example.org/sbor", "Europe/Berlin", "games",
                 "draft → pending_review", "Olga Organiser", 'name="_csrf"'):
        assert text in detail.text, text
    del new


async def test_approve_publishes_and_is_audited(admin_client, make_user) -> None:
    client = await admin_client(roles=["moderator"], plugins=PLUGINS)
    mod = client.user
    author = await make_user(roles=["organiser"])
    event_id = await pending_event(author.id)
    token = await page_csrf(client, f"/admin/moderation/events.review/{event_id}")
    r = await client.post(f"/admin/moderation/events.review/{event_id}/approve", data={"_csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/admin/moderation/events.review?done=approved"
    assert await event_status(event_id) == "published"
    rows = await db.fetch("SELECT actor_id, action, object_type, object_id, before, after, origin FROM "
                          "users.audit_entry WHERE action LIKE 'event.%'")  # written once, by events' service
    assert [(r["actor_id"], r["action"], r["object_type"], r["object_id"], r["origin"]) for r in rows] == [
        (mod.id, "event.approve", "event", str(event_id), "admin")]
    # Deciding twice is a conflict, shown as a page
    again = await client.post(f"/admin/moderation/events.review/{event_id}/approve", data={"_csrf": token})
    assert again.status_code == 409 and "<html" in again.text
    done = await client.get(f"/admin/moderation/events.review/{event_id}")
    assert "already decided" in done.text and 'id="approve"' not in done.text


async def test_reject_needs_a_reason_shown_next_to_the_field(admin_client, make_user) -> None:
    client = await admin_client(roles=["moderator"], plugins=PLUGINS)
    author = await make_user(roles=["organiser"])
    event_id = await pending_event(author.id)
    token = await page_csrf(client, f"/admin/moderation/events.review/{event_id}")
    url = f"/admin/moderation/events.review/{event_id}/reject"
    r = await client.post(url, data={"_csrf": token, "reason": "   "})
    assert r.status_code == 422 and 'id="reason-error">Tell the author why' in r.text
    r = await client.post(url, data={"_csrf": token, "reason": "x" * 2001})
    assert r.status_code == 422
    assert await event_status(event_id) == "pending_review"
    r = await client.post(url, data={"_csrf": token, "reason": "Not a real event"})
    assert r.status_code == 303
    assert await event_status(event_id) == "rejected"
    moves = await db.fetch("SELECT reason FROM events.status_move WHERE event = $1 AND to_status = 'rejected'",
                           event_id)
    assert [m["reason"] for m in moves] == ["Not a real event"]
    # The author is told through notify's hooks (an outbox row written in the same transaction)
    told = await db.fetch("SELECT kind FROM notify.notification WHERE user_id = $1", author.id)
    assert "events.rejected" in [t["kind"] for t in told]


async def test_support_cannot_moderate(admin_client, make_user) -> None:
    client = await admin_client(roles=["support"], plugins=PLUGINS)
    author = await make_user(roles=["organiser"])
    event_id = await pending_event(author.id)
    assert (await client.get("/admin/moderation/events.review")).status_code == 403
    assert "Events to review" not in (await client.get("/admin/moderation")).text
    token = client.csrf
    r = await client.post(f"/admin/moderation/events.review/{event_id}/approve", data={"_csrf": token})
    assert r.status_code == 403
    assert await event_status(event_id) == "pending_review"


async def test_unknown_or_malformed_items_are_404(admin_client) -> None:
    client = await admin_client(roles=["moderator"], plugins=PLUGINS)
    for item in ("999999", "abc", "1" * 40):
        assert (await client.get(f"/admin/moderation/events.review/{item}")).status_code == 404, item


async def test_dashboard_shows_users_queues_events_and_failed_notifications(admin_client, make_user) -> None:
    client = await admin_client(roles=["admin"], plugins=PLUGINS)
    author = await make_user(roles=["organiser"])
    await pending_event(author.id)
    await db.fetch("UPDATE users.account SET created_at = now() - interval '30 days' WHERE id = $1", author.id)
    r = await client.get("/admin/")
    assert r.status_code == 200
    text = " ".join(r.text.split())
    assert "Total</a></span> <b>2</b>" in text  # the admin and the author
    assert "New this week</span> <b>1</b>" in text
    assert "Events to review</a></span> <b>1</b>" in text
    assert "Events by status" in text and "Pending review</a></span> <b>1</b>" in text
    assert "Failed in the last 24 h</a></span> <b>0</b>" in text


async def test_support_dashboard_hides_what_they_cannot_open(admin_client) -> None:
    client = await admin_client(roles=["support"], plugins=PLUGINS)
    r = await client.get("/admin/")
    assert "Waiting for moderation" not in r.text and "Users" in r.text


async def test_delivery_log_page_filters(admin_client, make_user) -> None:
    client = await admin_client(roles=["support"], plugins=PLUGINS)
    r = await client.get("/admin/p/notify/deliveries", params={"status": "failed", "channel": "email",
                                                               "user_id": "12"})
    assert r.status_code == 200
    assert '<option value="failed" selected>' in r.text and '<option value="email" selected>' in r.text
    assert (await client.get("/admin/p/notify/deliveries", params={"user_id": "nope"})).status_code == 200
    r = await client.get("/admin/p/notify/deliveries", params={"status": "failed", "cursor": "garbage"})
    assert r.status_code == 400 and "This page link is not valid" in r.text  # never silently the first page
    assert '<a href="/admin/p/notify/deliveries?status=failed">Go to the first page</a>' in r.text
    menu = await client.get("/admin/")
    assert 'href="/admin/p/notify/deliveries"' in menu.text


"""Moderation: screening holds, the queue (API and admin panel), approve, hide with a reason, remove, the move table."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.errors import Conflict
from tests.plugins.reviews.conftest import MODERATOR_ROLE, PLUGINS, SETTINGS, write


async def test_the_blocklist_holds_a_review_until_a_moderator_approves(api: Any, finished: Any, person: Any) -> None:
    scene = await finished(attendees=2)
    me, other = scene.attendees
    r = await write(api, me, scene.event.id, rating=1, text="A total SCAM, avoid")
    assert r.status_code == 201 and r.json()["status"] == "held"
    rid = r.json()["id"]
    # held: only its author sees it; nothing counted
    assert (await api.get(f"/api/v1/reviews/{rid}", headers=other.headers)).status_code == 404
    assert (await api.get(f"/api/v1/reviews/{rid}", headers=me.headers)).json()["status"] == "held"
    assert (await api.get(f"/api/v1/reviews/events/{scene.event.id}")).json()["items"] == []
    assert (await api.get(f"/api/v1/reviews/events/{scene.event.id}/summary")).json()["count"] == 0
    # a moderator approves: published and counted
    mod = await person("moderator")
    assert (await api.post(f"/api/v1/reviews/{rid}/approve", headers=mod.headers)).status_code == 204
    assert (await api.get(f"/api/v1/reviews/{rid}", headers=other.headers)).json()["status"] == "published"
    assert (await api.get(f"/api/v1/reviews/events/{scene.event.id}/summary")).json()["count"] == 1
    r = await api.post(f"/api/v1/reviews/{rid}/approve", headers=mod.headers)
    assert (r.status_code, r.json()["code"]) == (409, "not_flagged")
    # an edit bringing a blocked word back holds it again
    r = await api.patch(f"/api/v1/reviews/{rid}", headers=me.headers, json={"text": "scam!"})
    assert r.json()["status"] == "held"
    assert (await api.get(f"/api/v1/reviews/events/{scene.event.id}/summary")).json()["count"] == 0


async def test_hide_with_a_reason_the_author_reads_then_edit_and_remove(api: Any, finished: Any,
                                                                        person: Any) -> None:
    scene = await finished(attendees=1)
    me = scene.attendees[0]
    rid = (await write(api, me, scene.event.id, rating=2, text="Rude staff, call 555-0100")).json()["id"]
    mod = await person("moderator")
    r = await api.post(f"/api/v1/reviews/{rid}/hide", headers=mod.headers, json={"reason": "No phone numbers"})
    assert r.status_code == 204
    mine = (await api.get("/api/v1/reviews/mine", headers=me.headers)).json()["items"]
    assert [(i["id"], i["status"], i["hidden_reason"]) for i in mine] == [(rid, "hidden", "No phone numbers")]
    assert (await api.get(f"/api/v1/reviews/{rid}")).status_code == 404
    # the organiser cannot hide or remove (no permission)
    r = await api.post(f"/api/v1/reviews/{rid}/hide", headers=scene.organiser.headers, json={"reason": "x"})
    assert (r.status_code, r.json()["code"]) == (403, "permission_denied")
    # the author edits it: back in the queue, held
    r = await api.patch(f"/api/v1/reviews/{rid}", headers=me.headers, json={"text": "Rude staff"})
    assert r.json()["status"] == "held"
    r = await api.post(f"/api/v1/reviews/{rid}/hide", headers=mod.headers, json={"reason": "  "})
    assert r.status_code == 422
    r = await api.post(f"/api/v1/reviews/{rid}/remove", headers=mod.headers, json={"reason": "Repeated abuse"})
    assert r.status_code == 204
    r = await api.patch(f"/api/v1/reviews/{rid}", headers=me.headers, json={"text": "sorry"})
    assert (r.status_code, r.json()["code"]) == (409, "review_not_editable")
    r = await api.post(f"/api/v1/reviews/{rid}/approve", headers=mod.headers)
    assert (r.status_code, r.json()["code"]) == (409, "illegal_status_move")


def test_every_move_not_in_the_table_is_refused() -> None:
    from plugins.reviews import states

    for a in states.STATUSES:
        for b in states.STATUSES:
            for role in (states.AUTHOR, states.MODERATOR, states.SYSTEM):
                if role in states.MOVES.get((a, b), frozenset()):
                    states.check_move(a, b, role)
                else:
                    with pytest.raises(Conflict) as exc:
                        states.check_move(a, b, role)
                    assert exc.value.code == "illegal_status_move"


async def test_reported_reviews_go_to_the_platforms_report_queue_and_a_kept_one_stays(api: Any, finished: Any,
                                                                                       person: Any) -> None:
    from core.reports import services as reports
    from plugins.reviews import moderation

    scene = await finished(attendees=3)
    rid = (await write(api, scene.attendees[0], scene.event.id, rating=5)).json()["id"]
    r = await api.post(f"/api/v1/reviews/{rid}/report", headers=scene.organiser.headers, json={"reason": "not there"})
    assert r.status_code == 204
    assert await moderation.count_waiting() == 0  # this plugin's queue keeps what screening held
    (case,) = (await reports.queue()).items
    assert (case["target_type"], case["target_id"], case["reporters"]) == ("reviews.review", rid, 1)
    assert case["latest_texts"] == ["not there"] and case["actions"] == ["take_down", "remove"]
    for who in scene.attendees[1:]:  # three people, the default threshold: held until staff decide
        await reports.file(who.id, "reviews.review", rid, "spam", "")
    assert (await api.get(f"/api/v1/reviews/{rid}")).status_code == 404
    assert (await api.get(f"/api/v1/reviews/{rid}", headers=scene.attendees[0].headers)).json()["status"] == "held"
    mod = await person("moderator")
    await reports.decide(case["id"], mod.id, "dismiss", "It is fine")
    assert (await api.get(f"/api/v1/reviews/{rid}")).json()["status"] == "published"


async def test_staff_take_a_reported_review_down_from_the_report_queue(api: Any, finished: Any, person: Any) -> None:
    from core.reports import services as reports

    scene = await finished(attendees=1)
    rid = (await write(api, scene.attendees[0], scene.event.id, rating=1, text="Awful")).json()["id"]
    await reports.file(scene.organiser.id, "reviews.review", rid, "harassment", "Insults my staff")
    (case,) = (await reports.queue()).items
    mod = await person("moderator")
    await reports.decide(case["id"], mod.id, "take_down", "Please keep it civil")
    mine = (await api.get(f"/api/v1/reviews/{rid}", headers=scene.attendees[0].headers)).json()
    assert mine["status"] == "hidden"
    assert await reports.upheld_against(scene.attendees[0].id) == 1


ROLES = ["anonymous", "user", "attendee", "organiser", "moderator"]
# operation -> the roles it succeeds for; others get 401 (anonymous), 403 or 409/404 (by code, below)
MATRIX: dict[str, dict[str, tuple[int, str | None]]] = {
    "write": {"anonymous": (401, None), "user": (403, "not_attended"), "attendee": (201, None),
              "organiser": (403, "own_event"), "moderator": (403, "not_attended")},
    "read": {r: (200, None) for r in ROLES},
    "helpful": {"anonymous": (401, None), "user": (200, None), "attendee": (200, None), "organiser": (200, None),
                "moderator": (200, None)},
    "reply": {"anonymous": (401, None), "user": (403, "not_event_organiser"),
              "attendee": (403, "not_event_organiser"), "organiser": (201, None),
              "moderator": (403, "not_event_organiser")},
    "report": {"anonymous": (401, None), "user": (204, None), "attendee": (204, None), "organiser": (204, None),
               "moderator": (204, None)},
    "edit": {"anonymous": (401, None), "user": (404, "review_not_found"), "attendee": (404, "review_not_found"),
             "organiser": (404, "review_not_found"), "moderator": (404, "review_not_found")},
    "hide": {"anonymous": (401, None), "user": (403, "permission_denied"), "attendee": (403, "permission_denied"),
             "organiser": (403, "permission_denied"), "moderator": (204, None)},
}


@pytest.mark.parametrize("role", ROLES)
async def test_permission_matrix(api: Any, finished: Any, person: Any, role: str) -> None:
    scene = await finished(attendees=3)
    author, attendee = scene.attendees[0], scene.attendees[1]
    rid = (await write(api, author, scene.event.id)).json()["id"]
    who = {"user": scene.stranger, "attendee": attendee, "organiser": scene.organiser}.get(role)
    if role == "moderator":
        who = await person("moderator")
    headers = who.headers if who else {}
    calls = {
        "write": lambda: api.post(f"/api/v1/reviews/events/{scene.event.id}", headers=headers, json={"rating": 5}),
        "read": lambda: api.get(f"/api/v1/reviews/events/{scene.event.id}", headers=headers),
        "helpful": lambda: api.post(f"/api/v1/reviews/{rid}/helpful", headers=headers),
        "reply": lambda: api.post(f"/api/v1/reviews/{rid}/reply", headers=headers, json={"text": "Thanks"}),
        "report": lambda: api.post(f"/api/v1/reviews/{rid}/report", headers=headers, json={}),
        "edit": lambda: api.patch(f"/api/v1/reviews/{rid}", headers=headers, json={"rating": 4}),
        "hide": lambda: api.post(f"/api/v1/reviews/{rid}/hide", headers=headers, json={"reason": "Spam"}),
    }
    for op, call in calls.items():
        r = await call()
        status, code = MATRIX[op][role]
        assert r.status_code == status, (op, role, r.text)
        if code:
            assert r.json()["code"] == code, (op, role)


async def test_the_admin_queue(admin_client: Any, finished: Any, person: Any, make_user: Any) -> None:
    from core.users import services as users

    scene = await finished(attendees=2)  # moves the clock: sign in to the panel after it
    await person("moderator")  # creates the role holding reviews.moderate
    client = await admin_client(roles=[MODERATOR_ROLE], plugins=[*PLUGINS, "admin"], settings=SETTINGS)
    from plugins.reviews import services
    from plugins.reviews.schemas import ReviewCreate

    held = await services.create(scene.attendees[0].id, scene.event.id, ReviewCreate(rating=1, text="scam"))
    fine = await services.create(scene.attendees[1].id, scene.event.id, ReviewCreate(rating=4))
    assert held.status == "held" and fine.status == "published"
    r = await client.get("/admin/moderation/reviews.queue")
    assert r.status_code == 200 and f"/admin/moderation/reviews.queue/{held.id}" in r.text
    assert f"/reviews.queue/{fine.id}\"" not in r.text
    r = await client.get("/admin/moderation/reviews.queue", params={"q": "scam", "status": "held"})
    assert f"/reviews.queue/{held.id}" in r.text and 'id="total">1 waiting' in r.text  # search, filter, total
    assert 'id="total">0 waiting' in (await client.get("/admin/moderation/reviews.queue", params={"q": "zzz"})).text
    r = await client.get(f"/admin/moderation/reviews.queue/{held.id}")
    assert r.status_code == 200
    for text in ("Board games night", "★☆☆☆☆ (1/5)", "blocklist: scam", "Author&#39;s reviews", "1 held"):
        assert text in r.text, text
    # hide with a reason (the queue's reject), then the item is decided
    r = await client.post(f"/admin/moderation/reviews.queue/{held.id}/reject",
                          data={"_csrf": client.csrf, "reason": "Please no accusations without facts"})
    assert r.status_code == 303, r.text
    mine = await services.get(held.id, scene.attendees[0].id)
    assert mine.status == "hidden" and mine.hidden_reason == "Please no accusations without facts"
    r = await client.get(f"/admin/moderation/reviews.queue/{held.id}")
    assert "already decided" in r.text
    # the list page and the dashboard widget
    r = await client.get("/admin/p/reviews/all?status=hidden")
    assert r.status_code == 200 and re.search(rf">\s*{held.id}\s*<", r.text)
    r = await client.get("/admin/p/reviews/all?cursor=bogus")
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]
    r = await client.get("/admin/moderation/reviews.queue/abc")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    # staff without reviews.moderate do not see the queue
    support = await make_user(roles=["support"])
    other = await admin_client(user=support, plugins=[*PLUGINS, "admin"], settings=SETTINGS)
    assert (await other.get("/admin/moderation/reviews.queue")).status_code == 403
    assert await users.get_user(support.id)


async def test_the_list_page_declares_approve_hide_and_remove(api: Any, finished: Any, person: Any) -> None:
    from core.admin import ActionContext, AdminPage
    from plugins.reviews import services
    from plugins.reviews.admin import contributions
    from plugins.reviews.schemas import ReviewCreate

    page = next(c for c in contributions() if isinstance(c, AdminPage))
    scene = await finished(attendees=2)
    mod = await person("moderator")
    a = await services.create(scene.attendees[0].id, scene.event.id, ReviewCreate(rating=5))
    b = await services.create(scene.attendees[1].id, scene.event.id, ReviewCreate(rating=1, text="scam"))
    remove, hide, approve = page.action("remove"), page.action("hide"), page.action("approve")
    assert remove and hide and approve and remove.danger and [f.name for f in remove.fields] == ["reason"]
    assert approve.visible and approve.visible({"status": "held"}) and not approve.visible({"status": "published"})
    await approve.run(ActionContext(staff_id=mod.id, ids=(str(b.id),), values={}))
    await remove.run(ActionContext(staff_id=mod.id, ids=(str(a.id), str(b.id)), values={"reason": "Spam"}))
    assert {(await services.get(r.id, r.author_id)).status for r in (a, b)} == {"removed"}
    assert page.detail is not None
    detail = await page.detail(str(a.id))
    assert detail is not None and detail["status"] == "removed" and detail["Rating"] == "★★★★★ (5/5)"
    assert await page.detail("nope") is None


async def test_the_platforms_blocklist_holds_a_review_in_any_word_form(api: Any, finished: Any) -> None:
    from core.reports import screening

    await screening.block("ru", "мошенник", None)
    scene = await finished(attendees=1)
    r = await write(api, scene.attendees[0], scene.event.id, rating=1, text="Организаторы — мошенники")
    assert r.status_code == 201 and r.json()["status"] == "held"
    assert (await api.get(f"/api/v1/reviews/{r.json()['id']}")).status_code == 404

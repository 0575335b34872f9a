"""Writing, editing and replying: the happy path and each refusal of the issue, by its problem ``code``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.plugins.reviews.conftest import write


async def test_an_attendee_reviews_a_finished_event(api: Any, finished: Any) -> None:
    scene = await finished(attendees=1)
    me = scene.attendees[0]
    r = await write(api, me, scene.event.id, rating=4, text="Good games", tags=["friendly", "well_organised"],
                    would_go_again=True)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["rating"] == 4 and body["status"] == "published" and body["tags"] == ["friendly", "well_organised"]
    assert body["organiser_id"] == scene.organiser.id and body["venue_id"] == scene.event.venue_id
    assert body["author_id"] == me.id and body["would_go_again"] is True
    r = await api.get(f"/api/v1/reviews/{body['id']}")
    assert r.status_code == 200 and r.json()["text"] == "Good games"


async def test_who_may_not_review(api: Any, finished: Any, person: Any) -> None:
    scene = await finished(attendees=1)
    # not attended
    r = await write(api, scene.stranger, scene.event.id)
    assert (r.status_code, r.json()["code"]) == (403, "not_attended")
    # the organiser of their own event
    r = await write(api, scene.organiser, scene.event.id)
    assert (r.status_code, r.json()["code"]) == (403, "own_event")
    # a second review
    me = scene.attendees[0]
    assert (await write(api, me, scene.event.id)).status_code == 201
    r = await write(api, me, scene.event.id, rating=2, text="changed my mind")
    assert (r.status_code, r.json()["code"]) == (409, "already_reviewed")
    # an unknown event
    r = await write(api, me, 999_999)
    assert (r.status_code, r.json()["code"]) == (404, "event_not_found")


async def test_not_before_the_event_finished(api: Any, finished: Any) -> None:
    scene = await finished(attendees=1, finish=False)
    r = await write(api, scene.attendees[0], scene.event.id)
    assert (r.status_code, r.json()["code"]) == (409, "event_not_finished")


async def test_not_a_cancelled_event(api: Any, finished: Any) -> None:
    from plugins.events import api as events

    scene = await finished(attendees=1, finish=False)
    await events.cancel(scene.event.id, scene.organiser.id, "Rain")
    r = await write(api, scene.attendees[0], scene.event.id)
    assert (r.status_code, r.json()["code"]) == (409, "event_cancelled")


async def test_not_someone_who_left(api: Any, finished: Any, refresh: Any) -> None:
    from plugins.events import participation

    scene = await finished(attendees=2, finish=False)
    await participation.leave(scene.attendees[1].id, scene.event.id)
    from core import clock
    from plugins.events import services

    clock.freeze(scene.event.ends_at + timedelta(minutes=1))
    await services.finish_ended()
    await refresh(scene.attendees[1])
    r = await write(api, scene.attendees[1], scene.event.id)
    assert (r.status_code, r.json()["code"]) == (403, "not_attended")


@pytest.mark.parametrize("rating", [0, 6, 4.5, "five", None])
async def test_ratings_are_whole_stars_1_to_5(api: Any, finished: Any, rating: Any) -> None:
    scene = await finished(attendees=1)
    r = await write(api, scene.attendees[0], scene.event.id, rating=rating, text="fine")
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"
    assert [e["pointer"] for e in r.json()["errors"]] == ["/rating"]


async def test_body_rules(api: Any, finished: Any) -> None:
    scene = await finished(attendees=1)
    me, eid = scene.attendees[0], scene.event.id
    r = await write(api, me, eid, rating=1)
    assert (r.status_code, r.json()["code"]) == (422, "text_required")
    assert r.json()["errors"][0]["pointer"] == "/text"
    r = await write(api, me, eid, rating=3, text="   ")
    assert r.json()["code"] == "text_required"
    r = await write(api, me, eid, tags=["friendly", "not-a-tag"])
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/tags/1"
    r = await write(api, me, eid, tags=["friendly", "friendly"])
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/tags"
    r = await write(api, me, eid, text="x" * 4001)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/text"
    r = await write(api, me, eid, stars=5)
    assert r.status_code == 422 and {"pointer": "/stars", "detail": "unknown field"} in r.json()["errors"]
    r = await write(api, me, eid, media=["media:1"])
    assert (r.status_code, r.json()["code"]) == (422, "media_unavailable")
    r = await api.post(f"/api/v1/reviews/events/{eid}", json={"rating": 5})
    assert r.status_code == 401
    # a 5-star review needs no text
    assert (await write(api, me, eid)).status_code == 201


async def test_editing(api: Any, finished: Any, clock: Any, refresh: Any) -> None:
    scene = await finished(attendees=2)
    me, other = scene.attendees
    rid = (await write(api, me, scene.event.id, rating=5)).json()["id"]
    r = await api.patch(f"/api/v1/reviews/{rid}", headers=me.headers, json={"rating": 2})
    assert (r.status_code, r.json()["code"]) == (422, "text_required")
    r = await api.patch(f"/api/v1/reviews/{rid}", headers=me.headers, json={"rating": 2, "text": "Too loud"})
    assert r.status_code == 200 and r.json()["rating"] == 2
    # another user's review: 404, as if it did not exist
    r = await api.patch(f"/api/v1/reviews/{rid}", headers=other.headers, json={"rating": 4})
    assert (r.status_code, r.json()["code"]) == (404, "review_not_found")
    r = await api.delete(f"/api/v1/reviews/{rid}", headers=other.headers)
    assert (r.status_code, r.json()["code"]) == (404, "review_not_found")
    # after 14 days
    clock.advance(timedelta(days=14, minutes=1))
    await refresh(me)
    r = await api.patch(f"/api/v1/reviews/{rid}", headers=me.headers, json={"rating": 3})
    assert (r.status_code, r.json()["code"]) == (409, "edit_window_passed")
    # still deletable
    assert (await api.delete(f"/api/v1/reviews/{rid}", headers=me.headers)).status_code == 204
    assert (await api.get(f"/api/v1/reviews/{rid}", headers=me.headers)).status_code == 404


async def test_the_organiser_replies_once(api: Any, finished: Any) -> None:
    scene = await finished(attendees=1)
    rid = (await write(api, scene.attendees[0], scene.event.id, rating=3, text="Okay")).json()["id"]
    url = f"/api/v1/reviews/{rid}/reply"
    r = await api.post(url, headers=scene.attendees[0].headers, json={"text": "me too"})
    assert (r.status_code, r.json()["code"]) == (403, "not_event_organiser")
    r = await api.patch(url, headers=scene.organiser.headers, json={"text": "edit of nothing"})
    assert (r.status_code, r.json()["code"]) == (404, "reply_not_found")
    r = await api.post(url, headers=scene.organiser.headers, json={"text": "Thanks, we'll do better"})
    assert r.status_code == 201 and r.json()["reply"]["text"] == "Thanks, we'll do better"
    r = await api.post(url, headers=scene.organiser.headers, json={"text": "Again"})
    assert (r.status_code, r.json()["code"]) == (409, "already_replied")
    r = await api.patch(url, headers=scene.organiser.headers, json={"text": "Thanks!"})
    assert r.status_code == 200 and r.json()["reply"]["text"] == "Thanks!" and r.json()["reply"]["edited_at"]
    r = await api.post(url, headers=scene.organiser.headers, json={"text": "  "})
    assert r.status_code == 422


async def test_helpful_once_and_reports(api: Any, finished: Any) -> None:
    scene = await finished(attendees=2)
    me, other = scene.attendees
    rid = (await write(api, me, scene.event.id)).json()["id"]
    url = f"/api/v1/reviews/{rid}/helpful"
    r = await api.post(url, headers=other.headers)
    assert r.status_code == 200 and r.json() == {"helpful": 1}
    r = await api.post(url, headers=other.headers)
    assert (r.status_code, r.json()["code"]) == (409, "already_marked")
    r = await api.post(url, headers=me.headers)
    assert (r.status_code, r.json()["code"]) == (409, "own_review")
    r = await api.post(f"/api/v1/reviews/{rid}/report", headers=scene.organiser.headers, json={"reason": "fake"})
    assert r.status_code == 204
    r = await api.post(f"/api/v1/reviews/{rid}/report", headers=scene.organiser.headers, json={})
    assert (r.status_code, r.json()["code"]) == (409, "already_reported")
    r = await api.post(f"/api/v1/reviews/{rid}/report", headers=me.headers, json={})
    assert (r.status_code, r.json()["code"]) == (409, "own_review")
    r = await api.post("/api/v1/reviews/999999/helpful", headers=other.headers)
    assert (r.status_code, r.json()["code"]) == (404, "review_not_found")

""""+1": requests, suggestions, proposals, the anonymous pair (through the chat's routes) and going together."""

from __future__ import annotations

from typing import Any

import httpx
import pytest_asyncio

from core import db
from tests.plugins.groups.conftest import GROUP_PLUGINS

REQUESTS = "/api/v1/groups/partners/requests"
PAIRS = "/api/v1/groups/pairs"


async def post_request(api: httpx.AsyncClient, who: Any, event_id: int, **over: Any) -> httpx.Response:
    """POST a "+1" request (``looking`` by default)."""
    body = {"event_id": event_id, "kind": "looking", "note": "First time at a board games night"} | over
    return await api.post(REQUESTS, headers=who.headers, json=body)


async def request_id(api: Any, who: Any, event_id: int, **over: Any) -> int:
    r = await post_request(api, who, event_id, **over)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def suggestions(api: Any, who: Any, rid: int) -> list[dict[str, Any]]:
    r = await api.get(f"{REQUESTS}/{rid}/suggestions", headers=who.headers)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def matched_pair(api: Any, a: Any, b: Any, eid: int) -> int:
    """A and B post requests, A proposes to B, B accepts: the proposal id."""
    ra, rb = await request_id(api, a, eid), await request_id(api, b, eid)
    r = await api.post(f"{REQUESTS}/{ra}/proposals", headers=a.headers, json={"to_request_id": rb})
    assert r.status_code == 201, r.text
    pid = int(r.json()["id"])
    r = await api.post(f"{PAIRS}/{pid}/accept", headers=b.headers)
    assert r.status_code == 200 and r.json()["status"] == "matched", r.text
    return pid


async def test_request_lifecycle(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=10)
    a, b = await person(), await person()
    r = await post_request(api, a, eid, languages=["en", "ru"], age_min=20, age_max=40, audience="participants")
    assert r.status_code == 201, r.text
    mine = r.json()
    assert mine["status"] == "open" and mine["pseudonym"] and mine["languages"] == ["en", "ru"]
    again = await post_request(api, a, eid, kind="offering")
    assert again.status_code == 409 and again.json()["code"] == "partner_request_exists"
    listed = (await api.get(REQUESTS, headers=a.headers)).json()
    assert [i["id"] for i in listed["items"]] == [mine["id"]] and listed["next_cursor"] is None
    assert (await api.get(REQUESTS, headers=b.headers)).json()["items"] == []
    # Someone else's request: 404, as if it did not exist.
    r = await api.post(f"{REQUESTS}/{mine['id']}/withdraw", headers=b.headers)
    assert r.status_code == 404 and r.json()["code"] == "partner_request_not_found"
    r = await api.get(f"{REQUESTS}/{mine['id']}/suggestions", headers=b.headers)
    assert r.status_code == 404 and r.json()["code"] == "partner_request_not_found"
    r = await api.post(f"{REQUESTS}/{mine['id']}/withdraw", headers=a.headers)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    r = await api.post(f"{REQUESTS}/{mine['id']}/withdraw", headers=a.headers)
    assert r.status_code == 409 and r.json()["code"] == "partner_request_closed"
    # Withdrawn: a new one may be posted.
    assert (await post_request(api, a, eid, kind="group", group_size=3)).status_code == 201


async def test_suggestions_show_pseudonyms_never_people(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=10)
    a, b, c, d = await person(), await person(), await person(), await person()
    await api.patch("/api/v1/me", headers=a.headers, json={"interests": ["games", "hiking"], "languages": ["en"]})
    await api.patch("/api/v1/me", headers=b.headers, json={"interests": ["games", "hiking"], "languages": ["en-GB"]})
    await api.patch("/api/v1/me", headers=c.headers, json={"interests": ["opera"]})
    ra = await request_id(api, a, eid)
    rb = await request_id(api, b, eid, note="I know the rules")
    rc = await request_id(api, c, eid, kind="offering")
    await request_id(api, d, eid, kind="offering")
    items = await suggestions(api, a, ra)
    assert [i["request_id"] for i in items][:1] == [rb]  # most in common first
    assert {i["request_id"] for i in items} >= {rb, rc}
    best = items[0]
    assert best["shared_interests"] == 2 and best["shared_languages"] == 1 and best["note"] == "I know the rules"
    assert set(best) == {"request_id", "pseudonym", "kind", "group_size", "note", "shared_interests",
                         "shared_languages", "score"}  # no user id, no name, no profile
    # Two offers never fit each other.
    assert all(i["kind"] == "looking" for i in await suggestions(api, c, rc))


async def test_the_cap_on_open_requests(make_client: Any, person: Any, publish: Any) -> None:
    api = await make_client(GROUP_PLUGINS, settings={"groups": {"max_open_partner_requests": 2}})
    a = await person()
    events = [(await publish(capacity=5))[0] for _ in range(3)]
    await request_id(api, a, events[0])
    await request_id(api, a, events[1])
    r = await post_request(api, a, events[2])
    assert r.status_code == 409 and r.json()["code"] == "partner_request_limit"


async def test_full_flow_matched_chat_reveal_go_together(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=2)
    a, b, outsider = await person(), await person(), await person()
    ra, rb = await request_id(api, a, eid), await request_id(api, b, eid)
    r = await api.post(f"{REQUESTS}/{ra}/proposals", headers=a.headers, json={"to_request_id": rb})
    assert r.status_code == 201 and r.json()["status"] == "proposed" and r.json()["role"] == "proposer"
    pid = r.json()["id"]
    # The recipient sees the proposal with the proposer's pseudonym and note, not who they are.
    theirs = (await api.get(PAIRS, headers=b.headers)).json()["items"]
    assert [p["id"] for p in theirs] == [pid] and theirs[0]["role"] == "recipient"
    assert theirs[0]["partner"]["user_id"] is None and theirs[0]["partner"]["display_name"] is None
    assert theirs[0]["partner"]["note"] == "First time at a board games night"
    notices = await db.fetch("SELECT user_id, kind FROM notify.notification WHERE kind LIKE 'groups.partner%' "
                             "ORDER BY id")
    assert [(n["user_id"], n["kind"]) for n in notices] == [(b.id, "groups.partner_proposal")]
    # Only the recipient accepts; the chat is not open before.
    r = await api.post(f"{PAIRS}/{pid}/accept", headers=a.headers)
    assert r.status_code == 409 and r.json()["code"] == "illegal_proposal_move"
    r = await api.get(f"{PAIRS}/{pid}/messages", headers=a.headers)
    assert r.status_code == 404
    r = await api.post(f"{PAIRS}/{pid}/accept", headers=b.headers)
    assert r.status_code == 200 and r.json()["status"] == "matched" and r.json()["chat_open"] is True
    r = await api.post(f"{PAIRS}/{pid}/accept", headers=b.headers)  # accepted twice
    assert r.status_code == 409 and r.json()["code"] == "illegal_proposal_move"
    notices = await db.fetch("SELECT user_id FROM notify.notification WHERE kind = 'groups.partner_matched'")
    assert sorted(n["user_id"] for n in notices) == sorted([a.id, b.id])
    # Their +1 requests are done.
    assert (await api.get(REQUESTS, headers=a.headers)).json()["items"][0]["status"] == "matched"
    # The anonymous chat: pseudonyms, no ids; contacts held back.
    r = await api.post(f"{PAIRS}/{pid}/messages", headers=a.headers, json={"body": "Hi! See you there?"})
    assert r.status_code == 201, r.text
    assert r.json()["author"]["id"] is None
    pseudonym_a = (await api.get(f"{PAIRS}/{pid}", headers=a.headers)).json()["my_pseudonym"]
    assert r.json()["author"]["name"] == pseudonym_a
    r = await api.post(f"{PAIRS}/{pid}/messages", headers=b.headers, json={"body": "call me +7 999 123-45-67"})
    assert r.status_code == 201 and r.json()["status"] == "held"
    # A chat one is not in: 404.
    r = await api.post(f"{PAIRS}/{pid}/messages", headers=outsider.headers, json={"body": "hello"})
    assert r.status_code == 404
    r = await api.get(f"{PAIRS}/{pid}", headers=outsider.headers)
    assert r.status_code == 404 and r.json()["code"] == "partner_proposal_not_found"
    # A reveals: B sees A's name and id; A still sees B's pseudonym.
    r = await api.post(f"{PAIRS}/{pid}/reveal", headers=a.headers)
    assert r.status_code == 200 and r.json()["i_revealed"] is True
    seen_by_b = (await api.get(f"{PAIRS}/{pid}", headers=b.headers)).json()["partner"]
    assert seen_by_b["user_id"] == a.id and seen_by_b["display_name"] and seen_by_b["revealed"]
    assert (await api.get(f"{PAIRS}/{pid}", headers=a.headers)).json()["partner"]["user_id"] is None
    history = (await api.get(f"{PAIRS}/{pid}/messages", headers=b.headers)).json()["items"]
    assert {m["author"]["id"] for m in history} == {a.id, None}
    # Going together: both must say yes; then both hold a seat (the event has exactly two).
    r = await api.post(f"{PAIRS}/{pid}/together", headers=a.headers)
    assert r.status_code == 200 and r.json()["participation"] is None and r.json()["pair"]["i_agreed_to_go"]
    r = await api.post(f"{PAIRS}/{pid}/together", headers=b.headers)
    assert r.status_code == 200, r.text
    assert r.json()["participation"] == "confirmed" and r.json()["pair"]["status"] == "going"
    detail = (await api.get(f"/api/v1/events/{eid}", headers=a.headers)).json()
    assert detail["my_status"] == "confirmed" and detail["seats_left"] == 0
    # Leaving the event together frees both seats; the pair goes on.
    r = await api.post(f"{PAIRS}/{pid}/together/leave", headers=b.headers)
    assert r.status_code == 200 and r.json()["status"] == "matched"
    assert (await api.get(f"/api/v1/events/{eid}")).json()["seats_left"] == 2
    # Leaving the pair closes the chat for both, history included; revealing after leaving is refused.
    r = await api.post(f"{PAIRS}/{pid}/leave", headers=a.headers)
    assert r.status_code == 200 and r.json()["status"] == "left" and r.json()["chat_open"] is False
    assert (await api.get(f"{PAIRS}/{pid}/messages", headers=b.headers)).status_code == 404
    assert (await api.post(f"{PAIRS}/{pid}/messages", headers=b.headers, json={"body": "?"})).status_code == 404
    r = await api.post(f"{PAIRS}/{pid}/reveal", headers=b.headers)
    assert r.status_code == 409 and r.json()["code"] == "illegal_proposal_move"
    assert (await api.get(f"{PAIRS}/{pid}", headers=b.headers)).json()["partner"]["user_id"] is None


async def test_proposing_back_accepts_and_declining(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=10)
    a, b, c = await person(), await person(), await person()
    ra, rb, rc = (await request_id(api, a, eid), await request_id(api, b, eid),
                  await request_id(api, c, eid, kind="group", group_size=3))
    pid = (await api.post(f"{REQUESTS}/{ra}/proposals", headers=a.headers, json={"to_request_id": rb})).json()["id"]
    r = await api.post(f"{REQUESTS}/{rb}/proposals", headers=b.headers, json={"to_request_id": ra})
    assert r.status_code == 201 and r.json()["id"] == pid and r.json()["status"] == "matched"
    r = await api.post(f"{REQUESTS}/{ra}/proposals", headers=a.headers, json={"to_request_id": rb})
    assert r.status_code == 409  # a's request is matched (closed to new proposals)
    # c (a group) proposes to nobody twice; the recipient declines, the proposer may withdraw instead.
    rd = await request_id(api, d := await person(), eid)
    p2 = (await api.post(f"{REQUESTS}/{rc}/proposals", headers=c.headers, json={"to_request_id": rd})).json()["id"]
    r = await api.post(f"{REQUESTS}/{rc}/proposals", headers=c.headers, json={"to_request_id": rd})
    assert r.status_code == 409 and r.json()["code"] == "already_proposed"
    r = await api.post(f"{PAIRS}/{p2}/decline", headers=d.headers)
    assert r.status_code == 200 and r.json()["status"] == "declined"
    # Declined: never suggested to each other again.
    assert rd not in [s["request_id"] for s in await suggestions(api, c, rc)]
    re_ = await request_id(api, await person(), eid)
    p3 = (await api.post(f"{REQUESTS}/{rc}/proposals", headers=c.headers, json={"to_request_id": re_})).json()["id"]
    r = await api.post(f"{PAIRS}/{p3}/decline", headers=c.headers)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"


@pytest_asyncio.fixture(loop_scope="session")
async def spy_matched() -> Any:
    """Record ``partner_matched`` calls."""
    from core.hooks import hookimpl
    from core.hooks.manager import current

    calls: list[dict[str, Any]] = []

    class Spy:
        @hookimpl
        def partner_matched(self, event_id: int, user_ids: tuple[int, int], proposal_id: int) -> None:
            calls.append({"event_id": event_id, "user_ids": user_ids, "proposal_id": proposal_id})

    pm = current().pm
    pm.register(Spy(), name="partner_spy")
    yield calls
    pm.unregister(name="partner_spy")


async def test_partner_matched_fires_once(api: Any, person: Any, publish: Any, spy_matched: Any) -> None:
    eid, _ = await publish(capacity=10)
    a, b = await person(), await person()
    pid = await matched_pair(api, a, b, eid)
    assert spy_matched == [{"event_id": eid, "user_ids": (a.id, b.id), "proposal_id": pid}]


async def test_contacts_pass_once_both_revealed(api: Any, person: Any, publish: Any) -> None:
    from plugins.groups.partners.conversation import PAIR

    eid, _ = await publish(capacity=10)
    a, b = await person(), await person()
    pid = await matched_pair(api, a, b, eid)
    assert await PAIR.screen_contacts(str(pid)) is True
    await api.post(f"{PAIRS}/{pid}/reveal", headers=a.headers)
    assert await PAIR.screen_contacts(str(pid)) is True
    await api.post(f"{PAIRS}/{pid}/reveal", headers=b.headers)
    assert await PAIR.screen_contacts(str(pid)) is False
    r = await api.post(f"{PAIRS}/{pid}/messages", headers=b.headers, json={"body": "mail me: b@example.org"})
    assert r.status_code == 201 and r.json()["status"] == "visible" and r.json()["author"]["id"] == b.id
    # Keys the kind cannot parse are refused, not errors.
    for key in ("x", "-1", "99999999999", ""):
        assert await PAIR.may_read(a.id, key) is False
    assert await PAIR.may_moderate(a.id, str(pid)) is False


async def test_going_together_needs_both_free_and_races_once(api: Any, person: Any, publish: Any) -> None:
    import asyncio

    eid, _ = await publish(capacity=10)
    a, b = await person(), await person()
    pid = await matched_pair(api, a, b, eid)
    # One of them already joined alone: the pair cannot join as a pair, and the yes is not kept.
    assert (await api.post(f"/api/v1/events/{eid}/join", headers=a.headers, json={"guests": 0})).status_code == 200
    await api.post(f"{PAIRS}/{pid}/together", headers=a.headers)
    r = await api.post(f"{PAIRS}/{pid}/together", headers=b.headers)
    assert r.status_code == 409 and r.json()["code"] == "already_joined"
    assert (await api.get(f"{PAIRS}/{pid}", headers=b.headers)).json()["i_agreed_to_go"] is False
    assert (await api.post(f"/api/v1/events/{eid}/leave", headers=a.headers)).status_code == 204
    # Both say yes at once: exactly one of the answers joins the pair.
    other = await matched_pair(api, c := await person(), d := await person(), eid)
    results = await asyncio.gather(api.post(f"{PAIRS}/{other}/together", headers=c.headers),
                                   api.post(f"{PAIRS}/{other}/together", headers=d.headers))
    assert [r.status_code for r in results] == [200, 200]
    assert sorted(str(r.json()["participation"]) for r in results) == ["None", "confirmed"]
    rows = await db.fetch("SELECT count(DISTINCT party_id) AS parties, count(*) AS n FROM events.participation "
                          "WHERE event = $1 AND status = 'confirmed' AND \"user\" = ANY($2::int[])", eid, [c.id, d.id])
    assert (rows[0]["parties"], rows[0]["n"]) == (1, 2)


async def test_matching_scores_shared_tags_language_and_distance() -> None:
    from core.users.services import MatchingFacts
    from plugins.groups.partners import matching

    def side(uid: int, kind: str = "looking", lat: float | None = None, lon: float | None = None,
             tags: frozenset[str] = frozenset(), languages: tuple[str, ...] = (),
             wants: dict[str, Any] | None = None) -> matching.Side:
        request = {"kind": kind, "audience": "everyone", "verified_only": False, "languages": [], "age_min": None,
                   "age_max": None} | (wants or {})
        return matching.Side(request, MatchingFacts(uid, (), languages, 1990, lat, lon, True), tags, False)

    berlin = side(1, lat=52.52, lon=13.40, tags=frozenset({"games", "jazz"}), languages=("de", "en-US"))
    near = side(2, lat=52.53, lon=13.41, tags=frozenset({"games"}), languages=("en",))
    far = side(3, lat=48.14, lon=11.58, tags=frozenset({"games"}), languages=("en",))
    assert matching.score(berlin, near) == matching.Match(1, 1, 3 + 2 + 3)
    assert matching.score(berlin, far) == matching.Match(1, 1, 3 + 2)
    assert matching.fits(berlin, side(4, kind="offering")) and not matching.fits(
        side(5, kind="offering"), side(6, kind="offering"))
    assert not matching.fits(berlin, side(7, wants={"age_min": 18, "age_max": 25}))  # born 1990: too old for them
    assert not matching.fits(side(8, wants={"languages": ["fr"]}), berlin)
    assert matching.fits(side(9, wants={"languages": ["en-GB"]}), berlin)  # en-US speaks with en-GB

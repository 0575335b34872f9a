""""For you": interests and history, distance, groups, dismissals and blocks, cold start, freshness, reasons."""

from __future__ import annotations

from typing import Any

from core.users.tables import User
from plugins.events import participation
from plugins.search import recommend, signals
from plugins.search.tables import Signal
from tests.plugins.search.conftest import BERLIN, MOSCOW, indexed


async def test_for_you_ranks_by_taste_and_place_and_says_why(search_api: Any, event: Any, make_venue: Any,
                                                            make_user: Any, auth_headers: Any) -> None:
    api = await search_api()
    me = await make_user()
    await User.update({User.interests: ["board-games"], User.home_lat: BERLIN[0], User.home_lon: BERLIN[1]}).where(
        User.id == me.id)
    berlin, moscow = await make_venue("Berlin", BERLIN), await make_venue("Moscow", MOSCOW, "Europe/Moscow")
    games = await event("Catan evening", venue=berlin, tags=["board-games"])
    far_games = await event("Catan in Moscow", venue=moscow, tags=["board-games"])
    near_other = await event("Yoga in the park", venue=berlin, tags=["sport"])
    # a finished-history signal: I joined a jazz night long ago
    await indexed()
    r = await api.get("/api/v1/search/for-you", headers=await auth_headers(me))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    ids = [i["event"]["id"] for i in items]
    assert ids[0] == games.id and set(ids) >= {far_games.id, near_other.id}
    assert items[0]["reasons"][0] == {"code": "interest", "text": "because you like board games",
                                      "values": {"tag": "board-games"}}
    assert any(x["code"] == "nearby" for x in items[0]["reasons"])
    # the reasons are in the reader's language (the code and values are not)
    r = await api.get("/api/v1/search/for-you", headers={**await auth_headers(me), "Accept-Language": "ru"})
    first = r.json()["items"][0]
    assert first["reasons"][0] == {"code": "interest", "text": "потому что вам нравится board games",
                                   "values": {"tag": "board-games"}}
    assert {x["code"]: x["text"] for x in first["reasons"]}["nearby"].endswith(" км от вас")
    # joined events leave the feed; a dismissed one too; a blocked organiser's all
    await participation.join(me.id, games.id)
    r = await api.post("/api/v1/search/for-you/dismissals", headers=await auth_headers(me),
                       json={"event_id": near_other.id, "organiser": True})
    assert r.status_code == 204
    ids = [i.event.id for i in await recommend.ranked(me.id)]
    assert games.id not in ids and near_other.id not in ids and far_games.id in ids
    assert await Signal.count().where((Signal.user_id == me.id) & (Signal.kind == "joined")) == 1
    r = await api.post("/api/v1/search/for-you/dismissals", headers=await auth_headers(me), json={"event_id": 999999})
    assert r.status_code == 404 and r.json()["code"] == "event_not_found"
    r = await api.post("/api/v1/search/views", headers=await auth_headers(me), json={"event_id": "x"})
    assert r.status_code == 422
    r = await api.post("/api/v1/search/views", headers=await auth_headers(me), json={"event_id": far_games.id})
    assert r.status_code == 204  # a view teaches the taste (its tags, fading with age)
    assert await Signal.count().where((Signal.user_id == me.id) & (Signal.kind == "viewed")) == 1
    assert (await api.get("/api/v1/search/for-you")).status_code == 401


async def test_cold_start_new_events_and_group_members_going(search_api: Any, event: Any, make_venue: Any,
                                                             make_user: Any) -> None:
    await search_api()
    me, friend = await make_user(), await make_user()
    berlin = await make_venue("Berlin", BERLIN)
    popular = await event("Big quiz", venue=berlin, tags=["quiz"], capacity=50)
    for _ in range(3):
        await participation.join((await make_user()).id, popular.id)
    quiet = await event("Small walk", venue=berlin, tags=["walks"])
    await indexed()
    # a new user with no history and no interests: the popular event first
    cold = await recommend.ranked(me.id)
    assert [i.event.id for i in cold][:2] == [popular.id, quiet.id]
    assert cold[0].reasons[0].code == "popular"
    # a member of my group goes to the quiet one: it rises, and says so
    await signals.member(7, me.id, True)
    await signals.member(7, friend.id, True)
    await participation.join(friend.id, quiet.id)
    fresh = await event("Brand new walk", venue=berlin, tags=["walks"])
    await indexed()  # within seconds of publication (the job runs every second)
    ranked = await recommend.ranked(me.id)
    assert ranked[0].event.id == quiet.id
    assert ranked[0].reasons[0].text == "1 member of your group is going"
    assert fresh.id in [i.event.id for i in ranked]


async def test_experiment_variant_picks_the_weights(use_search: Any, make_user: Any) -> None:
    user = await make_user()
    use_search(experiment="for_you_weights", variants={"b": {"interest": 0.0}})
    weights, variant = await recommend.weights_for(user.id)  # no plugin answers: the default weights
    assert variant is None and weights.interest == 3.0


async def test_an_analytics_experiment_picks_the_weights(use_search: Any, make_user: Any) -> None:
    from plugins.analytics import experiments
    from plugins.analytics.schemas import ExperimentCreate, ExperimentUpdate, Variant
    from plugins.analytics.tables import Exposure

    admin_user, user = await make_user(), await make_user()
    await experiments.create(ExperimentCreate(key="for-you-weights", name="For you weights", variants=[
        Variant("control", 0), Variant("social", 1)]), admin_user.id)
    use_search(experiment="for-you-weights", variants={"social": {"social": 9.0}})
    assert (await recommend.weights_for(user.id))[1] is None  # a draft: the default weights
    await experiments.update("for-you-weights", ExperimentUpdate(status="running"), admin_user.id)
    weights, variant = await recommend.weights_for(user.id)
    assert variant == "social" and weights.social == 9.0 and weights.interest == 3.0
    assert await Exposure.count() == 1  # the exposure is recorded for the experiment's results

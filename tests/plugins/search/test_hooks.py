"""Search's hooks: optional ones of groups and reviews load without them; each implementation does its part."""

from __future__ import annotations

from typing import Any

from core.admin import AdminPage, AdminQuery
from core.hooks.manager import PluginsFile, build
from plugins.search import admin, indexer, querylog, services
from plugins.search.schemas import SearchParams
from plugins.search.tables import DirectoryDoc, Membership, Outbox, QueryLog, Synonym
from tests.plugins.search.conftest import indexed


def test_search_loads_without_groups_and_reviews(sbor_database: Any) -> None:
    registry = build(PluginsFile(enabled=["events", "search"]))  # pluggy leaves the optional hooks unchecked
    assert registry.is_enabled("search") and not registry.is_enabled("groups")
    assert registry.pm.hook.member_joined.spec is None  # no spec without groups: search's implementation waits


async def test_groups_hooks_index_public_groups_and_memberships(sbor_database: Any, make_user: Any) -> None:
    from core import hooks
    from plugins.groups import hookspecs as groups_specs
    from plugins.groups.hookspecs import GroupInfo

    owner = await make_user()
    group = GroupInfo(5, "chess", "Chess club", "We play chess", "public", "open", ("chess",), "Berlin", 52.5, 13.4,
                      1, owner.id)
    await hooks.notify(groups_specs.group_created, group=group, actor_id=owner.id)
    await hooks.notify(groups_specs.member_joined, group=group, user_id=owner.id + 1, role="member")
    await indexed()
    assert await DirectoryDoc.count().where(DirectoryDoc.kind == "group") == 1
    assert await Membership.count() == 2
    r = await services.search_directory(services.DirectoryParams(q="chess"))
    assert [(h.kind, h.id, h.title) for h in r.results.items] == [("group", 5, "Chess club")]
    hidden = GroupInfo(5, "chess", "Chess club", "", "private", "open", (), "", None, None, 1, owner.id)
    await hooks.notify(groups_specs.member_left, group=hidden, user_id=owner.id + 1, reason="left")
    await indexed()
    assert await DirectoryDoc.count().where(DirectoryDoc.kind == "group") == 0  # private now: not findable


async def test_a_renamed_group_is_found_by_its_new_name_and_a_deleted_one_not_at_all(sbor_database: Any,
                                                                                    make_user: Any) -> None:
    from core import hooks
    from plugins.groups import hookspecs as groups_specs
    from plugins.groups.hookspecs import GroupInfo

    owner = await make_user()
    group = GroupInfo(6, "go", "Go club", "Weiqi", "public", "open", ("go",), "Berlin", 52.5, 13.4, 1, owner.id)
    await hooks.notify(groups_specs.group_created, group=group, actor_id=owner.id)
    renamed = GroupInfo(6, "go", "Baduk evenings", "Weiqi", "public", "open", ("go",), "Berlin", 52.5, 13.4, 1,
                        owner.id)
    await hooks.notify(groups_specs.group_changed, group=renamed, actor_id=owner.id)
    await indexed()
    r = await services.search_directory(services.DirectoryParams(q="baduk"))
    assert [(h.kind, h.id, h.title) for h in r.results.items] == [("group", 6, "Baduk evenings")]
    await hooks.notify(groups_specs.group_deleted, group=renamed, actor_id=owner.id)
    await indexed()
    assert await DirectoryDoc.count().where(DirectoryDoc.kind == "group") == 0


async def test_venues_and_organisers_come_from_events(sbor_database: Any, event: Any, make_venue: Any) -> None:
    venue = await make_venue("Berlin", name="Kulturhaus Mitte")
    await event("Poetry slam", venue=venue)
    await indexed()
    kinds = {r["kind"] for r in await DirectoryDoc.select(DirectoryDoc.kind)}
    assert kinds == {"venue", "organiser"}
    r = await services.search_directory(services.DirectoryParams(q="kulturhaus", kind="venue"))
    assert [h.title for h in r.results.items] == ["Kulturhaus Mitte"]


async def test_query_log_and_admin_reports(sbor_database: Any, event: Any) -> None:
    await event("Chess night")
    await indexed()
    for q in ("Chess", "chess!", "opera", "opera", "opera"):
        await services.search_events(SearchParams(q=q))
    await services.search_events(SearchParams(q="chess", cursor=None, limit=5))
    await querylog.flush()
    assert await QueryLog.count() == 6 and "user" not in QueryLog._meta.columns[0]._meta.name
    top = await querylog.top(30, no_results=False, limit=10)
    assert top[0] == {"query": "chess", "searches": 3, "results": 1.0}
    assert await querylog.top(30, no_results=True, limit=10) == [{"query": "opera", "searches": 3, "results": 0.0}]
    # the panel's two pages list them (their loaders; the panel renders every page the same way)
    pages = {p.slug: p for p in admin.contributions() if isinstance(p, AdminPage)}
    assert pages["top-queries"].permission == pages["no-results"].permission == "search.manage"
    top_rows = (await pages["top-queries"].load(AdminQuery(filters={}))).items
    assert [r["query"] for r in top_rows] == ["chess", "opera"]
    assert [r["query"] for r in (await pages["no-results"].load(AdminQuery(filters={}))).items] == ["opera"]


async def test_synonyms_are_edited_in_the_admin_panel(sbor_database: Any) -> None:
    import pytest

    from core.errors import ValidationFailed

    saved = await admin.save_synonyms(None, None, {"words": "Квиз, quiz, , quiz"})
    assert (await Synonym.select(Synonym.words).first())["words"] == ["квиз", "quiz"]
    assert await Outbox.count().where(Outbox.kind == "synonyms") == 1
    for bad in ("one", "two words, x", "a:*, b"):
        with pytest.raises(ValidationFailed) as err:
            await admin.save_synonyms(None, saved, {"words": bad})
        assert err.value.code == "invalid_synonyms"
    await indexer.apply()
    assert await Outbox.count() == 0


def test_typesense_is_started_only_when_enabled_without_urls_and_a_cluster_is_a_url_list(
        use_search: Any, monkeypatch: Any) -> None:
    from plugins.search import embedded
    from plugins.search.backends import registry
    from plugins.search.backends.typesense import client_config

    monkeypatch.delenv("SBOR_PLUGINS__SEARCH__TYPESENSE_URLS", raising=False)  # the session's server, set aside
    use_search(backend="typesense")
    assert not embedded.configured()  # `manage.py run` (core.cli) starts the embedded server
    use_search(backend="typesense", typesense_urls="http://10.0.0.1:8108, https://ts2.example.org")
    assert embedded.configured()  # production: the cluster's nodes, nothing started
    nodes = client_config(registry.typesense().settings)["nodes"]
    assert nodes == [{"host": "10.0.0.1", "port": 8108, "protocol": "http"},
                     {"host": "ts2.example.org", "port": 443, "protocol": "https"}]


async def test_a_review_teaches_the_reviewers_taste_and_reindexes_the_organisers_events(sbor_database: Any,
                                                                                      event: Any,
                                                                                      make_user: Any) -> None:
    from core import clock, hooks
    from plugins.reviews import hookspecs as reviews_specs
    from plugins.reviews.hookspecs import ReviewInfo
    from plugins.search import recommend
    from plugins.search.tables import Signal

    reviewer = await make_user()
    chess = await event("Chess evening", tags=["chess"])
    await indexed()

    def review(rating: int) -> ReviewInfo:
        return ReviewInfo(1, chess.id, chess.author_id, None, reviewer.id, rating, "", (), None, "published",
                          clock.now())

    await hooks.notify(reviews_specs.review_published, review=review(5), previous=None)
    (signal,) = await Signal.select(Signal.kind, Signal.strength).where(Signal.user_id == reviewer.id)
    assert signal == {"kind": "reviewed", "strength": 3.0}  # (5 - 2.5) x 1.2: five stars teach as much as a join
    assert await Outbox.count().where((Outbox.kind == "event") & (Outbox.ref_id == chess.id)) >= 1  # rating moves
    assert (await recommend.taste(reviewer.id, clock.now(), 120.0)).terms == {"chess": 1.0}
    await hooks.notify(reviews_specs.review_published, review=review(1), previous=review(5))  # edited to 1 star
    assert (await recommend.taste(reviewer.id, clock.now(), 120.0)).terms == {}  # a dislike is not a taste

"""Admin pages of search: the top queries, the queries that found nothing, the synonyms (edited here), the indexes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.admin import (
    Action,
    ActionContext,
    ActionResult,
    AdminPage,
    AdminQuery,
    Column,
    DashboardWidget,
    Field,
    Form,
    Page,
    Stat,
)
from core.errors import NotFound, ValidationFailed
from core.hooks import plugin_settings
from plugins.search import SearchSettings, indexer, querylog, text
from plugins.search.tables import Synonym

PERMISSION = "search.manage"
QUERY_COLUMNS = [Column("query", "Query"), Column("searches", "Searches", "number"),
                 Column("results", "Results (average)", "number")]


async def _top(query: AdminQuery) -> Page:
    return Page(items=await querylog.top(30, no_results=False, limit=100))


async def _empty(query: AdminQuery) -> Page:
    return Page(items=await querylog.top(30, no_results=True, limit=100))


async def _synonyms(query: AdminQuery) -> Page:
    rows = await Synonym.select(Synonym.id, Synonym.words, Synonym.updated_at).order_by(Synonym.id)
    return Page(items=[{"id": r["id"], "words": ", ".join(r["words"]), "updated_at": r["updated_at"]} for r in rows])


def _id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("No such synonym set.", code="synonym_not_found")
    return int(raw)


async def _load(raw: str) -> Mapping[str, Any] | None:
    row = await Synonym.select(Synonym.words).where(Synonym.id == _id(raw)).first()
    return None if row is None else {"words": ", ".join(row["words"])}


def words_of(value: str) -> list[str]:
    """The words of a synonym set as typed (comma-separated); 422 unless two to twenty single words."""
    words = list(dict.fromkeys(w.strip().lower() for w in value.split(",") if w.strip()))
    bad = [w for w in words if text.tokens(w) != [w]]
    if bad or not 2 <= len(words) <= 20:
        detail = f"not a single word: {bad[0]!r}" if bad else "give two to twenty words, separated by commas"
        raise ValidationFailed(code="invalid_synonyms", errors=[{"pointer": "/words", "detail": detail}])
    return words


async def save_synonyms(ctx: ActionContext | None, raw_id: str | None, values: Mapping[str, Any]) -> str:
    """Create or replace a synonym set; the indexes take it through the outbox."""
    from core import clock, db

    words = words_of(str(values.get("words") or ""))
    async with db.engine().transaction():
        if raw_id is None:
            row = Synonym(words=words, updated_at=clock.now())
            await row.save()
            saved = int(row.id)
        else:
            saved = _id(raw_id)
            updated = await Synonym.update({Synonym.words: words, Synonym.updated_at: clock.now()}).where(
                Synonym.id == saved).returning(Synonym.id)
            if not updated:
                raise NotFound("No such synonym set.", code="synonym_not_found")
        await indexer.enqueue("synonyms", [0])
    from plugins.search.services import forget_synonyms

    forget_synonyms()
    return str(saved)


async def _delete(ctx: ActionContext) -> ActionResult:
    from core import db

    async with db.engine().transaction():
        await Synonym.delete().where(Synonym.id.is_in([_id(i) for i in ctx.ids]))
        await indexer.enqueue("synonyms", [0])
    from plugins.search.services import forget_synonyms

    forget_synonyms()
    return ActionResult(f"Deleted {len(ctx.ids)} synonym set(s).")


async def _widget() -> list[Stat]:
    waiting = await indexer.backlog()
    return [Stat("Backend", plugin_settings(SearchSettings).backend),
            *[Stat(f"Waiting for {t}", n, tone="warn" if n > 1000 else "") for t, n in waiting.items()]]


def contributions() -> list[object]:
    """The pages and the dashboard widget."""
    words = Field("words", "Words (comma-separated)", "text", required=True, max_length=1000,
                  help="Words that mean the same in search, e.g. кино, фильм")
    return [
        AdminPage(plugin="search", slug="top-queries", title="Top searches (30 days)", permission=PERMISSION,
                  columns=QUERY_COLUMNS, load=_top),
        AdminPage(plugin="search", slug="no-results", title="Searches with no results (30 days)",
                  permission=PERMISSION, columns=QUERY_COLUMNS, load=_empty),
        AdminPage(plugin="search", slug="synonyms", title="Search synonyms", permission=PERMISSION,
                  columns=[Column("id", "#"), Column("words", "Words"), Column("updated_at", "Updated", "datetime")],
                  load=_synonyms, form=Form(fields=[words], load=_load, save=save_synonyms),
                  actions=[Action("delete", "Delete", PERMISSION, _delete, bulk=True, danger=True,
                                  confirm="Delete these synonym sets?")]),
        DashboardWidget(plugin="search", name="index", title="Search index", permission=PERMISSION, load=_widget),
    ]

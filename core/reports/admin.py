"""The panel's one report queue (cases grouped by target, with the target type's actions) and the blocklists."""

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
    Filter,
    Form,
    Page,
    Stat,
)
from core.i18n import ngettext
from core.pagination import decode_cursor, paginate
from core.reports import screening, services
from core.reports.registry import reportable_types
from core.reports.tables import BlockedWord, ReportCase

PERMISSION = "reports.moderate"
BLOCKLIST_PERMISSION = "reports.blocklist"
QUEUE_URL = "/admin/p/reports/queue"
NOTE = Field("note", "Note (staff only)", kind="textarea", max_length=2000)


async def load_queue(query: AdminQuery) -> Page:
    """Cases in the chosen status (open first), most reporters first."""
    return await services.queue(query.filters.get("status") or None, query.filters.get("type") or None,
                                query.cursor, query.limit)


async def count_queue(query: AdminQuery) -> int:
    """How many cases the queue's filters match (the total beside its title)."""
    count = ReportCase.count().where(ReportCase.status == (query.filters.get("status") or services.OPEN))
    if query.filters.get("type"):
        count = count.where(ReportCase.target_type == query.filters["type"])
    return int(await count)


async def load_case(case_id: str) -> Mapping[str, Any] | None:
    """One case: the target, its author, every report, and the decision when made (keys of the list's columns)."""
    if not case_id.isdigit() or len(case_id) > 12:
        return None
    row = await services.case(int(case_id))
    return {
        "type_label": row["type_label"], "target": row["target"], "target_page": row["target_url"] or None,
        "author_name": f"{row['author_name']} (#{row['author_id']})" if row["author_id"] else None,
        "status": row["status"], "hidden": row["hidden"], "source": row["source"], "summary": row["summary"] or None,
        "reporters": row["reporters"], "reasons": row["reasons"] or None,
        "reports": "\n".join(f"#{r['reporter_id']} {r['reason']}: {r['text']}" for r in row["reports"]) or None,
        "decision": row["decision"] or None, "decided_by": row["decided_by_name"], "decided_at": row["decided_at"],
        "note": row["note"] or None,
        # what the buttons need (``visible``): the type's actions, and whether it can be hidden or shown again
        "actions": row["actions"], "can_hide": row["can_hide"], "can_unhide": row["can_unhide"],
        "author_id": row["author_id"],
    }


def _decider(decision: str) -> Any:
    async def run(ctx: ActionContext) -> ActionResult:
        for case_id in ctx.ids:
            await services.decide(int(case_id), ctx.staff_id, decision, ctx.values.get("note") or "")
        n = len(ctx.ids)
        return ActionResult(ngettext("%(num)d case decided.", "%(num)d cases decided.", n) % {"num": n})

    return run


def _open(row: Mapping[str, Any]) -> bool:
    return row.get("status") == services.OPEN


def _offers(name: str) -> Any:
    return lambda row: _open(row) and name in (row.get("actions") or [])


def _type_actions() -> list[Action]:
    """One button per action name any type declares; each case runs its own type's action of that name."""
    seen: dict[str, Action] = {}
    for kind in reportable_types().values():
        for action in kind.actions:
            if action.name not in seen:
                seen[action.name] = Action(action.name, action.label, PERMISSION, _decider(action.name),
                                           fields=[NOTE], danger=action.danger,
                                           confirm="Apply this to the reported content?", visible=_offers(action.name))
    return list(seen.values())


def queue_page() -> AdminPage:
    """The one report queue."""
    types = sorted(reportable_types())
    return AdminPage(
        plugin="reports", slug="queue", title="Reports", permission=PERMISSION, section="Moderation", total=count_queue,
        columns=[Column("id", "#"), Column("type_label", "Type", "badge"),
                 Column("target", "Reported", link="{target_url}"),
                 Column("author_name", "Author", link="/admin/users/{author_id}"),
                 Column("reporters", "Reporters", "number"), Column("reasons", "Reasons"),
                 Column("texts", "Latest texts"), Column("summary", "Screening"),
                 Column("hidden", "Hidden", "badge"), Column("status", "Status", "badge"),
                 Column("last_report_at", "Last report", "datetime")],
        filters=[Filter("status", "Status", choices=list(services.STATUSES)), Filter("type", "Type", choices=types)],
        load=load_queue, detail=load_case,
        actions=[
            Action("dismiss", "Dismiss", PERMISSION, _decider("dismiss"), bulk=True, fields=[NOTE],
                   confirm="Dismiss these reports (hidden content is shown again)?", visible=_open),
            Action("uphold", "Uphold", PERMISSION, _decider("uphold"), bulk=True, fields=[NOTE],
                   confirm="Uphold these reports?", visible=_open),
            Action("hide", "Hide", PERMISSION, _decider("hide"), fields=[NOTE],
                   visible=lambda row: _open(row) and bool(row.get("can_hide")) and not row.get("hidden")),
            Action("unhide", "Show again", PERMISSION, _decider("unhide"),
                   visible=lambda row: _open(row) and bool(row.get("can_unhide")) and bool(row.get("hidden"))),
            *_type_actions(),
            Action("warn_author", "Warn the author", PERMISSION, _decider("warn_author"),
                   fields=[Field("note", "Warning (the author reads it)", kind="textarea", required=True,
                                 max_length=2000)],
                   visible=lambda row: _open(row) and bool(row.get("author_id"))),
            Action("ban_author", "Ban the author", "users.ban", _decider("ban_author"),
                   fields=[Field("note", "Reason for the ban", kind="textarea", required=True, max_length=2000)],
                   danger=True, confirm="Ban the author of this content?",
                   visible=lambda row: _open(row) and bool(row.get("author_id"))),
        ],
    )


# ---------------------------------------------------------------------------------------------------------------------
# Blocklists
# ---------------------------------------------------------------------------------------------------------------------

LANGUAGE_CHOICES = [(code, code) for code in screening.LANGUAGES]
WORD_FIELDS = [Field("language", "Language", kind="choice", choices=LANGUAGE_CHOICES, required=True, default="ru"),
               Field("word", "Word or phrase", required=True, max_length=100,
                     help="Every form of it is blocked: write one form (мошенник also blocks мошенники).")]
WORDS_SCOPE = "reports.blocklist"


async def load_words(query: AdminQuery) -> Page:
    """The blocked words, by language then word."""
    where = []
    if query.filters.get("language"):
        where.append(BlockedWord.language == query.filters["language"])
    if query.search:
        where.append(BlockedWord.word.ilike(f"%{query.search}%"))
    if query.cursor:
        where.append(BlockedWord.id > decode_cursor(query.cursor, int, scope=WORDS_SCOPE)[0])
    rows = await BlockedWord.select(BlockedWord.id, BlockedWord.language, BlockedWord.word, BlockedWord.stems,
                                    BlockedWord.created_at).where(*where).order_by(BlockedWord.id).limit(
        query.limit + 1)
    items, nxt = paginate([dict(r) for r in rows], query.limit, key=lambda r: (r["id"],), scope=WORDS_SCOPE)
    return Page(items=items, next_cursor=nxt)


async def load_word(word_id: str) -> Mapping[str, Any] | None:
    """One entry for the edit form."""
    if not word_id.isdigit():
        return None
    row = await BlockedWord.select(BlockedWord.language, BlockedWord.word).where(BlockedWord.id == int(word_id)).first()
    return None if row is None else dict(row)


async def save_word(ctx: ActionContext, word_id: str | None, values: Mapping[str, Any]) -> str:
    """Add or change an entry."""
    if word_id is None:
        return str(await screening.block(values["language"], values["word"], ctx.staff_id))
    await screening.change(int(word_id), values["language"], values["word"], ctx.staff_id)
    return word_id


async def delete_words(ctx: ActionContext) -> ActionResult:
    """Remove the selected entries."""
    for word_id in ctx.ids:
        await screening.unblock(int(word_id), ctx.staff_id)
    return ActionResult(f"Removed {len(ctx.ids)} word(s).")


def blocklist_page() -> AdminPage:
    """Staff's blocklists (Russian, English…), matched in every word form."""
    return AdminPage(
        plugin="reports", slug="blocklist", title="Blocklist", permission=BLOCKLIST_PERMISSION, section="Moderation",
        columns=[Column("id", "#"), Column("language", "Language", "badge"), Column("word", "Word or phrase"),
                 Column("stems", "Matched as"), Column("created_at", "Added", "datetime")],
        filters=[Filter("language", "Language", choices=list(screening.LANGUAGES))], searchable=True,
        load=load_words, form=Form(fields=WORD_FIELDS, load=load_word, save=save_word),
        actions=[Action("delete", "Remove", BLOCKLIST_PERMISSION, delete_words, bulk=True,
                        confirm="Remove these words from the blocklist?")],
    )


async def widget() -> list[Stat]:
    """Open report cases."""
    count = await services.open_count()
    return [Stat("Open reports", count, QUEUE_URL, "warn" if count else "")]


def contributions() -> list[object]:
    """The report queue, the blocklists and the dashboard figure."""
    return [queue_page(), blocklist_page(),
            DashboardWidget(plugin="reports", name="open", title="Reports", permission=PERMISSION, load=widget)]

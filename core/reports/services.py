"""Reports: filing one (a case per target), the reporters' threshold, staff's decisions, and what people filed.

A target's open reports form one *case* (``ReportCase``): the queue shows cases, not single reports. The
``hide_after`` distinct reporters (per type: ``hide_after_by_type``) hide the target through its type's ``hide``
until staff decide; a dismissal shows it again (``unhide``). Deciding records who, what and when; ``upheld`` and
``dismissed`` stay, so :func:`upheld_against` can count what was upheld against an author.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Any

from core import audit, clock, notifications, ratelimit
from core.errors import Conflict, NotFound, ValidationFailed
from core.hooks import plugin_settings
from core.i18n import gettext
from core.notifications import Notice
from core.pagination import Page, decode_cursor, paginate
from core.reports import ReportsSettings, sql
from core.reports.registry import reportable, reportable_types
from core.reports.tables import Report, ReportCase
from core.reports.types import REASONS, ReportableType

log = logging.getLogger("core.reports")

OPEN, UPHELD, DISMISSED = "open", "upheld", "dismissed"
STATUSES = (OPEN, UPHELD, DISMISSED)
PEOPLE, SCREENING = "reports", "screening"
WARNING = "reports.warning"
"""The notification kind of a moderator's warning to an author (templates in ``templates/reports/notifications``)."""
MINE_SCOPE, QUEUE_SCOPE = "reports.mine", "reports.queue"
MAX_TEXT = 2000
REPORT_COLUMNS = (Report.id, Report.target_type, Report.target_id, Report.reason, Report.text, Report.created_at,
                  Report.case.status.as_alias("status"), Report.case.decided_at.as_alias("decided_at"))


def threshold(target_type: str) -> int:
    """Distinct reporters who hide a target of this type (0: never)."""
    settings = plugin_settings(ReportsSettings)
    return settings.hide_after_by_type.get(target_type, settings.hide_after)


def _transaction() -> Any:
    return ReportCase._meta.db.transaction()


async def _lock(target_type: str, target_id: int) -> None:
    await ReportCase.raw(sql.LOCK_TARGET, f"{target_type}:{target_id}")


async def _open_case(kind: ReportableType, target_id: int, source: str) -> dict[str, Any]:
    """The target's open case, opened now when there is none (the caller holds the target's lock)."""
    row = await ReportCase.select().where(ReportCase.target_type == kind.name, ReportCase.target_id == target_id,
                                          ReportCase.status == OPEN).first()
    if row is not None:
        return dict(row)
    now = clock.now()
    rows = await ReportCase.insert(ReportCase(
        target_type=kind.name, target_id=target_id, author=await kind.author_of(target_id), status=OPEN,
        source=source, opened_at=now, last_report_at=now)).returning(*ReportCase.all_columns())
    return dict(rows[0])


def _check(reason: str, text: str) -> str:
    if reason not in REASONS:
        raise ValidationFailed("Unknown reason", code="invalid_reason",
                               errors=[{"pointer": "/reason", "detail": "one of: " + ", ".join(REASONS)}])
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed("The text is too long", code="text_too_long",
                               errors=[{"pointer": "/text", "detail": "at most 2000 characters"}])
    return text


async def file(reporter_id: int, target_type: str, target_id: int, reason: str, text: str = "") -> tuple[dict[str, Any],
                                                                                                       bool]:
    """Report a target the reporter can see; return (the report, whether it is new).

    422 ``unknown_target_type``/``invalid_reason``; 404 ``target_not_found`` when the reporter cannot see it (as the
    target's own API answers); 409 ``own_content`` for one's own; 429 past ``reports_per_hour``. A second report of
    the same target while its case is open returns the first one (not new).
    """
    kind = reportable(target_type)
    text = _check(reason, text)
    await ratelimit.hit("reports", str(reporter_id), limit=plugin_settings(ReportsSettings).reports_per_hour,
                        window_s=3600)
    if not 0 < target_id <= 2_147_483_647 or not await kind.exists(target_id, reporter_id):
        raise NotFound("No such thing to report", code="target_not_found")
    if await kind.author_of(target_id) == reporter_id:
        raise Conflict("You cannot report your own content", code="own_content")
    async with _transaction():
        await _lock(kind.name, target_id)
        case = await _open_case(kind, target_id, PEOPLE)
        existing = await Report.select(*REPORT_COLUMNS).where(Report.case == case["id"],
                                                                 Report.reporter == reporter_id).first()
        if existing is not None:
            return dict(existing), False
        now = clock.now()
        rows = await Report.insert(Report(case=case["id"], reporter=reporter_id, target_type=kind.name,
                                          target_id=target_id, reason=reason, text=text,
                                          created_at=now)).returning(Report.id)
        reporters = await Report.count().where(Report.case == case["id"])
        hide = (not case["hidden"] and kind.hide is not None and 0 < threshold(kind.name) <= reporters)
        await ReportCase.update({ReportCase.reporters: reporters, ReportCase.last_report_at: now,
                                 ReportCase.hidden: case["hidden"] or hide}).where(ReportCase.id == case["id"])
        if hide and kind.hide is not None:
            await kind.hide(target_id, "reported by several people")
            log.info("%s %s hidden after %s reports", kind.name, target_id, reporters)
        report = await Report.select(*REPORT_COLUMNS).where(Report.id == rows[0]["id"]).first()
    log.info("user %s reported %s %s (%s)", reporter_id, kind.name, target_id, reason)
    assert report is not None
    return dict(report), True


async def flag(target_type: str, target_id: int, summary: str) -> int:
    """Put a target the caller already held (screening matched its text) before staff; return the case id.

    Called inside the caller's transaction by a plugin whose text screening held something back; the case is
    ``hidden`` (a dismissal calls the type's ``unhide`` to publish it).
    """
    kind = reportable(target_type)
    async with _transaction():
        await _lock(kind.name, target_id)
        case = await _open_case(kind, target_id, SCREENING)
        await ReportCase.update({ReportCase.hidden: True, ReportCase.summary: summary[:300],
                                 ReportCase.last_report_at: clock.now()}).where(ReportCase.id == case["id"])
    log.info("%s %s held for review: %s", kind.name, target_id, summary)
    return int(case["id"])


async def mine(user_id: int, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
    """The reports ``user_id`` filed, newest first, with their case's status (``open``, ``upheld``, ``dismissed``)."""
    query = Report.select(*REPORT_COLUMNS).where(Report.reporter == user_id)
    if cursor:
        query = query.where(Report.id < decode_cursor(cursor, int, scope=MINE_SCOPE)[0])
    rows = await query.order_by(Report.id, ascending=False).limit(limit + 1)
    items, nxt = paginate([dict(r) for r in rows], limit, key=lambda r: (r["id"],), scope=MINE_SCOPE)
    return Page(items=items, next_cursor=nxt)


async def upheld_against(author_id: int) -> int:
    """How many cases against ``author_id``'s content staff upheld (for trust levels)."""
    return int(await ReportCase.count().where(ReportCase.author == author_id, ReportCase.status == UPHELD))


async def last_upheld_at(author_id: int, target_type: str | None = None) -> datetime | None:
    """When staff last upheld a case against ``author_id``'s content (of ``target_type``), or None (trust levels)."""
    query = ReportCase.select(ReportCase.decided_at).where(ReportCase.author == author_id,
                                                           ReportCase.status == UPHELD)
    if target_type is not None:
        query = query.where(ReportCase.target_type == target_type)
    row = await query.order_by(ReportCase.decided_at, ascending=False).first()
    return None if row is None else row["decided_at"]


async def open_case_of(target_type: str, target_id: int) -> dict[str, Any] | None:
    """The target's open case, if any."""
    row = await ReportCase.select().where(ReportCase.target_type == target_type, ReportCase.target_id == target_id,
                                          ReportCase.status == OPEN).first()
    return None if row is None else dict(row)


async def target_decided(target_type: str, target_id: int, actor_id: int | None, *, upheld: bool,
                         decision: str, hidden_only: bool = False) -> None:
    """The target was decided elsewhere (its plugin's own queue, its author): its open case closes the same way.

    ``upheld`` when it was taken down (``decision`` ``removed``, ``rejected``…), else dismissed (``kept``);
    ``hidden_only``: only a case that hid the target (a moderator published again what reports held). Call it in
    the plugin's transaction; a case already closed is left alone.
    """
    query = ReportCase.update({
        ReportCase.status: UPHELD if upheld else DISMISSED, ReportCase.decision: decision[:32],
        ReportCase.decided_by: actor_id, ReportCase.decided_at: clock.now(),
    }).where(ReportCase.target_type == target_type, ReportCase.target_id == target_id, ReportCase.status == OPEN)
    if hidden_only:
        query = query.where(ReportCase.hidden == True)  # noqa: E712  (SQL, not Python)
    done = await query.returning(ReportCase.id)
    if done:
        log.info("%s %s %s by %s: case %s closed", target_type, target_id, decision, actor_id, done[0]["id"])


async def target_removed(target_type: str, target_id: int, actor_id: int | None) -> None:
    """The target is gone (its author or a moderator elsewhere removed it): its open case closes as upheld."""
    await target_decided(target_type, target_id, actor_id, upheld=True, decision="removed")


async def export_user(user_id: int) -> list[dict[str, Any]]:
    """The reports ``user_id`` filed, for their data export (ISO strings for moments)."""
    rows = await Report.select(*REPORT_COLUMNS).where(Report.reporter == user_id).order_by(Report.id)
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]


async def erase_user(user_id: int) -> None:
    """A deleted account's report texts go (the reports stay, for the cases they belong to)."""
    await Report.update({Report.text: ""}).where(Report.reporter == user_id)


async def support_context(user_id: int, permissions: frozenset[str], recent: int = 5) -> dict[str, Any]:
    """Beside a support ticket: the reports the user made and those against their content (counts, latest few).

    Every agent sees counts, types, reasons and outcomes (never the texts); links into the queue only for those who
    may decide reports (``reports.moderate``).
    """
    from core.users import services as users

    linked = users.allows(permissions, "reports.moderate")
    made = await Report.count().where(Report.reporter == user_id)
    made_open = await Report.count().where(Report.reporter == user_id, Report.case.status == OPEN)
    received = await ReportCase.count().where(ReportCase.author == user_id)
    received_open = await ReportCase.count().where(ReportCase.author == user_id, ReportCase.status == OPEN)
    upheld = await upheld_against(user_id)
    rows: list[dict[str, Any]] = [
        {"label": "Reports made", "value": f"{made} ({made_open} open)"},
        {"label": "Reported content", "value": f"{received} ({received_open} open, {upheld} upheld)",
         **({"url": "/admin/p/reports/queue"} if linked and received_open else {})},
    ]
    latest = await ReportCase.select(ReportCase.id, ReportCase.target_type, ReportCase.status, ReportCase.reporters,
                                     ReportCase.opened_at).where(ReportCase.author == user_id).order_by(
        ReportCase.id, ascending=False).limit(recent)
    rows += [{"label": f"{r['target_type']} {r['status']} {r['opened_at']:%Y-%m-%d}",
              "value": f"{r['reporters']} reporter(s)",
              **({"url": f"/admin/p/reports/queue/o/{r['id']}"} if linked else {})} for r in latest]
    return {"title": "Reports", "rows": rows}


# ---------------------------------------------------------------------------------------------------------------------
# Staff: the queue and decisions
# ---------------------------------------------------------------------------------------------------------------------


CASE_COLUMNS = (ReportCase.id, ReportCase.target_type, ReportCase.target_id, ReportCase.author.as_alias("author_id"),
                ReportCase.author.display_name.as_alias("author_name"), ReportCase.status, ReportCase.source,
                ReportCase.reporters, ReportCase.hidden, ReportCase.summary, ReportCase.opened_at,
                ReportCase.last_report_at, ReportCase.decision, ReportCase.note,
                ReportCase.decided_by.as_alias("decided_by_id"),
                ReportCase.decided_by.display_name.as_alias("decided_by_name"), ReportCase.decided_at)


async def _enrich(rows: list[dict[str, Any]], texts: int = 3) -> list[dict[str, Any]]:
    """Add each case's reasons, latest texts, the type's label, summary, admin link and actions."""
    types = reportable_types()
    ids = [r["id"] for r in rows]
    reports = await Report.select(Report.case, Report.reason, Report.text, Report.created_at,
                                  Report.reporter.as_alias("reporter_id")).where(
        Report.case.is_in(ids)).order_by(Report.id, ascending=False) if ids else []
    out = []
    for row in rows:
        mine_ = [r for r in reports if r["case"] == row["id"]]
        kind = types.get(row["target_type"])
        reasons = Counter(r["reason"] for r in mine_)
        row = {**row, "key": str(row["id"]),
               "reasons": ", ".join(f"{k} x{n}" if n > 1 else k for k, n in reasons.most_common()),
               "texts": " | ".join(r["text"] for r in mine_ if r["text"])[:600] if texts else "",
               "latest_texts": [r["text"] for r in mine_ if r["text"]][:texts],
               "reports": mine_,
               "type_label": gettext(kind.label) if kind else row["target_type"],
               "target": f"{row['target_type']} #{row['target_id']}",
               "target_url": (kind.admin_url(row["target_id"]) if kind and kind.admin_url else None) or "",
               "actions": [a.name for a in kind.actions] if kind else [],
               "can_hide": bool(kind and kind.hide), "can_unhide": bool(kind and kind.unhide)}
        if kind and kind.describe is not None:
            try:
                row["target"] = (await kind.describe(row["target_id"]))[:200] or row["target"]
            except NotFound:
                row["target"] += " (gone)"
        out.append(row)
    return out


async def queue(status: str | None = None, target_type: str | None = None, cursor: str | None = None,
                limit: int = 25) -> Page[dict[str, Any]]:
    """Cases for the panel (open ones by default), most reporters first, then oldest first."""
    query = ReportCase.select(*CASE_COLUMNS).where(ReportCase.status == (status or OPEN))
    if target_type:
        query = query.where(ReportCase.target_type == target_type)
    if cursor:
        reporters, case_id = decode_cursor(cursor, int, int, scope=QUEUE_SCOPE)
        query = query.where((ReportCase.reporters < reporters)
                            | ((ReportCase.reporters == reporters) & (ReportCase.id > case_id)))
    rows = await query.order_by(ReportCase.reporters, ascending=False).order_by(ReportCase.id).limit(limit + 1)
    items, nxt = paginate([dict(r) for r in rows], limit, key=lambda r: (r["reporters"], r["id"]), scope=QUEUE_SCOPE)
    return Page(items=await _enrich(items), next_cursor=nxt)


async def case(case_id: int) -> dict[str, Any]:
    """One case with every report in it (404 ``report_case_not_found``)."""
    row = await ReportCase.select(*CASE_COLUMNS).where(ReportCase.id == case_id).first()
    if row is None:
        raise NotFound("No such report case", code="report_case_not_found")
    return (await _enrich([dict(row)], texts=100))[0]


async def open_count(target_type: str | None = None, hidden: bool | None = None) -> int:
    """Open cases (the dashboard's figure), of one type and hidden or not when asked."""
    query = ReportCase.count().where(ReportCase.status == OPEN)
    if target_type is not None:
        query = query.where(ReportCase.target_type == target_type)
    if hidden is not None:
        query = query.where(ReportCase.hidden == hidden)
    return int(await query)


async def open_reporters(target_type: str, target_ids: list[int]) -> dict[int, int]:
    """How many people reported each target in its open case (targets without one are left out)."""
    if not target_ids:
        return {}
    rows = await ReportCase.select(ReportCase.target_id, ReportCase.reporters).where(
        ReportCase.target_type == target_type, ReportCase.target_id.is_in(target_ids), ReportCase.status == OPEN)
    return {r["target_id"]: r["reporters"] for r in rows}


async def open_reports_of(target_type: str, target_id: int) -> list[dict[str, Any]]:
    """The reports in the target's open case, oldest first (reporter, reason, text, when)."""
    return [dict(r) for r in await Report.select(
        Report.reporter.as_alias("reporter_id"), Report.reason, Report.text, Report.created_at).where(
        Report.target_type == target_type, Report.target_id == target_id, Report.case.status == OPEN).order_by(
        Report.id)]


async def _close(row: dict[str, Any], staff_id: int, status: str, decision: str, note: str) -> None:
    done = await ReportCase.update({
        ReportCase.status: status, ReportCase.decision: decision, ReportCase.note: note.strip()[:2000],
        ReportCase.decided_by: staff_id, ReportCase.decided_at: clock.now(),
    }).where(ReportCase.id == row["id"], ReportCase.status == OPEN).returning(ReportCase.id)
    if not done:
        raise await _decided(row["id"])


async def _decided(case_id: int) -> Conflict:
    row = await case(case_id)
    return Conflict("This case was already decided (%(decision)s by %(decided_by)s)", code="report_decided",
                    decision=row["decision"], decided_by=row["decided_by_name"] or row["decided_by_id"],
                    decided_at=row["decided_at"].isoformat() if row["decided_at"] else None)


async def decide(case_id: int, staff_id: int, decision: str, note: str = "") -> dict[str, Any]:
    """Decide an open case, or hide or show its target while it stays open.

    ``dismiss`` (shows a hidden target again), ``uphold``, ``warn_author`` (a notification with ``note``),
    ``ban_author``, a type's action, or ``hide``/``unhide``
    (which leave the case open). 409 ``report_decided`` when someone decided first (it says who and what); 409
    ``action_not_offered`` when the type offers no such action.
    """
    async with _transaction():
        row = await case(case_id)
        await _lock(row["target_type"], row["target_id"])
        row = await case(case_id)  # as it is under the lock
        if row["status"] != OPEN:
            raise await _decided(case_id)
        kind = reportable_types().get(row["target_type"])
        target_id = row["target_id"]
        if decision == "dismiss":
            await _close(row, staff_id, DISMISSED, decision, note)
            if row["hidden"] and kind and kind.unhide:
                await kind.unhide(target_id, staff_id)
        elif decision == "uphold":
            await _close(row, staff_id, UPHELD, decision, note)
        elif decision == "warn_author":
            if row["author_id"] is None:
                raise Conflict("Nobody to warn: the content has no author", code="action_not_offered")
            if not note.strip():
                raise ValidationFailed("Write the warning the author will read", code="note_required",
                                       errors=[{"pointer": "/note", "detail": "required"}])
            await _close(row, staff_id, UPHELD, decision, note)
            await notifications.send(Notice(WARNING, user_ids=(row["author_id"],), subject=f"reports.case:{case_id}",
                                            context={"note": note.strip(), "target": row["target"],
                                                     "target_type": row["target_type"]}))
        elif decision == "ban_author":
            if row["author_id"] is None:
                raise Conflict("Nobody to ban: the content has no author", code="action_not_offered")
            from core.users.lifecycle import ban_user

            await _close(row, staff_id, UPHELD, decision, note)
            await ban_user(row["author_id"], note.strip() or "reports upheld", staff_id)
        elif decision in ("hide", "unhide"):
            callback = (kind.hide if decision == "hide" else kind.unhide) if kind else None
            if callback is None or row["hidden"] == (decision == "hide"):
                raise Conflict("This action is not offered here", code="action_not_offered")
            if decision == "hide" and kind and kind.hide:
                await kind.hide(target_id, note.strip() or "hidden by a moderator")
            elif kind and kind.unhide:
                await kind.unhide(target_id, staff_id)
            await ReportCase.update({ReportCase.hidden: decision == "hide"}).where(ReportCase.id == case_id)
        else:
            action = kind.action(decision) if kind else None
            if action is None:
                raise Conflict("This action is not offered here", code="action_not_offered")
            if action.decides:
                await _close(row, staff_id, UPHELD, decision, note)
            await action.run(target_id, staff_id, note.strip())
        await audit.record(staff_id, f"report.{decision}"[:64], "report_case", case_id, reason=note.strip(),
                           before={"status": row["status"], "hidden": row["hidden"]},
                           after={"target": f"{row['target_type']} {target_id}", "decision": decision})
    log.info("staff %s decided report case %s (%s %s): %s", staff_id, case_id, row["target_type"], target_id,
             decision)
    return await case(case_id)

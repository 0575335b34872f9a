"""What the admin panel's user page shows of reports: the reports a user made, and the cases against their content."""

from __future__ import annotations

from typing import Any

from core.i18n import N_
from core.reports.tables import Report, ReportCase

SHOWN = 10
CASE_PAGE = "/admin/p/reports/queue/o/{id}"


async def sections(user_id: int, permissions: frozenset[str]) -> list[dict[str, Any]]:
    """Reports made (target, reason, the case's outcome) and received (cases against their content, with outcomes).

    Texts stay out (the queue shows them); links into the queue only for staff who decide reports.
    """
    from core.users import services as users

    linked = users.allows(permissions, "reports.moderate")
    made = await Report.select(Report.id, Report.target_type, Report.target_id, Report.reason, Report.created_at,
                               Report.case.id.as_alias("case_id"), Report.case.status.as_alias("status")).where(
        Report.reporter == user_id).order_by(Report.id, ascending=False).limit(SHOWN)
    received = await ReportCase.select(ReportCase.id, ReportCase.target_type, ReportCase.target_id,
                                       ReportCase.status, ReportCase.reporters, ReportCase.decision,
                                       ReportCase.opened_at).where(ReportCase.author == user_id).order_by(
        ReportCase.id, ascending=False).limit(SHOWN)

    def link(case_id: int) -> dict[str, str]:
        return {"url": CASE_PAGE.format(id=case_id)} if linked else {}

    return [
        {"title": N_("Reports made"), "total": await Report.count().where(Report.reporter == user_id), "rows": [
            {"label": f"{r['target_type']} {r['target_id']} · {r['created_at']:%Y-%m-%d}",
             "value": f"{r['reason']} · {r['status']}", **link(r["case_id"])} for r in made]},
        {"title": N_("Reports received"), "total": await ReportCase.count().where(ReportCase.author == user_id),
         "rows": [{"label": f"{c['target_type']} {c['target_id']} · {c['opened_at']:%Y-%m-%d}",
                   "value": f"{c['status']}{' (' + c['decision'] + ')' if c['decision'] else ''} · "
                            f"{c['reporters']} reporter(s)", **link(c["id"])} for c in received]},
    ]

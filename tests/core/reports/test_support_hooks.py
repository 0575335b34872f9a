"""reports answers support's hooks (optional: reports does not depend on support): a ticket about one's own report."""

from __future__ import annotations

from typing import Any

from core.hooks.manager import PluginsFile, build
from core.reports import plugin

TICKETS = "/api/v1/support/tickets"


async def test_a_ticket_points_at_ones_own_report_only(make_client: Any, make_user: Any, auth_headers: Any) -> None:
    api = await make_client(["support"])
    reporter, target, stranger = await make_user(), await make_user(), await make_user()
    me = await auth_headers(reporter)
    filed = await api.post("/api/v1/reports", headers=me,
                           json={"target_type": "users.user", "target_id": target.id, "reason": "scam"})
    assert filed.status_code == 201, filed.text
    report_id = filed.json()["id"]

    def body(ref: str) -> dict[str, Any]:
        return {"category": "safety", "subject": "Nobody answered my report", "body": "Still scamming people",
                "about": {"type": "reports.report", "id": ref}}

    r = await api.post(TICKETS, headers=me, json=body(str(report_id)))
    assert r.status_code == 201, r.text
    assert r.json()["about"]["label"] == f"Report #{report_id}: users.user {target.id} (scam)"
    for who, ref in ((stranger, str(report_id)), (reporter, "999999999"), (reporter, "nope"), (reporter, "1" * 13)):
        r = await api.post(TICKETS, headers=await auth_headers(who), json=body(ref))
        assert r.status_code == 404 and r.json()["code"] == "subject_not_found", (ref, r.text)
    assert await plugin.ticket_subject_from_plugin(subject_type="events.event", subject_id=str(report_id),
                                                   user_id=reporter.id) is None  # not reports' type


async def test_the_ticket_subject_hook_needs_no_support(make_app: Any) -> None:
    make_app([])  # the optional hook needs no spec
    caller = build(PluginsFile(enabled=[])).pm.hook.ticket_subject_from_plugin
    assert "reports" in [i.plugin_name for i in caller.get_hookimpls()] and caller.spec is None

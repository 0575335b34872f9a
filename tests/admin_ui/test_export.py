"""CSV export of the panel's lists: filters kept, every page read by keyset, capped, permission-checked, safe."""

from __future__ import annotations

import csv
import io

import pytest

from admin_ui import audit
from admin_ui.pages import export
from core.users.tables import User


def rows_of(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode()), "no byte order mark: Excel would misread Russian text"
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))


def test_cells_that_a_spreadsheet_would_run_are_quoted() -> None:
    assert [export.cell(v) for v in ("=1+1", "+7 900", "-2", "@SUM(A1)", "\tx", "\rx", "safe", "a=b")] == [
        "'=1+1", "'+7 900", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "safe", "a=b"]
    assert export.cell(-2) == -2 and export.cell(None) == "" and export.cell(True) == "true"
    assert export.cell({"b": 1, "a": "=x"}) == '{"a": "=x", "b": 1}'  # JSON starts with "{": harmless


async def test_users_export_keeps_the_search_reads_every_page_and_is_excel_ready(admin_client, make_user,
                                                                                monkeypatch) -> None:
    client = await admin_client(roles=["admin"])
    for n in range(5):
        await make_user(display_name=f"Мария {n}", email=f"maria{n}@example.org")
    evil = await make_user(display_name="=HYPERLINK(\"http://x\")", email="maria-evil@example.org")
    await make_user(display_name="Someone else", email="other@example.org")
    monkeypatch.setattr(export, "BATCH", 2)  # four pages of two: the keyset cursor is followed to the end
    r = await client.get("/admin/export/users", params={"q": "maria", "cursor": "ignored"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="users-')
    rows = rows_of(r.content)
    assert rows[0] == ["#", "Name", "Email", "Phone", "Status", "Joined"]
    assert sorted(r[1] for r in rows[1:]) == ['\'=HYPERLINK("http://x")', *(f"Мария {n}" for n in range(5))]
    assert str(evil.id) in [r[0] for r in rows[1:]]
    logged = (await audit.entries({"action": "admin.export"}, None, 5)).items
    assert logged and logged[0]["actor_id"] == client.user.id and logged[0]["object_id"] == "/admin/export/users"


async def test_the_export_stops_at_the_setting_and_says_so(admin_client, make_user, monkeypatch) -> None:
    client = await admin_client(roles=["admin"], settings={"admin": {"export_max_rows": 3}})
    for n in range(4):
        await make_user(display_name=f"Capped {n}")
    monkeypatch.setattr(export, "BATCH", 2)
    rows = rows_of((await client.get("/admin/export/users", params={"q": "Capped"})).content)
    assert len(rows) == 1 + 3 + 1 and rows[-1] == ["The export stops at 3 rows: narrow the filters."]


async def test_audit_export_keeps_the_filters_and_needs_the_permission(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    await audit.record(client.user.id, "user.ban", "user", 7, before={"status": "active"}, reason="spam")
    await audit.record(client.user.id, "user.unban", "user", 7)
    rows = rows_of((await client.get("/admin/export/audit", params={"action": "user.ban"})).content)
    assert [r[3] for r in rows[1:]] == ["user.ban"]
    assert rows[1][6] == '{"status": "active"}' and rows[1][8] == "spam"
    support = await admin_client(roles=["support"])
    r = await support.get("/admin/export/audit")
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")


async def test_a_plugin_page_exports_its_columns_through_its_loader(admin_client) -> None:
    from plugins.analytics import rice
    from plugins.analytics.schemas import IdeaCreate

    client = await admin_client(roles=["admin"], plugins=["events", "analytics"])
    for title, status in (("Dark mode", "open"), ("-1 bug", "open"), ("Old idea", "done")):
        await rice.create_idea(IdeaCreate(title=title, reach=100, impact=1, confidence=80, effort=1, status=status),
                               client.user.id)
    page = await client.get("/admin/p/analytics/ideas", params={"status": "open"})
    assert 'href="/admin/export/p/analytics/ideas?status=open"' in page.text  # the link keeps the filters
    rows = rows_of((await client.get("/admin/export/p/analytics/ideas", params={"status": "open"})).content)
    assert rows[0] == ["Idea", "Reach", "Impact", "Confidence %", "Effort", "Score", "Status"]
    assert sorted(r[0] for r in rows[1:]) == ["'-1 bug", "Dark mode"]
    r = await client.get("/admin/export/p/analytics/nope")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")


async def test_a_moderation_queue_exports_with_its_filters(admin_client, make_user) -> None:
    from tests.admin_ui.conftest import pending_event

    client = await admin_client(roles=["admin"], plugins=["events"])
    author = await make_user(roles=["organiser"])
    await pending_event(author.id, "Board games night")
    await pending_event(author.id, "Trail run")
    page = await client.get("/admin/moderation/events.review", params={"q": "trail"})
    assert 'id="queue-export" href="/admin/export/moderation/events.review?q=trail"' in page.text
    found = rows_of((await client.get("/admin/export/moderation/events.review", params={"q": "trail"})).content)
    assert [r[1] for r in found[1:]] == ["Trail run"]
    rows = rows_of((await client.get("/admin/export/moderation/events.review")).content)
    assert rows[0][:5] == ["#", "Title", "Submitted", "Author", "Summary"]
    assert sorted(r[1] for r in rows[1:]) == ["Board games night", "Trail run"]
    r = await client.get("/admin/export/moderation/nope.queue")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("url", ["/admin/export/users", "/admin/export/audit", "/admin/export/p/analytics/ideas"])
async def test_signed_out_exports_go_to_the_sign_in_page(make_client, url) -> None:
    client = await make_client(["admin", "events", "analytics"])
    r = await client.get(url)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")


async def test_users_page_links_to_its_export(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    r = await client.get("/admin/users", params={"q": "ann"})
    assert 'href="/admin/export/users?q=ann"' in r.text
    assert (await User.count()) >= 1


async def test_daily_figures_take_a_date_range_in_the_list_and_its_export(admin_client) -> None:
    client = await admin_client(roles=["admin"], plugins=["events", "analytics"])
    page = await client.get("/admin/p/analytics/daily", params={"day_from": "2026-01-01", "day_to": "2026-01-03"})
    assert page.status_code == 200 and 'name="day_from"' in page.text
    assert 'href="/admin/export/p/analytics/daily?day_from=2026-01-01&amp;day_to=2026-01-03"' in page.text
    r = await client.get("/admin/export/p/analytics/daily", params={"day_from": "2026-01-01", "day_to": "2026-01-03"})
    rows = rows_of(r.content)
    assert rows[0][:2] == ["Day", "Active users"] and {row[0] for row in rows[1:]} <= {
        "2026-01-01", "2026-01-02", "2026-01-03"}
    bad = await client.get("/admin/p/analytics/daily", params={"day_from": "2026-02-01", "day_to": "2026-01-01"})
    assert bad.status_code in (400, 422) and bad.headers["content-type"].startswith("text/html")

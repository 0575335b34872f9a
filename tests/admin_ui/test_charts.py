"""Charts drawn by the panel: the date range, the SVG (title, desc, tooltips, table), each chart's data, errors."""
# ruff: noqa: RUF001  (the Russian panel is checked too)

from __future__ import annotations

import re
from datetime import date, timedelta

from admin_ui import audit, charts
from core import clock, db
from core.admin import Chart, ChartQuery, Series


async def _none(query: ChartQuery) -> list[Series]:
    return []


CHART = Chart(plugin="demo", name="figures", title="Figures", load=_none)


def test_the_range_defaults_to_the_last_30_days_and_refuses_bad_input() -> None:
    today = charts.today_in("UTC")
    default = charts.parse_range({}, "UTC")
    assert (default.since, default.until, default.errors) == (today - timedelta(days=29), today, {})
    chosen = charts.parse_range({"from": "2026-01-01", "to": "2026-01-31"}, "UTC")
    assert (chosen.since, chosen.until, chosen.errors) == (date(2026, 1, 1), date(2026, 1, 31), {})
    assert set(charts.parse_range({"from": "yesterday"}, "UTC").errors) == {"from"}
    assert set(charts.parse_range({"to": "2026-02-30"}, "UTC").errors) == {"to"}
    assert set(charts.parse_range({"from": "2026-1-1"}, "UTC").errors) == {"from"}
    assert charts.parse_range({"from": "2026-02-01", "to": "2026-01-01"}, "UTC").errors == {
        "to": "The end comes before the start."}
    assert charts.parse_range({"from": "2025-01-01", "to": "2026-01-02"}, "UTC").errors == {
        "to": "Choose at most 366 days."}
    assert charts.parse_range({"from": "2025-01-01", "to": "2026-01-01"}, "UTC").errors == {}  # 366 days
    assert charts.parse_range({}, "Not/AZone").errors == {}  # an unknown zone: UTC days


def test_figure_places_points_on_round_axes_with_gaps_for_missing_measures() -> None:
    query = ChartQuery(since=date(2026, 3, 1), until=date(2026, 3, 3))
    f = charts.figure(CHART, [Series("Count", {date(2026, 3, 1): 3, date(2026, 3, 3): 7}),
                              Series("Median", {date(2026, 3, 1): 1.5, date(2026, 3, 3): 2}, missing=None)], query)
    assert [t["label"] for t in f["y_ticks"]] == ["0", "2.5", "5", "7.5", "10"]  # 7 → a top of 10
    count, median = f["lines"]
    assert len(count["paths"]) == 1 and len(count["paths"][0].split()) == 3  # the missing count is 0
    assert len(median["paths"]) == 2  # a gap on the day without a median
    assert count["points"][2]["y"] < count["points"][0]["y"] < count["points"][1]["y"]  # 7 above 3 above 0
    assert [r["cells"] for r in f["table"]] == [["3", "1.5"], ["0", "—"], ["7", "2"]]
    assert not f["empty"]


async def test_the_charts_page_draws_accessible_svg_with_the_numbers(admin_client) -> None:
    client = await admin_client(roles=["admin"], plugins=["events", "analytics", "notify"])
    r = await client.get("/admin/charts")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for key in ("admin-decisions", "analytics-daily", "analytics-moderation", "analytics-decision-time",
                "notify-delivery"):
        assert f'id="chart-{key}"' in r.text, key
    assert r.text.count("<svg") == 5 and r.text.count("<title id=") == 5 and r.text.count("<desc") == 5
    assert r.text.count("<table>") == 5  # every figure has its numbers as a table
    assert 'href="/admin/charts"' in r.text  # in the menu
    assert 'src="http' not in r.text and "<script>" not in r.text  # nothing from elsewhere, no inline script


async def test_a_bad_range_is_the_form_with_an_error_as_html(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    for params, message in (({"from": "31.12.2026"}, "Give a date as YYYY-MM-DD."),
                            ({"from": "2026-05-01", "to": "2026-04-01"}, "The end comes before the start."),
                            ({"from": "2020-01-01", "to": "2026-01-01"}, "Choose at most 366 days.")):
        r = await client.get("/admin/charts/admin/decisions", params=params)
        assert r.status_code == 400 and r.headers["content-type"].startswith("text/html"), r.text
        assert message in r.text and 'aria-invalid="true"' in r.text and "<svg" not in r.text
    r = await client.get("/admin/charts/admin/nope")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")


async def test_charts_need_their_permission(admin_client) -> None:
    client = await admin_client(roles=["moderator"], plugins=["events", "analytics"])
    r = await client.get("/admin/charts/admin/decisions")
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    page = await client.get("/admin/charts")
    assert 'id="chart-admin-decisions"' not in page.text


async def test_decisions_per_day_come_from_the_audit_log(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    for action in ("event.approve", "event.reject", "media.approve", "user.ban"):
        await audit.record(client.user.id, action, action.split(".")[0], 1)
    today = charts.today_in("UTC").isoformat()
    r = await client.get("/admin/charts/admin/decisions", params={"from": today, "to": today})
    assert r.status_code == 200
    row = re.search(rf'<time datetime="{today}">[^<]*</time></th>(.*?)</tr>', r.text)
    assert row is not None
    assert re.findall(r"<td>([^<]*)</td>", row.group(1)) == ["3", "2", "1"]  # all, event, media (not the ban)
    assert "<th scope=\"col\">event</th>" in r.text and "<th scope=\"col\">media</th>" in r.text


async def test_moderation_load_waiting_decided_and_median_from_the_events_history(admin_client, make_user) -> None:
    from plugins.analytics import charts as analytics_charts
    from plugins.events import services as events
    from tests.admin_ui.conftest import pending_event

    await admin_client(roles=["admin"], plugins=["events", "analytics"])
    moderator = await make_user(roles=["moderator"])
    author = await make_user(roles=["organiser"])
    submitted_on = clock.now().date()
    first = await pending_event(author.id, "First")
    await pending_event(author.id, "Second")
    clock.advance(timedelta(hours=26))
    await events.approve(first, moderator.id)
    today = clock.now().date()
    query = ChartQuery(since=submitted_on - timedelta(days=1), until=today)
    waiting, decided = await analytics_charts.moderation_load(query)
    assert [waiting.value(d) for d in (submitted_on - timedelta(days=1), submitted_on, today)] == [0, 2, 1]
    assert decided.value(today) == 1 and decided.value(submitted_on) == 0
    (median,) = await analytics_charts.decision_time(query)
    assert median.value(today) == 26.0 and median.value(submitted_on) is None


async def test_notification_delivery_per_channel_and_outcome(admin_client, make_user) -> None:
    from plugins.notify.admin import delivery_chart

    await admin_client(roles=["admin"], plugins=["notify"])
    user = await make_user()
    note = await db.fetch("INSERT INTO notify.notification (user_id, kind, payload, status, due_at, attempts, error,"
                          " created_at) VALUES ($1, 'test', '{}', 'sent', now(), 0, '', now()) RETURNING id", user.id)
    for n, (channel, status) in enumerate([("email", "sent"), ("email", "sent"), ("email", "failed"),
                                           ("sms", "sent"), ("push", "sending")]):
        await db.fetch("INSERT INTO notify.delivery (notification, channel, idempotency_key, status, destination,"
                       " provider_id, error, attempts, updated_at) VALUES ($1, $2, $3, $4, '', '', '', 1, $5)",
                       note[0]["id"], channel, f"k{n}", status, clock.now())
    today = clock.now().date()
    lines = await delivery_chart(ChartQuery(since=today, until=today))
    assert {s.label: s.value(today) for s in lines} == {"email · failed": 1, "email · sent": 2, "sms · sent": 1}


async def test_the_dashboard_links_to_the_charts(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    r = await client.get("/admin/")
    assert '<p class="export"><a href="/admin/charts">Charts →</a></p>' in r.text


async def test_charts_and_exports_in_russian(admin_client, make_user, monkeypatch) -> None:
    from core.users.tables import User

    staff = await make_user(roles=["admin"])
    await User.update({User.language: "ru"}).where(User.id == staff.id)
    client = await admin_client(user=staff, plugins=["events", "analytics", "notify"])
    page = await client.get("/admin/charts")
    assert page.headers["content-language"] == "ru"
    for text in ("Графики", "Доставка уведомлений", "Цифры", "Все решения", "Меню"):
        assert text in page.text, text
    bad = await client.get("/admin/charts", params={"from": "вчера"})
    assert bad.status_code == 400 and "Укажите дату в формате ГГГГ-ММ-ДД." in bad.text
    users = await client.get("/admin/users")
    assert "Выгрузить CSV" in users.text
    csv_text = (await client.get("/admin/export/users")).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("№,")


def test_counts_get_whole_number_ticks() -> None:
    query = ChartQuery(since=date(2026, 3, 1), until=date(2026, 3, 2))
    f = charts.figure(CHART, [Series("Count", {date(2026, 3, 2): 1})], query)
    assert [t["label"] for t in f["y_ticks"]] == ["0", "1", "2", "3", "4"]
    f = charts.figure(CHART, [Series("Count", {date(2026, 3, 2): 7})], query)
    assert [t["label"] for t in f["y_ticks"]] == ["0", "3", "6", "9", "12"]

"""Support's figures for a date range: counts, first-response and resolution times, SLA met, CSAT, per agent.

Times are **working time** (the team's hours and days from the settings), the same clock the SLA targets use: a
ticket opened on Friday evening and answered on Monday at 09:30 took 30 minutes. Tickets count in the range they
were opened in. Charts are SVG drawn by the panel's template; CSV by :func:`csv_lines`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from core import clock, db
from core.errors import InvalidParameter
from plugins.support import sla, sql

MAX_DAYS = 366


@dataclass(frozen=True)
class Figures:
    """Everything the metrics page shows."""

    since: date
    until: date
    totals: dict[str, Any]
    by_category: list[dict[str, Any]]
    by_agent: list[dict[str, Any]]
    daily: list[dict[str, Any]]


def date_range(since: str | date | None, until: str | date | None) -> tuple[date, date]:
    """The inclusive range asked for (default: the last 30 days); 400 ``invalid_parameter`` when malformed."""
    try:
        end = until if isinstance(until, date) else (date.fromisoformat(until) if until else clock.now().date())
        start = since if isinstance(since, date) else (date.fromisoformat(since) if since else end - timedelta(29))
    except ValueError:
        raise InvalidParameter("Dates are YYYY-MM-DD", errors=[{"parameter": "since", "in": "query",
                                                               "detail": "YYYY-MM-DD"}]) from None
    if start > end or (end - start).days >= MAX_DAYS:
        raise InvalidParameter("since must not be after until, and the range at most %(max_days)s days",
                               params={"max_days": MAX_DAYS},
                               errors=[{"parameter": "since", "in": "query", "detail": "bad range"}])
    return start, end


def _bounds(since: date, until: date) -> tuple[datetime, datetime]:
    tz = sla.calendar().tz
    return (datetime.combine(since, time(), tz).astimezone(UTC),
            datetime.combine(until + timedelta(days=1), time(), tz).astimezone(UTC))


def _hours(seconds: Any) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 2)


def _share(met: int, counted: int) -> float | None:
    return round(100 * met / counted, 1) if counted else None


async def figures(since: date, until: date) -> Figures:
    """The figures of tickets opened from ``since`` to ``until`` (inclusive days in the team's time zone)."""
    start, end = _bounds(since, until)
    (t,) = await db.fetch(sql.METRICS, start, end)
    totals = {"opened": t["opened"], "resolved": t["resolved"], "unresolved": t["unresolved"],
              "first_response_median_h": _hours(t["first_response_median_s"]),
              "first_response_p90_h": _hours(t["first_response_p90_s"]),
              "resolution_median_h": _hours(t["resolution_median_s"]),
              "resolution_p90_h": _hours(t["resolution_p90_s"]),
              "csat_avg": None if t["csat_avg"] is None else round(t["csat_avg"], 2), "rated": t["rated"]}
    categories = [{"category": r["category"], "opened": r["opened"],
                   "first_response_met_pct": _share(r["first_response_met"], r["first_response_counted"]),
                   "resolution_met_pct": _share(r["resolution_met"], r["resolution_counted"])}
                  for r in await db.fetch(sql.METRICS_BY_CATEGORY, start, end)]
    per_agent = [{"agent_id": r["agent_id"], "agent": r["agent"], "tickets": r["tickets"], "resolved": r["resolved"],
                  "first_response_median_h": _hours(r["first_response_median_s"]),
                  "resolution_median_h": _hours(r["resolution_median_s"]),
                  "csat_avg": None if r["csat_avg"] is None else round(r["csat_avg"], 2)}
                 for r in await db.fetch(sql.METRICS_BY_AGENT, start, end)]
    daily = [{"day": r["day"], "opened": r["opened"], "resolved": r["resolved"]}
             for r in await db.fetch(sql.METRICS_DAILY, start, end)]
    return Figures(since, until, totals, categories, per_agent, daily)


def csv_lines(f: Figures) -> Iterator[str]:
    """The figures as CSV: a section per table, each with its header row."""
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["section", "since", "until"])
    out.writerow(["range", f.since.isoformat(), f.until.isoformat()])
    out.writerow([])
    out.writerow(["totals", *f.totals.keys()])
    out.writerow(["", *("" if v is None else v for v in f.totals.values())])
    for name, rows in (("by_category", f.by_category), ("by_agent", f.by_agent), ("daily", f.daily)):
        out.writerow([])
        if rows:
            out.writerow([name, *rows[0].keys()])
            for r in rows:
                out.writerow(["", *("" if v is None else v for v in r.values())])
    yield buf.getvalue()


def bars(values: list[tuple[str, float]], height: int = 120) -> list[dict[str, Any]]:
    """Bar geometry for the panel's SVG charts: label, value, x, y, height, on a 0..max scale."""
    top = max((v for _l, v in values), default=0) or 1
    width = 24
    return [{"label": label, "value": value, "x": i * (width + 4), "width": width,
             "h": round(height * value / top, 1), "y": round(height - height * value / top, 1)}
            for i, (label, value) in enumerate(values)]

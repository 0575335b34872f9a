"""Charts drawn by the panel itself: the date range, the SVG geometry of ``core.admin.Chart`` s, the built-in charts.

Plugins declare data (:class:`core.admin.Chart` returning :class:`core.admin.Series`); this module turns it into
what ``templates/admin/_chart.html`` draws: polylines in a fixed viewBox, axes with round ticks, a tooltip per point
and the numbers as a table. No JavaScript, no chart library, nothing from a CDN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import clock, db, i18n
from core.admin import Chart, ChartQuery, Series
from core.i18n import N_

DEFAULT_DAYS = 30
MAX_DAYS = 366
"""The longest range one chart draws (a year and a day): a longer one is refused with a message on the form."""
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 26, 34
COLOURS = ("#1f6feb", "#d9480f", "#2b8a3e", "#9c36b5", "#e67700", "#0b7285", "#c92a2a", "#495057")
DECISION_SUFFIXES = (".approve", ".reject", ".hide")


@dataclass(frozen=True)
class Range:
    """A checked date range (inclusive) with the form's raw values and the errors to show beside them."""

    since: date
    until: date
    raw_from: str
    raw_to: str
    errors: Mapping[str, str]


def today_in(tz: str) -> date:
    """Today in the staff member's zone (UTC when the zone is unknown)."""
    try:
        return clock.now().astimezone(ZoneInfo(tz)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return clock.now().date()


def parse_range(params: Mapping[str, Any], tz: str) -> Range:
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD``: the last 30 days by default; bad or too long ranges give errors.

    With errors the range falls back to the default (the page still draws something) and the form shows them.
    """
    raw_from = str(params.get("from") or "").strip()[:40]
    raw_to = str(params.get("to") or "").strip()[:40]
    errors: dict[str, str] = {}
    until = today_in(tz)
    since = until - timedelta(days=DEFAULT_DAYS - 1)
    parsed: dict[str, date] = {}
    for name, raw in (("from", raw_from), ("to", raw_to)):
        if raw:
            try:
                parsed[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = N_("Give a date as YYYY-MM-DD.")
            else:
                if len(raw) != 10:
                    errors[name] = N_("Give a date as YYYY-MM-DD.")
    if not errors:
        new_until = parsed.get("to", until)
        new_since = parsed.get("from", new_until - timedelta(days=DEFAULT_DAYS - 1))
        if new_since > new_until:
            errors["to"] = N_("The end comes before the start.")
        elif (new_until - new_since).days + 1 > MAX_DAYS:
            errors["to"] = N_("Choose at most 366 days.")
        else:
            since, until = new_since, new_until
    return Range(since, until, raw_from or since.isoformat(), raw_to or until.isoformat(), errors)


def _nice_ceiling(value: float) -> float:
    """The top of the y axis: 1, 2, 2.5 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover (the loop ends at 10)


def _label(value: float) -> str:
    return i18n.format_number(int(value) if float(value).is_integer() else round(value, 2))


def figure(chart: Chart, series: Sequence[Series], query: ChartQuery) -> dict[str, Any]:
    """What ``_chart.html`` draws: lines (points in SVG units), ticks, legend, tooltips and the table's rows."""
    days = query.days
    values = [[s.value(d) for d in days] for s in series]
    top = _nice_ceiling(max((float(v) for row in values for v in row if v is not None), default=0.0))
    if all(float(v).is_integer() for row in values for v in row if v is not None):
        top = 4.0 * math.ceil(top / 4)  # counts: whole-number ticks (0, 1, 2, 3, 4 rather than 0.25 steps)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(days) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + i * step, 1)

    def y(v: float) -> float:
        return round(TOP + plot_h - (v / top) * plot_h, 1)

    lines = []
    for n, (s, row) in enumerate(zip(series, values, strict=True)):
        segments: list[list[tuple[float, float]]] = [[]]
        points = []
        for i, v in enumerate(row):
            if v is None:  # a gap in a measure: start a new segment
                if segments[-1]:
                    segments.append([])
                continue
            segments[-1].append((x(i), y(float(v))))
            points.append({"x": x(i), "y": y(float(v)), "tip": f"{i18n.format_date(days[i])}: {_label(float(v))}"})
        lines.append({"label": s.label, "colour": COLOURS[n % len(COLOURS)],
                      "paths": [" ".join(f"{px},{py}" for px, py in seg) for seg in segments if seg],
                      "points": points if len(days) <= 120 else []})
    y_ticks = [{"y": y(top * k / 4), "label": _label(top * k / 4)} for k in range(5)]
    every = max(1, math.ceil(len(days) / 7))
    x_ticks = [{"x": x(i), "label": i18n.format_date(d, "d MMM")} for i, d in enumerate(days) if i % every == 0]
    table = [{"day": i18n.format_date(d), "iso": d.isoformat(),
              "cells": ["—" if row[i] is None else _label(float(row[i] or 0)) for row in values]}
             for i, d in enumerate(days)]
    return {"chart": chart, "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
            "bottom": HEIGHT - BOTTOM, "lines": lines, "y_ticks": y_ticks, "x_ticks": x_ticks, "table": table,
            "since": i18n.format_date(query.since), "until": i18n.format_date(query.until),
            "empty": all(v in (None, 0) for row in values for v in row)}


# ---------------------------------------------------------------------------------------------------------------------
# The panel's own chart: moderation decisions per day, from core's audit log (every queue, whoever decided)
# ---------------------------------------------------------------------------------------------------------------------

DECISIONS_SQL = """
SELECT (created_at AT TIME ZONE $3)::date AS day, object_type, count(*) AS n
FROM users.audit_entry
WHERE created_at >= ($1::date)::timestamp AT TIME ZONE $3
  AND created_at < (($2::date) + 1)::timestamp AT TIME ZONE $3
  AND (action LIKE '%.approve' OR action LIKE '%.reject' OR action LIKE '%.hide')
GROUP BY 1, 2 ORDER BY 2, 1
"""


def _zone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return tz


async def decisions_per_day(query: ChartQuery) -> list[Series]:
    """Moderation decisions (approve, reject, hide) per day and kind of object, from ``core.audit``."""
    rows = await db.fetch(DECISIONS_SQL, query.since, query.until, _zone(query.timezone))
    by_type: dict[str, dict[date, int]] = {}
    for r in rows:
        by_type.setdefault(str(r["object_type"] or "-"), {})[r["day"]] = int(r["n"])
    total: dict[date, int] = {}
    for points in by_type.values():
        for d, n in points.items():
            total[d] = total.get(d, 0) + n
    return [Series(N_("All decisions"), total), *(Series(kind, points) for kind, points in sorted(by_type.items()))]


BUILT_IN: list[Chart] = [
    Chart(plugin="admin", name="decisions", title=N_("Moderation decisions per day"), load=decisions_per_day,
          permission="admin.audit", unit=N_("decisions"), order=20,
          description=N_("Approvals, rejections and hidings recorded in the audit log, by kind of object.")),
]


def as_utc_bounds(since: date, until: date, tz: str) -> tuple[datetime, datetime]:
    """The moments that start ``since`` and end ``until`` in ``tz`` (for loaders that filter on timestamps)."""
    zone = ZoneInfo(_zone(tz))
    start = datetime(since.year, since.month, since.day, tzinfo=zone)
    end = datetime(until.year, until.month, until.day, tzinfo=zone) + timedelta(days=1)
    return start, end

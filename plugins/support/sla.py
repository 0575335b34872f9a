"""Working hours and SLA targets: due times counted in the team's working hours, and working time between moments."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.hooks import plugin_settings
from plugins.support import SlaRule, SupportSettings

MAX_DAYS = 3 * 366
"""How far ahead a due time is searched (a calendar with no working day at all falls back to wall-clock time)."""


@dataclass(frozen=True)
class Calendar:
    """The team's working hours: days of the week, daily hours in a time zone, holidays."""

    tz: ZoneInfo
    starts: time
    ends: time
    days: frozenset[int]
    holidays: frozenset[date]

    def windows(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods (aware, UTC) from the local day of ``since`` on, in order."""
        day = since.astimezone(self.tz).date()
        for _ in range(MAX_DAYS):
            if day.isoweekday() in self.days and day not in self.holidays:
                start = datetime.combine(day, self.starts, self.tz).astimezone(UTC)
                end = datetime.combine(day, self.ends, self.tz).astimezone(UTC)
                if end > start:
                    yield start, end
            day += timedelta(days=1)


def calendar(settings: SupportSettings | None = None) -> Calendar:
    """The working-hours calendar from the settings."""
    s = settings or plugin_settings(SupportSettings)
    h1, m1 = (int(x) for x in s.work_starts.split(":"))
    h2, m2 = (int(x) for x in s.work_ends.split(":"))
    return Calendar(ZoneInfo(s.timezone), time(h1, m1), time(h2, m2), frozenset(s.working_days),
                    frozenset(s.holidays))


def add_working(start: datetime, hours: float, cal: Calendar) -> datetime:
    """The moment ``hours`` of working time after ``start``."""
    left = timedelta(hours=hours)
    for w_start, w_end in cal.windows(start):
        if w_end <= start:
            continue
        begin = max(w_start, start)
        if begin + left <= w_end:
            return begin + left
        left -= w_end - begin
    return start + timedelta(hours=hours)  # no working day in the calendar: wall-clock time


def working_seconds(since: datetime, until: datetime, cal: Calendar) -> float:
    """Working time between two moments, in seconds (0 when ``until`` is not after ``since``)."""
    total = 0.0
    if until <= since:
        return total
    for w_start, w_end in cal.windows(since):
        if w_start >= until:
            break
        begin, end = max(w_start, since), min(w_end, until)
        if end > begin:
            total += (end - begin).total_seconds()
    return total


def rule_for(category: str, priority: str, settings: SupportSettings | None = None) -> SlaRule:
    """The first SLA rule matching the category and priority (the last resort: 8 h / 40 h)."""
    s = settings or plugin_settings(SupportSettings)
    for rule in s.sla:
        if rule.category in ("*", category) and rule.priority in ("*", priority):
            return rule
    return SlaRule(first_response_h=8, resolution_h=40)


def due_times(opened_at: datetime, category: str, priority: str) -> tuple[datetime, datetime]:
    """First-response and resolution due times of a ticket opened at ``opened_at``."""
    rule, cal = rule_for(category, priority), calendar()
    return add_working(opened_at, rule.first_response_h, cal), add_working(opened_at, rule.resolution_h, cal)

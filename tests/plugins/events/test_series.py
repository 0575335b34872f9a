"""Series: a weekly rule across a DST change keeps the local time; occurrences are edited and cancelled one by one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.errors import ValidationFailed
from plugins.events.series import expand

BERLIN = ZoneInfo("Europe/Berlin")


def test_expand_keeps_wall_clock_across_dst() -> None:
    # 19:00 in Berlin on Saturdays around the end of summer time (last Sunday of October).
    first = datetime(2030, 10, 19, 19, 0, tzinfo=BERLIN)
    starts = expand("FREQ=WEEKLY;COUNT=3", first, BERLIN, 100)
    assert [s.astimezone(BERLIN).hour for s in starts] == [19, 19, 19]
    assert [s.utcoffset() for s in starts] == [timedelta(0)] * 3  # returned in UTC
    assert [s.hour for s in starts] == [17, 17, 18]  # summer time ends 27 Oct 2030


@pytest.mark.parametrize("rule", ["FREQ=DAILY", "FREQ=SOMETIMES;COUNT=2", "", "FREQ=DAILY;COUNT=500",
                                  "DTSTART:20300101T000000\nRRULE:FREQ=DAILY;COUNT=2"])
def test_bad_rules(rule: str) -> None:
    with pytest.raises(ValidationFailed):
        expand(rule, datetime(2030, 1, 1, 19, 0, tzinfo=BERLIN), BERLIN, 200)


async def test_series_through_the_api(api: Any, person: Any) -> None:
    org = await person("organiser")
    r = await api.post("/api/v1/events/venues", headers=org.headers,
                       json={"name": "Club", "latitude": 52.52, "longitude": 13.405, "timezone": "Europe/Berlin"})
    vid = r.json()["id"]
    first = datetime(2030, 3, 23, 19, 0, tzinfo=BERLIN)  # the week before summer time starts
    body = {"rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=3", "event": {
        "title": "Salsa", "starts_at": first.isoformat(), "ends_at": (first + timedelta(hours=2)).isoformat(),
        "venue_id": vid, "capacity": 20}}
    r = await api.post("/api/v1/events/series", headers=org.headers, json=body)
    assert r.status_code == 201, r.text
    ids = r.json()["occurrence_ids"]
    assert len(ids) == 3 and r.json()["timezone"] == "Europe/Berlin"
    details = [(await api.get(f"/api/v1/events/{i}", headers=org.headers)).json() for i in ids]
    assert [d["local_starts_at"][11:16] for d in details] == ["19:00"] * 3
    assert [d["local_ends_at"][11:16] for d in details] == ["21:00"] * 3
    assert {d["series_id"] for d in details} == {r.json()["id"]}
    # One occurrence edited alone.
    r = await api.patch(f"/api/v1/events/{ids[1]}", headers=org.headers, json={"title": "Salsa special"})
    assert r.json()["title"] == "Salsa special"
    assert (await api.get(f"/api/v1/events/{ids[2]}", headers=org.headers)).json()["title"] == "Salsa"
    r = await api.post("/api/v1/events/series", headers=org.headers, json={**body, "rrule": "FREQ=DAILY"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_rrule"

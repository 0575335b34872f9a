"""iCalendar export checked by an independent RFC 5545 reader (line unfolding, nesting, required properties)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.plugins.events.conftest import MOSCOW


def parse_ics(data: bytes) -> list[dict[str, Any]]:
    """A small reader written from RFC 5545 (not icalendar's): returns components with their properties."""
    text = data.decode("utf-8")
    assert "\r\n" in text, "lines must end with CRLF"
    lines: list[str] = []
    for raw in text.split("\r\n"):
        if raw.startswith((" ", "\t")):
            lines[-1] += raw[1:]  # unfold
        elif raw:
            lines.append(raw)
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line  # folded at 75 octets
    stack: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    for line in lines:
        name_params, _, value = line.partition(":")
        name, *params = name_params.split(";")
        if name == "BEGIN":
            stack.append({"type": value, "props": {}, "params": {}})
        elif name == "END":
            comp = stack.pop()
            assert comp["type"] == value, f"END:{value} closes {comp['type']}"
            done.append(comp)
        else:
            stack[-1]["props"].setdefault(name, []).append(value)
            stack[-1]["params"][name] = dict(p.split("=", 1) for p in params)
    assert not stack, "unclosed components"
    return done


async def test_event_ics_has_vtimezone_and_required_properties(api: Any, person: Any, publish: Any,
                                                              venue: Any) -> None:
    eid, _org = await publish(venue_id=venue["id"], online_url=None, title="Ёлка, концерт; вечер",
                             description="Line one\nline two, with comma")
    r = await api.get(f"/api/v1/events/{eid}/calendar.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    comps = parse_ics(r.content)
    cal = next(c for c in comps if c["type"] == "VCALENDAR")
    assert cal["props"]["VERSION"] == ["2.0"] and cal["props"]["PRODID"]
    tzs = [c for c in comps if c["type"] == "VTIMEZONE"]
    assert [t["props"]["TZID"] for t in tzs] == [["Europe/Moscow"]]
    assert any(c["type"] == "STANDARD" for c in comps)
    ev = next(c for c in comps if c["type"] == "VEVENT")
    for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
        assert prop in ev["props"], prop
    assert ev["params"]["DTSTART"]["TZID"] == "Europe/Moscow"
    assert ev["props"]["SUMMARY"] == ["Ёлка\\, концерт\\; вечер"]  # escaped per RFC 5545 3.3.11
    assert ev["props"]["DESCRIPTION"] == ["Line one\\nline two\\, with comma"]
    detail = (await api.get(f"/api/v1/events/{eid}")).json()
    local = datetime.strptime(ev["props"]["DTSTART"][0], "%Y%m%dT%H%M%S").replace(tzinfo=ZoneInfo("Europe/Moscow"))
    assert local == datetime.fromisoformat(detail["starts_at"])
    assert ev["props"]["GEO"] == [f"{MOSCOW[0]};{MOSCOW[1]}"]


async def test_personal_feed_token_is_revocable(api: Any, person: Any, publish: Any) -> None:
    joined, _ = await publish(title="I go there")
    other, _ = await publish(title="Not mine")
    u = await person()
    await api.post(f"/api/v1/events/{joined}/join", headers=u.headers, json={})
    r = await api.post("/api/v1/events/calendar-token", headers=u.headers)
    assert r.status_code == 201
    url = r.json()["url"]
    path = url[url.index("/ical/events/"):]
    feed = await api.get(path)
    assert feed.status_code == 200
    events = [c for c in parse_ics(feed.content) if c["type"] == "VEVENT"]
    assert [e["props"]["SUMMARY"] for e in events] == [["I go there"]]
    assert events[0]["props"]["URL"]  # confirmed participants get the online link
    # A new token revokes the old one; deleting revokes everything.
    r2 = await api.post("/api/v1/events/calendar-token", headers=u.headers)
    assert (await api.get(path)).status_code == 404
    path2 = r2.json()["url"][r2.json()["url"].index("/ical/events/"):]
    assert (await api.get(path2)).status_code == 200
    assert (await api.delete("/api/v1/events/calendar-token", headers=u.headers)).status_code == 204
    r = await api.get(path2)
    assert r.status_code == 404 and r.json()["code"] == "calendar_token_invalid"
    assert (await api.get("/ical/events/guess/calendar.ics")).status_code == 404
    assert other  # the other event never appeared in the feed

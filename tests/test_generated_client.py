"""The mobile team's view: a client generated from ``/schema/openapi.json`` builds cleanly and parses every answer.

``openapi-python-client`` generates a package from the app's document (every installed plugin enabled) into a
temporary folder; the generator must print no warning. Then the platform's main flow (the one
``tests/test_seed_flow.py`` walks) runs through that generated package against the real app: register, verify,
log in, refresh, create a venue and an event, submit, approve as a moderator, list the feed, join, read my
notifications, export iCalendar. Every call's result must come back parsed into the generated models.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from core import clock
from core.testing import all_plugins

PASSWORD = "tangerine-horse-42"
DEVICE = "3f1c9a52-0b7e-4d1e-9a43-5f0f6c1d2e7a"
PACKAGE = "sbor_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, sbor_database: Any) -> Iterator[tuple[ModuleType, str]]:
    """Generate the client package from the app's schema; yields (package, the generator's output)."""
    from core.app import create_app
    from core.hooks.manager import PluginsFile, build

    root = tmp_path_factory.mktemp("client")
    app = create_app(build(PluginsFile(enabled=all_plugins())))
    schema = root / "openapi.json"
    schema.write_text(json.dumps(app.openapi_schema.to_schema()))
    config = root / "config.yml"
    config.write_text("post_hooks: []\n")  # no formatter run: the test judges the generator, not ruff
    out = subprocess.run(
        [str(Path(sys.executable).with_name("openapi-python-client")), "generate", "--path", str(schema),
         "--output-path", str(root / PACKAGE), "--meta", "none", "--config", str(config)],
        capture_output=True, text=True, timeout=600, check=False)
    output = out.stdout + out.stderr
    assert out.returncode == 0, output
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE), output
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_generator_prints_no_warning(generated: tuple[ModuleType, str]) -> None:
    _package, output = generated
    assert "Warning" not in output and "warning" not in output.lower(), output


def api(name: str) -> Any:
    """``api("events.join_event")``: a generated operation module."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


async def deliver(run_jobs: Any) -> None:
    """What notify's worker does every second: hand due notifications to the delivery jobs, and run them."""
    from plugins.notify.dispatch import dispatch

    await dispatch()
    await run_jobs()


def models() -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


def parsed(response: Any, model: str, status: int = 200) -> Any:
    """The call answered ``status`` and the generated client parsed it into ``model``."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response.parsed is not None, f"{model}: not parsed ({response.content[:300]!r})"
    assert type(response.parsed).__name__ == model, (type(response.parsed).__name__, model)
    return response.parsed


async def test_the_main_flow_runs_through_the_generated_client(generated: tuple[ModuleType, str], make_app: Any,
                                                               make_user: Any, auth_headers: Any, run_jobs: Any,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    package, _ = generated
    m = models()
    app = make_app(["events", "notify", "analytics"], settings={"notify": {"channels": ["log"]}})
    transport = httpx.ASGITransport(app=app)
    base = "http://testserver"
    anonymous = package.Client(base_url=base, httpx_args={"transport": transport})

    async with app.lifespan():
        # Register, verify with the code the log channel delivered, log in, refresh
        caplog.set_level("WARNING", logger="plugins.notify.log")
        r = await api("auth.register").asyncio_detailed(client=anonymous, body=m.RegisterCreate(
            email="ada@example.org", password=PASSWORD, display_name="Ada"))
        user_id = parsed(r, "RegisterRead", 201).user_id
        await deliver(run_jobs)
        code = re.findall(rf"verification code for user {user_id} \(verify via email to [^)]*\): (\d{{6}})",
                          "\n".join(rec.getMessage() for rec in caplog.records))
        assert code, "no verification code delivered"
        r = await api("auth.verify_account").asyncio_detailed(client=anonymous, body=m.VerifyCreate(
            identifier="ada@example.org", code=code[-1], device_id=DEVICE))
        assert r.status_code == 204, r.content
        r = await api("auth.login").asyncio_detailed(client=anonymous, body=m.LoginCreate(
            identifier="ada@example.org", password=PASSWORD, device_id=DEVICE))
        tokens = parsed(r, "TokenPairRead")
        r = await api("auth.refresh_tokens").asyncio_detailed(client=anonymous, body=m.RefreshCreate(
            refresh_token=tokens.refresh_token))
        tokens = parsed(r, "TokenPairRead")
        ada = package.AuthenticatedClient(base_url=base, token=tokens.access_token, httpx_args={"transport": transport})
        assert parsed(await api("users.get_me").asyncio_detailed(client=ada), "MeRead").id == user_id

        # A venue and an event; submit; a moderator approves
        r = await api("events.create_venue").asyncio_detailed(client=ada, body=m.VenueCreate(
            name="Jazz Cellar", latitude=52.52, longitude=13.405, timezone="Europe/Berlin", city="Berlin"))
        venue = parsed(r, "VenueRead", 201)
        start = (clock.now() + timedelta(days=3)).replace(microsecond=0)
        r = await api("events.create_event").asyncio_detailed(client=ada, body=m.EventCreate(
            title="Quiz night", starts_at=start, ends_at=start + timedelta(hours=3), venue_id=venue.id, capacity=20))
        event = parsed(r, "EventRead", 201)
        assert event.status == "draft"
        r = await api("events.submit_event").asyncio_detailed(event_id=event.id, client=ada)
        assert parsed(r, "EventRead").status == "pending_review"
        moderator = await make_user(roles=["moderator"])
        token = (await auth_headers(moderator))["Authorization"].removeprefix("Bearer ")
        mod = package.AuthenticatedClient(base_url=base, token=token, httpx_args={"transport": transport})
        pending = parsed(await api("events.list_pending_events").asyncio_detailed(client=mod), "PagePendingItem")
        assert event.id in [p.id for p in pending.items]
        r = await api("events.approve_event").asyncio_detailed(event_id=event.id, client=mod)
        assert parsed(r, "EventRead").status == "published"

        # The feed, joining, my notifications, iCalendar
        feed = parsed(await api("events.list_events").asyncio_detailed(client=anonymous), "PageFeedItem")
        assert event.id in [i.id for i in feed.items]
        guest = await make_user()
        token = (await auth_headers(guest))["Authorization"].removeprefix("Bearer ")
        bea = package.AuthenticatedClient(base_url=base, token=token, httpx_args={"transport": transport})
        r = await api("events.join_event").asyncio_detailed(event_id=event.id, client=bea, body=m.JoinBody(guests=1))
        assert parsed(r, "ParticipationRead").status == "confirmed"
        await deliver(run_jobs)
        inbox = parsed(await api("notify.list_inbox_items").asyncio_detailed(client=ada), "PageInboxItemRead")
        assert inbox.items, "the organiser's inbox is empty after approval and a join"
        scheduled = parsed(await api("notify.list_scheduled_notifications").asyncio_detailed(client=bea),
                           "PageScheduledRead")
        assert {s.minutes_before for s in scheduled.items} >= {1440, 300, 60}
        r = await api("events.get_event_calendar").asyncio_detailed(event_id=event.id, client=bea)
        assert r.status_code == 200 and isinstance(r.parsed, str) and "BEGIN:VCALENDAR" in r.parsed

        # Errors come back parsed as the one Problem model, with their code
        r = await api("events.get_event").asyncio_detailed(event_id=2**31 - 1, client=bea)
        assert parsed(r, "Problem", 404).code in ("event_not_found", "not_found")
        r = await api("events.join_event").asyncio_detailed(event_id=event.id, client=bea, body=m.JoinBody(guests=0))
        assert parsed(r, "Problem", 409).code == "already_joined"
        r = await api("users.get_me").asyncio_detailed(client=anonymous)
        assert parsed(r, "Problem", 401).code == "not_authenticated"

"""The generic path: a plugin declares a kind and sends a notice; notify delivers it (nothing happens without it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from core import db, notifications
from core.errors import ConfigError
from core.hooks import hookimpl, hookspecs
from core.hooks.manager import PluginsFile, Registry, activate, build, discover
from core.notifications import Notice, NotificationKind
from tests.core.hooks.fakes import fake_plugin
from tests.plugins.notify.conftest import at
from tests.plugins.notify.test_delivery import deliver_due, email_settings

GREETED = NotificationKind("greeter.greeted", label="Someone greeted me", channels=("email",))


@pytest.fixture
def greeter_templates(tmp_path: Path) -> str:
    """The fake plugin's templates, in its own namespace (``greeter/notifications/<lang>/greeted.txt``)."""
    for language, hello in (("en", "Hello"), ("ru", "Привет")):
        folder = tmp_path / "greeter" / "notifications" / language
        folder.mkdir(parents=True)
        (folder / "greeted.txt").write_text(
            "{% block subject %}" + hello + " from {{ friend }}{% endblock %}\n"
            "{% block short %}{{ friend }} says hi{% endblock %}\n"
            "{% block body %}" + hello + " {{ name }}, {{ friend }} greeted you at {{ at | when }}.{% endblock %}\n")
    return str(tmp_path)


@pytest_asyncio.fixture(loop_scope="session")
async def with_plugins(sbor_database: Registry, greeter_templates: str) -> AsyncIterator[Callable[..., Registry]]:
    """``with_plugins(["notify", "greeter"], notify={...})``: a plugin set with the fake greeter plugin in it."""
    from plugins.notify.channels.registry import close_all

    greeter = fake_plugin("greeter", hooks={
        "register_notification_kinds": hookimpl(lambda: [GREETED]),
        "register_template_dirs": hookimpl(lambda: [greeter_templates]),
    })

    def apply(enabled: list[str], **notify: Any) -> Registry:
        available = {**discover(), "greeter": greeter}
        settings = {"notify": notify} if "notify" in enabled else {}
        registry = build(PluginsFile(enabled=enabled, settings=settings), available=available)
        activate(registry)
        return registry

    yield apply
    await close_all()
    activate(sbor_database)


async def _greet(user_ids: list[int], **extra: Any) -> None:
    async with db.engine().transaction():
        await notifications.send(Notice("greeter.greeted", user_ids=user_ids, subject="greeter.greeting:1",
                                        context={"friend": "Ann", "at": at(2026, 12, 1, 18).isoformat()}, **extra))


async def test_a_kind_from_another_plugin_is_delivered(with_plugins, smtp, make_user, clock, run_jobs) -> None:
    recorder, port = smtp
    with_plugins(["notify", "greeter"], **email_settings(port))
    clock.freeze(at(2026, 12, 1, 10))
    user = await make_user(display_name="Bob")
    await _greet([user.id])
    await deliver_due(run_jobs)
    assert [m.subject for m in recorder.messages] == ["Hello from Ann"]
    assert "Hello Bob, Ann greeted you at 1 Dec 2026" in recorder.messages[0].text
    row = (await db.fetch("SELECT kind, subject, status FROM notify.notification"))[0]
    assert row == {"kind": "greeter.greeted", "subject": "greeter.greeting:1", "status": "sent"}
    assert "greeter.greeted" in notifications.kinds()


async def test_preferences_list_the_kind_with_its_label(with_plugins, make_user) -> None:
    from plugins.notify.prefs import get_preferences

    with_plugins(["notify", "greeter"])
    prefs = await get_preferences((await make_user()).id)
    assert prefs["channels"]["greeter.greeted"]["email"] is True
    assert {"name": "greeter.greeted", "label": "Someone greeted me", "description": "", "critical": False} in prefs[
        "kinds"]
    assert "notify.verification" not in prefs["channels"]  # critical: cannot be switched off
    assert prefs["fallback"]["greeter.greeted"] == ["email"]


async def test_operator_fallback_overrides_the_declared_channels(with_plugins, make_user) -> None:
    from plugins.notify.prefs import get_preferences

    with_plugins(["notify", "greeter"], fallback={"greeter.greeted": ["sms", "email"]})
    prefs = await get_preferences((await make_user()).id)
    assert prefs["fallback"]["greeter.greeted"] == ["sms", "email"]


async def test_without_notify_sending_is_a_no_op(with_plugins, make_user) -> None:
    with_plugins(["greeter"])
    user = await make_user()
    await _greet([user.id])  # nothing implements the hook: no error
    await notifications.withdraw("greeter.", [user.id])
    assert await db.fetch("SELECT id FROM notify.notification") == []


async def test_a_notice_rolls_back_with_its_transaction(with_plugins, make_user) -> None:
    with_plugins(["notify", "greeter"])
    user = await make_user()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.engine().transaction():
            await notifications.send(Notice("greeter.greeted", user_ids=[user.id], context={"friend": "Ann"}))
            assert len(await db.engine().current_transaction.get().connection.fetch(  # type: ignore[union-attr]
                "SELECT id FROM notify.notification")) == 1
            raise Boom
    assert await db.fetch("SELECT id FROM notify.notification") == []


async def test_an_undeclared_kind_fails_the_change(with_plugins, make_user) -> None:
    with_plugins(["notify", "greeter"])
    user = await make_user()
    with pytest.raises(ConfigError):
        await notifications.send(Notice("greeter.unknown", user_ids=[user.id]))


async def test_a_key_replaces_a_pending_notice_and_withdraw_matches_by_prefix(with_plugins, make_user, clock) -> None:
    with_plugins(["notify", "greeter"])
    clock.freeze(at(2026, 12, 1, 10))
    a, b = await make_user(), await make_user()
    await _greet([a.id, b.id], key="greeter.greeting:4", send_at=at(2026, 12, 2, 9))
    await _greet([a.id], key="greeter.greeting:4", send_at=at(2026, 12, 2, 10))  # replaces a's only
    await _greet([a.id], key="greeter.greeting:42")
    rows = await db.fetch("SELECT user_id, key, status, due_at FROM notify.notification ORDER BY id")
    assert [(r["user_id"], r["status"]) for r in rows] == [(a.id, "cancelled"), (b.id, "pending"),
                                                           (a.id, "pending"), (a.id, "pending")]
    assert rows[2]["due_at"] == at(2026, 12, 2, 10)
    await _greet([b.id], key="greeter.greeting:4:late")
    await notifications.withdraw("greeter.greeting:4", [b.id])  # key 4 and 4:…, never 42
    rows = await db.fetch("SELECT user_id, key, status FROM notify.notification WHERE status = 'pending'")
    assert [(r["user_id"], r["key"]) for r in rows] == [(a.id, "greeter.greeting:4"), (a.id, "greeter.greeting:42")]
    await notifications.withdraw("greeter.greeting:4", None)
    rows = await db.fetch("SELECT user_id, key, status FROM notify.notification WHERE status = 'pending'")
    assert [(r["user_id"], r["key"]) for r in rows] == [(a.id, "greeter.greeting:42")]
    for bad in ("", "greeter.greeting:"):  # everything, or a segment cut in half: refused
        with pytest.raises(ValueError, match="whole segments"):
            await notifications.withdraw(bad)


async def test_an_expired_notice_is_dropped_not_sent(with_plugins, smtp, make_user, clock, run_jobs) -> None:
    recorder, port = smtp
    with_plugins(["notify", "greeter"], **email_settings(port))
    clock.freeze(at(2026, 12, 1, 10))
    await _greet([(await make_user()).id], expires_at=at(2026, 12, 1, 10, 30))
    clock.freeze(at(2026, 12, 1, 11))  # the worker was down past the deadline
    await deliver_due(run_jobs)
    assert recorder.messages == []
    row = (await db.fetch("SELECT status, error FROM notify.notification"))[0]
    assert row == {"status": "cancelled", "error": "expired"}


@pytest.mark.parametrize(("kinds", "message"), [
    ([NotificationKind("other.greeted", label="x")], "must be named 'misnamed.<kind>'"),
    ([NotificationKind("misnamed.Greeted", label="x")], "must be named 'misnamed.<kind>'"),
    ([NotificationKind("misnamed", label="x")], "must be named 'misnamed.<kind>'"),
    ([NotificationKind("misnamed." + "k" * 80, label="x")], "longer than 80 characters"),
    ([NotificationKind("misnamed.greeted", label="x")] * 2, "declared twice"),
])
def test_kinds_are_named_after_their_plugin_once_and_fit(sbor_database: Registry, kinds: list[NotificationKind],
                                                         message: str) -> None:
    from plugins.notify.kinds import declared

    # Given a plugin declaring a misnamed, too long or twice-declared kind
    plugin = fake_plugin("misnamed", hooks={"register_notification_kinds": hookimpl(lambda: kinds)})
    registry = build(PluginsFile(enabled=["notify", "misnamed"]), available={**discover(), "misnamed": plugin})
    # Then the kind table is refused, naming the plugin: by core, by notify, and at start-up (binding the actors)
    for build_table in (notifications.kinds, declared,
                        lambda r: r.hooks.collect(hookspecs.register_actors)):
        with pytest.raises(ConfigError, match=rf"plugin 'misnamed': notification kind .*{message}"):
            build_table(registry)


def test_a_kind_declared_by_two_plugins_is_refused(sbor_database: Registry) -> None:
    twin = fake_plugin("twin", hooks={"register_notification_kinds": hookimpl(lambda: [GREETED])})
    greeter = fake_plugin("greeter", hooks={"register_notification_kinds": hookimpl(lambda: [GREETED])})
    registry = build(PluginsFile(enabled=["greeter", "twin"]),
                     available={**discover(), "twin": twin, "greeter": greeter})
    with pytest.raises(ConfigError, match="plugin 'twin': notification kind 'greeter.greeted' must be named"):
        notifications.kinds(registry)


async def test_a_kind_whose_plugin_is_disabled_waits_until_too_late(with_plugins, smtp, make_user, clock, run_jobs,
                                                                    caplog) -> None:
    from plugins.notify.delivery import UNDECLARED

    recorder, port = smtp
    with_plugins(["notify", "greeter"], **email_settings(port))
    clock.freeze(at(2026, 12, 1, 10))
    user = await make_user()
    await _greet([user.id])  # now
    await _greet([user.id], remind_before=at(2026, 12, 1, 12))  # the platform's 1 h reminder: due 11:00
    # Given greeter disabled for a while (a deploy)
    with_plugins(["notify"], **email_settings(port))
    with caplog.at_level("WARNING", logger="plugins.notify"):
        await deliver_due(run_jobs)
    assert [r.getMessage() for r in caplog.records if "undeclared" in r.getMessage()] == [
        "notifications of undeclared kinds deferred by 1:00:00 (is their plugin disabled?): 1 greeter.greeted"]
    rows = await db.fetch("SELECT status, error, due_at, attempts FROM notify.notification ORDER BY id")
    assert rows == [{"status": "pending", "error": UNDECLARED, "due_at": at(2026, 12, 1, 11), "attempts": 0},
                    {"status": "pending", "error": "", "due_at": at(2026, 12, 1, 11), "attempts": 0}]
    clock.freeze(at(2026, 12, 1, 11))
    await deliver_due(run_jobs)  # both deferred; the reminder keeps its grace (30 min) as its expiry
    rows = await db.fetch("SELECT status, due_at, expires_at FROM notify.notification ORDER BY id")
    assert rows == [{"status": "pending", "due_at": at(2026, 12, 1, 12), "expires_at": None},
                    {"status": "pending", "due_at": at(2026, 12, 1, 12), "expires_at": at(2026, 12, 1, 11, 30)}]
    # When greeter is back: the notice is sent, the reminder is dropped (too late), never sent late
    with_plugins(["notify", "greeter"], **email_settings(port))
    clock.freeze(at(2026, 12, 1, 12))
    await deliver_due(run_jobs)
    assert [m.subject for m in recorder.messages] == ["Hello from Ann"]
    rows = await db.fetch("SELECT status, error FROM notify.notification ORDER BY id")
    assert rows == [{"status": "sent", "error": ""}, {"status": "cancelled", "error": "too late"}]

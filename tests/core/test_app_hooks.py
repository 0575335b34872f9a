"""The app-building hooks do what their specs promise: page routes, dependencies, CLI commands, app_stopping."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner
from litestar import MediaType, get
from litestar.di import NamedDependency, Provide

from core import cli
from core.app import create_app
from core.errors import ConfigError
from core.hooks import hookimpl
from core.hooks.manager import PluginInfo, PluginsFile, Registry, activate, build
from tests.core.hooks.fakes import available, fake_plugin


def registry_of(*plugins: PluginInfo) -> Registry:
    return build(PluginsFile(enabled=[p.name for p in plugins]), available(*plugins))


@pytest.fixture
def app_of(sbor_database: Registry) -> Iterator[Any]:
    """``app_of(*fake_plugins)``: core's app with these fake plugins enabled (the session's plugin set restored)."""
    yield lambda *plugins: create_app(registry_of(*plugins))
    activate(sbor_database)


async def serve(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


# --- register_page_routes --------------------------------------------------------------------------------------------


@get("/fakepages/hello", media_type=MediaType.HTML, operation_id="fakepages_hello")
async def page() -> str:
    """A page, not an API route."""
    return "<p>hello</p>"


async def test_page_routes_are_mounted_as_given_outside_the_api(app_of) -> None:
    app = app_of(fake_plugin("fakepages", hooks={"register_page_routes": hookimpl(lambda: [page])}))
    async with app.lifespan(), await serve(app) as client:
        r = await client.get("/fakepages/hello")
        assert r.status_code == 200 and r.text == "<p>hello</p>"
        assert (await client.get("/api/v1/fakepages/hello")).status_code == 404  # not under /api/v1


async def test_page_routes_of_a_disabled_plugin_are_not_mounted(app_of) -> None:
    app = app_of(fake_plugin("other"))
    async with app.lifespan(), await serve(app) as client:
        assert (await client.get("/fakepages/hello")).status_code == 404


# --- register_dependencies -------------------------------------------------------------------------------------------


def provide_greeting() -> str:
    return "hello from a plugin"


@get("/fakedeps/greeting", operation_id="fakedeps_greeting")
async def greeting_route(greeting: NamedDependency[str]) -> dict[str, str]:
    """Declares the dependency another plugin provides."""
    return {"greeting": greeting}


def dependency_plugin(name: str) -> PluginInfo:
    return fake_plugin(name, hooks={
        "register_dependencies": hookimpl(lambda: {"greeting": Provide(provide_greeting, sync_to_thread=False)}),
    })


async def test_a_plugin_dependency_is_injected_into_any_handler(app_of) -> None:
    consumer = fake_plugin("fakeconsumer", hooks={"register_routes": hookimpl(lambda: [greeting_route])})
    app = app_of(dependency_plugin("fakedeps"), consumer)
    async with app.lifespan(), await serve(app) as client:
        r = await client.get("/api/v1/fakedeps/greeting")
    assert r.status_code == 200, r.text
    assert r.json() == {"greeting": "hello from a plugin"}


async def test_two_plugins_providing_one_name_stop_start_up(app_of) -> None:
    with pytest.raises(ConfigError, match="dependency 'greeting' is already provided"):
        app_of(dependency_plugin("fakedeps"), dependency_plugin("fakedeps2"))


# --- register_cli_commands -------------------------------------------------------------------------------------------


@click.group("fakecli", help="The fake plugin's commands.")
def fakecli() -> None:
    """Commands of the fake plugin."""


@fakecli.command("greet")
@click.option("--name", default="world")
def greet(name: str) -> None:
    """Greet someone."""
    click.echo(f"hello, {name}")


@pytest.fixture
def plugin_commands(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``manage.py``'s command group after ``_add_plugin_commands`` with the fake plugin enabled."""
    import core.hooks.manager

    registry = registry_of(fake_plugin("fakecli", hooks={"register_cli_commands": hookimpl(lambda: [fakecli])}))
    monkeypatch.setattr(core.hooks.manager, "load", lambda *args, **kwargs: registry)
    before = dict(cli.main.commands)
    cli._add_plugin_commands()
    yield
    cli.main.commands.clear()
    cli.main.commands.update(before)


def test_a_plugin_command_appears_in_help_and_runs(plugin_commands) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli.main, ["--help"])
    assert listed.exit_code == 0, listed.output
    assert "fakecli" in listed.output and "The fake plugin's commands." in listed.output
    ran = runner.invoke(cli.main, ["fakecli", "greet", "--name", "Ann"])
    assert ran.exit_code == 0, ran.output
    assert ran.output == "hello, Ann\n"


def test_a_disabled_plugin_adds_no_command() -> None:
    assert "fakecli" not in CliRunner().invoke(cli.main, ["--help"]).output


# --- app_started / app_stopping --------------------------------------------------------------------------------------


def lifecycle_plugin(name: str, calls: list[str], *, fail: bool = False) -> PluginInfo:
    def app_started() -> None:
        calls.append(f"{name} started")

    async def app_stopping() -> None:
        calls.append(f"{name} stopping")
        if fail:
            raise RuntimeError(f"{name} could not stop")

    return fake_plugin(name, hooks={"app_started": hookimpl(app_started), "app_stopping": hookimpl(app_stopping)})


async def test_app_stopping_is_called_once_on_shutdown_after_app_started(app_of) -> None:
    calls: list[str] = []
    app = app_of(lifecycle_plugin("fakelife", calls))
    async with app.lifespan(), await serve(app) as client:
        assert (await client.get("/health")).status_code == 200
        assert calls == ["fakelife started"]
    assert calls == ["fakelife started", "fakelife stopping"]


async def test_a_failing_app_stopping_is_logged_and_the_others_still_run(app_of, caplog) -> None:
    calls: list[str] = []
    app = app_of(lifecycle_plugin("fakebroken", calls, fail=True), lifecycle_plugin("fakefine", calls))
    with caplog.at_level(logging.ERROR):
        async with app.lifespan():
            pass
    assert sorted(c for c in calls if c.endswith("stopping")) == ["fakebroken stopping", "fakefine stopping"]
    assert any("fakebroken" in r.getMessage() or "fakebroken" in str(r.exc_info) for r in caplog.records)

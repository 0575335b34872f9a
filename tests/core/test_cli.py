"""``manage.py`` commands, run as the operator runs them (a subprocess in the project's venv)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from core import migrations
from core.settings import ROOT


@pytest.fixture
def plugins_file(tmp_path):
    path = tmp_path / "plugins.toml"
    path.write_text(
        '# operator comment\nenabled = ["hello"]\n\n[settings.hello]\ngreeting = "Hi"\napi_token = "s3cret-token"\n'
    )
    return path


def manage(plugins_file, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins_file)}
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_plugins_list_shows_source_and_masks_secrets(plugins_file, sbor_env) -> None:
    out = manage(plugins_file, "plugins", "list", "--json")
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["hello"]["enabled"] is True
    assert rows["hello"]["source"].startswith("distribution sbor-hello")
    assert rows["hello"]["settings"]["api_token"] == "********"
    assert rows["users"]["source"] == "core"
    assert "s3cret-token" not in out.stdout + out.stderr
    human = manage(plugins_file, "plugins", "list")
    assert "s3cret-token" not in human.stdout and "hello" in human.stdout


def test_plugins_plan_shows_load_migration_and_hook_order(plugins_file, sbor_env) -> None:
    out = manage(plugins_file, "plugins", "plan")
    assert out.returncode == 0, out.stderr
    load = out.stdout.split("Migration order:")[0]
    assert load.index("users") < load.index("auth") < load.index("hello")
    assert "register_routes: " in out.stdout


def test_enable_and_disable_edit_plugins_toml_keeping_comments(plugins_file, sbor_env) -> None:
    out = manage(plugins_file, "plugins", "disable", "hello")
    assert out.returncode == 0, out.stderr
    text = plugins_file.read_text()
    assert "enabled = []" in text and "# operator comment" in text and "[settings.hello]" in text
    out = manage(plugins_file, "plugins", "enable", "hello")
    assert out.returncode == 0, out.stderr
    assert 'enabled = ["hello"]' in plugins_file.read_text()
    out = manage(plugins_file, "plugins", "enable", "ghost")
    assert out.returncode == 2
    assert "plugin 'ghost': unknown" in out.stderr


def test_a_bad_plugins_file_stops_with_one_line(tmp_path, sbor_env) -> None:
    bad = tmp_path / "plugins.toml"
    bad.write_text('enabled = ["ghost"]\n')
    out = manage(bad, "plugins", "plan")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: plugin 'ghost': unknown (not in plugins/ nor in any installed distribution)"


def test_core_cannot_be_uninstalled(plugins_file, sbor_env) -> None:
    out = manage(plugins_file, "plugins", "uninstall", "users")
    assert out.returncode == 2
    assert "plugin 'users': part of core; it cannot be uninstalled" in out.stderr


def test_uninstall_refuses_when_an_enabled_plugin_depends_on_it(tmp_path, sbor_env) -> None:
    from core.hooks.manager import discover

    if not {"events", "analytics"} <= set(discover()):
        pytest.skip("needs the events and analytics plugins")
    path = tmp_path / "plugins.toml"
    path.write_text('enabled = ["events", "analytics"]\n')
    out = manage(path, "plugins", "uninstall", "events", "--yes")
    assert out.returncode == 2
    assert "plugin 'events': enabled plugin 'analytics' depends on it; disable 'analytics' first" in out.stderr


def test_openapi_needs_no_running_service(plugins_file, sbor_env) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SBOR_REDIS_URL", "SBOR_DATABASE_URL")}
    env["SBOR_PLUGINS_FILE"] = str(plugins_file)
    out = subprocess.run([sys.executable, "-m", "core.cli", "openapi"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["info"]["title"] == "Sbor API"


def test_plugin_settings_from_the_environment(plugins_file, sbor_env) -> None:
    env_out = subprocess.run(
        [sys.executable, "-m", "core.cli", "plugins", "list", "--json"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "SBOR_PLUGINS_FILE": str(plugins_file), "SBOR_PLUGINS__HELLO__GREETING": "Salut"},
        timeout=120,
    )
    assert env_out.returncode == 0, env_out.stderr
    rows = {r["name"]: r for r in json.loads(env_out.stdout)}
    assert rows["hello"]["settings"]["greeting"] == "Salut"
    bad = subprocess.run(
        [sys.executable, "-m", "core.cli", "plugins", "plan"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "SBOR_PLUGINS_FILE": str(plugins_file), "SBOR_PLUGINS__HELLO__MAX_LENGTH": "long"},
        timeout=120,
    )
    assert bad.returncode == 2
    assert "plugin 'hello': invalid settings: Expected `int`, got `str` - at `$.max_length`" in bad.stderr


async def test_uninstall_prints_then_drops_with_yes(plugins_file, sbor_database) -> None:
    from sbor_hello.tables import Greeting

    await Greeting.insert(Greeting(name="a", message="hi"))
    dry = manage(plugins_file, "plugins", "uninstall", "hello")
    assert dry.returncode == 0, dry.stderr
    assert "would drop hello.greeting (1 rows)" in dry.stdout
    assert await migrations.schema_report("hello") == [("greeting", 1)]
    done = manage(plugins_file, "plugins", "uninstall", "hello", "--yes")
    assert done.returncode == 0, done.stderr
    assert await migrations.schema_report("hello") == []
    assert 'enabled = []' in plugins_file.read_text()
    # migrate --dry-run says what it would do, then migrate brings the plugin back (for the other tests)
    manage(plugins_file, "plugins", "enable", "hello")
    dry = manage(plugins_file, "migrate", "--dry-run")
    assert "would apply hello:" in dry.stdout
    assert manage(plugins_file, "migrate").returncode == 0
    assert "nothing to do" in manage(plugins_file, "migrate").stdout
    assert await migrations.schema_report("hello") == [("greeting", 0)]


def test_openapi_prints_the_document(plugins_file, sbor_env) -> None:
    out = manage(plugins_file, "openapi")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["paths"]["/api/v1/hello/greetings"]["post"]["operationId"] == "create_greeting"


@pytest.mark.parametrize(("args", "cpus", "expected"), [
    ((), 2, ["-n", "2"]),
    (("tests/core/test_http.py", "-x"), 16, ["-n", "4"]),  # at most four: each starts its own servers
    ((), 1, []),  # one core: no workers to spread over
    (("-n", "0"), 8, []),
    (("-n3",), 8, []),
    (("--numprocesses=2",), 8, []),
    (("-p", "no:xdist"), 8, []),
])
def test_the_suite_runs_on_one_worker_per_core_unless_told(monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
                                                          cpus: int, expected: list[str]) -> None:
    from core import cli

    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    assert cli.parallel(args) == expected

"""``manage.py plugins new``: the distribution it writes lints, type-checks, loads, migrates, answers, tests green."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager

from core import db, migrations, scaffold
from core.hooks import hookspecs
from core.hooks.manager import PluginsFile, build, discover
from core.settings import ROOT

NAME = "scaf_demo"  # an underscore, to check every derived name
PACKAGE = "sbor_scaf_demo"
DIST = "sbor-scaf-demo"
URL = f"/api/v1/{NAME}"
MODULES = ["plugin", "tables", "piccolo_app", "schemas", "services", "routes", "hookspecs"]

# Deliberate mistakes against core's and Piccolo's types: mypy must see them (core ships py.typed), so the plugin is
# really checked against core rather than against an `Any` standing in for a module it could not find.
PROBE = f'''"""Not part of the plugin: type errors mypy must report."""

from __future__ import annotations

from core import hooks
from core.hooks import plugin_settings

from {PACKAGE} import ScafDemoSettings, hookspecs
from {PACKAGE}.tables import ScafDemo


async def probe(row: ScafDemo) -> tuple[str, str]:
    """Wrong on purpose."""
    await hooks.notify(hookspecs.{NAME}_created, {NAME}_id="7", owner_id=1)
    return row.id, plugin_settings(ScafDemoSettings).max_per_user
'''


def run(*args: str, cwd: Path, env: dict[str, str] | None = None,
        base: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ if base is None else base)
    return subprocess.run(args, cwd=cwd, env={**environ, **(env or {})}, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory):
    """The distribution ``plugins new`` writes, run as an author runs it (the project's CLI in a subprocess)."""
    target = tmp_path_factory.mktemp("author") / DIST
    out = run(sys.executable, "-m", "core.cli", "plugins", "new", NAME, "--dir", str(target), cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "next steps" in out.stdout and "pip install -e ." in out.stdout and "migrate" in out.stdout
    yield target
    for mod in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[mod]


@pytest.fixture(scope="module")
def site(dist: Path) -> Path:
    """What ``pip install -e`` leaves behind that discovery reads: a dist-info with the entry point (pip is slow)."""
    site = dist.parent / "site"
    info = site / f"{PACKAGE}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[sbor.plugins]\n{NAME} = {PACKAGE}\n")
    return site


@pytest.fixture
def installed(dist: Path, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin importable and found through its entry point, for one test (undone afterwards)."""
    monkeypatch.syspath_prepend(str(dist))
    monkeypatch.syspath_prepend(str(site))
    loader = sys.modules[discover.__module__]
    only = getattr(loader, "DISCOVERY_FILTER", None)
    if only is not None:  # SBOR_TEST_PLUGINS=… narrows discovery; this plugin is installed for the test anyway
        monkeypatch.setattr(loader, "DISCOVERY_FILTER", {*only, NAME})


def _lint_and_type_check(dist: Path, base: dict[str, str]) -> dict[str, subprocess.CompletedProcess[str]]:
    lint = run(sys.executable, "-m", "ruff", "check", "--no-cache", ".", cwd=dist, base=base)
    probe = dist / PACKAGE / "_probe.py"
    probe.write_text(PROBE)
    try:
        # PYTHONPATH: the project's venv installs core editable through an import hook that mypy cannot follow.
        types = run(sys.executable, "-m", "mypy", "--cache-dir", str(dist.parent / "mypy_cache"), cwd=dist,
                    env={"PYTHONPATH": str(ROOT)}, base=base)
        return {"ruff": lint, "mypy": types}
    finally:
        probe.unlink()


def _author_pytest(dist: Path, site: Path, base: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The author's `pytest` in the distribution: core.testing makes its own database with core and this plugin.
    env = {"PYTHONPATH": os.pathsep.join([str(site), str(dist)]), "SBOR_TEST_PLUGINS": NAME}
    return run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=dist, env=env, base=base)


@pytest.fixture(scope="module", autouse=True)
def tools(dist: Path, site: Path) -> Iterator[dict[str, Future[Any]]]:
    """ruff + mypy, and the generated tests: started in the background first, while the in-process tests run."""
    base = dict(os.environ)  # taken here: the session's fixtures change os.environ while the threads start processes
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {"checks": pool.submit(_lint_and_type_check, dist, base), "pytest": pool.submit(_author_pytest, dist,
                                                                                             site, base)}


def test_new_writes_a_complete_distribution(dist: Path) -> None:
    present = {p.relative_to(dist).as_posix() for p in dist.rglob("*") if "__pycache__" not in p.parts and p.is_file()}
    expected = {"pyproject.toml", "README.md", ".gitignore", f"tests/test_{NAME}.py", f"{PACKAGE}/py.typed",
                f"{PACKAGE}/__init__.py", f"{PACKAGE}/piccolo_migrations/__init__.py",
                *(f"{PACKAGE}/{m}.py" for m in MODULES)}
    assert expected <= present
    for path in sorted(p for p in present if not p.endswith("_probe.py")):  # the probe: see the mypy test
        assert "{{" not in (dist / path).read_text(), f"{path}: a placeholder was left"

    migrations = sorted((dist / PACKAGE / "piccolo_migrations").glob(f"{NAME}_*.py"))
    assert len(migrations) == 1, "Piccolo generated the initial migration"
    text = migrations[0].read_text()
    assert f'app_name="{NAME}"' in text and f'constraint_name="{NAME}_owner_title_key"' in text

    project = tomllib.loads((dist / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["sbor.plugins"] == {NAME: PACKAGE}
    assert any(d.startswith("sbor>=") for d in project["project"]["dependencies"])
    pytest_ini = project["tool"]["pytest"]["ini_options"]
    assert "-p core.testing" in pytest_ini["addopts"] and "--strict-markers" in pytest_ini["addopts"]
    assert pytest_ini["filterwarnings"][0] == "error" and pytest_ini["asyncio_mode"] == "auto"
    assert project["tool"]["mypy"]["strict"] is True
    assert "ignore_missing_imports" not in project["tool"]["mypy"], "a core mypy cannot find must be an error"

    readme = (dist / "README.md").read_text()
    assert "-p core.testing" in readme and "clock.advance(timedelta(minutes=16))" in readme
    assert "clock.advance(timedelta(minutes=16))" in (dist / "tests" / f"test_{NAME}.py").read_text()


def test_names_are_checked_and_nothing_is_overwritten(dist: Path, tmp_path: Path) -> None:
    assert scaffold.Names.of("check_in").values()["Class"] == "CheckIn"
    for bad in ("Checkin", "9lives", "check-in", "x" * 41, ""):
        with pytest.raises(scaffold.ScaffoldError, match="must match"):
            scaffold.Names.of(bad)
    for clash, why in (("page", "shadow an import"), ("none", "invalid Python"), ("skip", "pytest's markers")):
        with pytest.raises(scaffold.ScaffoldError, match=why):
            scaffold.files(scaffold.Names.of(clash))
    readme = (dist / "README.md").read_text()
    with pytest.raises(scaffold.ScaffoldError, match="not empty"):
        scaffold.create(NAME, dist)
    assert (dist / "README.md").read_text() == readme

    out = run(sys.executable, "-m", "core.cli", "plugins", "new", "users", "--dir", str(tmp_path / "x"), cwd=ROOT)
    assert out.returncode == 2 and "already provided" in out.stderr, out.stderr
    assert not (tmp_path / "x").exists()


def test_modules_import_and_the_manifest_is_discovered(installed: None) -> None:
    for module in MODULES:
        importlib.import_module(f"{PACKAGE}.{module}")
    info = discover()[NAME]
    assert info.source == f"distribution {DIST} 0.1.0"
    assert info.manifest.settings is not None and info.manifest.settings.__name__ == "ScafDemoSettings"
    registry = build(PluginsFile(enabled=[NAME], settings={NAME: {"max_per_user": 5}}))
    assert registry.names[-1] == NAME
    assert [p for p, _ in registry.hooks.collect(hookspecs.register_routes) if p == NAME] == [NAME]


async def test_migration_applies_and_the_routes_answer(installed, sbor_database, make_client, make_user,
                                                        auth_headers) -> None:
    registry = build(PluginsFile(enabled=[NAME]))
    try:
        ran = await migrations.migrate(registry)
        assert [m.plugin for m in ran] == [NAME]
        app = dict(migrations.piccolo_apps(registry))[NAME]
        alter = await AutoMigrationManager(auto_input="n").get_alter_statements(app_config=app)
        assert [s for group in alter for s in group.statements] == [], "the contract test's check: up to date"
        constraints = await db.fetch(
            "SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'u'", f"{NAME}.{NAME}"
        )
        assert constraints == [{"conname": f"{NAME}_owner_title_key"}]

        client = await make_client([NAME])
        headers = await auth_headers(await make_user())
        assert (await client.get(URL)).status_code == 401
        created = await client.post(URL, json={"title": "One"}, headers=headers)
        assert created.status_code == 201, created.text
        again = await client.post(URL, json={"title": "One"}, headers=headers)
        assert again.status_code == 409 and again.json()["code"] == "already_exists"
        bad = await client.post(URL, json={"title": ""}, headers=headers)
        assert bad.status_code == 422 and bad.json()["code"] == "validation_failed"
        page = (await client.get(URL, params={"limit": 1}, headers=headers)).json()
        assert page == {"items": [created.json()], "next_cursor": None}
        r = await client.get(URL, params={"cursor": "v1.x.y"}, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    finally:
        await migrations.drop_plugin_schema(NAME, [NAME])  # leave the session's database as the other tests expect it


def test_generated_code_passes_ruff_and_mypy_against_cores_types(tools: dict[str, Future[Any]]) -> None:
    checks = tools["checks"].result()
    lint, types = checks["ruff"], checks["mypy"]
    assert lint.returncode == 0, lint.stdout
    errors = [line for line in types.stdout.splitlines() if ": error:" in line]
    assert errors and all(line.startswith(f"{PACKAGE}/_probe.py") for line in errors), types.stdout
    assert any('"notify" has incompatible type "str"; expected "int"' in e for e in errors), types.stdout
    assert len(errors) == 2, types.stdout  # row.id and the setting are ints


def test_the_generated_tests_pass_out_of_the_box(tools: dict[str, Future[Any]]) -> None:
    out = tools["pytest"].result()
    assert out.returncode == 0, out.stdout[-3000:]  # 0 also means tests were collected (none would be 5)
    assert " passed" in out.stdout and "skipped" not in out.stdout, out.stdout[-500:]

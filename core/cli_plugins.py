"""``manage.py plugins …``: list, plan, enable, disable, uninstall, and ``new`` for plugin authors."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from pathlib import Path
from typing import Any

import click

from core import db, migrations
from core.errors import ConfigError
from core.hooks.manager import (
    PluginsFile,
    build,
    discover,
    read_plugins_file,
    resolve,
    with_dependencies,
    write_enabled,
)
from core.manifest import redact
from core.settings import get_settings


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    raise SystemExit(2)


def _file() -> PluginsFile:
    try:
        return read_plugins_file(get_settings().plugins_path)
    except ConfigError as exc:
        _fail(str(exc))
        raise


@click.group()
def plugins() -> None:
    """Inspect and choose the plugins this deployment runs."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_(as_json: bool) -> None:
    """Every installed plugin: name, version, enabled, depends, source (settings with secrets masked)."""
    pf = _file()
    try:
        available = discover()
        enabled = {i.name for i in resolve(available, pf.enabled)}
    except ConfigError as exc:
        _fail(str(exc))
        return
    rows: list[dict[str, Any]] = []
    for name, info in sorted(available.items()):
        settings = {}
        if info.manifest.settings is not None:
            try:
                from core.hooks.manager import validate_settings

                settings = redact(validate_settings(info, pf.settings.get(name, {})))
            except ConfigError as exc:
                settings = {"error": str(exc)}
        rows.append({
            "name": name,
            "version": info.manifest.version,
            "enabled": name in enabled,
            "depends": dict(info.manifest.depends),
            "source": info.source,
            "summary": info.manifest.summary,
            "settings": settings,
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'name':<14} {'version':<9} {'enabled':<8} {'source':<28} depends")
    for r in rows:
        deps = ", ".join(f"{k} {v}" for k, v in r["depends"].items()) or "-"
        click.echo(f"{r['name']:<14} {r['version']:<9} {'yes' if r['enabled'] else 'no':<8} {r['source']:<28} {deps}")
        if r["settings"]:
            click.echo(f"{'':<14} settings: {json.dumps(r['settings'])}")


@plugins.command()
def plan() -> None:
    """The resolved load order, migration order, and for each hook the order of its implementations."""
    try:
        registry = build(_file())
    except ConfigError as exc:
        _fail(str(exc))
        return
    click.echo("Load order:")
    for i, p in enumerate(registry.plugins, 1):
        click.echo(f"  {i}. {p.name} {p.info.manifest.version} ({p.info.source})")
    click.echo("Migration order:")
    for plugin, app in migrations.piccolo_apps(registry):
        click.echo(f"  {plugin} (app {app.app_name}, schema {plugin})")
    click.echo("Hooks:")
    for name in sorted(n for n in dir(registry.pm.hook) if not n.startswith("_")):
        impls = registry.hooks.implementations(name)
        if impls:
            click.echo(f"  {name}: {' → '.join(i.plugin_name for i in impls)}")


@plugins.command()
def hooks() -> None:
    """Print the hooks reference (Markdown) for every installed plugin: ``> docs/hooks.md``."""
    from core.hooks.docs import markdown

    try:
        registry = build(PluginsFile(enabled=sorted(n for n, i in discover().items() if i.source != "core")))
    except ConfigError as exc:
        _fail(str(exc))
        return
    click.echo(markdown(registry), nl=False)


@plugins.command()
@click.argument("names", nargs=-1, required=True)
def enable(names: tuple[str, ...]) -> None:
    """Enable plugins (and what they depend on) in plugins.toml."""
    pf = _file()
    try:
        wanted = with_dependencies(discover(), names)
    except ConfigError as exc:
        _fail(str(exc))
        return
    added = [n for n in wanted if n not in pf.enabled]
    pulled = [n for n in added if n not in names]
    if pulled:
        click.echo(f"also enabling dependencies: {', '.join(pulled)}")
    write_enabled(get_settings().plugins_path, [*pf.enabled, *added])
    click.echo(f"enabled: {', '.join(added) if added else 'nothing new'} (restart to apply; run manage.py migrate)")


@plugins.command()
@click.argument("names", nargs=-1, required=True)
def disable(names: tuple[str, ...]) -> None:
    """Disable plugins in plugins.toml (their data stays; routes, jobs and admin pages go)."""
    pf = _file()
    available = discover()
    for name in names:
        if name not in available:
            _fail(f"plugin {name!r}: unknown")
    remaining = [n for n in pf.enabled if n not in names]
    for other in remaining:
        needs = set(available[other].manifest.depends) & set(names) if other in available else set()
        if needs:
            _fail(f"plugin {sorted(needs)[0]!r}: plugin {other!r} depends on it; disable {other!r} first")
    write_enabled(get_settings().plugins_path, remaining)
    click.echo(f"disabled: {', '.join(names)} (data kept; restart to apply)")


@plugins.command()
@click.argument("name")
@click.option("--yes", is_flag=True, help="Really drop the plugin's schema and data.")
def uninstall(name: str, yes: bool) -> None:
    """Drop a plugin's schema and data. Without --yes only print what would be dropped."""
    pf = _file()
    available = discover()
    if name not in available:
        _fail(f"plugin {name!r}: unknown")
    if available[name].source == "core":
        _fail(f"plugin {name!r}: part of core; it cannot be uninstalled")
    try:
        enabled = [i.name for i in resolve(available, pf.enabled)]
    except ConfigError as exc:
        _fail(str(exc))
        return
    dependents = [n for n in enabled if name in available[n].manifest.depends]
    if dependents:
        _fail(f"plugin {name!r}: enabled plugin {dependents[0]!r} depends on it; disable {dependents[0]!r} first")
    installed_dependents = sorted(n for n, i in available.items() if name in i.manifest.depends)
    from core import services

    settings = get_settings()
    svc = services.start(settings) if not settings.database.url else None

    async def go() -> None:
        try:
            for other in installed_dependents:
                # Dropping with CASCADE would silently cut the foreign keys of a disabled dependent's tables.
                if await migrations.schema_report(other):
                    _fail(f"plugin {name!r}: plugin {other!r} depends on it and still has tables; "
                          f"uninstall {other!r} first")
            report = await migrations.schema_report(name)
            if not report:
                click.echo(f"plugin {name!r} has no tables in schema {name!r}: nothing to drop")
            for table, count in report:
                click.echo(f"{'dropping' if yes else 'would drop'} {name}.{table} ({count} rows)")
            if yes:
                registry = build(PluginsFile(enabled=with_dependencies(available, [name])), available)
                apps = [app.app_name for plugin, app in migrations.piccolo_apps(registry) if plugin == name]
                await migrations.drop_plugin_schema(name, apps)
                if name in pf.enabled:
                    write_enabled(settings.plugins_path, [n for n in pf.enabled if n != name])
                click.echo(f"uninstalled {name}: schema dropped")
            elif report:
                click.echo("run again with --yes to drop")
        finally:
            await db.close_pool()

    try:
        asyncio.run(go())
    finally:
        if svc is not None:
            svc.stop()


def _invocation_dir() -> Path:
    """The directory the operator ran ``manage.py`` from (it changes into the project before handing over)."""
    shell = os.environ.get("PWD")
    return Path(shell) if shell and Path(shell).is_dir() else Path.cwd()


@plugins.command("new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None,
              help="Where to write the distribution (default: ./sbor-NAME); must be new or empty.")
def new(name: str, directory: Path | None) -> None:
    """Write a new third-party plugin distribution: manifest, table, migration, routes, tests, tool settings."""
    import site
    import sys

    from core import scaffold
    from core.settings import ROOT

    try:
        names = scaffold.Names.of(name)
    except scaffold.ScaffoldError as exc:
        _fail(str(exc))
        return
    with contextlib.suppress(ConfigError):  # a broken plugin elsewhere must not stop a new one
        taken = discover().get(name)
        if taken is not None:
            _fail(f"plugin {name!r}: already provided ({taken.source}); choose another name")
    target = (_invocation_dir() / (directory or Path(names.dist))).resolve()
    try:
        written = scaffold.create(name, target)
    except scaffold.ScaffoldError as exc:
        _fail(str(exc))
        return
    python = sys.executable
    core_home = ROOT.resolve()
    # mypy cannot see through setuptools' editable import hook; point it at core when core is not in site-packages.
    mypy_env = "" if str(core_home) in site.getsitepackages() else f"PYTHONPATH={core_home} "
    click.echo(f"created plugin {name!r} in {target} ({len(written)} files; initial migration generated)")
    click.echo("next steps:")
    for line in (
        f"cd {target}",
        f"{python} -m pip install -e .          # Sbor finds the plugin through its entry point",
        f"python3 {core_home / 'manage.py'} plugins enable {name}",
        f"python3 {core_home / 'manage.py'} migrate",
        f"{python} -m pytest                    # or: python3 {core_home / 'manage.py'} test {target}",
        f"{python} -m ruff check . && {mypy_env}{python} -m mypy",
    ):
        click.echo(f"  {line}")
    click.echo("README.md explains the files, the fixtures (clock and token expiry) and type checking.")

"""``manage.py`` commands (in the project's venv): run, test, worker, migrate, check, plugins, openapi, bench."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

import click

from core import db, logs, migrations
from core.errors import ConfigError
from core.hooks import hookspecs
from core.http.context import origin
from core.settings import ROOT, get_settings, reload


def fail(message: str) -> None:
    """Stop with one clear line."""
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(2)


def _registry(enabled: list[str] | None = None) -> Any:
    from core.hooks.manager import load

    try:
        return load(get_settings(), enabled=enabled)
    except ConfigError as exc:
        fail(str(exc))


def _services() -> Any:
    from core import services

    try:
        return services.start(get_settings())
    except ConfigError as exc:
        fail(str(exc))


def _embedded(registry: Any) -> tuple[Any, Any]:
    """Start the enabled plugins' embedded servers the settings do not configure; the registry re-read after."""
    from core import embedded

    try:
        servers = [s for _plugin, s in registry.hooks.collect(hookspecs.register_embedded_servers)]
        started = embedded.start_missing(servers, get_settings().var_path)
    except ConfigError as exc:
        fail(str(exc))
    return (_registry() if started.running else registry), started


async def _migrate(registry: Any, dry_run: bool = False) -> list[Any]:
    try:
        if dry_run:
            return await migrations.pending_migrations(registry)
        return await migrations.migrate(registry)
    finally:
        await db.close_pool()


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Sbor: a pluggable platform for real-world events."""
    try:
        settings = get_settings()
    except ConfigError as exc:
        fail(str(exc))
    logs.setup(settings.log_level, settings.log_json)
    # What the command does is recorded as coming from the command line (core.audit), until the command ends: run
    # in-process (click's CliRunner in a test), "cli" must not stay the origin of whatever runs next.
    token = origin.set("cli")
    ctx.call_on_close(lambda: origin.reset(token))


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default: settings http.host).")
@click.option("--port", default=None, type=int, help="Port (default: settings http.port).")
@click.option("--no-worker", is_flag=True, help="Do not start the background workers.")
@click.option("--workers", "web_workers", default=1, show_default=True, help="API processes.")
def run(host: str | None, port: int | None, no_worker: bool, web_workers: int) -> None:
    """Start embedded services if needed, migrate, and serve the API with its background workers."""
    import uvicorn

    started = time.monotonic()
    svc = _services()
    registry, servers = _embedded(_registry())
    ran = asyncio.run(_migrate(registry))
    settings = get_settings()
    host = host or settings.http.host
    port = port or settings.http.port
    worker = None
    if not no_worker:
        worker = subprocess.Popen([sys.executable, "-m", "core.cli", "worker"],
                                  env={**os.environ, "SBOR_WORKER_PARENT_PID": str(os.getpid())})
    base = f"http://{host}:{port}"
    click.echo(f"Sbor {registry.names and 'plugins: ' + ', '.join(registry.names)}")
    click.echo(f"  API        {base}/api/v1")
    click.echo(f"  OpenAPI    {base}/schema  (JSON: {base}/schema/openapi.json)")
    if registry.is_enabled("admin"):
        click.echo(f"  Admin      {base}/admin")
    click.echo(f"  Health     {base}/health")
    click.echo(f"  Database   {svc.database_label}")
    click.echo(f"  Redis      {svc.redis_label}")
    for name, server in servers.running.items():
        click.echo(f"  {name:<10} {server.label}")
    click.echo(f"  Migrations {len(ran)} applied")
    click.echo(f"  Workers    {'not started (--no-worker)' if no_worker else 'started (manage.py worker)'}")
    click.echo(f"  Ready in   {time.monotonic() - started:.1f} s")
    metrics_dir = _metrics_processes(web_workers)  # after the worker started: it serves no /metrics
    # uvicorn re-raises SIGTERM after its graceful shutdown; turn it into SystemExit so the embedded services stop.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.run("core.app:asgi", factory=True, host=host, port=port, workers=web_workers,
                    log_level=settings.log_level.lower(), access_log=False)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
        servers.stop()
        svc.stop()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _metrics_processes(web_workers: int) -> Any:
    """Several API processes on one port: their metrics added up through a fresh ``PROMETHEUS_MULTIPROC_DIR``."""
    from core.observability.process import prepare_multiprocess

    path = prepare_multiprocess(web_workers, get_settings(), os.environ)
    if path is not None:
        click.echo(f"  Metrics    {web_workers} processes add up in {path} (PROMETHEUS_MULTIPROC_DIR)")
    return path


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def test(pytest_args: tuple[str, ...]) -> None:
    """Start embedded services if needed and run the whole test suite on parallel workers (arguments go to pytest)."""
    svc = _services()
    env = os.environ.copy()
    env.setdefault("SBOR_ENV", "test")
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        code = subprocess.call([sys.executable, "-m", "pytest", *parallel(pytest_args), *pytest_args], cwd=ROOT,
                               env=env)
    finally:
        svc.stop()
    sys.exit(code)


TEST_WORKERS_MAX = 4  # each worker has its own database, Redis namespace and embedded servers (search, S3)


def parallel(pytest_args: tuple[str, ...]) -> list[str]:
    """pytest-xdist's ``-n`` for one worker per core (at most :data:`TEST_WORKERS_MAX`), unless the caller chose.

    ``manage.py test -n 0`` runs in one process; any ``-n``/``--numprocesses`` or ``-p no:xdist`` given is kept.
    """
    chosen = any(a in ("-n", "--numprocesses", "no:xdist") or a.startswith(("-n", "--numprocesses=", "-pno:xdist"))
                 for a in pytest_args)
    workers = min(os.cpu_count() or 1, TEST_WORKERS_MAX)
    return [] if chosen or workers < 2 else ["-n", str(workers)]


@main.command()
@click.option("--processes", default=None, type=int, help="Worker processes (default: settings jobs.processes).")
@click.option("--threads", default=None, type=int, help="Threads per process (default: settings jobs.threads).")
@click.option("--no-scheduler", is_flag=True, help="Do not run the periodic scheduler in this worker.")
def worker(processes: int | None, threads: int | None, no_scheduler: bool) -> None:
    """Run Dramatiq workers for the enabled plugins' jobs, and the periodic scheduler."""
    from core.worker import run_workers

    settings = get_settings()
    if not settings.database.url or not settings.redis.url:
        _services()
    _registry()
    run_workers(processes or settings.jobs.processes, threads or settings.jobs.threads, not no_scheduler)


@main.command()
@click.option("--dry-run", is_flag=True, help="Print what would be applied; change nothing.")
def migrate(dry_run: bool) -> None:
    """Apply the migrations of every enabled plugin, in dependency order (idempotent)."""
    settings = get_settings()
    if not settings.database.url or not settings.redis.url:
        _services()
    registry = _registry()
    todo = asyncio.run(_migrate(registry, dry_run))
    verb = "would apply" if dry_run else "applied"
    for m in todo:
        click.echo(f"{verb} {m.plugin}: {m.migration_id}")
    click.echo(f"{len(todo)} migration(s) {verb}" if todo else "nothing to do: the database is up to date")


@main.command()
@click.option("--deploy", is_flag=True, help="Also check what a production deployment must not run with.")
def check(deploy: bool) -> None:
    """Check the settings and enabled plugins; --deploy adds the production checks (exit 1 on any finding)."""
    from core import deploy_check

    registry = _registry()
    if not deploy:
        click.echo(f"settings and {len(registry.names)} plugin(s): OK (--deploy for the production checks)")
        return
    findings = asyncio.run(deploy_check.run(get_settings(), registry))
    for finding in findings:
        click.echo(str(finding))
    click.echo(f"{len(findings)} issue(s) found" if findings else "no issues found", err=True)
    sys.exit(1 if findings else 0)


@main.command()
def openapi() -> None:
    """Print the OpenAPI document (JSON) for client generation."""
    from core.app import create_app

    if not get_settings().redis.url:
        os.environ["SBOR_REDIS_URL"] = "redis://127.0.0.1:6379/0"  # never contacted: the schema needs no service
        reload()
    app = create_app(_registry())
    click.echo(json.dumps(app.openapi_schema.to_schema(), indent=2, sort_keys=True))


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(name: str, args: tuple[str, ...]) -> None:
    """Run ``bench/NAME.py`` against the same set-up; it prints figures and ends with one JSON line."""
    path = ROOT / "bench" / f"{name}.py"
    if not path.exists():
        available = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if not p.stem.startswith("_"))
        fail(f"no benchmark {name!r}; available: {', '.join(available) or 'none'}")
    svc = _services()
    _, servers = _embedded(_registry())
    try:
        code = subprocess.call([sys.executable, str(path), *args], cwd=ROOT, env=os.environ.copy())
    finally:
        servers.stop()
        svc.stop()
    sys.exit(code)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def piccolo(args: tuple[str, ...]) -> None:
    """Piccolo's own CLI with Sbor's configuration (``manage.py piccolo migrations new events --auto --desc=x``)."""
    settings = get_settings()
    if not settings.database.url or not settings.redis.url:
        _services()
    env = {**os.environ, "PICCOLO_CONF": "core.piccolo_conf"}
    sys.exit(subprocess.call([sys.executable, "-m", "piccolo.main", *args], cwd=ROOT, env=env))


from core.cli_plugins import plugins  # noqa: E402  (the group lives in its own module to keep this one small)

main.add_command(plugins)

from core.cli_i18n import i18n_group  # noqa: E402

main.add_command(i18n_group)


def _add_plugin_commands() -> None:
    """Add the enabled plugins' commands (``register_cli_commands``) as ``manage.py <command>``."""
    from core.hooks.manager import load

    try:
        registry = load(get_settings())
    except ConfigError:
        return  # reported by the command that needs the plugins
    for _plugin, command in registry.hooks.collect(hookspecs.register_cli_commands):
        if command.name not in main.commands:
            main.add_command(command)


def entry() -> None:
    """Console entry point: core's commands plus the enabled plugins' ones."""
    _add_plugin_commands()
    main()


if __name__ == "__main__":
    entry()

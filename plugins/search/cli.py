"""``manage.py search …``: reindex (progress bar; a new collection, then the alias swapped), check, apply."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

T = TypeVar("T")


@contextmanager
def _services() -> Iterator[None]:
    """The database, Redis and the embedded servers as ``manage.py run`` would have them."""
    from core import embedded, services
    from core.hooks import hookspecs
    from core.hooks.manager import load
    from core.settings import get_settings

    svc = services.start(get_settings())
    registry = load()
    started = embedded.start_missing([s for _p, s in registry.hooks.collect(hookspecs.register_embedded_servers)],
                                     get_settings().var_path)
    if started.running:
        load()
    try:
        yield
    finally:
        started.stop()
        svc.stop()


def _run(work: Callable[[], Awaitable[T]]) -> T:
    from core import db

    async def main() -> T:
        await db.start_pool()
        try:
            return await work()
        finally:
            await db.close_pool()

    with _services():
        return asyncio.run(main())


@click.group("search")
def search() -> None:
    """Search indexes: reindex, check and apply the outbox."""


@search.command()
@click.option("--target", type=click.Choice(["active", "postgres", "typesense", "all"]), default="active",
              show_default=True, help="Which index to rebuild (active: the configured backend's).")
def reindex(target: str) -> None:
    """Rebuild an index from the source; searches keep answering from the old one until the swap."""
    from plugins.events import api as events
    from plugins.search import reindex as rebuild
    from plugins.search.backends import registry

    async def work() -> list[Any]:
        chosen = {"active": [registry.active().name], "all": registry.targets()}.get(target, [target])
        reports = []
        for t in chosen:
            total = await events.listed_event_count()
            with click.progressbar(length=total, label=f"reindex {t}", file=sys.stderr) as bar:
                reports.append(await rebuild.reindex(t, bar.update))
        return reports

    for r in _run(work):
        swapped = f" (collection {r.collection}, replaced {r.replaced or 'nothing'})" if r.collection else ""
        click.echo(f"{r.target}: {r.events} events, {r.directory} groups/venues/organisers{swapped}")


@search.command()
@click.option("--sample", default=200, show_default=True, help="How many random events to look up in each index.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(sample: int, as_json: bool) -> None:
    """Compare each index's count and a random sample with PostgreSQL; exit 1 when they disagree."""
    from plugins.search import reindex as rebuild

    report = _run(lambda: rebuild.check(sample))
    if as_json:
        click.echo(json.dumps({"ok": report.ok, "source": report.source, "indexed": report.indexed,
                               "backlog": report.backlog, "missing": report.missing, "errors": report.errors}))
    else:
        click.echo(f"source (events listed): {report.source}")
        for t, n in report.indexed.items():
            click.echo(f"{t}: {n} indexed, {report.backlog.get(t, 0)} waiting, "
                       f"{len(report.missing.get(t, []))} of the sample missing {report.missing.get(t, [])[:10]}")
        for t, e in report.errors.items():
            click.echo(f"{t}: error {e}")
        click.echo("ok" if report.ok else "MISMATCH: run `manage.py search reindex`")
    sys.exit(0 if report.ok else 1)


@search.command()
def apply() -> None:
    """Apply the waiting changes now (the ``search.apply`` job does it every second)."""
    from plugins.search import indexer

    click.echo(json.dumps(_run(lambda: indexer.apply(budget_s=600.0))))

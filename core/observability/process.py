"""Observability of a process (API or worker), set up once from the settings: metrics switch, Sentry, tracing."""

from __future__ import annotations

import shutil
from collections.abc import MutableMapping
from pathlib import Path

from core.observability import counters, sentry, tracing
from core.settings import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
MULTIPROC_DIR = "prometheus-multiproc"  # under var/: one directory, emptied by every `manage.py run --workers N`


def setup_process(settings: Settings) -> None:
    """Once per process (API or worker): error reports, tracing and the metrics switch, from the settings."""
    counters.ENABLED = settings.observability.metrics_enabled
    sentry.configure(settings)
    tracing.configure(settings.observability)


def prepare_multiprocess(api_processes: int, settings: Settings, environ: MutableMapping[str, str]) -> Path | None:
    """Before N API processes share one port: ``PROMETHEUS_MULTIPROC_DIR`` set to a fresh, empty ``var/`` directory.

    Called by ``manage.py run --workers N`` before the server starts its processes (they inherit ``environ``), so a
    scrape answered by any one of them adds up all of them. Files left by an earlier run would be counted again (and
    dead processes' gauges kept), hence emptied. Nothing is done for one process, with metrics off, or when the
    operator set the variable (their directory, theirs to wipe). Returns the directory it prepared, if any.
    """
    if api_processes <= 1 or not settings.observability.metrics_enabled or environ.get(MULTIPROC_ENV):
        return None
    path = settings.var_path / MULTIPROC_DIR
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    environ[MULTIPROC_ENV] = str(path)
    return path

"""Servers a plugin needs that a package can provide (SeaweedFS for S3, Typesense), started on loopback under var/.

A plugin declares each through ``register_embedded_servers``. When the operator configured a real one (the plugin's
settings name its URL), nothing starts. Otherwise ``manage.py run``/``worker``/``bench`` and the test suite start it
on free loopback ports, wait until it answers, and export its settings (``SBOR_PLUGINS__<PLUGIN>__<KEY>``) to this
process and its children before the plugins' settings are read. It stops when the process that started it exits.

A plugin's ``start`` uses the helpers here: :func:`free_port`, :func:`spawn`, :func:`wait_for`, :func:`stop_process`.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError

log = logging.getLogger("core.embedded")


@dataclass
class Running:
    """A started server: the settings that point at it, a label for people, and how to stop it."""

    env: dict[str, str]
    label: str
    stop: Callable[[], None]


@dataclass(frozen=True)
class EmbeddedServer:
    """A server a plugin can run itself when the operator configured none.

    ``configured()`` says whether the plugin's settings already name a real server (then it is not started);
    ``start(directory)`` starts it with its data under ``directory`` and returns once it answers.
    """

    name: str
    configured: Callable[[], bool]
    start: Callable[[Path], Running]


@dataclass
class Started:
    """The embedded servers this process started (stopped together, in reverse order)."""

    running: dict[str, Running] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop every server this process started; best effort (the OS reaps what remains)."""
        for name, server in reversed(list(self.running.items())):
            try:
                server.stop()
            except Exception as exc:
                log.warning("could not stop embedded %s: %s", name, exc)
        self.running.clear()


def start_missing(servers: Iterable[EmbeddedServer], var: Path) -> Started:
    """Start each server not configured, under ``var/<name>/``, and export its settings (then reload settings)."""
    from core.settings import reload

    started = Started()
    try:
        for server in servers:
            if server.configured():
                continue
            directory = var / server.name
            directory.mkdir(parents=True, exist_ok=True)
            running = server.start(directory)
            os.environ.update(running.env)
            started.running[server.name] = running
            log.info("started embedded %s: %s", server.name, running.label)
    except BaseException:
        started.stop()
        raise
    if started.running:
        reload()
    return started


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the server binds it right after; a clash fails its start loudly)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(argv: Sequence[str], directory: Path, log_name: str = "server.log") -> subprocess.Popen[bytes]:
    """Start a server process in its own process group, its output in ``directory/log_name``."""
    with open(directory / log_name, "ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(list(argv), cwd=directory, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def wait_for(check: Callable[[], bool], what: str, *, timeout_s: float = 30.0,
             process: subprocess.Popen[bytes] | None = None, log_file: Path | None = None) -> None:
    """Poll ``check`` until it is true; ConfigError with the server's last log lines if it exits or times out."""
    deadline = time.monotonic() + timeout_s
    delay = 0.02
    while True:
        try:
            if check():
                return
        except Exception as exc:  # not answering yet
            log.debug("embedded %s not ready: %s", what, exc)
        exited = process is not None and process.poll() is not None
        if exited or time.monotonic() > deadline:
            tail = ""
            if log_file is not None and log_file.exists():
                tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-20:])
            state = f"exited with {process.returncode}" if exited and process else f"not ready in {timeout_s:.0f} s"
            raise ConfigError(f"embedded {what} {state}" + (f":\n{tail}" if tail else ""))
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 5.0) -> None:
    """SIGTERM the server's process group, wait, then SIGKILL what is left."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)
    except ProcessLookupError:
        pass

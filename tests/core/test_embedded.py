"""Embedded servers: started when not configured, their settings exported, stopped; a failing start says why."""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

import pytest

from core import embedded
from core.errors import ConfigError


def _http_server(directory: Path) -> embedded.Running:
    """A real server process (Python's http.server) started the way a plugin starts SeaweedFS or Typesense."""
    port = embedded.free_port()
    proc = embedded.spawn([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], directory)
    url = f"http://127.0.0.1:{port}"
    embedded.wait_for(lambda: urllib.request.urlopen(url, timeout=1).status == 200, "http.server", process=proc,
                      log_file=directory / "server.log")
    return embedded.Running({"SBOR_PLUGINS__DEMO__URL": url}, f"demo on {url}", lambda: embedded.stop_process(proc))


def test_an_unconfigured_server_starts_exports_its_settings_and_stops(tmp_path: Path) -> None:
    given = embedded.EmbeddedServer("demo", configured=lambda: False, start=_http_server)
    skipped = embedded.EmbeddedServer("other", configured=lambda: True, start=lambda d: pytest.fail("started"))
    started = embedded.start_missing([given, skipped], tmp_path)
    try:
        assert list(started.running) == ["demo"]
        url = os.environ["SBOR_PLUGINS__DEMO__URL"]
        assert urllib.request.urlopen(url, timeout=2).status == 200
        assert (tmp_path / "demo").is_dir()
    finally:
        started.stop()
        os.environ.pop("SBOR_PLUGINS__DEMO__URL", None)
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def test_a_server_that_exits_fails_with_its_log(tmp_path: Path) -> None:
    def broken(directory: Path) -> embedded.Running:
        proc = embedded.spawn([sys.executable, "-c", "import sys; print('bad flag --x'); sys.exit(3)"], directory)
        embedded.wait_for(lambda: False, "broken", process=proc, log_file=directory / "server.log", timeout_s=10)
        raise AssertionError("unreachable")

    started_first = embedded.EmbeddedServer("demo", configured=lambda: False, start=_http_server)
    with pytest.raises(ConfigError, match=r"embedded broken exited with 3:\nbad flag --x"):
        embedded.start_missing([started_first, embedded.EmbeddedServer("broken", lambda: False, broken)], tmp_path)
    url = os.environ.pop("SBOR_PLUGINS__DEMO__URL")
    with pytest.raises(OSError):  # the one that had started was stopped with the failure: nothing is left running
        urllib.request.urlopen(url, timeout=2)


def test_stop_process_kills_what_ignores_sigterm(tmp_path: Path) -> None:
    code = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); signal.pause()"
    proc = embedded.spawn([sys.executable, "-c", code], tmp_path)
    embedded.wait_for(lambda: "up" in (tmp_path / "server.log").read_text(), "sleeper", process=proc)
    embedded.stop_process(proc, timeout_s=0.5)
    assert proc.returncode is not None and proc.returncode < 0

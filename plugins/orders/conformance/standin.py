"""A real HTTP server on a loopback port, in a thread, for vendor stand-ins: routes, latency and injected failures.

A vendor stand-in subclasses :class:`StandInServer`, declares its routes with :meth:`route` and keeps its state
(orders, menu, tokens) under ``self.lock``. Faults are injected per request, in order: :meth:`fail_next` answers with
an HTTP status (and ``Retry-After``) before the handler runs; :meth:`commit_then_timeout_next` runs the handler (the
vendor commits) and then holds the answer longer than the client waits. ``latency_s`` delays every answer.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

Handler = Callable[["Request"], "Reply"]


@dataclass
class Request:
    """What a handler gets."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        """The body as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    """What a handler answers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] | None = None


@dataclass
class _Fault:
    kind: str  # "status" | "commit_timeout"
    status: int = 500
    retry_after: float | None = None
    hang_s: float = 0.0
    only: str | None = None  # a path pattern the fault applies to (None: the next request)


class _QuietServer(ThreadingHTTPServer):
    """Serves each connection in a daemon thread; a client that hung up (its timeout) is not an error to print."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class StandInServer:
    """A threaded HTTP server answering declared routes, with faults to inject; ``base_url`` once started."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.latency_s = 0.0
        self.requests: list[tuple[str, str]] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: deque[_Fault] = deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- declaring routes and faults ---------------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Answer ``method`` on paths matching ``pattern`` (a regex with named groups) with ``handler``."""
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def fail_next(self, status: int, *, retry_after: float | None = None, times: int = 1,
                  only: str | None = None) -> None:
        """Answer the next ``times`` requests (matching ``only``, a path regex) with ``status`` before handling."""
        with self.lock:
            self._faults.extend(_Fault("status", status, retry_after, only=only) for _ in range(times))

    def commit_then_timeout_next(self, *, hang_s: float = 3.0, times: int = 1, only: str | None = None) -> None:
        """Handle the next ``times`` requests (the vendor commits) and hold their answer for ``hang_s``."""
        with self.lock:
            self._faults.extend(_Fault("commit_timeout", hang_s=hang_s, only=only) for _ in range(times))

    def clear_faults(self) -> None:
        """Forget the faults not used yet."""
        with self.lock:
            self._faults.clear()

    def _fault_for(self, path: str) -> _Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.only is None or re.search(fault.only, path):
                    self._faults.remove(fault)
                    return fault
        return None

    # -- serving -----------------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        """Listen on a free loopback port and serve in a daemon thread."""
        stand_in = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, _query = self.path.partition("?")
                reply = stand_in.dispatch(Request(self.command, path, {}, {k.lower(): v for k, v in
                                                                           self.headers.items()}, body))
                if reply is None:
                    return  # the connection was given up (a timeout the client already saw)
                raw = b"" if reply.body is None else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    for k, v in (reply.headers or {}).items():
                        self.send_header(k, v)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._server = _QuietServer(("127.0.0.1", 0), _Handler)
        # A short poll: stop() waits for the serving loop to notice (the default 0.5 s, paid by every test).
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="pos-stand-in", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (handlers still holding a hung answer are daemon threads and end with the process)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def dispatch(self, request: Request) -> Reply | None:
        """Find the route, apply latency and faults, run the handler."""
        with self.lock:
            self.requests.append((request.method, request.path))
        if self.latency_s:
            time.sleep(self.latency_s)
        fault = self._fault_for(request.path)
        if fault is not None and fault.kind == "status":
            headers = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return Reply(fault.status, {"error": f"injected {fault.status}"}, headers)
        for method, pattern, handler in self._routes:
            found = pattern.match(request.path)
            if method == request.method and found:
                request.params = found.groupdict()
                reply = handler(request)
                if fault is not None and fault.kind == "commit_timeout":
                    time.sleep(fault.hang_s)  # committed; the client gives up waiting first
                return reply
        return Reply(404, {"error": "no such route"})

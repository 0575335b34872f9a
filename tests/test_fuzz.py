"""Schema-driven fuzzing of the whole API, as an attacker and as a mobile client would send it.

Schemathesis generates requests from ``/schema/openapi.json`` (every installed plugin enabled) against a real
uvicorn process on the test database, and checks each answer: no server error, a declared status, the declared
content type, a body matching the declared schema, and invalid input refused. Each generated case is sent twice,
anonymously and as a signed-in user (generation is the costly part, and it is the same for both callers); then the
whole document once more as an administrator, in a pass of its own (what staff may change stays out of the others').
The signed-in user's token must stay valid: the operations that end a session run last, and the test fails if the
token was refused earlier (a signed-in run that fuzzes mostly with a dead token checks only 401s).
The per-address rate limit is off for this run (fuzzing would hit it at once); per-endpoint limits stay and answer
429, which every operation declares. Bounded by ``FUZZ_EXAMPLES`` per operation and mode (valid, invalid).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok

from core.settings import ROOT
from core.testing import all_plugins

pytestmark = pytest.mark.slow

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES_PER_OPERATION", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
# Not fuzzed: the real-time WebSocket (not in the document) and the calendar feed (a secret token in the path).
# Fuzzed last: what ends the signed-in caller's session (or account) when a valid case gets through.
SESSION_ENDING = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/logout-all"),
                  ("DELETE", "/api/v1/auth/sessions/{session_id}"), ("POST", "/api/v1/auth/password/change"),
                  ("DELETE", "/api/v1/me")}
TOKEN_REFUSED = {"not_authenticated", "token_invalid", "token_expired", "session_revoked", "account_inactive"}
# Statuses these handlers answer but do not declare yet (found once the signed-in run stayed signed in). The fuzzer's
# copy of the document adds them, so nothing else is excused; when a handler declares one, delete its entry here.
UNDECLARED: dict[tuple[str, str], int] = {}
# 503 is these operations' declared answer when no maps provider can answer (none is reachable from the tests: the
# fuzzed server's Nominatim is a closed local port); any other 5xx still fails.
CONFIG = SchemathesisConfig.from_dict({"operations": [{
    "include-path-regex": "^/api/v1/geo/",
    "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]}}}]})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(sbor_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn process serving every installed plugin on the session's database; its base URL."""
    folder = tmp_path_factory.mktemp("fuzz")
    plugins = folder / "plugins.toml"
    port, closed = _free_port(), _free_port()
    plugins.write_text("enabled = [" + ", ".join(f'"{p}"' for p in all_plugins()) + "]\n\n"
                       f'[settings.geo]\nnominatim_url = "http://127.0.0.1:{closed}"\n')
    log = folder / "server.log"
    env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins), "SBOR_HTTP_RATE_LIMIT": "0", "SBOR_LOG_LEVEL": "WARNING"}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "core.app:asgi", "--factory", "--host",
                                 "127.0.0.1", "--port", str(port), "--no-access-log"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if urllib.request.urlopen(f"{base}/health", timeout=2).status == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the API server did not start:\n{Path(log).read_text(errors='replace')}")
        time.sleep(0.1)
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    errors = [line for line in Path(log).read_text(errors="replace").splitlines() if "Traceback" in line]
    assert not errors, Path(log).read_text(errors="replace")[-5000:]


FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck), derandomize=True, database=None)


@dataclass
class Caller:
    """Who sends the cases, over one kept-alive connection; what it saw."""

    name: str
    headers: dict[str, str]
    session: requests.Session = field(default_factory=requests.Session)
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    refused: str = ""  # the first operation (outside SESSION_ENDING) that refused this caller's token

    def send(self, case: Any, server: str, label: str) -> str:
        """Send one case and check its answer; the failure, or ""."""
        self.sent += 1
        try:
            response = case.call(base_url=server, session=self.session, headers=self.headers, timeout=30)
        except Exception as exc:  # a dead connection, a timeout
            return f"{label} ({self.name}): {str(exc).strip()[:1500]}"
        self.statuses[response.status_code] += 1
        sent_token = "Authorization" in response.request.headers  # a negative case may leave it out
        if sent_token and self.headers and response.status_code == 401 and not self.refused:
            try:
                code = response.json().get("code")
            except ValueError:
                code = None
            if code in TOKEN_REFUSED and (case.operation.method.upper(), case.operation.path) not in SESSION_ENDING:
                self.refused = f"{label}: 401 {code}"
        try:
            case.validate_response(response, checks=CHECKS, headers=self.headers,
                                   transport_kwargs={"base_url": server, "session": self.session,
                                                     "headers": dict(self.headers), "timeout": 30})
        except (Exception, BaseExceptionGroup) as exc:  # failed checks (a group of them, or one)
            return f"{label} ({self.name}): {str(exc).strip()[:1500]}"
        return ""


def fuzz_operation(operation: Any, mode: GenerationMode, server: str, callers: list[Caller]) -> None:
    """Send each of one operation's generated cases as every caller; the first failure per caller is kept."""
    label = f"{operation.method.upper()} {operation.path} ({mode.value})"
    first = {c.name: "" for c in callers}

    @given(case=operation.as_strategy(generation_mode=mode))
    @FUZZ
    def check(case: Any) -> None:
        for caller in callers:
            failure = caller.send(case, server, label)
            first[caller.name] = first[caller.name] or failure

    try:
        check()
    except Unsatisfiable:  # nothing invalid to send (no parameters, no body): the positive run covers it
        pass
    for caller in callers:
        if first[caller.name]:
            caller.failures.append(first[caller.name])


@pytest_asyncio.fixture(loop_scope="session")
async def user_token(make_user: Any) -> str:
    """A signed-in user's access token; the account has a password (without one, deleting it needs nothing)."""
    import secrets

    from core.auth.services import start_session

    user = await make_user(password=secrets.token_urlsafe(24))
    return (await start_session(user.id, "fuzz")).access_token


@pytest_asyncio.fixture(loop_scope="session")
async def staff_token(make_user: Any) -> str:
    """An administrator's access token: every staff operation (moderation, bans, roles, dashboards) lets them in."""
    import secrets

    from core.auth.services import start_session

    user = await make_user(password=secrets.token_urlsafe(24), roles=["admin"])
    return (await start_session(user.id, "fuzz-staff")).access_token


def test_every_operation_anonymously_signed_in_and_as_staff(server: str, user_token: str, staff_token: str) -> None:
    anonymous, signed_in = Caller("anonymous", {}), Caller("signed in", {"Authorization": f"Bearer {user_token}"})
    staff = Caller("staff", {"Authorization": f"Bearer {staff_token}"})
    with urllib.request.urlopen(f"{server}/schema/openapi.json", timeout=30) as r:
        document = json.load(r)
    for (method, path), status in UNDECLARED.items():
        responses = document["paths"][path][method.lower()]["responses"]
        assert str(status) not in responses, f"{method} {path} now declares {status}: delete it from UNDECLARED"
        responses[str(status)] = {"description": "undeclared", "content": responses["429"]["content"]}  # Problem
    api = schemathesis.openapi.from_dict(document, config=CONFIG)
    results = list(api.get_all_operations())
    invalid = [str(r.err()) for r in results if not isinstance(r, Ok)]
    assert not invalid, f"operations the fuzzer cannot read: {invalid}"
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    operations.sort(key=lambda op: (op.method.upper(), op.path) in SESSION_ENDING)  # stable: otherwise as listed
    start = time.monotonic()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz_operation(operation, mode, server, [anonymous, signed_in])
    # Staff last, in a pass of its own: what an administrator's valid cases do (bans, role changes, hides) must not
    # land on the other callers while they run.
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz_operation(operation, mode, server, [staff])
    elapsed = time.monotonic() - start
    summary = {"operations": len(operations), "seconds": round(elapsed, 1)} | {
        c.name: {"cases": c.sent, "failing": len(c.failures), "statuses": dict(sorted(c.statuses.items()))}
        for c in (anonymous, signed_in, staff)}
    print(f"fuzz: {json.dumps(summary)}")
    failures = anonymous.failures + signed_in.failures + staff.failures
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
    for caller in (signed_in, staff):
        assert not caller.refused, f"the {caller.name} caller's token was refused before the end: {caller.refused}"
        assert caller.statuses.keys() - {401, 403, 404, 429}, f"the {caller.name} caller was never let through"
    assert staff.statuses.get(403, 0) < signed_in.statuses.get(403, 0), "staff operations refused the administrator"

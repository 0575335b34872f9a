"""Schema-driven fuzzing of the whole API, as an attacker and as a mobile client would send it.

Schemathesis generates requests from ``/schema/openapi.json`` (every installed plugin enabled) against a real
uvicorn process on the test database, anonymously and as a signed-in user, and checks each answer: no server error,
a declared status, the declared content type, a body matching the declared schema, and invalid input refused.
The per-address rate limit is off for this run (fuzzing would hit it at once); per-endpoint limits stay and answer
429, which every operation declares. Bounded by ``FUZZ_EXAMPLES`` per operation.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
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

from core.settings import ROOT
from core.testing import all_plugins

pytestmark = pytest.mark.slow

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES_PER_OPERATION", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
# Not fuzzed: the real-time WebSocket (not in the document) and the calendar feed (a secret token in the path).


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(sbor_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn process serving every installed plugin on the session's database; its base URL."""
    folder = tmp_path_factory.mktemp("fuzz")
    plugins = folder / "plugins.toml"
    plugins.write_text("enabled = [" + ", ".join(f'"{p}"' for p in all_plugins()) + "]\n")
    port = _free_port()
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


def fuzz_operation(operation: Any, mode: GenerationMode, server: str, headers: dict[str, str]) -> tuple[int, str]:
    """Send one operation's generated cases; (cases sent, the first failure or "")."""
    sent, first = 0, ""

    @given(case=operation.as_strategy(generation_mode=mode))
    @FUZZ
    def check(case: Any) -> None:
        nonlocal sent, first
        sent += 1
        try:
            case.call_and_validate(base_url=server, headers=headers, checks=CHECKS, timeout=30)
        except (Exception, BaseExceptionGroup) as exc:  # failed checks (a group) or a dead connection
            first = first or f"{operation.method.upper()} {operation.path} ({mode.value}): {str(exc).strip()[:1500]}"

    try:
        check()
    except Unsatisfiable:  # nothing invalid to send (no parameters, no body): the positive run covers it
        pass
    return sent, first


def fuzz(server: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    """Every operation, valid and invalid inputs; returns (cases sent, failures as "METHOD path: what")."""
    api = schemathesis.openapi.from_url(f"{server}/schema/openapi.json")
    sent, failures = 0, []
    for result in api.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            n, failure = fuzz_operation(result.ok(), mode, server, headers)
            sent += n
            if failure:
                failures.append(failure)
    return sent, failures


def test_anonymous(server: str) -> None:
    sent, failures = fuzz(server, {})
    print(f"fuzz, anonymous: {sent} cases, {len(failures)} failing operations")
    assert not failures, f"{len(failures)} failing operations of {sent} cases:\n\n" + "\n\n".join(failures)


@pytest_asyncio.fixture(loop_scope="session")
async def user_token(make_user: Any) -> str:
    """A signed-in user's access token."""
    from core.auth.services import start_session

    user = await make_user()
    return (await start_session(user.id, "fuzz")).access_token


def test_signed_in(server: str, user_token: str) -> None:
    sent, failures = fuzz(server, {"Authorization": f"Bearer {user_token}"})
    print(f"fuzz, signed in: {sent} cases, {len(failures)} failing operations")
    assert not failures, f"{len(failures)} failing operations of {sent} cases:\n\n" + "\n\n".join(failures)

"""deploy/backup-restore.sh on the test database: dump, restore into a fresh database, run the contract checks there.

The checks (``verify``): the same tables, the same row counts and samples of rows, the same schema, and no pending
migration for ``manage.py migrate``. A restore that lost a row, or a restored database behind on migrations, fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from plugins.events.testing import events_venue, make_published_event  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "deploy" / "backup-restore.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the script needs bash")


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def script(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MANAGE": f"{sys.executable} -m core.cli"}
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
async def data(sbor_database: Any, make_user: Any, make_published_event: Any, events_venue: Any) -> str:  # noqa: F811
    """Rows in several schemas (users, roles, venues, events); the database's URL."""
    for _ in range(3):
        await make_user()
    await make_published_event(title="Backed up")
    return os.environ["SBOR_DATABASE_URL"]


@pytest.fixture
async def restored_url(data: str) -> Any:
    """A database name beside the test database, dropped afterwards."""
    url = with_db(data, f"sbor_restore_{uuid.uuid4().hex[:8]}")
    yield url
    admin = await asyncpg.connect(with_db(data, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path[1:]}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_backup_restore_verify(data: str, restored_url: str, tmp_path: Path) -> None:
    # Given a backup of the test database
    dump = tmp_path / "sbor.dump"
    done = script("backup", data, str(dump))
    assert done.returncode == 0, done.stderr
    assert dump.stat().st_size > 0
    # When it is restored into a fresh database
    done = script("restore", str(dump), restored_url)
    assert done.returncode == 0, done.stderr
    # Then the contract checks pass there
    done = script("verify", data, restored_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verify ok" in done.stderr and "no pending migration" in done.stderr
    restored = await asyncpg.connect(restored_url)
    try:
        assert await restored.fetchval("SELECT count(*) FROM events.event WHERE title = 'Backed up'") == 1
        assert await restored.fetchval("SELECT count(*) FROM users.account") >= 4
        # And a restore that lost a row, or is behind on migrations, is caught
        await restored.execute("DELETE FROM events.event WHERE title = 'Backed up'")
        done = script("verify", data, restored_url)
        assert done.returncode == 1
        assert "rows differ in events.event" in done.stdout
        # (events' latest: in a whole-suite run the latest row overall may be a test-only plugin's, which the
        # deployment's plugins.toml does not enable and `migrate --dry-run` rightly does not ask for)
        await restored.execute("DELETE FROM public.migration WHERE id = (SELECT max(id) FROM public.migration "
                               "WHERE app_name = 'events')")
        done = script("verify", data, restored_url)
        assert done.returncode == 1
        assert "migrations are not up to date" in done.stdout
    finally:
        await restored.close()
    # A second restore into the now non-empty database is refused
    done = script("restore", str(dump), restored_url)
    assert done.returncode == 2 and "not empty" in done.stderr


async def test_drill_restores_into_a_fresh_database_and_drops_it(data: str) -> None:
    done = script("drill", data)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verify ok" in done.stderr
    admin = await asyncpg.connect(with_db(data, "postgres"))
    try:
        left = await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1",
                                 urlsplit(data).path[1:] + "_restore_%")
    finally:
        await admin.close()
    assert not left, "the drill drops the database it restored into"


def test_usage_errors() -> None:
    assert script("backup").returncode == 2
    assert script("restore", "/nonexistent.dump", "postgresql://x@127.0.0.1/y").returncode == 2
    assert script("--help").returncode == 0

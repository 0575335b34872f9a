"""``manage.py createadmin``: the service and the real command against the test database."""

from __future__ import annotations

import asyncio
import os
import sys

import pyotp

from core import clock
from core.auth.accounts import authenticate_password
from core.settings import ROOT
from core.users import services
from core.users.cli import create_admin
from core.users.tables import User


async def test_create_admin_service(sbor_database) -> None:
    out = await create_admin("Root@Example.org", None, "tangerine-horse-42", "Root")
    assert await services.roles_of(out["user_id"]) == ["admin", "user"]
    secret = pyotp.parse_uri(out["otpauth_uri"]).secret
    code = pyotp.TOTP(secret).at(clock.timestamp())
    assert await authenticate_password("root@example.org", "tangerine-horse-42", code, require_totp=True) == out[
        "user_id"]


async def test_createadmin_command(sbor_database, tmp_path) -> None:
    plugins = tmp_path / "plugins.toml"
    plugins.write_text("enabled = []\n")
    env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins)}
    env.pop("SBOR_TEST_PLUGINS", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core.cli", "createadmin", "--email", "ops@example.org", "--display-name", "Ops",
        "--password", "tangerine-horse-42", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert b"otpauth://totp/" in out and b"Created administrator" in out
    row = await User.select(User.id, User.is_verified, User.totp_enabled).where(User.email == "ops@example.org"
                                                                                ).first()
    assert row["is_verified"] and row["totp_enabled"]
    assert "admin" in await services.roles_of(row["id"])
    # A weak password is refused with one clear line
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core.cli", "createadmin", "--email", "ops2@example.org", "--password", "password1234",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 2 and b"too common" in err

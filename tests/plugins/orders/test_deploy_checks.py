"""orders' ``check --deploy`` finding: POS credentials encrypted with keys derived from the JWT keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from core import deploy_check
from core.hooks.manager import PluginsFile, activate, build
from core.settings import load

SETTING = "plugins.orders.credentials_keys"


def production(tmp_path: Path) -> Any:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    return load({"SBOR_CONFIG": str(empty), "SBOR_VAR_DIR": str(tmp_path / "var"), "SBOR_ENV": "production"})


async def findings_with(keys: str, tmp_path: Path, sbor_database: Any) -> list[deploy_check.Finding]:
    registry = build(PluginsFile(enabled=["events", "orders"], settings={"orders": {"credentials_keys": keys}}))
    activate(registry)
    try:
        return await deploy_check.run(production(tmp_path), registry)
    finally:
        activate(sbor_database)


async def test_derived_credentials_keys_are_a_finding(tmp_path: Path, sbor_database: Any) -> None:
    ours = [f for f in await findings_with("", tmp_path, sbor_database) if f.setting == SETTING]
    assert len(ours) == 1
    line = str(ours[0])
    assert line.startswith("plugins.orders.credentials_keys: is empty: venues' POS credentials are encrypted with "
                           "keys derived from auth.jwt_keys")
    assert "SBOR_PLUGINS__ORDERS__CREDENTIALS_KEYS" in line and "\n" not in line


async def test_keys_of_its_own_pass(tmp_path: Path, sbor_database: Any) -> None:
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    found = await findings_with(keys, tmp_path, sbor_database)
    assert not any(f.setting.startswith("plugins.orders") for f in found), found

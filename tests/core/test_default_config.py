"""``config/default.toml`` says what the code does: every value it sets equals the settings struct's default."""

from __future__ import annotations

import tomllib
from typing import Any

import msgspec

from core.settings import ROOT, Settings


def differences(data: dict[str, Any], obj: Any, prefix: str = "") -> list[str]:
    out = []
    for key, value in data.items():
        assert hasattr(obj, key), f"{prefix}{key}: not a setting"
        current = getattr(obj, key)
        if isinstance(value, dict) and isinstance(current, msgspec.Struct):
            out += differences(value, current, f"{prefix}{key}.")
        elif value != current:
            out.append(f"{prefix}{key}: default.toml says {value!r}, the code {current!r}")
    return out


def test_default_toml_agrees_with_the_settings_defaults() -> None:
    with (ROOT / "config" / "default.toml").open("rb") as fh:
        data = tomllib.load(fh)
    assert differences(data, Settings()) == []


def test_observability_section_lists_every_setting() -> None:
    with (ROOT / "config" / "default.toml").open("rb") as fh:
        section = tomllib.load(fh)["observability"]
    fields = [f.name for f in msgspec.structs.fields(Settings().observability)]
    assert sorted(section) == sorted(fields)
    assert "openapi_allow" in tomllib.loads((ROOT / "config" / "default.toml").read_text())["http"]

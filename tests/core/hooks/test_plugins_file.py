"""plugins.toml: read, and the enabled list rewritten with tomlkit, keeping what the operator wrote around it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.hooks.config import read_plugins_file, write_enabled

ODD = """\
# Deployment of the north office.   (operator's header)
enabled = [
    "events",      # the heart of it
    # notify sends the mail; keep it after events
    "notify",
    'analytics',
]   # end of list

[settings.notify]   # channels in production: push, sms, email
channels = [ "log" ]
quiet_hours = { start = "22:00", end = "07:00" }

# [settings.events]
# remoderate_on_edit = true

[hooks.order]
participant_joined = ["analytics", "notify"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plugins.toml"
    path.write_text(text)
    return path


def test_disabling_keeps_comments_layout_and_other_tables(tmp_path: Path) -> None:
    path = write(tmp_path, ODD)
    write_enabled(path, ["events", "analytics"])
    text = path.read_text()
    assert tomllib.loads(text)["enabled"] == ["events", "analytics"]
    assert read_plugins_file(path).enabled == ["events", "analytics"]
    # Everything but the removed line is byte for byte what the operator wrote.
    assert text == ODD.replace('    "notify",\n', "")


def test_enabling_appends_in_the_lists_own_layout(tmp_path: Path) -> None:
    path = write(tmp_path, ODD)
    write_enabled(path, ["events", "notify", "analytics", "admin"])
    text = path.read_text()
    assert tomllib.loads(text)["enabled"] == ["events", "notify", "analytics", "admin"]
    assert '"events",      # the heart of it' in text and "'analytics'," in text
    assert text.endswith(ODD.split("]   # end of list", 1)[1])  # the tables after the list are untouched
    assert read_plugins_file(path).hook_order == {"participant_joined": ["analytics", "notify"]}


def test_one_line_list_and_disabling_everything(tmp_path: Path) -> None:
    path = write(tmp_path, '# comment\nenabled = ["hello"]  # why\n\n[settings.hello]\ngreeting = "Hi"\n')
    write_enabled(path, [])
    assert path.read_text() == '# comment\nenabled = []  # why\n\n[settings.hello]\ngreeting = "Hi"\n'
    write_enabled(path, ["hello", "hello"])
    assert path.read_text() == '# comment\nenabled = ["hello"]  # why\n\n[settings.hello]\ngreeting = "Hi"\n'


def test_a_new_order_or_a_missing_list_is_written_before_the_tables(tmp_path: Path) -> None:
    path = write(tmp_path, '# only settings\n[settings.hello]\ngreeting = "Hi"\n')
    write_enabled(path, ["hello", "events"])
    data = tomllib.loads(path.read_text())
    assert data["enabled"] == ["hello", "events"] and data["settings"] == {"hello": {"greeting": "Hi"}}
    assert path.read_text().startswith("# only settings\n")
    write_enabled(path, ["events", "hello"])
    assert read_plugins_file(path).enabled == ["events", "hello"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("enabled = [\n", "invalid TOML"),
        ('enable = ["events"]\n', "unknown key 'enable'"),
        ('enabled = "events"\n', "Expected `array`"),
    ],
)
def test_bad_plugins_files_are_config_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        read_plugins_file(write(tmp_path, text))
    assert message in str(err.value)


def test_missing_plugins_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="plugins file not found"):
        read_plugins_file(tmp_path / "plugins.toml")

"""Settings: defaults ← local file ← environment; unknown keys and wrong types name the key."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import load


@pytest.fixture
def config_dir(tmp_path):
    d = tmp_path / "config"
    d.mkdir()
    (d / "default.toml").write_text(
        f'var_dir = "{tmp_path / "var"}"\n[http]\nport = 8000\nhost = "127.0.0.1"\n[database]\nurl = "postgresql://default"\n'
    )
    return d


def test_precedence_default_then_local_then_env(config_dir) -> None:
    assert load({}, config_dir).http.port == 8000
    (config_dir / "local.toml").write_text("[http]\nport = 9000\n")
    assert load({}, config_dir).http.port == 9000
    s = load({"SBOR_HTTP_PORT": "9100", "SBOR_DATABASE_URL": "postgresql://env"}, config_dir)
    assert s.http.port == 9100
    assert s.database.url == "postgresql://env"
    assert s.http.host == "127.0.0.1"  # untouched keys keep their default


def test_sbor_config_names_another_local_file(config_dir, tmp_path) -> None:
    other = tmp_path / "prod.toml"
    other.write_text('log_level = "WARNING"\n')
    assert load({"SBOR_CONFIG": str(other)}, config_dir).log_level == "WARNING"


def test_lists_from_environment_as_json(config_dir) -> None:
    s = load({"SBOR_HTTP_CORS_ORIGINS": '["https://app.example"]'}, config_dir)
    assert s.http.cors_origins == ["https://app.example"]


@pytest.mark.parametrize(
    ("local", "env", "message"),
    [
        ("[http]\nprot = 1\n", {}, "Object contains unknown field `prot` - at `$.http`"),
        ("[http]\nport = 'eighty'\n", {}, "Expected `int`, got `str` - at `$.http.port`"),
        ("colour = 'red'\n", {}, "Object contains unknown field `colour`"),
        ("", {"SBOR_HTTP_PORT": "eighty"}, "Expected `int`, got `str` - at `$.http.port`"),
        ("", {"SBOR_NOPE": "1"}, "unknown setting in environment: SBOR_NOPE"),
        ("[http\n", {}, "invalid TOML"),
    ],
)
def test_bad_settings_fail_naming_the_key(config_dir, local, env, message) -> None:
    if local:
        (config_dir / "local.toml").write_text(local)
    with pytest.raises(ConfigError) as err:
        load(env, config_dir)
    assert message in str(err.value)


def test_jwt_key_is_generated_once_into_var_and_kept_private(config_dir, tmp_path) -> None:
    first = load({}, config_dir)
    secrets = tmp_path / "var" / "secrets.toml"
    assert secrets.exists()
    assert secrets.stat().st_mode & 0o077 == 0
    assert first.auth.jwt_keys[first.auth.jwt_current_kid]
    again = load({}, config_dir)
    assert again.auth.jwt_keys == first.auth.jwt_keys


def test_configured_keys_win_and_current_kid_must_exist(config_dir) -> None:
    s = load({"SBOR_AUTH_JWT_KEYS": '{"a": "x", "b": "y"}'}, config_dir)
    assert s.auth.jwt_current_kid == "b"
    with pytest.raises(ConfigError, match="jwt_current_kid 'c' not in auth.jwt_keys"):
        load({"SBOR_AUTH_JWT_KEYS": '{"a": "x"}', "SBOR_AUTH_JWT_CURRENT_KID": "c"}, config_dir)


def test_a_missing_sbor_config_file_is_an_error(config_dir, tmp_path) -> None:
    with pytest.raises(ConfigError, match="SBOR_CONFIG: .* does not exist"):
        load({"SBOR_CONFIG": str(tmp_path / "nope.toml")}, config_dir)


def test_plugin_settings_variables_are_left_to_the_plugins(config_dir) -> None:
    assert load({"SBOR_PLUGINS__EVENTS__FOO": "1"}, config_dir).http.port == 8000

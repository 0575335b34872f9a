"""Plugin resolution: dependency order, and each start-up error naming the plugin and the cause."""

from __future__ import annotations

import msgspec
import pytest

from core.errors import ConfigError
from core.hooks.manager import PluginsFile, build, resolve, with_dependencies
from tests.core.hooks.fakes import available, fake_plugin


def test_dependencies_load_first_then_by_name() -> None:
    plugins = available(
        fake_plugin("zeta"),
        fake_plugin("notify", depends={"events": ">=1.0"}),
        fake_plugin("events"),
        fake_plugin("analytics", depends={"events": ">=1.0", "notify": ">=1.0"}),
        fake_plugin("alpha"),
    )
    order = [i.name for i in resolve(plugins, ["zeta", "analytics", "notify", "events", "alpha"])]
    assert order == ["users", "auth", "reports", "alpha", "events", "notify", "analytics", "zeta"]


def test_order_does_not_depend_on_the_order_in_plugins_toml() -> None:
    plugins = available(fake_plugin("b"), fake_plugin("a"), fake_plugin("c", depends={"b": ""}))
    assert [i.name for i in resolve(plugins, ["c", "b", "a"])] == [i.name for i in resolve(plugins, ["a", "b", "c"])]


@pytest.mark.parametrize(
    ("plugins", "enabled", "message"),
    [
        ([fake_plugin("events")], ["nope"], "plugin 'nope': unknown"),
        ([fake_plugin("notify", depends={"events": ">=1"}), fake_plugin("events")], ["notify"],
         "plugin 'notify': depends on 'events', which is not enabled"),
        ([fake_plugin("notify", depends={"ghost": ">=1"})], ["notify"],
         "plugin 'notify': depends on 'ghost', which is not installed"),
        ([fake_plugin("notify", depends={"events": ">=2"}), fake_plugin("events", version="1.5")],
         ["notify", "events"], "plugin 'notify': needs plugin 'events' >=2, but 1.5 is installed"),
        ([fake_plugin("old", core=">=5,<6")], ["old"], "plugin 'old': needs core >=5,<6, but 0.1.0 is installed"),
        ([fake_plugin("a", depends={"b": ""}), fake_plugin("b", depends={"a": ""})], ["a", "b"],
         "plugin 'a': dependency cycle among a, b"),
        ([fake_plugin("bad", depends={"x": "not a range"}), fake_plugin("x")], ["bad", "x"],
         "plugin 'bad': invalid version range"),
    ],
)
def test_start_up_errors_name_the_plugin_and_cause(plugins, enabled, message) -> None:
    with pytest.raises(ConfigError) as err:
        resolve(available(*plugins), enabled)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


class Knobs(msgspec.Struct, forbid_unknown_fields=True):
    size: int = 3


def test_invalid_plugin_settings_stop_start_up() -> None:
    plugins = available(fake_plugin("knobs", settings=Knobs))
    expected = r"plugin 'knobs': invalid settings: Expected `int`, got `str` - at `\$.size`"
    with pytest.raises(ConfigError, match=expected):
        build(PluginsFile(enabled=["knobs"], settings={"knobs": {"size": "big"}}), plugins)
    with pytest.raises(ConfigError, match="plugin 'knobs': invalid settings: Object contains unknown field `colour`"):
        build(PluginsFile(enabled=["knobs"], settings={"knobs": {"colour": "red"}}), plugins)
    registry = build(PluginsFile(enabled=["knobs"], settings={"knobs": {"size": "7"}}), plugins)
    assert registry.get("knobs").settings.size == 7


def test_settings_for_an_unknown_plugin_stop_start_up() -> None:
    with pytest.raises(ConfigError, match="plugin 'ghost': settings given for an unknown plugin"):
        build(PluginsFile(enabled=[], settings={"ghost": {"a": 1}}), available())


def test_misspelt_hook_fails_loudly() -> None:
    def registr_routes() -> list[object]:
        return []

    from core.hooks import hookimpl

    plugins = available(fake_plugin("typo", hooks={"registr_routes": hookimpl(registr_routes)}))
    with pytest.raises(ConfigError, match="plugin 'typo'.*registr_routes"):
        build(PluginsFile(enabled=["typo"]), plugins)


def test_hook_argument_not_in_spec_fails_loudly() -> None:
    from core.hooks import hookimpl

    def app_started(colour: str) -> None:
        return None

    plugins = available(fake_plugin("wrongarg", hooks={"app_started": hookimpl(app_started)}))
    with pytest.raises(ConfigError, match="plugin 'wrongarg': invalid hook implementation.*colour"):
        build(PluginsFile(enabled=["wrongarg"]), plugins)


def test_enable_pulls_in_dependencies() -> None:
    plugins = available(fake_plugin("events"), fake_plugin("notify", depends={"events": ""}),
                        fake_plugin("analytics", depends={"notify": ""}))
    assert with_dependencies(plugins, ["analytics"]) == ["events", "notify", "analytics"]


def test_a_cycle_names_only_its_members_and_enable_refuses_it_too() -> None:
    plugins = available(fake_plugin("a", depends={"b": ""}), fake_plugin("b", depends={"a": ""}),
                        fake_plugin("c", depends={"a": ""}))
    with pytest.raises(ConfigError, match=r"^plugin 'a': dependency cycle among a, b$"):
        resolve(plugins, ["c", "b", "a"])
    with pytest.raises(ConfigError, match=r"^plugin 'a': dependency cycle among a, b$"):
        with_dependencies(plugins, ["c"])


def test_core_modules_come_first_even_before_a_plugin_named_aardvark() -> None:
    plugins = available(fake_plugin("aardvark"), fake_plugin("b", depends={"aardvark": ""}))
    order = [i.name for i in resolve(plugins, ["b", "aardvark"])]
    assert order == ["users", "auth", "reports", "aardvark", "b"]

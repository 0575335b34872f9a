"""The await-aware dispatcher: order, tryfirst/trylast, operator override, failure policies, wrappers."""

from __future__ import annotations

import logging
import sys
import types

import pytest

from core.hooks import hookimpl, hookspec
from core.hooks.manager import PluginsFile, build
from core.hooks.policy import decision, notification
from tests.core.hooks.fakes import available, fake_plugin

# Specs for these tests, added the way a plugin offers hooks (its own hookspecs module).
specs = types.ModuleType("_fake_plugins.specs_owner.hookspecs")


@notification
@hookspec
def thing_happened(what: str, calls: list) -> None:
    """Test notification."""


@hookspec(firstresult=True)
def answer_from_oracle(question: str) -> str | None:
    """Test resolver."""


@decision
@hookspec
def may_do(calls: list) -> bool | None:
    """Test decision."""


@hookspec
def collect_things(calls: list) -> list:
    """Test collector."""


for fn in (thing_happened, answer_from_oracle, may_do, collect_things):
    setattr(specs, fn.__name__, fn)


def owner():
    info = fake_plugin("specs_owner")
    sys.modules["_fake_plugins.specs_owner.hookspecs"] = specs
    return info


def recorder(name: str, *, fail: bool = False, is_async: bool = False, **marks):
    if is_async:
        async def thing_happened(what: str, calls: list) -> None:
            calls.append(name)
            if fail:
                raise RuntimeError(f"{name} broke")
    else:
        def thing_happened(what: str, calls: list) -> None:  # type: ignore[misc]
            calls.append(name)
            if fail:
                raise RuntimeError(f"{name} broke")
    return {"thing_happened": hookimpl(**marks)(thing_happened)}


def registry_of(*plugins, enabled=None, order=None):
    infos = available(owner(), *plugins)
    names = enabled or [p.name for p in plugins]
    return build(PluginsFile(enabled=["specs_owner", *names], hook_order=order or {}), infos)


async def test_dependencies_are_called_before_dependents_then_by_name() -> None:
    reg = registry_of(
        fake_plugin("zed", hooks=recorder("zed")),
        fake_plugin("analytics", depends={"notify": ""}, hooks=recorder("analytics", is_async=True)),
        fake_plugin("notify", hooks=recorder("notify")),
        fake_plugin("beta", hooks=recorder("beta")),
    )
    calls: list[str] = []
    await reg.hooks.notify(thing_happened, what="x", calls=calls)
    assert calls == ["beta", "notify", "analytics", "zed"]


async def test_tryfirst_and_trylast_are_honoured() -> None:
    reg = registry_of(
        fake_plugin("a", hooks=recorder("a", trylast=True)),
        fake_plugin("b", hooks=recorder("b")),
        fake_plugin("c", hooks=recorder("c", tryfirst=True)),
    )
    calls: list[str] = []
    await reg.hooks.notify(thing_happened, what="x", calls=calls)
    assert calls == ["c", "b", "a"]


async def test_operator_override_orders_the_named_plugins_first() -> None:
    reg = registry_of(
        fake_plugin("a", hooks=recorder("a")),
        fake_plugin("b", hooks=recorder("b")),
        fake_plugin("c", hooks=recorder("c")),
        order={"thing_happened": ["c", "a"]},
    )
    calls: list[str] = []
    await reg.hooks.notify(thing_happened, what="x", calls=calls)
    assert calls == ["c", "a", "b"]


async def test_a_failing_notification_is_logged_and_the_others_run(caplog) -> None:
    reg = registry_of(
        fake_plugin("a", hooks=recorder("a")),
        fake_plugin("b", hooks=recorder("b", fail=True, is_async=True)),
        fake_plugin("c", hooks=recorder("c")),
    )
    calls: list[str] = []
    with caplog.at_level(logging.ERROR, logger="core.hooks"):
        assert await reg.hooks.notify(thing_happened, what="x", calls=calls) is None
    assert calls == ["a", "b", "c"]
    assert "hook thing_happened failed in plugin b" in caplog.text


async def test_firstresult_awaits_and_skips_none() -> None:
    async def silent(question: str) -> None:
        return None

    async def wise(question: str) -> str:
        return f"42 ({question})"

    def late(question: str) -> str:
        return "never asked"

    reg = registry_of(
        fake_plugin("a", hooks={"answer_from_oracle": hookimpl(silent)}),
        fake_plugin("b", hooks={"answer_from_oracle": hookimpl(wise)}),
        fake_plugin("c", hooks={"answer_from_oracle": hookimpl(late)}),
    )
    assert await reg.hooks.first(answer_from_oracle, question="why") == "42 (why)"


async def test_a_decision_error_propagates() -> None:
    def no(calls: list) -> bool:
        raise PermissionError("no")

    reg = registry_of(fake_plugin("a", hooks={"may_do": hookimpl(no)}))
    with pytest.raises(PermissionError):
        await reg.hooks.call(may_do, calls=[])


async def test_implementations_may_take_a_subset_of_arguments() -> None:
    seen = []

    def only_what(what: str) -> None:
        seen.append(what)

    reg = registry_of(fake_plugin("a", hooks={"thing_happened": hookimpl(specname="thing_happened")(only_what)}))
    await reg.hooks.notify(thing_happened, what="only what", calls=[])
    assert seen == ["only what"]


async def test_wrappers_surround_the_call_and_may_replace_the_result() -> None:
    def inner(calls: list) -> list:
        calls.append("inner")
        return ["x"]

    def wrap(calls: list):
        calls.append("before")
        result = yield
        calls.append("after")
        return [*result, "wrapped"]

    reg = registry_of(
        fake_plugin("a", hooks={"collect_things": hookimpl(specname="collect_things")(inner)}),
        fake_plugin("w", hooks={"collect_things": hookimpl(wrapper=True)(wrap)}),
    )
    calls: list[str] = []
    assert await reg.hooks.call(collect_things, calls=calls) == [["x"], "wrapped"]
    assert calls == ["before", "inner", "after"]


def test_unknown_hook_in_operator_override_is_an_error() -> None:
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown hook 'nope'"):
        registry_of(fake_plugin("a"), order={"nope": ["a"]})


async def test_a_hook_is_called_through_its_own_spec_only() -> None:
    reg = registry_of(fake_plugin("a", hooks=recorder("a")))

    @notification
    @hookspec
    def thing_happened(what: str, calls: list) -> None:  # same name, but not the registered spec
        """Impostor."""

    with pytest.raises(LookupError, match="not declared"):
        await reg.hooks.notify(thing_happened, what="x", calls=[])


async def test_the_call_must_fit_the_spec_policy() -> None:
    reg = registry_of(fake_plugin("a", hooks=recorder("a")))
    with pytest.raises(TypeError, match="does not fit"):
        await reg.hooks.first(thing_happened, what="x", calls=[])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="does not fit"):
        await reg.hooks.notify(answer_from_oracle, question="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="by keyword"):
        await reg.hooks.notify(thing_happened, "x", [])


async def test_tracing_logs_each_implementation_with_its_duration_and_outcome(caplog) -> None:
    reg = registry_of(
        fake_plugin("a", hooks=recorder("a")),
        fake_plugin("b", hooks=recorder("b", fail=True)),
    )
    reg.hooks.trace = True
    with caplog.at_level(logging.INFO, logger="core.hooks.trace"):
        await reg.hooks.notify(thing_happened, what="x", calls=[])
    lines = [r for r in caplog.records if r.name == "core.hooks.trace"]
    assert [(r.plugin, r.hook) for r in lines] == [("a", "thing_happened"), ("b", "thing_happened")]
    assert lines[0].outcome == "no answer" and lines[1].outcome == "raised RuntimeError"
    assert all(r.duration_ms >= 0 for r in lines)

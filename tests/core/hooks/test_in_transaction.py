"""A notification hook called inside the caller's transaction: a plugin failing in the database loses only its part."""

from __future__ import annotations

import logging

from sbor_hello.tables import Greeting

from core import db
from core.hooks import hookimpl
from tests.core.hooks.fakes import fake_plugin
from tests.core.hooks.test_dispatch import registry_of, thing_happened


async def test_a_failing_implementation_is_rolled_back_alone_and_the_change_commits(sbor_database, caplog) -> None:
    async def breaks(what: str, calls: list) -> None:
        calls.append("breaks")
        await Greeting.raw("SELECT 1/0")  # aborts a transaction unless it runs in its own savepoint

    async def writes(what: str, calls: list) -> None:
        calls.append("writes")
        await Greeting(name=f"{what} (by a listener)", message="m").save()

    reg = registry_of(fake_plugin("a", hooks={"thing_happened": hookimpl(specname="thing_happened")(breaks)}),
                      fake_plugin("b", hooks={"thing_happened": hookimpl(specname="thing_happened")(writes)}))
    calls: list[str] = []
    with caplog.at_level(logging.ERROR, logger="core.hooks"):
        async with db.engine().transaction():
            await Greeting(name="the change", message="m").save()
            await reg.hooks.notify(thing_happened, what="x", calls=calls)
    assert calls == ["breaks", "writes"]
    assert "hook thing_happened failed in plugin a" in caplog.text
    names = sorted(r["name"] for r in await Greeting.select(Greeting.name))
    assert names == ["the change", "x (by a listener)"]  # committed, not silently rolled back


async def test_outside_a_transaction_no_savepoint_is_needed(sbor_database) -> None:
    async def writes(what: str, calls: list) -> None:
        await Greeting(name=what, message="m").save()

    reg = registry_of(fake_plugin("b", hooks={"thing_happened": hookimpl(specname="thing_happened")(writes)}))
    assert db.current_transaction() is None
    await reg.hooks.notify(thing_happened, what="alone", calls=[])
    assert [r["name"] for r in await Greeting.select(Greeting.name)] == ["alone"]

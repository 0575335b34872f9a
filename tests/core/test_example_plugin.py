"""The README's example plugin, installed as a real distribution and found through its entry point."""

from __future__ import annotations

from core.hooks import hookspecs
from core.hooks.manager import discover


def test_example_plugin_is_found_through_its_entry_point() -> None:
    info = discover()["hello"]
    assert info.source.startswith("distribution sbor-hello")
    assert info.manifest.version == "0.1.0"


async def test_example_plugin_routes_work(make_client) -> None:
    client = await make_client(["hello"])
    r = await client.post("/api/v1/hello/greetings", json={"name": "Ann"})
    assert r.status_code == 201, r.text
    assert r.json()["message"] == "Hello, Ann!"
    r = await client.get("/api/v1/hello/greetings")
    assert [g["name"] for g in r.json()] == ["Ann"]


async def test_example_plugin_settings_apply(make_client) -> None:
    client = await make_client(["hello"], settings={"hello": {"greeting": "Privet"}})
    r = await client.post("/api/v1/hello/greetings", json={"name": "Ivan"})
    assert r.json()["message"] == "Privet, Ivan!"
    caps = (await client.get("/api/v1/capabilities")).json()
    assert {"name": "hello", "version": "0.1.0", "settings": {"greeting": "Privet"}} in caps["plugins"]


async def test_disabled_plugin_has_no_routes(make_client) -> None:
    client = await make_client([])
    r = await client.post("/api/v1/hello/greetings", json={"name": "Ann"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    schema = (await client.get("/schema/openapi.json")).json()
    assert not any(p.startswith("/api/v1/hello") for p in schema["paths"])


async def test_example_plugin_job_forgets_old_greetings(make_client, clock, run_jobs, sbor_database) -> None:
    from sbor_hello.jobs import forget_old_greetings

    client = await make_client(["hello"])
    clock.freeze()
    await client.post("/api/v1/hello/greetings", json={"name": "Old"})
    clock.advance(60 * 60 * 24 * 31)
    await client.post("/api/v1/hello/greetings", json={"name": "New"})
    await forget_old_greetings.enqueue()
    assert await run_jobs() == 1
    assert [g["name"] for g in (await client.get("/api/v1/hello/greetings")).json()] == ["New"]
    periodic = [p for plugin, p in sbor_database.hooks.collect(hookspecs.register_periodic_jobs) if plugin == "hello"]
    assert periodic[0].cron == "0 3 * * *"

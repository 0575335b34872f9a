"""A/B experiments: deterministic assignment, exposures, conversions, results with significance tests."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from datetime import timedelta
from typing import Any

from core import db, hooks
from plugins.analytics import experiments, stats
from plugins.analytics.schemas import Variant
from plugins.events import hookspecs as events_specs

from .conftest import info

EXP = {"key": "onboarding-copy", "name": "Onboarding copy",
       "variants": [{"key": "control", "weight": 50}, {"key": "friendly", "weight": 50}]}


def test_two_proportion_z_test_matches_the_textbook() -> None:
    # 200/1000 vs 250/1000: pooled p = 0.225, z = 0.05 / sqrt(0.225 * 0.775 * 0.002) = 2.6774, p = 0.00742
    z, p = stats.two_proportion_z(200, 1000, 250, 1000)  # type: ignore[misc]
    assert math.isclose(z, 2.6774, abs_tol=1e-4)
    assert math.isclose(p, 0.00742, abs_tol=1e-5)
    assert stats.two_proportion_z(0, 0, 1, 10) is None
    assert stats.two_proportion_z(0, 10, 0, 10) is None  # no variance


def test_chi_square_agrees_with_z_for_two_groups_and_handles_more() -> None:
    chi2, p = stats.chi_square([(200, 1000), (250, 1000)])  # type: ignore[misc]
    assert math.isclose(chi2, 2.6774 ** 2, rel_tol=1e-4)
    assert math.isclose(p, stats.two_proportion_z(200, 1000, 250, 1000)[1], rel_tol=1e-9)  # type: ignore[index]
    # df = 2: p = exp(-chi2 / 2) exactly
    chi2, p = stats.chi_square([(10, 100), (20, 100), (30, 100)])  # type: ignore[misc]
    assert math.isclose(chi2, 12.5)
    assert math.isclose(p, math.exp(-6.25), rel_tol=1e-9)
    # df = 3 against a table value: chi2 = 7.815 is the 5 % critical value
    assert math.isclose(stats._gamma_q(1.5, 7.815 / 2), 0.05, abs_tol=1e-4)
    assert stats.chi_square([(5, 10)]) is None


def test_assignment_is_deterministic_and_follows_the_weights() -> None:
    variants = [Variant("a", 1), Variant("b", 3), Variant("off", 0)]
    seen = Counter(experiments.assign("exp", f"d:device-{i}", variants) for i in range(8000))
    assert seen["off"] == 0
    assert abs(seen["b"] / 8000 - 0.75) < 0.02
    assert all(experiments.assign("exp", "u:42", variants) == experiments.assign("exp", "u:42", variants)
               for _ in range(5))
    # Another experiment reshuffles subjects independently.
    other = Counter(experiments.assign("exp", f"d:device-{i}", variants) == experiments.assign(
        "exp2", f"d:device-{i}", variants) for i in range(2000))
    assert 0.5 < other[True] / 2000 < 0.75


async def manager_headers(make_user: Any, auth_headers: Any) -> dict[str, str]:
    return await auth_headers(await make_user(roles=["admin"]))  # type: ignore[no-any-return]


async def test_experiment_lifecycle_and_results(api: Any, make_user: Any, auth_headers: Any) -> None:
    admin_h = await manager_headers(make_user, auth_headers)
    r = await api.post("/api/v1/analytics/experiments", json=EXP, headers=admin_h)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft"
    # Not running yet: the app gets a stable code and falls back to its default.
    r = await api.post("/api/v1/analytics/experiments/onboarding-copy/assignment", json={"device_id": "device-0001"})
    assert r.status_code == 409
    assert r.json()["code"] == "experiment_not_running"
    r = await api.patch("/api/v1/analytics/experiments/onboarding-copy", json={"status": "running"}, headers=admin_h)
    assert r.status_code == 200 and r.json()["started_at"]

    variants = {}
    for i in range(40):
        device = f"device-{i:04d}"
        r = await api.post("/api/v1/analytics/experiments/onboarding-copy/assignment", json={"device_id": device})
        assert r.status_code == 200, r.text
        variants[device] = r.json()["variant"]
        again = await api.post("/api/v1/analytics/experiments/onboarding-copy/assignment", json={"device_id": device})
        assert again.json()["variant"] == variants[device]
    converted = [d for d in variants if variants[d] == "friendly"][:6] + [d for d in variants
                                                                         if variants[d] == "control"][:2]
    for device in converted:
        r = await api.post("/api/v1/analytics/experiments/onboarding-copy/conversions", json={"device_id": device})
        assert r.status_code == 200 and r.json()["recorded"] is True
    r = await api.post("/api/v1/analytics/experiments/onboarding-copy/conversions", json={"device_id": converted[0]})
    assert r.json()["recorded"] is False  # once per subject
    r = await api.post("/api/v1/analytics/experiments/onboarding-copy/conversions", json={"device_id": "never-seen-1"})
    assert r.status_code == 409 and r.json()["code"] == "not_exposed"

    r = await api.get("/api/v1/analytics/experiments/onboarding-copy/results", headers=admin_h)
    assert r.status_code == 200
    res = r.json()
    counts = Counter(variants.values())
    by = {v["variant"]: v for v in res["variants"]}
    assert by["control"]["exposures"] == counts["control"] and by["friendly"]["exposures"] == counts["friendly"]
    assert (by["control"]["conversions"], by["friendly"]["conversions"]) == (2, 6)
    assert by["control"]["z"] is None
    z, p = stats.two_proportion_z(2, counts["control"], 6, counts["friendly"])  # type: ignore[misc]
    assert math.isclose(by["friendly"]["p_value"], p) and math.isclose(by["friendly"]["z"], z)
    r = await api.get("/api/v1/analytics/experiments/onboarding-copy/results.csv", headers=admin_h)
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["variant", "exposures", "conversions", "conversion_rate", "z", "p_value"]
    assert [row[0] for row in rows[1:]] == ["control", "friendly"]

    # Running: no more edits; stop, then no way back.
    r = await api.patch("/api/v1/analytics/experiments/onboarding-copy", json={"name": "x"}, headers=admin_h)
    assert r.status_code == 409 and r.json()["code"] == "experiment_not_draft"
    r = await api.patch("/api/v1/analytics/experiments/onboarding-copy", json={"status": "stopped"}, headers=admin_h)
    assert r.status_code == 200
    r = await api.patch("/api/v1/analytics/experiments/onboarding-copy", json={"status": "running"}, headers=admin_h)
    assert r.status_code == 409 and r.json()["code"] == "illegal_status_move"


async def test_signed_in_users_are_assigned_by_user_and_converted_by_joining(api: Any, make_user: Any,
                                                                             auth_headers: Any) -> None:
    admin_h = await manager_headers(make_user, auth_headers)
    await api.post("/api/v1/analytics/experiments", json={**EXP, "goal": "join"}, headers=admin_h)
    await api.patch("/api/v1/analytics/experiments/onboarding-copy", json={"status": "running"}, headers=admin_h)
    user = await make_user()
    r = await api.post("/api/v1/analytics/experiments/onboarding-copy/assignment", json={},
                       headers=await auth_headers(user))
    assert r.json()["variant"] == experiments.assign("onboarding-copy", f"u:{user.id}",
                                                     [Variant("control", 50), Variant("friendly", 50)])
    await hooks.notify(events_specs.participant_joined, event=info(1, 99),
                       user_id=user.id, guests=0, status="confirmed")
    rows = await db.fetch("SELECT subject, converted_at FROM analytics.exposure")
    assert rows[0]["subject"] == f"u:{user.id}" and rows[0]["converted_at"] is not None


async def test_experiment_input_is_validated(api: Any, make_user: Any, auth_headers: Any) -> None:
    admin_h = await manager_headers(make_user, auth_headers)
    bad = [
        {**EXP, "variants": [{"key": "only", "weight": 1}]},
        {**EXP, "variants": [{"key": "a", "weight": 1}, {"key": "a", "weight": 1}]},
        {**EXP, "variants": [{"key": "a", "weight": 0}, {"key": "b", "weight": 0}]},
        {**EXP, "variants": [{"key": "a", "weight": -1}, {"key": "b", "weight": 1}]},
        {**EXP, "key": "Has Spaces"},
        {"name": "no key"},
    ]
    for body in bad:
        r = await api.post("/api/v1/analytics/experiments", json=body, headers=admin_h)
        assert r.status_code == 422, (body, r.text)
    assert (await api.post("/api/v1/analytics/experiments", json=EXP, headers=admin_h)).status_code == 201
    r = await api.post("/api/v1/analytics/experiments", json=EXP, headers=admin_h)
    assert r.status_code == 409 and r.json()["code"] == "experiment_exists"
    r = await api.post("/api/v1/analytics/experiments/nope/assignment", json={"device_id": "device-0001"})
    assert r.status_code == 404
    r = await api.post("/api/v1/analytics/experiments/onboarding-copy/assignment", json={})
    assert r.status_code == 422 and r.json()["code"] == "device_id_required"


async def test_experiment_permissions(api: Any, make_user: Any, auth_headers: Any) -> None:
    admin_h = await manager_headers(make_user, auth_headers)
    await api.post("/api/v1/analytics/experiments", json=EXP, headers=admin_h)
    calls = [("GET", "/api/v1/analytics/experiments", None), ("POST", "/api/v1/analytics/experiments", EXP),
             ("GET", "/api/v1/analytics/experiments/onboarding-copy", None),
             ("PATCH", "/api/v1/analytics/experiments/onboarding-copy", {"status": "running"}),
             ("GET", "/api/v1/analytics/experiments/onboarding-copy/results", None)]
    for method, url, body in calls:
        assert (await api.request(method, url, json=body)).status_code == 401, url
        for roles in ([], ["organiser"], ["moderator"], ["support"]):
            h = await auth_headers(await make_user(roles=roles))
            assert (await api.request(method, url, json=body, headers=h)).status_code == 403, (url, roles)


async def test_a_client_event_named_like_the_goal_converts(api: Any, make_user: Any, auth_headers: Any,
                                                            clock: Any) -> None:
    from plugins.analytics import ingest, rollups

    from .conftest import client_event

    admin_h = await manager_headers(make_user, auth_headers)
    await api.post("/api/v1/analytics/experiments", json={**EXP, "goal": "share_tapped"}, headers=admin_h)
    await api.patch("/api/v1/analytics/experiments/onboarding-copy", json={"status": "running"}, headers=admin_h)
    before = clock.now() - timedelta(minutes=5)
    for device in ("device-exposed-1", "device-exposed-2"):
        r = await api.post("/api/v1/analytics/experiments/onboarding-copy/assignment", json={"device_id": device})
        assert r.status_code == 200
    # Device 1 shares after its exposure, device 2 only before it (not a conversion), device 3 was never exposed.
    await api.post("/api/v1/analytics/events", json={"device_id": "device-exposed-1", "events": [
        client_event("share_tapped"), client_event("share_tapped"), client_event("card_clicked")]})
    await api.post("/api/v1/analytics/events", json={"device_id": "device-exposed-2",
                                                     "events": [client_event("share_tapped", at=before)]})
    await api.post("/api/v1/analytics/events", json={"device_id": "device-other-3",
                                                     "events": [client_event("share_tapped")]})
    await ingest.consume()
    await rollups.refresh()
    rows = await db.fetch("SELECT subject, converted_at IS NOT NULL AS converted FROM analytics.exposure "
                          "ORDER BY subject")
    assert rows == [{"subject": "d:device-exposed-1", "converted": True},
                    {"subject": "d:device-exposed-2", "converted": False}]
    res = (await api.get("/api/v1/analytics/experiments/onboarding-copy/results", headers=admin_h)).json()
    assert sum(v["conversions"] for v in res["variants"]) == 1


async def test_openapi_lists_every_analytics_operation(api: Any) -> None:
    schema = (await api.get("/schema/openapi.json")).json()
    ops = {op["operationId"] for path, item in schema["paths"].items() if path.startswith("/api/v1/analytics")
           for op in item.values() if isinstance(op, dict) and "operationId" in op}
    assert {"create_client_events", "get_event_dashboard", "export_event_dashboard", "get_platform_dashboard",
            "create_experiment", "create_assignment", "create_conversion", "get_experiment_results",
            "list_ideas", "update_idea", "export_ideas"} <= ops

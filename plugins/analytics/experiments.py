"""A/B experiments: variants with weights, deterministic assignment, exposures, conversions and results."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from plugins.analytics import stats
from plugins.analytics.schemas import (
    AssignmentRead,
    ConversionRead,
    ExperimentCreate,
    ExperimentRead,
    ExperimentResults,
    ExperimentUpdate,
    Variant,
    VariantResult,
)
from plugins.analytics.tables import Experiment, Exposure

log = logging.getLogger("plugins.analytics")

# The state machine of an experiment, in one place.
MOVES: dict[str, set[str]] = {"draft": {"running"}, "running": {"stopped"}, "stopped": set()}
ALPHA = 0.05


def assign(experiment_key: str, subject: str, variants: list[Variant]) -> str:
    """The variant ``subject`` sees: a stable hash of (experiment, subject) into the cumulative weights."""
    total = sum(v.weight for v in variants)
    digest = hashlib.sha256(f"{experiment_key}\0{subject}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for v in variants:
        if point < v.weight:
            return v.key
        point -= v.weight
    raise AssertionError("unreachable: point < total")


def _check_variants(variants: list[Variant]) -> None:
    keys = [v.key for v in variants]
    if len(set(keys)) != len(keys):
        raise ValidationFailed(code="duplicate_variant", errors=[{"pointer": "/variants", "detail": "keys repeat"}])
    if sum(v.weight for v in variants) <= 0:
        raise ValidationFailed(code="no_traffic", errors=[{"pointer": "/variants", "detail": "weights sum to 0"}])


def _read(row: dict[str, Any]) -> ExperimentRead:
    row = dict(row)
    row["variants"] = json.loads(row["variants"]) if isinstance(row["variants"], str) else row["variants"]
    return msgspec.convert(row, ExperimentRead)


async def _row(key: str) -> dict[str, Any]:
    row = await Experiment.select().where(Experiment.key == key).first()
    if row is None:
        raise NotFound("experiment %(key)r not found", params={"key": key}, code="experiment_not_found")
    return dict(row)


async def create(data: ExperimentCreate, actor_id: int) -> ExperimentRead:
    """Create a draft experiment."""
    _check_variants(data.variants)
    if await Experiment.exists().where(Experiment.key == data.key):
        raise Conflict("experiment %(key)r exists", params={"key": data.key}, code="experiment_exists")
    row = Experiment(key=data.key, name=data.name, description=data.description, goal=data.goal,
                     variants=msgspec.json.encode(data.variants).decode(), created_by=actor_id, created_at=clock.now())
    await row.save()
    log.info("user %s created experiment %s", actor_id, data.key)
    return await get(data.key)


async def get(key: str) -> ExperimentRead:
    """An experiment by key."""
    return _read(await _row(key))


async def list_all() -> list[ExperimentRead]:
    """Every experiment, newest first."""
    rows = await Experiment.select().order_by(Experiment.id, ascending=False)
    return [_read(r) for r in rows]


async def update(key: str, data: ExperimentUpdate, actor_id: int) -> ExperimentRead:
    """Edit a draft, or move the experiment along its state machine (illegal moves: 409)."""
    row = await _row(key)
    values: dict[Any, Any] = {}
    edits = {f: getattr(data, f) for f in ("name", "description", "variants", "goal")
             if getattr(data, f) is not msgspec.UNSET}
    if edits and row["status"] != "draft":
        raise Conflict("Only a draft experiment can be edited", code="experiment_not_draft")
    if "variants" in edits:
        _check_variants(edits["variants"])
        edits["variants"] = msgspec.json.encode(edits["variants"]).decode()
    values.update({getattr(Experiment, k): v for k, v in edits.items()})
    if data.status is not msgspec.UNSET and data.status != row["status"]:
        if data.status not in MOVES.get(row["status"], set()):
            raise Conflict("Cannot move an experiment from %(current)s to %(target)s",
                           params={"current": row['status'], "target": data.status},
                           code="illegal_status_move")
        values[Experiment.status] = data.status
        values[Experiment.started_at if data.status == "running" else Experiment.stopped_at] = clock.now()
    if values:
        await Experiment.update(values).where(Experiment.id == row["id"])
        log.info("user %s updated experiment %s: %s", actor_id, key, sorted(str(k._meta.name) for k in values))
    return await get(key)


async def expose(key: str, subject: str) -> AssignmentRead:
    """Assign ``subject`` to a variant of a running experiment and record the first exposure."""
    exp = await get(key)
    if exp.status != "running":
        raise Conflict("experiment %(key)r is %(status)s",
                       params={"key": key, "status": exp.status}, code="experiment_not_running")
    variant = assign(exp.key, subject, exp.variants)
    await Exposure.insert(Exposure(experiment=exp.id, subject=subject, variant=variant,
                                   exposed_at=clock.now())).on_conflict(action="DO NOTHING")
    stored = await Exposure.select(Exposure.variant).where(
        (Exposure.experiment == exp.id) & (Exposure.subject == subject)).first()
    return AssignmentRead(exp.key, stored["variant"] if stored else variant)


async def convert(key: str, subject: str) -> ConversionRead:
    """Record the conversion of an exposed subject (once); 409 when the subject was never exposed."""
    exp = await get(key)
    if exp.status != "running":
        raise Conflict("experiment %(key)r is %(status)s",
                       params={"key": key, "status": exp.status}, code="experiment_not_running")
    exposure = await Exposure.select(Exposure.id, Exposure.variant, Exposure.converted_at).where(
        (Exposure.experiment == exp.id) & (Exposure.subject == subject)).first()
    if exposure is None:
        raise Conflict("This user or device was never exposed to the experiment", code="not_exposed")
    changed = await Exposure.update({Exposure.converted_at: clock.now()}).where(
        (Exposure.id == exposure["id"]) & Exposure.converted_at.is_null()).returning(Exposure.id)
    return ConversionRead(exp.key, exposure["variant"], bool(changed))


async def convert_goal(goal: str, subject: str) -> None:
    """Convert ``subject`` in every running experiment whose goal is ``goal`` (called from domain hooks)."""
    running = Experiment.select(Experiment.id).where((Experiment.status == "running") & (Experiment.goal == goal))
    await Exposure.update({Exposure.converted_at: clock.now()}).where(
        (Exposure.subject == subject) & Exposure.experiment.is_in(running) & Exposure.converted_at.is_null())


async def results(key: str) -> ExperimentResults:
    """Counts and conversion per variant, z-tests against the control (first variant) and a chi-square overall."""
    exp = await get(key)
    rows = await Exposure.select(Exposure.variant, Count(alias="n"), Count(Exposure.converted_at, alias="c")).where(
        Exposure.experiment == exp.id).group_by(Exposure.variant)
    counts = {r["variant"]: (int(r["c"]), int(r["n"])) for r in rows}
    control_c, control_n = counts.get(exp.variants[0].key, (0, 0))
    out = []
    for i, v in enumerate(exp.variants):
        c, n = counts.get(v.key, (0, 0))
        test = None if i == 0 else stats.two_proportion_z(control_c, control_n, c, n)
        out.append(VariantResult(v.key, n, c, c / n if n else None, test[0] if test else None,
                                 test[1] if test else None))
    chi = stats.chi_square([counts.get(v.key, (0, 0)) for v in exp.variants])
    return ExperimentResults(exp.key, exp.status, out, chi[0] if chi else None, chi[1] if chi else None,
                             bool(chi and chi[1] < ALPHA))

"""Model freshness per environment: `freshness: {max_age}` in a job becomes the `freshness` check
of its model's asset, evaluated per environment partition, so a fresh dev partition never hides
a stale prd one (Dagster's FreshnessPolicy is per asset: it reads PASS for a never-materialized
prd partition while sandbox is fresh, so it is not attached).

The check reads the partition's newest materialization from the instance (no warehouse). It runs
when launched from the UI, and by itself through the sensor `model_jobs_freshness`: each tick
reads only the materializations recorded since its cursor, keeps each bound partition's newest
materialization time in the cursor, and requests one run of the checks whose partition turned
stale or fresh again since the last tick. Runs happen on changes, not on every tick.
"""
# No `from __future__ import annotations` here: Dagster inspects the context type hint at runtime.

import json
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetRecordsFilter,
    AssetSelection,
    DagsterInstance,
    DefaultSensorStatus,
    MetadataValue,
    PreviewWarning,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    StaticPartitionsDefinition,
    asset_check,
    define_asset_job,
    sensor,
)

if TYPE_CHECKING:  # Dagster does not export the type define_asset_job returns
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.compile.conditions import MaxAge
from model_jobs.compile.triggers import model_job_key
from model_jobs.defs.keys import model_key
from model_jobs.runtime.conditions import age_text

CHECK_NAME = "freshness"
FRESHNESS_JOB = "model_jobs_freshness_checks"
FRESHNESS_SENSOR = "model_jobs_freshness"
PARTITION_TAG = "dagster/partition"
CURSOR_VERSION = 1


def now() -> float:
    """The time freshness is judged at (a function, so tests can move the clock of this module only)."""
    return time.time()


def _bounds(project: CompiledProject) -> dict[str, MaxAge]:
    """Model Job key -> its freshness bound, for the jobs that have one."""
    return {job.key: job.freshness for job in project.jobs.values() if job.freshness is not None}


def _models_with_bounds(project: CompiledProject) -> list[str]:
    return sorted({job.model for job in project.jobs.values() if job.freshness is not None})


def newest_materialization(instance: DagsterInstance, model: str, environment: str) -> float | None:
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=model_key(model), asset_partitions=[environment]), limit=1
    ).records
    return records[0].timestamp if records else None


def judge_freshness(bound: MaxAge, newest: float | None, now: float, where: str) -> tuple[bool, str]:
    if newest is None:
        return False, f"{where} has never been materialized; max_age {bound.text}"
    age = now - newest
    verdict = "materialized" if age <= bound.seconds else "stale: materialized"
    return age <= bound.seconds, f"{where} {verdict} {age_text(age)}; max_age {bound.text}"


def freshness_checks(project: CompiledProject) -> list[AssetChecksDefinition]:
    return [_freshness_check(project, model) for model in _models_with_bounds(project)]


def _freshness_check(project: CompiledProject, model: str) -> AssetChecksDefinition:
    environments = project.environments_of(model)
    with warnings.catch_warnings():
        # Partitioned checks are a preview in Dagster; per-environment results are their point.
        warnings.simplefilter("ignore", PreviewWarning)

        @asset_check(
            asset=model_key(model),
            name=CHECK_NAME,
            partitions_def=StaticPartitionsDefinition(environments),
            description="The environment's newest materialization is within its freshness max_age: "
            + ", ".join(
                f"{env} {project.job(model, env).freshness.text}"  # type: ignore[union-attr]
                for env in environments
                if project.job(model, env).freshness
            ),
        )
        def _model_freshness(context: AssetCheckExecutionContext) -> AssetCheckResult:
            environment = context.partition_key
            job = project.job(model, environment)
            if job.freshness is None:
                return AssetCheckResult(
                    passed=True, description=f"{job.key} has no freshness bound", metadata={"environment": environment}
                )
            newest = newest_materialization(context.instance, model, environment)
            fresh, text = judge_freshness(job.freshness, newest, now(), job.key)
            metadata: dict[str, Any] = {"environment": environment, "max_age": job.freshness.text}
            if newest is not None:
                metadata["last_materialized"] = MetadataValue.timestamp(newest)
            context.log.info(text)
            return AssetCheckResult(
                passed=fresh, severity=AssetCheckSeverity.ERROR, description=text, metadata=metadata
            )

    return _model_freshness


def freshness_job(project: CompiledProject) -> "UnresolvedAssetJobDefinition | None":
    models = _models_with_bounds(project)
    if not models:
        return None
    return define_asset_job(
        name=FRESHNESS_JOB,
        selection=AssetSelection.checks(*[AssetCheckKey(model_key(m), CHECK_NAME) for m in models]),
        description="Runs the freshness check of one Model Job's partition (requested by model_jobs_freshness).",
    )


@dataclass
class FreshnessState:
    """The sensor's cursor: the storage id read up to, each bound Model Job's newest
    materialization time, and which were stale at the last tick."""

    after: int | None = None
    newest: dict[str, float] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)

    def to_cursor(self) -> str:
        data = {"v": CURSOR_VERSION, "after": self.after, "newest": self.newest, "stale": sorted(self.stale)}
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_cursor(cls, cursor: str | None) -> "FreshnessState":
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            if data.get("v") != CURSOR_VERSION:
                raise ValueError(f"cursor version {data.get('v')!r}, expected {CURSOR_VERSION}")
            return cls(data["after"], {str(k): float(v) for k, v in data["newest"].items()}, list(data["stale"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"the freshness sensor's cursor cannot be read ({exc}): {cursor[:200]!r}") from exc


def _read_newest(
    instance: DagsterInstance, project: CompiledProject, bounds: Mapping[str, MaxAge], state: FreshnessState
) -> FreshnessState:
    """Fold in the materializations since the cursor; on the first tick, read each partition's newest."""
    models = sorted({key.split("@", 1)[0] for key in bounds})
    records = instance.get_asset_records([model_key(m) for m in models])
    latest = max((r.asset_entry.last_materialization_storage_id or 0 for r in records), default=0)
    newest = dict(state.newest)
    if state.after is None:
        for key in bounds:
            model, environment = key.split("@", 1)
            found = newest_materialization(instance, model, environment)
            if found is not None:
                newest[key] = found
        return FreshnessState(latest, newest, state.stale)
    for record in records:
        entry = record.asset_entry
        if (entry.last_materialization_storage_id or 0) <= state.after:
            continue
        result = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=entry.asset_key, after_storage_id=state.after), limit=1000, ascending=True
        )
        for item in result.records:
            key = model_job_key(entry.asset_key.path[-1], item.partition_key or "")
            if key in bounds:
                newest[key] = max(newest.get(key, 0.0), item.timestamp)
    return FreshnessState(max(latest, state.after), newest, state.stale)


def freshness_sensor(project: CompiledProject, job: "UnresolvedAssetJobDefinition") -> SensorDefinition:
    bounds = _bounds(project)

    @sensor(
        name=FRESHNESS_SENSOR,
        job=job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Runs a Model Job's freshness check when its environment partition turns stale (or fresh "
        "again): " + ", ".join(f"{k} {b.text}" for k, b in sorted(bounds.items())),
    )
    def _watch_freshness(context: SensorEvaluationContext) -> SensorResult:
        state = _read_newest(context.instance, project, bounds, FreshnessState.from_cursor(context.cursor))
        at = now()
        verdicts = {key: judge_freshness(bound, state.newest.get(key), at, key) for key, bound in bounds.items()}
        stale = sorted(key for key, (fresh, _) in verdicts.items() if not fresh)
        changed = sorted(set(stale) ^ set(state.stale))
        requests = []
        for key in changed:
            model, environment = key.split("@", 1)
            turned = "stale" if key in stale else "fresh"
            requests.append(
                RunRequest(
                    run_key=f"{key}:freshness:{turned}:{state.newest.get(key, 0):.0f}",
                    asset_check_keys=[AssetCheckKey(model_key(model), CHECK_NAME)],
                    tags={PARTITION_TAG: environment, "model_jobs/freshness": f"{key} turned {turned}"},
                )
            )
        state.stale = stale
        lines = [text for key, (_, text) in sorted(verdicts.items()) if key in stale]
        skip = None if requests else ("\n".join(["no change", *lines]) if lines else "every bound partition is fresh")
        return SensorResult(run_requests=requests, cursor=state.to_cursor(), skip_reason=skip)

    return _watch_freshness

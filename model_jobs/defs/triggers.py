"""Model Jobs as Dagster jobs and schedules: one asset job per model, one schedule per scheduled
Model Job, and the upstream things triggers listen to as external assets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    DefaultScheduleStatus,
    Definitions,
    ExecutorDefinition,
    JobDefinition,
    PartitionedConfig,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    StaticPartitionsDefinition,
    define_asset_job,
    schedule,
)

if TYPE_CHECKING:  # Dagster does not export the type define_asset_job returns
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.compile.triggers import Trigger, asset_job_name, model_job_key, schedule_name
from model_jobs.defs.conditions import evaluate_with, report, skip_observation, source_events
from model_jobs.defs.keys import deployment_key, job_event_key, model_key
from model_jobs.defs.resources import warehouse_for_ticks
from model_jobs.specs.models import UpstreamEntry

# Run tag naming the Model Job a run writes. The instance's run queue allows one run per value
# (tag_concurrency_limits in dagster.yaml), and the dispatcher counts runs in flight by it.
MODEL_JOB_TAG = "model_job"
TRIGGER_TAG = "model_jobs/trigger"  # what started a run: schedule, or the events it answers


def model_asset_job(project: CompiledProject, model: str) -> UnresolvedAssetJobDefinition:
    """The job `<model>_job`: runs one environment partition of the model's asset, tagged with its
    Model Job whatever launches it (schedule, sensor, the Jobs page, another code location)."""
    environments = StaticPartitionsDefinition(project.environments_of(model))
    return define_asset_job(
        name=asset_job_name(model),
        selection=AssetSelection.assets(model_key(model)),
        description=f"The Model Jobs of model {model!r}: one run materializes one environment.",
        config=PartitionedConfig(
            partitions_def=environments,
            run_config_for_partition_key_fn=lambda _env: {},
            tags_for_partition_key_fn=lambda env: {MODEL_JOB_TAG: model_job_key(model, env)},
        ),
    )


def model_asset_jobs(
    project: CompiledProject,
    models: Sequence[AssetsDefinition],
    external: Sequence[AssetsDefinition],
    resources: Mapping[str, Any],
    executor: ExecutorDefinition,
) -> dict[str, JobDefinition]:
    """Each model's job, resolved against only the model and the assets it reads. Dagster resolves
    an asset job against every asset of its code location, which costs time in proportion to the
    project for each job: 35 s for 1,000 models. Against its own few assets a job takes ~2 ms."""
    by_key = {key: a for a in [*external, *models] for key in a.keys}
    jobs: dict[str, JobDefinition] = {}
    for asset in models:
        model = asset.key.path[-1]
        reads = {id(by_key[k]): by_key[k] for k in sorted(asset.dependency_keys) if k in by_key}
        scoped = Definitions(
            assets=[asset, *reads.values()],
            jobs=[model_asset_job(project, model)],
            resources=resources,
            executor=executor,
        )
        jobs[model] = scoped.resolve_job_def(asset_job_name(model))
    return jobs


def model_job_schedule(project: CompiledProject, trigger: Trigger, job: JobDefinition) -> ScheduleDefinition:
    assert trigger.schedule is not None
    key = trigger.key
    model_job = project.job(trigger.model, trigger.environment)

    @schedule(
        name=schedule_name(trigger.model, trigger.environment),
        cron_schedule=trigger.schedule.cron,
        execution_timezone=trigger.schedule.timezone,
        job=job,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Runs Model Job {key} at {trigger.schedule.cron} ({trigger.schedule.timezone})"
        + (f", when {'; '.join(model_job.conditions.describe())}." if model_job.conditions else "."),
        tags={MODEL_JOB_TAG: key},
    )
    def _model_job_schedule(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        scheduled: datetime = context.scheduled_execution_time
        if model_job.conditions:
            # Conditions are evaluated before the run is requested: unmet, no run for this tick.
            verdict = evaluate_with(warehouse_for_ticks(), context.instance, project, model_job, f"schedule {key}")
            report(context.instance, source_events(project, model_job, verdict))
            if not verdict.met:
                where = f"schedule tick {scheduled.isoformat()}"
                report(context.instance, [skip_observation(model_job, verdict, where)])
                return SkipReason(f"{key} skipped, conditions unmet: {verdict.reason}")
        return RunRequest(
            run_key=f"{key}:{scheduled.isoformat()}",  # one run per scheduled time, across restarts
            partition_key=trigger.environment,
            tags={MODEL_JOB_TAG: key, TRIGGER_TAG: f"schedule {scheduled.isoformat()}"},
        )

    return _model_job_schedule


def model_job_schedules(project: CompiledProject, jobs: Mapping[str, JobDefinition]) -> list[ScheduleDefinition]:
    return [model_job_schedule(project, t, jobs[t.model]) for t in project.triggers.values() if t.schedule]


def watched_names(project: CompiledProject, kind: str) -> list[str]:
    return sorted({s.name for t in project.triggers.values() for s in t.on if s.kind == kind})


def upstream_specs(project: CompiledProject) -> list[AssetSpec]:
    """External assets for the declared deployments (partitioned by environment, like the models'
    own) and for the jobs triggers listen to (one event per successful run, recorded by the
    run-status sensor, so every trigger is dispatched from asset events)."""
    upstream = project.specs.upstream
    environments = StaticPartitionsDefinition(list(project.specs.environments))
    deployments = [
        AssetSpec(
            key=deployment_key(name),
            description=_described(
                entry, f"Deployments of {name}: report one with `model-jobs report-deployment {name} --env ENV`."
            ),
            group_name="deployments",
            partitions_def=environments,
        )
        for name, entry in sorted(upstream.deployments.items())
    ]
    jobs = [
        AssetSpec(
            key=job_event_key(name),
            description=_described(
                upstream.jobs.get(name),
                f"Successful runs of the Dagster job {name!r} (in any code location), recorded for the "
                "Model Jobs that run after it.",
            ),
            group_name="upstream_jobs",
        )
        for name in sorted(set(watched_names(project, "job")) | set(upstream.jobs))
    ]
    return deployments + jobs


def _described(entry: UpstreamEntry | None, fallback: str) -> str:
    return (entry.description if entry else None) or fallback

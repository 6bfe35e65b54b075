"""Conditions in Dagster: evaluate a Model Job's conditions where a run may start (a schedule
tick, the dispatcher, the run itself), and make a skip visible where people look: an observation
on the Model Job's partition naming the reason, and the sources' measured state and the results of
the checks the conditions ran, on the sources' partitions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dagster import AssetObservation, AssetRecordsFilter, DagsterInstance, MetadataValue

from model_jobs.compile.compiled_project import CompiledProject, ResolvedJob
from model_jobs.defs.keys import model_key
from model_jobs.defs.resources import job_connection
from model_jobs.defs.snowflake_resource import SnowflakeResource
from model_jobs.defs.sources import source_observation
from model_jobs.identifiers import TableName
from model_jobs.runtime.checks import CheckOutcome
from model_jobs.runtime.conditions import Verdict, evaluate_environment
from model_jobs.runtime.statements import Statements
from model_jobs.warehouse.settings import query_tag

SKIPPED_TAG = "model_jobs/skipped"  # run tag: why a run wrote nothing
FORCED_TAG = "model_jobs/forced"  # run tag: a run that bypassed unmet conditions
SOURCE_STATE = "source_state"  # materialization metadata: what changed_since_last_run compares with


def recorded_source_state(instance: DagsterInstance, job: ResolvedJob) -> Mapping[str, Any] | None:
    """The source state on the job's last materialization (None: it has none)."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=model_key(job.model), asset_partitions=[job.environment]), limit=1
    ).records
    materialization = records[0].asset_materialization if records else None
    if materialization is None:
        return None
    entry = materialization.metadata.get(SOURCE_STATE)
    value = entry.value if entry is not None else None
    return value if isinstance(value, dict) else {}


def evaluate_with(
    snowflake: SnowflakeResource,
    instance: DagsterInstance,
    project: CompiledProject,
    job: ResolvedJob,
    run_id: str,
) -> Verdict:
    """Evaluate one job's conditions on a connection of its environment (none for a job without
    conditions: every run would otherwise pay a login)."""
    return evaluate_jobs(snowflake, instance, project, [job], run_id)[job.key]


def evaluate_jobs(
    snowflake: SnowflakeResource,
    instance: DagsterInstance,
    project: CompiledProject,
    jobs: Sequence[ResolvedJob],
    run_id: str,
) -> dict[str, Verdict]:
    """The conditions of many jobs: per environment one connection, one statement measuring every
    source they need and one per checked location (see runtime.conditions.evaluate_environment)."""
    verdicts = {job.key: Verdict(True) for job in jobs if not job.conditions}
    by_env: dict[str, list[ResolvedJob]] = {}
    for job in jobs:
        if job.conditions:
            by_env.setdefault(job.environment, []).append(job)
    now = datetime.now(UTC)
    for environment, env_jobs in sorted(by_env.items()):
        env = project.specs.environments[environment]
        tag = query_tag(model="conditions", environment=environment, tag="", run_id=run_id)
        with job_connection(
            snowflake, role=env.role, warehouse=env.warehouse, session_parameters={"QUERY_TAG": tag}, read_only=True
        ) as connection:
            verdicts |= evaluate_environment(
                Statements(connection.cursor()),
                env_jobs,
                project.specs.sources,
                project.source_rules,
                now,
                lambda job: recorded_source_state(instance, job),
            )
    return verdicts


def verdict_metadata(verdict: Verdict, forced: bool = False) -> dict[str, Any]:
    if verdict.met:
        text = "met"
    elif forced:
        text = f"unmet, bypassed by force: {verdict.reason}"
    else:
        text = f"unmet: {verdict.reason}"
    return {"conditions": text}


def skip_observation(job: ResolvedJob, verdict: Verdict, where: str) -> AssetObservation:
    """On the Model Job's partition: why it did not run (where: 'schedule tick', 'run ...')."""
    return AssetObservation(
        asset_key=model_key(job.model),
        partition=job.environment,
        description=f"Skipped ({where}): {verdict.reason}",
        metadata={
            "skipped": verdict.reason,
            "where": where,
            "reasons": MetadataValue.json(list(verdict.reasons)),
        },
    )


def source_events(project: CompiledProject, job: ResolvedJob, verdict: Verdict) -> list[AssetObservation]:
    """The sources' measured state and check results, on their partitions for the job's environment."""
    now = datetime.now(UTC).timestamp()
    # Only where the job reads what the source's partition stands for (see source_locations).
    design_of = {
        s.actual: s.design
        for s in job.sources
        if project.source_locations.get(s.design, {}).get(job.environment) == s.actual
    }
    outcomes: dict[TableName, list[CheckOutcome]] = {}
    for outcome in verdict.checks:
        outcomes.setdefault(outcome.location, []).append(outcome)
    return [
        source_observation(
            design_of[location],
            job.environment,
            location,
            verdict.measured.get(location),
            now,
            outcomes.get(location, ()),
        )
        for location in sorted(set(verdict.measured) | set(outcomes))
        if location in design_of
    ]


def report(instance: DagsterInstance, events: Iterable[AssetObservation]) -> None:
    for event in events:
        instance.report_runless_asset_event(event)

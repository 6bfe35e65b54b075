"""Source tables as Dagster assets, partitioned by environment, with their data-quality checks.

The `marketing_prd` partition of `datalake_dev/raw/orders` is the location marketing_prd's jobs
read for it (DATALAKE_PRD.RAW.ORDERS): its freshness observations and check results are recorded
on that partition, so the UI shows each environment's state of each source.

Checks are one partitioned multi-asset check per source: one statement evaluates all of a
source's checks in one environment (`runtime/checks.py`). Dagster marks partitioned checks as a
preview (its PreviewWarning is filtered where they are defined); they work on 1.13.27 as used here.
"""
# No `from __future__ import annotations` here: Dagster inspects the context type hint at runtime.

import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetObservation,
    AssetSpec,
    Failure,
    MetadataValue,
    PreviewWarning,
    StaticPartitionsDefinition,
    TableColumn,
    TableSchema,
    multi_asset_check,
)

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.compile.source_sql import ParsedCheck
from model_jobs.defs.keys import source_key
from model_jobs.defs.resources import job_connection
from model_jobs.defs.snowflake_resource import SnowflakeResource
from model_jobs.identifiers import TableName
from model_jobs.runtime.checks import CheckOutcome, run_checks
from model_jobs.runtime.conditions import SourceState, age_text
from model_jobs.runtime.statements import Statements
from model_jobs.warehouse.settings import query_tag


def source_partitions(project: CompiledProject, table: TableName) -> StaticPartitionsDefinition:
    return StaticPartitionsDefinition(list(project.source_locations[table]))


def source_specs(project: CompiledProject) -> list[AssetSpec]:
    """External assets for the tables models read that no model produces, one partition per
    environment that reads them."""
    specs = []
    for table, locations in project.source_locations.items():
        declared = project.specs.sources.get(table)
        where = "\n".join(f"| {env} | {location} |" for env, location in locations.items())
        description = (declared.description if declared else None) or f"Source table {table}"
        specs.append(
            AssetSpec(
                key=source_key(table),
                description=f"{description}\n\n| environment | location |\n|---|---|\n{where}",
                group_name="sources",
                kinds={"snowflake"},
                partitions_def=source_partitions(project, table),
                metadata={
                    "dagster/table_name": str(table),
                    "locations": MetadataValue.json({env: str(loc) for env, loc in locations.items()}),
                    **(
                        {
                            "dagster/column_schema": TableSchema(
                                columns=[TableColumn(name, type) for name, type in declared.columns.items()]
                            )
                        }
                        if declared and declared.columns
                        else {}
                    ),
                },
            )
        )
    return specs


def _severity(check: ParsedCheck | CheckOutcome) -> AssetCheckSeverity:
    severity = check.spec.severity if isinstance(check, ParsedCheck) else check.severity
    return AssetCheckSeverity.ERROR if severity == "error" else AssetCheckSeverity.WARN


def _check_spec(project: CompiledProject, table: TableName, check: ParsedCheck) -> AssetCheckSpec:
    spec = check.spec
    what = spec.sql or spec.expression or spec.model_dump_json(include={spec.kind})
    with warnings.catch_warnings():
        # Dagster calls partitioned checks a preview; per-environment check results are the point
        # of these checks, and they behave as documented on the pinned Dagster (tested).
        warnings.simplefilter("ignore", PreviewWarning)
        return AssetCheckSpec(
            name=check.name,
            asset=source_key(table),
            description=f"{spec.kind} ({spec.severity}): {what}",
            partitions_def=source_partitions(project, table),
        )


def check_metadata(outcome: CheckOutcome, environment: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "environment": environment,
        "location": str(outcome.location),
        "row_count": outcome.row_count,
        "summary": outcome.message,
    }
    if outcome.failing_rows is not None:
        metadata["failing_rows"] = outcome.failing_rows
    if outcome.sample:
        metadata["failing_rows_sample"] = MetadataValue.json(list(outcome.sample))
    return metadata


NO_ENVIRONMENT = (
    "The checks of {table} run per environment (partition), and this run names none: Dagster's UI launches "
    '"Execute all" on a source\'s Checks tab without one. Nothing was checked. Each tick of a Model Job that '
    "requires source_data_quality runs them, and their latest results per environment are on the source's "
    "partitions; to run them now, launch them for one environment (run tag dagster/partition, e.g. "
    "GraphQL launchRun; see docs/conditions.md)."
)


def source_checks(project: CompiledProject) -> list[AssetChecksDefinition]:
    """A partitioned multi-asset check per source with checks, in the environments that read it."""
    return [
        _source_check(project, table, checks)
        for table, checks in sorted(project.source_rules.checks.items())
        if checks and table in project.source_locations
    ]


def _source_check(project: CompiledProject, table: TableName, checks: Sequence[ParsedCheck]) -> AssetChecksDefinition:
    key = source_key(table)
    name = "checks_" + "__".join(key.path)

    @multi_asset_check(
        specs=[_check_spec(project, table, c) for c in checks],
        name=name,
        description=f"Data-quality checks of {table}, in the location each environment reads.",
        can_subset=True,  # one check can be run alone from the UI; all of them still take one statement
    )
    def _run_source_checks(
        context: AssetCheckExecutionContext, snowflake: SnowflakeResource
    ) -> Iterator[AssetCheckResult]:
        if not context.op_execution_context.has_partition_key:
            # The UI's "Execute all" on a source's Checks tab launches no partition, and Dagster
            # cannot record a partitioned check's result without one: say so before any SQL.
            raise Failure(description=NO_ENVIRONMENT.format(table=table), allow_retries=False)
        environment = context.partition_key
        selected = {k.name for k in context.selected_asset_check_keys}
        chosen = [c for c in checks if c.name in selected]
        location = project.source_locations[table][environment]
        env = project.specs.environments[environment]
        tag = query_tag(model=f"checks:{table}", environment=environment, tag="", run_id=context.run.run_id)
        with job_connection(
            snowflake, role=env.role, warehouse=env.warehouse, session_parameters={"QUERY_TAG": tag}, read_only=True
        ) as connection:
            outcomes = run_checks(Statements(connection.cursor()), location, chosen)
        for outcome in outcomes:
            context.log.info(outcome.message)
            yield AssetCheckResult(
                asset_key=key,
                check_name=outcome.name,
                passed=outcome.passed,
                severity=_severity(outcome),
                description=outcome.message,
                metadata=check_metadata(outcome, environment),
            )

    return _run_source_checks


def source_observation(
    table: TableName,
    environment: str,
    location: TableName,
    state: SourceState | None,
    now: float,
    outcomes: Sequence[CheckOutcome] = (),
) -> AssetObservation:
    """What a condition measured of a source in one environment, on that partition: its newest
    load and rows, and the checks it ran. Check results from conditions are recorded here, not as
    check evaluations: Dagster stores one run-less evaluation per check and partition, so a second
    one (the next tick) would be refused. A check run (from the UI) records real evaluations."""
    metadata: dict[str, Any] = {"environment": environment, "location": str(location)}
    failed = [o for o in outcomes if not o.passed]
    if outcomes:
        metadata["checks"] = MetadataValue.json(
            {o.name: {"passed": o.passed, "severity": o.severity, "failing_rows": o.failing_rows} for o in outcomes}
        )
        for o in failed:
            if o.sample:
                metadata[f"failing_rows_sample/{o.name}"] = MetadataValue.json(list(o.sample))
    checked = (
        f"; {len(failed)} of {len(outcomes)} checks fail"
        if failed
        else f"; {len(outcomes)} checks pass"
        if outcomes
        else ""
    )
    if state is None:
        description = f"{location}{checked}"
    elif state.error:
        metadata["error"] = state.error
        description = f"{location}: cannot be measured ({state.error})"
    else:
        if state.rows is not None:
            metadata["rows"] = state.rows
        if state.loaded_at is not None:
            metadata["newest_load"] = MetadataValue.timestamp(state.loaded_at)
            metadata["age_seconds"] = round(now - state.loaded_at)
            description = f"{location}: newest load {age_text(now - state.loaded_at)}"
        else:
            description = f"{location}: {state.rows} rows"
        description += checked
    return AssetObservation(
        asset_key=source_key(table), partition=environment, metadata=metadata, description=description
    )

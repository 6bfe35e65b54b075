"""Translate a compiled project into Dagster assets: one per model, one partition per environment."""
# No `from __future__ import annotations` here: Dagster inspects the context type hint at runtime.

import contextlib
from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetObservation,
    AssetsDefinition,
    DagsterError,
    Failure,
    MaterializeResult,
    MetadataValue,
    StaticPartitionMapping,
    StaticPartitionsDefinition,
    asset,
)
from dagster import (
    Field as DagsterField,
)

from model_jobs.compile.compiled_project import CompiledProject, ResolvedJob
from model_jobs.compile.incremental import Incremental
from model_jobs.compile.model_lineage import LineageCache, ModelLineage, default_lineage_cache_file, definition_lineage
from model_jobs.defs.conditions import (
    FORCED_TAG,
    SKIPPED_TAG,
    SOURCE_STATE,
    evaluate_with,
    skip_observation,
    source_events,
    verdict_metadata,
)
from model_jobs.defs.keys import model_key, source_key
from model_jobs.defs.lineage import definition_metadata, lineage_metadata, materialization_schema
from model_jobs.defs.one_writer import sole_writer
from model_jobs.defs.resources import job_connection
from model_jobs.defs.snowflake_resource import SnowflakeResource
from model_jobs.errors import RunRefused, SpecError, SpecErrors
from model_jobs.identifiers import TableName
from model_jobs.runtime.incremental import IncrementalOutcome
from model_jobs.runtime.materialize import Materialization, materialize
from model_jobs.warehouse.settings import query_tag


def _deps(project: CompiledProject, model: str) -> list[AssetDep]:
    # Each environment partition reads the same environment's partition of what it reads.
    by_upstream: dict[str, dict[str, str]] = {}
    tables: dict[TableName, dict[str, str]] = {}
    for env in project.environments_of(model):
        for source in project.job(model, env).sources:
            if source.upstream_model:
                by_upstream.setdefault(source.upstream_model, {})[env] = env
            else:
                tables.setdefault(source.design, {})[env] = env
    deps = [
        AssetDep(model_key(upstream), partition_mapping=StaticPartitionMapping(envs))
        for upstream, envs in sorted(by_upstream.items())
    ]
    return deps + [
        AssetDep(source_key(t), partition_mapping=StaticPartitionMapping(envs)) for t, envs in sorted(tables.items())
    ]


def _description(project: CompiledProject, model: str) -> str:
    spec = project.specs.models[model]
    rows = ["| environment | tag | reads | target |", "|---|---|---|---|"]
    for env in project.environments_of(model):
        job = project.job(model, env)
        tag = f"{job.tag.name} (latest)" if job.follows_latest else job.tag.name
        reads = ", ".join(str(s.actual) for s in job.sources)
        rows.append(f"| {env} | {tag} | {reads} | {job.target} |")
    return "\n".join([spec.spec.description, "", "**Model Jobs**", "", *rows])


def _metadata(job: ResolvedJob, result: Materialization, run_id: str, specs_revision: str | None) -> dict[str, Any]:
    return {
        "environment": job.environment,
        "tag": job.tag.name,
        "sql_sha256": job.tag.sha256,
        "compiled_sql": MetadataValue.md(f"```sql\n{job.create_sql}\n```"),
        "sources_read": MetadataValue.json([s.to_metadata() for s in job.sources]),
        "target": str(job.target),
        "rows_written": result.rows_written,
        # Each statement's purpose (preflight, stage, apply, ...) and its id in Snowflake's history.
        "snowflake_queries": MetadataValue.json([s.to_metadata() for s in result.statements]),
        "role": job.environment_spec.role,
        "warehouse": job.environment_spec.warehouse,
        "dagster/table_name": str(job.target),
        "dagster/row_count": result.rows_written,
        "dagster/column_schema": materialization_schema(job, result.target_columns, result.lineage),
        "run_id": run_id,
        **(lineage_metadata(job, result.lineage) if result.lineage else {}),
        **({"specs_git_commit": specs_revision} if specs_revision else {}),
        **(
            _incremental_metadata(job.incremental, result.incremental) if job.incremental and result.incremental else {}
        ),
    }


def _definition_metadata(project: CompiledProject, model: str, shown: ModelLineage | None) -> dict[str, Any]:
    environments = project.environments_of(model)
    metadata: dict[str, Any] = {
        "environments": MetadataValue.json(
            {
                env: {"tag": project.job(model, env).tag.name, "target": str(project.job(model, env).target)}
                for env in environments
            }
        )
    }
    return (metadata | definition_metadata(project, model, shown)) if shown else metadata


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _incremental_metadata(settings: Incremental, result: IncrementalOutcome) -> dict[str, Any]:
    return {
        "incremental": MetadataValue.json(settings.to_metadata()),
        "mode": result.mode,
        **({"full_refresh_reason": result.reason} if result.reason else {}),
        "watermark_before": _text(result.watermark_before),
        "watermark_after": _text(result.watermark_after),
        "rows_inserted": result.rows_inserted,
        "rows_updated": result.rows_updated,
        "rows_deleted": result.rows_deleted,
        **({"rows_staged": result.rows_staged} if result.rows_staged is not None else {}),
        **({"schema_changes": MetadataValue.json(result.schema_changes)} if result.schema_changes else {}),
        **({"sql_change": result.sql_change} if result.sql_change else {}),
    }


# Built once and shared: a pythonic Config class would be turned into a schema again for every
# asset, a quarter of a second per thousand models at load.
RUN_CONFIG_SCHEMA = {
    "full_refresh": DagsterField(
        bool, default_value=False, description="Rebuild the whole target, even for an incremental Model Job."
    ),
    "force": DagsterField(
        bool,
        default_value=False,
        description="Run even when the Model Job's conditions are unmet (the materialization records it).",
    ),
}


def _run_tags(context: AssetExecutionContext, job: ResolvedJob) -> dict[str, str]:
    """Run tags `model`, `environment`, `model_tag`, so runs can be filtered by them in the UI.
    A run that materializes several models keeps the tags of the first; every materialization
    records its own tag in its metadata either way."""
    if "model" in context.run.tags:
        return {}
    return {"model": job.model, "environment": job.environment, "model_tag": job.tag.name}


@contextlib.contextmanager
def _refused_as_failure() -> Iterator[None]:
    try:
        yield
    except RunRefused as exc:
        # A Failure shows the message itself in the UI, not a stack trace; retrying won't help.
        raise Failure(description=str(exc), allow_retries=False) from exc


def model_asset(
    project: CompiledProject, model: str, specs_revision: str | None = None, lineage: ModelLineage | None = None
) -> AssetsDefinition:
    spec = project.specs.models[model]
    environments = project.environments_of(model)

    @asset(
        key=model_key(model),
        partitions_def=StaticPartitionsDefinition(environments),
        deps=_deps(project, model),
        description=_description(project, model),
        group_name=spec.spec.group,
        owners=list(spec.spec.owners),
        kinds={"snowflake"},
        config_schema=RUN_CONFIG_SCHEMA,
        output_required=False,  # a run whose conditions are unmet writes nothing and succeeds
        metadata=_definition_metadata(project, model, lineage),
    )
    def _materialize_model(
        context: AssetExecutionContext, snowflake: SnowflakeResource
    ) -> Iterator[MaterializeResult[Any] | AssetObservation]:
        job = project.job(model, context.partition_key)
        config = context.op_execution_context.op_config
        # Conditions again, before anything is written: the sources may have changed since the
        # tick that started this run, and a run launched by hand has not been through one.
        verdict = evaluate_with(snowflake, context.instance, project, job, context.run.run_id)
        forced = config["force"] and not verdict.met
        for event in source_events(project, job, verdict):
            context.instance.report_runless_asset_event(event)
        if not verdict.met and not config["force"]:
            context.log.info(f"Skipped: conditions unmet, nothing written: {verdict.reason}")
            context.instance.add_run_tags(
                context.run.run_id, {SKIPPED_TAG: verdict.reason[:4000], **_run_tags(context, job)}
            )
            yield skip_observation(job, verdict, f"run {context.run.run_id}")
            return  # no output: the run succeeds, downstream steps are skipped
        if forced:
            context.log.warning(f"Conditions unmet, bypassed by force: {verdict.reason}")
        tag = query_tag(model=model, environment=job.environment, tag=job.tag.name, run_id=context.run.run_id)
        also_tag = {**_run_tags(context, job), **({FORCED_TAG: verdict.reason[:4000]} if forced else {})}
        with (
            _refused_as_failure(),
            sole_writer(context, job.key, also_tag=also_tag),
            job_connection(
                snowflake,
                role=job.environment_spec.role,
                warehouse=job.environment_spec.warehouse,
                session_parameters={"QUERY_TAG": tag},
                database=job.target.database,
                schema=job.target.schema,
            ) as connection,
        ):
            result = materialize(
                job,
                connection,
                project.specs.sources,
                log=context.log.info,
                full_refresh=config["full_refresh"],
            )
        metadata = _metadata(job, result, context.run.run_id, specs_revision)
        if job.conditions:
            metadata |= verdict_metadata(verdict, forced)
        if job.conditions.changed_since_last_run:
            metadata[SOURCE_STATE] = MetadataValue.json(verdict.source_state())
        yield MaterializeResult(metadata=metadata)

    return _materialize_model


def model_assets(project: CompiledProject, specs_revision: str | None = None) -> list[AssetsDefinition]:
    """One asset per deployed model. A model Dagster refuses is a spec error on its model.yaml
    (all of them at once), not a stack trace."""
    assets, problems = [], []
    lineage = definition_lineage(project, LineageCache(default_lineage_cache_file()))
    for model in project.model_order():
        try:
            assets.append(model_asset(project, model, specs_revision, lineage[model]))
        except DagsterError as exc:
            spec_file = project.specs.models[model].directory / "model.yaml"
            problems.append(SpecError(spec_file, "", f"Dagster cannot define model {model!r}: {exc}"))
    if problems:
        raise SpecErrors(problems)
    return assets

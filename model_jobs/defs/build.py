"""Assemble the Dagster Definitions for a compiled project."""

from __future__ import annotations

from dagster import AssetsDefinition, AssetSpec, DagsterError, Definitions, in_process_executor

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.defs.assets import model_assets
from model_jobs.defs.deployments import deployment_specs
from model_jobs.defs.dispatcher import trigger_sensors
from model_jobs.defs.freshness import freshness_checks, freshness_job, freshness_sensor
from model_jobs.defs.notifications import notify_sensor
from model_jobs.defs.resources import snowflake_resource_from_env
from model_jobs.defs.sources import source_checks, source_specs
from model_jobs.defs.triggers import model_asset_jobs, model_job_schedules, upstream_specs
from model_jobs.errors import SpecError, SpecErrors
from model_jobs.versioning.lineage import specs_commit

# A Model Job's step is a handful of warehouse statements: a subprocess per step buys no
# isolation worth the seconds it costs to start and import everything again. Set on the
# Definitions (and on each model's job), it is the executor of every run of this code location,
# the UI's included.
EXECUTOR = in_process_executor


def build_definitions(project: CompiledProject) -> Definitions:
    revision = specs_commit(project.specs.root)  # once per load: every run records what was loaded
    resources = {"snowflake": snowflake_resource_from_env()}
    external = _one_by_one([*source_specs(project), *deployment_specs(project), *upstream_specs(project)])
    models = model_assets(project, revision)
    jobs = model_asset_jobs(project, models, external, resources, EXECUTOR)
    checks_job = freshness_job(project)
    return Definitions(
        assets=[*external, *models],
        asset_checks=[*source_checks(project), *freshness_checks(project)],
        jobs=[*jobs.values(), *([checks_job] if checks_job else [])],
        schedules=model_job_schedules(project, jobs),
        sensors=[
            *trigger_sensors(project, jobs),
            *([freshness_sensor(project, checks_job)] if checks_job else []),
            *([notifier] if (notifier := notify_sensor(project)) else []),
        ],
        resources=resources,
        executor=EXECUTOR,
    )


def _one_by_one(specs: list[AssetSpec]) -> list[AssetsDefinition]:
    """Each external asset in its own definition. Dagster would bundle all specs that share a
    partitioning into one, and every model's job would then carry the whole bundle (every source
    and deployment of the project) in its asset graph: 60 ms per job at 200 models, quadratic in
    the number of models. One by one, a job holds only what its model reads."""
    return [AssetsDefinition(specs=[spec]) for spec in specs]


def loadable_definitions(project: CompiledProject) -> Definitions:
    """The Definitions, resolved as Dagster resolves them when it loads the code location (the
    result is cached on the object, so loading does not pay twice). Whatever Dagster refuses that
    the spec checks let through is reported as a spec error, so `model-jobs validate` and the code
    location always agree, and say it the same way."""
    try:
        defs = build_definitions(project)
        Definitions.validate_loadable(defs)
    except DagsterError as exc:
        raise SpecErrors([SpecError(project.specs.root, "", f"Dagster cannot load these definitions: {exc}")]) from exc
    return defs

"""Assemble the Dagster Definitions for a compiled project."""

from __future__ import annotations

from dagster import DagsterError, Definitions, in_process_executor

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.defs.assets import model_assets, source_specs
from model_jobs.defs.deployments import deployment_specs
from model_jobs.defs.resources import snowflake_resource_from_env
from model_jobs.errors import SpecError, SpecErrors
from model_jobs.versioning.lineage import specs_commit


def build_definitions(project: CompiledProject) -> Definitions:
    revision = specs_commit(project.specs.root)  # once per load: every run records what was loaded
    return Definitions(
        assets=[*source_specs(project), *deployment_specs(project), *model_assets(project, revision)],
        resources={"snowflake": snowflake_resource_from_env()},
        # A Model Job's step is a handful of warehouse statements: a subprocess per step buys no
        # isolation worth the seconds it costs to start and import everything again. Set on the
        # Definitions, it is the executor of every run of this code location, the UI's included.
        executor=in_process_executor,
    )


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

"""Assemble the Dagster Definitions for a compiled project."""

from __future__ import annotations

from dagster import Definitions

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.defs.assets import model_assets, source_specs
from model_jobs.defs.deployments import deployment_specs
from model_jobs.defs.resources import snowflake_resource_from_env
from model_jobs.versioning.lineage import specs_commit


def build_definitions(project: CompiledProject) -> Definitions:
    revision = specs_commit(project.specs.root)  # once per load: every run records what was loaded
    return Definitions(
        assets=[*source_specs(project), *deployment_specs(project), *model_assets(project, revision)],
        resources={"snowflake": snowflake_resource_from_env()},
    )

"""Assemble the Dagster Definitions for a compiled project."""

from __future__ import annotations

from dagster import Definitions

from model_jobs.compile.plan import CompiledProject
from model_jobs.defs.assets import model_assets, source_specs
from model_jobs.versioning.events import deployment_specs
from model_jobs.versioning.lineage import specs_commit
from model_jobs.warehouse.resource import snowflake_resource_from_env


def build_definitions(project: CompiledProject) -> Definitions:
    revision = specs_commit(project.specs.root)  # once per load: every run records what was loaded
    return Definitions(
        assets=[*source_specs(project), *deployment_specs(project), *model_assets(project, revision)],
        resources={"snowflake": snowflake_resource_from_env()},
    )

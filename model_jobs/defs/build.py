"""Assemble the Dagster Definitions for a compiled project."""

from __future__ import annotations

from dagster import Definitions

from model_jobs.compile.plan import CompiledProject
from model_jobs.defs.assets import model_assets, source_specs
from model_jobs.warehouse.resource import snowflake_resource_from_env


def build_definitions(project: CompiledProject) -> Definitions:
    return Definitions(
        assets=[*source_specs(project), *model_assets(project)],
        resources={"snowflake": snowflake_resource_from_env()},
    )

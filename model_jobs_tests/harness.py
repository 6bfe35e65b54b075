"""Run Model Jobs from tests the way `model-jobs demo` does: through Dagster, in this process."""

from __future__ import annotations

from typing import Any

from dagster import DagsterInstance

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.defs.build import build_definitions
from model_jobs.defs.headless import PartitionRun, run_partition


def run_model_job(
    project: CompiledProject, model: str, environment: str, instance: DagsterInstance, **op_config: Any
) -> PartitionRun:
    """One run of one Model Job; `op_config` is the asset's run config (e.g. full_refresh=True)."""
    return run_partition(build_definitions(project), model, environment, instance, op_config or None)

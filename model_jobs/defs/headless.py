"""Run a Model Job in this process, through Dagster, without a webserver or daemon (`model-jobs run`,
the demo command and the tests use it): the same job, asset, resources and run records as a launch
from the UI or a schedule.

The run is the model's job (`<model>_job`, the one its schedule launches) and names the code
location it belongs to (`code_location()`, as workspace.yaml or the production chart name it), so
in the UI it looks like any other run: its job links to the job, and it can be re-executed from
there. Dagster's `materialize()` would record an `__ephemeral_asset_job__` of no code location.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, Definitions
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import create_execution_plan, execute_run
from dagster._core.execution.execute_in_process import merge_run_tags
from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.storage.tags import PARTITION_NAME_TAG
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from model_jobs.compile.triggers import asset_job_name, model_job_key
from model_jobs.defs.conditions import SKIPPED_TAG
from model_jobs.defs.triggers import MODEL_JOB_TAG

# The code location's name: workspace.yaml's location_name. Dagster's Helm chart names a location
# after its deployment, which Kubernetes spells with dashes: deploy/values.yaml sets this variable.
CODE_LOCATION = "model_jobs"
CODE_LOCATION_ENV = "MODEL_JOBS_CODE_LOCATION"
CODE_LOCATION_TAG = "dagster/code_location"  # what Dagster tags a run launched in a code location with
REPOSITORY = "__repository__"  # the repository Dagster names a Definitions object's

# The caller prints its own summary; Dagster's per-event console log would bury it.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class PartitionRun:
    """How one run of one model's environment partition went."""

    model: str
    environment: str
    run_id: str
    metadata: dict[str, Any]  # the materialization's metadata values; empty when failed or skipped
    error: str | None = None  # the root cause, as the asset raised it
    skipped: str | None = None  # why the run wrote nothing: its conditions were unmet

    @property
    def ok(self) -> bool:
        return self.error is None and self.skipped is None


def run_partition(
    defs: Definitions,
    model: str,
    environment: str,
    instance: DagsterInstance,
    op_config: dict[str, Any] | None = None,
) -> PartitionRun:
    job_def = defs.resolve_job_def(asset_job_name(model))
    asset_def = defs.get_assets_def(model)
    run_config: dict[str, Any] = {**QUIET, **({"ops": {asset_def.op.name: {"config": op_config}}} if op_config else {})}
    # The tags a launch of this partition gets (the Model Job's, from the job's partitioned config).
    tags = merge_run_tags(job_def, environment, {CODE_LOCATION_TAG: code_location()}, None, instance, run_config)
    tags = {**tags, PARTITION_NAME_TAG: environment, MODEL_JOB_TAG: model_job_key(model, environment)}
    job = InMemoryJob(job_def)
    plan = create_execution_plan(
        job, run_config=run_config, instance_ref=instance.get_ref() if instance.is_persistent else None, tags=tags
    )
    run = instance.create_run_for_job(
        job_def=job_def,
        execution_plan=plan,
        run_config=run_config,
        tags=tags,
        remote_job_origin=_origin(job_def.name),
    )
    execute_run(job, run, instance, raise_on_error=False)
    return _outcome(model, environment, run.run_id, asset_def.op.name, instance)


def code_location() -> str:
    return os.environ.get(CODE_LOCATION_ENV) or CODE_LOCATION


def _origin(job_name: str) -> RemoteJobOrigin:
    """Where the run's job lives: this code location, loaded here from its module."""
    target = LoadableTargetOrigin(module_name="model_jobs.definitions", working_directory=os.getcwd())
    location = InProcessCodeLocationOrigin(loadable_target_origin=target, location_name=code_location())
    return RemoteJobOrigin(repository_origin=RemoteRepositoryOrigin(location, REPOSITORY), job_name=job_name)


def _outcome(model: str, environment: str, run_id: str, step: str, instance: DagsterInstance) -> PartitionRun:
    """How the run went, from what it recorded in the instance."""
    run = instance.get_run_by_id(run_id)
    events = [entry.dagster_event for entry in instance.all_logs(run_id) if entry.dagster_event is not None]
    if run is not None and run.status == DagsterRunStatus.SUCCESS:
        materializations = [
            e.step_materialization_data.materialization
            for e in events
            if e.event_type == DagsterEventType.ASSET_MATERIALIZATION and e.step_key == step
        ]
        if not materializations:  # the run succeeded without writing: its conditions were unmet
            return PartitionRun(model, environment, run_id, {}, skipped=run.tags.get(SKIPPED_TAG, "conditions unmet"))
        (materialization,) = materializations
        metadata = {key: entry.value for key, entry in materialization.metadata.items()}
        return PartitionRun(model, environment, run_id, metadata)
    failure = next((e for e in events if e.event_type == DagsterEventType.STEP_FAILURE), None)
    error = _root_cause(failure.step_failure_data.error) if failure and failure.step_failure_data.error else None
    return PartitionRun(model, environment, run_id, {}, error or "run failed")


def _root_cause(error: Any) -> str:
    # Dagster wraps the exception raised in the asset; the innermost cause says what went wrong.
    while error.cause is not None:
        error = error.cause
    return str(error.message).strip()

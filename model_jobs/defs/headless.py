"""Run a Model Job in this process, through Dagster, without a webserver or daemon (the demo
command and the tests use it): the same asset, resources and run records as a launch from the UI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dagster import DagsterInstance, Definitions, materialize

from model_jobs.compile.triggers import model_job_key
from model_jobs.defs.conditions import SKIPPED_TAG
from model_jobs.defs.triggers import MODEL_JOB_TAG

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
    asset_def = defs.get_assets_def(model)
    run_config: dict[str, Any] = {**QUIET, **({"ops": {asset_def.op.name: {"config": op_config}}} if op_config else {})}
    result = materialize(
        [asset_def],
        partition_key=environment,
        resources=defs.resources,
        instance=instance,
        raise_on_error=False,
        run_config=run_config,
        tags={MODEL_JOB_TAG: model_job_key(model, environment)},
    )
    if result.success:
        materializations = result.asset_materializations_for_node(asset_def.op.name)
        if not materializations:  # the run succeeded without writing: its conditions were unmet
            run = instance.get_run_by_id(result.run_id)
            reason = run.tags.get(SKIPPED_TAG, "conditions unmet") if run else "conditions unmet"
            return PartitionRun(model, environment, result.run_id, {}, skipped=reason)
        (materialization,) = materializations
        metadata = {key: entry.value for key, entry in materialization.metadata.items()}
        return PartitionRun(model, environment, result.run_id, metadata)
    failure = next((e for e in result.all_events if e.is_step_failure), None)
    error = _root_cause(failure.step_failure_data.error) if failure and failure.step_failure_data.error else None
    return PartitionRun(model, environment, result.run_id, {}, error or "run failed")


def _root_cause(error: Any) -> str:
    # Dagster wraps the exception raised in the asset; the innermost cause says what went wrong.
    while error.cause is not None:
        error = error.cause
    return str(error.message).strip()

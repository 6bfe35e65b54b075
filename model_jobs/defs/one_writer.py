"""One writer per Model Job, however the run was launched.

Runs launched through a model's job (schedule, sensor, the Jobs page, `model-jobs run`) carry the
`model_job` tag, and the instance's run queue (tag_concurrency_limits in dagster.yaml) starts at
most one per Model Job. A launch from the asset graph goes through Dagster's `__ASSET_JOB`
without that tag, and the queue cannot hold it back. So every run also claims its Model Job right
before writing: it tags itself as writing it, then looks for another run that is executing with
the same claim. If there is one, it refuses to write (nothing is changed) and says which run
holds the Model Job. Both claims are written before either looks, so two runs that start together
cannot both miss each other: at least one gives way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from dagster import AssetExecutionContext, DagsterRunStatus, RunsFilter

from model_jobs.defs.triggers import MODEL_JOB_TAG
from model_jobs.errors import AnotherRunWriting

WRITING_TAG = "model_jobs/writing"
# A tag cannot be removed through the instance, only overwritten: a released claim says how it
# ended (any value but the bare key is no claim).
ENDED, GAVE_WAY = "ended", "gave way"
EXECUTING = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


@contextlib.contextmanager
def sole_writer(context: AssetExecutionContext, key: str, also_tag: Mapping[str, str]) -> Iterator[None]:
    """Hold Model Job `key` while the body writes; raise AnotherRunWriting if another run holds it.
    `also_tag`: more run tags, written with the claim (one write to the instance, not two)."""
    instance, run = context.instance, context.run
    claim = {**also_tag, WRITING_TAG: key}
    if MODEL_JOB_TAG not in run.tags:
        claim[MODEL_JOB_TAG] = key  # from now on the run queue holds further runs of this job back
    instance.add_run_tags(run.run_id, claim)
    others = [
        r.dagster_run.run_id
        for r in instance.get_run_records(RunsFilter(tags={WRITING_TAG: key}, statuses=EXECUTING))
        if r.dagster_run.run_id != run.run_id
    ]
    if others:
        instance.add_run_tags(run.run_id, {WRITING_TAG: f"{key} ({GAVE_WAY})"})
        raise AnotherRunWriting(
            f"Model Job {key} is being written by run {', '.join(others)}; this run wrote nothing. Launch "
            "it again when that run has finished (runs launched through the model's job, schedules and "
            "sensors wait in the queue by themselves)."
        )
    try:
        yield
    finally:
        instance.add_run_tags(run.run_id, {WRITING_TAG: f"{key} ({ENDED})"})

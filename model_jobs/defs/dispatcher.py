"""Two sensors start every event-triggered Model Job, however many there are.

The daemon pays for each sensor on every tick, so there is no sensor per Model Job:
- `model_jobs_events` reads the asset events triggers listen to (Model Job materializations,
  deployment reports, job successes) after its storage-id cursor, and asks the pure dispatcher
  (compile/dispatch.py) which Model Jobs they start. Its cost grows with the new events, not with
  the number of Model Jobs: one batched read of the watched keys' latest storage ids, then one
  read per key that moved, and one read of the runs in flight for the jobs owed a run.
- `model_jobs_job_events` (a run-status sensor over every code location) records each success
  of a job some trigger names as an event on `upstream_jobs/<job>`, so job events go through the
  same cursor, `wait_for: all` and coalescing as every other event.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetObservation,
    AssetRecordsFilter,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    RunStatusSensorDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_status_sensor,
    sensor,
)

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.compile.dispatch import DispatchState, Evaluation, Event, TriggerIndex, evaluate
from model_jobs.compile.triggers import DISPATCHER_SENSOR, JOB_EVENTS_SENSOR, EventKind, asset_job_name
from model_jobs.defs.conditions import evaluate_jobs, skip_observation, source_events
from model_jobs.defs.keys import deployment_key, job_event_key, model_key
from model_jobs.defs.resources import warehouse_for_ticks
from model_jobs.defs.triggers import MODEL_JOB_TAG, TRIGGER_TAG, watched_names

PARTITION_TAG = "dagster/partition"
# Runs that still hold their Model Job: a new event waits for them to end (see dispatch.py).
IN_FLIGHT = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]
PAGE = 1000


@dataclass(frozen=True)
class WatchedKey:
    kind: EventKind
    name: str


def watched_keys(index: TriggerIndex) -> dict[AssetKey, WatchedKey]:
    key_of = {"model_job": model_key, "deployment": deployment_key, "job": job_event_key}
    return {key_of[kind](name): WatchedKey(kind, name) for kind, name in sorted(index.watched)}


def _event(record_storage_id: int, watched: WatchedKey, partition: str | None, metadata: Mapping[str, object]) -> Event:
    if watched.kind == "job":
        environment = metadata.get("environment")
        partition = environment if isinstance(environment, str) and environment else None
    return Event(record_storage_id, watched.kind, watched.name, partition)


def read_events(instance: DagsterInstance, watched: dict[AssetKey, WatchedKey], after: int) -> list[Event]:
    """Every event on a watched key after storage id `after`, reading only the keys that moved."""
    events: list[Event] = []
    for record in instance.get_asset_records(list(watched)):
        entry = record.asset_entry
        if (entry.last_materialization_storage_id or 0) <= after:
            continue
        page: str | None = None
        while True:
            result = instance.fetch_materializations(
                AssetRecordsFilter(asset_key=entry.asset_key, after_storage_id=after),
                limit=PAGE,
                cursor=page,
                ascending=True,
            )
            for item in result.records:
                materialization = item.asset_materialization
                metadata = {k: v.value for k, v in materialization.metadata.items()} if materialization else {}
                events.append(_event(item.storage_id, watched[entry.asset_key], item.partition_key, metadata))
            if not result.has_more:
                break
            page = result.cursor
    return events


def latest_storage_id(instance: DagsterInstance, keys: Sequence[AssetKey]) -> int:
    return max(
        (r.asset_entry.last_materialization_storage_id or 0 for r in instance.get_asset_records(keys)), default=0
    )


def in_flight(instance: DagsterInstance, keys: Collection[str]) -> set[str]:
    """Which of these Model Jobs have a run queued or running: one query, whatever their number."""
    records = instance.get_run_records(RunsFilter(tags={MODEL_JOB_TAG: list(keys)}, statuses=IN_FLIGHT))
    return {r.dagster_run.tags[MODEL_JOB_TAG] for r in records} & set(keys)


def _run_request(project: CompiledProject, evaluation: Evaluation) -> list[RunRequest]:
    return [
        RunRequest(
            run_key=run.run_key,
            job_name=asset_job_name(run.trigger.model),
            partition_key=run.trigger.environment,
            tags={MODEL_JOB_TAG: run.trigger.key, TRIGGER_TAG: "; ".join(run.events)[:4000]},
        )
        for run in evaluation.runs
    ]


def _observations(evaluation: Evaluation, touched: set[str]) -> list[AssetObservation]:
    """Why a Model Job an event reached did not run yet, on that job's asset partition, where a
    person looking at the partition finds it."""
    observations = []
    for key, decision in sorted(evaluation.decisions.items()):
        if key not in touched:
            continue  # a decision repeated every tick (still in flight) is said when it is made
        model, environment = key.split("@", 1)
        observations.append(
            AssetObservation(
                asset_key=model_key(model),
                partition=environment,
                metadata={"trigger_decision": decision},
                description=f"Trigger: {decision}",
            )
        )
    return observations


class ConditionsAtTick:
    """Evaluates the conditions of the jobs a tick could start: their sources measured in one
    statement per environment, then each job judged (and its required checks run). What was
    measured is recorded on the sources' partitions, and a skip on the job's partition, for the
    jobs new events reached this tick: a job waiting for its conditions is evaluated again every
    tick, and saying so every tick would flood the event log."""

    def __init__(self, project: CompiledProject, context: SensorEvaluationContext, touched: set[str]) -> None:
        self.project, self.context, self.touched = project, context, touched
        self.events: list[AssetObservation] = []
        self.said: set[str] = set()  # jobs whose skip is said in `events`

    def unmet(self, keys: Collection[str]) -> dict[str, str]:
        jobs = [self.project.job(*key.split("@", 1)) for key in keys]
        verdicts = evaluate_jobs(
            warehouse_for_ticks(), self.context.instance, self.project, jobs, f"sensor {DISPATCHER_SENSOR}"
        )
        unmet = {}
        for job in jobs:
            verdict = verdicts[job.key]
            if job.key in self.touched:
                self.events.extend(source_events(self.project, job, verdict))
            if not verdict.met:
                unmet[job.key] = verdict.reason
                if job.key in self.touched:
                    self.events.append(skip_observation(job, verdict, "dispatcher"))
                    self.said.add(job.key)
        return unmet


def dispatcher_sensor(
    project: CompiledProject, index: TriggerIndex, jobs: Mapping[str, JobDefinition]
) -> SensorDefinition:
    watched = watched_keys(index)
    targets = sorted({t.model for t in index.triggers.values()})

    @sensor(
        name=DISPATCHER_SENSOR,
        jobs=[jobs[model] for model in targets],
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Starts the Model Jobs whose trigger events happened (materializations of Model Jobs, "
        "deployments, successful jobs), once per event, one environment at a time.",
    )
    def _dispatch(context: SensorEvaluationContext) -> SensorResult:
        state = DispatchState.from_cursor(context.cursor)
        if state.after is None:
            # A new dispatcher starts from now: it does not replay the instance's history.
            start = latest_storage_id(context.instance, list(watched))
            state.after = start
            return SensorResult(
                cursor=state.to_cursor(),
                skip_reason=f"started watching {len(watched)} event names; events after storage id {start} start runs",
            )
        events = read_events(context.instance, watched, state.after)
        touched = {t.key for e in events for t, _ in index.listeners(e)}
        conditions = ConditionsAtTick(project, context, touched)
        result = evaluate(
            index,
            state,
            events,
            environments_of=project.environments_of,
            in_flight_of=lambda keys: in_flight(context.instance, keys),
            unmet_of=conditions.unmet,
        )
        for line in result.reasons:  # in the tick's log, whether or not it starts runs
            (context.log.warning if line in result.ignored else context.log.info)(line)
        # A started run says why in its own tag (model_jobs/trigger); what an event reached without
        # starting a run (held, or waiting for all) is said on the partition. Only then: each
        # observation is a few writes the daemon makes, per Model Job an event fans out to.
        started = {r.trigger.key for r in result.runs}
        requests = _run_request(project, result)
        # Every tick that starts nothing says why: what it read, and what each waiting job waits for.
        head = f"{len(events)} new events" if events else "no new event"
        skip = None if requests else "\n".join([head, *result.reasons])
        return SensorResult(
            run_requests=requests,
            cursor=result.state.to_cursor(),
            skip_reason=skip,
            asset_events=[*_observations(result, touched - started - conditions.said), *conditions.events],
        )

    return _dispatch


def job_events_sensor(project: CompiledProject) -> RunStatusSensorDefinition:
    names = set(watched_names(project, "job"))

    @run_status_sensor(
        run_status=DagsterRunStatus.SUCCESS,
        name=JOB_EVENTS_SENSOR,
        monitor_all_code_locations=True,
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Records each successful run of the jobs Model Jobs run after ({', '.join(sorted(names))}) "
        "as an event the Model Jobs dispatcher reads.",
    )
    def _record_job_success(context: RunStatusSensorContext) -> SkipReason | None:
        run = context.dagster_run
        if run.job_name not in names:
            return SkipReason(f"no Model Job runs after job {run.job_name!r}")
        key = job_event_key(run.job_name)
        latest = context.instance.fetch_materializations(AssetRecordsFilter(asset_key=key), limit=1).records
        last = latest[0].asset_materialization if latest else None
        if last is not None and last.metadata.get("run_id") and last.metadata["run_id"].value == run.run_id:
            return SkipReason(f"run {run.run_id} of {run.job_name} is already recorded")  # a repeated tick
        environment = run.tags.get(PARTITION_TAG, "")
        context.instance.report_runless_asset_event(
            AssetMaterialization(
                asset_key=key,
                description=f"Run {run.run_id} of job {run.job_name} succeeded",
                metadata={"run_id": run.run_id, "job": run.job_name, "environment": environment},
            )
        )
        return None

    return _record_job_success


def trigger_sensors(project: CompiledProject, jobs: Mapping[str, JobDefinition]) -> list[SensorDefinition]:
    """The dispatcher when any Model Job has events, and the job-events sensor when any listens to a job."""
    index = TriggerIndex(project.triggers.values(), project.specs.environments)
    if not index.triggers:
        return []
    sensors: list[SensorDefinition] = [dispatcher_sensor(project, index, jobs)]
    if watched_names(project, "job"):
        sensors.append(job_events_sensor(project))
    return sensors

"""One sensor, `model_jobs_notify`, tells each environment's `notify:` destinations when one of its
Model Jobs fails or is skipped (docs/notifications.md).

Why a plain sensor over run-status events, not `@run_failure_sensor`: a skip is a run that
*succeeded* without writing (it carries the SKIPPED_TAG of defs/conditions.py), so seeing failures
and skips takes two run-status sensors, each paying the daemon's per-sensor cost on every tick.
This one reads both kinds of run-status events after its storage-id cursor, two queries, plus one
query for those runs' records and one per failed run for its step failures: the cost grows with
the runs that ended, not with the number of Model Jobs.

The decisions (which run is whose Model Job, which environment notifies where, what the message
says) are pure, in compile/notifications.py; sending is runtime/delivery.py's. A delivery that
fails (receiver down, HTTP error, timeout) is kept in the cursor and tried again on the next
ticks, MAX_ATTEMPTS times in all; a destination whose environment variable is unset is reported
on the tick and not retried (the variable is read by this process: it needs a restart anyway).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DefaultSensorStatus,
    RunsFilter,
    RunStatusChangeRecordsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)
from dagster._core.definitions.assets.job.asset_job import IMPLICIT_ASSET_JOB_NAME
from dagster._core.storage.tags import PARTITION_NAME_TAG

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.compile.notifications import (
    DEFAULT_UI_URL,
    UI_URL_ENV,
    Notification,
    RunOutcome,
    first_line,
    notifying_environments,
    route,
)
from model_jobs.compile.triggers import asset_job_name
from model_jobs.defs.conditions import SKIPPED_TAG
from model_jobs.defs.triggers import MODEL_JOB_TAG
from model_jobs.runtime.delivery import TIMEOUT_SECONDS, DeliveryError, MissingSecret, deliver
from model_jobs.specs.models import EnvironmentSpec

NOTIFY_SENSOR = "model_jobs_notify"
SLACK_API_URL_ENV = "MODEL_JOBS_SLACK_API_URL"  # Slack's Web API, when not slack.com (tests, proxies)
CURSOR_VERSION = 1
PAGE = 100  # run-status events read per kind and tick; more are read on the next ticks
MAX_ATTEMPTS = 3  # one send and two retries, on the next ticks
MAX_PENDING = 100  # undelivered messages kept for retry; beyond, the oldest are given up (and said so)


@dataclass
class NotifyState:
    """The cursor: the storage id of the last run-status event read, and messages to try again."""

    after: int | None = None
    pending: list[tuple[Notification, int]] = field(default_factory=list)  # (message, attempts so far)

    def to_cursor(self) -> str:
        pending = [{"notification": n.to_json(), "attempts": a} for n, a in self.pending]
        return json.dumps({"v": CURSOR_VERSION, "after": self.after, "pending": pending}, sort_keys=True)

    @classmethod
    def from_cursor(cls, cursor: str | None) -> NotifyState:
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            if data.get("v") != CURSOR_VERSION:
                raise ValueError(f"cursor version {data.get('v')!r}, expected {CURSOR_VERSION}")
            pending = [(Notification.from_json(p["notification"]), int(p["attempts"])) for p in data["pending"]]
            return cls(data["after"], pending)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"the notify sensor's cursor cannot be read ({exc}): {cursor[:200]!r}") from exc


def ui_url() -> str:
    return os.environ.get(UI_URL_ENV, "").strip() or DEFAULT_UI_URL


def post_slack(token: str, channel: str, text: str) -> None:
    """Post through dagster-slack's client (slack_sdk's WebClient); imported here, when a Slack
    destination is used, so loading the code location does not pay for it."""
    from dagster_slack import SlackResource

    client = SlackResource(token=token).get_client()
    client.timeout = int(TIMEOUT_SECONDS)
    base = os.environ.get(SLACK_API_URL_ENV, "").strip()
    if base:
        client.base_url = base if base.endswith("/") else base + "/"
    client.chat_postMessage(channel=channel, text=text)


def _latest(instance: DagsterInstance) -> int:
    """The storage id of the newest run-status event of the kinds read: where the first tick starts."""
    newest = [
        instance.fetch_run_status_changes(kind, limit=1).records
        for kind in (DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_SUCCESS)
    ]
    return max((records[0].storage_id for records in newest if records), default=0)


def _ended_runs(instance: DagsterInstance, after: int) -> tuple[list[tuple[int, str, DagsterEventType]], int]:
    """(storage id, run id, kind) of the runs that failed or succeeded after `after`, oldest first,
    and the storage id read up to. With more than a page of either kind, only what both pages
    cover is taken now (the rest on the next tick), so no event is ever passed over."""
    found: list[tuple[int, str, DagsterEventType]] = []
    upto: int | None = None
    for kind in (DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_SUCCESS):
        result = instance.fetch_run_status_changes(
            RunStatusChangeRecordsFilter(kind, after_storage_id=after),
            limit=PAGE,
            ascending=True,
        )
        found += [(r.storage_id, r.run_id, kind) for r in result.records]
        if result.has_more and result.records:
            last = result.records[-1].storage_id
            upto = last if upto is None else min(upto, last)
    if upto is not None:
        found = [f for f in found if f[0] <= upto]
    return sorted(found), max([after, *(f[0] for f in found)])


def _outcomes(
    instance: DagsterInstance, project: CompiledProject, ended: Sequence[tuple[int, str, DagsterEventType]]
) -> list[RunOutcome]:
    """What ended runs mean for Model Jobs: one outcome per failed model step, or per skipped run."""
    if not ended:
        return []
    jobs = {asset_job_name(model) for model in project.specs.models} | {IMPLICIT_ASSET_JOB_NAME}
    runs = {
        r.dagster_run.run_id: r.dagster_run
        for r in instance.get_run_records(RunsFilter(run_ids=[run_id for _, run_id, _ in ended]))
    }
    outcomes: list[RunOutcome] = []
    for _, run_id, kind in ended:
        run = runs.get(run_id)
        if run is None or run.job_name not in jobs or PARTITION_NAME_TAG not in run.tags:
            continue  # not a run of a Model Job
        if kind == DagsterEventType.RUN_FAILURE:
            outcomes += _failures(instance, project, run)
        elif SKIPPED_TAG in run.tags:
            outcome = _skip(project, run)
            if outcome is not None:
                outcomes.append(outcome)
    return outcomes


def _model_of(project: CompiledProject, run: DagsterRun) -> str | None:
    for name in (run.tags.get("model"), run.tags.get(MODEL_JOB_TAG, "").partition("@")[0]):
        if name and name in project.specs.models:
            return name
    return None


def _tag(project: CompiledProject, run: DagsterRun, model: str, environment: str) -> str | None:
    """The tag the run ran: its run tag when it got that far, else what the loaded spec runs."""
    if run.tags.get("model") == model and run.tags.get("model_tag"):
        return run.tags["model_tag"]
    job = project.jobs.get((model, environment))
    return job.tag.name if job is not None else None


def _root_message(error: object) -> str:
    # Dagster wraps what the asset raised; the innermost cause says what went wrong.
    while getattr(error, "cause", None) is not None:
        error = getattr(error, "cause")  # noqa: B009
    return str(getattr(error, "message", ""))


def _failures(instance: DagsterInstance, project: CompiledProject, run: DagsterRun) -> list[RunOutcome]:
    environment = run.tags[PARTITION_NAME_TAG]
    outcomes = []
    steps = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.STEP_FAILURE).records
    for record in steps:
        event = record.event_log_entry.dagster_event
        model = event.step_key if event is not None else None
        if event is None or model not in project.specs.models:
            continue
        error = event.step_failure_data.error
        detail = first_line(_root_message(error) if error is not None else record.event_log_entry.user_message)
        tag = _tag(project, run, model, environment)
        outcomes.append(RunOutcome(run.run_id, "failure", model, environment, tag, detail or "the step failed"))
    if outcomes or steps:
        return outcomes
    # No step failed: the run itself did (its worker died, it was canceled, it could not start).
    model = _model_of(project, run)
    if model is None:
        return []
    failure = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_FAILURE, limit=1).records
    entry = failure[0].event_log_entry if failure else None
    data = entry.dagster_event.event_specific_data if entry is not None and entry.dagster_event else None
    error = getattr(data, "error", None)
    detail = first_line(_root_message(error) if error is not None else entry.user_message if entry else "")
    tag = _tag(project, run, model, environment)
    return [RunOutcome(run.run_id, "failure", model, environment, tag, detail or "the run failed")]


def _skip(project: CompiledProject, run: DagsterRun) -> RunOutcome | None:
    model = _model_of(project, run)
    if model is None:
        return None
    environment = run.tags.get("environment") or run.tags[PARTITION_NAME_TAG]
    reason = first_line(run.tags[SKIPPED_TAG])
    return RunOutcome(run.run_id, "skipped", model, environment, _tag(project, run, model, environment), reason)


def send_all(state: NotifyState, fresh: Sequence[Notification], environ: Mapping[str, str] | None) -> list[str]:
    """Send the messages owed (retries first, then new ones); keep those that failed for the next
    tick. Returns one line per message, for the tick's message and log."""
    lines: list[str] = []
    keep: list[tuple[Notification, int]] = []
    for notification, attempts in [*state.pending, *((n, 0) for n in fresh)]:
        what = f"{notification.outcome.model_job} {notification.outcome.event} (run {notification.outcome.run_id})"
        try:
            deliver(notification, post_slack, environ)
        except MissingSecret as exc:
            lines.append(f"not sent: {exc}")
        except DeliveryError as exc:
            attempts += 1
            if attempts < MAX_ATTEMPTS:
                keep.append((notification, attempts))
                lines.append(f"not delivered (attempt {attempts} of {MAX_ATTEMPTS}, retried next tick): {what}: {exc}")
            else:
                lines.append(f"given up after {attempts} attempts: {what}: {exc}")
        else:
            lines.append(f"sent to {notification.destination.describe()}: {what}")
    if len(keep) > MAX_PENDING:
        dropped, keep = keep[:-MAX_PENDING], keep[-MAX_PENDING:]
        lines.append(f"given up {len(dropped)} older undelivered messages (at most {MAX_PENDING} are retried)")
    state.pending = keep
    return lines


def silent_line(outcome: RunOutcome, environments: Mapping[str, EnvironmentSpec]) -> str:
    """Why a failed or skipped run notified no one (the tick says so, so that silence is a choice)."""
    notify = environments[outcome.environment].notify if outcome.environment in environments else None
    why = (
        f"{outcome.environment} notifies on {', '.join(notify.on)} only"
        if notify
        else f"{outcome.environment} has no notify:"
    )
    return f"not notified: {outcome.model_job} {outcome.event} (run {outcome.run_id}): {why}"


def notify_sensor(project: CompiledProject) -> SensorDefinition | None:
    """The sensor, when some environment notifies (otherwise there is nothing to pay for)."""
    environments = notifying_environments(project.specs.environments)
    if not environments:
        return None
    described = ", ".join(f"{name}: {', '.join(env.notify.on)}" for name, env in environments.items() if env.notify)

    @sensor(
        name=NOTIFY_SENSOR,
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Sends a message when a Model Job fails or is skipped, per environment ({described}).",
    )
    def _notify(context: SensorEvaluationContext) -> SensorResult:
        state = NotifyState.from_cursor(context.cursor)
        if state.after is None:
            state.after = _latest(context.instance)
            return SensorResult(cursor=state.to_cursor(), skip_reason="started: reports runs that end from now on")
        ended, state.after = _ended_runs(context.instance, state.after)
        outcomes = _outcomes(context.instance, project, ended)
        base = ui_url()
        fresh = [n for outcome in outcomes for n in route(outcome, environments, base)]
        lines = send_all(state, fresh, None)
        for line in lines:
            (context.log.info if line.startswith("sent") else context.log.warning)(line)
        routed = {n.outcome for n in fresh}
        lines += [silent_line(o, environments) for o in outcomes if o not in routed]
        return SensorResult(cursor=state.to_cursor(), skip_reason="\n".join(lines) or "no Model Job failed or skipped")

    return _notify

"""Triggers: when each Model Job runs by itself, resolved from the specs and checked. Pure.

A trigger is a schedule, a list of events, or both. An event names what it listens to: another
Model Job's materialization, a Dagster job's success, or a deployment report. Each event source
is exact about the environment it listens to, so an event in one environment never starts a job
of another environment unless the spec says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from model_jobs.compile.graphs import find_cycle
from model_jobs.compile.job_blocks import merged_block
from model_jobs.specs.collector import ErrorCollector
from model_jobs.specs.loader import UPSTREAM_FILE, JobEntry, SpecSet
from model_jobs.specs.models import EventSpec, TriggerSpec, WaitFor

EventKind = Literal["model_job", "job", "deployment"]
EVENT_KINDS: tuple[EventKind, ...] = ("model_job", "job", "deployment")
JobKey = tuple[str, str]  # (model, environment)
# The Dagster sensors that start event-triggered Model Jobs (defs/dispatcher.py), named here so
# the commands can name them without importing Dagster.
DISPATCHER_SENSOR = "model_jobs_events"
JOB_EVENTS_SENSOR = "model_jobs_job_events"


@dataclass(frozen=True, order=True)
class EventSource:
    """What one trigger event listens to. `environment` None: any run of a job (job events only)."""

    kind: EventKind
    name: str
    environment: str | None

    def __str__(self) -> str:
        return f"{self.kind} {self.name}" + (f"@{self.environment}" if self.environment else "")

    def matches(self, kind: str, name: str, environment: str | None) -> bool:
        return kind == self.kind and name == self.name and (self.environment is None or environment == self.environment)


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str


@dataclass(frozen=True)
class Trigger:
    """When one Model Job runs by itself."""

    model: str
    environment: str
    schedule: Schedule | None
    on: tuple[EventSource, ...]
    wait_for: WaitFor

    @property
    def key(self) -> str:
        return model_job_key(self.model, self.environment)


def model_job_key(model: str, environment: str) -> str:
    """How a Model Job is named in run tags, run keys and cursors: customers_dim@marketing_prd.
    '@' is in neither a model nor an environment name, so the key is unambiguous."""
    return f"{model}@{environment}"


def asset_job_name(model: str) -> str:
    """The Dagster job that runs a model's Model Jobs (one partition per run). Not the model's own
    name: Dagster names the model's op so, and a job may not share an op's name."""
    return f"{model}_job"


def schedule_name(model: str, environment: str) -> str:
    """The Dagster schedule of a Model Job (Dagster names allow only letters, digits and '_')."""
    return f"{model}__{environment}"


def _merged(entry: JobEntry) -> tuple[TriggerSpec | None, dict[str, tuple[str | int, ...]]]:
    """The job's trigger over its file's defaults, field by field (see job_blocks)."""
    return merged_block(entry, "trigger", TriggerSpec)


def _field(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


class _OnceEach:
    """Records each error once: a mistake in `defaults:` is met again for every job of the file."""

    def __init__(self, errors: ErrorCollector) -> None:
        self.errors, self.seen = errors, set[tuple[object, ...]]()

    def add(self, file: Path, field: str, message: str, line: int | None = None) -> None:
        if (file, field, message) not in self.seen:
            self.seen.add((file, field, message))
            self.errors.add(file, field, message, line)


class _Checker:
    """Resolves each job's trigger, recording every problem with its file, field and line."""

    def __init__(self, specs: SpecSet, jobs: Iterable[JobKey], errors: ErrorCollector) -> None:
        self.specs, self.errors = specs, _OnceEach(errors)
        self.jobs = set(jobs)
        # Models whose own errors are reported already: a trigger naming them stays quiet.
        self.unchecked = set(specs.unreadable_job_files) | set(specs.invalid_models)
        self.models_with_jobs = {model for model, _ in self.jobs} | {m for m, _ in specs.rejected_jobs} | self.unchecked
        self.on_origin: dict[JobKey, tuple[str | int, ...]] = {}
        self.deployments = self.models_with_jobs | set(specs.upstream.deployments)
        self.job_names = {asset_job_name(m) for m in self.models_with_jobs} | set(specs.upstream.jobs)

    def event(self, entry: JobEntry, event: EventSpec, path: tuple[str | int, ...]) -> EventSource | None:
        kind: EventKind = next(k for k in EVENT_KINDS if getattr(event, k) is not None)
        value: str = getattr(event, kind)
        name, _, environment = value.partition("@")
        field, line = _field((*path, kind)), entry.document.line_of(path)
        envs = self.specs.environments
        if environment and environment not in envs:
            self.errors.add(entry.file, field, f"unknown environment {environment!r}; allowed: {', '.join(envs)}", line)
            return None
        if kind == "model_job":
            return self._model_job(entry, name, environment or entry.environment, field, line)
        known = self.deployments if kind == "deployment" else self.job_names
        if name not in known and self.specs.upstream_rejected:
            return None  # upstream.yaml's own errors are reported; its names are unknown until fixed
        if name not in known:
            section = "deployments" if kind == "deployment" else "jobs"
            ours = "a model's name" if kind == "deployment" else "a model's job <model>_job"
            hint = (
                f"; for model {name!r} use model_job: {name} (or job: {asset_job_name(name)})"
                if kind == "job" and name in self.models_with_jobs
                else ""
            )
            self.errors.add(
                entry.file,
                field,
                f"unknown {kind} {name!r}{hint}; known: {', '.join(sorted(known)) or '(none)'} "
                f"({ours}, or one declared under {section}: in {UPSTREAM_FILE})",
                line,
            )
            return None
        if kind == "job":
            return EventSource(kind, name, environment or None)  # a job's runs need not have an environment
        # A deployment is reported per environment: by default the job's own, except a model's
        # (its new tags go live in the design environment, see `model-jobs deploy`).
        own = self.specs.design_environment if name in self.models_with_jobs else entry.environment
        return EventSource(kind, name, environment or own)

    def _model_job(
        self, entry: JobEntry, model: str, environment: str, field: str, line: int | None
    ) -> EventSource | None:
        if (model, environment) in self.specs.rejected_jobs or model in self.unchecked:
            return None  # that job's (or its files') own error is reported
        if model not in self.specs.models:
            self.errors.add(entry.file, field, f"unknown model {model!r}; known: {', '.join(self.specs.models)}", line)
            return None
        if (model, environment) not in self.jobs:
            has = sorted(env for m, env in self.jobs if m == model)
            self.errors.add(
                entry.file,
                field,
                f"model {model!r} has no job in {environment!r}"
                + (f"; it has jobs in: {', '.join(has)}" if has else "; it has no jobs"),
                line,
            )
            return None
        return EventSource("model_job", model, environment)

    def trigger(self, entry: JobEntry) -> Trigger | None:
        spec, origin = _merged(entry)
        if spec is None:
            return None
        sources: list[EventSource] = []
        ok = True
        if "on" in origin:
            self.on_origin[(entry.model, entry.environment)] = origin["on"]
        for index, event in enumerate(spec.on or ()):
            source = self.event(entry, event, (*origin["on"], index))
            ok &= source is not None
            if source is not None and source not in sources:
                sources.append(source)
        # wait_for without events is a mistake where it is written: in defaults with no events
        # there, or in a job that has none. A job that removes the default events keeps quiet.
        for block, path in ((entry.defaults.trigger, ("defaults", "trigger")), (entry.spec.trigger, None)):
            if block is None or "wait_for" not in block.model_fields_set or block.wait_for is None:
                continue
            if not (block.on if path else spec.on):
                where = path or ("jobs", entry.environment, "trigger")
                self.errors.add(
                    entry.file,
                    _field((*where, "wait_for")),
                    "wait_for says how to wait for events, but there are none: add trigger.on, or remove wait_for",
                    entry.document.line_of((*where, "wait_for")),
                )
                ok = False
        if not ok:
            return None
        schedule = Schedule(spec.schedule.cron, spec.schedule.timezone) if spec.schedule else None
        if schedule is None and not sources:
            return None  # every field was removed: manual only
        return Trigger(entry.model, entry.environment, schedule, tuple(sources), spec.wait_for or "any")


def _check_upstream_names(specs: SpecSet, models: set[str], errors: ErrorCollector) -> None:
    """A declared name may not be one of the models' own: the events would be indistinguishable."""
    doc = specs.upstream_document
    if doc is None:
        return
    for name in specs.upstream.deployments:
        if name in models:
            errors.add(
                doc.path,
                f"deployments.{name}",
                f"{name!r} is a model: its deployments are known without an entry here (`model-jobs deploy`); "
                "remove it, or name the upstream deployment differently",
                doc.line_of(("deployments", name)),
            )
    own_jobs = {asset_job_name(m): m for m in models}
    for name in specs.upstream.jobs:
        if name in own_jobs:
            errors.add(
                doc.path,
                f"jobs.{name}",
                f"{name!r} is the job of model {own_jobs[name]!r}: it is known without an entry here; remove it, "
                "or name the upstream job differently",
                doc.line_of(("jobs", name)),
            )


def _check_dagster_names(
    specs: SpecSet, triggers: Mapping[JobKey, Trigger], entries: Mapping[JobKey, JobEntry], errors: ErrorCollector
) -> None:
    """Dagster wants one name per op, job and schedule; the names derived here must not collide."""
    taken: dict[str, str] = {model: f"model {model!r}" for model in specs.models}
    for model in sorted({m for m, _ in entries}):
        name = asset_job_name(model)
        if name in taken:
            errors.add(
                specs.models[model].directory,
                "",
                f"the job of model {model!r} would be named {name!r}, like {taken[name]}: rename one of them",
            )
        taken.setdefault(name, f"the job of model {model!r}")
    for key, trigger in sorted(triggers.items()):
        if trigger.schedule is None:
            continue
        name = schedule_name(*key)
        if name in taken:
            entry = entries[key]
            errors.add(
                entry.file,
                f"jobs.{entry.environment}.trigger.schedule",
                f"the schedule of {model_job_key(*key)} would be named {name!r}, like {taken[name]}: rename "
                "the model or the environment (a '__' in a name makes them collide)",
                entry.line("trigger"),
            )
        taken.setdefault(name, f"the schedule of {model_job_key(*key)}")


def upstream_jobs_of(source: EventSource, jobs: Iterable[JobKey]) -> list[JobKey]:
    """The Model Jobs whose success is this event: a model_job event, or a job event on a model's
    own asset job (which runs any of its environments unless the event names one)."""
    if source.kind == "model_job":
        return [k for k in jobs if k == (source.name, source.environment)]
    if source.kind == "job":
        return sorted(k for k in jobs if asset_job_name(k[0]) == source.name and source.environment in (None, k[1]))
    return []


def find_trigger_cycle(triggers: Mapping[JobKey, Trigger], jobs: Iterable[JobKey]) -> list[JobKey] | None:
    job_list = list(jobs)
    graph = {key: {up for s in t.on for up in upstream_jobs_of(s, job_list)} for key, t in triggers.items()}
    return find_cycle(graph)


def resolve_triggers(specs: SpecSet, jobs: Iterable[JobKey], errors: ErrorCollector) -> dict[JobKey, Trigger]:
    """The trigger of every job in `jobs` that has one, after checking every event it names, the
    upstream names, schedule names and that no Model Jobs trigger each other in a cycle."""
    job_keys = set(jobs)
    checker = _Checker(specs, job_keys, errors)
    entries = {(e.model, e.environment): e for e in specs.jobs}
    triggers: dict[JobKey, Trigger] = {}
    for key in sorted(job_keys):
        trigger = checker.trigger(entries[key])
        if trigger is not None:
            triggers[key] = trigger
    _check_upstream_names(specs, checker.models_with_jobs, errors)
    _check_dagster_names(specs, triggers, entries, errors)
    if cycle := find_trigger_cycle(triggers, job_keys):
        entry = entries[cycle[0]]
        where = checker.on_origin.get(cycle[0], ("jobs", entry.environment, "trigger", "on"))
        if len(cycle) == 2:
            message = f"{model_job_key(*cycle[0])} runs after itself, so it would run forever"
        else:
            message = (
                "Model Jobs trigger each other in a cycle, so they would run forever: "
                + " -> ".join(model_job_key(*k) for k in cycle)
                + " (each runs after the next)"
            )
        errors.add(entry.file, _field(where), message, entry.document.line_of(where))
    return triggers

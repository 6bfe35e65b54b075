"""Which Model Jobs do these events start? The dispatcher's decisions, over plain records. Pure.

The Dagster sensor (defs/dispatcher.py) reads new events and the runs in flight, and hands them
here. Everything it must remember between evaluations is in `DispatchState`, which it stores as
the sensor's cursor, so a restarted daemon resumes exactly where it stopped:

- `after`: the storage id of the last event read. Every event is read once.
- `seen`: for `wait_for: all`, which of a job's events happened since its last triggered run.
- `pending`: jobs owed a run that could not start yet because a run of the same Model Job was
  in flight (that run may have read its sources before the event), or because their conditions
  are unmet. However many events arrive meanwhile, the job gets one run once nothing of it is in
  flight and its conditions hold.

Run keys are `<model>@<environment>:<storage id of the newest event the run answers>`, so
evaluating the same events twice (a daemon that died before storing its cursor) asks for the same
run again, and Dagster drops the repeat.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from model_jobs.compile.triggers import EventKind, EventSource, Trigger

CURSOR_VERSION = 1


@dataclass(frozen=True)
class Event:
    """One recorded event: a Model Job materialized, a job succeeded, a deployment was reported."""

    storage_id: int
    kind: EventKind
    name: str
    environment: str | None  # the partition the event was recorded in (for a job: its run's)

    def __str__(self) -> str:
        return f"{self.kind} {self.name}" + (f"@{self.environment}" if self.environment else "")


@dataclass
class DispatchState:
    after: int | None = None
    seen: dict[str, list[str]] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)

    def to_cursor(self) -> str:
        return json.dumps(
            {"v": CURSOR_VERSION, "after": self.after, "seen": self.seen, "pending": self.pending},
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_cursor(cls, cursor: str | None) -> DispatchState:
        """The state a cursor holds. No cursor: a dispatcher that has not read anything yet. A
        cursor this version cannot read raises ValueError: guessing could repeat or lose runs."""
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            if data.get("v") != CURSOR_VERSION:
                raise ValueError(f"cursor version {data.get('v')!r}, expected {CURSOR_VERSION}")
            after = data["after"]
            return cls(
                after=None if after is None else int(after),
                seen={str(k): [str(s) for s in v] for k, v in data["seen"].items()},
                pending={str(k): int(v) for k, v in data["pending"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"the dispatcher's cursor cannot be read ({exc}): {cursor[:200]!r}") from exc


@dataclass(frozen=True)
class RunWanted:
    trigger: Trigger
    storage_id: int  # the newest event this run answers
    events: tuple[str, ...]  # what the run answers, for its tags and the tick's log

    @property
    def run_key(self) -> str:
        return f"{self.trigger.key}:{self.storage_id}"


@dataclass(frozen=True)
class Evaluation:
    runs: tuple[RunWanted, ...]
    state: DispatchState
    reasons: tuple[str, ...]  # one line per decision, for the tick's history
    decisions: dict[str, str]  # Model Job key -> what was decided for it this evaluation
    ignored: tuple[str, ...]  # events that match a watched name but cannot be used, and why


class TriggerIndex:
    """The triggers, indexed by what they listen to."""

    def __init__(self, triggers: Iterable[Trigger], environments: Collection[str]) -> None:
        self.triggers = {t.key: t for t in triggers if t.on}
        self.environments = list(environments)
        self._by_name: dict[tuple[EventKind, str], list[tuple[Trigger, EventSource]]] = {}
        for trigger in self.triggers.values():
            for source in trigger.on:
                self._by_name.setdefault((source.kind, source.name), []).append((trigger, source))

    @property
    def watched(self) -> Collection[tuple[EventKind, str]]:
        """(kind, name) of every event some trigger listens to."""
        return self._by_name.keys()

    def listeners(self, event: Event) -> list[tuple[Trigger, EventSource]]:
        return [
            (t, s)
            for t, s in self._by_name.get((event.kind, event.name), [])
            if s.matches(event.kind, event.name, event.environment)
        ]

    def problem(self, event: Event, environments_of: Callable[[str], Collection[str]]) -> str | None:
        """Why an event cannot be used, or None. Deployments can be reported with any partition
        (Dagster's endpoint accepts them all), so the partition is checked here."""
        if event.kind == "deployment":
            if event.environment is None:
                return (
                    f"deployment {event.name} was reported without an environment: "
                    "report it with partition=<environment>"
                )
            if event.environment not in self.environments:
                return (
                    f"deployment {event.name} was reported for {event.environment!r}, which is not an environment "
                    f"(allowed: {', '.join(self.environments)})"
                )
        if event.kind == "model_job" and event.environment not in environments_of(event.name):
            return f"model {event.name} materialized partition {event.environment!r}, which has no Model Job"
        return None


def collect(
    index: TriggerIndex,
    state: DispatchState,
    events: Iterable[Event],
    environments_of: Callable[[str], Collection[str]],
) -> tuple[DispatchState, dict[str, list[str]], dict[str, str], list[str]]:
    """Fold new events (ascending storage ids) into the state: the jobs now owed a run
    (state.pending), with the events each answers, what each waiting job still waits for, and the
    events ignored."""
    seen = {k: list(v) for k, v in state.seen.items() if k in index.triggers}
    pending = {k: v for k, v in state.pending.items() if k in index.triggers}
    answered: dict[str, list[str]] = {}
    waiting: dict[str, str] = {}
    ignored: list[str] = []
    after = state.after
    for event in sorted(events, key=lambda e: e.storage_id):
        after = max(after or 0, event.storage_id)
        if (event.kind, event.name) in index.watched and (problem := index.problem(event, environments_of)):
            ignored.append(f"ignored event {event.storage_id}: {problem}")
            continue
        for trigger, source in index.listeners(event):
            key = trigger.key
            if trigger.wait_for == "all":
                got = seen.setdefault(key, [])
                if str(source) not in got:
                    got.append(str(source))
                if {str(s) for s in trigger.on} - set(got):
                    continue
                del seen[key]
            pending[key] = event.storage_id
            answered.setdefault(key, []).append(f"{event} (event {event.storage_id})")
    for key, got in sorted(seen.items()):
        missing = [str(s) for s in index.triggers[key].on if str(s) not in got]
        waiting[key] = f"waiting for all: {', '.join(missing)} not seen since its last triggered run"
    return DispatchState(after, seen, pending), answered, waiting, ignored


def decide(
    index: TriggerIndex,
    state: DispatchState,
    answered: dict[str, list[str]],
    in_flight: Collection[str],
    unmet: Mapping[str, str] | None = None,
) -> tuple[DispatchState, list[RunWanted], dict[str, str]]:
    """Start a run for every job owed one, except those with a run in flight (they get one
    follow-up run after it) and those whose conditions are unmet (`unmet`: job -> why; they run
    once, at the first evaluation that finds their conditions met). Both keep their place in
    `pending`."""
    unmet = unmet or {}
    runs: list[RunWanted] = []
    decisions: dict[str, str] = {}
    pending: dict[str, int] = {}
    for key, storage_id in sorted(state.pending.items()):
        events = answered.get(key, [])
        answers = f" (for {'; '.join(events)})" if events else ""
        if key in in_flight:
            pending[key] = storage_id
            decisions[key] = "a run is in flight; one follow-up run is pending" + answers
            continue
        if key in unmet:
            pending[key] = storage_id
            decisions[key] = f"conditions unmet, the run waits for them: {unmet[key]}" + answers
            continue
        what = tuple(events) or (f"events up to {storage_id}, held until it could run",)
        runs.append(RunWanted(index.triggers[key], storage_id, what))
        decisions[key] = f"run requested for {'; '.join(what)}"
    return DispatchState(state.after, state.seen, pending), runs, decisions


def evaluate(
    index: TriggerIndex,
    state: DispatchState,
    events: Iterable[Event],
    environments_of: Callable[[str], Collection[str]],
    in_flight_of: Callable[[Collection[str]], Collection[str]],
    unmet_of: Callable[[Collection[str]], Mapping[str, str]] = lambda _keys: {},
) -> Evaluation:
    """One dispatcher evaluation: fold in the events, then start what may start. `in_flight_of`
    is asked once, for the jobs owed a run, which of them have a run queued or running;
    `unmet_of` once, for those that could start, whose conditions are unmet and why."""
    collected, answered, waiting, ignored = collect(index, state, events, environments_of)
    in_flight = in_flight_of(sorted(collected.pending)) if collected.pending else ()
    ready = sorted(set(collected.pending) - set(in_flight))
    unmet = unmet_of(ready) if ready else {}
    final, runs, decisions = decide(index, collected, answered, in_flight, unmet)
    for key, text in waiting.items():
        decisions.setdefault(key, text)
    reasons = [f"{key}: {text}" for key, text in sorted(decisions.items())] + ignored
    return Evaluation(tuple(runs), final, tuple(reasons), decisions, tuple(ignored))

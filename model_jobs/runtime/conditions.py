"""Evaluate Model Jobs' conditions: measure their sources, run the checks they require, and judge.

`measure` reads the newest load and row count of any number of tables in one statement per
group (the caller groups by environment, so a dispatcher evaluation costs one query per
environment); sources whose freshness is Snowflake's LAST_ALTERED are read from
INFORMATION_SCHEMA in one query per database. `judge` is pure: given what was measured, the state
recorded on the job's last materialization and the time, it says whether the job may run and,
if not, why, naming each source's location, the measured value and the bound.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from model_jobs.compile.compiled_project import ResolvedJob
from model_jobs.compile.conditions import SourceRules
from model_jobs.compile.source_sql import Measured, freshness_statement, last_altered_statement
from model_jobs.identifiers import TableName
from model_jobs.runtime.checks import CheckOutcome, run_checks
from model_jobs.runtime.statements import Statements
from model_jobs.specs.models import SourceSpec


@dataclass(frozen=True)
class SourceState:
    """What was measured of one location: its newest load (epoch seconds) and its rows. `error`
    says why it could not be measured (a missing table, say)."""

    loaded_at: float | None = None
    rows: int | None = None
    error: str | None = None

    def to_metadata(self) -> dict[str, Any]:
        return {"loaded_at": self.loaded_at, "rows": self.rows}

    @classmethod
    def from_metadata(cls, data: object) -> SourceState | None:
        if not isinstance(data, dict):
            return None
        loaded, rows = data.get("loaded_at"), data.get("rows")
        return cls(
            float(loaded) if isinstance(loaded, (int, float)) else None, int(rows) if isinstance(rows, int) else None
        )

    def same_data(self, other: SourceState) -> bool:
        return (self.loaded_at, self.rows) == (other.loaded_at, other.rows)


@dataclass(frozen=True)
class Measure:
    """One location to measure, and how its freshness is read."""

    location: TableName
    loaded_at: str | None = None
    last_altered: bool = False


def measures_for(job: ResolvedJob, declared: Mapping[TableName, SourceSpec]) -> list[Measure]:
    """What a job's conditions need measured: the sources of its freshness rules, and for
    changed_since_last_run every source table it reads."""
    sources = {rule.source.design: rule.source for rule in job.conditions.freshness}
    if job.conditions.changed_since_last_run:
        sources |= {s.design: s for s in job.sources if s.upstream_model is None}
    found = []
    for design, source in sorted(sources.items()):
        spec = declared.get(design)
        last_altered = bool(spec and spec.freshness_source == "last_altered")
        found.append(Measure(source.actual, None if last_altered or spec is None else spec.loaded_at, last_altered))
    return found


def measure(statements: Statements, measures: Sequence[Measure]) -> dict[TableName, SourceState]:
    """Each location's state: one statement for all measured by column, one per database for
    those measured by LAST_ALTERED."""
    unique = {m.location: m for m in measures}
    by_column = [m for m in unique.values() if not m.last_altered]
    states: dict[TableName, SourceState] = {}
    if by_column:
        states |= _by_column(statements, by_column)
    databases: dict[str, list[TableName]] = {}
    for m in unique.values():
        if m.last_altered:
            databases.setdefault(m.location.database, []).append(m.location)
    for database, tables in sorted(databases.items()):
        sql, params = last_altered_statement(database, tables)
        rows = statements.execute("measure", sql, params).fetchall()
        found = {(schema, table): (altered, count) for schema, table, altered, count in rows}
        for table in tables:
            if (table.schema, table.table) not in found:
                states[table] = SourceState(error=f"{table} does not exist")
            else:
                altered, count = found[(table.schema, table.table)]
                states[table] = SourceState(_epoch(altered), None if count is None else int(count))
    return states


def _by_column(statements: Statements, measures: list[Measure]) -> dict[TableName, SourceState]:
    items = [Measured(m.location, m.loaded_at) for m in measures]
    try:
        rows = statements.execute("measure", freshness_statement(items)).fetchall()
    except Exception as exc:
        if len(items) == 1:
            return {items[0].location: SourceState(error=_warehouse_error(exc))}
        # Only on failure: one statement per table, so each problem is named where it is.
        states: dict[TableName, SourceState] = {}
        for m in measures:
            states |= _by_column(statements, [m])
        return states
    by_index = {int(index): (loaded, count) for index, loaded, count in rows}
    return {item.location: SourceState(_epoch(by_index[i][0]), int(by_index[i][1])) for i, item in enumerate(items)}


def _warehouse_error(exc: Exception) -> str:
    # Snowflake puts what is wrong on the second line ("SQL compilation error:" / "Object ... does
    # not exist or not authorized."): keep every line, as one.
    text = " ".join(line.strip() for line in str(exc).strip().splitlines() if line.strip())
    return text or type(exc).__name__


def _epoch(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return float(value)  # type: ignore[arg-type]  # epoch seconds, as the statements select


@dataclass(frozen=True)
class Verdict:
    """Whether a job may run now, and why not."""

    met: bool
    reasons: tuple[str, ...] = ()  # each unmet condition, naming location, measured value and bound
    measured: Mapping[TableName, SourceState] = field(default_factory=dict)
    checks: tuple[CheckOutcome, ...] = ()

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def source_state(self) -> dict[str, dict[str, Any]]:
        """What to record on the materialization, for the next run's changed_since_last_run."""
        return {str(t): s.to_metadata() for t, s in sorted(self.measured.items()) if s.error is None}


def age_text(seconds: float) -> str:
    """26h, 45m, 4d: how people say how old something is."""
    if seconds < 0:
        return "in the future"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 72 * 3600:
        return f"{int(seconds // 3600)}h ago"
    return f"{int(seconds // 86400)}d ago"


def judge(
    job: ResolvedJob,
    states: Mapping[TableName, SourceState],
    now: datetime,
    recorded: Mapping[str, Any] | None = None,
    checks: Sequence[CheckOutcome] = (),
) -> Verdict:
    """Whether the job's conditions hold. `recorded`: the source state on its last
    materialization in this environment (None: it has none, so it counts as changed)."""
    conditions = job.conditions
    reasons: list[str] = []
    where = job.environment
    if conditions.freshness:
        stale = []
        for rule in conditions.freshness:
            state = states.get(rule.source.actual, SourceState(error="not measured"))
            if state.error:
                stale.append(f"{rule.source.actual} cannot be measured in {where} ({state.error})")
            elif state.loaded_at is None:
                what = "no rows" if not state.rows else f"{state.rows} rows but no load time (loaded_at is NULL)"
                stale.append(f"{rule.source.actual} has {what} in {where}; max_age {rule.max_age.text}")
            elif (age := now.timestamp() - state.loaded_at) > rule.max_age.seconds:
                stale.append(f"{rule.source.actual} loaded {age_text(age)} in {where}; max_age {rule.max_age.text}")
        fresh = len(conditions.freshness) - len(stale)
        if stale and (conditions.require == "all" or fresh == 0):
            reasons.extend(stale if conditions.require == "all" else [f"no source is fresh: {'; '.join(stale)}"])
    if conditions.changed_since_last_run and recorded is not None:
        # Sources that are other models' targets are not compared: a job reading only those
        # always counts as changed (see docs/conditions.md).
        compared = [s for s in job.sources if s.upstream_model is None]
        for source in compared:
            now_state = states.get(source.actual)
            before = SourceState.from_metadata(recorded.get(str(source.actual)))
            if now_state is None or now_state.error or before is None or not now_state.same_data(before):
                break
        else:
            if compared:
                described = ", ".join(_state_text(s.actual, states[s.actual]) for s in compared)
                reasons.append(f"no source changed in {where} since the last materialization ({described})")
    failed = [c for c in checks if c.blocks]
    reasons.extend(f"{c.message} (check failed)" for c in failed)
    return Verdict(not reasons, tuple(reasons), dict(states), tuple(checks))


def _state_text(location: TableName, state: SourceState) -> str:
    newest = (
        datetime.fromtimestamp(state.loaded_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        if state.loaded_at is not None
        else None
    )
    return f"{location}: {state.rows} rows" + (f", newest load {newest}" if newest else "")


def evaluate(
    statements: Statements,
    job: ResolvedJob,
    declared: Mapping[TableName, SourceSpec],
    rules: SourceRules,
    now: datetime,
    recorded: Mapping[str, Any] | None = None,
) -> Verdict:
    """One job's conditions: measure, run the required checks, judge. A job without conditions is
    met without a statement."""
    return evaluate_environment(statements, [job], declared, rules, now, lambda _job: recorded)[job.key]


def evaluate_environment(
    statements: Statements,
    jobs: Sequence[ResolvedJob],
    declared: Mapping[TableName, SourceSpec],
    rules: SourceRules,
    now: datetime,
    recorded_of: Callable[[ResolvedJob], Mapping[str, Any] | None],
) -> dict[str, Verdict]:
    """The conditions of jobs of one environment, on one connection: one statement measures every
    source any of them needs, each checked location's checks run once however many jobs require
    them, then each job is judged. `recorded_of(job)`: the source state on its last
    materialization (asked only for jobs with changed_since_last_run)."""
    with_conditions = [job for job in jobs if job.conditions]
    needed = [m for job in with_conditions for m in measures_for(job, declared)]
    states = measure(statements, needed) if needed else {}
    checked = sorted({(s.actual, s.design) for job in with_conditions for s in job.conditions.data_quality})
    outcomes = {key: run_checks(statements, key[0], rules.error_checks(key[1])) for key in checked}
    verdicts = {job.key: Verdict(True) for job in jobs if not job.conditions}
    for job in with_conditions:
        recorded = recorded_of(job) if job.conditions.changed_since_last_run else None
        checks = [o for s in job.conditions.data_quality for o in outcomes[(s.actual, s.design)]]
        verdicts[job.key] = judge(job, states, now, recorded, checks)
    return verdicts

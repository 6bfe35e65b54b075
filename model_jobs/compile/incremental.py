"""Incremental settings of a Model Job: the job file's defaults, overridden field by field by the
job's own, checked for what a strategy needs. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from model_jobs.specs.collector import ErrorCollector
from model_jobs.specs.loader import JobEntry
from model_jobs.specs.models import SchemaChangePolicy, SqlChangePolicy, Strategy, duration_seconds

STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)


@dataclass(frozen=True)
class Incremental:
    strategy: Strategy
    watermark: str
    unique_key: tuple[str, ...] = ()
    lookback_seconds: int = 0
    on_schema_change: SchemaChangePolicy = "fail"
    on_sql_change: SqlChangePolicy = "full_refresh"

    def to_metadata(self) -> dict[str, object]:
        return {
            "strategy": self.strategy,
            "watermark": self.watermark,
            "unique_key": list(self.unique_key),
            "lookback_seconds": self.lookback_seconds,
            "on_schema_change": self.on_schema_change,
            "on_sql_change": self.on_sql_change,
        }


def resolve_incremental(entry: JobEntry, errors: ErrorCollector) -> tuple[bool, Incremental | None]:
    """(ok, settings): settings is None for a job that always rebuilds its target."""
    own = entry.spec.incremental
    base = entry.defaults.incremental
    if own is False or (own is None and base is None):
        return True, None
    # Field by field: a job's own value wins over the default's.
    layers = [spec for spec in (own, base) if spec is not None]
    strategy = next((s.strategy for s in layers if s.strategy is not None), None)
    watermark = next((s.watermark for s in layers if s.watermark is not None), None)
    unique_key = next((s.unique_key for s in layers if s.unique_key is not None), [])
    lookback = next((s.lookback for s in layers if s.lookback is not None), "0s")
    policy: SchemaChangePolicy = next((s.on_schema_change for s in layers if s.on_schema_change is not None), "fail")
    on_sql_change: SqlChangePolicy = next(
        (s.on_sql_change for s in layers if s.on_sql_change is not None), "full_refresh"
    )
    field = f"jobs.{entry.environment}.incremental"
    line = entry.line("incremental") or entry.line()
    problems = []
    if strategy is None:
        problems.append(f"needs a strategy: {', '.join(STRATEGIES)} (here or in defaults.incremental)")
    if watermark is None:
        problems.append("needs a watermark: the output column that grows with every change, e.g. UPDATED_AT")
    if strategy in ("merge", "delete_insert") and not unique_key:
        problems.append(f"strategy {strategy} needs unique_key: the output columns that identify a row")
    for problem in problems:
        errors.add(entry.file, field, problem, line)
    if strategy is None or watermark is None or problems:
        return False, None
    return True, Incremental(
        strategy=strategy,
        watermark=watermark,
        unique_key=tuple(unique_key),
        lookback_seconds=duration_seconds(lookback),
        on_schema_change=policy,
        on_sql_change=on_sql_change,
    )

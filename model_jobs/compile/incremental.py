"""Incremental settings of a Model Job: the job file's defaults, overridden field by field by the
job's own, checked for what a strategy needs. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from model_jobs.specs.errors import ErrorCollector
from model_jobs.specs.loader import JobEntry
from model_jobs.specs.models import duration_seconds

STRATEGIES = ("append", "merge", "delete_insert")


@dataclass(frozen=True)
class Incremental:
    strategy: str
    watermark: str
    unique_key: tuple[str, ...] = ()
    lookback_seconds: int = 0
    on_schema_change: str = "fail"

    def to_metadata(self) -> dict:
        return {
            "strategy": self.strategy,
            "watermark": self.watermark,
            "unique_key": list(self.unique_key),
            "lookback_seconds": self.lookback_seconds,
            "on_schema_change": self.on_schema_change,
        }


def resolve_incremental(entry: JobEntry, errors: ErrorCollector) -> tuple[bool, Incremental | None]:
    """(ok, settings): settings is None for a job that always rebuilds its target."""
    own = entry.spec.incremental
    base = entry.defaults.incremental
    if own is False or (own is None and base is None):
        return True, None
    merged = {
        **(base.model_dump(exclude_none=True) if base else {}),
        **(own.model_dump(exclude_none=True) if own else {}),
    }
    field = f"jobs.{entry.environment}.incremental"
    line = entry.line("incremental") or entry.line()
    problems = []
    if "strategy" not in merged:
        problems.append(f"needs a strategy: {', '.join(STRATEGIES)} (here or in defaults.incremental)")
    if "watermark" not in merged:
        problems.append("needs a watermark: the output column that grows with every change, e.g. UPDATED_AT")
    strategy = merged.get("strategy")
    if strategy in ("merge", "delete_insert") and not merged.get("unique_key"):
        problems.append(f"strategy {strategy} needs unique_key: the output columns that identify a row")
    lookback = duration_seconds(merged.get("lookback", "0s"))
    for problem in problems:
        errors.add(entry.file, field, problem, line)
    if problems:
        return False, None
    return True, Incremental(
        strategy=strategy,
        watermark=merged["watermark"],
        unique_key=tuple(merged.get("unique_key", ())),
        lookback_seconds=lookback,
        on_schema_change=merged.get("on_schema_change", "fail"),
    )

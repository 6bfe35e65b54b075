"""Run one Model Job against a warehouse connection: check sources, then build the target
in one atomic statement. Independent of Dagster: takes a DB-API connection, returns facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from model_jobs.compile.plan import ResolvedJob
from model_jobs.compile.sql import count_rows, create_schema_if_not_exists
from model_jobs.identifiers import TableName
from model_jobs.runtime.incremental import IncrementalRun
from model_jobs.runtime.source_check import check_sources, read_columns
from model_jobs.specs.models import SourceSpec


@dataclass
class Materialization:
    job: ResolvedJob
    rows_written: int = 0  # rows in the target afterwards
    query_ids: list[str] = field(default_factory=list)
    target_columns: dict[str, str] = field(default_factory=dict)
    # Incremental jobs only:
    mode: str = "full_refresh"
    reason: str | None = None
    watermark_before: object = None
    watermark_after: object = None
    rows_staged: int | None = None
    staged_max: object = None
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0
    schema_changes: list[str] = field(default_factory=list)


def materialize(
    job: ResolvedJob,
    connection,
    declared_sources: dict[TableName, SourceSpec],
    log: Callable[[str], None] = lambda _message: None,
    full_refresh: bool = False,
) -> Materialization:
    result = Materialization(job)
    cursor = connection.cursor()

    def run(sql: str, params=None) -> None:
        cursor.execute(sql, params)
        result.query_ids.append(cursor.sfqid)

    check_sources(cursor, job.sources, declared_sources)
    log(f"{len(job.sources)} source(s) checked: " + ", ".join(str(s.actual) for s in job.sources))
    if job.incremental is not None:
        # It knows the target's row count and columns, and creates the schema only when needed.
        IncrementalRun(job, cursor, result, log).run(full_refresh_requested=full_refresh)
    else:
        run(create_schema_if_not_exists(job.target.database, job.target.schema))
        # A single CREATE OR REPLACE .. AS: if the query fails, the old table is untouched.
        run(job.create_sql)
        run(count_rows(job.target))
        result.rows_written = int(cursor.fetchone()[0])
        result.target_columns = read_columns(cursor, job.target)
    log(f"wrote {result.rows_written} rows to {job.target} (tag {job.tag.name})")
    return result

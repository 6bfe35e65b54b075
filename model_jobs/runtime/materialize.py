"""Run one Model Job against a warehouse connection: check sources (the preflight), then build
the target in one atomic statement, or incrementally. Independent of Dagster: takes a DB-API
connection, returns facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from model_jobs.compile.plan import ResolvedJob
from model_jobs.compile.sql import count_rows, create_schema_if_not_exists
from model_jobs.identifiers import TableName
from model_jobs.runtime.catalog import Statements
from model_jobs.runtime.incremental import IncrementalRun
from model_jobs.runtime.preflight import preflight
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
    statements = Statements(connection.cursor(), result.query_ids)
    found = preflight(statements, job, declared_sources)
    log(f"{len(job.sources)} source(s) checked: " + ", ".join(str(s.actual) for s in job.sources))
    if job.incremental is not None:
        IncrementalRun(job, statements, result, log).run(found, full_refresh_requested=full_refresh)
    else:
        statements.execute(create_schema_if_not_exists(job.target.database, job.target.schema))
        # A single CREATE OR REPLACE .. AS: if the query fails, the old table is untouched.
        statements.execute(job.create_sql)
        result.rows_written = int(statements.execute(count_rows(job.target)).fetchone()[0])
        result.target_columns = dict(found.output)  # CREATE TABLE .. AS gives the table the query's columns
    log(f"wrote {result.rows_written} rows to {job.target} (tag {job.tag.name})")
    return result

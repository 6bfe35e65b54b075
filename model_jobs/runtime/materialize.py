"""Run one Model Job against a warehouse connection: check sources (the preflight), then build
the target in one atomic statement, or incrementally. Independent of Dagster: takes a connection
of the Snowflake connector (see `statements.Connection`), returns what happened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from model_jobs.compile.compiled_project import ResolvedJob
from model_jobs.compile.lineage import QueryLineage, column_lineage
from model_jobs.compile.sql import count_rows, create_schema_if_not_exists
from model_jobs.identifiers import TableName
from model_jobs.runtime.incremental import IncrementalOutcome, IncrementalRun
from model_jobs.runtime.preflight import preflight
from model_jobs.runtime.statements import Connection, ExecutedStatement, Statements
from model_jobs.specs.models import SourceSpec


@dataclass(frozen=True)
class Materialization:
    job: ResolvedJob
    rows_written: int  # rows in the target afterwards
    target_columns: dict[str, str]
    statements: list[ExecutedStatement]  # every statement the run sent, in order
    incremental: IncrementalOutcome | None = None  # incremental jobs only
    lineage: QueryLineage | None = None  # of the tag run, over the source columns the preflight probed

    @property
    def query_ids(self) -> list[str | None]:
        return [s.query_id for s in self.statements]


def materialize(
    job: ResolvedJob,
    connection: Connection,
    declared_sources: dict[TableName, SourceSpec],
    log: Callable[[str], None] = lambda _message: None,
    full_refresh: bool = False,
) -> Materialization:
    statements = Statements(connection.cursor())
    found = preflight(statements, job, declared_sources)
    log(f"{len(job.sources)} source(s) checked: " + ", ".join(str(s.actual) for s in job.sources))
    # The design-time names: lineage is recorded against asset keys, which name design locations.
    try:
        lineage = column_lineage(job.parsed.expression, {t: list(cols) for t, cols in found.sources.items()})
        lineage = lineage.named(list(found.output)) if found.output else lineage
    except Exception as exc:  # lineage describes a run; a flaw in computing it must not stop one
        lineage = QueryLineage((), f"column lineage could not be computed: {type(exc).__name__}: {exc}")
    if job.incremental is not None:
        outcome = IncrementalRun(job, job.incremental, statements, log).run(found, full_refresh_requested=full_refresh)
        result = Materialization(
            job, outcome.rows_written, outcome.target_columns, statements.executed, outcome, lineage=lineage
        )
    else:
        statements.execute("create_schema", create_schema_if_not_exists(job.target.database, job.target.schema))
        # A single CREATE OR REPLACE .. AS: if the query fails, the old table is untouched.
        statements.execute("build", job.create_sql)
        (rows,) = statements.one("count", count_rows(job.target))
        # CREATE TABLE .. AS gives the table the query's columns.
        result = Materialization(job, int(rows), dict(found.output or {}), statements.executed, lineage=lineage)
    log(f"wrote {result.rows_written} rows to {job.target} (tag {job.tag.name})")
    return result

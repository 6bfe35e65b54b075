"""A one-model project over a source table of the test's own, for incremental runs."""

from __future__ import annotations

import contextlib
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlglot import exp

from model_jobs.compile.compiled_project import CompiledProject, ResolvedJob
from model_jobs.compile.incremental_sql import literal
from model_jobs.defs.resources import job_connection, snowflake_resource_from_env
from model_jobs.identifiers import TableName
from model_jobs.project import load_project
from model_jobs.runtime.incremental import IncrementalOutcome
from model_jobs.runtime.materialize import Materialization, materialize
from model_jobs.specs.tags import lock_line

DATABASE = "INCREMENTAL_TEST"
MODEL_SQL = "SELECT ID, V, UPDATED_AT FROM {source}\n"
T0 = datetime(2026, 11, 1, 12, 0, 0)
MERGE = "{strategy: merge, unique_key: [ID], watermark: UPDATED_AT, lookback: 1h}"


def at(minutes: int) -> datetime:
    """T0 plus `minutes`: the watermarks tests write."""
    return T0 + timedelta(minutes=minutes)


@dataclass
class IncrementalProject:
    root: Path
    schema: str
    connection: object  # for setting up sources and reading results
    job_connection: object  # for runs: a session like a run's, with no current database

    @property
    def source(self) -> str:
        return f"{DATABASE}.{self.schema}.SRC"

    @property
    def target(self) -> str:
        return f"{DATABASE}.{self.schema}.EVENTS"

    def write(self, incremental: str, sql: str = MODEL_SQL, tag: str = "v1") -> CompiledProject:
        """(Re)write the specs: one model `events` with tag `tag`, one job with these settings."""
        model_dir = self.root / "models" / "events"
        (model_dir / "tags").mkdir(parents=True, exist_ok=True)
        sql = sql.format(source=self.source)
        (model_dir / "tags" / f"{tag}.sql").write_text(sql)
        lock = model_dir / "tags.lock"
        lines = [
            line for line in (lock.read_text().splitlines() if lock.exists() else []) if f'"tag": "{tag}"' not in line
        ]
        lock.write_text("".join(x + "\n" for x in [*lines, lock_line(tag, sql, "2026-11-01T00:00:00Z", "test")]))
        (model_dir / "model.yaml").write_text("description: Events.\n")
        (self.root / "environments.yaml").write_text(
            textwrap.dedent(f"""\
            design_environment: dev
            environments:
              dev:
                role: R
                warehouse: W
                target: {{database: {DATABASE}, schema: {self.schema}}}
            """)
        )
        (self.root / "jobs").mkdir(exist_ok=True)
        (self.root / "jobs" / "events.yaml").write_text(
            f"model: events\njobs:\n  dev:\n    tag: {tag}\n    incremental: {incremental}\n"
        )
        return load_project(self.root)

    def job(self, project: CompiledProject) -> ResolvedJob:
        return project.job("events", "dev")

    def materialize(self, project: CompiledProject, full_refresh: bool = False) -> Materialization:
        return materialize(self.job(project), self.job_connection, {}, full_refresh=full_refresh)

    def run(self, project: CompiledProject, full_refresh: bool = False) -> IncrementalOutcome:
        """What the run did to the target (the job is incremental)."""
        outcome = self.materialize(project, full_refresh).incremental
        assert outcome is not None
        return outcome

    def sql(self, statement: str, params=None) -> list[tuple]:
        cursor = self.connection.cursor()
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []

    def rows(self, table: str | None = None) -> list[tuple]:
        return sorted(self.sql(f"SELECT * FROM {table or self.target}"), key=repr)

    def expected(self, project: CompiledProject) -> list[tuple]:
        """What a full refresh would hold: the model query over the sources, right now."""
        return sorted(self.sql(self.job(project).select_sql), key=repr)

    def create_source(self, rows: list[tuple]) -> None:
        self.sql(f"CREATE OR REPLACE TABLE {self.source} (ID NUMBER, V VARCHAR, UPDATED_AT TIMESTAMP_NTZ)")
        self.insert(rows)

    def insert(self, rows: list[tuple]) -> None:
        """All rows in one INSERT .. VALUES statement (the embedded Snowflake runs an
        executemany row by row)."""
        if rows:
            values = exp.values([tuple(literal(v) if v is not None else exp.Null() for v in row) for row in rows])
            self.sql(exp.insert(values, TableName.parse(self.source).to_sqlglot()).sql(dialect="snowflake"))


@contextlib.contextmanager
def new_project(tmp_path: Path, connection) -> Iterator[IncrementalProject]:
    """A fresh schema; runs use a connection of their own, set up as a Dagster run sets up its
    connection (job_connection: current database and schema = the target's)."""
    schema = f"T_{uuid.uuid4().hex[:10].upper()}"
    cursor = connection.cursor()
    cursor.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {DATABASE}.{schema}")
    with job_connection(
        snowflake_resource_from_env(), role="R", warehouse="W", session_parameters={}, database=DATABASE, schema=schema
    ) as for_runs:
        yield IncrementalProject(tmp_path / "job_specs", schema, connection, for_runs)

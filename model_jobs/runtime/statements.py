"""The warehouse cursor the runtime needs, and every statement a run sends, labelled.

The runtime is written against the Snowflake connector's cursor (a DB-API cursor that also
reports each statement's query id as `sfqid`); `Cursor` names exactly what it uses, so tests and
benchmarks can pass anything that behaves the same. Each statement goes through `Statements`,
which records what it was for, its query id and how long it took: materialization metadata and
benchmarks read these labels instead of guessing from SQL text.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

# What a statement is for. A run sends them roughly in this order.
Purpose = Literal[
    "preflight",  # one probe: source, output and target columns, and the target's state
    "diagnose",  # INFORMATION_SCHEMA, read only when the preflight failed, to say why
    "create_schema",  # the target's schema, when it may not exist yet
    "build",  # CREATE OR REPLACE TABLE .. AS: a full build
    "count",  # the target's rows (and watermark) after a full build
    "stage",  # the model's new rows, into a staging table
    "check",  # statistics and duplicate keys of the staged rows
    "alter",  # columns added to (or removed from, on undo) the target
    "apply",  # MERGE, DELETE, INSERT and the transaction around them
    "drop",  # the staging table, dropped
    "comment",  # the target's comment, when an incremental run of a new tag kept the earlier rows
    "cleanup",  # staging tables a killed run left behind, dropped by the next run of the job
    "measure",  # sources' newest load and row count, for conditions (one statement per environment)
    "quality",  # a source's data-quality checks: failing rows per check, one statement
    "sample",  # a few failing rows of a failed check
    "diff",  # a data diff of new SQL against the target (model-jobs diff, plan --data): read only
]


class ColumnDescription(Protocol):
    """One column of a result description (the connector's ResultMetadata)."""

    @property
    def name(self) -> str: ...
    @property
    def type_code(self) -> int: ...
    @property
    def precision(self) -> int | None: ...
    @property
    def scale(self) -> int | None: ...
    @property
    def internal_size(self) -> int | None: ...


class Cursor(Protocol):
    @property
    def description(self) -> Sequence[Any] | None: ...
    @property
    def rowcount(self) -> int | None: ...
    @property
    def sfqid(self) -> str | None: ...
    def execute(self, command: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def cursor(self) -> Any: ...


@dataclass(frozen=True)
class ExecutedStatement:
    purpose: Purpose
    query_id: str | None
    seconds: float
    sql: str
    failed: bool = False  # the warehouse refused it (the error was raised to the caller)

    def to_metadata(self) -> dict[str, str | None]:
        return {"purpose": self.purpose, "query_id": self.query_id}


class Statements:
    """Runs statements on one cursor and keeps a record of each, in order."""

    def __init__(self, cursor: Cursor):
        self.cursor = cursor
        self.executed: list[ExecutedStatement] = []

    def execute(
        self, purpose: Purpose, statement: str, params: Mapping[str, Any] | Sequence[Any] | None = None
    ) -> Cursor:
        started = time.perf_counter()
        try:
            self.cursor.execute(statement, params)
        except Exception:
            # Sent, even if refused: the record is of every statement the warehouse received.
            self.executed.append(
                ExecutedStatement(purpose, self.cursor.sfqid, time.perf_counter() - started, statement, failed=True)
            )
            raise
        self.executed.append(ExecutedStatement(purpose, self.cursor.sfqid, time.perf_counter() - started, statement))
        return self.cursor

    def one(self, purpose: Purpose, statement: str) -> tuple[Any, ...]:
        """The single row a statement returns (aggregates, DML counts)."""
        row = self.execute(purpose, statement).fetchone()
        if row is None:
            raise RuntimeError(f"the warehouse returned no row for a {purpose} statement")
        return tuple(row)

"""Run a source's data-quality checks in one location: one statement counts the failing rows of
every check; each failing check then reads a few of its failing rows, to show what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from model_jobs.compile.source_sql import ParsedCheck, check_statement, sample_statement
from model_jobs.identifiers import TableName
from model_jobs.runtime.statements import Statements


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    kind: str
    severity: str  # error or warn
    location: TableName
    passed: bool
    failing_rows: int | None  # rows failing the check (row_count: None)
    row_count: int  # rows in the location
    message: str  # one line, naming the location and what was measured
    sample: tuple[dict[str, Any], ...] = ()  # up to a few failing rows, JSON-ready

    @property
    def blocks(self) -> bool:
        """Whether this outcome blocks a Model Job that requires its source's data quality."""
        return not self.passed and self.severity == "error"


def run_checks(statements: Statements, location: TableName, checks: Sequence[ParsedCheck]) -> list[CheckOutcome]:
    if not checks:
        return []
    row = statements.one("quality", check_statement(location, checks))
    total = int(row[0])
    outcomes = []
    for check, value in zip(checks, row[1:], strict=True):
        spec = check.spec
        if spec.row_count is not None:
            low, high = spec.row_count.min, spec.row_count.max
            passed = (low is None or total >= low) and (high is None or total <= high)
            bounds = " and ".join(
                b
                for b in (f"at least {low}" if low is not None else "", f"at most {high}" if high is not None else "")
                if b
            )
            message = f"{location} has {total} rows; {check.name} wants {bounds}"
            outcomes.append(CheckOutcome(check.name, spec.kind, spec.severity, location, passed, None, total, message))
            continue
        failing = int(value or 0)
        sample = _sample(statements, location, check) if failing else ()
        message = (
            f"{location}: {failing} of {total} rows fail {check.name}"
            if failing
            else f"{location}: all {total} rows pass {check.name}"
        )
        outcomes.append(
            CheckOutcome(check.name, spec.kind, spec.severity, location, failing == 0, failing, total, message, sample)
        )
    return outcomes


def _sample(statements: Statements, location: TableName, check: ParsedCheck) -> tuple[dict[str, Any], ...]:
    cursor = statements.execute("sample", sample_statement(location, check))
    names = [d[0] if isinstance(d, tuple) else d.name for d in cursor.description or ()]
    return tuple({name: _json_ready(v) for name, v in zip(names, values, strict=False)} for values in cursor.fetchall())


def _json_ready(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value % 1 else int(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)

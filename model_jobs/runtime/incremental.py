"""An incremental run: stage the model's new rows once, check them, apply them to the target.

New rows are those with watermark >= (the target's highest watermark - lookback): the target is
the only state, so nothing can drift. The staging table lives next to the target for the run
and is dropped after. The apply step is one MERGE, or DELETE + INSERT in one transaction, or one
INSERT, so the target moves from its old contents to its new ones in one commit, or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from snowflake.connector.errors import DatabaseError

from model_jobs.compile import incremental_sql as sql
from model_jobs.compile.compiled_project import ResolvedJob
from model_jobs.compile.incremental import Incremental
from model_jobs.compile.sql import (
    BuiltBy,
    built_by,
    create_schema_if_not_exists,
    render,
    set_table_comment,
    table_comment,
)
from model_jobs.errors import ApplyRolledBack, DuplicateKeys, IncrementalRunError, SchemaChanged
from model_jobs.identifiers import TableName
from model_jobs.runtime.catalog import run_probe
from model_jobs.runtime.preflight import Preflight
from model_jobs.runtime.source_check import type_family
from model_jobs.runtime.statements import Statements


@dataclass(frozen=True)
class IncrementalOutcome:
    """What an incremental job's run did to its target."""

    mode: Literal["incremental", "full_refresh"]
    rows_written: int  # rows in the target afterwards
    target_columns: dict[str, str]
    reason: str | None = None  # why a full refresh, when it was one
    watermark_before: Any = None
    watermark_after: Any = None
    rows_staged: int | None = None
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0
    schema_changes: list[str] = field(default_factory=list)
    sql_change: str | None = None  # set when rows the earlier SQL wrote were kept (on_sql_change: keep_rows)


@dataclass(frozen=True)
class _Applied:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0


def schema_changes(output: dict[str, str], target: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    added = [c for c in output if c not in target]
    removed = [c for c in target if c not in output]
    retyped = [c for c in output if c in target and type_family(output[c]) != type_family(target[c])]
    return added, removed, retyped


def describe_changes(output: dict[str, str], target: dict[str, str]) -> list[str]:
    added, removed, retyped = schema_changes(output, target)
    return (
        [f"added {c} {output[c]}" for c in added]
        + [f"removed {c}" for c in removed]
        + [f"retyped {c} {target[c]} -> {output[c]}" for c in retyped]
    )


# No run stages rows for a day: a staging table that old was left by a run that was killed.
STALE_STAGE_AGE = timedelta(hours=24)


class IncrementalRun:
    """Five statements on an incremental run (the preflight included): preflight, stage, stage
    checks, apply, drop stage. delete_insert's apply is four: BEGIN, DELETE, INSERT, COMMIT."""

    def __init__(
        self, job: ResolvedJob, settings: Incremental, statements: Statements, log: Callable[[str], None]
    ) -> None:
        self.job = job
        self.settings = settings
        self.statements = statements
        self.log = log

    def full_build(self, reason: str, found: Preflight, changes: list[str] | None = None) -> IncrementalOutcome:
        self.log(f"full refresh: {reason}")
        target = self.job.target
        if found.target is None:
            self.statements.execute("create_schema", create_schema_if_not_exists(target.database, target.schema))
        # Check the settings against the output before replacing the target, not after.
        output = found.output if found.output is not None else run_probe(self.statements, [self.job.query]).columns[0]
        self._check_columns(output)
        self.statements.execute("build", self.job.create_sql)
        watermark, with_watermark, rows = self.statements.one(
            "count", render(sql.target_state(target, self.settings.watermark))
        )
        return IncrementalOutcome(
            mode="full_refresh",
            reason=reason,
            rows_written=int(rows),
            rows_inserted=int(rows),
            watermark_after=watermark if with_watermark else None,
            target_columns=dict(output),  # CREATE TABLE .. AS gives the table the query's columns
            schema_changes=changes or [],
        )

    def run(self, found: Preflight, full_refresh_requested: bool) -> IncrementalOutcome:
        if full_refresh_requested:
            return self.full_build("requested with full_refresh: true", found)
        if found.target is None:
            return self.full_build("the target does not exist yet", found)
        if found.state is None or found.output is None:  # the output is known whenever the state is
            return self._target_without_watermark(found)
        self._drop_stale_stages(found.state.stages)
        recorded = built_by(found.state.comment)
        sql_change = self._sql_change(recorded)
        if sql_change and self.settings.on_sql_change == "full_refresh":
            return self.full_build(f"{sql_change} (on_sql_change: full_refresh)", found)
        before, with_watermark, rows_before = found.state.watermark, found.state.rows_with_watermark, found.state.rows
        if not rows_before:
            return self.full_build("the target has no rows", found)
        if not with_watermark:
            return self.full_build(f"no row of the target has a {self.settings.watermark} value", found)
        cutoff = self._cutoff(before)
        output_columns, target_columns = found.output, found.target
        self._check_columns(output_columns)
        changes = describe_changes(output_columns, target_columns)
        if changes:
            self.log("schema change: " + "; ".join(changes))
            if self.settings.on_schema_change == "full_refresh":
                return self.full_build("the model's columns changed (on_schema_change: full_refresh)", found, changes)
        target = self.job.target
        stage = sql.stage_table(target, datetime.now(UTC), uuid.uuid4().hex[:6].upper())
        added: list[str] = []
        try:
            if changes:
                added = self._adapt_target(output_columns, target_columns)
            self.statements.execute("stage", sql.create_stage(stage, self.job.query, self.settings.watermark, cutoff))
            try:
                staged, staged_max = self._check_stage(stage)
                applied = self._apply(stage, list(output_columns), cutoff)
            finally:
                self.statements.execute("drop", sql.drop_table(stage))
        except BaseException:
            for name in added:  # undo what DDL committed on its own
                self.statements.execute("alter", sql.drop_column(target, name))
            raise
        tag = self.job.tag
        if recorded != BuiltBy(tag.name, tag.sha256):  # the comment names the tag whose rows were added last
            comment = table_comment(self.job.model, self.job.environment, tag.name, tag.sha256)
            self.statements.execute("comment", set_table_comment(target, comment))
        if sql_change:
            self.log(f"{sql_change}: the target keeps the rows the earlier SQL wrote (on_sql_change: keep_rows)")
        return IncrementalOutcome(
            mode="incremental",
            rows_written=rows_before + applied.inserted - applied.deleted,
            target_columns={**target_columns, **{c: output_columns[c] for c in added}},
            watermark_before=before,
            watermark_after=max(before, staged_max) if staged else before,
            rows_staged=staged,
            rows_inserted=applied.inserted,
            rows_updated=applied.updated,
            rows_deleted=applied.deleted,
            schema_changes=changes,
            sql_change=f"{sql_change}; rows the earlier SQL wrote were kept (on_sql_change: keep_rows)"
            if sql_change
            else None,
        )

    def _drop_stale_stages(self, names: str | None) -> None:
        """Staging tables of this job older than a run could be are a killed run's: drop them."""
        now = datetime.now(UTC)
        for stage in sql.stale_stages(self.job.target, names, now, STALE_STAGE_AGE):
            self.log(f"dropping {stage}, left by a run that did not finish")
            self.statements.execute("cleanup", sql.drop_table(stage))

    def _sql_change(self, recorded: BuiltBy | None) -> str | None:
        """Why the rows in the target may not be what this run's SQL selects; None when the
        target records this very SQL."""
        tag = self.job.tag
        if recorded is None:
            return "the target does not record which SQL built it (its comment was changed or removed)"
        if recorded.sha256 != tag.sha256:
            return (
                f"the SQL changed: the target was built by tag {recorded.tag} (sha256 {recorded.sha256[:12]}…), "
                f"this run runs tag {tag.name} (sha256 {tag.sha256[:12]}…)"
            )
        return None

    def _target_without_watermark(self, found: Preflight) -> IncrementalOutcome:
        if self.settings.on_schema_change == "full_refresh":
            return self.full_build("the target has no watermark column yet (on_schema_change: full_refresh)", found)
        raise SchemaChanged(
            f"{self.job.target} has no column {self.settings.watermark} (incremental.watermark), so "
            "its new rows cannot be found: run once with full_refresh: true"
        )

    def _cutoff(self, before: Any) -> Any:
        seconds = self.settings.lookback_seconds
        if not seconds:
            return before
        if not isinstance(before, date):
            raise IncrementalRunError(
                f"lookback needs a date or timestamp watermark, but {self.settings.watermark} holds "
                f"{type(before).__name__} values: set lookback: 0s or choose another watermark"
            )
        return before - timedelta(seconds=seconds)

    def _check_columns(self, output_columns: dict[str, str]) -> None:
        for role, names in (("watermark", [self.settings.watermark]), ("unique_key", self.settings.unique_key)):
            missing = [n for n in names if n not in output_columns]
            if missing:
                raise IncrementalRunError(
                    f"incremental.{role} names {', '.join(missing)}, which the model's output does not "
                    f"have; its columns are {', '.join(output_columns)}"
                )

    def _adapt_target(self, output: dict[str, str], target: dict[str, str]) -> list[str]:
        added, removed, retyped = schema_changes(output, target)
        policy = self.settings.on_schema_change
        if policy == "fail" or retyped:
            hint = (
                "on_schema_change: full_refresh rebuilds the target"
                if retyped
                else "set on_schema_change to append_new_columns or full_refresh, or run with full_refresh: true"
            )
            raise SchemaChanged(
                f"the model's columns differ from {self.job.target}: "
                f"{'; '.join(describe_changes(output, target))}; nothing was written ({hint})"
            )
        for name in added:
            self.statements.execute("alter", sql.add_column(self.job.target, name, output[name]))
        if removed:
            self.log(f"kept columns the model no longer has (new rows get NULL): {', '.join(removed)}")
        return added

    def _check_stage(self, stage: TableName) -> tuple[int, Any]:
        """Rows staged and their highest watermark; raises when their keys cannot be applied."""
        keys = self.settings.unique_key if self.settings.strategy != "append" else ()
        rows, staged_max, duplicated, null_keys = self.statements.one(
            "check", sql.stage_stats(stage, self.settings.watermark, keys)
        )
        if null_keys:
            raise DuplicateKeys(
                f"{null_keys} new row(s) have NULL in unique_key ({', '.join(keys)}); rows without a key "
                "cannot be matched: fix the model or the key; nothing was written"
            )
        if duplicated and self.settings.strategy == "merge":
            found = self.statements.execute("check", sql.duplicate_keys(stage, keys)).fetchall()
            listing = "; ".join(
                ", ".join(f"{k}={v!r}" for k, v in zip(keys, row[:-1], strict=True)) + f" ({row[-1]} rows)"
                for row in found
            )
            more = f" (showing {len(found)} of {duplicated})" if duplicated > len(found) else ""
            raise DuplicateKeys(
                f"{duplicated} unique_key value(s) occur more than once in the new rows{more}: {listing}. "
                f"merge needs one row per key ({', '.join(keys)}): fix the model or the key; nothing was written"
            )
        return int(rows), staged_max

    def _apply(self, stage: TableName, columns: list[str], cutoff: Any) -> _Applied:
        target, settings, statements = self.job.target, self.settings, self.statements
        if settings.strategy == "merge":
            inserted, updated = statements.one("apply", sql.merge(target, stage, columns, settings.unique_key))[:2]
            return _Applied(inserted=int(inserted), updated=int(updated))
        if settings.strategy == "delete_insert":
            statements.execute("apply", "BEGIN")
            try:
                deleted = statements.execute("apply", sql.delete_matching(target, stage, settings.unique_key)).rowcount
                inserted_rows = statements.execute("apply", sql.insert(target, stage, columns)).rowcount
                statements.execute("apply", "COMMIT")
            except DatabaseError as exc:
                statements.execute("apply", "ROLLBACK")
                raise ApplyRolledBack(
                    f"the warehouse refused the DELETE + INSERT into {target} and it was rolled back: nothing "
                    f"of this run was written ({exc}). If another run was writing {target} at the same time, "
                    "run this one again once it has finished."
                ) from exc
            except BaseException:
                statements.execute("apply", "ROLLBACK")
                raise
            return _Applied(inserted=inserted_rows or 0, deleted=deleted or 0)
        # append. Rows at or after the cutoff may already be in the target: insert only the others.
        match_on = settings.unique_key or tuple(columns)
        inserted_rows = statements.execute(
            "apply", sql.insert(target, stage, columns, match_on, cutoff, settings.watermark)
        ).rowcount
        return _Applied(inserted=inserted_rows or 0)

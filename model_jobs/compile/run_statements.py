"""Every statement a run of a Model Job sends, in order, with what each is for. Pure: built from
the resolved job with the same builders the runtime uses, without a warehouse.

What a run sends depends on what it finds: a first incremental run builds the target in full,
later ones stage and apply the new rows. So the plan is one of three paths (`Path`), each listing
its statements; a statement sent only when the run finds something (a stale staging table, a
target built by another tag) says when. Values only the warehouse knows are left as named
placeholders unless the caller supplies them: `:CUTOFF`, the watermark from which rows are
re-read, and the staging table's per-run name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlglot import exp

from model_jobs.compile import incremental_sql as sql
from model_jobs.compile.compiled_project import ResolvedJob
from model_jobs.compile.sql import (
    columns_of_tables_query,
    count_rows,
    create_schema_if_not_exists,
    probe,
    render,
    set_table_comment,
    table_comment,
    table_comment_of,
)
from model_jobs.identifiers import TableName, ident

Path = Literal["full", "incremental", "full_refresh"]
PATHS: tuple[Path, ...] = ("full", "incremental", "full_refresh")

PATH_NAMES: dict[Path, str] = {
    "full": "a full build",
    "incremental": "an incremental run",
    "full_refresh": "a full refresh of an incremental target",
}
WHAT_FOR = {
    "preflight": "one probe: the columns of every source and of the model's output (of an incremental "
    "job's target too, with its state)",
    "diagnose": "which sources and target exist, and their columns (INFORMATION_SCHEMA)",
    "cleanup": "a staging table a killed run left behind, dropped",
    "create_schema": "the target's schema, in case it does not exist yet",
    "build": "the target, built in one atomic statement",
    "count": "the rows (and watermark) the target has now",
    "stage": "the model's new rows, staged once",
    "check": "the staged rows: count, highest watermark, duplicate and NULL keys",
    "apply": "the staged rows, applied to the target",
    "drop": "the staging table, dropped",
    "comment": "the target's comment: the tag and SQL whose rows it holds",
}

CUTOFF = exp.Placeholder(this="CUTOFF")  # rendered as :CUTOFF
PROBE_MARKER = "MJ_COLUMNS_RENDERED"  # a run names its probe's marker columns afresh each time
OUTPUT_COLUMNS = "<OUTPUT COLUMNS>"  # stands for the columns of a SELECT * (only the warehouse knows them)


@dataclass(frozen=True)
class PlannedStatement:
    purpose: str  # the label the run records it under (runtime.statements.Purpose)
    sql: str
    when: str | None = None  # sent only when this holds; None: always
    params: dict[str, str] | None = None  # values bound to the statement's %(name)s placeholders

    def to_json(self) -> dict[str, object]:
        return {"purpose": self.purpose, "when": self.when, "sql": self.sql, "params": self.params}


@dataclass(frozen=True)
class RunStatements:
    job: ResolvedJob
    path: Path
    statements: list[PlannedStatement]
    notes: list[str] = field(default_factory=list)  # what decides the path, and placeholders

    def to_script(self) -> str:
        """A script to read or paste into a worksheet: each statement after a comment saying
        what it is for, and when it is sent if not always."""
        job = self.job
        lines = [
            f"-- {job.key}: tag {job.tag.name} (sql sha256 {job.tag.sha256[:12]}), {PATH_NAMES[self.path]}",
            f"-- writes {job.target}",
            *(
                f"-- reads {s.actual}" + (f" (written {s.design} in the model)" if s.actual != s.design else "")
                for s in job.sources
            ),
            *(f"-- note: {note}" for note in self.notes),
        ]
        for number, statement in enumerate(self.statements, start=1):
            when = f" (only when {statement.when})" if statement.when else ""
            lines += ["", f"-- {number}. {statement.purpose}: {WHAT_FOR[statement.purpose]}{when}"]
            if statement.params:
                lines.append("-- bound: " + ", ".join(f"{k}={v!r}" for k, v in statement.params.items()))
            lines.append(statement.sql + ";")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, object]:
        job = self.job
        return {
            "model": job.model,
            "environment": job.environment,
            "tag": job.tag.name,
            "sql_sha256": job.tag.sha256,
            "target": str(job.target),
            "sources": [{"design": str(s.design), "read": str(s.actual)} for s in job.sources],
            "path": self.path,
            "notes": self.notes,
            "statements": [s.to_json() for s in self.statements],
        }


def preflight_parts(job: ResolvedJob) -> tuple[list[exp.Expr], exp.Select | None]:
    """The relations the preflight probes (every source, the model's output and, for an
    incremental job, its target) and the target's state it reads in the same statement."""
    relations: list[exp.Expr] = [source.actual.to_sqlglot() for source in job.sources] + [job.query]
    if job.incremental is None:
        return relations, None
    relations.append(job.target.to_sqlglot())
    state = sql.target_state(job.target, job.incremental.watermark).select(
        exp.alias_(table_comment_of(job.target), ident("COMMENT")),
        exp.alias_(sql.stages_of(job.target), ident("STAGES")),
    )
    return relations, state


def default_path(job: ResolvedJob) -> Path:
    return "full" if job.incremental is None else "incremental"


def run_statements(
    job: ResolvedJob,
    path: Path | None = None,
    *,
    cutoff: object = CUTOFF,
    stage: TableName | None = None,
    marker: str = PROBE_MARKER,
    columns: list[str] | None = None,
) -> RunStatements:
    """The statements of one run of `job` along `path` (default: a full build, or for an
    incremental job an incremental run). `cutoff`, `stage` and `marker` stand for what a run
    learns or names itself; a test passes a real run's to compare statement for statement."""
    path = path or default_path(job)
    if path != "full" and job.incremental is None:
        raise ValueError(f"{job.key} is not incremental: its runs always build the target in full")
    if path == "full" and job.incremental is not None:
        raise ValueError(f"{job.key} is incremental: choose incremental or full_refresh")
    relations, state = preflight_parts(job)
    preflight = PlannedStatement("preflight", probe(marker, relations, state))
    if path == "full":
        return RunStatements(
            job,
            path,
            [
                preflight,
                PlannedStatement("create_schema", create_schema_if_not_exists(job.target.database, job.target.schema)),
                PlannedStatement("build", job.create_sql),
                PlannedStatement("count", count_rows(job.target)),
            ],
            ["one CREATE OR REPLACE TABLE .. AS: if it fails, the target keeps its previous contents"],
        )
    if path == "full_refresh":
        return _full_refresh(job, preflight, marker)
    return _incremental(job, preflight, cutoff, stage, columns)


TARGET_MISSING = "the target does not exist yet"


def _full_refresh(job: ResolvedJob, preflight: PlannedStatement, marker: str) -> RunStatements:
    assert job.incremental is not None
    settings = job.incremental
    target = job.target
    diagnose, params = columns_of_tables_query(list(dict.fromkeys([*(s.actual for s in job.sources), target])))
    return RunStatements(
        job,
        "full_refresh",
        [
            preflight,
            # The probe names the target, so it fails when there is none: the run asks why.
            PlannedStatement("diagnose", diagnose, when=TARGET_MISSING, params=params),
            PlannedStatement(
                "create_schema", create_schema_if_not_exists(target.database, target.schema), when=TARGET_MISSING
            ),
            PlannedStatement("preflight", probe(marker, [job.query]), when=TARGET_MISSING),
            PlannedStatement("build", job.create_sql),
            PlannedStatement("count", render(sql.target_state(target, settings.watermark))),
        ],
        [
            "taken on the first run, with --full-refresh (or full_refresh: true), when the target has no rows "
            f"or no {settings.watermark} value, when the target was built by other SQL (on_sql_change: "
            f"{settings.on_sql_change}), or when the model's columns changed and on_schema_change is full_refresh",
        ],
    )


def _incremental(
    job: ResolvedJob, preflight: PlannedStatement, cutoff: object, stage: TableName | None, columns: list[str] | None
) -> RunStatements:
    assert job.incremental is not None
    settings = job.incremental
    target = job.target
    stage = stage or sql.stage_table(target, datetime.now(UTC), "RENDER")
    stale = sql.stage_table(target, datetime.now(UTC) - timedelta(days=2), "LEFT")
    keys = settings.unique_key if settings.strategy != "append" else ()
    output = columns or output_columns(job)
    statements = [
        preflight,
        PlannedStatement(
            "cleanup",
            render(exp.Drop(tables=[stale.to_sqlglot()], kind="TABLE", exists=True)),
            when="a killed run left a staging table more than a day old (one DROP each)",
        ),
        PlannedStatement("stage", sql.create_stage(stage, job.query, settings.watermark, cutoff)),
        PlannedStatement("check", sql.stage_stats(stage, settings.watermark, keys)),
    ]
    if settings.strategy == "merge":
        statements.append(
            PlannedStatement(
                "check", sql.duplicate_keys(stage, keys), when="staged rows share a unique_key (the run then stops)"
            )
        )
    statements += _apply(job, stage, output or [OUTPUT_COLUMNS], cutoff)
    statements.append(PlannedStatement("drop", sql.drop_table(stage)))
    comment = table_comment(job.model, job.environment, job.tag.name, job.tag.sha256)
    statements.append(
        PlannedStatement(
            "comment", set_table_comment(target, comment), when="the target's rows were last added by another tag"
        )
    )
    notes = [
        f"CUTOFF: the target's highest {settings.watermark}"
        + (f" minus the lookback ({settings.lookback_seconds} s)" if settings.lookback_seconds else "")
        + ", read by the preflight",
        f"{stage.table}: the staging table, named afresh by each run (MJ_STAGE_<target>_<unix time>_<random>)",
        "the output columns are those the preflight finds"
        + ("; listed here from the SELECT list" if output else f" (the SELECT has a *: shown as {OUTPUT_COLUMNS})"),
        "if the model's columns differ from the target's: ALTER TABLE .. ADD COLUMN per new column before staging "
        f"(on_schema_change: {settings.on_schema_change})",
    ]
    return RunStatements(job, "incremental", statements, notes)


def _apply(job: ResolvedJob, stage: TableName, columns: list[str], cutoff: object) -> list[PlannedStatement]:
    assert job.incremental is not None
    settings, target = job.incremental, job.target
    if settings.strategy == "merge":
        return [PlannedStatement("apply", sql.merge(target, stage, columns, settings.unique_key))]
    if settings.strategy == "delete_insert":
        return [
            PlannedStatement("apply", "BEGIN"),
            PlannedStatement("apply", sql.delete_matching(target, stage, settings.unique_key)),
            PlannedStatement("apply", sql.insert(target, stage, columns)),
            PlannedStatement("apply", "COMMIT"),
            PlannedStatement("apply", "ROLLBACK", when="the DELETE or INSERT failed (instead of COMMIT)"),
        ]
    match_on = settings.unique_key or tuple(columns)
    return [PlannedStatement("apply", sql.insert(target, stage, columns, match_on, cutoff, settings.watermark))]


def output_columns(job: ResolvedJob) -> list[str] | None:
    """The output columns as the SELECT list names them, spelled as Snowflake resolves them
    (unquoted: upper case); None when the list has a `*`, whose columns only the warehouse knows."""
    query: exp.Expr = job.query
    while isinstance(query, exp.SetOperation):  # a UNION's columns are its first SELECT's
        query = query.left
    if not isinstance(query, exp.Select):
        return None
    names = []
    for projection in query.expressions:
        if isinstance(projection, exp.Alias):
            name = projection.args.get("alias")
        elif isinstance(projection, exp.Column):
            name = projection.this
        else:
            return None
        if not isinstance(name, exp.Identifier):
            return None  # a star, or an expression Snowflake names itself
        names.append(name.this if name.quoted else name.this.upper())
    return names

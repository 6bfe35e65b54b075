"""Incremental runs on the embedded Snowflake: what each strategy writes, what it refuses, and
that a failed run leaves the target as it was."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from model_jobs.errors import ApplyRolledBack, DuplicateKeys, IncrementalRunError, SchemaChanged
from model_jobs.identifiers import TableName
from model_jobs_tests.runtime.incremental_project import DATABASE, MERGE, at

DELETE_INSERT = "{strategy: delete_insert, unique_key: [ID], watermark: UPDATED_AT, lookback: 1h}"
APPEND = "{strategy: append, watermark: UPDATED_AT, lookback: 1h}"


def test_first_run_builds_everything_then_only_new_rows(p):
    project = p.write(MERGE)
    p.create_source([(1, "a", at(0)), (2, "b", at(1))])
    first = p.run(project)
    assert (first.mode, first.reason, first.rows_inserted) == ("full_refresh", "the target does not exist yet", 2)
    assert first.watermark_after == at(1)

    p.sql(f"UPDATE {p.source} SET V = 'B', UPDATED_AT = %s WHERE ID = 2", (at(5),))
    p.insert([(3, "c", at(6))])
    second = p.run(project)
    assert second.mode == "incremental"
    assert (second.watermark_before, second.watermark_after) == (at(1), at(6))
    # Re-read from 1h behind the watermark: rows 1, 2 (changed) and 3 (new) are staged.
    assert second.rows_staged == 3
    assert (second.rows_inserted, second.rows_updated) == (1, 2)
    assert p.rows() == p.expected(project) == [(1, "a", at(0)), (2, "B", at(5)), (3, "c", at(6))]


def test_predicate_is_pushed_into_the_staging_query(p):
    project = p.write("{strategy: merge, unique_key: [ID], watermark: UPDATED_AT}")
    p.create_source([(i, "x", at(i)) for i in range(10)])
    p.run(project)
    p.insert([(10, "y", at(30))])
    run = p.run(project)
    # Without lookback only the boundary row (at the old watermark) and the new row are read.
    assert run.rows_staged == 2 and (run.rows_inserted, run.rows_updated) == (1, 1)


@pytest.mark.parametrize("settings", [MERGE, DELETE_INSERT, APPEND])
def test_rerun_changes_nothing(p, settings):
    project = p.write(settings)
    p.create_source([(1, "a", at(0)), (2, "b", at(10))])
    p.run(project)
    p.insert([(3, "c", at(20))])
    p.run(project)
    once = p.rows()
    again = p.run(project)
    assert p.rows() == once == p.expected(project)
    assert again.mode == "incremental"


def test_delete_insert_replaces_the_rows_of_arriving_keys(p):
    project = p.write(DELETE_INSERT)
    p.create_source([(1, "a", at(0)), (2, "b", at(1))])
    p.run(project)
    p.sql(f"UPDATE {p.source} SET V = 'B2', UPDATED_AT = %s WHERE ID = 2", (at(3),))
    run = p.run(project)
    assert (run.rows_deleted, run.rows_inserted) == (2, 2)  # both rows fall inside the 1h lookback
    assert p.rows() == p.expected(project)


def test_append_inserts_only_rows_not_already_there(p):
    project = p.write(APPEND)
    p.create_source([(1, "a", at(0)), (2, "b", at(1))])
    p.run(project)
    p.insert([(3, "late", at(0)), (4, "new", at(2))])  # a late row inside the lookback, and a new one
    run = p.run(project)
    assert run.rows_inserted == 2
    assert p.rows() == p.expected(project)


def test_duplicate_keys_are_reported_with_values_and_counts(p):
    project = p.write(MERGE)
    p.create_source([(1, "a", at(0))])
    p.run(project)
    before = p.rows()
    p.insert([(7, "x", at(5)), (7, "y", at(6)), (7, "z", at(7)), (8, "u", at(5)), (8, "v", at(5))])
    with pytest.raises(DuplicateKeys) as info:
        p.run(project)
    message = str(info.value)
    assert message.startswith(
        "2 unique_key value(s) occur more than once in the new rows: ID=7 (3 rows); ID=8 (2 rows)."
    )
    assert "merge needs one row per key (ID)" in message and "nothing was written" in message
    assert p.rows() == before
    assert not [t for t in p.sql(f"SHOW TABLES IN SCHEMA {p.target.rsplit('.', 1)[0]}") if "MJ_STAGE" in t[1]]


def test_null_keys_are_refused(p):
    project = p.write(MERGE)
    p.create_source([(1, "a", at(0))])
    p.run(project)
    p.insert([(None, "nokey", at(3))])
    with pytest.raises(DuplicateKeys, match=r"1 new row\(s\) have NULL in unique_key \(ID\)"):
        p.run(project)


def test_rows_later_than_the_lookback_are_missed_until_a_full_refresh(p):
    """The documented limit: a change stamped earlier than (watermark - lookback) is not seen."""
    project = p.write(MERGE)
    p.create_source([(1, "a", at(0)), (2, "b", at(120))])
    p.run(project)
    p.insert([(3, "too late", at(30))])  # 90 minutes behind the watermark; lookback is 1h
    run = p.run(project)
    assert run.rows_inserted == 0
    assert (3, "too late", at(30)) not in p.rows()
    repaired = p.run(project, full_refresh=True)
    assert repaired.reason == "requested with full_refresh: true"
    assert p.rows() == p.expected(project)


# Schema-change policies matter when a new tag keeps the rows of the old one (on_sql_change:
# keep_rows); by default a new tag rebuilds the target (test_sql_change.py).
KEEP_ROWS = "{strategy: merge, unique_key: [ID], watermark: UPDATED_AT, on_sql_change: keep_rows}"


def test_schema_change_fail_policy(p):
    project = p.write(KEEP_ROWS)
    p.create_source([(1, "a", at(0))])
    p.run(project)
    before = p.rows()
    project = p.write(KEEP_ROWS, sql="SELECT ID, V, UPDATED_AT, UPPER(V) AS V_UPPER FROM {source}\n", tag="v2")
    with pytest.raises(SchemaChanged) as info:
        p.run(project)
    assert "the model's columns differ from" in str(info.value)
    assert "added V_UPPER" in str(info.value) and "nothing was written" in str(info.value)
    assert p.rows() == before


def test_schema_change_append_new_columns(p):
    settings = KEEP_ROWS.replace("}", ", on_schema_change: append_new_columns}")
    project = p.write(settings)
    p.create_source([(1, "a", at(0))])
    p.run(project)
    project = p.write(
        settings,
        tag="v2",
        sql=("SELECT ID, UPDATED_AT, UPPER(V) AS V_UPPER, CAST(ID / 4 AS NUMBER(12,2)) AS QUARTER FROM {source}\n"),
    )
    p.insert([(2, "b", at(5))])
    run = p.run(project)
    assert run.schema_changes == ["added V_UPPER VARCHAR", "added QUARTER NUMBER(12,2)", "removed V"]
    # Row 1 sits at the old watermark, so it is re-read (and gains V_UPPER); V is kept, NULL for new rows.
    # QUARTER is added with the output's precision and scale, so 0.25 stays 0.25.
    assert p.sql(f"SELECT ID, V, V_UPPER, QUARTER FROM {p.target} ORDER BY ID") == [
        (1, "a", "A", Decimal("0.25")),
        (2, None, "B", Decimal("0.50")),
    ]
    assert run.target_columns["QUARTER"] == "NUMBER(12,2)"


def test_schema_change_full_refresh_policy(p):
    settings = KEEP_ROWS.replace("}", ", on_schema_change: full_refresh}")
    project = p.write(settings)
    p.create_source([(1, "a", at(0))])
    p.run(project)
    project = p.write(settings, sql="SELECT ID, CAST(ID AS VARCHAR) AS V, UPDATED_AT FROM {source}\n", tag="v2")
    p.sql(f"ALTER TABLE {p.target} DROP COLUMN V")
    p.sql(f"ALTER TABLE {p.target} ADD COLUMN V NUMBER")  # now retyped against the model's TEXT
    run = p.run(project)
    assert run.mode == "full_refresh" and "on_schema_change: full_refresh" in run.reason
    assert p.rows() == p.expected(project)


def test_retyped_column_fails_even_when_appending_columns(p):
    settings = KEEP_ROWS.replace("}", ", on_schema_change: append_new_columns}")
    project = p.write(settings)
    p.create_source([(1, "a", at(0))])
    p.run(project)
    project = p.write(settings, sql="SELECT ID, LENGTH(V) AS V, UPDATED_AT FROM {source}\n", tag="v2")
    with pytest.raises(SchemaChanged, match="retyped V"):
        p.run(project)


def test_failure_between_statements_leaves_target_unchanged(p, monkeypatch):
    """delete_insert's DELETE has run when the INSERT fails: the transaction takes it back."""
    from model_jobs.compile import incremental_sql

    project = p.write(DELETE_INSERT)
    p.create_source([(1, "a", at(0)), (2, "b", at(1))])
    p.run(project)
    before = p.rows()
    p.sql(f"UPDATE {p.source} SET V = 'B', UPDATED_AT = %s WHERE ID = 2", (at(2),))

    def failing_insert(*args, **kwargs):
        return "INSERT INTO NO_SUCH_DB.NO_SUCH_SCHEMA.NO_SUCH_TABLE SELECT 1"

    monkeypatch.setattr(incremental_sql, "insert", failing_insert)
    with pytest.raises(
        ApplyRolledBack, match=r"refused the DELETE \+ INSERT into .* nothing of this run was written"
    ) as info:
        p.run(project)
    assert "NO_SUCH" in str(info.value)  # the warehouse's own words are kept
    monkeypatch.undo()
    assert p.rows() == before
    # And the next run catches up.
    p.run(project)
    assert p.rows() == p.expected(project)


def test_settings_naming_columns_the_output_lacks(p):
    project = p.write("{strategy: merge, unique_key: [EVENT_ID], watermark: CHANGED_AT}")
    p.create_source([(1, "a", at(0))])
    with pytest.raises(IncrementalRunError) as info:
        p.run(project)
    assert str(info.value) == (
        "incremental.watermark names CHANGED_AT, which the model's output does not have; "
        "its columns are ID, V, UPDATED_AT"
    )
    assert p.sql(f"SHOW TABLES LIKE 'EVENTS' IN SCHEMA {p.target.rsplit('.', 1)[0]}") == []


FIVE = ["preflight", "stage", "check", "apply", "drop"]


@pytest.mark.parametrize(
    ("settings", "purposes"),
    [(MERGE, FIVE), (APPEND, FIVE), (DELETE_INSERT, ["preflight", "stage", "check", *["apply"] * 4, "drop"])],
)
def test_statements_per_incremental_run(p, settings, purposes):
    """Every statement of the run, source checks included: preflight, stage, stage checks, apply,
    drop stage (delete_insert's apply is BEGIN, DELETE, INSERT, COMMIT)."""
    project = p.write(settings)
    p.create_source([(1, "a", at(0))])
    p.run(project)
    p.insert([(2, "b", at(5))])
    run = p.materialize(project)
    assert run.incremental is not None and run.incremental.mode == "incremental"
    assert [s.purpose for s in run.statements] == purposes
    assert all(s.query_id for s in run.statements) and len(set(run.query_ids)) == len(purposes)
    assert run.rows_written == 2 and list(run.target_columns) == ["ID", "V", "UPDATED_AT"]


def test_cutoff_reaches_the_source_scan(p):
    """The staging query's filter is pushed down to the scan of the source, through the model's
    CTE, so the warehouse can skip what is older than the cutoff. Shown with DuckDB's plan in an
    in-process embedded Snowflake (its server does not answer EXPLAIN)."""
    import fakesnow
    import snowflake.connector

    from model_jobs.compile.incremental_sql import create_stage

    project = p.write(
        MERGE, sql=("WITH LATEST AS (SELECT ID, V, UPDATED_AT FROM {source}) SELECT ID, V, UPDATED_AT FROM LATEST\n")
    )
    statement = create_stage(TableName.parse(p.target), p.job(project).query, "UPDATED_AT", at(30))
    select = re.split(r"\sAS\s", statement, maxsplit=1)[1]
    database, schema, _ = TableName.parse(p.source).parts
    with fakesnow.patch(), snowflake.connector.connect(database=database, schema=schema) as connection:
        cursor = connection.cursor()
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {database}.{schema}")  # connecting made the database
        cursor.execute(f"CREATE TABLE {p.source} (ID NUMBER, V VARCHAR, UPDATED_AT TIMESTAMP_NTZ)")

        def plan() -> str:
            cursor.execute(f"EXPLAIN {select}")
            return "\n".join(str(cell) for row in cursor.fetchall() for cell in row)

        cursor.execute(f"INSERT INTO {p.source} VALUES (1, 'a', '2026-11-01 12:00:00')")
        only_old_rows = plan()
        cursor.execute(f"INSERT INTO {p.source} VALUES (2, 'b', '2026-11-01 13:00:00')")
        with_new_rows = plan()
    # All rows older than the cutoff: the table's min/max statistics rule the scan out entirely.
    assert "Empty Result" in only_old_rows and "Scan" not in only_old_rows, only_old_rows
    scan = with_new_rows[with_new_rows.index("Seq Scan") :].replace(" ", "")
    assert "Filters:" in scan and "UPDATED_AT>='2026-11-0112:30:00'" in scan, with_new_rows


def test_stages_left_by_killed_runs_are_dropped_by_the_next_run(p):
    """A run killed between staging and the drop leaves MJ_STAGE_<TARGET>_<time>_<id>; the next
    run of the job drops those older than a day (a younger one may be a run still going)."""
    from model_jobs.compile.incremental_sql import stage_table

    project = p.write(MERGE)
    p.create_source([(1, "a", at(0))])
    p.run(project)
    target = TableName.parse(p.target)
    now = datetime.now(UTC)
    left = stage_table(target, now - timedelta(days=3), "DEAD01")
    recent = stage_table(target, now - timedelta(minutes=1), "LIVE01")
    for stage in (left, recent):
        p.sql(f"CREATE TABLE {stage.sql()} AS SELECT * FROM {p.target}")

    run = p.materialize(project)

    assert [s.purpose for s in run.statements][:2] == ["preflight", "cleanup"]
    tables = {
        row[0]
        for row in p.sql(
            f"SELECT TABLE_NAME FROM {DATABASE}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = %s", (p.schema,)
        )
    }
    assert left.table not in tables and recent.table in tables

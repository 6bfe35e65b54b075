"""The look before a run writes: one probe statement when all is well, INFORMATION_SCHEMA when it
is not, and the right verdict in each case."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from snowflake.connector.constants import FIELD_NAME_TO_ID
from snowflake.connector.errors import ProgrammingError
from sqlglot import parse_one

from model_jobs.errors import SchemaChanged, SourceSchemaMismatch
from model_jobs.identifiers import TableName
from model_jobs.runtime.catalog import read_information_schema, run_probe, type_name
from model_jobs.runtime.source_check import type_family
from model_jobs.runtime.statements import Statements
from model_jobs_tests.runtime.incremental_project import DATABASE, T0

MERGE = "{strategy: merge, unique_key: [ID], watermark: UPDATED_AT}"


def column(type_: str, precision=None, scale=None, internal_size=None):
    return SimpleNamespace(
        type_code=FIELD_NAME_TO_ID[type_], precision=precision, scale=scale, internal_size=internal_size
    )


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (column("FIXED", 12, 2), "NUMBER(12,2)"),
        (column("FIXED", 38, 0), "NUMBER(38,0)"),
        (column("FIXED"), "NUMBER"),
        (column("REAL"), "FLOAT"),
        (column("TEXT", internal_size=16777216), "VARCHAR"),
        (column("TEXT", internal_size=10), "VARCHAR(10)"),
        (column("TIMESTAMP_NTZ", 0, 9), "TIMESTAMP_NTZ"),
        (column("DATE"), "DATE"),
        (column("BOOLEAN"), "BOOLEAN"),
        (column("VARIANT"), "VARIANT"),
    ],
)
def test_type_names_from_a_result_description(meta, expected):
    assert type_name(meta) == expected


def test_probe_splits_columns_per_relation_and_agrees_with_information_schema(p):
    p.create_source([(1, "a", T0)])
    other = TableName(DATABASE, p.schema, "OTHER")
    p.sql(f"CREATE TABLE {other} (K NUMBER(12,2), NAME VARCHAR, FLAG BOOLEAN, D DATE, F FLOAT)")
    source = TableName.parse(p.source)
    statements = Statements(p.connection.cursor())
    state = parse_one(f"SELECT COUNT(*) AS N, MAX(UPDATED_AT) AS M FROM {p.source}", read="snowflake")
    # A column named like the marker's prefix does not confuse the split: the marker is unique.
    query = parse_one(f"SELECT ID AS MJ_COLUMNS_X, V FROM {p.source}", read="snowflake")

    probed = run_probe(statements, [source.to_sqlglot(), query, other.to_sqlglot()], state)

    assert [s.purpose for s in statements.executed] == ["preflight"]
    assert probed.state == (1, T0)
    assert [list(c) for c in probed.columns] == [
        ["ID", "V", "UPDATED_AT"],
        ["MJ_COLUMNS_X", "V"],
        ["K", "NAME", "FLAG", "D", "F"],
    ]
    assert probed.columns[2]["K"] == "NUMBER(12,2)"
    catalog = read_information_schema(
        statements, [source, other, TableName(DATABASE, p.schema, "NOPE"), TableName("NO_SUCH_DATABASE", "S", "T")]
    )
    assert {t.table: {c: type_family(v) for c, v in cols.items()} for t, cols in catalog.items()} == {
        "SRC": {c: type_family(v) for c, v in probed.columns[0].items()},
        "OTHER": {c: type_family(v) for c, v in probed.columns[2].items()},
        "NOPE": {},
        "T": {},
    }


def test_missing_source_of_an_incremental_job_is_named_and_nothing_is_written(p):
    project = p.write(MERGE)
    p.create_source([(1, "a", T0)])
    p.run(project)
    before = p.rows()
    p.sql(f"DROP TABLE {p.source}")
    with pytest.raises(SourceSchemaMismatch) as info:
        p.run(project)
    assert f"{p.source}: table does not exist" in str(info.value)
    assert p.rows() == before


def test_source_in_a_database_that_does_not_exist(p):
    sql = "SELECT S.ID, S.V, S.UPDATED_AT FROM {source} S JOIN NO_SUCH_DATABASE.RAW.OTHER O ON O.ID = S.ID\n"
    project = p.write(MERGE, sql=sql)
    p.create_source([(1, "a", T0)])
    with pytest.raises(SourceSchemaMismatch) as info:
        p.run(project)
    assert "NO_SUCH_DATABASE.RAW.OTHER: table does not exist" in str(info.value)
    assert f"{p.source}:" not in str(info.value)  # the source that exists is not blamed


def test_a_broken_model_query_fails_with_the_warehouse_message_and_writes_nothing(p):
    project = p.write(MERGE)
    p.create_source([(1, "a", T0)])
    p.run(project)
    before = p.rows()
    project = p.write(MERGE, sql="SELECT ID, NO_SUCH_FUNCTION(V) AS V, UPDATED_AT FROM {source}\n", tag="v2")
    with pytest.raises(ProgrammingError, match=r"(?i)no_such_function"):
        p.run(project)
    assert p.rows() == before


def test_target_without_the_watermark_column(p):
    project = p.write(MERGE)
    p.create_source([(1, "a", T0)])
    p.run(project)
    p.sql(f"ALTER TABLE {p.target} DROP COLUMN UPDATED_AT")
    with pytest.raises(SchemaChanged, match=r"has no column UPDATED_AT .* run once with full_refresh: true"):
        p.run(project)
    assert p.run(project, full_refresh=True).mode == "full_refresh"
    assert p.rows() == p.expected(project)


@pytest.mark.parametrize(
    ("target_rows", "reason"),
    [
        ([], "the target has no rows"),
        ([(1, "a", None)], "no row of the target has a UPDATED_AT value"),
    ],
)
def test_target_without_watermark_values_is_rebuilt(p, target_rows, reason):
    project = p.write(MERGE)
    p.create_source([(1, "a", T0), (2, "b", T0)])
    p.run(project)
    p.sql(f"DELETE FROM {p.target}")
    for row in target_rows:
        p.sql(f"INSERT INTO {p.target} (ID, V, UPDATED_AT) VALUES (%s, %s, %s)", row)
    run = p.run(project)
    assert (run.mode, run.reason) == ("full_refresh", reason)
    assert run.watermark_after == T0
    assert p.rows() == p.expected(project)


def test_full_build_of_rows_without_watermark_values_records_none(p):
    project = p.write(MERGE)
    p.create_source([(1, "a", None)])
    run = p.run(project)
    # Not 1970-01-01, which is how the embedded Snowflake returns a NULL timestamp.
    assert (run.mode, run.rows_written, run.watermark_after) == ("full_refresh", 1, None)

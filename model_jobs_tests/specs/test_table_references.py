"""A model reads tables only through names the compiler can map: anything that could bring rows in
past source mapping, source checks and lineage is a spec error naming the construct and its line."""

from __future__ import annotations

import pytest

from model_jobs.compile.references import parse_model_sql
from model_jobs_tests.specs.spec_edits import add_tag, only_error

TAG_FILE = "models/customers_dim/tags/sprint-43.sql"


@pytest.mark.parametrize(
    ("sql", "line", "message"),
    [
        (
            "SELECT *\nFROM IDENTIFIER('DATALAKE_PRD.RAW.ORDERS')\n",
            2,
            "IDENTIFIER() names its table at run time: \"IDENTIFIER('DATALAKE_PRD.RAW.ORDERS')\"",
        ),
        ("SELECT *\nFROM read_text('/etc/hostname')\n", 2, "table function \"READ_TEXT('/etc/hostname')\""),
        ("SELECT $1\nFROM\n  @raw_stage\n", 3, "a stage is not a table: '@raw_stage'"),
        (
            "SELECT *\nFROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))\n",
            2,
            "table function 'TABLE(RESULT_SCAN(LAST_QUERY_ID()))'",
        ),
        (
            "SELECT *\nFROM TABLE(DATALAKE_DEV.INFORMATION_SCHEMA.QUERY_HISTORY())\n",
            2,
            "table function 'TABLE(DATALAKE_DEV.INFORMATION_SCHEMA.QUERY_HISTORY())'",
        ),
    ],
    ids=["identifier", "read_text", "stage", "result_scan", "query_history"],
)
def test_constructs_that_escape_mapping(specs, sql, line, message):
    add_tag(specs, "customers_dim", "sprint-43", sql)
    error = only_error(specs, TAG_FILE, "")
    assert error.line == line
    assert error.message == (
        f"{message}: a model reads tables only by their name, DATABASE.SCHEMA.TABLE, so that every "
        "environment can map them and their columns can be checked"
    )


def test_a_cte_of_one_branch_is_a_table_in_another(specs):
    """SQL's scoping: ORDERS is a CTE inside the first branch only; the second reads a table."""
    sql = (
        "SELECT CUSTOMER_ID FROM (\n"
        "  WITH CUSTOMERS AS (SELECT * FROM DATALAKE_DEV.RAW.CUSTOMERS) SELECT CUSTOMER_ID FROM CUSTOMERS\n"
        ")\n"
        "UNION ALL\n"
        "SELECT CUSTOMER_ID FROM CUSTOMERS\n"
    )
    add_tag(specs, "customers_dim", "sprint-43", sql)
    error = only_error(specs, TAG_FILE, "")
    assert (error.line, error.message) == (
        5,
        "table reference 'CUSTOMERS' must be fully qualified as DATABASE.SCHEMA.TABLE so each environment can map it",
    )


@pytest.mark.parametrize(
    "sql",
    ['SELECT * FROM "a""b"."c;d"."e f"\n', 'SELECT * FROM "datalake_dev"."raw"."customers"\n'],
    ids=["special characters", "lower-case quoted duplicate of a source"],
)
def test_quoted_names_the_specs_cannot_name(specs, sql):
    add_tag(specs, "customers_dim", "sprint-43", sql)
    error = only_error(specs, TAG_FILE, "")
    assert error.line == 1
    assert "uses a quoted name the specs cannot name (source_mapping, sources.yaml)" in error.message


def test_sql_nested_thousands_of_levels_deep(specs):
    add_tag(specs, "customers_dim", "sprint-43", "SELECT " + "(" * 3000 + "1" + ")" * 3000 + "\n")
    error = only_error(specs, TAG_FILE, "")
    assert error.message.startswith("SQL nests too deeply to be analysed")


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        (
            "SELECT o.ORDER_ID, f.VALUE FROM DATALAKE_DEV.RAW.ORDERS o, LATERAL FLATTEN(input => o.TAGS) f",
            ["DATALAKE_DEV.RAW.ORDERS"],
        ),
        ("SELECT SEQ4() AS N FROM TABLE(GENERATOR(ROWCOUNT => 10))", []),
        (
            "SELECT * FROM DATALAKE_DEV.RAW.ORDERS o JOIN TABLE(SPLIT_TO_TABLE(o.S, ',')) t ON TRUE",
            ["DATALAKE_DEV.RAW.ORDERS"],
        ),
        ("WITH orders AS (SELECT * FROM DATALAKE_DEV.RAW.ORDERS) SELECT * FROM ORDERS", ["DATALAKE_DEV.RAW.ORDERS"]),
        ("WITH RECURSIVE R AS (SELECT 1 AS N UNION ALL SELECT N + 1 FROM R WHERE N < 3) SELECT * FROM R", []),
        ("SELECT * FROM (VALUES (1), (2)) AS V(X)", []),
    ],
    ids=["flatten", "generator", "split_to_table", "cte in any case", "recursive cte", "values"],
)
def test_row_sources_that_read_no_table_are_fine(sql, tables):
    assert [str(t) for t in parse_model_sql(sql).tables] == tables

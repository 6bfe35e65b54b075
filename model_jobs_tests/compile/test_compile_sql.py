"""Compile is pure: each case asserts the exact SQL produced."""

from __future__ import annotations

import pytest

from model_jobs.compile.references import parse_model_sql
from model_jobs.compile.resolve import UnresolvedUpstream, parsed_mapping, resolve_table
from model_jobs.compile.sql import remap_tables, render
from model_jobs.errors import ModelSqlError
from model_jobs.identifiers import TableName

SQL = """
WITH recent AS (SELECT * FROM DATALAKE_DEV.RAW.ORDERS WHERE STATUS <> 'CANCELLED')
SELECT r.ORDER_ID, c.NAME
FROM recent AS r
JOIN DATALAKE_DEV.CRM.CUSTOMERS AS c ON c.CUSTOMER_ID = r.CUSTOMER_ID
"""


def compile_with(sql: str, mapping: dict[str, str], design_targets=None, env_targets=None, model="m") -> str:
    parsed = parse_model_sql(sql)
    reads = {
        table: resolve_table(table, parsed_mapping(mapping), design_targets or {}, env_targets or {}, model).actual
        for table in parsed.tables
    }
    return render(remap_tables(parsed, reads))


def expected(orders: str, customers: str) -> str:
    return (
        "WITH recent AS (\n"
        "  SELECT\n    *\n"
        f"  FROM {orders}\n"
        "  WHERE\n    STATUS <> 'CANCELLED'\n"
        ")\n"
        "SELECT\n  r.ORDER_ID,\n  c.NAME\n"
        "FROM recent AS r\n"
        f"JOIN {customers} AS c\n"
        "  ON c.CUSTOMER_ID = r.CUSTOMER_ID"
    )


def test_tables_found_and_ctes_ignored():
    parsed = parse_model_sql(SQL)
    assert parsed.tables == (
        TableName("DATALAKE_DEV", "CRM", "CUSTOMERS"),
        TableName("DATALAKE_DEV", "RAW", "ORDERS"),
    )


def test_no_mapping_quotes_the_tables_as_written():
    assert compile_with(SQL, {}) == expected('"DATALAKE_DEV"."RAW"."ORDERS"', '"DATALAKE_DEV"."CRM"."CUSTOMERS"')


def test_database_level_mapping():
    assert compile_with(SQL, {"DATALAKE_DEV": "DATALAKE_PRD"}) == expected(
        '"DATALAKE_PRD"."RAW"."ORDERS"', '"DATALAKE_PRD"."CRM"."CUSTOMERS"'
    )


def test_schema_level_mapping_touches_only_that_schema():
    assert compile_with(SQL, {"DATALAKE_DEV.RAW": "DATALAKE_DEV.SAMPLE"}) == expected(
        '"DATALAKE_DEV"."SAMPLE"."ORDERS"', '"DATALAKE_DEV"."CRM"."CUSTOMERS"'
    )


def test_table_level_mapping_wins_over_database_level():
    mapping = {"DATALAKE_DEV": "DATALAKE_PRD", "DATALAKE_DEV.CRM.CUSTOMERS": "CRM_PRD.EXPORT.CLIENTS"}
    assert compile_with(SQL, mapping) == expected('"DATALAKE_PRD"."RAW"."ORDERS"', '"CRM_PRD"."EXPORT"."CLIENTS"')


def test_lower_case_and_quoted_references_are_recognised():
    sql = 'SELECT * FROM datalake_dev.raw.orders AS o JOIN "DATALAKE_DEV"."RAW"."ORDER_ITEMS" AS i ON TRUE'
    assert compile_with(sql, {"DATALAKE_DEV": "DATALAKE_PRD"}) == (
        'SELECT\n  *\nFROM "DATALAKE_PRD"."RAW"."ORDERS" AS o\nJOIN "DATALAKE_PRD"."RAW"."ORDER_ITEMS" AS i\n  ON TRUE'
    )


def test_cte_named_like_a_mapped_table_is_left_alone():
    sql = "WITH ORDERS AS (SELECT 1 AS X FROM DATALAKE_DEV.RAW.ORDERS) SELECT X FROM ORDERS"
    assert compile_with(sql, {"DATALAKE_DEV": "DATALAKE_PRD"}) == (
        'WITH ORDERS AS (\n  SELECT\n    1 AS X\n  FROM "DATALAKE_PRD"."RAW"."ORDERS"\n)\nSELECT\n  X\nFROM ORDERS'
    )


def test_subqueries_and_unions_are_remapped():
    sql = (
        "SELECT ID FROM DATALAKE_DEV.RAW.A WHERE ID IN (SELECT ID FROM DATALAKE_DEV.RAW.B) "
        "UNION ALL SELECT ID FROM DATALAKE_DEV.RAW.C"
    )
    out = compile_with(sql, {"DATALAKE_DEV": "DATALAKE_PRD"})
    assert out == (
        'SELECT\n  ID\nFROM "DATALAKE_PRD"."RAW"."A"\nWHERE\n  ID IN (\n    SELECT\n      ID\n'
        '    FROM "DATALAKE_PRD"."RAW"."B"\n  )\nUNION ALL\nSELECT\n  ID\nFROM "DATALAKE_PRD"."RAW"."C"'
    )


def test_upstream_model_reference_follows_the_environment():
    design_targets = {TableName("ANALYTICS_DEV", "MARTS", "ORDERS_ENRICHED"): "orders_enriched"}
    env_targets = {"orders_enriched": TableName("ANALYTICS_PRD", "MARTS", "ORDERS_ENRICHED")}
    sql = "SELECT CUSTOMER_ID FROM ANALYTICS_DEV.MARTS.ORDERS_ENRICHED"
    assert compile_with(sql, {}, design_targets, env_targets, model="customer_ltv") == (
        'SELECT\n  CUSTOMER_ID\nFROM "ANALYTICS_PRD"."MARTS"."ORDERS_ENRICHED"'
    )
    # An explicit table mapping wins over following the upstream model.
    assert (
        compile_with(
            sql,
            {"ANALYTICS_DEV.MARTS.ORDERS_ENRICHED": "SHARED.MARTS.ORDERS"},
            design_targets,
            env_targets,
            model="customer_ltv",
        )
        == 'SELECT\n  CUSTOMER_ID\nFROM "SHARED"."MARTS"."ORDERS"'
    )
    # Without a job of the upstream model in the environment, resolution refuses to guess.
    with pytest.raises(UnresolvedUpstream):
        compile_with(sql, {}, design_targets, {}, model="customer_ltv")


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM ORDERS", "must be fully qualified"),
        ("SELECT * FROM RAW.ORDERS", "must be fully qualified"),
        ("SELECT 1; SELECT 2", "exactly one SELECT statement, found 2"),
        ("DELETE FROM A.B.C", "must be a SELECT query, found DELETE"),
        ("SELECT FROM WHERE (", "does not parse"),
    ],
)
def test_bad_model_sql(sql, message):
    with pytest.raises(ModelSqlError, match=message):
        parse_model_sql(sql)

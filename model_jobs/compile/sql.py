"""Generate the SQL a Model Job runs. Pure: string in, string out.

Every table name that comes from a spec is emitted as a quoted identifier built by sqlglot, and
the only literal (the table comment) is escaped by sqlglot too: no spec value is pasted raw.
"""

from __future__ import annotations

import json

from sqlglot import exp

from model_jobs.compile.references import DIALECT, ParsedSql, table_name_of, table_nodes
from model_jobs.identifiers import TableName


def remap_tables(parsed: ParsedSql, reads: dict[TableName, TableName]) -> exp.Expr:
    """A copy of the model query with every referenced table replaced by the location read."""
    expression = parsed.expression.copy()
    for node in table_nodes(expression):
        name = table_name_of(node)
        actual = reads[name] if name is not None else None
        if actual is None:
            continue
        node.set("catalog", exp.to_identifier(actual.database, quoted=True))
        node.set("db", exp.to_identifier(actual.schema, quoted=True))
        node.set("this", exp.to_identifier(actual.table, quoted=True))
    return expression


def render(expression: exp.Expr) -> str:
    return expression.sql(dialect=DIALECT, pretty=True)


def table_comment(model: str, environment: str, tag: str, sha256: str) -> str:
    return json.dumps(
        {"model_jobs": {"model": model, "environment": environment, "tag": tag, "sql_sha256": sha256}},
        sort_keys=True,
    )


def create_or_replace_table_as(target: TableName, query: exp.Expr, comment: str) -> str:
    """One CREATE OR REPLACE TABLE .. AS statement: Snowflake swaps the table in atomically,
    so a failing query leaves the previous contents in place."""
    create = exp.Create(
        this=target.to_sqlglot(),
        kind="TABLE",
        replace=True,
        expression=query.copy(),
        properties=exp.Properties(expressions=[exp.SchemaCommentProperty(this=exp.Literal.string(comment))]),
    )
    return render(create)


def create_database_if_not_exists(database: str) -> str:
    return exp.Create(this=exp.to_identifier(database, quoted=True), kind="DATABASE", exists=True).sql(
        dialect=DIALECT
    )


def create_schema_if_not_exists(database: str, schema: str) -> str:
    name = exp.Table(this=exp.to_identifier(schema, quoted=True), db=exp.to_identifier(database, quoted=True))
    return exp.Create(this=name, kind="SCHEMA", exists=True).sql(dialect=DIALECT)


def count_rows(table: TableName) -> str:
    return exp.select(exp.Count(this=exp.Star())).from_(table.to_sqlglot()).sql(dialect=DIALECT)


_TABLES_COLUMNS_SQL = (
    "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM {database}.INFORMATION_SCHEMA.COLUMNS "
    "WHERE TABLE_SCHEMA = %(schema)s AND TABLE_NAME IN (%(first)s, %(second)s) ORDER BY ORDINAL_POSITION"
)


def columns_of_two_query(first: TableName, second: TableName) -> tuple[str, dict[str, str]]:
    """Columns of two tables of one schema in one statement."""
    assert (first.database, first.schema) == (second.database, second.schema)
    database = exp.to_identifier(first.database, quoted=True).sql(dialect=DIALECT)
    return (_TABLES_COLUMNS_SQL.format(database=database),
            {"schema": first.schema, "first": first.table, "second": second.table})


_COLUMNS_SQL = (
    "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM {database}.INFORMATION_SCHEMA.COLUMNS "
    "WHERE TABLE_SCHEMA = %(schema)s AND TABLE_NAME = %(table)s ORDER BY ORDINAL_POSITION"
)


def columns_query(table: TableName) -> tuple[str, dict[str, str]]:
    """Columns of one table: the database is a quoted identifier, schema and table are bound."""
    database = exp.to_identifier(table.database, quoted=True).sql(dialect=DIALECT)
    return _COLUMNS_SQL.format(database=database), {"schema": table.schema, "table": table.table}

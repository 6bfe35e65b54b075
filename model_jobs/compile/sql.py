"""Generate the SQL a Model Job runs. Pure: string in, string out.

Every table name that comes from a spec is emitted as a quoted identifier built by sqlglot, and
the only literal (the table comment) is escaped by sqlglot too: no spec value is pasted raw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlglot import exp

from model_jobs.compile.references import ParsedSql, table_name_of, table_nodes
from model_jobs.errors import ModelSqlError
from model_jobs.identifiers import DIALECT, TableName, ident


def remap_tables(parsed: ParsedSql, reads: dict[TableName, TableName]) -> exp.Expr:
    """A copy of the model query with every referenced table replaced by the location read."""
    expression = parsed.expression.copy()
    for node in table_nodes(expression):
        name = table_name_of(node)
        actual = reads.get(name) if name is not None else None
        if actual is None:  # parse_model_sql lets no such table through: never run one unmapped
            raise ModelSqlError(f"no location for table {node.sql(dialect=DIALECT)!r}: the SQL was not checked")
        node.set("catalog", ident(actual.database))
        node.set("db", ident(actual.schema))
        node.set("this", ident(actual.table))
    return expression


def render(expression: exp.Expr) -> str:
    return expression.sql(dialect=DIALECT, pretty=True)


def table_comment(model: str, environment: str, tag: str, sha256: str) -> str:
    """What every target says about the SQL that built it (read back by `built_by`)."""
    return json.dumps(
        {"model_jobs": {"model": model, "environment": environment, "tag": tag, "sql_sha256": sha256}},
        sort_keys=True,
    )


@dataclass(frozen=True)
class BuiltBy:
    tag: str
    sha256: str


def built_by(comment: object) -> BuiltBy | None:
    """The tag and SQL sha256 a target's comment records; None when it records none (a table made
    by something else, or a comment edited by hand)."""
    if not isinstance(comment, str):
        return None
    try:
        recorded = json.loads(comment)["model_jobs"]
        tag, sha256 = recorded["tag"], recorded["sql_sha256"]
    except (ValueError, TypeError, KeyError):
        return None
    return BuiltBy(tag, sha256) if isinstance(tag, str) and isinstance(sha256, str) else None


def set_table_comment(table: TableName, comment: str) -> str:
    return render(
        exp.Alter(
            this=table.to_sqlglot(),
            kind="TABLE",
            actions=[exp.AlterSet(expressions=[exp.SchemaCommentProperty(this=exp.Literal.string(comment))])],
        )
    )


def tables_of_schema(table: TableName, value: exp.Expr, name_condition: exp.Expr) -> exp.Subquery:
    """A scalar subquery of `value` over the INFORMATION_SCHEMA.TABLES rows of `table`'s schema
    whose names meet `name_condition`. The schema name is a validated identifier, compared as a
    string literal sqlglot escapes."""
    tables = exp.Table(
        this=exp.to_identifier("TABLES"), db=exp.to_identifier("INFORMATION_SCHEMA"), catalog=ident(table.database)
    )
    condition = exp.and_(
        exp.EQ(this=exp.column("TABLE_SCHEMA"), expression=exp.Literal.string(table.schema)), name_condition
    )
    return exp.select(value).from_(tables).where(condition).subquery()


def table_comment_of(table: TableName) -> exp.Subquery:
    """The table's comment, read in the statement that needs it."""
    same_name = exp.EQ(this=exp.column("TABLE_NAME"), expression=exp.Literal.string(table.table))
    return tables_of_schema(table, exp.column("COMMENT"), same_name)


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
    return exp.Create(this=ident(database), kind="DATABASE", exists=True).sql(dialect=DIALECT)


def create_schema_if_not_exists(database: str, schema: str) -> str:
    name = exp.Table(this=ident(schema), db=ident(database))
    return exp.Create(this=name, kind="SCHEMA", exists=True).sql(dialect=DIALECT)


def count_rows(table: TableName) -> str:
    return exp.select(exp.Count(this=exp.Star())).from_(table.to_sqlglot()).sql(dialect=DIALECT)


def probe(marker: str, relations: list[exp.Expr], state: exp.Select | None = None) -> str:
    """One statement whose result description lists the columns of every relation (a table or a
    query), each section opened by a column named `marker`, after the columns of `state`, a
    one-row aggregate whose values are the statement's one row.

    Each relation is joined as `SELECT * .. LIMIT 0`: Snowflake answers that from metadata when
    it compiles the statement, so a run learns the columns of its sources, of the model's output
    and of its target, and the target's state, in one round trip instead of an INFORMATION_SCHEMA
    scan per table. A relation that does not exist fails the whole statement; the caller then
    finds out which one from INFORMATION_SCHEMA."""
    first = state if state is not None else exp.select(exp.alias_(exp.Literal.number(1), ident("ONE")))
    select = exp.select(exp.Column(this=exp.Star(), table=ident("S"))).from_(first.subquery(ident("S")))
    for index, relation in enumerate(relations):
        alias = ident(f"C{index}")
        rows = relation.copy().subquery(ident("R")) if isinstance(relation, exp.Query) else relation.copy()
        empty = exp.select("*").from_(rows).limit(0)
        select = select.select(exp.alias_(exp.Null(), ident(marker)), exp.Column(this=exp.Star(), table=alias))
        select = select.join(empty.subquery(alias), join_type="LEFT", on=exp.true())
    return select.sql(dialect=DIALECT)


def columns_of_tables_query(tables: list[TableName]) -> tuple[str, dict[str, str]]:
    """Columns of any tables in one statement: one INFORMATION_SCHEMA read per database, joined
    with UNION ALL. Database names are quoted identifiers; schema and table names are bound."""
    params: dict[str, str] = {}
    parts = []
    by_database: dict[str, list[TableName]] = {}
    for table in tables:
        by_database.setdefault(table.database, []).append(table)
    for d, (database, members) in enumerate(by_database.items()):
        params[f"d{d}"] = database
        matches = []
        for t, table in enumerate(members):
            params[f"s{d}_{t}"], params[f"t{d}_{t}"] = table.schema, table.table
            matches.append(f"(TABLE_SCHEMA = %(s{d}_{t})s AND TABLE_NAME = %(t{d}_{t})s)")
        parts.append(
            f"SELECT %(d{d})s AS TABLE_DATABASE, TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, ORDINAL_POSITION "
            f"FROM {ident(database).sql(dialect=DIALECT)}.INFORMATION_SCHEMA.COLUMNS WHERE {' OR '.join(matches)}"
        )
    return " UNION ALL ".join(parts) + " ORDER BY 1, 2, 3, 6", params

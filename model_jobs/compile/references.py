"""Find the tables a model's SQL reads (sqlglot, Snowflake dialect). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from model_jobs.errors import ModelSqlError
from model_jobs.identifiers import DIALECT, TableName


def _canonical(identifier: exp.Identifier | None) -> str:
    # Unquoted names resolve upper-case in Snowflake; quoted ones keep their spelling.
    if identifier is None:
        return ""
    return identifier.name if identifier.quoted else identifier.name.upper()


def is_table_reference(table: exp.Table, cte_names: set[str]) -> bool:
    """A real table, not a CTE, table function or other FROM item that only looks like one."""
    if not isinstance(table.this, exp.Identifier):
        return False
    return bool(table.args.get("db")) or _canonical(table.this) not in cte_names


def table_nodes(expression: exp.Expr) -> list[exp.Table]:
    cte_names = {_canonical(cte.args["alias"].this) for cte in expression.find_all(exp.CTE)}
    return [t for t in expression.find_all(exp.Table) if is_table_reference(t, cte_names)]


def table_name_of(node: exp.Table) -> TableName | None:
    parts = [node.args.get("catalog"), node.args.get("db"), node.this]
    if any(p is None or not isinstance(p, exp.Identifier) for p in parts):
        return None
    return TableName(*(_canonical(p) for p in parts))


@dataclass(frozen=True)
class ParsedSql:
    """A model query and the tables it reads. The syntax tree is only needed to run a job, not to
    load a code location, so when the tables come from the cache the SQL is parsed on first use."""

    sql: str
    tables: tuple[TableName, ...]  # distinct, sorted
    _expression: exp.Expr | None = field(default=None, repr=False, compare=False)

    @cached_property
    def expression(self) -> exp.Expr:
        return self._expression if self._expression is not None else _parse_query(self.sql)


def _parse_query(sql: str) -> exp.Expr:
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        description = first.get("description", str(exc))
        if "Required keyword" in description:  # sqlglot's wording for an incomplete clause
            description = "incomplete expression"
        # sqlglot prints tokens as their Python repr; the text is what the author wrote.
        description = re.sub(r"<Token token_type: [^,]+, text: ([^,]*),[^>]*>", r"'\1'", description)
        near = (first.get("highlight") or "").strip()
        where = f" near {near!r}" if near else ""
        column = f" (column {first['col']})" if first.get("col") else ""
        raise ModelSqlError(f"SQL does not parse: {description}{where}{column}", first.get("line")) from exc
    if len(statements) != 1:
        raise ModelSqlError(f"SQL must be exactly one SELECT statement, found {len(statements)} statements")
    expression = statements[0]
    if not isinstance(expression, exp.Query):
        raise ModelSqlError(f"SQL must be a SELECT query, found {expression.key.upper()}")
    return expression


def parse_model_sql(sql: str) -> ParsedSql:
    """Parse one SELECT; every table it reads must be fully qualified so it can be remapped."""
    expression = _parse_query(sql)
    tables: list[TableName] = []
    for node in table_nodes(expression):
        name = table_name_of(node)
        if name is None:
            raise ModelSqlError(
                f"table reference {node.sql(dialect=DIALECT)!r} must be fully qualified as "
                "DATABASE.SCHEMA.TABLE so each environment can map it"
            )
        if name not in tables:
            tables.append(name)
    return ParsedSql(sql, tuple(sorted(tables)), expression)

"""Find the tables a model's SQL reads (sqlglot, Snowflake dialect). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.scope import Scope, traverse_scope

from model_jobs.errors import ModelSqlError
from model_jobs.identifiers import DIALECT, IDENTIFIER_RULE, TableName, normalize_identifier_or_none


def _canonical(identifier: exp.Identifier | None) -> str:
    # Unquoted names resolve upper-case in Snowflake; quoted ones keep their spelling.
    if identifier is None:
        return ""
    return identifier.name if identifier.quoted else identifier.name.upper()


def _cte_names(scope: Scope) -> set[str]:
    """Canonical names of the CTEs visible in `scope` (its own and its parents')."""
    names = set()
    for cte_scope in scope.cte_sources.values():
        body = cte_scope.expression
        while isinstance(body.parent, exp.SetOperation):  # a recursive CTE is known by its anchor
            body = body.parent
        cte = body.parent
        if isinstance(cte, exp.CTE) and isinstance(cte.args.get("alias"), exp.TableAlias):
            names.add(_canonical(cte.args["alias"].this))
    return names


def table_nodes(expression: exp.Expr) -> list[exp.Table]:
    """Every FROM or JOIN item that names a table: every `exp.Table` except references to a CTE
    in scope, by SQL's scoping rules (a CTE of one branch is not visible in another). A table
    node the scoping does not account for counts as a table, so nothing escapes the checks."""
    cte_references: set[int] = set()
    for scope in traverse_scope(expression):
        visible = _cte_names(scope)
        for table in scope.tables:
            named = not table.args.get("db") and isinstance(table.this, exp.Identifier)
            if named and _canonical(table.this) in visible:
                cte_references.add(id(table))
    return [t for t in expression.find_all(exp.Table) if id(t) not in cte_references]


def table_name_of(node: exp.Table) -> TableName | None:
    parts = [node.args.get("catalog"), node.args.get("db"), node.this]
    if any(p is None or not isinstance(p, exp.Identifier) for p in parts):
        return None
    return TableName(*(_canonical(p) for p in parts))


# Row sources in FROM that read no table: FLATTEN (sqlglot's Explode), GENERATOR, SPLIT_TO_TABLE,
# UNNEST and VALUES. Any other table function (RESULT_SCAN, QUERY_HISTORY, a UDTF, ...) could
# read data no mapping or source check sees, so it is refused.
_ROW_GENERATORS = (exp.Explode, exp.Generator, exp.SplitToTable, exp.Unnest, exp.Values)


_TOO_DEEP = "SQL nests too deeply to be analysed (parentheses or subqueries thousands of levels deep)"


def _line(node: exp.Expr, sql: str) -> int | None:
    """The line of `node` in `sql`: from sqlglot's token positions, else (a stage name carries
    none) the first line holding the node's first word as written."""
    line = next((n.meta["line"] for n in node.walk() if "line" in n.meta), None)
    if line is None:
        word = node.sql(dialect=DIALECT).split("(")[0].split()[0].upper()
        line = next((i for i, text in enumerate(sql.splitlines(), 1) if word in text.upper()), None)
    return line


def _refused(node: exp.Expr, what: str, sql: str) -> ModelSqlError:
    text = node.sql(dialect=DIALECT)
    text = text if len(text) <= 80 else text[:77] + "..."
    return ModelSqlError(
        f"{what} {text!r}: a model reads tables only by their name, DATABASE.SCHEMA.TABLE, so that "
        "every environment can map them and their columns can be checked",
        _line(node, sql),
    )


def _check_table(node: exp.Table, sql: str) -> TableName:
    """The table a FROM/JOIN item reads, or the reason it cannot be used."""
    if isinstance(node.this, exp.DynamicIdentifier):
        raise _refused(node, "IDENTIFIER() names its table at run time:", sql)
    if isinstance(node.this, exp.Var) and node.this.name.startswith("@"):
        raise _refused(node, "a stage is not a table:", sql)
    if not isinstance(node.this, exp.Identifier):
        raise _refused(node, "table function", sql)
    name = table_name_of(node)
    if name is None:
        raise ModelSqlError(
            f"table reference {node.sql(dialect=DIALECT)!r} must be fully qualified as "
            "DATABASE.SCHEMA.TABLE so each environment can map it",
            _line(node, sql),
        )
    if any(normalize_identifier_or_none(part) != part for part in name.parts):
        raise ModelSqlError(
            f"table reference {node.sql(dialect=DIALECT)!r} uses a quoted name the specs cannot name "
            f"(source_mapping, sources.yaml): use {IDENTIFIER_RULE}, upper case when quoted",
            _line(node, sql),
        )
    return name


def _check_row_sources(expression: exp.Expr, sql: str) -> None:
    for node in expression.find_all(exp.TableFromRows, exp.Lateral):
        if not isinstance(node.this, _ROW_GENERATORS):
            raise _refused(node, "table function", sql)


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
    except RecursionError:
        raise ModelSqlError(_TOO_DEEP) from None
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
    """Parse one SELECT and find every table it reads. Each must be named in full, so it can be
    remapped; anything else that could bring rows in (IDENTIFIER(), stages, table functions other
    than FLATTEN and the like) is refused, naming the construct and its line."""
    expression = _parse_query(sql)
    try:
        nodes = table_nodes(expression)
    except RecursionError:
        raise ModelSqlError(_TOO_DEEP) from None
    except OptimizeError as exc:
        raise ModelSqlError(f"cannot tell which tables the SQL reads: {exc}") from exc
    tables: list[TableName] = []
    for node in nodes:
        name = _check_table(node, sql)
        if name not in tables:
            tables.append(name)
    _check_row_sources(expression, sql)
    return ParsedSql(sql, tuple(sorted(tables)), expression)

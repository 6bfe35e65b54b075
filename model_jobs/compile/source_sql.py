"""SQL that measures sources and runs their data-quality checks. Pure: statements are built as
syntax trees from validated identifiers and sqlglot literals, and tested by string equality.

- `freshness_statement`: the newest load (as epoch seconds) and row count of many tables in one
  UNION ALL: one statement per environment per evaluation, however many sources.
- `last_altered_statement`: Snowflake's LAST_ALTERED of many tables of one database, in one query.
- `check_statement`: every check of one source in one location, one COUNT_IF per check.
- `sample_statement`: up to a few failing rows of one check, read only when it failed.

Nothing here uses bound parameters except `last_altered_statement`: a check's own SQL may
contain '%' (LIKE patterns), which the connector's client-side binding would misread. Values
from specs enter those statements only as sqlglot literals (quoted and escaped by sqlglot).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from model_jobs.identifiers import DIALECT, TableName, ident
from model_jobs.specs.models import TABLE_PLACEHOLDER, CheckSpec

SAMPLE_ROWS = 5
# What `{table}` becomes while a sql check is parsed; replaced by the real location when bound.
_CHECKED_TABLE = "MODEL_JOBS_CHECKED_TABLE"
_ROWS = "ROWS"


class CheckSqlError(ValueError):
    """A check's expression or SQL that cannot be used, with what is allowed."""


def parse_expression(text: str) -> exp.Expr:
    """A row condition of an `expression:` check: one SQL expression, no query inside."""
    if not text.strip():
        raise CheckSqlError("is empty; write a condition, e.g. AMOUNT >= 0")
    try:
        tree = sqlglot.parse_one(text, dialect=DIALECT, into=exp.Condition)
    except (ParseError, ValueError) as exc:
        raise CheckSqlError(f"is not one SQL condition{_where(exc)}; write e.g. AMOUNT >= 0") from exc
    if tree.find(exp.Query, exp.Subquery, exp.Placeholder, exp.Parameter):
        raise CheckSqlError("may not contain a query or a parameter: write a condition over the row's columns")
    return tree


def _where(exc: Exception) -> str:
    """What sqlglot found wrong, in the check's own terms: its description and line (columns are
    not given: they count the text after {table} was replaced)."""
    errors = getattr(exc, "errors", None) or []
    if not errors or not errors[0].get("description"):
        return ""
    first = errors[0]
    description = re.sub(r" for <class '[^']*'>", "", str(first["description"]))
    return f" ({description}, line {first['line']})" if first.get("line") else f" ({description})"


def expression_columns(tree: exp.Expr) -> set[str]:
    """The columns an expression names, spelled as Snowflake resolves them (unquoted: upper case)."""
    return {c.name if c.this.quoted else c.name.upper() for c in tree.find_all(exp.Column)}


def parse_sql_check(text: str) -> exp.Query:
    """A `sql:` check: one SELECT returning the failing rows, reading the source as {table}."""
    if TABLE_PLACEHOLDER not in text:
        raise CheckSqlError(f"must read the source as {TABLE_PLACEHOLDER}, e.g. SELECT * FROM {{table}} WHERE ...")
    rest = text.replace(TABLE_PLACEHOLDER, _CHECKED_TABLE)
    if "{" in rest:
        raise CheckSqlError(f"{TABLE_PLACEHOLDER} is the only substitution; remove other {{...}}")
    try:
        statements = [s for s in sqlglot.parse(rest, dialect=DIALECT) if s]
    except ParseError as exc:
        raise CheckSqlError(f"is not valid SQL{_where(exc) or ''}") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise CheckSqlError("must be exactly one SELECT (returning the failing rows)")
    tree = statements[0]
    if tree.find(exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop):
        raise CheckSqlError("must be exactly one SELECT (returning the failing rows)")
    if tree.find(exp.Placeholder, exp.Parameter):
        raise CheckSqlError(f"may not contain parameters: {TABLE_PLACEHOLDER} is the only substitution")
    if not any(_is_checked_table(t) for t in tree.find_all(exp.Table)):
        raise CheckSqlError(f"must read the source as {TABLE_PLACEHOLDER} in a FROM or JOIN")
    return tree


def _is_checked_table(table: exp.Table) -> bool:
    return not table.args.get("db") and table.name.upper() == _CHECKED_TABLE


def bind_table(tree: exp.Query, location: TableName) -> exp.Query:
    """The sql check with {table} replaced by `location`, as a quoted identifier. `{table}.COLUMN`
    keeps working: the location is then aliased by the name the columns are qualified with. A
    `{table}` inside a string literal stays as written: nothing else is substituted."""
    qualified = any(c.table.upper() == _CHECKED_TABLE for c in tree.find_all(exp.Column))

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and _is_checked_table(node):
            alias = node.args.get("alias")
            table = location.to_sqlglot()
            if alias is not None:
                table.set("alias", alias.copy())
            elif qualified:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(_CHECKED_TABLE)))
            return table
        if isinstance(node, exp.Literal) and node.is_string and _CHECKED_TABLE in node.this:
            return exp.Literal.string(node.this.replace(_CHECKED_TABLE, TABLE_PLACEHOLDER))
        return node

    bound = tree.copy().transform(replace)
    assert isinstance(bound, exp.Query)
    return bound


@dataclass(frozen=True)
class ParsedCheck:
    """A check with its SQL parsed once (expression and sql checks), ready for any location."""

    spec: CheckSpec
    tree: exp.Expr | None = None

    @property
    def name(self) -> str:
        return self.spec.check_name

    @property
    def counts_rows(self) -> bool:
        """Whether the check counts failing rows (all but row_count, which bounds the total)."""
        return self.spec.row_count is None


def parse_check(spec: CheckSpec) -> ParsedCheck:
    if spec.expression is not None:
        return ParsedCheck(spec, parse_expression(spec.expression))
    if spec.sql is not None:
        return ParsedCheck(spec, parse_sql_check(spec.sql))
    return ParsedCheck(spec)


def _column(name: str) -> exp.Column:
    return exp.column(ident(name))


def _unique_alias(index: int) -> str:
    return f"MODEL_JOBS_UNIQUE_{index}"


def _failing(check: ParsedCheck, index: int, location: TableName) -> exp.Expr:
    """The condition a failing row meets (for all checks that count rows)."""
    spec = check.spec
    if spec.not_null is not None:
        return exp.or_(*(exp.Is(this=_column(c), expression=exp.null()) for c in spec.not_null))
    if spec.unique is not None:
        return exp.and_(
            exp.GT(this=_column(_unique_alias(index)), expression=exp.Literal.number(1)),
            *(exp.not_(exp.Is(this=_column(c), expression=exp.null())) for c in spec.unique),
        )
    if spec.accepted_values is not None:
        column = _column(spec.accepted_values.column)
        values = [_literal(v) for v in spec.accepted_values.values]
        return exp.and_(
            exp.not_(exp.Is(this=column, expression=exp.null())),
            exp.not_(exp.In(this=column.copy(), expressions=values)),
        )
    if spec.expression is not None:
        assert check.tree is not None
        return exp.not_(exp.Paren(this=check.tree.copy()))
    raise ValueError(f"check {check.name} does not count rows by a condition")


def _literal(value: str | int | float) -> exp.Expr:
    return exp.Literal.number(value) if isinstance(value, (int, float)) else exp.Literal.string(value)


def _count_all() -> exp.Expr:
    return exp.Count(this=exp.Star())


def _checked_rows(location: TableName, checks: Sequence[ParsedCheck]) -> exp.Expr:
    """The location, with a per-key row count next to each row for every unique check."""
    windows = [
        exp.alias_(
            exp.Window(this=_count_all(), partition_by=[_column(c) for c in check.spec.unique]),
            ident(_unique_alias(i)),
        )
        for i, check in enumerate(checks)
        if check.spec.unique is not None
    ]
    if not windows:
        return location.to_sqlglot()
    return exp.select(exp.Star(), *windows).from_(location.to_sqlglot()).subquery()


def check_statement(location: TableName, checks: Sequence[ParsedCheck]) -> str:
    """One statement: the location's row count, then for each check (in order) its failing rows."""
    columns: list[exp.Expr] = [exp.alias_(_count_all(), ident(_ROWS))]
    for i, check in enumerate(checks):
        failing: exp.Expr
        if check.spec.sql is not None:
            assert isinstance(check.tree, exp.Query)
            failing = exp.select(_count_all()).from_(bind_table(check.tree, location).subquery()).subquery()
        elif check.spec.row_count is not None:
            failing = exp.null()  # compared with the row count instead
        else:
            failing = exp.func("COUNT_IF", _failing(check, i, location))
        columns.append(exp.alias_(failing, ident(f"CHECK_{i}")))
    return exp.select(*columns).from_(_checked_rows(location, checks)).sql(dialect=DIALECT)


def sample_statement(location: TableName, check: ParsedCheck, limit: int = SAMPLE_ROWS) -> str:
    """Up to `limit` rows that fail one check (not row_count: there is no failing row to show)."""
    spec = check.spec
    if spec.sql is not None:
        assert isinstance(check.tree, exp.Query)
        query: exp.Select = exp.select(exp.Star()).from_(bind_table(check.tree, location).subquery())
    elif spec.unique is not None:
        window = exp.Window(this=_count_all(), partition_by=[_column(c) for c in spec.unique])
        keys = [exp.not_(exp.Is(this=_column(c), expression=exp.null())) for c in spec.unique]
        query = (
            exp.select(exp.Star())
            .from_(location.to_sqlglot())
            .qualify(exp.and_(exp.GT(this=window, expression=exp.Literal.number(1)), *keys))
            .order_by(*[_column(c) for c in spec.unique])
        )
    else:
        query = exp.select(exp.Star()).from_(location.to_sqlglot()).where(_failing(check, -1, location))
    return query.limit(limit).sql(dialect=DIALECT)


@dataclass(frozen=True)
class Measured:
    """One table to measure: where it is, and the column saying when rows were loaded (if any)."""

    location: TableName
    loaded_at: str | None


def freshness_statement(tables: Sequence[Measured]) -> str:
    """Row i of the result is (i, newest loaded_at as epoch seconds or NULL, row count) of
    tables[i]: one statement for all of them. Epoch seconds, so every row has the same type
    whatever the column's (TIMESTAMP_NTZ read as UTC, _TZ/_LTZ as the instant, DATE as midnight)."""
    if not tables:
        raise ValueError("nothing to measure")
    selects = []
    for i, table in enumerate(tables):
        newest: exp.Expr = (
            exp.Extract(this=exp.var("EPOCH_SECOND"), expression=exp.Max(this=_column(table.loaded_at)))
            if table.loaded_at
            else exp.null()
        )
        selects.append(
            exp.select(
                exp.alias_(exp.Literal.number(i), ident("SOURCE")),
                exp.alias_(newest, ident("LOADED_AT")),
                exp.alias_(_count_all(), ident(_ROWS)),
            ).from_(table.location.to_sqlglot())
        )
    query: exp.Query = selects[0]
    for select in selects[1:]:
        query = exp.union(query, select, distinct=False, copy=False)  # copying is quadratic in tables
    return query.sql(dialect=DIALECT)


def last_altered_statement(database: str, tables: Sequence[TableName]) -> tuple[str, dict[str, str]]:
    """LAST_ALTERED and ROW_COUNT of tables of one database, from its INFORMATION_SCHEMA: one
    query, names bound as parameters."""
    if not tables or any(t.database != database for t in tables):
        raise ValueError(f"tables of database {database} only")
    params: dict[str, str] = {}
    matches = []
    for i, table in enumerate(tables):
        params[f"s{i}"], params[f"t{i}"] = table.schema, table.table
        matches.append(f'("TABLE_SCHEMA" = %(s{i})s AND "TABLE_NAME" = %(t{i})s)')
    info = exp.Table(this=ident("TABLES"), db=ident("INFORMATION_SCHEMA"), catalog=ident(database)).sql(dialect=DIALECT)
    sql = (
        'SELECT "TABLE_SCHEMA", "TABLE_NAME", DATE_PART(EPOCH_SECOND, "LAST_ALTERED") AS "LAST_ALTERED", '
        f'"ROW_COUNT" FROM {info} WHERE ' + " OR ".join(matches)
    )
    return sql, params

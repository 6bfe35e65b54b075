"""Column-level lineage of a model query: for each output column, the table columns its value is
computed from. Pure: a syntax tree and the known columns of the tables it reads in, plain records out.

The query is qualified by sqlglot (Snowflake dialect: unquoted names upper-case, quoted ones kept),
which expands `*` from the columns given and names each column's table; then every output column is
followed through CTEs, subqueries, UNION branches and joins down to the tables. A column's origins
are the columns its expression uses, window PARTITION BY / ORDER BY included; columns that only
filter, join or group rows (WHERE, ON, GROUP BY) are not origins. A column of literals has none.

Where the SQL does not say where a column comes from and the columns of the tables are not known
(an unqualified name over a join, `*` over a table whose columns are unknown), nothing is guessed:
the column is reported unresolved, with the reason, and keeps the origins that are certain.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

from model_jobs.compile.references import table_name_of
from model_jobs.identifiers import DIALECT, TableName


@dataclass(frozen=True, order=True)
class ColumnOrigin:
    """One column of a table the query reads, by the table's name in the SQL (design-time)."""

    table: TableName
    column: str


@dataclass(frozen=True)
class OutputColumn:
    name: str
    origins: tuple[ColumnOrigin, ...]  # sorted, distinct
    unresolved: str | None = None  # why some origins are unknown: `origins` are then only the certain ones


@dataclass(frozen=True)
class QueryLineage:
    columns: tuple[OutputColumn, ...]
    # Set when not every output column can even be named (`*` over a table whose columns are
    # unknown, or SQL sqlglot cannot qualify): `columns` then lists only the ones that can.
    unknown_columns: str | None = None

    @property
    def names(self) -> list[str] | None:
        """The output columns in order, or None when they are not all known."""
        return None if self.unknown_columns else [c.name for c in self.columns]

    def unresolved(self) -> dict[str, str]:
        """Column name -> why its origins are not (all) known; `*` for the columns that cannot be named."""
        found = {c.name: c.unresolved for c in self.columns if c.unresolved}
        return {**found, **({"*": self.unknown_columns} if self.unknown_columns else {})}

    def named(self, names: Sequence[str]) -> QueryLineage:
        """The same lineage under the column names the warehouse reports (in order), which are exact
        where the SQL leaves a column unnamed; unchanged when the two do not line up."""
        if self.unknown_columns or len(names) != len(self.columns):
            return self
        return QueryLineage(tuple(replace(c, name=n) for c, n in zip(self.columns, names, strict=True)))

    def to_json(self) -> str:
        columns = [[c.name, [[*o.table.parts, o.column] for o in c.origins], c.unresolved] for c in self.columns]
        return json.dumps({"columns": columns, "unknown_columns": self.unknown_columns})

    @classmethod
    def from_json(cls, text: str) -> QueryLineage:
        """The inverse of `to_json`. Raises ValueError, KeyError or TypeError on anything else."""
        data = json.loads(text)
        tables: dict[tuple[str, ...], TableName] = {}  # one object per table: loads read thousands

        def table(parts: list[str]) -> TableName:
            key = tuple(map(str, parts))
            if key not in tables:
                tables[key] = TableName(*key[:3])
            return tables[key]

        columns = tuple(
            OutputColumn(
                str(name),
                tuple(ColumnOrigin(table(o[:3]), str(o[3])) for o in origins),
                None if unresolved is None else str(unresolved),
            )
            for name, origins, unresolved in data["columns"]
        )
        unknown = data["unknown_columns"]
        return cls(columns, None if unknown is None else str(unknown))


@dataclass(frozen=True)
class _Found:
    origins: frozenset[ColumnOrigin] = frozenset()
    reasons: tuple[str, ...] = ()

    def __or__(self, other: _Found) -> _Found:
        return _Found(self.origins | other.origins, tuple(dict.fromkeys(self.reasons + other.reasons)))


def column_lineage(expression: exp.Expr, columns: Mapping[TableName, Sequence[str]]) -> QueryLineage:
    """The lineage of a model query. `columns`: the known columns of tables it reads, by the names
    the SQL uses (canonical spelling); a table not in it has unknown columns."""
    tree = expression.copy()
    _name_unnamed_outputs(tree)
    try:
        tree = normalize_identifiers(tree, dialect=DIALECT)
        schema = _schema(tree, columns)
        tree = qualify(
            tree,
            dialect=DIALECT,
            schema=MappingSchema({**schema}, dialect=DIALECT, normalize=False),
            validate_qualify_columns=False,
        )
        root = build_scope(tree)
    except (SqlglotError, RecursionError) as exc:  # OptimizeError and friends: say so, guess nothing
        return QueryLineage((), f"sqlglot cannot qualify the SQL: {exc}")
    if root is None:
        return QueryLineage((), "the SQL has no SELECT to analyse")
    return _Tracer().lineage(root)


def _name_unnamed_outputs(tree: exp.Expr) -> None:
    """Snowflake names an output column without an alias after its text (`UPPER(C.COUNTRY)`);
    sqlglot would call it `_COL_1`. Give it Snowflake's name first (quoted: kept as is)."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this  # the leftmost branch names the columns of a UNION
    if not isinstance(select, exp.Select):
        return
    for node in list(select.expressions):
        if not isinstance(node, (exp.Alias, exp.Column, exp.Star)):
            name = node.sql(dialect=DIALECT).upper()
            node.replace(exp.alias_(node.copy(), exp.to_identifier(name, quoted=True)))


_Schema = dict[str, dict[str, dict[str, dict[str, str]]]]  # database -> schema -> table -> column -> type


def _schema(tree: exp.Expr, known: Mapping[TableName, Sequence[str]]) -> _Schema:
    """The known columns as sqlglot's nested schema, plus every column the SQL names on a table
    with known columns: declared columns may be a subset (sources.yaml lists those models rely
    on), and a column the SQL names as `t.X` exists in `t` whenever the SQL runs."""
    named: dict[TableName, dict[str, None]] = {t: dict.fromkeys(cols) for t, cols in known.items()}
    for scope in _scopes(tree):
        for column in scope.columns:
            source = scope.sources.get(column.table) if column.table else None
            if isinstance(source, exp.Table):
                table = table_name_of(source)
                if table in named and column.name not in named[table]:
                    named[table][column.name] = None
    schema: _Schema = {}
    for table, cols in named.items():
        # The type does not matter for lineage; sqlglot only needs a valid one.
        schema.setdefault(table.database, {}).setdefault(table.schema, {})[table.table] = dict.fromkeys(cols, "VARIANT")
    return schema


def _scopes(tree: exp.Expr) -> Iterable[Scope]:
    root = build_scope(tree)
    return root.traverse() if root is not None else ()


def _leftmost(scope: Scope) -> Scope:
    while scope.set_operation_scopes:
        scope = scope.set_operation_scopes[0]
    return scope


def _selects(scope: Scope) -> list[exp.Expr]:
    return list(scope.expression.selects) if isinstance(scope.expression, exp.Query) else []


def _is_star(node: exp.Expr) -> bool:
    return isinstance(node, exp.Star) or (isinstance(node, exp.Column) and isinstance(node.this, exp.Star))


@dataclass
class _Tracer:
    _done: dict[tuple[int, int], _Found] = field(default_factory=dict)

    def lineage(self, root: Scope) -> QueryLineage:
        selects = _selects(_leftmost(root))
        columns, stars = [], []
        for index, node in enumerate(selects):
            if _is_star(node):
                stars.append(self._star_text(_leftmost(root), node))
                continue
            found = self.output(root, index)
            reason = "; ".join(found.reasons) or None
            columns.append(OutputColumn(node.alias_or_name, tuple(sorted(found.origins)), reason))
        unknown = f"`*` over {', '.join(stars)}: its columns are not known" if stars else None
        return QueryLineage(tuple(columns), unknown)

    def _star_text(self, scope: Scope, star: exp.Expr) -> str:
        names = [star.table] if isinstance(star, exp.Column) and star.table else list(scope.selected_sources)
        tables = []
        for name in names:
            source = scope.selected_sources.get(name, (None, None))[1]
            tables.append(str(table_name_of(source)) if isinstance(source, exp.Table) else name)
        return ", ".join(tables)

    def output(self, scope: Scope, index: int) -> _Found:
        """Where output column `index` of `scope` comes from."""
        # By query, not by scope: a recursive CTE's reference to itself is a scope of its own.
        key = (id(scope.expression), index)
        if key not in self._done:
            self._done[key] = _Found()  # a recursive CTE refers to itself: its own column adds nothing
            if scope.set_operation_scopes:
                found = _Found()
                for branch in scope.set_operation_scopes:
                    found |= self.output(branch, index)
            else:
                selects = _selects(scope)
                found = self.expression(scope, selects[index]) if index < len(selects) else _Found()
            self._done[key] = found
        return self._done[key]

    def expression(self, scope: Scope, node: exp.Expr) -> _Found:
        found = _Found()
        inner = {id(s.expression): s for s in scope.subquery_scopes}
        for part in node.walk(prune=lambda n: isinstance(n, exp.Query) and n is not node):
            query = part.this if isinstance(part, exp.Subquery) else part
            if isinstance(part, exp.Query) and id(query) in inner:
                found |= self.output(inner[id(query)], 0)  # a scalar subquery: the value of its one column
            elif isinstance(part, exp.Column) and not isinstance(part.this, exp.Star):
                found |= self.column(scope, part)
        return found

    def column(self, scope: Scope, column: exp.Column) -> _Found:
        name = column.name
        alias = column.table
        if not alias:
            sources = list(scope.selected_sources)
            if len(sources) == 1:
                alias = sources[0]
            else:
                where = ", ".join(self._source_text(scope, s) for s in sources) or "no table"
                return _Found(reasons=(f"{name} is not qualified and could come from any of {where}",))
        entry = self._lookup(scope, alias)
        if entry is None:
            return _Found(reasons=(f"{name}: {alias} names no table in the query",))
        source, owner = entry
        if isinstance(source, exp.Table):
            table = table_name_of(source)
            if table is None:
                return _Found(reasons=(f"{name}: {source.sql(dialect=DIALECT)} is not a named table",))
            return _Found(frozenset({ColumnOrigin(table, name)}))
        if isinstance(source, Scope) and source.is_udtf:
            return self.expression(owner, source.expression)  # FLATTEN & co.: from what they are given
        if isinstance(source, Scope):
            return self.by_name(source, name)
        if isinstance(source, exp.Values):
            return _Found()  # rows written into the query: literals
        # FLATTEN, UNNEST and the like: their columns come from the columns they are given.
        return self.expression(owner, source)

    def by_name(self, scope: Scope, name: str) -> _Found:
        """The output column `name` of a CTE or subquery."""
        selects = _selects(_leftmost(scope))
        for index, node in enumerate(selects):
            if not _is_star(node) and node.alias_or_name == name:
                return self.output(scope, index)
        stars = [node for node in selects if _is_star(node)]
        if len(stars) == 1 and not scope.set_operation_scopes:
            # `*` over what it selects: a column it passes on comes from there, under its name.
            star = stars[0]
            sources = [star.table] if isinstance(star, exp.Column) and star.table else list(scope.selected_sources)
            if len(sources) == 1:
                return self.column(scope, exp.column(name, table=sources[0]))
            where = ", ".join(self._source_text(scope, s) for s in sources)
            return _Found(reasons=(f"{name} comes from `*` over {where}, whose columns are not known",))
        return _Found(reasons=(f"{name}: no such column in a subquery or CTE of the query",))

    def _lookup(self, scope: Scope, alias: str) -> tuple[exp.Expr | Scope, Scope] | None:
        """The source an alias names, looking outwards for a correlated subquery's references."""
        current: Scope | None = scope
        while current is not None:
            if alias in current.selected_sources:
                return current.selected_sources[alias][1], current
            current = current.parent
        return None

    def _source_text(self, scope: Scope, alias: str) -> str:
        source = scope.selected_sources[alias][1]
        return str(table_name_of(source)) if isinstance(source, exp.Table) else alias

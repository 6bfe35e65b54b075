"""What tables and queries look like in the warehouse: their columns and types.

Two ways to ask. `probe` reads the description of one statement (see `compile.sql.probe`): one
round trip, answered from metadata, but it fails as a whole when any table is missing.
`read_information_schema` then says which tables exist and what columns they have.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from snowflake.connector.constants import FIELD_ID_TO_NAME
from snowflake.connector.errors import ProgrammingError
from sqlglot import exp

from model_jobs.compile.sql import columns_of_tables_query, probe
from model_jobs.identifiers import TableName
from model_jobs.runtime.statements import ColumnDescription, Statements

MISSING_OBJECT = 2003  # Snowflake's (and the embedded one's) error number for a missing table or database
LONGEST_VARCHAR = 16777216  # what Snowflake reports for a VARCHAR declared without a length


def type_name(column: ColumnDescription) -> str:
    """A Snowflake type name for one column of a result description (the connector's ResultMetadata)."""
    name = FIELD_ID_TO_NAME.get(column.type_code, "VARIANT")
    if name == "FIXED":
        return "NUMBER" if column.precision is None else f"NUMBER({column.precision},{column.scale or 0})"
    if name == "REAL":
        return "FLOAT"
    if name == "TEXT":
        size = column.internal_size
        return f"VARCHAR({size})" if size and size < LONGEST_VARCHAR else "VARCHAR"
    return name


@dataclass(frozen=True)
class Probed:
    state: tuple[Any, ...]  # the values of the `state` aggregate, in its column order
    columns: list[dict[str, str]]  # per relation, in the order given: column name -> type


def run_probe(statements: Statements, relations: list[exp.Expr], state: exp.Select | None = None) -> Probed:
    marker = f"MJ_COLUMNS_{uuid.uuid4().hex[:12].upper()}"  # no table has a column named like this
    cursor = statements.execute("preflight", probe(marker, relations, state))
    row = cursor.fetchone()
    sections: list[dict[str, str]] = []
    state_width = None
    for position, column in enumerate(cursor.description or ()):
        if column.name == marker:
            state_width = position if state_width is None else state_width
            sections.append({})
        elif sections:
            sections[-1][column.name.upper()] = type_name(column)
    return Probed(state=tuple(row[:state_width]) if state is not None else (), columns=sections)


def read_information_schema(statements: Statements, tables: list[TableName]) -> dict[TableName, dict[str, str]]:
    """Columns of each table; a table that does not exist (or whose database does not) has none."""
    found: dict[TableName, dict[str, str]] = {table: {} for table in tables}
    try:
        rows = statements.execute("diagnose", *columns_of_tables_query(tables)).fetchall()
    except ProgrammingError as error:
        if error.errno != MISSING_OBJECT:
            raise
        # A database does not exist: ask each database alone to find out which.
        databases = dict.fromkeys(t.database for t in tables)
        rows = [
            row
            for database in databases
            for row in _rows_if_database_exists(statements, [t for t in tables if t.database == database])
        ]
    for database, schema, table, name, data_type, _position in rows:
        columns = found.get(TableName(database, schema, table))
        if columns is not None:
            columns[name.upper()] = data_type
    return found


def _rows_if_database_exists(statements: Statements, tables: list[TableName]) -> list[tuple[Any, ...]]:
    try:
        return statements.execute("diagnose", *columns_of_tables_query(tables)).fetchall()
    except ProgrammingError as error:
        if error.errno == MISSING_OBJECT:
            return []
        raise

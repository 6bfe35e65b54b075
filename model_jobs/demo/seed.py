"""Load the demo data into a warehouse (the embedded Snowflake by default). Idempotent: every
table is replaced, so seeding twice leaves the same rows.

Layout, matching job_specs/:
  DATALAKE_DEV.RAW.{CUSTOMERS,ORDERS,ORDER_ITEMS}     development data (design environment)
  DATALAKE_DEV.SAMPLE.{...}                           a small sample of it (sandbox)
  DATALAKE_PRD.RAW.{ORDERS,ORDER_ITEMS}, DATALAKE_PRD.CRM.CUSTOMERS   production data
and the target databases of every environment.
"""

from __future__ import annotations

from sqlglot import exp

from model_jobs.compile.compiled_project import CompiledProject
from model_jobs.compile.sql import (
    create_database_if_not_exists,
    create_schema_if_not_exists,
)
from model_jobs.demo.data import Row, generate
from model_jobs.identifiers import DIALECT, TableName, ident
from model_jobs.runtime.statements import Connection

COLUMNS = {
    "CUSTOMERS": [
        ("CUSTOMER_ID", "NUMBER(38,0)"),
        ("NAME", "VARCHAR"),
        ("EMAIL", "VARCHAR"),
        ("COUNTRY", "VARCHAR"),
        ("SIGNED_UP_AT", "TIMESTAMP_NTZ"),
    ],
    "ORDERS": [
        ("ORDER_ID", "NUMBER(38,0)"),
        ("CUSTOMER_ID", "NUMBER(38,0)"),
        ("ORDERED_AT", "TIMESTAMP_NTZ"),
        ("STATUS", "VARCHAR"),
        ("UPDATED_AT", "TIMESTAMP_NTZ"),
    ],
    "ORDER_ITEMS": [
        ("ORDER_ID", "NUMBER(38,0)"),
        ("LINE_NUMBER", "NUMBER(38,0)"),
        ("PRODUCT", "VARCHAR"),
        ("QUANTITY", "NUMBER(38,0)"),
        ("UNIT_PRICE", "NUMBER(10,2)"),
    ],
}

DEV = generate(seed=7, customers=40, orders=150)
PRD = generate(seed=2026, customers=120, orders=600)
SAMPLE = {
    "CUSTOMERS": [r for r in DEV["CUSTOMERS"] if r[0] <= 10],
    "ORDERS": [r for r in DEV["ORDERS"] if r[1] <= 10],
}
SAMPLE["ORDER_ITEMS"] = [r for r in DEV["ORDER_ITEMS"] if r[0] in {o[0] for o in SAMPLE["ORDERS"]}]

DEMO_TABLES: dict[TableName, list[Row]] = {
    **{TableName("DATALAKE_DEV", "RAW", t): rows for t, rows in DEV.items()},
    **{TableName("DATALAKE_DEV", "SAMPLE", t): rows for t, rows in SAMPLE.items()},
    TableName("DATALAKE_PRD", "RAW", "ORDERS"): PRD["ORDERS"],
    TableName("DATALAKE_PRD", "RAW", "ORDER_ITEMS"): PRD["ORDER_ITEMS"],
    TableName("DATALAKE_PRD", "CRM", "CUSTOMERS"): PRD["CUSTOMERS"],
}


def _literal(value: object) -> exp.Expr:
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def _create_table(table: TableName) -> str:
    schema = exp.Schema(
        this=table.to_sqlglot(),
        expressions=[
            exp.ColumnDef(this=ident(name), kind=exp.DataType.build(kind, dialect=DIALECT))
            for name, kind in COLUMNS[table.table]
        ],
    )
    return exp.Create(this=schema, kind="TABLE", replace=True).sql(dialect=DIALECT)


def _insert(table: TableName, rows: list[Row]) -> str:
    values = exp.values([tuple(_literal(v) for v in row) for row in rows])
    return exp.insert(values, table.to_sqlglot()).sql(dialect=DIALECT)


def _databases(project: CompiledProject | None) -> list[str]:
    names = {t.database for t in DEMO_TABLES}
    if project is not None:
        names |= {job.target.database for job in project.jobs.values()}
    return sorted(names)


def seed(connection: Connection, project: CompiledProject | None = None) -> dict[str, int]:
    """Create the demo databases and raw tables; returns rows loaded per table."""
    cursor = connection.cursor()
    for database in _databases(project):
        cursor.execute(create_database_if_not_exists(database))
    for database, schema in sorted({(t.database, t.schema) for t in DEMO_TABLES}):
        cursor.execute(create_schema_if_not_exists(database, schema))
    loaded = {}
    for table, rows in DEMO_TABLES.items():
        cursor.execute(_create_table(table))
        cursor.execute(_insert(table, rows))
        loaded[str(table)] = len(rows)
    return loaded

"""Conditions at runtime (issue #11): data-quality checks and source measures against crafted tables
in the embedded Snowflake, Snowflake's LAST_ALTERED through a recorded cursor, and `judge`, which is
pure. Every statement sent is counted through `Statements`."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from snowflake.connector.errors import ProgrammingError

from model_jobs.compile.conditions import Conditions, FreshnessRule, MaxAge, SourceRules
from model_jobs.compile.resolve import SourceRead
from model_jobs.compile.source_sql import parse_check
from model_jobs.identifiers import TableName
from model_jobs.runtime.checks import CheckOutcome, run_checks
from model_jobs.runtime.conditions import (
    Measure,
    SourceState,
    Verdict,
    age_text,
    evaluate,
    judge,
    measure,
    measures_for,
)
from model_jobs.runtime.statements import Statements
from model_jobs.specs.models import CheckSpec

# This file's own database: the demo's DATALAKE_DEV / DATALAKE_PRD stay as seeded. No schema of
# it may be named like a database: the embedded Snowflake (DuckDB) then finds `CREATE DATABASE
# SANDBOX` ambiguous, which failed the demo's seed in whichever test ran after this file.
DATABASE = "QUALITY_TEST"
DEFECTS = "DEFECTS"  # the sandbox's copy, with known defects
PRD = TableName(DATABASE, "PRD", "ORDERS")
SANDBOX = TableName(DATABASE, DEFECTS, "ORDERS")
EMPTY_ORDERS = TableName(DATABASE, DEFECTS, "EMPTY_ORDERS")
DESIGN = TableName(DATABASE, "DESIGN", "ORDERS")  # the design-time name jobs map to PRD / SANDBOX
MEASURED = "MEASURE"  # schema of the tables `measure` reads

COLUMNS = (
    "ORDER_ID NUMBER, LINE_NUMBER NUMBER, CUSTOMER_ID NUMBER, STATUS VARCHAR, AMOUNT NUMBER(10,2), "
    "UPDATED_AT TIMESTAMP_NTZ, ORDERED_AT TIMESTAMP_NTZ"
)
# Every ORDERED_AT is 09:00; row 6 was updated before it was ordered (the sql check's defect).
SANDBOX_ROWS = """
    (1, 1, 10, 'NEW', 5.00, '2026-11-01 10:00:00', '2026-11-01 09:00:00'),
    (1, 2, 11, 'SHIPPED', 7.25, '2026-11-01 11:00:00', '2026-11-01 09:00:00'),
    (2, 1, NULL, 'DON''T SHIP', -3.50, '2026-11-01 12:00:00', '2026-11-01 09:00:00'),
    (NULL, 1, 12, NULL, NULL, '2026-11-01 13:00:00', '2026-11-01 09:00:00'),
    (NULL, 1, 13, 'LOST', 1.50, '2026-11-01 14:00:00', '2026-11-01 09:00:00'),
    (3, 1, 14, 'NEW', 2.00, '2026-11-01 08:00:00', '2026-11-01 09:00:00'),
    (3, 1, 15, 'DELIVERED', 4.00, '2026-11-01 15:00:00', '2026-11-01 09:00:00'),
    (4, NULL, 16, 'NEW', 1.00, '2026-11-01 16:00:00', '2026-11-01 09:00:00'),
    (4, NULL, 17, 'NEW', 1.00, '2026-11-01 17:00:00', '2026-11-01 09:00:00')
"""
PRD_ROWS = """
    (10, 1, 100, 'NEW', 1.00, '2026-11-01 10:00:00', '2026-11-01 09:00:00'),
    (11, 1, 101, 'DON''T SHIP', 2.50, '2026-11-01 11:00:00', '2026-11-01 09:00:00'),
    (12, 2, 102, 'DELIVERED', 0.00, '2026-11-01 12:00:00', '2026-11-01 09:00:00')
"""

CHECKS = [
    {"not_null": ["ORDER_ID", "CUSTOMER_ID"]},
    {"unique": ["ORDER_ID"]},
    {"unique": ["ORDER_ID", "LINE_NUMBER"]},
    {"accepted_values": {"column": "STATUS", "values": ["NEW", "SHIPPED", "DELIVERED", "DON'T SHIP"]}},
    {"row_count": {"min": 1, "max": 5}},
    {"expression": "AMOUNT >= 0"},
    {
        "sql": "SELECT o.* FROM {table} AS o WHERE o.UPDATED_AT < o.ORDERED_AT",
        "name": "updated_after_ordered",
        "severity": "warn",
    },
]
NAMES = [
    "not_null_order_id_customer_id",
    "unique_order_id",
    "unique_order_id_line_number",
    "accepted_values_status",
    "row_count",
    "expression_amount_0",
    "updated_after_ordered",
]


def parsed(*specs: dict) -> list:
    return [parse_check(CheckSpec.model_validate(spec)) for spec in specs]


def purposes(statements: Statements) -> list[str]:
    return [s.purpose for s in statements.executed]


def summary(outcome: CheckOutcome) -> tuple:
    return (
        outcome.name,
        outcome.kind,
        outcome.severity,
        outcome.location,
        outcome.passed,
        outcome.failing_rows,
        outcome.row_count,
        outcome.message,
    )


def sql(connection, *statements: str) -> None:
    cursor = connection.cursor()
    for statement in statements:
        cursor.execute(statement)


@pytest.fixture(scope="module")
def crafted(warehouse):
    """QUALITY_TEST: a clean prd table, a sandbox table with known defects, an empty one, and the
    tables `measure` reads. Returns the connection."""
    sql(
        warehouse,
        f"CREATE DATABASE IF NOT EXISTS {DATABASE}",
        *(f"CREATE SCHEMA IF NOT EXISTS {DATABASE}.{schema}" for schema in ("PRD", DEFECTS, MEASURED)),
        f"CREATE OR REPLACE TABLE {PRD} ({COLUMNS})",
        f"INSERT INTO {PRD} VALUES {PRD_ROWS}",
        f"CREATE OR REPLACE TABLE {SANDBOX} ({COLUMNS})",
        f"INSERT INTO {SANDBOX} VALUES {SANDBOX_ROWS}",
        f"CREATE OR REPLACE TABLE {EMPTY_ORDERS} ({COLUMNS})",
        # For `measure`: NTZ (read as UTC), TZ (the instant), DATE (midnight UTC), none, empty.
        f"CREATE OR REPLACE TABLE {DATABASE}.{MEASURED}.NTZ_A (ID NUMBER, LOADED TIMESTAMP_NTZ)",
        f"INSERT INTO {DATABASE}.{MEASURED}.NTZ_A VALUES (1, '2026-11-01 10:00:00'), (2, '2026-11-01 12:00:00'),"
        " (3, '2026-10-31 23:59:59')",
        f"CREATE OR REPLACE TABLE {DATABASE}.{MEASURED}.NTZ_B (ID NUMBER, LOADED TIMESTAMP_NTZ)",
        f"INSERT INTO {DATABASE}.{MEASURED}.NTZ_B VALUES (1, '2026-11-20 06:30:15')",
        f"CREATE OR REPLACE TABLE {DATABASE}.{MEASURED}.TZ (ID NUMBER, LOADED TIMESTAMP_TZ)",
        f"INSERT INTO {DATABASE}.{MEASURED}.TZ VALUES (1, '2026-11-01 12:00:00+02:00'),"
        " (2, '2026-11-01 09:00:00+00:00')",
        f"CREATE OR REPLACE TABLE {DATABASE}.{MEASURED}.DAILY (ID NUMBER, LOAD_DATE DATE)",
        f"INSERT INTO {DATABASE}.{MEASURED}.DAILY VALUES (1, '2026-11-01'), (2, '2026-11-02'), (3, '2026-10-30'),"
        " (4, '2026-11-02')",
        f"CREATE OR REPLACE TABLE {DATABASE}.{MEASURED}.SNAPSHOT (ID NUMBER, NAME VARCHAR)",
        f"INSERT INTO {DATABASE}.{MEASURED}.SNAPSHOT VALUES (1, 'a'), (2, 'b')",
        f"CREATE OR REPLACE TABLE {DATABASE}.{MEASURED}.EMPTY (ID NUMBER, LOADED TIMESTAMP_NTZ)",
    )
    return warehouse


# --- data-quality checks --------------------------------------------------------------------------


def test_every_check_kind_on_a_table_with_known_defects(crafted):
    statements = Statements(crafted.cursor())

    outcomes = run_checks(statements, SANDBOX, parsed(*CHECKS))

    where = str(SANDBOX)
    assert [summary(o) for o in outcomes] == [
        (NAMES[0], "not_null", "error", SANDBOX, False, 3, 9, f"{where}: 3 of 9 rows fail {NAMES[0]}"),
        # ORDER_ID 1, 3 and 4 appear twice each; the two NULL ORDER_IDs are not duplicates.
        (NAMES[1], "unique", "error", SANDBOX, False, 6, 9, f"{where}: 6 of 9 rows fail {NAMES[1]}"),
        # Only (3, 1) repeats: (NULL, 1) and (4, NULL) have a NULL in the key and are not counted.
        (NAMES[2], "unique", "error", SANDBOX, False, 2, 9, f"{where}: 2 of 9 rows fail {NAMES[2]}"),
        # LOST fails; the NULL status is not counted and DON'T SHIP (with its quote) is accepted.
        (NAMES[3], "accepted_values", "error", SANDBOX, False, 1, 9, f"{where}: 1 of 9 rows fail {NAMES[3]}"),
        (
            NAMES[4],
            "row_count",
            "error",
            SANDBOX,
            False,
            None,
            9,
            f"{where} has 9 rows; row_count wants at least 1 and at most 5",
        ),
        # -3.50 fails; the NULL AMOUNT counts as met.
        (NAMES[5], "expression", "error", SANDBOX, False, 1, 9, f"{where}: 1 of 9 rows fail {NAMES[5]}"),
        (NAMES[6], "sql", "warn", SANDBOX, False, 1, 9, f"{where}: 1 of 9 rows fail {NAMES[6]}"),
    ]
    assert [o.blocks for o in outcomes] == [True] * 6 + [False]
    # One statement counts every check; each failing row-counting check reads its sample (row_count
    # has no failing rows to show).
    assert purposes(statements) == ["quality"] + ["sample"] * 6

    samples = {o.name: o.sample for o in outcomes}
    assert samples["accepted_values_status"] == (
        {
            "ORDER_ID": None,
            "LINE_NUMBER": 1,
            "CUSTOMER_ID": 13,
            "STATUS": "LOST",
            "AMOUNT": 1.5,
            "UPDATED_AT": "2026-11-01T14:00:00",
            "ORDERED_AT": "2026-11-01T09:00:00",
        },
    )
    assert samples["expression_amount_0"] == (
        {
            "ORDER_ID": 2,
            "LINE_NUMBER": 1,
            "CUSTOMER_ID": None,
            "STATUS": "DON'T SHIP",
            "AMOUNT": -3.5,
            "UPDATED_AT": "2026-11-01T12:00:00",
            "ORDERED_AT": "2026-11-01T09:00:00",
        },
    )
    # The sql check's sample has the columns its SELECT returns (o.*); a whole decimal is an int.
    assert samples["updated_after_ordered"] == (
        {
            "ORDER_ID": 3,
            "LINE_NUMBER": 1,
            "CUSTOMER_ID": 14,
            "STATUS": "NEW",
            "AMOUNT": 2,
            "UPDATED_AT": "2026-11-01T08:00:00",
            "ORDERED_AT": "2026-11-01T09:00:00",
        },
    )
    assert sorted(r["UPDATED_AT"] for r in samples["not_null_order_id_customer_id"]) == [
        "2026-11-01T12:00:00",
        "2026-11-01T13:00:00",
        "2026-11-01T14:00:00",
    ]
    # Six rows fail unique_order_id: the sample is capped at five, ordered by the key.
    assert [r["ORDER_ID"] for r in samples["unique_order_id"]] == [1, 1, 3, 3, 4]
    assert sorted(r["CUSTOMER_ID"] for r in samples["unique_order_id_line_number"]) == [14, 15]
    assert samples["row_count"] == ()
    for sample in samples.values():
        assert len(sample) <= 5
        json.dumps(sample)  # JSON-ready as it is
        assert all(type(v) in (str, int, float, type(None)) for row in sample for v in row.values())


def test_same_checks_on_two_locations_give_independent_results(crafted):
    checks = parsed(*CHECKS)
    prd_statements, sandbox_statements = Statements(crafted.cursor()), Statements(crafted.cursor())

    prd = run_checks(prd_statements, PRD, checks)
    sandbox = run_checks(sandbox_statements, SANDBOX, checks)

    where = str(PRD)
    assert [summary(o) for o in prd] == [
        (name, spec_kind, severity, PRD, True, None if name == "row_count" else 0, 3, message)
        for name, spec_kind, severity, message in [
            (NAMES[0], "not_null", "error", f"{where}: all 3 rows pass {NAMES[0]}"),
            (NAMES[1], "unique", "error", f"{where}: all 3 rows pass {NAMES[1]}"),
            (NAMES[2], "unique", "error", f"{where}: all 3 rows pass {NAMES[2]}"),
            (NAMES[3], "accepted_values", "error", f"{where}: all 3 rows pass {NAMES[3]}"),
            (NAMES[4], "row_count", "error", f"{where} has 3 rows; row_count wants at least 1 and at most 5"),
            (NAMES[5], "expression", "error", f"{where}: all 3 rows pass {NAMES[5]}"),
            (NAMES[6], "sql", "warn", f"{where}: all 3 rows pass {NAMES[6]}"),
        ]
    ]
    assert all(o.sample == () and not o.blocks for o in prd)
    assert purposes(prd_statements) == ["quality"]  # passing checks read no sample
    assert [o.passed for o in sandbox] == [False] * 7
    assert {o.location for o in sandbox} == {SANDBOX}
    assert purposes(sandbox_statements) == ["quality"] + ["sample"] * 6


@pytest.mark.parametrize(
    ("bounds", "passed", "wants"),
    [
        ({"min": 9}, True, "at least 9"),
        ({"min": 10}, False, "at least 10"),
        ({"max": 9}, True, "at most 9"),
        ({"max": 8}, False, "at most 8"),
        ({"min": 9, "max": 9}, True, "at least 9 and at most 9"),
    ],
)
def test_row_count_bounds(crafted, bounds, passed, wants):
    statements = Statements(crafted.cursor())

    [outcome] = run_checks(statements, SANDBOX, parsed({"row_count": bounds}))

    assert summary(outcome) == (
        "row_count",
        "row_count",
        "error",
        SANDBOX,
        passed,
        None,
        9,
        f"{SANDBOX} has 9 rows; row_count wants {wants}",
    )
    assert outcome.sample == ()
    assert purposes(statements) == ["quality"]


def test_checks_on_an_empty_table(crafted):
    statements = Statements(crafted.cursor())

    outcomes = run_checks(statements, EMPTY_ORDERS, parsed(*CHECKS))

    assert [(o.passed, o.failing_rows, o.row_count) for o in outcomes] == [
        (True, 0, 0),
        (True, 0, 0),
        (True, 0, 0),
        (True, 0, 0),
        (False, None, 0),
        (True, 0, 0),
        (True, 0, 0),
    ]
    assert outcomes[4].message == f"{EMPTY_ORDERS} has 0 rows; row_count wants at least 1 and at most 5"
    assert outcomes[0].message == f"{EMPTY_ORDERS}: all 0 rows pass {NAMES[0]}"
    assert purposes(statements) == ["quality"]


def test_no_checks_send_no_statement(crafted):
    statements = Statements(crafted.cursor())
    assert run_checks(statements, SANDBOX, []) == []
    assert statements.executed == []


# --- measure: newest load and rows, by column -----------------------------------------------------


def epoch(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def measured(table: str) -> TableName:
    return TableName(DATABASE, MEASURED, table)


MEASURES = [
    Measure(measured("NTZ_A"), "LOADED"),
    Measure(measured("NTZ_B"), "LOADED"),
    Measure(measured("TZ"), "LOADED"),
    Measure(measured("DAILY"), "LOAD_DATE"),
    Measure(measured("SNAPSHOT"), None),
    Measure(measured("EMPTY"), "LOADED"),
]
EXPECTED = {
    measured("NTZ_A"): SourceState(epoch(2026, 11, 1, 12), 3),  # NTZ read as UTC
    measured("NTZ_B"): SourceState(epoch(2026, 11, 20, 6, 30, 15), 1),
    measured("TZ"): SourceState(epoch(2026, 11, 1, 10), 2),  # 12:00+02:00 is the newest instant
    measured("DAILY"): SourceState(epoch(2026, 11, 2), 4),  # a DATE is its midnight UTC
    measured("SNAPSHOT"): SourceState(None, 2),  # no loaded_at: rows only
    measured("EMPTY"): SourceState(None, 0),
}


def test_measure_reads_many_tables_in_one_statement(crafted):
    statements = Statements(crafted.cursor())

    # A location given twice is measured once.
    states = measure(statements, [*MEASURES, MEASURES[0]])

    assert states == EXPECTED
    assert purposes(statements) == ["measure"]
    assert all(isinstance(s.loaded_at, float) for s in states.values() if s.loaded_at is not None)


class CountingCursor:
    """The warehouse cursor, counting every statement sent, including those that fail."""

    def __init__(self, cursor):
        self.cursor, self.sent = cursor, []

    def __getattr__(self, name):
        return getattr(self.cursor, name)

    def execute(self, command, params=None):
        self.sent.append(command)
        return self.cursor.execute(command, params)


MISSING = measured("NOPE")


def test_a_missing_table_does_not_stop_the_others_being_measured(crafted):
    cursor = CountingCursor(crafted.cursor())
    statements = Statements(cursor)

    states = measure(statements, [*MEASURES[:3], Measure(MISSING, "LOADED"), *MEASURES[3:]])

    assert {t: s for t, s in states.items() if t != MISSING} == EXPECTED
    missing = states[MISSING]
    assert (missing.loaded_at, missing.rows) == (None, None)
    assert "NOPE" in missing.error and "does not exist" in missing.error
    # The failure path: the one UNION ALL fails, then one statement per table (7), the missing one
    # failing again: 8 sent, and all 8 recorded, the refused ones marked failed.
    assert len(cursor.sent) == 1 + 7
    assert purposes(statements) == ["measure"] * 8
    assert [s.failed for s in statements.executed].count(True) == 2
    # What is recorded on a materialization leaves the unmeasured table out.
    assert str(MISSING) not in Verdict(True, measured=states).source_state()


def test_every_statement_of_the_failure_path_is_recorded(crafted):
    cursor = CountingCursor(crafted.cursor())
    statements = Statements(cursor)

    measure(statements, [*MEASURES, Measure(MISSING, "LOADED")])

    assert len(cursor.sent) == 8
    assert purposes(statements) == ["measure"] * len(cursor.sent)


# --- measure: LAST_ALTERED ------------------------------------------------------------------------


class RecordedCursor:
    """A cursor that records each (sql, params) it is sent and answers canned rows.

    LAST_ALTERED is tested with this, not the embedded Snowflake: the embedded Snowflake answers
    1970-01-01 for every table's LAST_ALTERED, so nothing real could be told apart there."""

    def __init__(self, answers: dict[str, list[tuple]] | None = None, error: Exception | None = None):
        self.answers = answers or {}  # database -> rows (schema, table, epoch seconds, row count)
        self.error = error
        self.calls: list[tuple[str, object]] = []
        self.description = None
        self.rowcount = None
        self.sfqid: str | None = None
        self._rows: list[tuple] = []

    def execute(self, command, params=None):
        self.calls.append((command, params))
        if self.error is not None:
            raise self.error
        [database] = [d for d in self.answers if f'FROM "{d}"."INFORMATION_SCHEMA"."TABLES"' in command]
        self._rows = list(self.answers[database])
        self.sfqid = f"recorded-{len(self.calls)}"
        return self

    def fetchall(self):
        return list(self._rows)

    def fetchone(self):
        return self._rows[0] if self._rows else None


def test_last_altered_one_statement_per_database_with_bound_names():
    a_orders, a_items, a_gone = (TableName("LAKE_A", "RAW", t) for t in ("ORDERS", "ITEMS", "GONE"))
    b_events = TableName("LAKE_B", "LOGS", "EVENTS")
    cursor = RecordedCursor(
        {
            "LAKE_A": [("RAW", "ORDERS", 1_793_534_400, 120), ("RAW", "ITEMS", Decimal("1793500000"), None)],
            "LAKE_B": [("LOGS", "EVENTS", 1_700_000_000.5, 7)],
        }
    )
    statements = Statements(cursor)

    states = measure(
        statements,
        [Measure(b_events, last_altered=True)] + [Measure(t, last_altered=True) for t in (a_orders, a_items, a_gone)],
    )

    assert states == {
        a_orders: SourceState(1_793_534_400.0, 120),
        a_items: SourceState(1_793_500_000.0, None),
        a_gone: SourceState(error="LAKE_A.RAW.GONE does not exist"),
        b_events: SourceState(1_700_000_000.5, 7),
    }
    assert purposes(statements) == ["measure", "measure"]  # one per database, in database order
    [(sql_a, params_a), (sql_b, params_b)] = cursor.calls
    assert params_a == {"s0": "RAW", "t0": "ORDERS", "s1": "RAW", "t1": "ITEMS", "s2": "RAW", "t2": "GONE"}
    assert params_b == {"s0": "LOGS", "t0": "EVENTS"}
    assert 'FROM "LAKE_A"."INFORMATION_SCHEMA"."TABLES"' in sql_a
    assert 'FROM "LAKE_B"."INFORMATION_SCHEMA"."TABLES"' in sql_b
    # Names are bound, never formatted into the SQL.
    for statement, params in cursor.calls:
        assert "%(s0)s" in statement and "%(t0)s" in statement
        assert not any(f"'{value}'" in statement for value in params.values())
    assert "ORDERS" not in sql_a and "EVENTS" not in sql_b


def test_a_missing_table_error_from_snowflake_says_what_is_missing():
    table = TableName("LAKE_A", "RAW", "GONE")
    error = ProgrammingError(
        msg=f"SQL compilation error:\nObject '{table}' does not exist or not authorized.",
        errno=2003,
        sqlstate="42S02",
    )
    cursor = RecordedCursor(error=error)

    states = measure(Statements(cursor), [Measure(table, "LOADED_AT")])

    assert len(cursor.calls) == 1
    assert "does not exist" in states[table].error


# --- judge: pure -----------------------------------------------------------------------------------

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ORDERS = TableName("DATALAKE_PRD", "RAW", "ORDERS")
CUSTOMERS = TableName("DATALAKE_PRD", "RAW", "CUSTOMERS")


def ago(**delta: float) -> float:
    return (NOW - timedelta(**delta)).timestamp()


@pytest.fixture
def order_status(demo_project):
    """order_status in marketing_prd: it reads DATALAKE_PRD.RAW.ORDERS (design DATALAKE_DEV.RAW.ORDERS)."""
    job = demo_project.job("order_status", "marketing_prd")
    assert [s.actual for s in job.sources] == [ORDERS]
    return lambda **conditions: dataclasses.replace(job, conditions=Conditions(**conditions))


@pytest.fixture
def rules(order_status):
    orders = order_status().sources[0]
    customers = SourceRead(TableName("DATALAKE_DEV", "RAW", "CUSTOMERS"), CUSTOMERS, "database mapping")
    return {
        "orders": lambda text="1d": FreshnessRule(orders, MaxAge.parse(text)),
        "customers": lambda text="6h": FreshnessRule(customers, MaxAge.parse(text)),
    }


def test_a_stale_source_blocks_with_location_age_and_bound(order_status, rules):
    job = order_status(freshness=(rules["orders"](),))
    states = {ORDERS: SourceState(ago(hours=26), 120)}

    verdict = judge(job, states, NOW)

    assert not verdict.met
    assert verdict.reasons == ("DATALAKE_PRD.RAW.ORDERS loaded 26h ago in marketing_prd; max_age 1d",)
    assert verdict.reason == "DATALAKE_PRD.RAW.ORDERS loaded 26h ago in marketing_prd; max_age 1d"
    assert verdict.measured == states


@pytest.mark.parametrize("age", [timedelta(hours=23), timedelta(days=1), timedelta(0), timedelta(hours=-2)])
def test_a_fresh_source_is_met(order_status, rules, age):
    job = order_status(freshness=(rules["orders"](),))

    verdict = judge(job, {ORDERS: SourceState((NOW - age).timestamp(), 120)}, NOW)

    assert verdict.met and verdict.reasons == ()


def test_a_source_without_rows_or_unmeasured_is_not_fresh(order_status, rules):
    job = order_status(freshness=(rules["orders"](),))

    empty = judge(job, {ORDERS: SourceState(None, 0)}, NOW)
    no_times = judge(job, {ORDERS: SourceState(None, 7)}, NOW)
    broken = judge(job, {ORDERS: SourceState(error="it is gone")}, NOW)
    unmeasured = judge(job, {}, NOW)

    assert not empty.met
    assert empty.reasons == ("DATALAKE_PRD.RAW.ORDERS has no rows in marketing_prd; max_age 1d",)
    assert no_times.reasons == (
        "DATALAKE_PRD.RAW.ORDERS has 7 rows but no load time (loaded_at is NULL) in marketing_prd; max_age 1d",
    )
    assert broken.reasons == ("DATALAKE_PRD.RAW.ORDERS cannot be measured in marketing_prd (it is gone)",)
    assert unmeasured.reasons == ("DATALAKE_PRD.RAW.ORDERS cannot be measured in marketing_prd (not measured)",)


def test_require_any_and_all(order_status, rules):
    both = (rules["orders"](), rules["customers"]())
    one_fresh = {ORDERS: SourceState(ago(hours=26), 120), CUSTOMERS: SourceState(ago(hours=1), 5)}
    none_fresh = {ORDERS: SourceState(ago(hours=26), 120), CUSTOMERS: SourceState(ago(hours=30), 5)}

    assert judge(order_status(freshness=both, require="any"), one_fresh, NOW).met
    none = judge(order_status(freshness=both, require="any"), none_fresh, NOW)
    assert not none.met
    assert none.reasons == (
        "no source is fresh: DATALAKE_PRD.RAW.ORDERS loaded 26h ago in marketing_prd; max_age 1d; "
        "DATALAKE_PRD.RAW.CUSTOMERS loaded 30h ago in marketing_prd; max_age 6h",
    )
    every = judge(order_status(freshness=both, require="all"), one_fresh, NOW)
    assert every.reasons == ("DATALAKE_PRD.RAW.ORDERS loaded 26h ago in marketing_prd; max_age 1d",)
    assert judge(order_status(freshness=both, require="all"), none_fresh, NOW).reasons == (
        "DATALAKE_PRD.RAW.ORDERS loaded 26h ago in marketing_prd; max_age 1d",
        "DATALAKE_PRD.RAW.CUSTOMERS loaded 30h ago in marketing_prd; max_age 6h",
    )


def test_changed_since_last_run(order_status):
    job = order_status(changed_since_last_run=True)
    loaded = datetime(2026, 11, 23, 10, 0, tzinfo=UTC).timestamp()
    states = {ORDERS: SourceState(loaded, 120)}
    same = {"DATALAKE_PRD.RAW.ORDERS": {"loaded_at": loaded, "rows": 120}}

    assert judge(job, states, NOW, recorded=None).met  # no earlier materialization: counts as changed
    unchanged = judge(job, states, NOW, recorded=same)
    assert not unchanged.met
    assert unchanged.reasons == (
        "no source changed in marketing_prd since the last materialization "
        "(DATALAKE_PRD.RAW.ORDERS: 120 rows, newest load 2026-11-23 10:00 UTC)",
    )
    assert judge(job, states, NOW, recorded={"DATALAKE_PRD.RAW.ORDERS": {"loaded_at": loaded, "rows": 119}}).met
    assert judge(job, states, NOW, recorded={"DATALAKE_PRD.RAW.ORDERS": {"loaded_at": loaded - 1, "rows": 120}}).met
    assert judge(job, states, NOW, recorded={"DATALAKE_PRD.RAW.OTHER": {"loaded_at": loaded, "rows": 120}}).met
    # Recorded as JSON (an int epoch) is the same data as the float measured.
    assert not judge(
        job, states, NOW, recorded={"DATALAKE_PRD.RAW.ORDERS": {"loaded_at": int(loaded), "rows": 120}}
    ).met
    # Without loaded_at, the rows alone are compared and said.
    rows_only = judge(job, {ORDERS: SourceState(None, 3)}, NOW, {"DATALAKE_PRD.RAW.ORDERS": {"rows": 3}})
    assert rows_only.reasons == (
        "no source changed in marketing_prd since the last materialization (DATALAKE_PRD.RAW.ORDERS: 3 rows)",
    )
    # What the next run compares against.
    assert unchanged.source_state() == same


def outcome(severity: str, passed: bool) -> CheckOutcome:
    message = f"{SANDBOX}: 2 of 9 rows fail unique_order_id" if not passed else f"{SANDBOX}: all 9 rows pass"
    return CheckOutcome("unique_order_id", "unique", severity, SANDBOX, passed, 0 if passed else 2, 9, message)


def test_failing_error_checks_block_and_warn_checks_do_not(order_status):
    job = order_status(data_quality=(order_status().sources[0],))

    error = judge(job, {}, NOW, checks=[outcome("error", False), outcome("error", True)])
    warn = judge(job, {}, NOW, checks=[outcome("warn", False)])

    assert not error.met
    assert error.reasons == (f"{SANDBOX}: 2 of 9 rows fail unique_order_id (check failed)",)
    assert error.checks == (outcome("error", False), outcome("error", True))
    assert warn.met and warn.reasons == () and warn.checks == (outcome("warn", False),)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0m ago"),
        (59 * 60 + 59, "59m ago"),
        (3600, "1h ago"),
        (71 * 3600 + 3599, "71h ago"),
        (72 * 3600, "3d ago"),
        (10 * 86400 + 3600, "10d ago"),
        (-1, "in the future"),
    ],
)
def test_age_text(seconds, text):
    assert age_text(seconds) == text


def test_measures_for_the_demo_job_reads_its_sources_loaded_at(demo_project):
    job = demo_project.job("order_status", "marketing_prd")
    assert measures_for(job, demo_project.specs.sources) == [Measure(ORDERS, "UPDATED_AT")]
    # changed_since_last_run alone measures every source table it reads, with its loaded_at if any.
    changed = dataclasses.replace(job, conditions=Conditions(changed_since_last_run=True))
    assert measures_for(changed, demo_project.specs.sources) == [Measure(ORDERS, "UPDATED_AT")]
    assert measures_for(changed, {}) == [Measure(ORDERS, None)]
    assert measures_for(dataclasses.replace(job, conditions=Conditions()), demo_project.specs.sources) == []


# --- evaluate --------------------------------------------------------------------------------------


def test_a_job_without_conditions_is_met_without_a_statement(order_status, demo_project):
    cursor = RecordedCursor(error=AssertionError("no statement may be sent"))
    statements = Statements(cursor)

    verdict = evaluate(
        statements, order_status(), demo_project.specs.sources, demo_project.source_rules, NOW, recorded={}
    )

    assert verdict == Verdict(True)
    assert cursor.calls == [] and statements.executed == []


def test_evaluate_runs_only_error_checks_in_the_location_the_job_reads(crafted, order_status):
    rules = SourceRules(checks={DESIGN: tuple(parsed(*CHECKS))})
    reads = {where: SourceRead(DESIGN, where, "schema mapping") for where in (PRD, SANDBOX)}

    prd_statements, sandbox_statements = Statements(crafted.cursor()), Statements(crafted.cursor())
    prd = evaluate(prd_statements, order_status(data_quality=(reads[PRD],)), {}, rules, NOW)
    sandbox = evaluate(sandbox_statements, order_status(data_quality=(reads[SANDBOX],)), {}, rules, NOW)

    assert prd.met and prd.reasons == () and len(prd.checks) == 6
    assert purposes(prd_statements) == ["quality"]  # nothing to measure, and nothing failed
    assert not sandbox.met
    # The warn-severity sql check is not run for conditions.
    assert [c.name for c in sandbox.checks] == NAMES[:6]
    assert sandbox.reasons == (
        f"{SANDBOX}: 3 of 9 rows fail {NAMES[0]} (check failed)",
        f"{SANDBOX}: 6 of 9 rows fail {NAMES[1]} (check failed)",
        f"{SANDBOX}: 2 of 9 rows fail {NAMES[2]} (check failed)",
        f"{SANDBOX}: 1 of 9 rows fail {NAMES[3]} (check failed)",
        f"{SANDBOX} has 9 rows; row_count wants at least 1 and at most 5 (check failed)",
        f"{SANDBOX}: 1 of 9 rows fail {NAMES[5]} (check failed)",
    )
    assert purposes(sandbox_statements) == ["quality"] + ["sample"] * 5

"""Conditions and source rules in job specs: the demo's resolve as documented, and every bad
loaded_at, check or condition is rejected with its file, field path, line and message, all at once.
Pure: specs only, no warehouse and no Dagster instance. Every test starts from a copy of the valid
demo specs."""

from __future__ import annotations

import pytest

from model_jobs.compile.compiled_project import compile_project
from model_jobs.compile.conditions import Conditions, FreshnessRule, MaxAge
from model_jobs.compile.resolve import SourceRead
from model_jobs.identifiers import TableName
from model_jobs.project import load_project
from model_jobs.specs.loader import load_specs
from model_jobs_tests.specs.spec_edits import add_tag, edit, line_of, only_error, rel, spec_errors, where

SOURCES = "sources.yaml"
ORDER_STATUS = "jobs/order_status.yaml"
ORDERS_ENRICHED = "jobs/orders_enriched.yaml"
CUSTOMERS_DIM = "jobs/customers_dim.yaml"
CUSTOMER_LTV = "jobs/customer_ltv.yaml"

ORDERS = TableName("DATALAKE_DEV", "RAW", "ORDERS")
ORDER_ITEMS = TableName("DATALAKE_DEV", "RAW", "ORDER_ITEMS")
CUSTOMERS = TableName("DATALAKE_DEV", "RAW", "CUSTOMERS")

# Field paths of the demo's sources, and the columns they declare (as error messages list them).
ORDERS_FIELD = "sources.DATALAKE_DEV.RAW.ORDERS"
ITEMS_FIELD = "sources.DATALAKE_DEV.RAW.ORDER_ITEMS"
CUSTOMERS_FIELD = "sources.DATALAKE_DEV.RAW.CUSTOMERS"
ORDERS_COLUMNS = "ORDER_ID, CUSTOMER_ID, ORDERED_AT, STATUS, UPDATED_AT"
ITEMS_COLUMNS = "ORDER_ID, LINE_NUMBER, PRODUCT, QUANTITY, UNIT_PRICE"
CHECK_KINDS = "not_null, unique, accepted_values, row_count, expression, sql"
ONE_KIND = f"a check is exactly one of {CHECK_KINDS}"
DURATION_RULE = "use a number and a unit s, m, h or d, e.g. 2h or 30m (0s for none), at most 3650d"
NO_FRESHNESS = "has no freshness: give it loaded_at (or freshness_from: last_altered) in sources.yaml"

# Lines of the demo that the tests below change. Every source check and condition the demo has is
# on a line of its own, so an edit's line is the line of the error it causes.
ORDERS_LOADED_AT = "loaded_at: UPDATED_AT "
ORDERS_NOT_NULL = "{not_null: [ORDER_ID, CUSTOMER_ID]}"
ORDERS_UNIQUE = "{unique: [ORDER_ID]}"
ORDERS_ACCEPTED = "{accepted_values: {column: STATUS, values: [NEW, SHIPPED, DELIVERED, CANCELLED]}}"
ORDERS_ROW_COUNT = "{row_count: {min: 1}}"
ORDERS_SQL = '{sql: "SELECT * FROM {table} WHERE UPDATED_AT < ORDERED_AT", name: updated_after_ordered}'
ITEMS_DESCRIPTION = "    description: Order lines.\n"
ITEMS_UNIQUE = "{unique: [ORDER_ID, LINE_NUMBER]}"
ITEMS_EXPRESSION = '{expression: "QUANTITY > 0"}'
CUSTOMERS_NOT_NULL = "{not_null: [CUSTOMER_ID]}"
CUSTOMERS_UNIQUE = "{unique: [CUSTOMER_ID]}"

PRD_FRESHNESS = "source_freshness: {max_age: 1d}"
PRD_CHANGED = "changed_since_last_run: true "
SANDBOX_QUALITY = "source_data_quality: true "
PRD_CONDITIONS = (
    "    conditions:                                # otherwise the run is skipped, with the reason\n"
    "      source_freshness: {max_age: 1d}          # DATALAKE_PRD.RAW.ORDERS loaded within a day\n"
    "      changed_since_last_run: true             # and changed since the last run\n"
)
SANDBOX_CONDITIONS = (
    "    conditions:\n      source_data_quality: true                # the sample's error-severity checks must pass\n"
)
ORDER_STATUS_DEFAULTS_END = "    lookback: 2h                      # orders can arrive up to two hours late\n"
ORDER_STATUS_DEV = "  marketing_dev:\n    tag: latest\n"
ORDERS_ENRICHED_PRD_TARGET = "    target: {database: ANALYTICS_PRD, schema: MARTS, table: ORDERS_ENRICHED}\n"
ORDERS_ENRICHED_DEV_TARGET = "    target: {table: ORDERS_ENRICHED}\n"
CUSTOMERS_DIM_PRD_TAG = "    tag: sprint-41                    # promote by changing this line in review\n"
CUSTOMER_LTV_PRD = '  marketing_prd:\n    tag: "2026.1"\n'


def _check(specs, old: str, new: str) -> int:
    """Replace one check (or other text) of sources.yaml; returns its line."""
    return edit(specs, SOURCES, old, new)


def _prd_freshness(specs, value: str) -> int:
    """Replace order_status@marketing_prd's source_freshness; returns its line."""
    return edit(specs, ORDER_STATUS, PRD_FRESHNESS, f"source_freshness: {value}")


def _add_job_conditions(specs, file: str, after: str, conditions: str) -> int:
    """Give a job `conditions: <conditions>` on the line after `after`; returns that line."""
    return edit(specs, file, after, f"{after}    conditions: {conditions}\n") + after.count("\n")


def _order_status_defaults(specs, block: str) -> int:
    """Append `block` (indented two spaces) to order_status's defaults; returns its first line."""
    return edit(specs, ORDER_STATUS, ORDER_STATUS_DEFAULTS_END, ORDER_STATUS_DEFAULTS_END + block) + 1


def _customers_checks_warn_only(specs) -> None:
    _check(specs, CUSTOMERS_NOT_NULL, "{not_null: [CUSTOMER_ID], severity: warn}")
    _check(specs, CUSTOMERS_UNIQUE, "{unique: [CUSTOMER_ID], severity: warn}")


# --- the demo ------------------------------------------------------------------------------------


def test_demo_order_status_conditions_resolve_per_environment(specs):
    project = load_project(specs)
    prd_orders = SourceRead(ORDERS, TableName("DATALAKE_PRD", "RAW", "ORDERS"), "database mapping")
    sample_orders = SourceRead(ORDERS, TableName("DATALAKE_DEV", "SAMPLE", "ORDERS"), "schema mapping")
    assert project.job("order_status", "marketing_prd").conditions == Conditions(
        freshness=(FreshnessRule(prd_orders, MaxAge(86400, "1d")),),
        require="all",
        changed_since_last_run=True,
        data_quality=(),
    )
    assert project.job("order_status", "sandbox").conditions == Conditions(data_quality=(sample_orders,))
    assert project.job("order_status", "marketing_prd").conditions.describe() == [
        "sources fresh (all): DATALAKE_PRD.RAW.ORDERS within 1d",
        "a source changed since the last materialization",
    ]
    assert project.job("order_status", "sandbox").conditions.describe() == [
        "error checks pass on DATALAKE_DEV.SAMPLE.ORDERS"
    ]
    assert not project.job("order_status", "marketing_dev").conditions  # the design environment has none


def test_demo_source_locations_map_each_environment_to_where_its_jobs_read(specs):
    locations = load_project(specs).source_locations
    assert list(locations) == [CUSTOMERS, ORDERS, ORDER_ITEMS]
    assert locations[ORDERS] == {
        "marketing_dev": TableName("DATALAKE_DEV", "RAW", "ORDERS"),
        "marketing_prd": TableName("DATALAKE_PRD", "RAW", "ORDERS"),
        "sandbox": TableName("DATALAKE_DEV", "SAMPLE", "ORDERS"),
    }
    assert locations[CUSTOMERS] == {
        "marketing_dev": TableName("DATALAKE_DEV", "RAW", "CUSTOMERS"),
        "marketing_prd": TableName("DATALAKE_PRD", "CRM", "CUSTOMERS"),
        "sandbox": TableName("DATALAKE_DEV", "SAMPLE", "CUSTOMERS"),
    }


def test_demo_source_rules_name_their_checks(specs):
    rules = load_project(specs).source_rules
    assert rules.measured == frozenset({ORDERS})  # only ORDERS has a loaded_at
    assert rules.rejected == frozenset()
    assert [c.name for c in rules.checks[ORDERS]] == [
        "not_null_order_id_customer_id",
        "unique_order_id",
        "accepted_values_status",
        "row_count",
        "updated_after_ordered",
    ]
    assert [c.name for c in rules.checks[ORDER_ITEMS]] == [
        "unique_order_id_line_number",
        "expression_quantity_0",
        "plausible_price",
    ]
    # plausible_price is severity warn: it never blocks a job.
    assert [c.name for c in rules.error_checks(ORDER_ITEMS)] == ["unique_order_id_line_number", "expression_quantity_0"]
    assert [c.name for c in rules.checks[CUSTOMERS]] == ["not_null_customer_id", "unique_customer_id"]


# --- sources.yaml: loaded_at and freshness_from --------------------------------------------------


def test_loaded_at_that_is_not_a_declared_column(specs):
    line = _check(specs, ORDERS_LOADED_AT, "loaded_at: LOADED_AT ")
    # Only the source's own error: order_status@marketing_prd's max_age gets no follow-on error.
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.loaded_at")
    assert error.line == line == 15
    assert error.message == "LOADED_AT is not a declared column; declare it under columns with its type"


def test_loaded_at_that_is_not_a_time_column(specs):
    line = _check(specs, ORDERS_LOADED_AT, "loaded_at: STATUS ")
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.loaded_at")
    assert error.line == line == 15
    assert error.message == (
        "STATUS is VARCHAR; loaded_at must be a TIMESTAMP_NTZ, TIMESTAMP_TZ, TIMESTAMP_LTZ or DATE column"
    )


def test_loaded_at_may_be_a_date_column(specs):
    edit(specs, SOURCES, "      ORDERED_AT: TIMESTAMP_NTZ\n", "      ORDERED_AT: DATE\n")
    _check(specs, ORDERS_LOADED_AT, "loaded_at: ORDERED_AT ")
    assert ORDERS in load_project(specs).source_rules.measured


def test_freshness_from_column_without_loaded_at(specs):
    line = _check(specs, ITEMS_DESCRIPTION, ITEMS_DESCRIPTION + "    freshness_from: column\n") + 1
    error = only_error(specs, SOURCES, f"{ITEMS_FIELD}.freshness_from")
    assert error.line == line == 25
    assert error.message == "freshness_from: column reads the loaded_at column: name it with loaded_at"


def test_freshness_from_last_altered_needs_no_loaded_at(specs):
    _check(specs, ITEMS_DESCRIPTION, ITEMS_DESCRIPTION + "    freshness_from: last_altered\n")
    _add_job_conditions(specs, ORDERS_ENRICHED, ORDERS_ENRICHED_PRD_TARGET, "{source_freshness: {max_age: 1d}}")
    project = load_project(specs)
    assert project.source_rules.measured == frozenset({ORDERS, ORDER_ITEMS})
    rules = project.job("orders_enriched", "marketing_prd").conditions.freshness
    assert [(str(r.source.actual), r.max_age) for r in rules] == [
        ("DATALAKE_PRD.RAW.ORDERS", MaxAge(86400, "1d")),
        ("DATALAKE_PRD.RAW.ORDER_ITEMS", MaxAge(86400, "1d")),
    ]


def test_a_source_key_spelled_in_lower_case_is_reported_as_written(specs):
    edit(specs, SOURCES, "  DATALAKE_DEV.RAW.ORDERS:\n", "  datalake_dev.raw.orders:\n")
    line = _check(specs, ORDERS_LOADED_AT, "loaded_at: LOADED_AT ")
    error = only_error(specs, SOURCES, "sources.datalake_dev.raw.orders.loaded_at")
    assert error.line == line == 15
    assert error.message == "LOADED_AT is not a declared column; declare it under columns with its type"


# --- sources.yaml: checks naming columns ---------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "index", "kind", "missing"),
    [
        (ORDERS_NOT_NULL, "{not_null: [ORDER_ID, CUSTOMR_ID]}", 0, "not_null", "CUSTOMR_ID is"),
        (ORDERS_NOT_NULL, "{not_null: [ORDR_ID, CUSTOMR_ID]}", 0, "not_null", "ORDR_ID, CUSTOMR_ID are"),
        (ORDERS_UNIQUE, "{unique: [ORDR_ID]}", 1, "unique", "ORDR_ID is"),
        (ORDERS_ACCEPTED, "{accepted_values: {column: STATE, values: [NEW]}}", 2, "accepted_values", "STATE is"),
    ],
    ids=["not_null", "not_null-two", "unique", "accepted_values"],
)
def test_a_check_naming_an_undeclared_column(specs, old, new, index, kind, missing):
    line = _check(specs, old, new)
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.{index}.{kind}")
    assert error.line == line == 17 + index
    assert error.message == f"{missing} not declared; declared columns: {ORDERS_COLUMNS}"


def test_an_expression_naming_an_undeclared_column(specs):
    line = _check(specs, ITEMS_EXPRESSION, '{expression: "QTY > 0 AND UNIT_PRICE > 0"}')
    error = only_error(specs, SOURCES, f"{ITEMS_FIELD}.checks.1.expression")
    assert error.line == line == 33
    assert error.message == f"QTY is not declared; declared columns: {ITEMS_COLUMNS}"


def test_an_expression_naming_a_quoted_lower_case_column(specs):
    # Quoted, "quantity" is another column than QUANTITY (which unquoted quantity names).
    line = _check(specs, ITEMS_EXPRESSION, """{expression: 'quantity > 0 AND "quantity" > 0'}""")
    error = only_error(specs, SOURCES, f"{ITEMS_FIELD}.checks.1.expression")
    assert error.line == line
    assert error.message == f"quantity is not declared; declared columns: {ITEMS_COLUMNS}"


def test_checks_of_a_source_without_columns_say_how_to_declare_them(specs):
    edit(
        specs,
        SOURCES,
        "    columns:\n      ORDER_ID: NUMBER\n      LINE_NUMBER: NUMBER\n      PRODUCT: VARCHAR\n"
        "      QUANTITY: NUMBER\n      UNIT_PRICE: NUMBER(10,2)\n",
        "",
    )
    errors = spec_errors(specs)
    assert [(rel(specs, e), e.field, e.line) for e in errors] == [
        (SOURCES, f"{ITEMS_FIELD}.checks.0.unique", 26),
        (SOURCES, f"{ITEMS_FIELD}.checks.1.expression", 27),
        (SOURCES, f"{ITEMS_FIELD}.checks.2.expression", 28),
    ]
    none = "declared columns: (none: declare them under columns)"
    assert [e.message for e in errors] == [
        f"ORDER_ID, LINE_NUMBER are not declared; {none}",
        f"QUANTITY is not declared; {none}",
        f"UNIT_PRICE is not declared; {none}",
    ]


# --- sources.yaml: expressions and sql -----------------------------------------------------------


def test_an_expression_that_is_not_one_condition(specs):
    line = _check(specs, ITEMS_EXPRESSION, '{expression: "QUANTITY >="}')
    error = only_error(specs, SOURCES, f"{ITEMS_FIELD}.checks.1.expression")
    assert error.line == line == 33
    assert error.message.startswith("expression is not one SQL condition (")
    assert error.message.endswith("); write e.g. AMOUNT >= 0")


def test_an_expression_that_is_not_one_condition_is_explained_without_python_internals(specs):
    _check(specs, ITEMS_EXPRESSION, '{expression: "QUANTITY >="}')
    error = only_error(specs, SOURCES, f"{ITEMS_FIELD}.checks.1.expression")
    assert "<class" not in error.message and "sqlglot" not in error.message


@pytest.mark.parametrize(
    "expression",
    ["QUANTITY > (SELECT 1)", "QUANTITY IN (SELECT ORDER_ID FROM DATALAKE_DEV.RAW.ORDERS)", "QUANTITY > ?"],
    ids=["scalar subquery", "in subquery", "parameter"],
)
def test_an_expression_with_a_query_or_a_parameter(specs, expression):
    line = _check(specs, ITEMS_EXPRESSION, f'{{expression: "{expression}"}}')
    error = only_error(specs, SOURCES, f"{ITEMS_FIELD}.checks.1.expression")
    assert error.line == line == 33
    assert error.message == (
        "expression may not contain a query or a parameter: write a condition over the row's columns"
    )


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "DELETE FROM {table} WHERE UPDATED_AT < ORDERED_AT",
            "must be exactly one SELECT (returning the failing rows)",
        ),
        ("SELECT * FROM {table}; SELECT * FROM {table}", "must be exactly one SELECT (returning the failing rows)"),
        ("SELECT * FROM {table}; DROP TABLE {table}", "must be exactly one SELECT (returning the failing rows)"),
        (
            "SELECT * FROM DATALAKE_DEV.RAW.ORDERS WHERE UPDATED_AT < ORDERED_AT",
            "must read the source as {table}, e.g. SELECT * FROM {table} WHERE ...",
        ),
        ("SELECT * FROM {table} WHERE STATUS = {status}", "{table} is the only substitution; remove other {...}"),
        ("SELECT * FROM RAW.{table}", "must read the source as {table} in a FROM or JOIN"),
        ("SELECT * FROM {table} WHERE STATUS = :1", "may not contain parameters: {table} is the only substitution"),
    ],
    ids=["delete", "two selects", "select and drop", "no table", "other placeholder", "qualified", "parameter"],
)
def test_a_sql_check_that_is_not_one_select_of_the_table(specs, sql, message):
    line = _check(specs, ORDERS_SQL, f'{{sql: "{sql}", name: updated_after_ordered}}')
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.4.sql")
    assert error.line == line == 21
    assert error.message == f"sql {message}"


def test_a_sql_check_without_a_name(specs):
    line = _check(specs, ORDERS_SQL, '{sql: "SELECT * FROM {table} WHERE UPDATED_AT < ORDERED_AT"}')
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.4")
    assert error.line == line == 21
    assert error.message == "a sql check needs a name"


# --- sources.yaml: the shape of a check ----------------------------------------------------------


def test_an_unknown_check_kind_lists_the_allowed_fields(specs):
    line = _check(specs, ORDERS_ROW_COUNT, "{nonsense: [X]}")
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.3.nonsense")
    assert error.line == line == 20
    assert error.message == f"unknown field 'nonsense'; allowed: {CHECK_KINDS}, name, severity"


def test_a_check_of_two_kinds(specs):
    line = _check(specs, ORDERS_ROW_COUNT, "{row_count: {min: 1}, not_null: [STATUS]}")
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.3")
    assert error.line == line == 20
    assert error.message == f"{ONE_KIND} (this one is not_null and row_count)"


def test_a_check_of_no_kind(specs):
    line = _check(specs, ORDERS_ROW_COUNT, "{severity: warn}")
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.3")
    assert error.line == line == 20
    assert error.message == ONE_KIND


def test_two_checks_with_the_same_derived_name(specs):
    line = _check(specs, ORDERS_ROW_COUNT, "{unique: [ORDER_ID], severity: warn}")
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.3")
    assert error.line == line == 20
    assert error.message.startswith("check name 'unique_order_id' is already used by check 1 of this source")


def test_two_expressions_that_differ_only_in_spelling_have_the_same_derived_name(specs):
    line = _check(specs, ITEMS_EXPRESSION, f'{ITEMS_EXPRESSION}\n      - {{expression: "quantity>0"}}') + 1
    error = only_error(specs, SOURCES, f"{ITEMS_FIELD}.checks.2")
    assert error.line == line == 34
    assert error.message.startswith("check name 'expression_quantity_0' is already used by check 1 of this source")


def test_the_duplicate_check_name_message_is_complete(specs):
    _check(specs, ORDERS_ROW_COUNT, "{unique: [ORDER_ID], severity: warn}")
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.3")
    assert error.message == "check name 'unique_order_id' is already used by check 1 of this source; give one a name"


def test_a_name_resolves_a_clash_of_derived_names(specs):
    _check(specs, ORDERS_ROW_COUNT, "{unique: [ORDER_ID], severity: warn, name: unique_order_id_warn}")
    names = [c.name for c in load_project(specs).source_rules.checks[ORDERS]]
    assert names == [
        "not_null_order_id_customer_id",
        "unique_order_id",
        "accepted_values_status",
        "unique_order_id_warn",
        "updated_after_ordered",
    ]


@pytest.mark.parametrize(
    ("bounds", "message"),
    [("{}", "give min, max or both"), ("{min: 5, max: 2}", "min (5) is greater than max (2)")],
    ids=["neither", "min above max"],
)
def test_bad_row_count_bounds(specs, bounds, message):
    line = _check(specs, ORDERS_ROW_COUNT, f"{{row_count: {bounds}}}")
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.3.row_count")
    assert error.line == line == 20
    assert error.message == message


def test_a_bad_severity(specs):
    line = _check(specs, ORDERS_ROW_COUNT, "{row_count: {min: 1}, severity: fatal}")
    # sources.yaml is rejected as a whole: the jobs' conditions on its sources stay quiet.
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.3.severity")
    assert error.line == line == 20
    assert error.message == "Input should be 'error' or 'warn'"


def test_a_bad_check_name(specs):
    line = _check(specs, ORDERS_SQL, '{sql: "SELECT * FROM {table}", name: Updated-After}')
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.4.name")
    assert error.line == line == 21
    assert error.message == (
        "'Updated-After' is not allowed: use lower-case letters, digits and '_', starting with a letter (at most 64)"
    )


def test_a_boolean_accepted_value_is_one_error_at_the_value(specs):
    line = _check(specs, ORDERS_ACCEPTED, "{accepted_values: {column: STATUS, values: [NEW, true]}}")
    error = only_error(specs, SOURCES, f"{ORDERS_FIELD}.checks.2.accepted_values.values.1")
    assert error.line == line == 19
    assert "bool" in error.message


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_a_non_finite_accepted_value_is_rejected(specs, value):
    line = _check(specs, ORDERS_ACCEPTED, f"{{accepted_values: {{column: STATUS, values: [NEW, {value}]}}}}")
    errors = spec_errors(specs)
    assert [(rel(specs, e), e.field, e.line) for e in errors] == [
        (SOURCES, f"{ORDERS_FIELD}.checks.2.accepted_values.values.1", line)
    ]


def test_a_source_declared_twice_in_different_case(specs):
    line = edit(
        specs,
        SOURCES,
        "  DATALAKE_DEV.RAW.CUSTOMERS:\n",
        "  datalake_dev.raw.orders:\n    columns: {ORDER_ID: NUMBER}\n  DATALAKE_DEV.RAW.CUSTOMERS:\n",
    )
    error = only_error(specs, SOURCES, "sources.datalake_dev.raw.orders")
    assert error.line == line
    assert "DATALAKE_DEV.RAW.ORDERS" in error.message


# --- sources.yaml: several at once, and follow-on errors -----------------------------------------


def test_every_error_of_one_source_is_reported_at_once(specs):
    loaded_at = _check(specs, ORDERS_LOADED_AT, "loaded_at: STATUS ")
    not_null = _check(specs, ORDERS_NOT_NULL, "{not_null: [ORDR_ID]}")
    duplicate = _check(specs, ORDERS_ROW_COUNT, "{unique: [ORDER_ID], severity: warn}")
    sql = _check(specs, ORDERS_SQL, '{sql: "DELETE FROM {table}", name: updated_after_ordered}')
    errors = spec_errors(specs)
    assert [(rel(specs, e), e.field, e.line) for e in errors] == [
        (SOURCES, f"{ORDERS_FIELD}.loaded_at", loaded_at),
        (SOURCES, f"{ORDERS_FIELD}.checks.0.not_null", not_null),
        (SOURCES, f"{ORDERS_FIELD}.checks.3", duplicate),
        (SOURCES, f"{ORDERS_FIELD}.checks.4.sql", sql),
    ]
    assert errors[1].message == f"ORDR_ID is not declared; declared columns: {ORDERS_COLUMNS}"
    assert errors[3].message == "sql must be exactly one SELECT (returning the failing rows)"


def test_source_and_condition_errors_in_several_files_are_all_reported(specs):
    loaded_at = _check(specs, ORDERS_LOADED_AT, "loaded_at: STATUS ")
    expression = _check(specs, ITEMS_EXPRESSION, '{expression: "QTY > 0"}')
    duplicate = _check(specs, CUSTOMERS_UNIQUE, "{not_null: [CUSTOMER_ID], severity: warn}")
    not_read = _add_job_conditions(
        specs, CUSTOMERS_DIM, CUSTOMERS_DIM_PRD_TAG, "{source_freshness: {DATALAKE_DEV.RAW.ORDER_ITEMS: {max_age: 1h}}}"
    )
    require = _prd_freshness(specs, "{max_age: 1d, require: any}")
    errors = spec_errors(specs)
    assert [(rel(specs, e), e.field, e.line) for e in errors] == [
        (CUSTOMERS_DIM, "jobs.marketing_prd.conditions.source_freshness.DATALAKE_DEV.RAW.ORDER_ITEMS", not_read),
        (ORDER_STATUS, "jobs.marketing_prd.conditions.source_freshness", require),
        (SOURCES, f"{ORDERS_FIELD}.loaded_at", loaded_at),
        (SOURCES, f"{ITEMS_FIELD}.checks.1.expression", expression),
        (SOURCES, f"{CUSTOMERS_FIELD}.checks.1", duplicate),
    ]
    assert errors[0].message == (
        "model 'customers_dim' does not read DATALAKE_DEV.RAW.ORDER_ITEMS; it reads: DATALAKE_DEV.RAW.CUSTOMERS"
    )


def test_a_source_with_errors_gives_no_follow_on_condition_errors(specs):
    # order_status@sandbox requires the checks of ORDERS, and @marketing_prd its freshness: neither
    # is reported as missing while ORDERS's own errors are.
    line = _check(specs, ORDERS_NOT_NULL, "{not_null: [ORDR_ID]}")
    _check(specs, ORDERS_LOADED_AT, "loaded_at: STATUS ")
    errors = spec_errors(specs)
    assert where(specs, errors) == [
        (SOURCES, f"{ORDERS_FIELD}.loaded_at"),
        (SOURCES, f"{ORDERS_FIELD}.checks.0.not_null"),
    ]
    assert errors[1].line == line


def test_a_broken_sources_yaml_gives_no_follow_on_condition_errors(specs):
    line = _check(specs, CUSTOMERS_NOT_NULL, "{not_null: [CUSTOMER_ID]")
    error = only_error(specs, SOURCES, "")
    assert error.line == line + 1  # where the parser finds the flow mapping unclosed
    assert error.message == "invalid YAML: while parsing a flow mapping expected ',' or '}', but got '-'"


# --- jobs: source_freshness ----------------------------------------------------------------------


def test_source_freshness_naming_a_source_the_model_does_not_read(specs):
    line = _prd_freshness(specs, "{DATALAKE_DEV.RAW.CUSTOMERS: {max_age: 6h}}")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.conditions.source_freshness.DATALAKE_DEV.RAW.CUSTOMERS")
    assert error.line == line == 23
    assert error.message == (
        "model 'order_status' does not read DATALAKE_DEV.RAW.CUSTOMERS; it reads: DATALAKE_DEV.RAW.ORDERS"
    )


def test_source_freshness_naming_a_source_not_read_on_a_line_of_its_own(specs):
    line = edit(
        specs,
        ORDER_STATUS,
        f"{PRD_FRESHNESS} ",
        "source_freshness:\n        require: any\n        DATALAKE_DEV.RAW.CUSTOMERS: {max_age: 6h}\n     ",
    )
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.conditions.source_freshness.DATALAKE_DEV.RAW.CUSTOMERS")
    assert error.line == line + 2 == 25
    assert error.message == (
        "model 'order_status' does not read DATALAKE_DEV.RAW.CUSTOMERS; it reads: DATALAKE_DEV.RAW.ORDERS"
    )


def test_source_freshness_naming_a_source_in_lower_case_is_reported_as_written(specs):
    line = edit(
        specs,
        ORDER_STATUS,
        f"{PRD_FRESHNESS} ",
        "source_freshness:\n        datalake_dev.raw.customers: {max_age: 6h}\n     ",
    )
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.conditions.source_freshness.datalake_dev.raw.customers")
    assert error.line == line + 1 == 24


def test_source_freshness_naming_a_source_without_freshness(specs):
    line = _add_job_conditions(
        specs,
        ORDERS_ENRICHED,
        ORDERS_ENRICHED_PRD_TARGET,
        "{source_freshness: {DATALAKE_DEV.RAW.ORDER_ITEMS: {max_age: 6h}}}",
    )
    error = only_error(
        specs, ORDERS_ENRICHED, "jobs.marketing_prd.conditions.source_freshness.DATALAKE_DEV.RAW.ORDER_ITEMS"
    )
    assert error.line == line == 12
    assert error.message == f"DATALAKE_DEV.RAW.ORDER_ITEMS {NO_FRESHNESS}"


def test_source_freshness_per_source_resolves_to_the_location_read(specs):
    _add_job_conditions(
        specs,
        ORDERS_ENRICHED,
        ORDERS_ENRICHED_PRD_TARGET,
        "{source_freshness: {DATALAKE_DEV.RAW.ORDERS: {max_age: 6h}, require: any}}",
    )
    conditions = load_project(specs).job("orders_enriched", "marketing_prd").conditions
    prd_orders = SourceRead(ORDERS, TableName("DATALAKE_PRD", "RAW", "ORDERS"), "database mapping")
    assert conditions == Conditions(freshness=(FreshnessRule(prd_orders, MaxAge(21600, "6h")),), require="any")


def test_max_age_for_every_source_when_a_source_read_has_no_freshness(specs):
    line = _add_job_conditions(specs, ORDERS_ENRICHED, ORDERS_ENRICHED_PRD_TARGET, "{source_freshness: {max_age: 1d}}")
    error = only_error(specs, ORDERS_ENRICHED, "jobs.marketing_prd.conditions.source_freshness")
    assert error.line == line == 12
    assert error.message == (
        "source_freshness applies to every source 'orders_enriched' reads, but DATALAKE_DEV.RAW.ORDER_ITEMS has "
        "no freshness: give it loaded_at (or freshness_from: last_altered) in sources.yaml, or name the sources "
        "to check"
    )


def test_max_age_for_every_source_when_several_have_no_freshness(specs):
    _check(
        specs, "    loaded_at: UPDATED_AT             # every export rewrites UPDATED_AT of the orders it changes\n", ""
    )
    edit(specs, ORDER_STATUS, PRD_CONDITIONS, "")
    line = _add_job_conditions(specs, ORDERS_ENRICHED, ORDERS_ENRICHED_PRD_TARGET, "{source_freshness: {max_age: 1d}}")
    error = only_error(specs, ORDERS_ENRICHED, "jobs.marketing_prd.conditions.source_freshness")
    assert error.line == line
    assert error.message == (
        "source_freshness applies to every source 'orders_enriched' reads, but DATALAKE_DEV.RAW.ORDERS, "
        "DATALAKE_DEV.RAW.ORDER_ITEMS have no freshness: give them loaded_at (or freshness_from: last_altered) "
        "in sources.yaml, or name the sources to check"
    )


def test_max_age_and_per_source_bounds_at_once(specs):
    line = _prd_freshness(specs, "{max_age: 1d, DATALAKE_DEV.RAW.ORDERS: {max_age: 6h}}")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.conditions.source_freshness")
    assert error.line == line == 23
    assert error.message == (
        "give either max_age (every source) or bounds per source, e.g. {DATALAKE_DEV.RAW.ORDERS: {max_age: 6h}}, "
        "not both"
    )


def test_source_freshness_with_no_bound(specs):
    line = _prd_freshness(specs, "{}")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.conditions.source_freshness")
    assert error.line == line == 23
    assert error.message == (
        "give max_age (every source), or bounds per source, e.g. {DATALAKE_DEV.RAW.ORDERS: {max_age: 6h}}"
    )


def test_require_without_named_sources(specs):
    line = _prd_freshness(specs, "{max_age: 1d, require: any}")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.conditions.source_freshness")
    assert error.line == line == 23
    assert error.message == "require says how many of the named sources must be fresh: name sources, or remove it"


def test_a_bad_require(specs):
    line = _prd_freshness(specs, "{DATALAKE_DEV.RAW.ORDERS: {max_age: 1d}, require: some}")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.conditions.source_freshness.require")
    assert error.line == line == 23
    assert error.message == "Input should be 'any' or 'all'"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1 day", f"'1 day' is not a duration: {DURATION_RULE}"),
        ("4000d", "'4000d' is too long: at most 3650d"),
    ],
    ids=["words", "too long"],
)
def test_a_bad_max_age(specs, value, message):
    line = _prd_freshness(specs, f"{{max_age: {value}}}")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.conditions.source_freshness.max_age")
    assert error.line == line == 23
    assert error.message == message


@pytest.mark.parametrize(
    ("written", "offset", "message"),
    [
        # The error belongs on the line of max_age (two below source_freshness) ...
        (
            "source_freshness:\n        DATALAKE_DEV.RAW.ORDERS:\n          max_age: 1 day\n     ",
            2,
            f"'1 day' is not a duration: {DURATION_RULE}",
        ),
        # ... or, where max_age is missing, of the source's key (one below).
        ("source_freshness:\n        DATALAKE_DEV.RAW.ORDERS: {}\n     ", 1, "required field is missing"),
    ],
    ids=["bad max_age", "no max_age"],
)
def test_a_bad_bound_of_a_named_source_is_reported_where_it_is_written(specs, written, offset, message):
    line = edit(specs, ORDER_STATUS, f"{PRD_FRESHNESS} ", written)
    error = only_error(
        specs, ORDER_STATUS, "jobs.marketing_prd.conditions.source_freshness.DATALAKE_DEV.RAW.ORDERS.max_age"
    )
    assert error.line == line + offset
    assert error.message == message


def test_a_named_source_that_is_not_a_table_name(specs):
    line = _prd_freshness(specs, "{DATALAKE_DEV.ORDERS: {max_age: 1d}}")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.conditions.source_freshness.DATALAKE_DEV.ORDERS")
    assert error.line == line
    assert error.message == "'DATALAKE_DEV.ORDERS' is not a table name: use DATABASE.SCHEMA.TABLE"


def test_one_source_named_twice_in_source_freshness(specs):
    _prd_freshness(specs, "{DATALAKE_DEV.RAW.ORDERS: {max_age: 1h}, datalake_dev.raw.orders: {max_age: 2d}}")
    errors = spec_errors(specs)
    assert [(rel(specs, e), e.line) for e in errors] == [(ORDER_STATUS, 23)]
    assert errors[0].field.startswith("jobs.marketing_prd.conditions.source_freshness")


# --- jobs: source_data_quality -------------------------------------------------------------------


def test_source_data_quality_naming_a_source_the_model_does_not_read(specs):
    line = edit(specs, ORDER_STATUS, SANDBOX_QUALITY, "source_data_quality: [DATALAKE_DEV.RAW.CUSTOMERS] ")
    error = only_error(specs, ORDER_STATUS, "jobs.sandbox.conditions.source_data_quality.0")
    assert error.line == line == 31
    assert error.message == (
        "model 'order_status' does not read DATALAKE_DEV.RAW.CUSTOMERS; it reads: DATALAKE_DEV.RAW.ORDERS"
    )


def test_source_data_quality_naming_a_source_without_error_checks(specs):
    _customers_checks_warn_only(specs)
    line = _add_job_conditions(
        specs, CUSTOMERS_DIM, CUSTOMERS_DIM_PRD_TAG, "{source_data_quality: [DATALAKE_DEV.RAW.CUSTOMERS]}"
    )
    error = only_error(specs, CUSTOMERS_DIM, "jobs.marketing_prd.conditions.source_data_quality.0")
    assert error.line == line == 8
    assert error.message == "DATALAKE_DEV.RAW.CUSTOMERS has no error-severity checks in sources.yaml"


def test_source_data_quality_true_where_no_source_read_has_error_checks(specs):
    _customers_checks_warn_only(specs)
    line = _add_job_conditions(specs, CUSTOMERS_DIM, CUSTOMERS_DIM_PRD_TAG, "{source_data_quality: true}")
    error = only_error(specs, CUSTOMERS_DIM, "jobs.marketing_prd.conditions.source_data_quality")
    assert error.line == line == 8
    assert error.message == (
        "none of the sources 'customers_dim' reads (DATALAKE_DEV.RAW.CUSTOMERS) has error-severity checks in "
        "sources.yaml"
    )


def test_source_data_quality_true_takes_the_sources_read_that_have_error_checks(specs):
    _add_job_conditions(specs, ORDERS_ENRICHED, ORDERS_ENRICHED_PRD_TARGET, "{source_data_quality: true}")
    conditions = load_project(specs).job("orders_enriched", "marketing_prd").conditions
    assert [(str(s.design), str(s.actual)) for s in conditions.data_quality] == [
        ("DATALAKE_DEV.RAW.ORDERS", "DATALAKE_PRD.RAW.ORDERS"),
        ("DATALAKE_DEV.RAW.ORDER_ITEMS", "DATALAKE_PRD.RAW.ORDER_ITEMS"),
    ]


def test_source_data_quality_naming_a_bad_table_is_one_error_at_the_item(specs):
    line = edit(specs, ORDER_STATUS, SANDBOX_QUALITY, "source_data_quality: [DATALAKE_DEV.ORDERS] ")
    error = only_error(specs, ORDER_STATUS, "jobs.sandbox.conditions.source_data_quality.0")
    assert error.line == line == 31
    assert error.message == "'DATALAKE_DEV.ORDERS' is not a table name: use DATABASE.SCHEMA.TABLE"


def test_source_data_quality_yes_is_one_error_at_the_field(specs):
    line = edit(specs, ORDER_STATUS, SANDBOX_QUALITY, "source_data_quality: yes ")
    error = only_error(specs, ORDER_STATUS, "jobs.sandbox.conditions.source_data_quality")
    assert error.line == line == 31


# --- jobs: models that read only other models' targets -------------------------------------------


def test_source_freshness_on_a_model_that_reads_only_other_models_targets(specs):
    line = _add_job_conditions(specs, CUSTOMER_LTV, CUSTOMER_LTV_PRD, "{source_freshness: {max_age: 1d}}")
    error = only_error(specs, CUSTOMER_LTV, "jobs.marketing_prd.conditions.source_freshness")
    assert error.line == line == 14
    assert error.message == (
        "source_freshness: model 'customer_ltv' reads no source table, only other models' targets (their "
        "freshness is their own models' `freshness:`)"
    )


def test_source_data_quality_on_a_model_that_reads_only_other_models_targets(specs):
    line = _add_job_conditions(specs, CUSTOMER_LTV, CUSTOMER_LTV_PRD, "{source_data_quality: true}")
    error = only_error(specs, CUSTOMER_LTV, "jobs.marketing_prd.conditions.source_data_quality")
    assert error.line == line == 14
    assert error.message == (
        "source_data_quality: model 'customer_ltv' reads no source table, only other models' targets (checks "
        "are declared on source tables in sources.yaml)"
    )


def test_source_data_quality_on_targets_is_not_explained_by_freshness(specs):
    _add_job_conditions(specs, CUSTOMER_LTV, CUSTOMER_LTV_PRD, "{source_data_quality: true}")
    error = only_error(specs, CUSTOMER_LTV, "jobs.marketing_prd.conditions.source_data_quality")
    assert "freshness" not in error.message


def test_naming_another_models_target_says_it_is_that_models_target(specs):
    line = _add_job_conditions(
        specs, CUSTOMER_LTV, CUSTOMER_LTV_PRD, "{source_freshness: {ANALYTICS_DEV.MARTS.CUSTOMERS_DIM: {max_age: 1d}}}"
    )
    error = only_error(
        specs, CUSTOMER_LTV, "jobs.marketing_prd.conditions.source_freshness.ANALYTICS_DEV.MARTS.CUSTOMERS_DIM"
    )
    assert error.line == line
    assert "does not read" not in error.message
    assert "customers_dim" in error.message


# --- jobs: the rest of a conditions block --------------------------------------------------------


def test_an_unknown_condition(specs):
    line = edit(specs, ORDER_STATUS, PRD_CHANGED, "changed_since_lastrun: true ")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.conditions.changed_since_lastrun")
    assert error.line == line == 24
    assert error.message == (
        "unknown field 'changed_since_lastrun'; allowed: source_freshness, changed_since_last_run, source_data_quality"
    )


def test_changed_since_last_run_yes_is_not_a_boolean(specs):
    line = edit(specs, ORDER_STATUS, PRD_CHANGED, "changed_since_last_run: yes ")
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_prd.conditions.changed_since_last_run")
    assert error.line == line == 24
    assert error.message == "Input should be a valid boolean"


# --- defaults ------------------------------------------------------------------------------------


def test_default_conditions_are_inherited_field_by_field(specs):
    _order_status_defaults(
        specs, "  conditions:\n    source_freshness: {max_age: 2h}\n    changed_since_last_run: true\n"
    )
    # marketing_prd overrides one field and keeps the default's other.
    edit(specs, ORDER_STATUS, PRD_CONDITIONS, "    conditions: {changed_since_last_run: false}\n")
    project = load_project(specs)
    two_hours = MaxAge(7200, "2h")
    dev_orders = SourceRead(ORDERS, ORDERS, "as written")
    prd_orders = SourceRead(ORDERS, TableName("DATALAKE_PRD", "RAW", "ORDERS"), "database mapping")
    sample_orders = SourceRead(ORDERS, TableName("DATALAKE_DEV", "SAMPLE", "ORDERS"), "schema mapping")
    assert project.job("order_status", "marketing_dev").conditions == Conditions(
        freshness=(FreshnessRule(dev_orders, two_hours),), changed_since_last_run=True
    )
    assert project.job("order_status", "marketing_prd").conditions == Conditions(
        freshness=(FreshnessRule(prd_orders, two_hours),), changed_since_last_run=False
    )
    # The sandbox adds a field of its own to both of the default's.
    assert project.job("order_status", "sandbox").conditions == Conditions(
        freshness=(FreshnessRule(sample_orders, two_hours),), changed_since_last_run=True, data_quality=(sample_orders,)
    )


def test_a_condition_set_to_null_removes_the_defaults(specs):
    _order_status_defaults(
        specs, "  conditions:\n    source_freshness: {max_age: 2h}\n    changed_since_last_run: true\n"
    )
    edit(specs, ORDER_STATUS, PRD_CONDITIONS, "    conditions: {source_freshness: null}\n")
    conditions = load_project(specs).job("order_status", "marketing_prd").conditions
    assert conditions == Conditions(changed_since_last_run=True)


def test_conditions_null_removes_the_defaults_conditions(specs):
    _order_status_defaults(specs, "  conditions:\n    changed_since_last_run: true\n")
    edit(specs, ORDER_STATUS, SANDBOX_CONDITIONS, "    conditions: null\n")
    project = load_project(specs)
    assert project.job("order_status", "sandbox").conditions == Conditions()
    assert not project.job("order_status", "sandbox").conditions
    assert project.job("order_status", "sandbox").conditions.describe() == []
    assert project.job("order_status", "marketing_dev").conditions == Conditions(changed_since_last_run=True)


def test_an_error_in_the_defaults_conditions_is_reported_once(specs):
    # All three of customers_dim's jobs (each reading CUSTOMERS from another location) inherit it.
    line = edit(
        specs,
        CUSTOMERS_DIM,
        "model: customers_dim\n",
        "model: customers_dim\ndefaults:\n  conditions:\n"
        "    source_freshness: {DATALAKE_DEV.RAW.ORDERS: {max_age: 1h}}\n",
    )
    error = only_error(specs, CUSTOMERS_DIM, "defaults.conditions.source_freshness.DATALAKE_DEV.RAW.ORDERS")
    assert error.line == line + 3 == 5
    assert error.message == (
        "model 'customers_dim' does not read DATALAKE_DEV.RAW.ORDERS; it reads: DATALAKE_DEV.RAW.CUSTOMERS"
    )


def test_a_missing_freshness_in_the_defaults_conditions_is_reported_once(specs):
    line = edit(
        specs,
        CUSTOMERS_DIM,
        "model: customers_dim\n",
        "model: customers_dim\ndefaults:\n  conditions:\n    source_freshness: {max_age: 1h}\n",
    )
    error = only_error(specs, CUSTOMERS_DIM, "defaults.conditions.source_freshness")
    assert error.line == line + 3 == 5
    assert error.message == (
        "source_freshness applies to every source 'customers_dim' reads, but DATALAKE_DEV.RAW.CUSTOMERS has no "
        "freshness: give it loaded_at (or freshness_from: last_altered) in sources.yaml, or name the sources to check"
    )


# --- freshness of a job's own target -------------------------------------------------------------


def test_freshness_of_a_job_resolves_to_its_max_age(specs):
    edit(specs, ORDER_STATUS, ORDER_STATUS_DEV, ORDER_STATUS_DEV + "    freshness: {max_age: 6h}\n")
    project = load_project(specs)
    assert project.job("order_status", "marketing_dev").freshness == MaxAge(21600, "6h")
    assert project.job("order_status", "marketing_prd").freshness is None


def test_default_freshness_applies_to_every_job_unless_set_to_null(specs):
    _order_status_defaults(specs, "  freshness: {max_age: 30m}\n")
    edit(specs, ORDER_STATUS, ORDER_STATUS_DEV, ORDER_STATUS_DEV + "    freshness: null\n")
    project = load_project(specs)
    assert project.job("order_status", "marketing_dev").freshness is None
    assert project.job("order_status", "marketing_prd").freshness == MaxAge(1800, "30m")
    assert project.job("order_status", "sandbox").freshness == MaxAge(1800, "30m")


@pytest.mark.parametrize(
    ("value", "message"),
    [("{max_age: soon}", f"'soon' is not a duration: {DURATION_RULE}"), ("{}", "required field is missing")],
    ids=["bad duration", "missing"],
)
def test_a_bad_freshness(specs, value, message):
    line = edit(specs, ORDER_STATUS, ORDER_STATUS_DEV, ORDER_STATUS_DEV + f"    freshness: {value}\n") + 2
    error = only_error(specs, ORDER_STATUS, "jobs.marketing_dev.freshness.max_age")
    assert error.line == line == 14
    assert error.message == message


# --- one source read from several locations in one environment -----------------------------------


def _read_orders_from_two_locations_in_marketing_dev(specs) -> None:
    """customers_dim (a new latest tag), order_status and orders_enriched all read ORDERS in
    marketing_dev; orders_enriched reads it from ARCHIVE, the others as written (RAW)."""
    add_tag(
        specs,
        "customers_dim",
        "sprint-43",
        "SELECT CUSTOMER_ID, NAME, COUNTRY FROM DATALAKE_DEV.RAW.CUSTOMERS\n"
        "WHERE CUSTOMER_ID IN (SELECT CUSTOMER_ID FROM DATALAKE_DEV.RAW.ORDERS)\n",
    )
    edit(
        specs,
        ORDERS_ENRICHED,
        ORDERS_ENRICHED_DEV_TARGET,
        ORDERS_ENRICHED_DEV_TARGET + "    source_mapping: {DATALAKE_DEV.RAW.ORDERS: DATALAKE_DEV.ARCHIVE.ORDERS}\n",
    )


SEVERAL_LOCATIONS = (
    "source DATALAKE_DEV.RAW.ORDERS is read from several locations in 'marketing_dev' "
    "(DATALAKE_DEV.ARCHIVE.ORDERS by orders_enriched; DATALAKE_DEV.RAW.ORDERS by customers_dim, order_status); "
    "its marketing_dev partition in Dagster (checks, freshness) shows DATALAKE_DEV.RAW.ORDERS, and each job's "
    "conditions use the location it reads"
)


def test_a_checked_source_read_from_several_locations_in_one_environment_is_a_warning(specs):
    _read_orders_from_two_locations_in_marketing_dev(specs)
    loaded, errors = load_specs(specs)
    assert loaded is not None
    project = compile_project(loaded, errors)
    assert errors.errors == []
    assert [(w.file, w.field, w.line, w.message) for w in errors.warnings] == [
        (specs / SOURCES, "", None, SEVERAL_LOCATIONS)
    ]
    # The partition stands for the location most jobs read (RAW: two), though ARCHIVE sorts first.
    assert project.source_locations[ORDERS]["marketing_dev"] == ORDERS
    # Each job's conditions and reads still use its own location.
    assert [str(s.actual) for s in project.job("orders_enriched", "marketing_dev").sources] == [
        "DATALAKE_DEV.ARCHIVE.ORDERS",
        "DATALAKE_DEV.RAW.ORDER_ITEMS",
    ]


def test_a_tie_between_locations_shows_the_first_by_name(specs):
    edit(
        specs,
        ORDERS_ENRICHED,
        ORDERS_ENRICHED_DEV_TARGET,
        ORDERS_ENRICHED_DEV_TARGET + "    source_mapping: {DATALAKE_DEV.RAW.ORDERS: DATALAKE_DEV.ARCHIVE.ORDERS}\n",
    )
    loaded, errors = load_specs(specs)
    assert loaded is not None
    project = compile_project(loaded, errors)
    assert [w.message for w in errors.warnings] == [
        "source DATALAKE_DEV.RAW.ORDERS is read from several locations in 'marketing_dev' "
        "(DATALAKE_DEV.ARCHIVE.ORDERS by orders_enriched; DATALAKE_DEV.RAW.ORDERS by order_status); "
        "its marketing_dev partition in Dagster (checks, freshness) shows DATALAKE_DEV.ARCHIVE.ORDERS, and each "
        "job's conditions use the location it reads"
    ]
    assert project.source_locations[ORDERS]["marketing_dev"] == TableName("DATALAKE_DEV", "ARCHIVE", "ORDERS")


def test_a_source_without_checks_or_freshness_read_from_several_locations_is_no_warning(specs):
    # ORDER_ITEMS loses its checks: with nothing measured, where it is read is nobody's concern.
    edit(
        specs,
        SOURCES,
        f"    checks:\n      - {ITEMS_UNIQUE}\n      - {ITEMS_EXPRESSION}\n"
        '      - {expression: "UNIT_PRICE < 1000", severity: warn, name: plausible_price}\n',
        "",
    )
    edit(
        specs,
        ORDERS_ENRICHED,
        ORDERS_ENRICHED_DEV_TARGET,
        ORDERS_ENRICHED_DEV_TARGET + "    source_mapping: {DATALAKE_DEV.RAW.ORDER_ITEMS: DATALAKE_DEV.ARCHIVE.ITEMS}\n",
    )
    loaded, errors = load_specs(specs)
    assert loaded is not None
    compile_project(loaded, errors)
    assert errors.errors == [] and errors.warnings == []


def test_load_project_surfaces_the_several_locations_warning(specs):
    _read_orders_from_two_locations_in_marketing_dev(specs)
    project = load_project(specs)
    assert [w.message for w in project.specs.warnings] == [SEVERAL_LOCATIONS]


def test_the_line_helper_agrees_with_the_demo_layout(specs):
    # The line numbers asserted above are those of the demo files as they are.
    assert line_of(specs, SOURCES, ORDERS_LOADED_AT) == 15
    assert line_of(specs, SOURCES, ITEMS_EXPRESSION) == 33
    assert line_of(specs, ORDER_STATUS, PRD_FRESHNESS) == 23
    assert line_of(specs, ORDER_STATUS, SANDBOX_QUALITY) == 31


def test_changed_since_last_run_on_a_model_that_reads_only_other_models_targets(specs):
    line = _add_job_conditions(specs, CUSTOMER_LTV, CUSTOMER_LTV_PRD, "{changed_since_last_run: true}")
    error = only_error(specs, CUSTOMER_LTV, "jobs.marketing_prd.conditions.changed_since_last_run")
    assert error.line == line
    assert error.message == (
        "changed_since_last_run: model 'customer_ltv' reads no source table, only other models' targets (it runs "
        "after them: use a trigger on their Model Jobs instead)"
    )

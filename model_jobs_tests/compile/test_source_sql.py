"""The SQL that measures sources and runs their checks, by string equality: every check kind,
quoting (identifiers always quoted, values escaped), {table} bound to the mapped location and
nothing else substituted, '%' left alone (these statements take no parameters), freshness of many
tables in one statement, and LAST_ALTERED with names bound as parameters. Pure."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from model_jobs.compile.source_sql import (
    SAMPLE_ROWS,
    CheckSqlError,
    Measured,
    ParsedCheck,
    bind_table,
    check_statement,
    expression_columns,
    freshness_statement,
    last_altered_statement,
    parse_check,
    parse_expression,
    parse_sql_check,
    sample_statement,
)
from model_jobs.identifiers import DIALECT, TableName
from model_jobs.specs.models import CheckSpec

PRD_ORDERS = TableName("DATALAKE_PRD", "RAW", "ORDERS")
LOCATION = '"DATALAKE_PRD"."RAW"."ORDERS"'
COUNT_ROWS = 'SELECT COUNT(*) AS "ROWS"'
ONE_SELECT = "must be exactly one SELECT (returning the failing rows)"


def check(**fields) -> ParsedCheck:
    return parse_check(CheckSpec(**fields))


def bound(sql: str, location: TableName = PRD_ORDERS) -> str:
    return bind_table(parse_sql_check(sql), location).sql(dialect=DIALECT)


def sql_error(sql: str) -> str:
    with pytest.raises(CheckSqlError) as info:
        parse_sql_check(sql)
    return str(info.value)


def expression_error(text: str) -> str:
    with pytest.raises(CheckSqlError) as info:
        parse_expression(text)
    return str(info.value)


def accepted(*values) -> ParsedCheck:
    return check(accepted_values={"column": "STATUS", "values": list(values)})


# --- check_statement: one kind at a time ---------------------------------------------------------


def test_no_checks_counts_the_rows_only():
    assert check_statement(PRD_ORDERS, []) == f"{COUNT_ROWS} FROM {LOCATION}"


def test_not_null_counts_rows_where_any_column_is_null():
    statement = check_statement(PRD_ORDERS, [check(not_null=["ORDER_ID", "CUSTOMER_ID"])])
    assert statement == (
        f'{COUNT_ROWS}, COUNT_IF("ORDER_ID" IS NULL OR "CUSTOMER_ID" IS NULL) AS "CHECK_0" FROM {LOCATION}'
    )


def test_unique_counts_rows_sharing_their_key_from_a_window_over_the_location():
    statement = check_statement(PRD_ORDERS, [check(unique=["ORDER_ID", "LINE_NUMBER"])])
    assert statement == (
        f'{COUNT_ROWS}, COUNT_IF("MODEL_JOBS_UNIQUE_0" > 1 AND NOT "ORDER_ID" IS NULL AND NOT "LINE_NUMBER" IS NULL) '
        'AS "CHECK_0" FROM (SELECT *, COUNT(*) OVER (PARTITION BY "ORDER_ID", "LINE_NUMBER") AS "MODEL_JOBS_UNIQUE_0" '
        f"FROM {LOCATION})"
    )


def test_accepted_values_counts_non_null_values_outside_the_list():
    statement = check_statement(PRD_ORDERS, [accepted("NEW", "SHIPPED", 3, 2.5)])
    assert statement == (
        f"{COUNT_ROWS}, COUNT_IF(NOT \"STATUS\" IS NULL AND NOT \"STATUS\" IN ('NEW', 'SHIPPED', 3, 2.5)) "
        f'AS "CHECK_0" FROM {LOCATION}'
    )


def test_row_count_has_no_failing_rows_of_its_own():
    # Its bounds are compared with ROWS: the column is there only to keep CHECK_i at index i.
    row_count = check(row_count={"min": 1, "max": 10})
    assert not row_count.counts_rows
    assert check_statement(PRD_ORDERS, [row_count]) == f'{COUNT_ROWS}, NULL AS "CHECK_0" FROM {LOCATION}'


def test_expression_counts_rows_where_it_is_false():
    statement = check_statement(PRD_ORDERS, [check(expression="AMOUNT >= 0 OR AMOUNT IS NULL")])
    assert statement == f'{COUNT_ROWS}, COUNT_IF(NOT (AMOUNT >= 0 OR AMOUNT IS NULL)) AS "CHECK_0" FROM {LOCATION}'


def test_sql_counts_the_rows_its_select_returns_from_the_bound_location():
    sql_check = check(sql="SELECT * FROM {table} AS o WHERE o.UPDATED_AT < o.ORDERED_AT", name="updated_after")
    assert check_statement(PRD_ORDERS, [sql_check]) == (
        f"{COUNT_ROWS}, (SELECT COUNT(*) FROM (SELECT * FROM {LOCATION} AS o WHERE o.UPDATED_AT < o.ORDERED_AT)) "
        f'AS "CHECK_0" FROM {LOCATION}'
    )


def test_every_kind_in_one_statement_in_order():
    checks = [
        check(not_null=["ORDER_ID"]),
        check(unique=["ORDER_ID"]),
        check(row_count={"min": 1}),
        accepted("NEW"),
        check(sql="SELECT * FROM {table} WHERE X < 0", name="negative"),
        check(unique=["A", "B"]),
        check(expression="Q > 0"),
    ]
    assert check_statement(PRD_ORDERS, checks) == (
        f"{COUNT_ROWS}, "
        'COUNT_IF("ORDER_ID" IS NULL) AS "CHECK_0", '
        'COUNT_IF("MODEL_JOBS_UNIQUE_1" > 1 AND NOT "ORDER_ID" IS NULL) AS "CHECK_1", '
        'NULL AS "CHECK_2", '
        'COUNT_IF(NOT "STATUS" IS NULL AND NOT "STATUS" IN (\'NEW\')) AS "CHECK_3", '
        f'(SELECT COUNT(*) FROM (SELECT * FROM {LOCATION} WHERE X < 0)) AS "CHECK_4", '
        'COUNT_IF("MODEL_JOBS_UNIQUE_5" > 1 AND NOT "A" IS NULL AND NOT "B" IS NULL) AS "CHECK_5", '
        'COUNT_IF(NOT (Q > 0)) AS "CHECK_6" '
        'FROM (SELECT *, COUNT(*) OVER (PARTITION BY "ORDER_ID") AS "MODEL_JOBS_UNIQUE_1", '
        f'COUNT(*) OVER (PARTITION BY "A", "B") AS "MODEL_JOBS_UNIQUE_5" FROM {LOCATION})'
    )


# --- sample_statement ----------------------------------------------------------------------------


def test_samples_of_each_kind():
    assert SAMPLE_ROWS == 5
    assert sample_statement(PRD_ORDERS, check(not_null=["ORDER_ID", "CUSTOMER_ID"])) == (
        f'SELECT * FROM {LOCATION} WHERE "ORDER_ID" IS NULL OR "CUSTOMER_ID" IS NULL LIMIT 5'
    )
    assert sample_statement(PRD_ORDERS, check(unique=["ORDER_ID", "LINE_NUMBER"])) == (
        f'SELECT * FROM {LOCATION} QUALIFY COUNT(*) OVER (PARTITION BY "ORDER_ID", "LINE_NUMBER") > 1 '
        'AND NOT "ORDER_ID" IS NULL AND NOT "LINE_NUMBER" IS NULL ORDER BY "ORDER_ID", "LINE_NUMBER" LIMIT 5'
    )
    assert sample_statement(PRD_ORDERS, accepted("NEW", 1)) == (
        f'SELECT * FROM {LOCATION} WHERE NOT "STATUS" IS NULL AND NOT "STATUS" IN (\'NEW\', 1) LIMIT 5'
    )
    assert sample_statement(PRD_ORDERS, check(expression="AMOUNT >= 0")) == (
        f"SELECT * FROM {LOCATION} WHERE NOT (AMOUNT >= 0) LIMIT 5"
    )
    assert sample_statement(PRD_ORDERS, check(sql="SELECT ORDER_ID FROM {table} t WHERE t.X < 0", name="x")) == (
        f"SELECT * FROM (SELECT ORDER_ID FROM {LOCATION} AS t WHERE t.X < 0) LIMIT 5"
    )


def test_sample_limit():
    assert sample_statement(PRD_ORDERS, check(not_null=["ORDER_ID"]), limit=3) == (
        f'SELECT * FROM {LOCATION} WHERE "ORDER_ID" IS NULL LIMIT 3'
    )


def test_row_count_has_no_sample():
    with pytest.raises(ValueError, match=r"^check row_count does not count rows by a condition$"):
        sample_statement(PRD_ORDERS, check(row_count={"min": 1}))


# --- quoting -------------------------------------------------------------------------------------


def test_identifiers_are_always_quoted_as_validated():
    odd = TableName("DB_1", "S$", "_T")
    statement = check_statement(odd, [check(not_null=["C$OL", "C_2"]), check(unique=["K$"])])
    assert statement == (
        f'{COUNT_ROWS}, COUNT_IF("C$OL" IS NULL OR "C_2" IS NULL) AS "CHECK_0", '
        'COUNT_IF("MODEL_JOBS_UNIQUE_1" > 1 AND NOT "K$" IS NULL) AS "CHECK_1" '
        'FROM (SELECT *, COUNT(*) OVER (PARTITION BY "K$") AS "MODEL_JOBS_UNIQUE_1" FROM "DB_1"."S$"."_T")'
    )


def test_column_names_of_a_check_are_upper_cased_as_snowflake_resolves_them():
    assert CheckSpec(not_null=["order_id", "Line_No"]).not_null == ["ORDER_ID", "LINE_NO"]
    assert CheckSpec(unique=["order_id"]).unique == ["ORDER_ID"]
    assert CheckSpec(accepted_values={"column": "status", "values": ["a"]}).accepted_values.column == "STATUS"
    assert check_statement(PRD_ORDERS, [check(not_null=["order_id"])]) == (
        f'{COUNT_ROWS}, COUNT_IF("ORDER_ID" IS NULL) AS "CHECK_0" FROM {LOCATION}'
    )


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("O'HARA", r"'O\'HARA'"),
        ("x') OR 1=1 --", r"'x\') OR 1=1 --'"),
        ("C:\\", r"'C:\\'"),
        ("a\\'b", r"'a\\\'b'"),
        ("line\nbreak", r"'line\nbreak'"),
        ("%s", "'%s'"),
        ("%(x)s", "'%(x)s'"),
    ],
    ids=["quote", "break out", "trailing backslash", "backslash quote", "newline", "percent-s", "pyformat"],
)
def test_accepted_values_are_escaped_and_never_break_out(value, literal):
    statement = check_statement(PRD_ORDERS, [accepted(value)])
    assert statement == (
        f'{COUNT_ROWS}, COUNT_IF(NOT "STATUS" IS NULL AND NOT "STATUS" IN ({literal})) AS "CHECK_0" FROM {LOCATION}'
    )
    # Read back as Snowflake reads it: one literal holding the value, in one statement.
    (tree,) = sqlglot.parse(statement, dialect=DIALECT)
    (in_list,) = list(tree.find_all(exp.In))
    assert [(v.is_string, v.this) for v in in_list.expressions] == [(True, value)]


def test_a_percent_in_an_expression_survives_unchanged():
    # These statements are executed without parameters, so '%' is not a placeholder to escape.
    like = check(expression="NOTE NOT LIKE '%test%' AND CODE <> '%s'")
    assert check_statement(PRD_ORDERS, [like]) == (
        f"{COUNT_ROWS}, COUNT_IF(NOT (NOT NOTE LIKE '%test%' AND CODE <> '%s')) AS \"CHECK_0\" FROM {LOCATION}"
    )
    assert sample_statement(PRD_ORDERS, like) == (
        f"SELECT * FROM {LOCATION} WHERE NOT (NOT NOTE LIKE '%test%' AND CODE <> '%s') LIMIT 5"
    )


def test_a_percent_in_a_sql_check_survives_unchanged():
    like = check(sql="SELECT * FROM {table} WHERE EMAIL NOT LIKE '%@%' OR MOD(ID, 2) = 1", name="emails")
    assert check_statement(PRD_ORDERS, [like]) == (
        f"{COUNT_ROWS}, (SELECT COUNT(*) FROM (SELECT * FROM {LOCATION} WHERE NOT EMAIL LIKE '%@%' OR ID % 2 = 1)) "
        f'AS "CHECK_0" FROM {LOCATION}'
    )


# --- bind_table and parse_sql_check --------------------------------------------------------------


def test_table_is_replaced_by_the_quoted_location():
    assert bound("SELECT * FROM {table} WHERE X < 0") == f"SELECT * FROM {LOCATION} WHERE X < 0"


def test_table_keeps_its_alias():
    assert bound("SELECT o.* FROM {table} AS o WHERE o.X < 0") == f"SELECT o.* FROM {LOCATION} AS o WHERE o.X < 0"
    assert bound("SELECT o.* FROM {table} o WHERE o.X < 0") == f"SELECT o.* FROM {LOCATION} AS o WHERE o.X < 0"


def test_every_use_of_table_is_replaced():
    assert bound("SELECT a.* FROM {table} AS a JOIN {table} b ON a.K = b.K AND a.ID <> b.ID") == (
        f"SELECT a.* FROM {LOCATION} AS a JOIN {LOCATION} AS b ON a.K = b.K AND a.ID <> b.ID"
    )
    assert bound("WITH x AS (SELECT * FROM {table}) SELECT * FROM x WHERE A < 0") == (
        f"WITH x AS (SELECT * FROM {LOCATION}) SELECT * FROM x WHERE A < 0"
    )
    assert bound("SELECT * FROM {table} t WHERE EXISTS (SELECT 1 FROM {table} u WHERE u.K = t.K AND u.V > t.V)") == (
        f"SELECT * FROM {LOCATION} AS t WHERE EXISTS(SELECT 1 FROM {LOCATION} AS u WHERE u.K = t.K AND u.V > t.V)"
    )


def test_nothing_else_is_substituted():
    # Other tables are read as written in every environment; only {table} follows the mapping.
    assert bound(
        "SELECT o.* FROM {table} o LEFT JOIN DATALAKE_DEV.RAW.CUSTOMERS c ON c.ID = o.ID WHERE c.ID IS NULL"
    ) == (
        f"SELECT o.* FROM {LOCATION} AS o LEFT JOIN DATALAKE_DEV.RAW.CUSTOMERS AS c ON c.ID = o.ID WHERE c.ID IS NULL"
    )


def test_binding_leaves_the_parsed_check_as_it_was():
    tree = parse_sql_check("SELECT * FROM {table} WHERE X < 0")
    before = tree.sql(dialect=DIALECT)
    bind_table(tree, PRD_ORDERS)
    bind_table(tree, TableName("DATALAKE_DEV", "SAMPLE", "ORDERS"))
    assert tree.sql(dialect=DIALECT) == before
    assert bind_table(tree, TableName("DATALAKE_DEV", "SAMPLE", "ORDERS")).sql(dialect=DIALECT) == (
        'SELECT * FROM "DATALAKE_DEV"."SAMPLE"."ORDERS" WHERE X < 0'
    )


def test_a_trailing_semicolon_is_one_statement():
    assert bound("select * from {table} where a = 1;") == f"SELECT * FROM {LOCATION} WHERE a = 1"


def test_table_inside_a_string_literal_does_not_leak_the_internal_name():
    assert bound("SELECT * FROM {table} WHERE NOTE = '{table}'") == f"SELECT * FROM {LOCATION} WHERE NOTE = '{{table}}'"


def test_table_as_a_column_qualifier_names_the_bound_location():
    # The location is aliased by the name the column is qualified with, so the qualifier resolves.
    assert bound("SELECT * FROM {table} WHERE {table}.AMOUNT < 0") == (
        f"SELECT * FROM {LOCATION} AS MODEL_JOBS_CHECKED_TABLE WHERE MODEL_JOBS_CHECKED_TABLE.AMOUNT < 0"
    )


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("DELETE FROM {table} WHERE X < 0", ONE_SELECT),
        ("SELECT * FROM {table}; SELECT * FROM {table}", ONE_SELECT),
        ("SELECT * FROM {table}; DROP TABLE X", ONE_SELECT),
        ("INSERT INTO X SELECT * FROM {table}", ONE_SELECT),
        ("CREATE TABLE X AS SELECT * FROM {table}", ONE_SELECT),
        (
            "SELECT * FROM DATALAKE_DEV.RAW.ORDERS",
            "must read the source as {table}, e.g. SELECT * FROM {table} WHERE ...",
        ),
        ("", "must read the source as {table}, e.g. SELECT * FROM {table} WHERE ..."),
        ("SELECT * FROM {TABLE}", "must read the source as {table}, e.g. SELECT * FROM {table} WHERE ..."),
        ("SELECT * FROM {table} WHERE S = {status}", "{table} is the only substitution; remove other {...}"),
        ("SELECT * FROM RAW.{table}", "must read the source as {table} in a FROM or JOIN"),
        ("SELECT * FROM TABLE({table})", "must read the source as {table} in a FROM or JOIN"),
        ("SELECT * FROM {table} WHERE A = ?", "may not contain parameters: {table} is the only substitution"),
        ("SELECT * FROM {table} WHERE A = :1", "may not contain parameters: {table} is the only substitution"),
    ],
    ids=[
        "delete",
        "two selects",
        "select then drop",
        "insert",
        "create",
        "no placeholder",
        "empty",
        "upper-case placeholder",
        "other placeholder",
        "qualified placeholder",
        "table function",
        "question mark",
        "numbered parameter",
    ],
)
def test_sql_checks_that_are_refused(sql, message):
    assert sql_error(sql) == message


def test_sql_that_does_not_parse():
    message = sql_error("SELECT * FROM (DELETE FROM {table})")
    assert message.startswith("is not valid SQL (") and message.endswith(")")


def test_sql_that_does_not_parse_is_explained_in_the_checks_own_terms():
    message = sql_error("SELECT * FROM {table} WHERE")
    assert message.startswith("is not valid SQL (")
    assert "<class" not in message and "MODEL_JOBS_CHECKED_TABLE" not in message and "Col: 44" not in message


# --- parse_expression and expression_columns -----------------------------------------------------


def test_an_expression_is_kept_as_written():
    tree = parse_expression("COALESCE(A, B) > LENGTH(c) AND t.D IS NOT NULL")
    assert tree.sql(dialect=DIALECT) == "COALESCE(A, B) > LENGTH(c) AND NOT t.D IS NULL"


def test_expression_columns_are_spelled_as_snowflake_resolves_them():
    assert expression_columns(parse_expression("amount >= 0 AND t.Qty > 0")) == {"AMOUNT", "QTY"}
    assert expression_columns(parse_expression('"amount" >= 0 AND "AMOUNT" < 5')) == {"amount", "AMOUNT"}
    assert expression_columns(parse_expression("COALESCE(A, B) > LENGTH(C) + 1")) == {"A", "B", "C"}
    assert expression_columns(parse_expression("1 = 1")) == set()


@pytest.mark.parametrize(
    "text",
    ["AMOUNT >= 0 AND", "AMOUNT >=", "AMOUNT > 0; DROP TABLE X", "1 = 1) OR (1 = 1", "SELECT 1", "AMOUNT > %s"],
    ids=["dangling and", "dangling operator", "second statement", "break out of the parentheses", "select", "percent"],
)
def test_expressions_that_are_not_one_condition(text):
    message = expression_error(text)
    assert message.startswith("is not one SQL condition (")
    assert message.endswith("); write e.g. AMOUNT >= 0")


def test_an_empty_expression():
    assert expression_error("") == "is empty; write a condition, e.g. AMOUNT >= 0"


@pytest.mark.parametrize(
    "text",
    ["AMOUNT > (SELECT 1)", "AMOUNT IN (SELECT X FROM Y)", "EXISTS (SELECT 1)", "AMOUNT > ?", "AMOUNT > :1", "A > $1"],
    ids=["scalar subquery", "in subquery", "exists", "question mark", "numbered", "dollar"],
)
def test_expressions_with_a_query_or_a_parameter(text):
    assert expression_error(text) == (
        "may not contain a query or a parameter: write a condition over the row's columns"
    )


# --- derived check names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"not_null": ["ORDER_ID", "CUSTOMER_ID"]}, "not_null_order_id_customer_id"),
        ({"unique": ["ORDER_ID"]}, "unique_order_id"),
        ({"accepted_values": {"column": "STATUS", "values": ["A"]}}, "accepted_values_status"),
        ({"row_count": {"max": 3}}, "row_count"),
        ({"expression": "UNIT_PRICE < 1000 AND X$ <> 'a b'"}, "expression_unit_price_1000_and_x_a_b"),
        ({"expression": "A > 0", "name": "positive"}, "positive"),
        ({"not_null": ["A" * 70]}, "not_null_" + "a" * 55),
    ],
    ids=["not_null", "unique", "accepted_values", "row_count", "expression", "given", "truncated"],
)
def test_derived_check_names(fields, name):
    assert check(**fields).name == name


# --- freshness_statement -------------------------------------------------------------------------


def test_freshness_of_one_table():
    assert freshness_statement([Measured(PRD_ORDERS, "UPDATED_AT")]) == (
        'SELECT 0 AS "SOURCE", DATE_PART(EPOCH_SECOND, MAX("UPDATED_AT")) AS "LOADED_AT", COUNT(*) AS "ROWS" '
        f"FROM {LOCATION}"
    )


def test_freshness_of_many_tables_is_one_statement_with_row_i_for_table_i():
    tables = [
        Measured(PRD_ORDERS, "UPDATED_AT"),
        Measured(TableName("DATALAKE_PRD", "RAW", "ORDER_ITEMS"), None),
        Measured(TableName("DATALAKE_PRD", "CRM", "CUSTOMERS"), "SIGNED_UP_AT"),
    ]
    statement = freshness_statement(tables)
    assert statement == (
        'SELECT 0 AS "SOURCE", DATE_PART(EPOCH_SECOND, MAX("UPDATED_AT")) AS "LOADED_AT", COUNT(*) AS "ROWS" '
        f"FROM {LOCATION} "
        'UNION ALL SELECT 1 AS "SOURCE", NULL AS "LOADED_AT", COUNT(*) AS "ROWS" '
        'FROM "DATALAKE_PRD"."RAW"."ORDER_ITEMS" '
        'UNION ALL SELECT 2 AS "SOURCE", DATE_PART(EPOCH_SECOND, MAX("SIGNED_UP_AT")) AS "LOADED_AT", '
        'COUNT(*) AS "ROWS" '
        'FROM "DATALAKE_PRD"."CRM"."CUSTOMERS"'
    )
    assert len(sqlglot.parse(statement, dialect=DIALECT)) == 1


def test_freshness_labels_rows_by_position_even_for_the_same_table_twice():
    statement = freshness_statement([Measured(PRD_ORDERS, None)] * 12)
    (tree,) = sqlglot.parse(statement, dialect=DIALECT)
    labels = [s.selects[0].this.name for s in tree.find_all(exp.Select)]
    assert sorted(int(label) for label in labels) == list(range(12))
    assert statement.count(" UNION ALL ") == 11


def test_freshness_of_nothing_is_refused():
    with pytest.raises(ValueError, match=r"^nothing to measure$"):
        freshness_statement([])


# --- last_altered_statement ----------------------------------------------------------------------


def test_last_altered_binds_schema_and_table_names_as_parameters():
    sql, params = last_altered_statement("DATALAKE_PRD", [PRD_ORDERS, TableName("DATALAKE_PRD", "CRM", "CUSTOMERS")])
    assert sql == (
        'SELECT "TABLE_SCHEMA", "TABLE_NAME", DATE_PART(EPOCH_SECOND, "LAST_ALTERED") AS "LAST_ALTERED", "ROW_COUNT" '
        'FROM "DATALAKE_PRD"."INFORMATION_SCHEMA"."TABLES" '
        'WHERE ("TABLE_SCHEMA" = %(s0)s AND "TABLE_NAME" = %(t0)s) '
        'OR ("TABLE_SCHEMA" = %(s1)s AND "TABLE_NAME" = %(t1)s)'
    )
    assert params == {"s0": "RAW", "t0": "ORDERS", "s1": "CRM", "t1": "CUSTOMERS"}
    # The names are only parameters, never part of the text.
    assert "RAW" not in sql and "ORDERS" not in sql and "CUSTOMERS" not in sql


def test_last_altered_of_one_table():
    sql, params = last_altered_statement("DB", [TableName("DB", "S$", "T")])
    assert sql.endswith(
        'FROM "DB"."INFORMATION_SCHEMA"."TABLES" WHERE ("TABLE_SCHEMA" = %(s0)s AND "TABLE_NAME" = %(t0)s)'
    )
    assert params == {"s0": "S$", "t0": "T"}


@pytest.mark.parametrize(
    "tables",
    [[PRD_ORDERS, TableName("DATALAKE_DEV", "RAW", "ORDERS")], [TableName("DATALAKE_DEV", "RAW", "ORDERS")], []],
    ids=["one of another database", "all of another database", "none"],
)
def test_last_altered_refuses_tables_of_another_database(tables):
    with pytest.raises(ValueError, match=r"^tables of database DATALAKE_PRD only$"):
        last_altered_statement("DATALAKE_PRD", tables)

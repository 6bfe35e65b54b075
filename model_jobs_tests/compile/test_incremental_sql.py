"""The statements an incremental run sends are reviewed as text: each test spells out one of them in
full, so any change to what reaches the warehouse shows up as a diff of this file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from textwrap import dedent

import sqlglot

from model_jobs.compile.incremental_sql import (
    add_column,
    create_stage,
    delete_matching,
    drop_column,
    drop_table,
    duplicate_keys,
    insert,
    literal,
    merge,
    stage_stats,
    target_state,
)
from model_jobs.compile.sql import render
from model_jobs.identifiers import TableName

TARGET = TableName("ANALYTICS", "MARTS", "ORDERS")
STAGE = TableName("ANALYTICS", "MARTS", "MJ_STAGE_0123456789AB")
COLUMNS = ["ID", "V", "UPDATED_AT"]
WATERMARK = "UPDATED_AT"
CUTOFF = datetime(2024, 5, 1, 11, 30)  # the target's highest UPDATED_AT minus a lookback of 1h
MODEL = sqlglot.parse_one(
    "WITH recent AS (SELECT ID, V, UPDATED_AT FROM RAW.SHOP.ORDERS WHERE STATUS <> 'CANCELLED') "
    "SELECT ID, V, UPDATED_AT FROM recent",
    read="snowflake",
)


# Every strategy: the target's state, the stage, and dropping the stage.


def test_target_state_reads_the_highest_watermark_and_row_counts():
    expected = dedent(
        """
        SELECT
          MAX("UPDATED_AT") AS "WATERMARK",
          COUNT("UPDATED_AT") AS "ROWS_WITH_WATERMARK",
          COUNT(*) AS "ROWS"
        FROM "ANALYTICS"."MARTS"."ORDERS"
        """
    ).strip()
    assert render(target_state(TARGET, WATERMARK)) == expected


def test_create_stage_filters_the_whole_model_query_at_the_cutoff():
    expected = dedent(
        """
        CREATE OR REPLACE TABLE "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB" AS
        SELECT
          *
        FROM (
          WITH recent AS (
            SELECT
              ID,
              V,
              UPDATED_AT
            FROM RAW.SHOP.ORDERS
            WHERE
              STATUS <> 'CANCELLED'
          )
          SELECT
            ID,
            V,
            UPDATED_AT
          FROM recent
        ) AS "MODEL_OUTPUT"
        WHERE
          "MODEL_OUTPUT"."UPDATED_AT" >= '2024-05-01 11:30:00'
        """
    ).strip()
    assert create_stage(STAGE, MODEL, WATERMARK, CUTOFF) == expected


def test_drop_table_drops_the_stage_if_it_exists():
    assert drop_table(STAGE) == 'DROP TABLE IF EXISTS "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB"'


# merge: stage checks with the key, the duplicated keys when there are some, one MERGE.


def test_merge_run_stage_stats_count_duplicated_and_null_keys():
    expected = dedent(
        """
        SELECT
          COUNT(*),
          MAX("UPDATED_AT"),
          (
            SELECT
              COUNT(*)
            FROM (
              SELECT
                "ID"
              FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB"
              GROUP BY
                "ID"
              HAVING
                COUNT(*) > 1
            ) AS D
          ),
          COUNT_IF("ID" IS NULL)
        FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB"
        """
    ).strip()
    assert stage_stats(STAGE, WATERMARK, ("ID",)) == expected


def test_merge_run_duplicate_keys_lists_the_most_duplicated_first():
    expected = dedent(
        """
        SELECT
          "ID",
          COUNT(*) AS "DUPLICATES"
        FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB"
        GROUP BY
          "ID"
        HAVING
          COUNT(*) > 1
        ORDER BY
          "DUPLICATES" DESC NULLS LAST
        LIMIT 10
        """
    ).strip()
    assert duplicate_keys(STAGE, ("ID",)) == expected


def test_merge_run_duplicate_keys_with_a_composite_key_and_limit():
    expected = dedent(
        """
        SELECT
          "ID",
          "DAY",
          COUNT(*) AS "DUPLICATES"
        FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB"
        GROUP BY
          "ID",
          "DAY"
        HAVING
          COUNT(*) > 1
        ORDER BY
          "DUPLICATES" DESC NULLS LAST
        LIMIT 3
        """
    ).strip()
    assert duplicate_keys(STAGE, ("ID", "DAY"), limit=3) == expected


def test_merge_updates_the_non_key_columns_and_inserts_new_keys():
    expected = dedent(
        """
        MERGE INTO "ANALYTICS"."MARTS"."ORDERS" AS T
        USING "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB" AS S
        ON "T"."ID" = "S"."ID"
        WHEN MATCHED THEN UPDATE SET
          "T"."V" = "S"."V",
          "T"."UPDATED_AT" = "S"."UPDATED_AT"
        WHEN NOT MATCHED THEN INSERT ("ID", "V", "UPDATED_AT") VALUES ("S"."ID", "S"."V", "S"."UPDATED_AT")
        """
    ).strip()
    assert merge(TARGET, STAGE, COLUMNS, ("ID",)) == expected


def test_merge_with_every_column_in_the_key_only_inserts():
    expected = dedent(
        """
        MERGE INTO "ANALYTICS"."MARTS"."ORDERS" AS T
        USING "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB" AS S
        ON "T"."ID" = "S"."ID" AND "T"."DAY" = "S"."DAY"
        WHEN NOT MATCHED THEN INSERT ("ID", "DAY") VALUES ("S"."ID", "S"."DAY")
        """
    ).strip()
    assert merge(TARGET, STAGE, ["ID", "DAY"], ("ID", "DAY")) == expected


# delete_insert: stage checks with the key, then DELETE and INSERT between BEGIN and COMMIT.


def test_delete_insert_run_stage_stats_with_a_composite_key():
    expected = dedent(
        """
        SELECT
          COUNT(*),
          MAX("UPDATED_AT"),
          (
            SELECT
              COUNT(*)
            FROM (
              SELECT
                "ID",
                "DAY"
              FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB"
              GROUP BY
                "ID",
                "DAY"
              HAVING
                COUNT(*) > 1
            ) AS D
          ),
          COUNT_IF("ID" IS NULL OR "DAY" IS NULL)
        FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB"
        """
    ).strip()
    assert stage_stats(STAGE, WATERMARK, ("ID", "DAY")) == expected


def test_delete_insert_deletes_the_target_rows_whose_key_is_staged():
    # sqlglot's pretty printer puts three spaces after USING; the statement is the same.
    expected = dedent(
        """
        DELETE FROM "ANALYTICS"."MARTS"."ORDERS" AS T USING   (
            SELECT DISTINCT
              "ID",
              "DAY"
            FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB"
          ) AS "S"
        WHERE
          "T"."ID" = "S"."ID" AND "T"."DAY" = "S"."DAY"
        """
    ).strip()
    assert delete_matching(TARGET, STAGE, ("ID", "DAY")) == expected


def test_delete_insert_inserts_every_staged_row():
    expected = dedent(
        """
        INSERT INTO "ANALYTICS"."MARTS"."ORDERS" (
          "ID",
          "V",
          "UPDATED_AT"
        )
        SELECT
          "S"."ID",
          "S"."V",
          "S"."UPDATED_AT"
        FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB" AS S
        """
    ).strip()
    assert insert(TARGET, STAGE, COLUMNS) == expected


# append: stage checks without a key, then one INSERT of the rows not already in the target.


def test_append_run_stage_stats_without_a_key():
    expected = dedent(
        """
        SELECT
          COUNT(*),
          MAX("UPDATED_AT"),
          0,
          0
        FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB"
        """
    ).strip()
    assert stage_stats(STAGE, WATERMARK, ()) == expected


def test_append_without_a_key_skips_rows_equal_on_every_column_since_the_cutoff():
    expected = dedent(
        """
        INSERT INTO "ANALYTICS"."MARTS"."ORDERS" (
          "ID",
          "V",
          "UPDATED_AT"
        )
        SELECT
          "S"."ID",
          "S"."V",
          "S"."UPDATED_AT"
        FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB" AS S
        WHERE
          NOT EXISTS(
            SELECT
              1
            FROM "ANALYTICS"."MARTS"."ORDERS" AS T
            WHERE
              "T"."UPDATED_AT" >= '2024-05-01 11:30:00'
              AND "T"."ID" IS NOT DISTINCT FROM "S"."ID"
              AND "T"."V" IS NOT DISTINCT FROM "S"."V"
              AND "T"."UPDATED_AT" IS NOT DISTINCT FROM "S"."UPDATED_AT"
          )
        """
    ).strip()
    assert insert(TARGET, STAGE, COLUMNS, tuple(COLUMNS), CUTOFF, WATERMARK) == expected


def test_append_with_a_key_skips_rows_whose_key_is_present_since_the_cutoff():
    expected = dedent(
        """
        INSERT INTO "ANALYTICS"."MARTS"."ORDERS" (
          "ID",
          "V",
          "UPDATED_AT"
        )
        SELECT
          "S"."ID",
          "S"."V",
          "S"."UPDATED_AT"
        FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB" AS S
        WHERE
          NOT EXISTS(
            SELECT
              1
            FROM "ANALYTICS"."MARTS"."ORDERS" AS T
            WHERE
              "T"."UPDATED_AT" >= '2024-05-01 11:30:00'
              AND "T"."ID" IS NOT DISTINCT FROM "S"."ID"
          )
        """
    ).strip()
    assert insert(TARGET, STAGE, COLUMNS, ("ID",), CUTOFF, WATERMARK) == expected


# Schema changes (on_schema_change: append_new_columns): add a column, and drop it again on failure.


def test_add_column_writes_the_type_in_snowflake_syntax():
    expected = dedent(
        """
        ALTER TABLE "ANALYTICS"."MARTS"."ORDERS"
        ADD "DISCOUNT" DECIMAL(38, 2)
        """
    ).strip()
    assert add_column(TARGET, "DISCOUNT", "NUMBER(38,2)") == expected
    expected = dedent(
        """
        ALTER TABLE "ANALYTICS"."MARTS"."ORDERS"
        ADD "SHIPPED_AT" TIMESTAMPNTZ
        """
    ).strip()
    assert add_column(TARGET, "SHIPPED_AT", "TIMESTAMP_NTZ") == expected


def test_drop_column():
    expected = dedent(
        """
        ALTER TABLE "ANALYTICS"."MARTS"."ORDERS"
        DROP COLUMN "DISCOUNT"
        """
    ).strip()
    assert drop_column(TARGET, "DISCOUNT") == expected


# Names are always quoted identifiers, so a reserved word stays a name.


def test_reserved_word_columns_are_quoted_and_stay_names():
    expected = dedent(
        """
        MERGE INTO "ANALYTICS"."MARTS"."ORDERS" AS T
        USING "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB" AS S
        ON "T"."SELECT" = "S"."SELECT"
        WHEN MATCHED THEN UPDATE SET
          "T"."ORDER" = "S"."ORDER"
        WHEN NOT MATCHED THEN INSERT ("SELECT", "ORDER") VALUES ("S"."SELECT", "S"."ORDER")
        """
    ).strip()
    assert merge(TARGET, STAGE, ["SELECT", "ORDER"], ("SELECT",)) == expected
    expected = dedent(
        """
        INSERT INTO "ANALYTICS"."MARTS"."ORDERS" (
          "SELECT",
          "ORDER"
        )
        SELECT
          "S"."SELECT",
          "S"."ORDER"
        FROM "ANALYTICS"."MARTS"."MJ_STAGE_0123456789AB" AS S
        WHERE
          NOT EXISTS(
            SELECT
              1
            FROM "ANALYTICS"."MARTS"."ORDERS" AS T
            WHERE
              "T"."ORDER" >= 41
              AND "T"."SELECT" IS NOT DISTINCT FROM "S"."SELECT"
              AND "T"."ORDER" IS NOT DISTINCT FROM "S"."ORDER"
          )
        """
    ).strip()
    assert insert(TARGET, STAGE, ["SELECT", "ORDER"], ("SELECT", "ORDER"), 41, "ORDER") == expected


# Watermark values as literals.


def test_literal_datetime_is_a_timestamp_string():
    assert render(literal(datetime(2024, 5, 1, 11, 30))) == "'2024-05-01 11:30:00'"
    assert render(literal(datetime(2024, 5, 1, 11, 30, 0, 250000))) == "'2024-05-01 11:30:00.250000'"
    assert render(literal(datetime(2024, 5, 1, 11, 30, tzinfo=UTC))) == "'2024-05-01 11:30:00+00:00'"


def test_literal_date_is_a_date_string():
    assert render(literal(date(2024, 5, 1))) == "'2024-05-01'"


def test_literal_int_is_a_number():
    assert render(literal(42)) == "42"
    assert render(literal(-5)) == "-5"


def test_literal_decimal_keeps_its_digits():
    assert render(literal(Decimal("12.50"))) == "12.50"


def test_literal_float_is_a_number():
    assert render(literal(1.5)) == "1.5"


def test_literal_str_is_an_escaped_string():
    assert render(literal("2024-05")) == "'2024-05'"
    assert render(literal("it's")) == r"'it\'s'"


def test_literal_float_special_values_are_strings():
    # A FLOAT watermark can hold them (MAX is NaN when any row is); bare words would be column names.
    assert [render(literal(v)) for v in (float("nan"), float("inf"), float("-inf"))] == ["'NaN'", "'inf'", "'-inf'"]


def test_stale_stages_are_this_targets_and_old_enough():
    from datetime import UTC, datetime, timedelta

    from model_jobs.compile.incremental_sql import stage_table, stale_stages

    target = TableName("ANALYTICS", "MARTS", "ORDERS")
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    old = stage_table(target, now - timedelta(days=2), "A1B2C3")
    fresh = stage_table(target, now - timedelta(minutes=5), "D4E5F6")
    assert old.table == f"MJ_STAGE_ORDERS_{int((now - timedelta(days=2)).timestamp())}_A1B2C3"
    names = ",".join([old.table, fresh.table, "MJ_STAGE_ORDERS_X_1_A", "MJ_STAGE_ORDERS_NOTATIME_A", "MJ_STAGE_0123"])
    assert stale_stages(target, names, now, timedelta(hours=24)) == [old]
    assert stale_stages(target, None, now, timedelta(hours=24)) == []

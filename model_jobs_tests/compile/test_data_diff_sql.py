"""The data diff's statement, by string: what it groups, joins and returns. (What it counts on
real tables is tested in runtime/test_data_diff.py.)"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from model_jobs.compile.data_diff import COUNTS, count_query_rows, diff_statement, summarize
from model_jobs.identifiers import TableName

TARGET = TableName("DB", "S", "T")
QUERY = sqlglot.parse_one("SELECT a AS K, b AS V FROM X.Y.Z", dialect="snowflake")


def test_count_of_a_query():
    assert count_query_rows(QUERY) == (
        'SELECT\n  COUNT(*)\nFROM (\n  SELECT\n    a AS K,\n    b AS V\n  FROM X.Y.Z\n) AS "MODEL_OUTPUT"'
    )


def test_both_sides_are_grouped_by_the_key_before_the_join():
    sql = diff_statement(TARGET, QUERY, ["K"], ["V"], samples=3)
    tree = sqlglot.parse_one(sql, dialect="snowflake")
    ctes = {cte.alias: cte.this for cte in tree.find(exp.With).expressions}
    assert list(ctes) == ["MJ_OLD", "MJ_NEW", "MJ_PAIRS"]
    for name in ("MJ_OLD", "MJ_NEW"):
        assert [g.sql(dialect="snowflake") for g in ctes[name].args["group"].expressions] == ['"K"']
    assert 'FROM "DB"."S"."T"' in ctes["MJ_OLD"].sql(dialect="snowflake")
    assert 'FULL OUTER JOIN "MJ_NEW" AS "N"\n    ON "O"."K" = "N"."K"' in sql
    # NULL equals NULL when comparing; a column's change counts only for compared pairs.
    assert 'IFF("O"."V" IS DISTINCT FROM "N"."V", 1, 0) AS "MJ_CHANGED_0"' in sql
    assert 'SUM("MJ_CHANGED_0") AS "MJ_CHANGED_0"' in sql
    assert 'GROUP BY\n  "MJ_KIND",\n  "OLD_ROWS" > 1,\n  "NEW_ROWS" > 1' in sql
    assert 'ROW_NUMBER() OVER (PARTITION BY "MJ_KIND" ORDER BY "K") <= 3' in sql


def test_count_rows_and_sample_rows_have_one_shape():
    tree = sqlglot.parse_one(diff_statement(TARGET, QUERY, ["K"], ["V"]), dialect="snowflake")
    assert isinstance(tree, exp.Union)
    shape = ["MJ_PART", "MJ_KIND", "MJ_SEVERAL_OLD", "MJ_SEVERAL_NEW", "MJ_KEYS", "OLD_ROWS", "NEW_ROWS"]
    assert [e.alias_or_name for e in tree.this.expressions] == [*shape, "MJ_CHANGED_0", "K"]
    assert [e.alias_or_name for e in tree.expression.expressions] == [*shape, "MJ_CHANGED_0", "K"]


def test_summarize_adds_the_count_rows_up():
    # (part, kind, several old, several new, keys, old rows, new rows, changed V, key K)
    rows = [
        ("count", "same", False, False, 2, 2, 2, 0, None),
        ("count", "changed", False, False, 3, 3, 3, 2, None),
        ("count", "added", None, False, 4, None, 4, 0, None),
        ("count", "added", None, True, 1, None, 3, 0, None),  # one key three times in the result
        ("count", "removed", True, None, 1, 2, None, 0, None),  # one key twice in the target
        ("count", "duplicate", True, False, 1, 2, 1, 1, None),  # its changed flag is not a change
        ("count", "null_key_old", True, None, 1, 5, None, 0, None),  # NULL keys are not duplicates
        ("count", "null_key_new", None, False, 1, None, 1, 0, None),
        ("sample", "added", None, None, None, None, None, None, 7),
        ("sample", "added", None, None, None, None, None, None, 8),
        ("sample", "changed", None, None, None, None, None, None, 3),
    ]
    result = summarize(rows, keys=1, compared=1)
    assert result.counts == {
        "OLD_ROWS": 14,
        "NEW_ROWS": 14,
        "ADDED_KEYS": 5,
        "ADDED_ROWS": 7,
        "REMOVED_KEYS": 1,
        "REMOVED_ROWS": 2,
        "CHANGED": 3,
        "SAME": 2,
        "NOT_COMPARED_KEYS": 1,
        "DUPLICATE_KEYS_OLD": 2,
        "DUPLICATE_ROWS_OLD": 4,
        "DUPLICATE_KEYS_NEW": 1,
        "DUPLICATE_ROWS_NEW": 3,
        "NULL_KEY_ROWS_OLD": 5,
        "NULL_KEY_ROWS_NEW": 1,
    }
    assert tuple(result.counts) == COUNTS
    assert result.changed_by_column == [2]
    assert result.samples == {"added": [(7,), (8,)], "changed": [(3,)]}


def test_no_key_is_refused():
    with pytest.raises(ValueError, match="needs at least one key column"):
        diff_statement(TARGET, QUERY, [], ["V"])

"""The data diff's statement, by string: what it groups, joins and returns. (What it counts on
real tables is tested in runtime/test_data_diff.py.)"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from model_jobs.compile.data_diff import COUNTS, count_query_rows, diff_statement
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
    assert """COALESCE(SUM(IFF("MJ_KIND" = 'changed', "MJ_CHANGED_0", 0)), 0) AS "MJ_CHANGED_0\"""" in sql
    assert 'ROW_NUMBER() OVER (PARTITION BY "MJ_KIND" ORDER BY "K") <= 3' in sql


def test_the_summary_row_has_every_count_in_order():
    tree = sqlglot.parse_one(diff_statement(TARGET, QUERY, ["K"], ["V"]), dialect="snowflake")
    summary = tree.this if isinstance(tree, exp.Union) else None
    assert summary is not None
    names = [e.alias for e in summary.expressions]
    assert names == ["MJ_KIND", "K", *COUNTS, "MJ_CHANGED_0"]


def test_no_key_is_refused():
    with pytest.raises(ValueError, match="needs at least one key column"):
        diff_statement(TARGET, QUERY, [], ["V"])

"""The data diff on crafted tables with known differences: NULLs in compared columns, duplicate
and NULL keys, columns added, removed and retyped; read only, in two statements."""

from __future__ import annotations

import pytest

from model_jobs.runtime.data_diff import DataDiffError, data_diff
from model_jobs.runtime.statements import Statements

MODEL = "SELECT ID, V, N, NEWCOL FROM {source}\n"

TARGET_ROWS = [
    "(1, 'a', 1, 'x')",  # same
    "(2, 'b', NULL, 'x')",  # same: NULL equals NULL
    "(3, 'c', 3, 'x')",  # V changes
    "(4, NULL, 4, 'x')",  # V changes from NULL
    "(5, 'e', 5, 'x')",  # removed
    "(6, 'f', 6, 'x')",  # twice in the target: not compared
    "(6, 'f', 6, 'x')",
    "(NULL, 'n', 0, 'x')",  # NULL key: matches nothing
]
NEW_ROWS = [
    "(1, 'a', 1, 'y')",
    "(2, 'b', NULL, 'y')",
    "(3, 'C', 3, 'y')",
    "(4, 'd', 4, 'y')",
    "(6, 'f', 6, 'y')",
    "(7, 'g', 7, 'y')",  # added
    "(8, 'h', 8, 'y')",  # added, twice
    "(8, 'h', 8, 'y')",
    "(NULL, 'm', 0, 'y')",  # NULL keys in the new result
    "(NULL, 'm', 0, 'y')",
]


def _tables(p, target_n_type="NUMBER"):
    p.sql(f"CREATE OR REPLACE TABLE {p.target} (ID NUMBER, V VARCHAR, N {target_n_type}, OLDCOL VARCHAR)")
    p.sql(f"INSERT INTO {p.target} VALUES {', '.join(TARGET_ROWS)}")
    p.sql(f"CREATE OR REPLACE TABLE {p.source} (ID NUMBER, V VARCHAR, N NUMBER, NEWCOL VARCHAR)")
    p.sql(f"INSERT INTO {p.source} VALUES {', '.join(NEW_ROWS)}")


def _diff(p, keys=("ID",), samples=5):
    project = p.write("false", sql=MODEL)
    statements = Statements(p.job_connection.cursor())
    return data_diff(statements, p.job(project), keys, {}, samples), statements


def test_every_kind_of_difference_is_counted_once(p):
    _tables(p)
    before = p.rows()
    diff, statements = _diff(p)
    assert diff.counts == {
        "OLD_ROWS": 8,
        "NEW_ROWS": 10,
        "ADDED_KEYS": 2,
        "ADDED_ROWS": 3,
        "REMOVED_KEYS": 1,
        "REMOVED_ROWS": 1,
        "CHANGED": 2,
        "SAME": 2,
        "NOT_COMPARED_KEYS": 1,
        "DUPLICATE_KEYS_OLD": 1,
        "DUPLICATE_ROWS_OLD": 2,
        "DUPLICATE_KEYS_NEW": 1,
        "DUPLICATE_ROWS_NEW": 2,
        "NULL_KEY_ROWS_OLD": 1,
        "NULL_KEY_ROWS_NEW": 2,
    }
    assert diff.changed_by_column == {"V": 2}  # N is NULL on both sides for key 2: not a change
    assert (diff.schema.only_in_target, diff.schema.only_in_new, diff.schema.retyped) == (
        {"OLDCOL": "VARCHAR"},
        {"NEWCOL": "VARCHAR"},
        {},
    )
    assert diff.samples == {
        "added": [{"ID": 7}, {"ID": 8}],
        "removed": [{"ID": 5}],
        "changed": [{"ID": 3}, {"ID": 4}],
        "duplicate": [{"ID": 6}],
    }
    assert not diff.identical
    # Read only, in two statements: the columns probe and the diff.
    assert [s.purpose for s in statements.executed] == ["preflight", "diff"] and diff.statements == 2
    assert p.rows() == before
    assert sorted(r[1] for r in p.sql(f"SHOW TABLES IN SCHEMA INCREMENTAL_TEST.{p.schema}")) == ["EVENTS", "SRC"]


def test_samples_are_limited_per_kind(p):
    _tables(p)
    diff, _ = _diff(p, samples=1)
    assert diff.samples == {
        "added": [{"ID": 7}],
        "removed": [{"ID": 5}],
        "changed": [{"ID": 3}],
        "duplicate": [{"ID": 6}],
    }
    assert diff.counts["ADDED_KEYS"] == 2  # counts are not limited


def test_a_composite_key_and_identical_data(p):
    p.sql(f"CREATE OR REPLACE TABLE {p.source} (ID NUMBER, V VARCHAR, N NUMBER, NEWCOL VARCHAR)")
    p.sql(f"INSERT INTO {p.source} VALUES (1, 'a', NULL, 'x'), (1, 'b', 2, 'x'), (2, 'a', 3, NULL)")
    p.sql(f"CREATE OR REPLACE TABLE {p.target} AS SELECT ID, V, N, NEWCOL FROM {p.source}")
    diff, _ = _diff(p, keys=("ID", "V"))
    assert diff.identical
    assert (diff.counts["SAME"], diff.counts["OLD_ROWS"], diff.counts["NEW_ROWS"]) == (3, 3, 3)
    assert diff.samples == {} and diff.changed_by_column == {}


def test_a_retyped_column_is_reported_not_compared(p):
    _tables(p, target_n_type="VARCHAR")
    diff, _ = _diff(p)
    assert diff.schema.retyped == {"N": ("VARCHAR", "NUMBER(38,0)")}
    assert diff.not_compared == ["N"]
    assert diff.counts["CHANGED"] == 2  # V still compared


def test_without_a_target_every_row_is_new(p):
    p.sql(f"CREATE OR REPLACE TABLE {p.source} (ID NUMBER, V VARCHAR, N NUMBER, NEWCOL VARCHAR)")
    p.sql(f"INSERT INTO {p.source} VALUES {', '.join(NEW_ROWS)}")
    diff, statements = _diff(p)
    assert not diff.target_exists
    assert (diff.counts["NEW_ROWS"], diff.counts["ADDED_ROWS"], diff.counts["OLD_ROWS"]) == (10, 10, 0)
    assert [s.purpose for s in statements.executed] == ["preflight", "diagnose", "diff"]


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (("NOPE",), "key column(s) NOPE not in the target INCREMENTAL_TEST."),
        (("OLDCOL",), "key column(s) OLDCOL not in tag v1's result; its columns: ID, V, N, NEWCOL"),
    ],
)
def test_a_key_missing_on_one_side_is_refused(p, keys, message):
    _tables(p)
    with pytest.raises(DataDiffError, match=message.replace(".", r"\.").replace("(", r"\(").replace(")", r"\)")):
        _diff(p, keys=keys)


def test_a_key_of_another_type_on_each_side_is_refused(p):
    p.sql(f"CREATE OR REPLACE TABLE {p.target} (ID VARCHAR, V VARCHAR, N NUMBER, NEWCOL VARCHAR)")
    p.sql(f"CREATE OR REPLACE TABLE {p.source} (ID NUMBER, V VARCHAR, N NUMBER, NEWCOL VARCHAR)")
    with pytest.raises(DataDiffError, match="key column ID is VARCHAR in the target but NUMBER"):
        _diff(p)


def test_a_missing_source_is_reported_like_a_run_reports_it(p):
    p.write("false", sql=MODEL)
    p.sql(f"CREATE OR REPLACE TABLE {p.target} (ID NUMBER)")
    with pytest.raises(Exception, match="SRC: table does not exist"):
        _diff(p)


def test_a_select_that_fails_in_the_warehouse_is_reported_as_such(p):
    _tables(p)
    project = p.write("false", sql="SELECT ID, NO_SUCH_COLUMN FROM {source}\n")
    statements = Statements(p.job_connection.cursor())
    with pytest.raises(
        DataDiffError, match=r"tag v1's SELECT, mapped for dev, fails in the warehouse: .*NO_SUCH_COLUMN"
    ):
        data_diff(statements, p.job(project), ("ID",), {})

"""A new tag never leaves rows of the old SQL behind in an incremental target, unless the job says
so (on_sql_change: keep_rows); either way the target's comment names the tag that wrote last."""

from __future__ import annotations

import json

from model_jobs_tests.runtime.incremental_project import DATABASE, MERGE, MODEL_SQL, at

KEEP = "{strategy: merge, unique_key: [ID], watermark: UPDATED_AT, lookback: 1h, on_sql_change: keep_rows}"
# The new tag drops a kind of row the old one kept (like adding WHERE STATUS <> 'CANCELLED').
WITHOUT_CANCELLED = "SELECT ID, V, UPDATED_AT FROM {source} WHERE V <> 'cancelled'\n"


def comment(p) -> dict:
    (text,) = p.sql(
        f"SELECT COMMENT FROM {DATABASE}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
        (p.schema, "EVENTS"),
    )[0]
    return json.loads(text)["model_jobs"]


def test_a_new_tag_rebuilds_the_target_by_default(p):
    v1 = p.write(MERGE)
    p.create_source([(1, "a", at(0)), (2, "cancelled", at(1))])
    p.run(v1)
    v2 = p.write(MERGE, sql=WITHOUT_CANCELLED, tag="v2")
    old, new = v1.job("events", "dev").tag, v2.job("events", "dev").tag

    run = p.run(v2)

    assert run.mode == "full_refresh"
    assert run.reason == (
        f"the SQL changed: the target was built by tag v1 (sha256 {old.sha256[:12]}…), this run runs tag v2 "
        f"(sha256 {new.sha256[:12]}…) (on_sql_change: full_refresh)"
    )
    assert p.rows() == p.expected(v2) == [(1, "a", at(0))]
    assert (comment(p)["tag"], comment(p)["sql_sha256"]) == ("v2", new.sha256)
    # The next run of the same tag is incremental again.
    p.insert([(3, "c", at(5))])
    assert p.run(v2).mode == "incremental"
    assert p.rows() == p.expected(v2)


def test_keep_rows_applies_only_new_rows_and_says_so(p):
    v1 = p.write(KEEP)
    p.create_source([(1, "a", at(0)), (2, "cancelled", at(1))])
    p.run(v1)
    v2 = p.write(KEEP, sql=WITHOUT_CANCELLED, tag="v2")
    p.insert([(3, "c", at(5))])

    run = p.materialize(v2)

    assert run.incremental is not None and run.incremental.mode == "incremental"
    assert run.incremental.sql_change is not None
    assert run.incremental.sql_change.startswith("the SQL changed: the target was built by tag v1")
    assert run.incremental.sql_change.endswith("rows the earlier SQL wrote were kept (on_sql_change: keep_rows)")
    # Row 2 was written by v1 and is kept; row 3 is new and was selected by v2.
    assert p.rows() == [(1, "a", at(0)), (2, "cancelled", at(1)), (3, "c", at(5))]
    assert comment(p)["tag"] == "v2"
    assert [s.purpose for s in run.statements] == ["preflight", "stage", "check", "apply", "drop", "comment"]
    # Once the comment names v2, later runs have nothing to report.
    p.insert([(4, "d", at(6))])
    later = p.materialize(v2)
    assert later.incremental is not None and later.incremental.sql_change is None
    assert "comment" not in [s.purpose for s in later.statements]


def test_a_target_that_does_not_record_its_sql_is_rebuilt(p):
    project = p.write(MERGE)
    p.create_source([(1, "a", at(0))])
    p.run(project)
    p.sql(f"ALTER TABLE {p.target} SET COMMENT = 'edited by hand'")
    p.insert([(2, "b", at(5))])

    run = p.run(project)

    assert run.mode == "full_refresh"
    assert run.reason is not None and run.reason.startswith("the target does not record which SQL built it")
    assert comment(p)["tag"] == "v1"  # the rebuild wrote the comment again
    assert p.rows() == p.expected(project)


def test_same_sql_under_another_tag_stays_incremental(p):
    v1 = p.write(MERGE)
    p.create_source([(1, "a", at(0))])
    p.run(v1)
    v2 = p.write(MERGE, sql=MODEL_SQL, tag="v2")  # the same SQL, another name
    p.insert([(2, "b", at(5))])

    run = p.materialize(v2)

    assert run.incremental is not None and run.incremental.mode == "incremental"
    assert run.incremental.sql_change is None
    assert comment(p)["tag"] == "v2"  # the comment follows the tag name

"""Property: after any sequence of source changes the incremental target equals a full refresh.

Hypothesis generates batches of inserts, updates (merge, delete_insert), late rows inside the
lookback, rows sharing a watermark and empty batches; the job runs after each batch and the
target is compared, as a multiset of rows, with the model query over the same sources.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from model_jobs_tests.runtime.incremental_project import new_project

EXAMPLES = int(os.environ.get("MODEL_JOBS_PROPERTY_EXAMPLES", "200"))
LOOKBACK_MINUTES = 60
T0 = datetime(2026, 11, 1, 12, 0, 0)
_KEYED = f"unique_key: [ID], watermark: UPDATED_AT, lookback: {LOOKBACK_MINUTES}m"
SETTINGS = {
    "merge": f"{{strategy: merge, {_KEYED}}}",
    "delete_insert": f"{{strategy: delete_insert, {_KEYED}}}",
    "append": f"{{strategy: append, watermark: UPDATED_AT, lookback: {LOOKBACK_MINUTES}m}}",
}

# One change: (kind, which existing row, minutes relative to the target's watermark, value).
# Offsets stay within the lookback (>= -LOOKBACK_MINUTES): later ones are the documented limit,
# tested on their own in test_incremental.py.
change = st.tuples(
    st.sampled_from(["insert", "update"]),
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=-LOOKBACK_MINUTES, max_value=LOOKBACK_MINUTES) | st.just(0),
    st.sampled_from(["a", "b", "c", ""]),
)
batches = st.lists(st.lists(change, max_size=6), min_size=1, max_size=4)
initial = st.lists(st.tuples(st.integers(0, 120), st.sampled_from(["a", "b"])), max_size=6)


@pytest.fixture(scope="module")
def projects(tmp_path_factory, warehouse):
    """One schema and one loaded project per strategy, shared by that strategy's examples."""
    with contextlib.ExitStack() as stack:
        made = {}
        for strategy, incremental in SETTINGS.items():
            p = stack.enter_context(new_project(tmp_path_factory.mktemp(strategy), warehouse))
            made[strategy] = (p, p.write(incremental))
        yield made


def check(strategy: str, first: list, steps: list, p, project) -> None:
    rows = {i: (v, T0 + timedelta(minutes=m)) for i, (m, v) in enumerate(first)}
    p.create_source([(i, v, w) for i, (v, w) in rows.items()])
    p.sql(f"DROP TABLE IF EXISTS {p.target}")
    p.run(project)
    assert p.rows() == p.expected(project)
    for batch in steps:
        watermark = max((w for _, w in rows.values()), default=T0)
        for kind, pick, minutes, value in batch:
            stamp = watermark + timedelta(minutes=minutes)
            if kind == "update" and rows and strategy != "append":  # append never updates rows
                key = sorted(rows)[pick % len(rows)]
                rows[key] = (value, stamp)
            else:
                rows[len(rows) + 1000] = (value, stamp)
        p.create_source([(i, v, w) for i, (v, w) in rows.items()])
        run = p.run(project)
        assert p.rows() == p.expected(project), f"after {batch}"
        assert run.mode == "incremental" or run.reason == "the target has no rows"


def property_test(strategy: str):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(first=initial, steps=batches)
    # Regression and edge examples, always run: equal watermarks, a late row exactly at the
    # cutoff, empty batches, an update that moves a row's watermark back inside the lookback.
    @example(first=[(0, "a"), (0, "b")], steps=[[("insert", 0, 0, "c"), ("insert", 0, 0, "d")], []])
    @example(first=[(60, "a")], steps=[[("insert", 0, -LOOKBACK_MINUTES, "late")]])
    @example(first=[(10, "a"), (20, "b")], steps=[[], [], [("update", 1, -30, "back")]])
    def test(first, steps, projects):
        p, project = projects[strategy]
        check(strategy, first, steps, p, project)

    return test


test_merge_equals_full_refresh = property_test("merge")
test_delete_insert_equals_full_refresh = property_test("delete_insert")
test_append_equals_full_refresh = property_test("append")

"""`model-jobs render` prints what a run sends: compared statement by statement with real runs
on the embedded Snowflake, each strategy and the full build. Only what a run names or reads for
itself (the probe's marker, the staging table, the cutoff) is taken from the run."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from model_jobs.compile.run_statements import PROBE_MARKER, TARGET_MISSING, run_statements
from model_jobs.identifiers import TableName
from model_jobs_tests.runtime.incremental_project import MERGE, at

DELETE_INSERT = "{strategy: delete_insert, unique_key: [ID], watermark: UPDATED_AT, lookback: 1h}"
APPEND = "{strategy: append, watermark: UPDATED_AT, lookback: 1h}"
MARKER = re.compile(r'"(MJ_COLUMNS_[0-9A-F]{12})"')
STAGE = re.compile(r'"(MJ_STAGE_EVENTS_[0-9]+_[0-9A-F]+)"')


def _sent(materialization) -> list[tuple[str, str]]:
    """What the run sent, its probes' marker columns (named afresh per probe) as render names them."""
    return [(s.purpose, MARKER.sub(f'"{PROBE_MARKER}"', s.sql)) for s in materialization.statements]


def _rendered(planned) -> list[tuple[str, str]]:
    return [(s.purpose, s.sql) for s in planned.statements]


def test_full_build_is_rendered_exactly(p):
    project = p.write("false")
    p.create_source([(1, "a", at(0))])
    sent = _sent(p.materialize(project))
    planned = run_statements(p.job(project))
    assert _rendered(planned) == sent
    assert [s.when for s in planned.statements] == [None, None, None, None]


@pytest.mark.parametrize("settings", [MERGE, DELETE_INSERT, APPEND])
def test_incremental_run_is_rendered_exactly(p, settings):
    project = p.write(settings)
    p.create_source([(1, "a", at(0)), (2, "b", at(10))])
    first = _sent(p.materialize(project))
    refresh = run_statements(p.job(project), "full_refresh")
    # The first run: the probe fails (no target), the run asks INFORMATION_SCHEMA why, creates
    # the schema, probes the output alone and builds.
    assert [(s.purpose, s.sql) for s in refresh.statements if s.when in (None, TARGET_MISSING)] == first
    assert [s.params for s in refresh.statements if s.purpose == "diagnose"] == [
        {"d0": "INCREMENTAL_TEST", "s0_0": p.schema, "t0_0": "SRC", "s0_1": p.schema, "t0_1": "EVENTS"}
    ]
    p.sql(f"TRUNCATE TABLE {p.target}")
    emptied = _sent(p.materialize(project))  # a target without rows is rebuilt: no diagnosis
    assert [(s.purpose, s.sql) for s in refresh.statements if s.when is None] == emptied
    p.insert([(3, "c", at(20))])
    run = p.materialize(project)
    sent = _sent(run)
    stage = STAGE.search("\n".join(sql for _, sql in sent))
    assert stage, sent
    planned = run_statements(
        p.job(project),
        cutoff=run.incremental.watermark_before - timedelta(hours=1),
        stage=TableName(*TableName.parse(p.target).parts[:2], stage.group(1)),
    )
    # The run sent exactly the statements rendered as always sent, in order; the conditional ones
    # (a stale stage, duplicate keys, a ROLLBACK, another tag's comment) did not apply here.
    assert sent == [(s.purpose, s.sql) for s in planned.statements if s.when is None]
    assert {s.purpose for s in planned.statements if s.when} <= {"cleanup", "check", "apply", "comment"}

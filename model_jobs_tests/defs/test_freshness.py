"""Model freshness per environment: the `freshness` check of a model's partition, and the sensor
that runs it when a partition turns stale or fresh again."""

from __future__ import annotations

import time

import pytest
from dagster import AssetCheckKey, AssetMaterialization, DagsterInstance, build_sensor_context

from model_jobs.defs import freshness
from model_jobs.defs.build import build_definitions
from model_jobs.defs.keys import model_key
from model_jobs.project import load_project
from model_jobs_tests.specs.spec_edits import edit

CHECK = AssetCheckKey(model_key("customers_dim"), "freshness")
DAY = 86400


@pytest.fixture
def prd_bound_tighter_than_dev(specs_copy):
    """customers_dim: every environment within 3d (defaults), prd within 1d (its own)."""
    jobs = "jobs/customers_dim.yaml"
    edit(specs_copy, jobs, "model: customers_dim\n", "model: customers_dim\ndefaults:\n  freshness: {max_age: 3d}\n")
    edit(specs_copy, jobs, "    freshness: {max_age: 3d} ", "    freshness: {max_age: 1d} ")
    return build_definitions(load_project(specs_copy))


@pytest.fixture
def clock(monkeypatch):
    """Move the clock freshness is judged by (only that module's)."""
    moved = {"by": 0.0}
    monkeypatch.setattr(freshness, "now", lambda: time.time() + moved["by"])
    return moved


def _tick(defs, instance, cursor):
    sensor = defs.resolve_sensor_def(freshness.FRESHNESS_SENSOR)
    return sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor, definitions=defs))


def _requested(data) -> list[tuple[str, str]]:
    return sorted((r.tags["dagster/partition"], r.tags["model_jobs/freshness"]) for r in data.run_requests)


def _run_check(defs, instance, request):
    assert request.asset_check_keys == [CHECK]
    job = defs.resolve_job_def(freshness.FRESHNESS_JOB)
    result = job.execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def _materialize(instance, environment: str) -> None:
    instance.report_runless_asset_event(
        AssetMaterialization(asset_key=model_key("customers_dim"), partition=environment)
    )


def test_the_demo_bounds_prd_only_with_a_check_per_environment(demo_project):
    defs = build_definitions(demo_project)
    assert demo_project.job("customers_dim", "marketing_prd").freshness.text == "3d"
    assert demo_project.job("customers_dim", "marketing_dev").freshness is None
    check = defs.get_repository_def().asset_checks_defs_by_key[CHECK]
    assert check.partitions_def.get_partition_keys() == ["marketing_dev", "marketing_prd", "sandbox"]
    assert defs.resolve_sensor_def(freshness.FRESHNESS_SENSOR).job_name == freshness.FRESHNESS_JOB


def test_a_stale_prd_is_not_hidden_by_a_fresh_dev(prd_bound_tighter_than_dev, tmp_path, clock):
    defs = prd_bound_tighter_than_dev
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        _materialize(instance, "marketing_dev")
        _materialize(instance, "marketing_prd")
        # sandbox was never materialized: stale from the first tick; dev and prd are fresh.
        first = _tick(defs, instance, None)
        assert _requested(first) == [("sandbox", "customers_dim@sandbox turned stale")]
        never = _run_check(defs, instance, first.run_requests[0])
        assert (never.passed, never.partition) == (False, "sandbox")
        assert never.description == "customers_dim@sandbox has never been materialized; max_age 3d"

        # Nothing changed: no run.
        same = _tick(defs, instance, first.cursor)
        assert not same.run_requests
        assert "customers_dim@sandbox has never been materialized; max_age 3d" in same.skip_message

        # Two days on: prd (1d) turns stale; dev (3d), materialized at the same time, stays fresh.
        clock["by"] = 2 * DAY
        later = _tick(defs, instance, same.cursor)
        assert _requested(later) == [("marketing_prd", "customers_dim@marketing_prd turned stale")]
        stale = _run_check(defs, instance, later.run_requests[0])
        assert (stale.passed, stale.partition) == (False, "marketing_prd")
        assert stale.description == "customers_dim@marketing_prd stale: materialized 48h ago; max_age 1d"

        # Back to the real clock, prd is materialized again: it turns fresh, and its check passes.
        clock["by"] = 0
        _materialize(instance, "marketing_prd")
        again = _tick(defs, instance, later.cursor)
        assert _requested(again) == [("marketing_prd", "customers_dim@marketing_prd turned fresh")]
        fresh = _run_check(defs, instance, again.run_requests[0])
        assert fresh.passed and fresh.description == "customers_dim@marketing_prd materialized 0m ago; max_age 1d"


def test_the_cursor_survives_a_restart_and_an_unreadable_one_is_an_error(demo_project, tmp_path):
    defs = build_definitions(demo_project)
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        first = _tick(defs, instance, None)
        assert _requested(first) == [("marketing_prd", "customers_dim@marketing_prd turned stale")]
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        assert not _tick(defs, instance, first.cursor).run_requests  # still stale: said once
        with pytest.raises(Exception, match="freshness sensor's cursor cannot be read"):
            _tick(defs, instance, '{"v": 99}')

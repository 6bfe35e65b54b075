"""Schedules and the dispatcher sensors, evaluated with the real definitions on a real instance."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    build_run_status_sensor_context,
    build_schedule_context,
    build_sensor_context,
)
from dagster._core.test_utils import create_run_for_test

from model_jobs.defs.build import build_definitions
from model_jobs.defs.keys import deployment_key, job_event_key, model_key
from model_jobs.defs.one_writer import WRITING_TAG
from model_jobs.project import load_project
from model_jobs_tests.specs.spec_edits import edit

DISPATCHER = "model_jobs_events"


@pytest.fixture
def persistent_instance(tmp_path):
    """An instance on disk: reopening it is what a restarted daemon does."""
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        yield instance


def _materialize(instance, model: str, env: str) -> None:
    instance.report_runless_asset_event(AssetMaterialization(asset_key=model_key(model), partition=env))


def _tick(defs, instance, cursor):
    sensor = defs.resolve_sensor_def(DISPATCHER)
    return sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor, definitions=defs))


def _requested(data) -> list[tuple[str, str, str]]:
    return sorted((r.job_name, r.partition_key, r.run_key) for r in data.run_requests or [])


@pytest.fixture
def every_env_follows_customers_dim(specs_copy):
    """orders_enriched runs after customers_dim in each of its environments."""
    edit(
        specs_copy,
        "jobs/orders_enriched.yaml",
        "model: orders_enriched\n",
        "model: orders_enriched\ndefaults:\n  trigger: {on: [{model_job: customers_dim}]}\n",
    )
    edit(
        specs_copy,
        "jobs/orders_enriched.yaml",
        "    trigger:\n      on:                                   # whichever happens: each starts one run\n",
        "    trigger:\n      on:\n",
    )
    return build_definitions(load_project(specs_copy))


def test_a_schedule_requests_its_environment_only_with_a_run_key_per_scheduled_time(demo_project, instance):
    defs = build_definitions(demo_project)
    schedule = defs.resolve_schedule_def("customers_dim__marketing_prd")
    assert schedule.cron_schedule == "0 6 * * 1-5"
    assert schedule.execution_timezone == "Europe/Berlin"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "customers_dim_job"
    when = datetime(2026, 11, 24, 6, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    context = build_schedule_context(
        instance=instance, scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    data = schedule.evaluate_tick(context)
    (request,) = data.run_requests
    assert request.partition_key == "marketing_prd"
    assert request.run_key == "customers_dim@marketing_prd:2026-11-24T06:00:00+01:00"
    assert request.tags["model_job"] == "customers_dim@marketing_prd"
    # Only scheduled Model Jobs have a schedule: customers_dim runs on demand in its other environments.
    names = {s.name for s in defs.get_repository_def().schedule_defs}
    assert names == {"customers_dim__marketing_prd", "order_status__marketing_prd"}


def test_every_model_has_a_job_that_tags_runs_with_their_model_job(demo_project):
    defs = build_definitions(demo_project)
    job = defs.resolve_job_def("orders_enriched_job")
    tags = job.partitioned_config.get_tags_for_partition_key("sandbox")
    assert tags["model_job"] == "orders_enriched@sandbox"
    jobs = {j.name for j in defs.get_repository_def().get_all_jobs()} - {"__ASSET_JOB"}
    models = ["customers_dim", "orders_enriched", "customer_ltv", "order_status"]
    # and the job the freshness sensor runs the models' freshness checks with
    assert jobs == {f"{m}_job" for m in models} | {"model_jobs_freshness_checks"}


def test_the_dispatcher_starts_from_now_then_starts_exactly_the_partitions_events_name(
    every_env_follows_customers_dim, persistent_instance
):
    defs, instance = every_env_follows_customers_dim, persistent_instance
    assert defs.resolve_sensor_def(DISPATCHER).default_status == DefaultSensorStatus.RUNNING
    _materialize(instance, "customers_dim", "marketing_dev")  # before the dispatcher: not replayed
    first = _tick(defs, instance, None)
    assert not first.run_requests
    assert first.skip_message.startswith("started watching")

    _materialize(instance, "customers_dim", "marketing_prd")
    _materialize(instance, "customers_dim", "sandbox")
    second = _tick(defs, instance, first.cursor)
    requested = _requested(second)
    assert [(job, env) for job, env, _ in requested] == [
        ("orders_enriched_job", "marketing_prd"),
        ("orders_enriched_job", "sandbox"),
    ]
    assert all(key.startswith(f"orders_enriched@{env}:") for _, env, key in requested)
    assert {r.tags["model_job"] for r in second.run_requests} == {
        "orders_enriched@marketing_prd",
        "orders_enriched@sandbox",
    }
    # A started run names the events it answers; customer_ltv, which waits for all, says so on its
    # partition (and only there).
    assert {r.tags["model_jobs/trigger"] for r in second.run_requests} == {
        f"model_job customers_dim@{env} (event {key.split(':')[1]})" for _, env, key in requested
    }
    observed = {(e.asset_key, e.partition): e.metadata["trigger_decision"].value for e in second.asset_events}
    assert observed == {
        (model_key("customer_ltv"), "marketing_prd"): "waiting for all: model_job orders_enriched@marketing_prd "
        "not seen since its last triggered run"
    }

    # Nothing new: nothing requested, and the tick says why.
    third = _tick(defs, instance, second.cursor)
    assert not third.run_requests
    assert third.skip_message.splitlines() == [
        "no new event",
        "customer_ltv@marketing_prd: waiting for all: model_job orders_enriched@marketing_prd not seen since its "
        "last triggered run",
    ]


def test_wait_for_all_waits_for_every_event_then_runs_once(demo_project, persistent_instance):
    defs, instance = build_definitions(demo_project), persistent_instance
    cursor = _tick(defs, instance, None).cursor
    _materialize(instance, "customers_dim", "marketing_prd")
    waiting = _tick(defs, instance, cursor)
    # orders_enriched@marketing_prd runs after customers_dim (any); customer_ltv waits for both.
    assert [(j, e) for j, e, _ in _requested(waiting)] == [("orders_enriched_job", "marketing_prd")]
    _materialize(instance, "orders_enriched", "marketing_prd")
    done = _tick(defs, instance, waiting.cursor)
    assert [(j, e) for j, e, _ in _requested(done)] == [("customer_ltv_job", "marketing_prd")]
    _materialize(instance, "orders_enriched", "marketing_prd")
    again = _tick(defs, instance, done.cursor)
    assert not again.run_requests
    assert "customer_ltv@marketing_prd: waiting for all: model_job customers_dim@marketing_prd" in again.skip_message


def test_a_burst_while_a_run_is_in_flight_gives_one_follow_up_and_a_restart_loses_nothing(tmp_path, demo_project):
    defs = build_definitions(demo_project)
    home = str(tmp_path)
    with DagsterInstance.local_temp(home) as instance:
        cursor = _tick(defs, instance, None).cursor
        running = create_run_for_test(
            instance,
            job_name="orders_enriched_job",
            status=DagsterRunStatus.STARTED,
            tags={"model_job": "orders_enriched@marketing_prd"},
        )
        for _ in range(10):
            _materialize(instance, "customers_dim", "marketing_prd")
        held = _tick(defs, instance, cursor)
        assert not held.run_requests
        assert "orders_enriched@marketing_prd: a run is in flight; one follow-up run is pending" in held.skip_message
    # The daemon restarts: a new instance object on the same storage, the stored cursor.
    with DagsterInstance.local_temp(home) as instance:
        still = _tick(defs, instance, held.cursor)
        assert not still.run_requests
        instance.report_run_failed(instance.get_run_by_id(running.run_id))
        follow_up = _tick(defs, instance, still.cursor)
        assert [(j, e) for j, e, _ in _requested(follow_up)] == [("orders_enriched_job", "marketing_prd")]
        last = max(
            r.storage_id
            for r in instance.fetch_materializations(
                AssetRecordsFilter(asset_key=model_key("customers_dim"), asset_partitions=["marketing_prd"]), limit=20
            ).records
        )
        assert follow_up.run_requests[0].run_key == f"orders_enriched@marketing_prd:{last}"
        assert not _tick(defs, instance, follow_up.cursor).run_requests


def test_a_deployment_starts_its_jobs_and_a_bogus_partition_is_reported(demo_project, persistent_instance):
    defs, instance = build_definitions(demo_project), persistent_instance
    cursor = _tick(defs, instance, None).cursor
    report = AssetMaterialization(asset_key=deployment_key("crm_service"), partition="production")
    instance.report_runless_asset_event(report)
    ignored = _tick(defs, instance, cursor)
    assert not ignored.run_requests
    assert "deployment crm_service was reported for 'production', which is not an environment" in (ignored.skip_message)
    instance.report_runless_asset_event(
        AssetMaterialization(asset_key=deployment_key("crm_service"), partition="marketing_prd")
    )
    started = _tick(defs, instance, ignored.cursor)
    assert [(j, e) for j, e, _ in _requested(started)] == [("orders_enriched_job", "marketing_prd")]


def _job_success(instance, job_name: str, tags=None):
    run = create_run_for_test(instance, job_name=job_name, status=DagsterRunStatus.SUCCESS, tags=tags or {})
    event = DagsterEvent(DagsterEventType.RUN_SUCCESS.value, job_name=job_name)
    return run, event


@pytest.fixture
def without_conditions(specs_copy):
    """The demo without order_status's conditions: these tests are about triggers, and a job with
    conditions asks the warehouse before it runs (tested in defs/test_conditions.py)."""
    text = (specs_copy / "jobs/order_status.yaml").read_text()
    kept = [line for line in text.splitlines(keepends=True) if not _condition_line(line)]
    (specs_copy / "jobs/order_status.yaml").write_text("".join(kept))
    return load_project(specs_copy)


def _condition_line(line: str) -> bool:
    words = ("conditions:", "source_freshness:", "changed_since_last_run:", "source_data_quality:")
    return line.strip().startswith(words)


def test_a_job_success_in_any_code_location_becomes_an_event_the_dispatcher_reads(
    without_conditions, persistent_instance
):
    defs, instance = build_definitions(without_conditions), persistent_instance
    sensor = defs.resolve_sensor_def("model_jobs_job_events")
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    cursor = _tick(defs, instance, None).cursor

    run, event = _job_success(instance, "crm_export")
    context = build_run_status_sensor_context(
        sensor_name="model_jobs_job_events", dagster_event=event, dagster_instance=instance, dagster_run=run
    )
    assert sensor(context) is None
    records = instance.fetch_materializations(AssetRecordsFilter(asset_key=job_event_key("crm_export")), limit=5)
    assert [r.asset_materialization.metadata["run_id"].value for r in records.records] == [run.run_id]
    # The same run seen again (a tick repeated after a crash) is not recorded twice.
    repeated = sensor(context)
    assert "already recorded" in repeated.skip_message
    # A job no Model Job runs after is not recorded.
    other, other_event = _job_success(instance, "something_else")
    skipped = sensor(
        build_run_status_sensor_context(
            sensor_name="model_jobs_job_events", dagster_event=other_event, dagster_instance=instance, dagster_run=other
        )
    )
    assert skipped.skip_message == "no Model Job runs after job 'something_else'"

    started = _tick(defs, instance, cursor)
    assert [(j, e) for j, e, _ in _requested(started)] == [("order_status_job", "marketing_prd")]


def test_the_dev_instance_queues_a_second_run_of_the_same_model_job(tmp_path, monkeypatch):
    from model_jobs.defs.instance import open_instance

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with open_instance() as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert limits == [{"key": "model_job", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]


def test_an_older_settings_file_written_by_model_jobs_is_brought_up_to_date(tmp_path, monkeypatch):
    from model_jobs.defs.instance import DEV_INSTANCE_SETTINGS, dagster_home

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text("# Written by model-jobs for `make dev`; edit freely\nrun_monitoring: {}\n")
    dagster_home()
    assert (tmp_path / "dagster.yaml").read_text() == DEV_INSTANCE_SETTINGS
    (tmp_path / "dagster.yaml").write_text("# mine\nrun_monitoring: {enabled: false}\n")
    dagster_home()
    assert (tmp_path / "dagster.yaml").read_text() == "# mine\nrun_monitoring: {enabled: false}\n"


def test_upstream_deployments_and_jobs_are_assets(demo_project):
    graph = build_definitions(demo_project).resolve_asset_graph()
    crm = graph.get(deployment_key("crm_service"))
    assert crm.is_external
    assert crm.partitions_def.get_partition_keys() == ["marketing_dev", "marketing_prd", "sandbox"]
    export = graph.get(job_event_key("crm_export"))
    assert export.is_external and export.partitions_def is None
    assert export.group_name == "upstream_jobs"
    assert AssetKey(["upstream_jobs", "crm_export"]) == job_event_key("crm_export")


@pytest.mark.usefixtures("warehouse")
def test_a_second_writer_of_a_model_job_is_refused_while_other_environments_run(demo_project, instance, query):
    from model_jobs.defs.headless import run_partition

    defs = build_definitions(demo_project)
    first = run_partition(defs, "customers_dim", "sandbox", instance)
    assert first.ok, first.error
    before = query("SELECT COUNT(*) FROM SANDBOX.MARKETING.CUSTOMERS_DIM")
    # Another run is writing customers_dim@sandbox (launched from the asset graph, say).
    other = create_run_for_test(
        instance, job_name="__ASSET_JOB", status=DagsterRunStatus.STARTED, tags={WRITING_TAG: "customers_dim@sandbox"}
    )
    refused = run_partition(defs, "customers_dim", "sandbox", instance)
    assert not refused.ok
    assert f"Model Job customers_dim@sandbox is being written by run {other.run_id}; this run wrote nothing" in (
        refused.error
    )
    assert query("SELECT COUNT(*) FROM SANDBOX.MARKETING.CUSTOMERS_DIM") == before
    refused_run = instance.get_run_by_id(refused.run_id)
    assert refused_run.tags[WRITING_TAG] == "customers_dim@sandbox (gave way)"  # it let go of its claim
    # Another environment of the same model is another Model Job: it runs.
    assert run_partition(defs, "customers_dim", "marketing_dev", instance).ok
    instance.report_run_failed(instance.get_run_by_id(other.run_id))
    again = run_partition(defs, "customers_dim", "sandbox", instance)
    assert again.ok, again.error
    assert instance.get_run_by_id(again.run_id).tags["model_job"] == "customers_dim@sandbox"
    assert instance.get_run_by_id(again.run_id).tags[WRITING_TAG] == "customers_dim@sandbox (ended)"

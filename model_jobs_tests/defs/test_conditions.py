"""Conditions gate Model Jobs where runs start (schedule ticks, the dispatcher) and in the run
itself, per environment, with the real definitions against the embedded Snowflake. Every
warehouse statement the gates send is counted."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import snowflake.connector.cursor
from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    AssetSelection,
    DagsterInstance,
    Definitions,
    build_schedule_context,
    build_sensor_context,
    define_asset_job,
    materialize,
)

from model_jobs.defs.build import build_definitions
from model_jobs.defs.conditions import SKIPPED_TAG, SOURCE_STATE
from model_jobs.defs.keys import job_event_key, model_key, source_key
from model_jobs.demo.seed import load_new_orders, seed
from model_jobs.identifiers import TableName
from model_jobs.project import load_project
from model_jobs_tests.harness import run_model_job
from model_jobs_tests.specs.spec_edits import edit

pytestmark = pytest.mark.warehouse

SCHEDULE = "order_status__marketing_prd"
DISPATCHER = "model_jobs_events"
STALE = re.compile(r"DATALAKE_PRD\.RAW\.ORDERS loaded \d+d ago in marketing_prd; max_age 1d")
ORDERS = TableName("DATALAKE_DEV", "RAW", "ORDERS")


@pytest.fixture
def statements(monkeypatch):
    """Every statement sent to the warehouse through the connector while the test runs."""
    sent: list[str] = []
    original = snowflake.connector.cursor.SnowflakeCursor.execute

    def execute(self, command, *args, **kwargs):
        sent.append(" ".join(str(command).split()))
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(snowflake.connector.cursor.SnowflakeCursor, "execute", execute)
    return sent


@pytest.fixture
def persistent(tmp_path):
    """An instance on disk: schedule contexts reopen the instance from its reference, as the daemon does."""
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        yield instance


@pytest.fixture
def reseed(warehouse, demo_project):
    """Tests here load fresh orders; the session's later tests expect the seeded rows."""
    yield lambda: seed(warehouse, demo_project)
    seed(warehouse, demo_project)


def _fresh_orders(warehouse, project, environment: str = "marketing_prd", count: int = 3):
    load_new_orders(warehouse, project, environment, count, datetime.now(UTC))


def _schedule_tick(defs, instance):
    context = build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 11, 24, 12, 30, tzinfo=UTC),
        repository_def=defs.get_repository_def(),
        resources=defs.resources,
    )
    return defs.resolve_schedule_def(SCHEDULE).evaluate_tick(context)


def _dispatch(defs, instance, cursor):
    sensor = defs.resolve_sensor_def(DISPATCHER)
    return sensor.evaluate_tick(
        build_sensor_context(instance=instance, cursor=cursor, definitions=defs, resources=defs.resources)
    )


def _observations(instance, key: AssetKey, partition: str) -> list:
    records = instance.fetch_observations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=50
    ).records
    return [r.asset_observation for r in records]


def test_a_stale_source_skips_the_schedule_tick_with_the_reason_in_one_statement(
    demo_project, persistent, statements, warehouse, reseed
):
    instance = persistent
    defs = build_definitions(demo_project)
    data = _schedule_tick(defs, instance)
    assert not data.run_requests
    message = data.skip_message
    assert message.startswith("order_status@marketing_prd skipped, conditions unmet: ")
    assert STALE.fullmatch(message.removeprefix("order_status@marketing_prd skipped, conditions unmet: "))
    # One statement measured the source: its newest load and row count.
    assert len(statements) == 1 and statements[0].startswith('SELECT 0 AS "SOURCE", DATE_PART(EPOCH_SECOND')
    # The reason is on the Model Job's partition, and what was measured on the source's prd partition.
    (skip,) = _observations(instance, model_key("order_status"), "marketing_prd")
    assert STALE.fullmatch(skip.metadata["skipped"].value)
    assert skip.metadata["where"].value == "schedule tick 2026-11-24T12:30:00+00:00"
    (measured,) = _observations(instance, source_key(ORDERS), "marketing_prd")
    assert measured.metadata["location"].value == "DATALAKE_PRD.RAW.ORDERS"
    assert measured.metadata["rows"].value == 600
    assert not _observations(instance, source_key(ORDERS), "marketing_dev")

    # Fresh orders: the next tick requests the run, for prd only.
    _fresh_orders(warehouse, demo_project)
    fresh = _schedule_tick(defs, instance)
    (request,) = fresh.run_requests
    assert request.partition_key == "marketing_prd"
    assert request.run_key == "order_status@marketing_prd:2026-11-24T12:30:00+00:00"


def test_an_event_for_a_job_whose_conditions_are_unmet_waits_and_then_runs_once(
    demo_project, warehouse, statements, reseed, tmp_path
):
    defs = build_definitions(demo_project)
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        cursor = _dispatch(defs, instance, None).cursor
        # order_status@marketing_prd runs after each crm_export; prd's orders are stale.
        instance.report_runless_asset_event(
            AssetMaterialization(asset_key=job_event_key("crm_export"), metadata={"run_id": "r1", "job": "crm_export"})
        )
        statements.clear()
        held = _dispatch(defs, instance, cursor)
        assert not held.run_requests
        line = next(x for x in held.skip_message.splitlines() if x.startswith("order_status@marketing_prd: "))
        assert line.startswith("order_status@marketing_prd: conditions unmet, the run waits for them: DATALAKE_PRD")
        assert len(statements) == 1  # one measuring statement for the environment
        skips = [e for e in held.asset_events if e.asset_key == model_key("order_status")]
        assert [e.partition for e in skips] == ["marketing_prd"]
        assert STALE.fullmatch(skips[0].metadata["skipped"].value)

        # No new event: evaluated again (still one statement), still waiting, nothing said again.
        statements.clear()
        still = _dispatch(defs, instance, held.cursor)
        assert not still.run_requests and not still.asset_events
        assert len(statements) == 1

        # Fresh orders: one run, keyed by the event it answers; then nothing more.
        _fresh_orders(warehouse, demo_project)
        ran = _dispatch(defs, instance, still.cursor)
        event_id = (
            instance.fetch_materializations(AssetRecordsFilter(asset_key=job_event_key("crm_export")), limit=1)
            .records[0]
            .storage_id
        )
        assert [(r.job_name, r.partition_key, r.run_key) for r in ran.run_requests] == [
            ("order_status_job", "marketing_prd", f"order_status@marketing_prd:{event_id}")
        ]
        statements.clear()
        after = _dispatch(defs, instance, ran.cursor)
        assert not after.run_requests
        assert statements == []  # nothing is owed a run: the warehouse is not asked


def test_a_run_whose_source_went_stale_after_the_tick_writes_nothing_and_succeeds(
    demo_project, instance, warehouse, query, reseed
):
    _fresh_orders(warehouse, demo_project)
    first = run_model_job(demo_project, "order_status", "marketing_prd", instance)
    assert first.ok
    before = query("SELECT ORDER_ID, STATUS, UPDATED_AT FROM ANALYTICS_PRD.MARTS.ORDER_STATUS ORDER BY 1")
    reseed()  # the fresh rows are gone: the newest load is days old again
    run = run_model_job(demo_project, "order_status", "marketing_prd", instance)
    assert run.error is None and STALE.fullmatch(run.skipped)
    assert query("SELECT ORDER_ID, STATUS, UPDATED_AT FROM ANALYTICS_PRD.MARTS.ORDER_STATUS ORDER BY 1") == before
    record = instance.get_run_by_id(run.run_id)
    assert record.is_success and STALE.fullmatch(record.tags[SKIPPED_TAG])
    # The skip is on the partition; the latest materialization is still the first run's.
    (latest,) = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=model_key("order_status"), asset_partitions=["marketing_prd"]), limit=1
    ).records
    assert latest.run_id == first.run_id


def test_changed_since_last_run_compares_with_the_state_recorded_on_the_last_materialization(
    demo_project, instance, warehouse, reseed
):
    _fresh_orders(warehouse, demo_project, count=2)
    ran = run_model_job(demo_project, "order_status", "marketing_prd", instance)
    assert ran.ok
    state = ran.metadata[SOURCE_STATE]["DATALAKE_PRD.RAW.ORDERS"]
    assert state["rows"] == 602 and state["loaded_at"] > datetime.now(UTC).timestamp() - 3600
    unchanged = run_model_job(demo_project, "order_status", "marketing_prd", instance)
    assert unchanged.skipped.startswith(
        "no source changed in marketing_prd since the last materialization (DATALAKE_PRD.RAW.ORDERS: 602 rows, "
        "newest load "
    )
    _fresh_orders(warehouse, demo_project, count=1)
    assert run_model_job(demo_project, "order_status", "marketing_prd", instance).metadata["rows_written"] == 603


@pytest.fixture
def conditions_everywhere(specs_copy):
    """order_status with the same freshness condition in dev, and prd requiring data quality too."""
    edit(
        specs_copy,
        "jobs/order_status.yaml",
        "  marketing_dev:\n    tag: latest\n",
        "  marketing_dev:\n    tag: latest\n    conditions: {source_freshness: {max_age: 1d}}\n",
    )
    edit(
        specs_copy,
        "jobs/order_status.yaml",
        "      changed_since_last_run: true             # and changed since the last run\n",
        "      changed_since_last_run: true\n      source_data_quality: true\n",
    )
    return load_project(specs_copy)


def test_each_environment_is_judged_on_its_own_sources(conditions_everywhere, instance, warehouse, reseed):
    project = conditions_everywhere
    _fresh_orders(warehouse, project, environment="marketing_dev")
    dev = run_model_job(project, "order_status", "marketing_dev", instance)
    prd = run_model_job(project, "order_status", "marketing_prd", instance)
    sandbox = run_model_job(project, "order_status", "sandbox", instance)
    # dev is fresh; prd is stale (a fresh dev never hides it); sandbox's failing check blocks sandbox only.
    assert dev.ok and dev.metadata["conditions"] == "met"
    assert STALE.fullmatch(prd.skipped)
    assert sandbox.skipped == "DATALAKE_DEV.SAMPLE.ORDERS: 1 of 46 rows fail accepted_values_status (check failed)"
    # The source's partitions show each environment's own state and checks.
    (dev_seen,) = _observations(instance, source_key(ORDERS), "marketing_dev")
    assert dev_seen.metadata["location"].value == "DATALAKE_DEV.RAW.ORDERS"
    assert dev_seen.metadata["age_seconds"].value < 600
    (sandbox_seen,) = _observations(instance, source_key(ORDERS), "sandbox")
    checks = sandbox_seen.metadata["checks"].value
    assert checks["accepted_values_status"] == {"passed": False, "severity": "error", "failing_rows": 1}
    (lost,) = sandbox_seen.metadata["failing_rows_sample/accepted_values_status"].value
    assert lost["STATUS"] == "LOST"
    prd_seen = _observations(instance, source_key(ORDERS), "marketing_prd")
    assert [o.metadata["age_seconds"].value > 86400 for o in prd_seen] == [True]

    # Fresh prd orders: prd's checks pass there (the sandbox's failure does not block it).
    _fresh_orders(warehouse, project)
    prd = run_model_job(project, "order_status", "marketing_prd", instance)
    assert prd.ok and prd.metadata["conditions"] == "met"


def _check_job(defs, *check_names: str):
    """A job running some of the orders source's checks, as the UI's Execute button does."""
    keys = [AssetCheckKey(source_key(ORDERS), name) for name in check_names]
    job = define_asset_job("checks_only", selection=AssetSelection.checks(*keys))
    scoped = Definitions(
        assets=list(defs.assets), asset_checks=list(defs.asset_checks), jobs=[job], resources=defs.resources
    )
    return scoped.resolve_job_def("checks_only")


def test_source_checks_run_per_environment_all_in_one_statement_or_one_alone(
    demo_project, instance, statements, warehouse
):
    defs = build_definitions(demo_project)
    names = [c.name for c in demo_project.source_rules.checks[ORDERS]]
    everything = _check_job(defs, *names).execute_in_process(instance=instance, tags={"dagster/partition": "sandbox"})
    results = {e.check_name: e for e in everything.get_asset_check_evaluations()}
    assert sorted(results) == sorted(names)
    assert [name for name, e in results.items() if not e.passed] == ["accepted_values_status"]
    failed = results["accepted_values_status"]
    assert failed.metadata["location"].value == "DATALAKE_DEV.SAMPLE.ORDERS"
    assert failed.metadata["failing_rows"].value == 1
    (lost,) = failed.metadata["failing_rows_sample"].value
    assert lost["STATUS"] == "LOST"
    # One statement evaluated every check, one more read the failing check's rows.
    assert [s.split(" ", 2)[:2] for s in statements] == [["SELECT", "COUNT(*)"], ["SELECT", "*"]]

    statements.clear()
    alone = _check_job(defs, "row_count").execute_in_process(
        instance=instance, tags={"dagster/partition": "marketing_prd"}
    )
    (only,) = alone.get_asset_check_evaluations()
    assert (only.check_name, only.passed, only.metadata["location"].value) == (
        "row_count",
        True,
        "DATALAKE_PRD.RAW.ORDERS",
    )
    assert statements == ['SELECT COUNT(*) AS "ROWS", NULL AS "CHECK_0" FROM "DATALAKE_PRD"."RAW"."ORDERS"']


def test_source_checks_launched_without_an_environment_say_so_and_send_no_sql(
    demo_project, instance, statements, warehouse
):
    """The UI's "Execute all" on a source's Checks tab launches no partition: the run fails with
    what to do instead, before any statement, rather than with Dagster's invariant error."""
    defs = build_definitions(demo_project)
    names = [c.name for c in demo_project.source_rules.checks[ORDERS]]
    result = _check_job(defs, *names).execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith(f"The checks of {ORDERS} run per environment (partition), and this run names none")
    assert "Nothing was checked" in message
    assert statements == []


def test_a_skipped_model_skips_its_downstream_models_in_the_same_run(specs_copy, instance, warehouse):
    edit(
        specs_copy,
        "jobs/orders_enriched.yaml",
        "    target: {database: ANALYTICS_PRD, schema: MARTS, table: ORDERS_ENRICHED}\n",
        "    target: {database: ANALYTICS_PRD, schema: MARTS, table: ORDERS_ENRICHED}\n"
        "    conditions: {source_freshness: {DATALAKE_DEV.RAW.ORDERS: {max_age: 1d}}}\n",
    )
    defs = build_definitions(load_project(specs_copy))
    result = materialize(
        [defs.get_assets_def("orders_enriched"), defs.get_assets_def("customer_ltv")],
        partition_key="marketing_prd",
        resources=defs.resources,
        instance=instance,
    )
    assert result.success
    assert not result.get_asset_materialization_events()
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert skipped == {"customer_ltv"}
    assert STALE.fullmatch(instance.get_run_by_id(result.run_id).tags[SKIPPED_TAG])

"""Nothing is lost: a run that cannot or does not finish leaves the target as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import snowflake.connector

from model_jobs.project import load_project
from model_jobs.specs.tags import lock_line
from model_jobs_tests.harness import run_model_job


def run(specs: Path, model: str, env: str, instance):
    return run_model_job(load_project(specs), model, env, instance)


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def snapshot(query, table: str) -> list[tuple]:
    return query(f"SELECT * FROM {table} ORDER BY 1")


def test_source_schema_mismatch_fails_clearly_and_writes_nothing(specs_copy, query, instance):
    jobs = specs_copy / "jobs" / "customers_dim.yaml"
    rewrite(jobs, "  marketing_prd:\n", "  marketing_prd:\n    target: {table: CUSTOMERS_DIM_SCHEMA_TEST}\n")
    first = run(specs_copy, "customers_dim", "marketing_prd", instance)
    assert first.ok and first.metadata["rows_written"] == 120
    before = snapshot(query, "ANALYTICS_PRD.MARTS.CUSTOMERS_DIM_SCHEMA_TEST")

    # A prd copy of CUSTOMERS whose NAME became a number and COUNTRY disappeared.
    query("CREATE SCHEMA IF NOT EXISTS DATALAKE_PRD.DRIFTED")
    query(
        "CREATE OR REPLACE TABLE DATALAKE_PRD.DRIFTED.CUSTOMERS AS "
        "SELECT CUSTOMER_ID, CUSTOMER_ID AS NAME, EMAIL, SIGNED_UP_AT FROM DATALAKE_PRD.CRM.CUSTOMERS"
    )
    rewrite(jobs, "DATALAKE_PRD.CRM.CUSTOMERS", "DATALAKE_PRD.DRIFTED.CUSTOMERS")
    second = run(specs_copy, "customers_dim", "marketing_prd", instance)

    assert not second.ok
    assert "nothing was written" in second.error
    assert "DATALAKE_PRD.DRIFTED.CUSTOMERS (mapped from DATALAKE_DEV.RAW.CUSTOMERS): column NAME is" in second.error
    assert "but sources.yaml declares VARCHAR" in second.error
    assert "column COUNTRY is missing (declared VARCHAR in sources.yaml)" in second.error
    assert snapshot(query, "ANALYTICS_PRD.MARTS.CUSTOMERS_DIM_SCHEMA_TEST") == before


def test_missing_source_table_names_it(specs_copy, warehouse, instance):
    rewrite(specs_copy / "jobs" / "customers_dim.yaml", "DATALAKE_PRD.CRM.CUSTOMERS", "DATALAKE_PRD.CRM.NOPE")
    outcome = run(specs_copy, "customers_dim", "marketing_prd", instance)
    assert not outcome.ok
    assert "DATALAKE_PRD.CRM.NOPE (mapped from DATALAKE_DEV.RAW.CUSTOMERS): table does not exist" in outcome.error


def test_query_failing_mid_build_leaves_previous_target(specs_copy, query, instance):
    model_dir = specs_copy / "models" / "customers_dim"
    bad_sql = "SELECT CUSTOMER_ID, CAST(NAME AS INTEGER) AS NAME FROM DATALAKE_DEV.RAW.CUSTOMERS\n"
    (model_dir / "tags" / "boom.sql").write_text(bad_sql)
    with (model_dir / "tags.lock").open("a") as lock:
        lock.write(lock_line("boom", bad_sql, "2026-11-20T00:00:00Z", "casts a name to a number") + "\n")
    jobs = specs_copy / "jobs" / "customers_dim.yaml"
    rewrite(
        jobs,
        "  sandbox:\n    tag: sprint-42\n",
        "  sandbox:\n    tag: sprint-42\n    target: {table: BUILD_FAIL_TEST}\n",
    )
    assert run(specs_copy, "customers_dim", "sandbox", instance).ok
    table = "SANDBOX.MARKETING.BUILD_FAIL_TEST"
    before = snapshot(query, table)
    comment_sql = "SELECT COMMENT FROM SANDBOX.INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'BUILD_FAIL_TEST'"
    comment_before = query(comment_sql)

    rewrite(jobs, "  sandbox:\n    tag: sprint-42\n", "  sandbox:\n    tag: boom\n")
    outcome = run(specs_copy, "customers_dim", "sandbox", instance)

    assert not outcome.ok
    assert "Customer 0001" in outcome.error  # the warehouse's own reason is passed through
    assert len(before) == 10
    assert snapshot(query, table) == before
    assert query(comment_sql) == comment_before
    assert json.loads(comment_before[0][0])["model_jobs"]["tag"] == "sprint-42"


def test_session_carries_query_tag_role_and_warehouse(demo_project, warehouse, instance, monkeypatch):
    seen: list[dict] = []
    real_connect = snowflake.connector.connect

    def spy(**kwargs):
        seen.append(kwargs)
        return real_connect(**kwargs)

    monkeypatch.setattr(snowflake.connector, "connect", spy)
    outcome = run_model_job(demo_project, "customers_dim", "sandbox", instance)
    assert outcome.ok
    (kwargs,) = seen
    assert kwargs["role"] == "SANDBOX" and kwargs["warehouse"] == "SANDBOX_WH"
    tag = json.loads(kwargs["session_parameters"]["QUERY_TAG"])
    run_id = instance.get_runs(limit=1)[0].run_id
    assert tag == {
        "app": "model-jobs",
        "model": "customers_dim",
        "environment": "sandbox",
        "tag": "sprint-42",
        "run_id": run_id,
    }
    assert "password" not in kwargs["session_parameters"]


@pytest.mark.parametrize("missing", ["SNOWFLAKE_USER", "credentials"])
def test_real_account_without_credentials_is_a_clear_error(monkeypatch, missing):
    from model_jobs.defs.resources import snowflake_resource_from_env
    from model_jobs.errors import ConfigurationError

    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "xy12345")
    for name in ("SNOWFLAKE_PASSWORD", "SNOWFLAKE_PRIVATE_KEY", "SNOWFLAKE_PRIVATE_KEY_PATH"):
        monkeypatch.delenv(name, raising=False)
    if missing == "SNOWFLAKE_USER":
        monkeypatch.delenv("SNOWFLAKE_USER", raising=False)
        message = "SNOWFLAKE_ACCOUNT is set but SNOWFLAKE_USER is not"
    else:
        monkeypatch.setenv("SNOWFLAKE_USER", "loader")
        message = "no credentials are: set SNOWFLAKE_PASSWORD, SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_PATH"
    with pytest.raises(ConfigurationError, match=message):
        snowflake_resource_from_env()


def test_real_account_uses_env_vars_not_values(monkeypatch):
    from model_jobs.defs.resources import snowflake_resource_from_env

    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "xy12345")
    monkeypatch.setenv("SNOWFLAKE_USER", "loader")
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", "s3cret")
    resource = snowflake_resource_from_env()
    # The definitions hold references to the variables; the secret itself is resolved at run time.
    assert "s3cret" not in repr(resource.model_dump())
    assert resource.additional_snowflake_connection_args is None

"""No target can overwrite a source, another Model Job's table (in any environment) or a table in
Snowflake's own databases."""

from __future__ import annotations

import pytest

from model_jobs_tests.specs.spec_edits import edit, only_error

JOB = "jobs/customers_dim.yaml"


def test_a_target_that_is_a_declared_source(specs):
    line = edit(
        specs,
        JOB,
        "  sandbox:\n    tag: sprint-42\n",
        "  sandbox:\n    tag: sprint-42\n    target: {database: DATALAKE_DEV, schema: RAW, table: ORDERS}\n",
    )
    error = only_error(specs, JOB, "jobs.sandbox.target")
    assert error.line == line + 2
    assert error.message == (
        "DATALAKE_DEV.RAW.ORDERS is a source declared in sources.yaml; a job must not overwrite a table models read"
    )


def test_a_target_that_a_job_reads_after_mapping(specs):
    """DATALAKE_DEV.SAMPLE.CUSTOMERS is not declared, but the sandbox job of customers_dim reads it
    (its schema mapping); orders_enriched's sandbox job must not write it."""
    edit(
        specs,
        "jobs/orders_enriched.yaml",
        "  sandbox:\n",
        "  sandbox:\n    target: {database: DATALAKE_DEV, schema: SAMPLE, table: CUSTOMERS}\n",
    )
    error = only_error(specs, "jobs/orders_enriched.yaml", "jobs.sandbox.target")
    assert error.message.startswith("DATALAKE_DEV.SAMPLE.CUSTOMERS is read as a source by model ")
    assert "(mapped from DATALAKE_DEV.RAW.CUSTOMERS); a job must not overwrite a table models read" in error.message


@pytest.mark.parametrize("database", ["SNOWFLAKE", "snowflake_sample_data"])
def test_a_target_in_snowflakes_own_databases(specs, database):
    edit(
        specs,
        JOB,
        "  sandbox:\n    tag: sprint-42\n",
        f"  sandbox:\n    tag: sprint-42\n    target: {{database: {database}}}\n",
    )
    error = only_error(specs, JOB, "jobs.sandbox.target")
    assert error.message.startswith(
        f"{database.upper()}.MARKETING.CUSTOMERS_DIM is in {database.upper()}, a database Snowflake provides"
    )

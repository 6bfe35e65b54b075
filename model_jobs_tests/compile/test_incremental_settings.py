"""Incremental settings: defaults merged with each job's own, and every bad setting named."""

from __future__ import annotations

import pytest

from model_jobs.compile.incremental import Incremental
from model_jobs.project import load_project
from model_jobs_tests.specs.spec_edits import spec_errors

JOBS = "jobs/orders_enriched.yaml"


def with_jobs_header(specs, header: str, prd_extra: str = "") -> None:
    path = specs / JOBS
    text = path.read_text().replace("model: orders_enriched\n", f"model: orders_enriched\n{header}")
    if prd_extra:
        text = text.replace('    tag: "2026.1"', f'    tag: "2026.1"\n{prd_extra}')
    path.write_text(text)


def test_defaults_merge_field_by_field_and_false_opts_out(specs_copy):
    with_jobs_header(
        specs_copy,
        "defaults:\n  incremental: {strategy: merge, unique_key: [ORDER_ID], watermark: UPDATED_AT, lookback: 2h}\n",
        "    incremental: {strategy: delete_insert, lookback: 1d}",
    )
    sandbox = specs_copy / JOBS
    sandbox.write_text(sandbox.read_text().replace('    tag: "2026.2"', '    tag: "2026.2"\n    incremental: false'))
    project = load_project(specs_copy)
    assert project.job("orders_enriched", "marketing_dev").incremental == Incremental(
        strategy="merge", watermark="UPDATED_AT", unique_key=("ORDER_ID",), lookback_seconds=7200
    )
    assert project.job("orders_enriched", "marketing_prd").incremental == Incremental(
        strategy="delete_insert", watermark="UPDATED_AT", unique_key=("ORDER_ID",), lookback_seconds=86400
    )
    assert project.job("orders_enriched", "sandbox").incremental is None
    assert project.job("customers_dim", "marketing_dev").incremental is None


@pytest.mark.parametrize(
    ("incremental", "field", "message"),
    [
        (
            "{watermark: UPDATED_AT}",
            "jobs.marketing_prd.incremental",
            "needs a strategy: append, merge, delete_insert (here or in defaults.incremental)",
        ),
        ("{strategy: merge, unique_key: [ORDER_ID]}", "jobs.marketing_prd.incremental", "needs a watermark"),
        (
            "{strategy: merge, watermark: UPDATED_AT}",
            "jobs.marketing_prd.incremental",
            "strategy merge needs unique_key: the output columns that identify a row",
        ),
        (
            "{strategy: upsert, watermark: UPDATED_AT}",
            "jobs.marketing_prd.incremental.strategy",
            "Input should be 'append', 'merge' or 'delete_insert'",
        ),
        (
            "{strategy: append, watermark: UPDATED_AT, lookback: 2 hours}",
            "jobs.marketing_prd.incremental.lookback",
            "'2 hours' is not a duration: use a number and a unit s, m, h or d",
        ),
        (
            "{strategy: append, watermark: UPDATED_AT, on_schema_change: ignore}",
            "jobs.marketing_prd.incremental.on_schema_change",
            "Input should be 'fail', 'append_new_columns' or 'full_refresh'",
        ),
        (
            "{strategy: append, watermark: UPDATED AT}",
            "jobs.marketing_prd.incremental.watermark",
            "'UPDATED AT' is not a valid Snowflake identifier",
        ),
        (
            "{strategy: merge, unique_key: [], watermark: UPDATED_AT}",
            "jobs.marketing_prd.incremental.unique_key",
            "must not be empty",
        ),
        (
            "{strategy: append, watermark: UPDATED_AT, cutoff: 1}",
            "jobs.marketing_prd.incremental",
            "unknown field 'cutoff'; allowed: strategy, unique_key, watermark, lookback, on_schema_change",
        ),
    ],
)
def test_bad_incremental_settings(specs_copy, incremental, field, message):
    with_jobs_header(specs_copy, "", f"    incremental: {incremental}")
    errors = [e for e in spec_errors(specs_copy) if e.field.startswith(field)]
    assert len(errors) == 1, errors
    assert message in errors[0].message
    assert errors[0].file.name == "orders_enriched.yaml" and errors[0].line == 9

"""The code location as Dagster sees it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from dagster import AssetKey

from model_jobs.defs.build import build_definitions
from model_jobs_tests.conftest import REPO

ENVIRONMENTS = ["marketing_dev", "marketing_prd", "sandbox"]


def test_one_partitioned_asset_per_model(demo_project):
    graph = build_definitions(demo_project).resolve_asset_graph()
    for model in ["customers_dim", "orders_enriched", "customer_ltv", "order_status"]:
        node = graph.get(AssetKey(model))
        assert node.partitions_def.get_partition_keys() == ENVIRONMENTS
        assert node.kinds == {"snowflake"}
        assert node.group_name == "marketing"
        assert "team:marketing" in node.owners
    ltv = graph.get(AssetKey("customer_ltv"))
    assert ltv.parent_keys == {AssetKey("customers_dim"), AssetKey("orders_enriched")}
    assert graph.get(AssetKey("orders_enriched")).parent_keys == {
        AssetKey(["datalake_dev", "raw", "orders"]),
        AssetKey(["datalake_dev", "raw", "order_items"]),
    }
    external = {k for k in graph.get_all_asset_keys() if graph.get(k).is_external}
    sources = {k for k in external if graph.get(k).group_name == "sources"}
    assert sources == {AssetKey(["datalake_dev", "raw", t]) for t in ["orders", "order_items", "customers"]}
    # One deployment asset per model, partitioned like the models, that `model-jobs deploy` reports
    # to, one per deployment declared in upstream.yaml, and one per job a trigger names.
    deployments = {k for k in external - sources if graph.get(k).group_name == "deployments"}
    assert deployments == {
        AssetKey(["deployments", m])
        for m in ["customers_dim", "orders_enriched", "customer_ltv", "order_status", "crm_service"]
    }
    assert external - sources - deployments == {AssetKey(["upstream_jobs", "crm_export"])}
    assert graph.get(AssetKey(["deployments", "customer_ltv"])).partitions_def.get_partition_keys() == ENVIRONMENTS


def test_description_lists_each_environments_tag(demo_project):
    graph = build_definitions(demo_project).resolve_asset_graph()
    description = graph.get(AssetKey("orders_enriched")).description
    assert description.startswith("Orders with their total value")
    assert "| marketing_dev | 2026.2 (latest) |" in description
    assert "| marketing_prd | 2026.1 | DATALAKE_PRD.RAW.ORDERS, DATALAKE_PRD.RAW.ORDER_ITEMS |" in description


def dagster_validate(env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.mark.slow  # a fresh `dagster` process
def test_dagster_definitions_validate_passes():
    result = dagster_validate()
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # a fresh `dagster` process
def test_code_location_refuses_to_load_invalid_specs(specs_copy):
    jobs = specs_copy / "jobs" / "orders_enriched.yaml"
    jobs.write_text(jobs.read_text().replace('tag: "2026.1"', 'tag: "2025.9"'))
    result = dagster_validate({"MODEL_JOBS_SPECS_DIR": str(specs_copy)})
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "job_specs are invalid (1 error):" in output
    assert "orders_enriched.yaml:8: jobs.marketing_prd.tag: model 'orders_enriched' has no tag '2025.9'" in output


def test_runs_execute_in_process(demo_project):
    """Every run of the code location, the UI's asset-graph launches (the implicit asset job)
    included, runs its steps in the run's own process: no subprocess per step."""
    repository = build_definitions(demo_project).get_repository_def()
    assert repository.get_implicit_global_asset_job_def().executor_def.name == "in_process"

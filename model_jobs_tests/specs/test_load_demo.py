"""The demo job_specs/ load into 3 models, 9 Model Jobs and 3 environments, exactly as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_jobs.cli import main
from model_jobs.identifiers import TableName
from model_jobs.project import load_project

DEMO_SPECS = Path(__file__).resolve().parents[2] / "job_specs"

MODELS = ["customer_ltv", "customers_dim", "order_status", "orders_enriched"]
ENVIRONMENTS = ["marketing_dev", "marketing_prd", "sandbox"]
# (older tag, newest tag) per model, as recorded in each tags.lock.
TAGS = {
    "customers_dim": ("sprint-41", "sprint-42"),
    "orders_enriched": ("2026.1", "2026.2"),
    "customer_ltv": ("2026.1", "2026.2"),
    "order_status": ("v1", "v2"),
}


@pytest.fixture(scope="module")
def project():
    return load_project(DEMO_SPECS)


def test_demo_has_four_models_twelve_jobs_three_environments(project):
    assert sorted(project.specs.models) == MODELS
    assert len(project.jobs) == 12
    assert sorted(project.jobs) == [(m, e) for m in MODELS for e in ENVIRONMENTS]
    assert list(project.specs.environments) == ENVIRONMENTS
    assert project.specs.design_environment == "marketing_dev"


def test_every_model_is_deployed_in_every_environment_upstream_first(project):
    for model in MODELS:
        assert project.environments_of(model) == ENVIRONMENTS
    order = project.model_order()
    assert sorted(order) == MODELS
    assert order.index("customer_ltv") > order.index("customers_dim")
    assert order.index("customer_ltv") > order.index("orders_enriched")


@pytest.mark.parametrize("model", sorted(TAGS))
def test_tags_are_loaded_oldest_first(project, model):
    tags = project.specs.models[model].tags
    assert tuple(t.name for t in tags) == TAGS[model]
    assert project.specs.models[model].newest_tag.name == TAGS[model][1]


@pytest.mark.parametrize("model", sorted(TAGS))
def test_design_environment_follows_the_newest_tag(project, model):
    job = project.job(model, "marketing_dev")
    assert job.follows_latest is True
    assert job.tag.name == TAGS[model][1]
    assert job.tag == project.specs.models[model].newest_tag


@pytest.mark.parametrize("model", sorted(TAGS))
def test_production_is_pinned_to_the_older_tag(project, model):
    job = project.job(model, "marketing_prd")
    assert job.follows_latest is False
    assert job.tag.name == TAGS[model][0]
    assert job.tag != project.specs.models[model].newest_tag


@pytest.mark.parametrize("model", sorted(TAGS))
def test_sandbox_is_pinned_to_the_newest_tag_without_following_it(project, model):
    job = project.job(model, "sandbox")
    assert job.follows_latest is False
    assert job.tag.name == TAGS[model][1]


@pytest.mark.parametrize(
    ("model", "environment", "target"),
    [
        # Defaults: the environment's database and schema, the model name upper-cased.
        ("customers_dim", "marketing_dev", "ANALYTICS_DEV.MARTS.CUSTOMERS_DIM"),
        ("customers_dim", "marketing_prd", "ANALYTICS_PRD.MARTS.CUSTOMERS_DIM"),
        ("customers_dim", "sandbox", "SANDBOX.MARKETING.CUSTOMERS_DIM"),
        ("customer_ltv", "marketing_dev", "ANALYTICS_DEV.MARTS.CUSTOMER_LTV"),
        ("customer_ltv", "marketing_prd", "ANALYTICS_PRD.MARTS.CUSTOMER_LTV"),
        ("orders_enriched", "sandbox", "SANDBOX.MARKETING.ORDERS_ENRICHED"),
        # Overrides written in the job file.
        ("customer_ltv", "sandbox", "SANDBOX.MARKETING.CUSTOMER_LTV_TRIAL"),
        ("orders_enriched", "marketing_dev", "ANALYTICS_DEV.MARTS.ORDERS_ENRICHED"),
        ("orders_enriched", "marketing_prd", "ANALYTICS_PRD.MARTS.ORDERS_ENRICHED"),
    ],
)
def test_targets_default_from_environment_and_model_name(project, model, environment, target):
    job = project.job(model, environment)
    assert job.target == TableName.parse(target)
    assert job.key == f"{model}@{environment}"


@pytest.mark.parametrize(
    ("model", "environment", "design", "read", "via"),
    [
        ("customers_dim", "marketing_dev", "DATALAKE_DEV.RAW.CUSTOMERS", "DATALAKE_DEV.RAW.CUSTOMERS", "as written"),
        ("customers_dim", "marketing_prd", "DATALAKE_DEV.RAW.CUSTOMERS", "DATALAKE_PRD.CRM.CUSTOMERS", "table mapping"),
        ("customers_dim", "sandbox", "DATALAKE_DEV.RAW.CUSTOMERS", "DATALAKE_DEV.SAMPLE.CUSTOMERS", "schema mapping"),
        ("orders_enriched", "marketing_prd", "DATALAKE_DEV.RAW.ORDERS", "DATALAKE_PRD.RAW.ORDERS", "database mapping"),
        (
            "customer_ltv",
            "marketing_prd",
            "ANALYTICS_DEV.MARTS.CUSTOMERS_DIM",
            "ANALYTICS_PRD.MARTS.CUSTOMERS_DIM",
            "model",
        ),
        (
            "customer_ltv",
            "sandbox",
            "ANALYTICS_DEV.MARTS.ORDERS_ENRICHED",
            "SANDBOX.MARKETING.ORDERS_ENRICHED",
            "model",
        ),
    ],
)
def test_sources_resolve_per_environment(project, model, environment, design, read, via):
    reads = {str(s.design): s for s in project.job(model, environment).sources}
    assert str(reads[design].actual) == read
    assert reads[design].via == via


def test_validate_cli_exits_0_on_the_demo(capsys):
    assert main(["validate", str(DEMO_SPECS)]) == 0
    captured = capsys.readouterr()
    assert "4 model(s), 12 Model Job(s) (2 scheduled, 4 run after events, 2 with conditions), 10 source check(s)" in (
        captured.out
    )
    assert captured.err == ""


def test_order_status_is_incremental_with_one_strategy_per_environment(project):
    strategies = {env: project.job("order_status", env).incremental.strategy for env in ENVIRONMENTS}
    assert strategies == {"marketing_dev": "merge", "marketing_prd": "delete_insert", "sandbox": "append"}
    for env in ENVIRONMENTS:
        settings = project.job("order_status", env).incremental
        assert (settings.watermark, settings.unique_key, settings.lookback_seconds) == (
            "UPDATED_AT",
            ("ORDER_ID",),
            7200,
        )

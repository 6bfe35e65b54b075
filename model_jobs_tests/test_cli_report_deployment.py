"""`model-jobs report-deployment`: what CI runs when something upstream went live."""

from __future__ import annotations

import pytest
from dagster import AssetRecordsFilter, DagsterInstance

from model_jobs.cli import main
from model_jobs.defs.keys import deployment_key

ENVIRONMENTS = ["marketing_dev", "marketing_prd", "sandbox"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


def _reports(home, name: str) -> list[tuple[str, dict]]:
    with DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=deployment_key(name)), limit=10, ascending=True
        ).records
        return [(r.partition_key, {k: v.value for k, v in r.asset_materialization.metadata.items()}) for r in records]


def test_a_deployment_in_one_environment_is_recorded_and_names_the_jobs_waiting_for_it(home, capsys):
    assert main(["report-deployment", "crm_service", "--env", "marketing_prd", "--version", "4.2.0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "reported deployment crm_service@marketing_prd version 4.2.0",
        "Model Jobs that run after it: orders_enriched@marketing_prd (started by the sensor model_jobs_events)",
    ]
    ((partition, metadata),) = _reports(home, "crm_service")
    assert partition == "marketing_prd"
    assert metadata["version"] == "4.2.0"


def test_without_an_environment_it_is_reported_in_every_one(home, capsys):
    assert main(["report-deployment", "crm_service"]) == 0
    assert [p for p, _ in _reports(home, "crm_service")] == ENVIRONMENTS
    assert "orders_enriched@marketing_prd" in capsys.readouterr().out


def test_a_models_own_deployment_can_be_reported(home, capsys):
    assert main(["report-deployment", "customers_dim", "--env", "sandbox"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "no Model Job runs after it"
    assert [p for p, _ in _reports(home, "customers_dim")] == ["sandbox"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["report-deployment", "crm_servce"],
            "model-jobs report-deployment: unknown deployment 'crm_servce'; known: crm_service, customer_ltv, "
            "customers_dim, order_status, orders_enriched (a model, or one declared under deployments: in "
            "upstream.yaml)",
        ),
        (
            ["report-deployment", "crm_service", "--env", "production"],
            "model-jobs report-deployment: unknown environment 'production'; known: marketing_dev, marketing_prd, "
            "sandbox",
        ),
    ],
)
def test_unknown_names_are_refused_and_nothing_is_recorded(home, capsys, argv, message):
    assert main(argv) == 1
    assert capsys.readouterr().err.strip() == message
    assert not (home / "storage").exists() or _reports(home, "crm_service") == []

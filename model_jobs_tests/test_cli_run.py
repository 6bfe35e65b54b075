"""`model-jobs run`: Model Jobs run now, in dependency order, each line saying what it did."""

from __future__ import annotations

import re

import pytest
import yaml

from model_jobs.cli import main
from model_jobs.defs.headless import CODE_LOCATION, CODE_LOCATION_ENV, code_location
from model_jobs.defs.instance import open_instance
from model_jobs_tests.conftest import DEMO_SPECS, REPO


def test_select_orders_upstream_first(demo_project):
    assert demo_project.select(["+customer_ltv"], "marketing_prd") == [
        "customers_dim",
        "orders_enriched",
        "customer_ltv",
    ]
    assert demo_project.select(["customer_ltv", "customers_dim"], "sandbox") == ["customers_dim", "customer_ltv"]
    with pytest.raises(ValueError, match="unknown model 'nope'; known: "):
        demo_project.select(["+nope"], "sandbox")


def test_run_with_upstream_models(warehouse, capsys):
    assert main(["run", "+customer_ltv", "--env", "marketing_prd", "--specs", str(DEMO_SPECS)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "@" in line]
    assert [line.split()[0] for line in lines] == [
        "customers_dim@marketing_prd",
        "orders_enriched@marketing_prd",
        "customer_ltv@marketing_prd",
    ]
    assert re.match(r"customer_ltv@marketing_prd  tag 2026\.1  full  120 rows  \d+\.\ds  run [0-9a-f-]{36}$", lines[2])
    # Each is a run of the model's own job in this code location, as a schedule's would be: the UI
    # links it to the job and can re-execute it (materialize() would record an ephemeral job).
    with open_instance() as instance:
        for line in lines:
            run = instance.get_run_by_id(line.split()[-1])
            assert run is not None
            model, environment = line.split()[0].split("@")
            assert run.job_name == f"{model}_job"
            assert run.remote_job_origin is not None
            assert (run.remote_job_origin.location_name, run.remote_job_origin.repository_origin.repository_name) == (
                CODE_LOCATION,
                "__repository__",
            )
            assert {k: run.tags[k] for k in ("dagster/code_location", "dagster/partition", "model_job")} == {
                "dagster/code_location": CODE_LOCATION,
                "dagster/partition": environment,
                "model_job": f"{model}@{environment}",
            }


def test_a_failed_upstream_skips_its_downstream(warehouse, specs_copy, capsys):
    jobs = specs_copy / "jobs" / "customers_dim.yaml"
    jobs.write_text(jobs.read_text().replace("DATALAKE_PRD.CRM.CUSTOMERS", "DATALAKE_PRD.CRM.GONE"))
    assert main(["run", "+customer_ltv", "--env", "marketing_prd", "--specs", str(specs_copy)]) == 1
    out = capsys.readouterr().out
    assert "customers_dim@marketing_prd  FAILED after " in out
    assert "DATALAKE_PRD.CRM.GONE (mapped from DATALAKE_DEV.RAW.CUSTOMERS): table does not exist" in out
    assert "orders_enriched@marketing_prd  tag 2026.1  full  600 rows" in out  # independent: it runs
    assert "customer_ltv@marketing_prd  skipped: upstream customers_dim failed" in out


def test_run_refuses_what_does_not_exist(capsys):
    assert main(["run", "customers_dim", "--env", "nowhere", "--specs", str(DEMO_SPECS)]) == 1
    assert "unknown environment 'nowhere'; known: marketing_dev, marketing_prd, sandbox" in capsys.readouterr().err


def test_runs_name_the_code_location_workspace_yaml_defines(monkeypatch):
    assert code_location() == CODE_LOCATION
    monkeypatch.setenv(CODE_LOCATION_ENV, "model-jobs")  # as deploy/values.yaml names it on Kubernetes
    assert code_location() == "model-jobs"
    (entry,) = yaml.safe_load((REPO / "workspace.yaml").read_text(encoding="utf-8"))["load_from"]
    assert entry["python_module"]["location_name"] == CODE_LOCATION

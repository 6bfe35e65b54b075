"""What `model-jobs render` prints: the statements of each run path, from the specs alone.
(That these are exactly what runs send is tested against real runs in
runtime/test_render_matches_runs.py.)"""

from __future__ import annotations

import json

import pytest

from model_jobs.cli import main
from model_jobs.compile.run_statements import OUTPUT_COLUMNS, output_columns, run_statements
from model_jobs.project import job_at_tag


def test_a_full_build_is_probe_schema_build_count(demo_project):
    job = demo_project.job("orders_enriched", "marketing_prd")
    planned = run_statements(job)
    assert [s.purpose for s in planned.statements] == ["preflight", "create_schema", "build", "count"]
    assert planned.statements[2].sql == job.create_sql
    assert '"DATALAKE_PRD"."RAW"."ORDERS"' in planned.statements[0].sql
    assert planned.statements[1].sql == 'CREATE SCHEMA IF NOT EXISTS "ANALYTICS_PRD"."MARTS"'


@pytest.mark.parametrize(
    ("environment", "applies"),
    [
        ("marketing_dev", ["MERGE"]),  # merge
        ("marketing_prd", ["BEGIN", "DELETE", "INSERT", "COMMIT", "ROLLBACK"]),  # delete_insert
        ("sandbox", ["INSERT"]),  # append
    ],
)
def test_each_strategy_renders_its_apply_statements(demo_project, environment, applies):
    planned = run_statements(demo_project.job("order_status", environment))
    assert planned.path == "incremental"
    assert [s.sql.split()[0] for s in planned.statements if s.purpose == "apply"] == applies
    purposes = [s.purpose for s in planned.statements if s.when is None]
    assert purposes[:4] == ["preflight", "stage", "check", "apply"] and purposes[-1] == "drop"
    stage = next(s.sql for s in planned.statements if s.purpose == "stage")
    assert stage.endswith('"MODEL_OUTPUT"."UPDATED_AT" >= :CUTOFF')  # the value a run reads from the target
    assert any("CUTOFF: the target's highest UPDATED_AT minus the lookback (7200 s)" in n for n in planned.notes)


def test_full_refresh_of_an_incremental_job(demo_project):
    planned = run_statements(demo_project.job("order_status", "marketing_prd"), "full_refresh")
    assert [(s.purpose, s.when is None) for s in planned.statements] == [
        ("preflight", True),
        ("diagnose", False),
        ("create_schema", False),
        ("preflight", False),
        ("build", True),
        ("count", True),
    ]


def test_paths_that_do_not_fit_the_job_are_refused(demo_project):
    with pytest.raises(ValueError, match="is not incremental"):
        run_statements(demo_project.job("orders_enriched", "marketing_prd"), "incremental")
    with pytest.raises(ValueError, match="is incremental"):
        run_statements(demo_project.job("order_status", "marketing_prd"), "full")


@pytest.mark.parametrize(
    ("sql", "columns"),
    [
        ("SELECT a, b AS c, t.d FROM X.Y.Z AS t", ["A", "C", "D"]),
        ('SELECT a AS "Mixed", "lower" FROM X.Y.Z', ["Mixed", "lower"]),
        ("SELECT a FROM X.Y.Z UNION ALL SELECT b FROM X.Y.W", ["A"]),
        ("WITH w AS (SELECT q FROM X.Y.Z) SELECT q AS r FROM w", ["R"]),
        ("SELECT * FROM X.Y.Z", None),
        ("SELECT a + 1 FROM X.Y.Z", None),  # Snowflake names that column itself
    ],
)
def test_output_columns_as_snowflake_names_them(sql, columns, tmp_path):
    from model_jobs_tests.runtime.incremental_project import IncrementalProject

    project = IncrementalProject(tmp_path / "job_specs", "S", None, None).write("false", sql=sql)
    assert output_columns(project.job("events", "dev")) == columns


def test_a_star_is_not_guessed(tmp_path):
    from model_jobs_tests.runtime.incremental_project import IncrementalProject

    specs = IncrementalProject(tmp_path / "job_specs", "S", None, None)
    project = specs.write("{strategy: append, watermark: UPDATED_AT}", sql="SELECT * FROM {source}")
    planned = run_statements(project.job("events", "dev"))
    insert = next(s.sql for s in planned.statements if s.purpose == "apply")
    assert f'"{OUTPUT_COLUMNS}"' in insert
    assert any(f"shown as {OUTPUT_COLUMNS}" in note for note in planned.notes)


def test_render_command_prints_a_script(capsys):
    assert main(["render", "orders_enriched", "--env", "marketing_prd", "--specs", "job_specs"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("-- orders_enriched@marketing_prd: tag 2026.1 (sql sha256 96ac8b81f31d), a full build\n")
    assert "-- reads DATALAKE_PRD.RAW.ORDERS (written DATALAKE_DEV.RAW.ORDERS in the model)" in out
    assert "\n-- 3. build: the target, built in one atomic statement\nCREATE OR REPLACE TABLE" in out
    assert out.count(";\n") == 4


def test_render_command_json_with_another_tag(demo_project, capsys):
    argv = ["render", "orders_enriched", "--env", "marketing_prd", "--tag", "2026.2", "--format", "json"]
    assert main([*argv, "--specs", "job_specs"]) == 0
    rendered = json.loads(capsys.readouterr().out)
    job = job_at_tag(demo_project, "orders_enriched", "marketing_prd", "2026.2")
    assert (rendered["tag"], rendered["sql_sha256"], rendered["path"]) == ("2026.2", job.tag.sha256, "full")
    assert rendered["sources"][0] == {"design": "DATALAKE_DEV.RAW.ORDERS", "read": "DATALAKE_PRD.RAW.ORDERS"}
    assert [s["sql"] for s in rendered["statements"]] == [s.sql for s in run_statements(job).statements]
    assert "'CANCELLED'" in rendered["statements"][2]["sql"]  # 2026.2's filter, mapped to prd


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["orders_enriched", "--env", "prd"], "unknown environment 'prd'; known: marketing_dev, marketing_prd"),
        (["nope", "--env", "marketing_prd"], "unknown model 'nope'; known: "),
        (["orders_enriched", "--env", "marketing_prd", "--tag", "9"], "has no tag '9'; its tags: 2026.1, 2026.2"),
        (["orders_enriched", "--env", "marketing_prd", "--full-refresh"], "is not incremental"),
    ],
)
def test_render_command_refuses_bad_input(argv, message, capsys):
    assert main(["render", *argv, "--specs", "job_specs"]) == 1
    assert message in capsys.readouterr().err


def test_a_tag_whose_sql_does_not_fit_the_job_is_reported_with_the_spec_error(specs_copy, capsys):
    # customers_dim@marketing_prd maps DATALAKE_DEV.RAW.CUSTOMERS; a tag reading something else
    # cannot run there, and the error says so in the job file's terms.
    tags = specs_copy / "models" / "customers_dim"
    (tags / "model.sql").write_text("SELECT DISTINCT CUSTOMER_ID FROM DATALAKE_DEV.RAW.ORDERS\n")
    assert main(["deploy", "customers_dim", "--tag", "odd", "--specs", str(specs_copy)]) == 0
    capsys.readouterr()
    assert main(["render", "customers_dim", "--env", "marketing_prd", "--tag", "odd", "--specs", str(specs_copy)]) == 1
    err = capsys.readouterr().err
    assert "customers_dim.yaml" in err and "source_mapping.DATALAKE_DEV.RAW.CUSTOMERS" in err
    assert "is not read by model 'customers_dim' at tag 'odd'" in err

"""The commands the README promises: validate, seed, demo, and the embedded Snowflake itself."""

from __future__ import annotations

import re

import pytest

from model_jobs.cli import main
from model_jobs.defs.resources import snowflake_resource_from_env
from model_jobs.demo.seed import DEMO_TABLES, seed
from model_jobs.warehouse import local_snowflake


def test_validate_demo(capsys):
    assert main(["validate", "job_specs"]) == 0
    assert capsys.readouterr().out.strip() == (
        "job_specs: 4 model(s), 12 Model Job(s) (2 scheduled, 4 run after events, 2 with conditions), "
        "10 source check(s), all valid"
    )


def test_seed_is_idempotent(warehouse, demo_project, query):
    first = seed(warehouse, demo_project)
    second = seed(warehouse, demo_project)
    assert first == second == {str(t): len(rows) for t, rows in DEMO_TABLES.items()}
    for table, rows in DEMO_TABLES.items():
        assert query(f"SELECT COUNT(*) FROM {table.sql()}")[0][0] == len(rows)


def test_demo_command_materializes_every_job(warehouse, capsys):
    # Reuses the session's embedded Snowflake (it is listening on the configured port).
    assert main(["demo", "--specs", "job_specs"]) == 0
    out = capsys.readouterr().out
    assert "10 of 12 Model Jobs materialized, 2 skipped (conditions unmet)" in out
    # Progress as it goes: one line per Model Job as it ends.
    progress = [line.strip() for line in out.splitlines() if line.startswith("  [")]
    assert len(progress) == 12
    assert progress[0].startswith("[1/12] customers_dim@") and progress[-1].startswith("[12/12] ")
    assert sum(line.endswith(": skipped") for line in progress) == 2
    assert re.search(
        r"customers_dim\s+marketing_prd\s+sprint-41\s+ANALYTICS_PRD\.MARTS\.CUSTOMERS_DIM\s+120\s+full\n", out
    )
    assert re.search(
        r"orders_enriched\s+marketing_prd\s+2026\.1\s+ANALYTICS_PRD\.MARTS\.ORDERS_ENRICHED\s+600\s+full\n", out
    )
    assert re.search(r"order_status\s+marketing_prd\s+v1\s+ANALYTICS_PRD\.MARTS\.ORDER_STATUS\s+skipped\s*\n", out)
    assert "order_status@marketing_prd skipped, conditions unmet: DATALAKE_PRD.RAW.ORDERS loaded " in out
    assert (
        "order_status@sandbox skipped, conditions unmet: DATALAKE_DEV.SAMPLE.ORDERS: 1 of 46 rows fail "
        "accepted_values_status (check failed)" in out
    )


def test_fresh_orders_let_a_skipped_job_run_once_then_it_waits_for_a_change(warehouse, demo_project, capsys):
    """The README's walk-through: prd's orders are stale, so order_status@marketing_prd is skipped;
    load-orders makes them fresh and it runs; run again with nothing new, it is skipped as unchanged."""
    try:
        assert main(["run", "order_status", "--env", "marketing_prd"]) == 0
        skipped = capsys.readouterr().out
        assert "order_status@marketing_prd  skipped, nothing written: DATALAKE_PRD.RAW.ORDERS loaded " in skipped
        assert "--force runs anyway" in skipped

        assert main(["load-orders", "--env", "marketing_prd", "--orders", "5"]) == 0
        loaded = capsys.readouterr().out
        assert "DATALAKE_PRD.RAW.ORDERS: 5 new rows, loaded now" in loaded
        assert "DATALAKE_PRD.RAW.ORDER_ITEMS: 5 new rows, loaded now" in loaded

        assert main(["run", "order_status", "--env", "marketing_prd"]) == 0
        ran = capsys.readouterr().out
        # (Earlier tests may have left rows in the incremental target: the count is not checked here.)
        assert re.search(r"order_status@marketing_prd  tag v1  \w+  \d+ rows", ran), ran

        assert main(["run", "order_status", "--env", "marketing_prd"]) == 0
        unchanged = capsys.readouterr().out
        assert "skipped, nothing written: no source changed in marketing_prd since the last materialization" in (
            unchanged
        )

        assert main(["run", "order_status", "--env", "marketing_prd", "--force"]) == 0
        forced = capsys.readouterr().out
        assert re.search(r"order_status@marketing_prd  tag v1  \w+  \d+ rows", forced)
        assert "(conditions unmet, forced)" in forced
    finally:
        seed(warehouse, demo_project)  # later tests expect the seeded rows


def test_demo_command_reports_failure_with_exit_code_1(warehouse, specs_copy, capsys):
    jobs = specs_copy / "jobs" / "customers_dim.yaml"
    jobs.write_text(jobs.read_text().replace("DATALAKE_PRD.CRM.CUSTOMERS", "DATALAKE_PRD.CRM.GONE"))
    assert main(["demo", "--specs", str(specs_copy)]) == 1
    out = capsys.readouterr().out
    assert "customers_dim@marketing_prd failed:" in out
    assert "DATALAKE_PRD.CRM.GONE (mapped from DATALAKE_DEV.RAW.CUSTOMERS): table does not exist" in out
    assert "FAILED" in out


@pytest.mark.warehouse  # a server of its own, in a child process
def test_local_snowflake_keeps_data_across_restarts(tmp_path, monkeypatch):
    port, data_dir = local_snowflake.free_port(), tmp_path / "data"
    log = tmp_path / "server.log"
    # A server of its own (a child process, as `make dev` runs it), not the session's.
    monkeypatch.setenv(local_snowflake.PORT_ENV, str(port))
    connect = snowflake_resource_from_env

    server = local_snowflake.start_process(port, data_dir, log)
    try:
        with connect().get_connection() as connection:
            assert connection.port == port
            cursor = connection.cursor()
            cursor.execute("CREATE DATABASE IF NOT EXISTS KEEP")
            cursor.execute("CREATE SCHEMA IF NOT EXISTS KEEP.S")
            cursor.execute("CREATE OR REPLACE TABLE KEEP.S.T COMMENT = 'built by v1' AS SELECT 42 AS ANSWER")
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert not local_snowflake.is_listening(port)
    # Stopping checkpoints: the data is in the database file, no write-ahead log left to replay.
    assert (data_dir / "KEEP.db").stat().st_size > 0
    assert [wal.name for wal in data_dir.glob("*.wal") if wal.stat().st_size > 0] == []

    server = local_snowflake.start_process(port, data_dir, log)
    try:
        assert local_snowflake.server_on(port) == {
            "server": "model-jobs local snowflake",
            "pid": server.pid,
            "data_dir": str(data_dir.resolve()),
        }
        with connect().get_connection() as connection:
            cursor = connection.cursor()
            cursor.execute("SELECT ANSWER FROM KEEP.S.T")
            assert cursor.fetchall() == [(42,)]
            # Table comments (where every target records its tag and SQL) survive the restart too.
            cursor.execute("SELECT COMMENT FROM KEEP.INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'T'")
            assert cursor.fetchall() == [("built by v1",)]
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "staging"], "unknown environment 'staging'; known: marketing_dev, marketing_prd, sandbox"),
        (["--env", "sandbox", "--orders", "0"], "--orders must be at least 1"),
    ],
)
def test_load_orders_refuses_bad_input_before_connecting(argv, message, capsys):
    assert main(["load-orders", *argv]) == 1
    assert capsys.readouterr().err.strip() == f"model-jobs load-orders: {message}"


def test_load_orders_refuses_an_environment_that_does_not_read_the_orders(specs_copy, capsys):
    # Without order_status and orders_enriched in the sandbox, nothing there reads the orders.
    for model in ("order_status", "orders_enriched"):
        path = specs_copy / "jobs" / f"{model}.yaml"
        text = path.read_text()
        path.write_text(text[: text.index("  sandbox:")])
    (specs_copy / "jobs" / "customer_ltv.yaml").unlink()
    assert main(["load-orders", "--env", "sandbox", "--specs", str(specs_copy)]) == 1
    assert capsys.readouterr().err.strip() == (
        "model-jobs load-orders: no Model Job reads the demo's orders source DATALAKE_DEV.RAW.ORDERS in 'sandbox'"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["orders_enriched", "--env", "prd"], "unknown environment 'prd'"),
        (["orders_enriched", "--env", "marketing_prd", "--tag", "9"], "has no tag '9'"),
        (["orders_enriched", "--env", "marketing_prd", "--key", "A-B"], "--key: 'A-B' is not a valid Snowflake"),
        (["orders_enriched", "--env", "marketing_prd", "--samples", "-1"], "--samples must be 0 or more"),
    ],
)
def test_diff_refuses_bad_input_before_connecting(argv, message, capsys):
    assert main(["diff", *argv, "--specs", "job_specs"]) == 1
    assert message in capsys.readouterr().err


def test_diff_without_a_key_says_where_to_declare_one(specs_copy, capsys):
    model_yaml = specs_copy / "models" / "orders_enriched" / "model.yaml"
    model_yaml.write_text("".join(line for line in model_yaml.read_text().splitlines(True) if "unique_key" not in line))
    assert main(["diff", "orders_enriched", "--env", "marketing_prd", "--specs", str(specs_copy)]) == 1
    assert (
        "no key to match rows of orders_enriched@marketing_prd by: pass --key COLUMN (repeat, or comma-separate, "
        "for several) or declare unique_key in models/orders_enriched/model.yaml"
    ) in capsys.readouterr().err

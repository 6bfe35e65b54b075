"""`model-jobs promote` edits one value and nothing else; `plan` shows what a promotion changes;
the next materialization records the promoted tag."""

from __future__ import annotations

import subprocess

import pytest
from dagster import AssetKey, AssetRecordsFilter

from model_jobs.cli import main
from model_jobs.defs.instance import open_instance
from model_jobs.project import load_project
from model_jobs.versioning.lineage import specs_commit
from model_jobs.versioning.promote import replace_tag
from model_jobs_tests.harness import run_model_job
from model_jobs_tests.versioning.test_deploy import refused


def row(plan_output: str, job: str) -> list[str]:
    """The plan table's columns for one job: configured, running, newest, changes."""
    (line,) = [line for line in plan_output.splitlines() if line.startswith(job + " ")]
    return line.split()[1:]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return tmp_path / "dagster_home"


def test_promote_changes_only_the_tag_value(specs_copy, home, capsys):
    jobs = specs_copy / "jobs" / "orders_enriched.yaml"
    before = jobs.read_text()
    assert (
        main(["promote", "orders_enriched", "--env", "marketing_prd", "--tag", "2026.2", "--specs", str(specs_copy)])
        == 0
    )
    after = jobs.read_text()
    old_line = '    tag: "2026.1"                     # quoted: a bare 2026.1 would be a number'
    assert old_line in before.splitlines()
    assert after == before.replace(old_line, old_line.replace('"2026.1"', '"2026.2"'))
    assert load_project(specs_copy).job("orders_enriched", "marketing_prd").tag.name == "2026.2"
    out = capsys.readouterr().out
    assert "orders_enriched@marketing_prd tag 2026.1 -> 2026.2" in out
    assert "never run" in out  # nothing has run in this fresh instance


def test_promote_keeps_plain_style_and_quotes_when_needed():
    text = "model: m  # c\njobs:\n  prd:\n    tag: sprint-41   # pinned\n  dev: {tag: latest}\n"
    assert replace_tag(text, "prd", "sprint-42") == (text.replace("sprint-41", "sprint-42"), 4)
    # A bare 2026.3 would be read as a number: the plain value becomes quoted.
    assert replace_tag(text, "prd", "2026.3")[0] == text.replace("sprint-41", '"2026.3"')
    assert replace_tag(text, "dev", "v9")[0] == text.replace("{tag: latest}", "{tag: v9}")
    single = "jobs:\n  prd:\n    tag: 'x1'\n"
    assert replace_tag(single, "prd", "x2")[0] == "jobs:\n  prd:\n    tag: 'x2'\n"


def test_promote_keeps_non_ascii_comments_intact():
    text = "# Übersicht: Aufträge ✓\njobs:\n  prd:\n    tag: a1  # größer\n"
    assert replace_tag(text, "prd", "a2")[0] == text.replace("a1", "a2")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["orders_enriched", "--env", "marketing_prd", "--tag", "2030.1"],
            "model 'orders_enriched' has no tag '2030.1'",
        ),
        (
            ["orders_enriched", "--env", "marketing_prd", "--tag", "latest"],
            "'latest' is only allowed in the design environment (marketing_dev)",
        ),
        (
            ["orders_enriched", "--env", "marketing_qa", "--tag", "2026.2"],
            "unknown environment 'marketing_qa'; known: marketing_dev, marketing_prd, sandbox",
        ),
        (["order_enriched", "--env", "marketing_prd", "--tag", "2026.2"], "unknown model 'order_enriched'"),
    ],
)
def test_promote_refusals_change_no_file(specs_copy, home, capsys, argv, message):
    err = refused(specs_copy, capsys, "promote", *argv)
    assert message in err


def test_promote_to_a_model_without_a_job_there(specs_copy, home, capsys):
    jobs = specs_copy / "jobs" / "customer_ltv.yaml"
    jobs.write_text(jobs.read_text().split("  sandbox:")[0])
    err = refused(specs_copy, capsys, "promote", "customer_ltv", "--env", "sandbox", "--tag", "2026.2")
    assert "model 'customer_ltv' has no job in 'sandbox': add one under jobs: in" in err


def test_promotion_reaches_the_next_materialization_and_plan_shows_the_diff(specs_copy, warehouse, home, capsys):
    with open_instance() as instance:
        project = load_project(specs_copy)
        first = run_model_job(project, "orders_enriched", "marketing_prd", instance)
        assert first.ok and first.metadata["tag"] == "2026.1"

    assert main(["plan", "--env", "marketing_prd", "--specs", str(specs_copy)]) == 0
    out = capsys.readouterr().out
    assert row(out, "orders_enriched@marketing_prd") == ["2026.1", "2026.1", "2026.2", "none"]
    assert row(out, "customer_ltv@marketing_prd") == ["2026.1", "-", "2026.2", "never", "run"]

    assert (
        main(["promote", "orders_enriched", "--env", "marketing_prd", "--tag", "2026.2", "--specs", str(specs_copy)])
        == 0
    )
    out = capsys.readouterr().out
    # The plan printed after promoting: running 2026.1, configured 2026.2, the SQL changes, the diff.
    assert row(out, "orders_enriched@marketing_prd") == ["2026.2", "2026.1", "2026.2", "sql"]
    assert "--- orders_enriched/tags/2026.1.sql (running in marketing_prd)" in out
    assert "+++ orders_enriched/tags/2026.2.sql (configured)" in out
    assert "+WHERE o.STATUS <> 'CANCELLED'" in out
    assert "-    SELECT ORDER_ID, SUM(QUANTITY * UNIT_PRICE) AS ORDER_TOTAL" in out

    # What the promotion would do to the prd table, counted independently here: 2026.2 drops the
    # cancelled orders and adds ITEM_COUNT; no order's other columns change.
    cursor = warehouse.cursor()
    cursor.execute("SELECT COUNT(*), COUNT_IF(STATUS = 'CANCELLED') FROM ANALYTICS_PRD.MARTS.ORDERS_ENRICHED")
    total, cancelled = cursor.fetchone()
    assert cancelled > 0
    assert main(["plan", "--env", "marketing_prd", "--data", "--specs", str(specs_copy)]) == 0
    data = capsys.readouterr().out.split("data (the configured SQL against each target, read only):")[1]
    # promote --data prints the same (promoting again to the same tag changes nothing)
    argv = ["promote", "orders_enriched", "--env", "marketing_prd", "--tag", "2026.2", "--data"]
    assert main([*argv, "--specs", str(specs_copy)]) == 0
    assert data in capsys.readouterr().out
    assert row(data, "orders_enriched@marketing_prd") == [
        "2026.2",
        f"{total:,}",
        f"{total - cancelled:,}",
        "+0",
        f"-{cancelled:,}",
        "~0",
        "columns:",
        "+ITEM_COUNT",
    ]
    assert "customer_ltv@" not in data  # never run: nothing running to compare with
    argv = ["diff", "orders_enriched", "--env", "marketing_prd", "--tag", "2026.2", "--specs", str(specs_copy)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"  - {cancelled:,} rows removed (keys only in the target)\n" in out
    assert f"  ~ 0 rows changed, {total - cancelled:,} unchanged\n" in out
    assert "  columns: + ITEM_COUNT " in out  # with its type, as the warehouse reports it

    with open_instance() as instance:
        project = load_project(specs_copy)
        second = run_model_job(project, "orders_enriched", "marketing_prd", instance)
        assert second.ok and second.metadata["tag"] == "2026.2"
        record = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey("orders_enriched"), asset_partitions=["marketing_prd"]), limit=1
        ).records[0]
        metadata = record.asset_materialization.metadata
        assert metadata["tag"].value == "2026.2"
        assert metadata["sql_sha256"].value == project.job("orders_enriched", "marketing_prd").tag.sha256
        assert "WHERE\n  o.STATUS <> 'CANCELLED'" in metadata["compiled_sql"].value
        run = instance.get_run_by_id(record.run_id)
        assert {k: run.tags[k] for k in ("model", "environment", "model_tag")} == {
            "model": "orders_enriched",
            "environment": "marketing_prd",
            "model_tag": "2026.2",
        }

    assert main(["plan", "--env", "marketing_prd", "--diff", "--specs", str(specs_copy)]) == 0
    out = capsys.readouterr().out
    assert row(out, "orders_enriched@marketing_prd") == ["2026.2", "2026.2", "2026.2", "none"]
    assert "+++" not in out.split("customer_ltv@")[0]  # nothing left to diff for orders_enriched
    assert main(["diff", "orders_enriched", "--env", "marketing_prd", "--specs", str(specs_copy)]) == 0
    assert "no difference: promoting it would leave the target's rows as they are" in capsys.readouterr().out


def test_plan_without_an_instance_says_running_is_unknown(specs_copy, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "no_such_home"))
    assert main(["plan", "--specs", str(specs_copy)]) == 0
    out = capsys.readouterr().out
    assert "no Dagster instance reachable: the running tags are unknown" in out
    assert not (tmp_path / "no_such_home").exists()


def test_specs_commit(tmp_path):
    assert specs_commit(tmp_path) is None
    git = lambda *a: subprocess.run(["git", "-C", str(tmp_path), *a], check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    (tmp_path / "environments.yaml").write_text("x: 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "specs")
    head = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert specs_commit(tmp_path) == head
    (tmp_path / "environments.yaml").write_text("x: 2\n")
    assert specs_commit(tmp_path) == f"{head}-dirty"


def test_materialization_records_the_specs_commit(demo_project, warehouse, instance):
    assert run_model_job(demo_project, "customers_dim", "sandbox", instance).ok
    record = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("customers_dim"), asset_partitions=["sandbox"]), limit=1
    ).records[0]
    expected = specs_commit(demo_project.specs.root)
    recorded = record.asset_materialization.metadata.get("specs_git_commit")
    if expected is None:  # a source tree outside git (an exported archive): nothing to record
        assert recorded is None
    else:
        assert recorded.value == expected


def test_promotion_that_would_invalidate_the_job_is_undone(specs_copy, home, capsys):
    from model_jobs_tests.specs.spec_edits import add_tag

    add_tag(specs_copy, "orders_enriched", "orders-only", "SELECT ORDER_ID FROM DATALAKE_DEV.RAW.ORDERS\n")
    jobs = specs_copy / "jobs" / "orders_enriched.yaml"
    jobs.write_text(
        jobs.read_text().replace(
            "      DATALAKE_DEV: DATALAKE_PRD ", "      DATALAKE_DEV.RAW.ORDER_ITEMS: DATALAKE_PRD.RAW.ORDER_ITEMS "
        )
    )
    load_project(specs_copy)
    err = refused(specs_copy, capsys, "promote", "orders_enriched", "--env", "marketing_prd", "--tag", "orders-only")
    assert "promoting orders_enriched@marketing_prd to 'orders-only' would make job_specs invalid" in err
    assert "is not read by model 'orders_enriched' at tag 'orders-only'" in err

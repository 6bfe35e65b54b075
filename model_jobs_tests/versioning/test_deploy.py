"""`model-jobs deploy`: one new immutable tag, one lock line, one deployment event, or nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import AssetKey, AssetRecordsFilter

from model_jobs.cli import main
from model_jobs.project import load_project
from model_jobs.specs.tags import sql_sha256

MODEL_DIR = Path("models") / "orders_enriched"
NEW_SQL = "SELECT ORDER_ID, CUSTOMER_ID FROM DATALAKE_DEV.RAW.ORDERS WHERE STATUS = 'DELIVERED'\n"


def tree(root: Path) -> dict[str, str]:
    """Every file under root with a hash of its content: to prove a command changed nothing."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return tmp_path / "dagster_home"


def deployment_events(model: str) -> list:
    from model_jobs.defs.instance import open_instance

    with open_instance() as instance:
        return instance.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey(["deployments", model])), limit=100
        ).records


def run(*argv: str) -> int:
    return main(list(argv))


def test_deploy_creates_one_tag_one_lock_line_one_event(specs_copy, home, capsys):
    model_dir = specs_copy / MODEL_DIR
    (model_dir / "model.sql").write_text(NEW_SQL)
    before = tree(specs_copy)
    lock_before = (model_dir / "tags.lock").read_text()

    assert (
        run("deploy", "orders_enriched", "--tag", "2026.3", "--message", "Delivered only", "--specs", str(specs_copy))
        == 0
    )

    after = tree(specs_copy)
    added = set(after) - set(before)
    changed = {k for k in before if before[k] != after.get(k)}
    assert added == {str(MODEL_DIR / "tags" / "2026.3.sql")}
    assert changed == {str(MODEL_DIR / "tags.lock")}
    assert (model_dir / "tags" / "2026.3.sql").read_text() == NEW_SQL
    lock_after = (model_dir / "tags.lock").read_text()
    assert lock_after.startswith(lock_before)
    (new_line,) = lock_after[len(lock_before) :].splitlines()
    entry = json.loads(new_line)
    assert entry["tag"] == "2026.3" and entry["message"] == "Delivered only"
    assert entry["sha256"] == sql_sha256(NEW_SQL)
    datetime.strptime(entry["created"], "%Y-%m-%dT%H:%M:%SZ")

    (event,) = deployment_events("orders_enriched")
    materialization = event.asset_materialization
    assert materialization.partition == "marketing_dev"
    assert materialization.metadata["tag"].value == "2026.3"
    assert materialization.metadata["sql_sha256"].value == sql_sha256(NEW_SQL)
    out = capsys.readouterr().out
    assert "orders_enriched@marketing_dev: runs 2026.3 (follows the newest tag)" in out
    assert "orders_enriched@marketing_prd: runs 2026.1 (keeps its pinned tag)" in out


def test_latest_follows_deploys_in_the_design_environment_only(specs_copy, home):
    before = load_project(specs_copy)
    (specs_copy / MODEL_DIR / "model.sql").write_text(NEW_SQL)
    assert run("deploy", "orders_enriched", "--tag", "2026.3", "--specs", str(specs_copy)) == 0
    after = load_project(specs_copy)
    assert after.job("orders_enriched", "marketing_dev").tag.name == "2026.3"
    assert after.job("orders_enriched", "marketing_dev").tag.sha256 == sql_sha256(NEW_SQL)
    for env in ["marketing_prd", "sandbox"]:
        assert after.job("orders_enriched", env).tag == before.job("orders_enriched", env).tag
    # Downstream models are untouched by an upstream deploy.
    assert after.job("customer_ltv", "marketing_dev").tag == before.job("customer_ltv", "marketing_dev").tag


def test_first_deploy_of_a_new_model_gets_a_generated_tag(specs_copy, home):
    model_dir = specs_copy / "models" / "order_counts"
    model_dir.mkdir()
    (model_dir / "model.yaml").write_text("description: Orders per customer.\n")
    (model_dir / "model.sql").write_text(
        "SELECT CUSTOMER_ID, COUNT(*) AS ORDERS FROM DATALAKE_DEV.RAW.ORDERS GROUP BY CUSTOMER_ID\n"
    )
    load_project(specs_copy)  # a model without tags (and jobs) is valid
    assert run("deploy", "order_counts", "--specs", str(specs_copy)) == 0
    assert (model_dir / "tags" / "v1.sql").is_file()
    assert [json.loads(line)["tag"] for line in (model_dir / "tags.lock").read_text().splitlines()] == ["v1"]
    assert len(deployment_events("order_counts")) == 1


def refused(specs_copy, capsys, *argv: str) -> str:
    before = tree(specs_copy)
    assert run(*argv, "--specs", str(specs_copy)) == 1
    assert tree(specs_copy) == before, "a refused command changed files"
    return capsys.readouterr().err


def test_identical_deploy_is_refused(specs_copy, home, capsys):
    (specs_copy / MODEL_DIR / "model.sql").write_text(NEW_SQL)
    assert run("deploy", "orders_enriched", "--tag", "2026.3", "--specs", str(specs_copy)) == 0
    capsys.readouterr()
    err = refused(specs_copy, capsys, "deploy", "orders_enriched", "--tag", "2026.4")
    assert "nothing to deploy:" in err and "model.sql is identical to the newest tag '2026.3'" in err
    assert len(deployment_events("orders_enriched")) == 1


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        (
            "two words",
            "tag name 'two words' is not allowed: use letters, digits, '.', '_' and '-' (no spaces or slashes)",
        ),
        ("feature/x", "tag name 'feature/x' is not allowed"),
        ("latest", "'latest' is reserved"),
        ("2026.1", "tag '2026.1' already exists in"),
    ],
)
def test_bad_tag_names_are_refused(specs_copy, home, capsys, tag, message):
    (specs_copy / MODEL_DIR / "model.sql").write_text(NEW_SQL)
    err = refused(specs_copy, capsys, "deploy", "orders_enriched", "--tag", tag)
    assert message in err


def test_later_deploy_needs_a_tag_name(specs_copy, home, capsys):
    (specs_copy / MODEL_DIR / "model.sql").write_text(NEW_SQL)
    err = refused(specs_copy, capsys, "deploy", "orders_enriched")
    assert "name the new tag with --tag (model 'orders_enriched' has tags 2026.1, 2026.2)" in err


def test_unparsable_sql_is_refused(specs_copy, home, capsys):
    (specs_copy / MODEL_DIR / "model.sql").write_text("SELECT\n  ORDER_ID,\nFROM DATALAKE_DEV.RAW.ORDERS WHERE\n")
    err = refused(specs_copy, capsys, "deploy", "orders_enriched", "--tag", "2026.3")
    assert f"{specs_copy / MODEL_DIR / 'model.sql'}:" in err
    assert "SQL does not parse" in err and "fix the SQL, then deploy" in err


def test_unknown_source_is_refused(specs_copy, home, capsys):
    (specs_copy / MODEL_DIR / "model.sql").write_text("SELECT * FROM DATALAKE_DEV.RAW.REFUNDS\n")
    err = refused(specs_copy, capsys, "deploy", "orders_enriched", "--tag", "2026.3")
    assert "reads tables that are neither sources nor models: DATALAKE_DEV.RAW.REFUNDS" in err
    assert "sources.yaml" in err


def test_unknown_model_is_refused(specs_copy, home, capsys):
    err = refused(specs_copy, capsys, "deploy", "order_enriched", "--tag", "x")
    assert "unknown model 'order_enriched'; known: customer_ltv, customers_dim, order_status, orders_enriched" in err


def test_hand_edited_tag_blocks_deploy(specs_copy, home, capsys):
    tag_file = specs_copy / MODEL_DIR / "tags" / "2026.1.sql"
    tag_file.write_text(tag_file.read_text() + "-- a quiet fix\n")
    (specs_copy / MODEL_DIR / "model.sql").write_text(NEW_SQL)
    err = refused(specs_copy, capsys, "deploy", "orders_enriched", "--tag", "2026.3")
    assert "job_specs must be valid first (run `model-jobs validate`)" in err
    assert f"{tag_file}: tag '2026.1' was changed after it was created" in err
    assert "restore the file and create a new tag instead" in err


def test_broken_lock_line_blocks_deploy(specs_copy, home, capsys):
    lock = specs_copy / MODEL_DIR / "tags.lock"
    lock.write_text(lock.read_text() + '{"tag": "2026.9", "sha256": \n')
    (specs_copy / MODEL_DIR / "model.sql").write_text(NEW_SQL)
    err = refused(specs_copy, capsys, "deploy", "orders_enriched", "--tag", "2026.3")
    assert f"{lock}:3: broken line:" in err


def test_deploy_time_is_recorded_in_utc(specs_copy):
    from model_jobs.versioning.deploy import deploy

    (specs_copy / MODEL_DIR / "model.sql").write_text(NEW_SQL)
    deployment = deploy(specs_copy, "orders_enriched", "2026.3", "m", now=datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    assert deployment.created == "2026-11-23T09:30:00Z"


def test_deploy_that_would_invalidate_a_job_is_undone(specs_copy, home, capsys):
    # The design job maps ORDER_ITEMS; the new SQL no longer reads it, so the mapping would dangle.
    jobs = specs_copy / "jobs" / "orders_enriched.yaml"
    jobs.write_text(
        jobs.read_text().replace(
            "    tag: latest\n",
            "    tag: latest\n    source_mapping: {DATALAKE_DEV.RAW.ORDER_ITEMS: DATALAKE_DEV.SAMPLE.ORDER_ITEMS}\n",
        )
    )
    load_project(specs_copy)
    (specs_copy / MODEL_DIR / "model.sql").write_text(NEW_SQL)
    err = refused(specs_copy, capsys, "deploy", "orders_enriched", "--tag", "2026.3")
    assert "deploying tag '2026.3' would make job_specs invalid, so nothing was changed:" in err
    assert (
        "jobs.marketing_dev.source_mapping.DATALAKE_DEV.RAW.ORDER_ITEMS: 'DATALAKE_DEV.RAW.ORDER_ITEMS' is not read"
        in err
    )
    assert deployment_events("orders_enriched") == []

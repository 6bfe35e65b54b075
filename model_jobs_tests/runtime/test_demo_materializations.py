"""Every demo Model Job materialized through Dagster on the embedded Snowflake: each environment
gets exactly what its tag and source mapping imply."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import pytest
from dagster import AssetKey, AssetRecordsFilter, DagsterInstance

from model_jobs.demo.run_all import materialize_all
from model_jobs.demo.seed import DEV, PRD, SAMPLE
from model_jobs_tests.harness import run_model_job


def money(value) -> Decimal:
    # The embedded Snowflake computes NUMBER(38,0) * NUMBER(10,2) as a double; Snowflake as NUMBER.
    return Decimal(str(value)).quantize(Decimal("0.01"))


def order_facts(data: dict) -> dict[int, tuple]:
    """ORDER_ID -> (CUSTOMER_ID, STATUS, total, item count), computed in Python from the seed."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    items: dict[int, int] = defaultdict(int)
    for order_id, _line, _product, quantity, price in data["ORDER_ITEMS"]:
        totals[order_id] += quantity * Decimal(str(price))
        items[order_id] += quantity
    return {o[0]: (o[1], o[3], totals[o[0]], items[o[0]]) for o in data["ORDERS"]}


@pytest.fixture(scope="module")
def runs(warehouse, demo_project):
    with DagsterInstance.ephemeral() as instance:
        outcomes = materialize_all(demo_project, instance)
        yield instance, {(o.model, o.environment): o for o in outcomes}


def columns(query, table: str) -> list[str]:
    database, schema, name = table.split(".")
    rows = query(
        f'SELECT COLUMN_NAME FROM "{database}".INFORMATION_SCHEMA.COLUMNS '
        "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
        (schema, name),
    )
    return [r[0] for r in rows]


def test_every_demo_job_succeeds_or_is_skipped_by_its_conditions(runs, demo_project):
    _, outcomes = runs
    assert len(outcomes) == 12
    assert [o.error for o in outcomes.values() if o.error] == []
    skipped = {key: o.skipped for key, o in outcomes.items() if o.skipped}
    assert sorted(skipped) == [("order_status", "marketing_prd"), ("order_status", "sandbox")]
    # prd's orders were last loaded days before any date these tests run on (the seed is fixed).
    stale = skipped[("order_status", "marketing_prd")]
    assert stale.startswith("DATALAKE_PRD.RAW.ORDERS loaded ") and stale.endswith(" in marketing_prd; max_age 1d")
    # The sample holds one order in a status sources.yaml does not accept: sandbox only.
    assert skipped[("order_status", "sandbox")] == (
        "DATALAKE_DEV.SAMPLE.ORDERS: 1 of 46 rows fail accepted_values_status (check failed)"
    )


def test_customers_dim_per_environment(runs, query):
    # prd runs sprint-41 over DATALAKE_PRD.CRM.CUSTOMERS (table-level mapping).
    assert columns(query, "ANALYTICS_PRD.MARTS.CUSTOMERS_DIM") == ["CUSTOMER_ID", "NAME", "COUNTRY"]
    prd = set(query("SELECT CUSTOMER_ID, NAME, COUNTRY FROM ANALYTICS_PRD.MARTS.CUSTOMERS_DIM"))
    assert prd == {(c[0], c[1], c[3]) for c in PRD["CUSTOMERS"]}
    assert len(prd) == 120

    # dev follows the newest tag, sprint-42: upper-cased country and e-mail domain.
    assert columns(query, "ANALYTICS_DEV.MARTS.CUSTOMERS_DIM") == [
        "CUSTOMER_ID",
        "NAME",
        "COUNTRY",
        "EMAIL_DOMAIN",
        "SIGNUP_MONTH",
    ]
    dev = set(query("SELECT CUSTOMER_ID, COUNTRY, EMAIL_DOMAIN FROM ANALYTICS_DEV.MARTS.CUSTOMERS_DIM"))
    assert dev == {(c[0], c[3].upper(), c[2].split("@")[1]) for c in DEV["CUSTOMERS"]}

    # sandbox reads the SAMPLE schema (schema-level mapping).
    sandbox = {r[0] for r in query("SELECT CUSTOMER_ID FROM SANDBOX.MARKETING.CUSTOMERS_DIM")}
    assert sandbox == {c[0] for c in SAMPLE["CUSTOMERS"]} == set(range(1, 11))


def test_orders_enriched_per_environment(runs, query):
    # prd: tag 2026.1 over DATALAKE_PRD (database-level mapping): cancelled orders included.
    assert "ITEM_COUNT" not in columns(query, "ANALYTICS_PRD.MARTS.ORDERS_ENRICHED")
    prd = {r[0]: money(r[1]) for r in query("SELECT ORDER_ID, ORDER_TOTAL FROM ANALYTICS_PRD.MARTS.ORDERS_ENRICHED")}
    assert prd == {order_id: facts[2] for order_id, facts in order_facts(PRD).items()}

    # dev: tag 2026.2 drops cancelled orders and adds ITEM_COUNT.
    dev = {
        r[0]: (money(r[1]), r[2])
        for r in query("SELECT ORDER_ID, ORDER_TOTAL, ITEM_COUNT FROM ANALYTICS_DEV.MARTS.ORDERS_ENRICHED")
    }
    expected = {i: (f[2], f[3]) for i, f in order_facts(DEV).items() if f[1] != "CANCELLED"}
    assert dev == expected
    assert len(dev) < len(DEV["ORDERS"])  # some dev orders were cancelled

    sandbox = {r[0] for r in query("SELECT ORDER_ID FROM SANDBOX.MARKETING.ORDERS_ENRICHED")}
    assert sandbox == {i for i, f in order_facts(SAMPLE).items() if f[1] != "CANCELLED"}


def test_customer_ltv_reads_upstream_models_in_its_own_environment(runs, query):
    # prd 2026.1: every customer (left join), value over prd's orders_enriched (incl. cancelled).
    facts = order_facts(PRD)
    value: dict[int, Decimal] = defaultdict(Decimal)
    count: dict[int, int] = defaultdict(int)
    for customer_id, _status, total, _items in facts.values():
        value[customer_id] += total
        count[customer_id] += 1
    prd = {
        r[0]: (r[1], money(r[2]))
        for r in query("SELECT CUSTOMER_ID, ORDERS, LIFETIME_VALUE FROM ANALYTICS_PRD.MARTS.CUSTOMER_LTV")
    }
    assert prd == {c[0]: (count[c[0]], value[c[0]]) for c in PRD["CUSTOMERS"]}

    # dev 2026.2: only customers with a non-cancelled order, from dev's orders_enriched.
    dev_customers = {f[0] for f in order_facts(DEV).values() if f[1] != "CANCELLED"}
    dev = {r[0] for r in query("SELECT CUSTOMER_ID FROM ANALYTICS_DEV.MARTS.CUSTOMER_LTV")}
    assert dev == dev_customers
    # sandbox writes to its own target name.
    assert query("SELECT COUNT(*) FROM SANDBOX.MARKETING.CUSTOMER_LTV_TRIAL")[0][0] > 0


def test_materialization_metadata_and_table_comment(runs, query, demo_project):
    instance, outcomes = runs
    job = demo_project.job("customers_dim", "marketing_prd")
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("customers_dim"), asset_partitions=["marketing_prd"]), limit=1
    ).records
    metadata = records[0].asset_materialization.metadata
    assert metadata["tag"].value == "sprint-41"
    assert metadata["sql_sha256"].value == job.tag.sha256
    assert metadata["target"].value == "ANALYTICS_PRD.MARTS.CUSTOMERS_DIM"
    assert (
        metadata["rows_written"].value == 120 == outcomes[("customers_dim", "marketing_prd")].metadata["rows_written"]
    )
    assert metadata["dagster/row_count"].value == 120
    assert metadata["sources_read"].value == [
        {"design": "DATALAKE_DEV.RAW.CUSTOMERS", "read": "DATALAKE_PRD.CRM.CUSTOMERS", "via": "table mapping"}
    ]
    assert job.create_sql in metadata["compiled_sql"].value
    assert '"DATALAKE_PRD"."CRM"."CUSTOMERS"' in metadata["compiled_sql"].value
    queries = metadata["snowflake_queries"].value
    # Every statement the run issued, by purpose, each with its query id.
    assert [q["purpose"] for q in queries] == ["preflight", "create_schema", "build", "count"]
    assert all(isinstance(q["query_id"], str) and len(q["query_id"]) >= 32 for q in queries)
    assert [c.name for c in metadata["dagster/column_schema"].value.columns] == ["CUSTOMER_ID", "NAME", "COUNTRY"]

    comment = query(
        "SELECT COMMENT FROM ANALYTICS_PRD.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
        ("MARTS", "CUSTOMERS_DIM"),
    )[0][0]
    assert json.loads(comment) == {
        "model_jobs": {
            "model": "customers_dim",
            "environment": "marketing_prd",
            "tag": "sprint-41",
            "sql_sha256": job.tag.sha256,
        }
    }


def test_rerun_replaces_rather_than_appends(runs, demo_project, query):
    instance, _ = runs
    outcome = run_model_job(demo_project, "orders_enriched", "marketing_prd", instance)
    assert outcome.ok and outcome.metadata["rows_written"] == 600
    assert query("SELECT COUNT(*) FROM ANALYTICS_PRD.MARTS.ORDERS_ENRICHED")[0][0] == 600


def test_order_status_per_environment(runs, query, demo_project):
    instance, outcomes = runs
    assert outcomes[("order_status", "marketing_dev")].ok
    # Skipped by their conditions, prd and sandbox recorded no materialization; forced, they run.
    for env in ["marketing_prd", "sandbox"]:
        assert not instance.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey("order_status"), asset_partitions=[env]), limit=1
        ).records
    for env in ["marketing_prd", "sandbox"]:
        forced = run_model_job(demo_project, "order_status", env, instance, force=True, full_refresh=True)
        assert forced.ok and forced.metadata["conditions"].startswith("unmet, bypassed by force: ")
    prd = set(query("SELECT ORDER_ID, STATUS FROM ANALYTICS_PRD.MARTS.ORDER_STATUS"))
    assert prd == {(o[0], o[3]) for o in PRD["ORDERS"]}
    sandbox = {r[0] for r in query("SELECT ORDER_ID FROM SANDBOX.MARKETING.ORDER_STATUS")}
    assert sandbox == {o[0] for o in SAMPLE["ORDERS"]}
    assert "IS_FULFILLED" in columns(query, "SANDBOX.MARKETING.ORDER_STATUS")  # v2 in the sandbox
    assert "IS_FULFILLED" not in columns(query, "ANALYTICS_PRD.MARTS.ORDER_STATUS")  # v1 in prd


def test_full_refresh_config_rebuilds_an_incremental_job(runs, demo_project):
    instance, _ = runs
    again = run_model_job(demo_project, "order_status", "marketing_dev", instance)
    assert again.metadata["mode"] == "incremental"  # the target exists: only recent rows
    rebuilt = run_model_job(demo_project, "order_status", "marketing_dev", instance, full_refresh=True)
    assert rebuilt.metadata["mode"] == "full_refresh"
    assert rebuilt.metadata["full_refresh_reason"] == "requested with full_refresh: true"
    assert rebuilt.metadata["rows_written"] == 150


def test_each_materialization_records_the_column_lineage_of_the_tag_it_ran(runs):
    instance, _ = runs

    def latest(model: str, environment: str) -> dict:
        records = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey(model), asset_partitions=[environment]), limit=1
        ).records
        return records[0].asset_materialization.metadata

    def deps(metadata: dict) -> dict[str, list[str]]:
        lineage = metadata["dagster/column_lineage"].value.deps_by_column
        return {c: [f"{d.asset_key.to_user_string()}.{d.column_name}" for d in ds] for c, ds in lineage.items()}

    # prd runs 2026.1 (4 columns), dev 2026.2 (7): each partition records its own tag's columns.
    prd, dev = latest("customer_ltv", "marketing_prd"), latest("customer_ltv", "marketing_dev")
    assert deps(prd) == {
        "CUSTOMER_ID": ["customers_dim.CUSTOMER_ID"],
        "NAME": ["customers_dim.NAME"],
        "ORDERS": ["orders_enriched.ORDER_ID"],
        "LIFETIME_VALUE": ["orders_enriched.ORDER_TOTAL"],
    }
    assert set(deps(dev)) == {"CUSTOMER_ID", "NAME", "COUNTRY", "ORDERS", "LIFETIME_VALUE"} | {
        "AVG_ORDER_VALUE",
        "FIRST_ORDER_AT",
    }
    # The column schema: probed types, and each column's origin linking the upstream asset.
    schema = {c.name: c for c in prd["dagster/column_schema"].value.columns}
    assert schema["LIFETIME_VALUE"].description == "← [orders_enriched](/assets/orders_enriched) ORDER_TOTAL"
    assert schema["ORDERS"].type.startswith("NUMBER")
    # One hop further: orders_enriched's total, back to the raw order lines, in prd as in dev.
    for environment in ["marketing_prd", "marketing_dev"]:
        assert deps(latest("orders_enriched", environment))["ORDER_TOTAL"] == [
            "datalake_dev/raw/order_items.QUANTITY",
            "datalake_dev/raw/order_items.UNIT_PRICE",
        ]
    assert "column_lineage_unresolved" not in prd

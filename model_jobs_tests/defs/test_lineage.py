"""Column lineage on the asset definitions: `dagster/column_lineage` in asset keys, and each column's
origins in the Columns table, per environment where their tags differ."""

from __future__ import annotations

import dataclasses

import sqlglot
from dagster import AssetKey, TableColumnDep

from model_jobs.compile.lineage import QueryLineage, column_lineage
from model_jobs.compile.model_lineage import definition_lineage
from model_jobs.defs.build import build_definitions
from model_jobs.defs.lineage import UNRESOLVED, definition_metadata, lineage_metadata
from model_jobs.identifiers import DIALECT

ORDER_ITEMS = AssetKey(["datalake_dev", "raw", "order_items"])


def test_model_definitions_carry_column_lineage_and_schema(demo_project):
    graph = build_definitions(demo_project).resolve_asset_graph()
    ltv = graph.get(AssetKey("customer_ltv")).metadata
    assert ltv["column_lineage_of"] == "marketing_dev (tag 2026.2); each materialization records its own"
    deps = ltv["dagster/column_lineage"].deps_by_column
    assert deps["LIFETIME_VALUE"] == [TableColumnDep(asset_key=AssetKey("orders_enriched"), column_name="ORDER_TOTAL")]
    assert deps["COUNTRY"] == [TableColumnDep(asset_key=AssetKey("customers_dim"), column_name="COUNTRY")]
    columns = {c.name: c for c in ltv["dagster/column_schema"].columns}
    assert list(columns) == list(deps)
    assert columns["LIFETIME_VALUE"].type == ""  # known once a run probes it: not guessed
    assert columns["LIFETIME_VALUE"].description == "← [orders_enriched](/assets/orders_enriched) ORDER_TOTAL"
    assert UNRESOLVED not in ltv

    enriched = graph.get(AssetKey("orders_enriched")).metadata
    assert enriched["dagster/column_lineage"].deps_by_column["ORDER_TOTAL"] == [
        TableColumnDep(asset_key=ORDER_ITEMS, column_name="QUANTITY"),
        TableColumnDep(asset_key=ORDER_ITEMS, column_name="UNIT_PRICE"),
    ]
    # Sources keep the columns sources.yaml declares, so the path ends at named columns.
    raw = graph.get(ORDER_ITEMS).metadata["dagster/column_schema"]
    assert {"QUANTITY", "UNIT_PRICE"} <= {c.name for c in raw.columns}


def test_a_column_whose_origins_differ_by_environment_says_so(demo_project):
    shown = definition_lineage(demo_project)["customer_ltv"]
    # As if prd's tag computed LIFETIME_VALUE from another column.
    other = column_lineage(
        sqlglot.parse_one(
            "SELECT SUM(o.ITEM_COUNT) AS LIFETIME_VALUE FROM ANALYTICS_DEV.MARTS.ORDERS_ENRICHED AS o", read=DIALECT
        ),
        {},
    )
    shown = dataclasses.replace(shown, by_environment={**shown.by_environment, "marketing_prd": other})
    columns = {
        c.name: c for c in definition_metadata(demo_project, "customer_ltv", shown)["dagster/column_schema"].columns
    }
    assert columns["LIFETIME_VALUE"].description == (
        "marketing_dev (2026.2), sandbox (2026.2): ← [orders_enriched](/assets/orders_enriched) ORDER_TOTAL\n\n"
        "marketing_prd (2026.1): ← [orders_enriched](/assets/orders_enriched) ITEM_COUNT"
    )
    # A column prd's lineage does not have is described by the environments that have it.
    assert columns["COUNTRY"].description == "← [customers_dim](/assets/customers_dim) COUNTRY"
    # Equal lineages (here a copy, for prd) give one description, however computed.
    copy = QueryLineage.from_json(shown.lineage.to_json())
    shown = dataclasses.replace(shown, by_environment={**shown.by_environment, "marketing_prd": copy})
    columns = {
        c.name: c for c in definition_metadata(demo_project, "customer_ltv", shown)["dagster/column_schema"].columns
    }
    assert columns["LIFETIME_VALUE"].description == "← [orders_enriched](/assets/orders_enriched) ORDER_TOTAL"


def test_unresolved_columns_are_listed_with_their_reason(demo_project):
    job = demo_project.job("customer_ltv", "marketing_dev")
    lineage = column_lineage(
        sqlglot.parse_one(
            "SELECT c.NAME, ORDER_TOTAL FROM ANALYTICS_DEV.MARTS.CUSTOMERS_DIM AS c "
            "JOIN ANALYTICS_DEV.MARTS.ORDERS_ENRICHED AS o ON o.CUSTOMER_ID = c.CUSTOMER_ID",
            read=DIALECT,
        ),
        {},
    )
    metadata = lineage_metadata(job, lineage)
    assert metadata["dagster/column_lineage"].deps_by_column["ORDER_TOTAL"] == []
    assert metadata[UNRESOLVED].value == {
        "ORDER_TOTAL": "ORDER_TOTAL is not qualified and could come from any of "
        "ANALYTICS_DEV.MARTS.CUSTOMERS_DIM, ANALYTICS_DEV.MARTS.ORDERS_ENRICHED"
    }

"""Column-level lineage by equality: each SQL construct, `*` with and without known columns,
identifier case, the demo models back to their raw sources, and the on-disk cache."""

from __future__ import annotations

import json

import pytest
import sqlglot

from model_jobs.compile import model_lineage
from model_jobs.compile.lineage import ColumnOrigin, QueryLineage, column_lineage
from model_jobs.compile.model_lineage import LineageCache, default_lineage_cache_file, definition_lineage
from model_jobs.compile.reference_cache import CACHE_DIR_ENV
from model_jobs.identifiers import DIALECT, TableName
from model_jobs.project import load_project

T1, T2 = TableName("DB", "S", "T1"), TableName("DB", "S", "T2")


def traced(sql: str, columns: dict[TableName, list[str]] | None = None) -> dict[str, list[str]]:
    """Output column -> its origins as `TABLE.COLUMN`, with `?: reason` when unresolved."""
    found = column_lineage(sqlglot.parse_one(sql, read=DIALECT), columns or {})
    result = {c.name: [f"{o.table.table}.{o.column}" for o in c.origins] for c in found.columns}
    for name, reason in found.unresolved().items():
        result.setdefault(name, []).append(f"?: {reason}")
    return result


def test_aliases_aggregates_case_and_literals():
    assert traced(
        "SELECT x.a, x.b AS renamed, SUM(x.c * x.d) AS total, CASE WHEN x.s = 1 THEN x.e ELSE 0 END AS pick, "
        "1 AS one, 'k' || 'v' AS text, COUNT(*) AS n FROM DB.S.T1 AS x GROUP BY x.a, x.b"
    ) == {
        "A": ["T1.A"],
        "RENAMED": ["T1.B"],
        "TOTAL": ["T1.C", "T1.D"],
        "PICK": ["T1.E", "T1.S"],
        "ONE": [],  # literals: no origin, and nothing unresolved
        "TEXT": [],
        "N": [],
    }


def test_ctes_joins_and_subqueries():
    sql = """
    WITH totals AS (SELECT ORDER_ID, SUM(QUANTITY * UNIT_PRICE) AS TOTAL FROM DB.S.T2 GROUP BY ORDER_ID)
    SELECT o.ORDER_ID, COALESCE(t.TOTAL, 0) AS TOTAL, d.LABEL,
           (SELECT MAX(z.PRICE) FROM DB.S.T2 AS z WHERE z.ORDER_ID = o.ORDER_ID) AS TOP_PRICE
    FROM DB.S.T1 AS o
    LEFT JOIN totals AS t ON t.ORDER_ID = o.ORDER_ID
    JOIN (SELECT ID, UPPER(NAME) AS LABEL FROM DB.S.T2) AS d ON d.ID = o.ORDER_ID
    WHERE o.STATUS <> 'CANCELLED'
    """
    assert traced(sql) == {
        "ORDER_ID": ["T1.ORDER_ID"],
        "TOTAL": ["T2.QUANTITY", "T2.UNIT_PRICE"],
        "LABEL": ["T2.NAME"],
        "TOP_PRICE": ["T2.PRICE"],  # filters (WHERE, ON) are not origins
    }


def test_union_window_and_recursive_cte():
    assert traced("SELECT a AS v FROM DB.S.T1 UNION ALL SELECT b FROM DB.S.T2") == {"V": ["T1.A", "T2.B"]}
    assert traced(
        "SELECT ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts) AS rn, LAG(v) OVER (ORDER BY ts) AS p FROM DB.S.T1"
    ) == {
        "RN": ["T1.K", "T1.TS"],
        "P": ["T1.TS", "T1.V"],
    }
    recursive = """
    WITH RECURSIVE tree AS (
        SELECT ID, PARENT FROM DB.S.T1
        UNION ALL SELECT t.ID, tree.PARENT FROM DB.S.T1 AS t JOIN tree ON t.PARENT = tree.ID
    ) SELECT * FROM tree"""
    assert traced(recursive) == {"ID": ["T1.ID"], "PARENT": ["T1.PARENT"]}


def test_flatten_and_unnamed_expressions():
    assert traced("SELECT f.VALUE AS item, t.ID FROM DB.S.T1 AS t, LATERAL FLATTEN(input => t.ITEMS) AS f") == {
        "ITEM": ["T1.ITEMS"],
        "ID": ["T1.ID"],
    }
    # Snowflake names an unaliased expression after its text; the run renames by the probed names.
    assert traced("SELECT UPPER(c.country) FROM DB.S.T1 AS c") == {"UPPER(C.COUNTRY)": ["T1.COUNTRY"]}


def test_identifier_case_follows_snowflake():
    # Unquoted names resolve upper-case; quoted ones keep their spelling.
    assert traced('SELECT name AS n, "name" AS "Lower", x."Mixed" FROM DB.S.T1 AS x') == {
        "N": ["T1.NAME"],
        "Lower": ["T1.name"],
        "Mixed": ["T1.Mixed"],
    }


def test_star_expands_from_known_columns():
    columns = {T1: ["ID", "A"], T2: ["ID", "B"]}
    assert traced("SELECT * FROM DB.S.T1", columns) == {"ID": ["T1.ID"], "A": ["T1.A"]}
    assert traced(
        "SELECT t.* FROM (SELECT x.*, y.B FROM DB.S.T1 AS x JOIN DB.S.T2 AS y ON x.ID = y.ID) AS t", columns
    ) == {
        "ID": ["T1.ID"],
        "A": ["T1.A"],
        "B": ["T2.B"],
    }
    # Known columns also place an unqualified name in a join.
    assert traced("SELECT A, B FROM DB.S.T1 AS x JOIN DB.S.T2 AS y ON x.ID = y.ID", columns) == {
        "A": ["T1.A"],
        "B": ["T2.B"],
    }


def test_declared_columns_may_be_a_subset():
    # sources.yaml declares the columns models rely on, not necessarily all: a column the SQL names
    # on the table is one of its columns too.
    assert traced("SELECT x.ID, x.EXTRA FROM DB.S.T1 AS x", {T1: ["ID"]}) == {"ID": ["T1.ID"], "EXTRA": ["T1.EXTRA"]}


def test_unknown_columns_are_reported_not_guessed():
    # `*` over a table whose columns are unknown: the output columns cannot be named.
    found = column_lineage(sqlglot.parse_one("SELECT * FROM DB.S.T1", read=DIALECT), {})
    assert found.columns == () and found.names is None
    assert found.unresolved() == {"*": "`*` over DB.S.T1: its columns are not known"}
    # An unqualified name over a join of tables with unknown columns.
    assert traced("SELECT x.ID, NAME FROM DB.S.T1 AS x JOIN DB.S.T2 AS y ON x.ID = y.ID") == {
        "ID": ["T1.ID"],
        "NAME": ["?: NAME is not qualified and could come from any of DB.S.T1, DB.S.T2"],
    }
    # A column passed on by `*` over one table is that table's; over a join it is not known.
    assert traced("SELECT t.Q FROM (SELECT * FROM DB.S.T1) AS t") == {"Q": ["T1.Q"]}
    assert traced("SELECT t.Q FROM (SELECT * FROM DB.S.T1 AS a JOIN DB.S.T2 AS b ON a.ID = b.ID) AS t") == {
        "Q": ["?: Q comes from `*` over DB.S.T1, DB.S.T2, whose columns are not known"]
    }
    # A single unknown table: an unqualified name can only be its own.
    assert traced("SELECT NAME FROM DB.S.T1") == {"NAME": ["T1.NAME"]}


def test_named_takes_the_warehouse_names_when_they_line_up():
    found = column_lineage(sqlglot.parse_one("SELECT UPPER(a), b FROM DB.S.T1", read=DIALECT), {})
    assert [c.name for c in found.named(["UPPER(A)", "B"]).columns] == ["UPPER(A)", "B"]
    assert found.named(["ONLY_ONE"]) == found


def test_json_round_trip():
    found = column_lineage(
        sqlglot.parse_one("SELECT x.a, NAME FROM DB.S.T1 AS x JOIN DB.S.T2 AS y ON x.ID = y.ID", read=DIALECT), {}
    )
    assert QueryLineage.from_json(found.to_json()) == found
    star = column_lineage(sqlglot.parse_one("SELECT * FROM DB.S.T1", read=DIALECT), {})
    assert QueryLineage.from_json(star.to_json()) == star


RAW = "DATALAKE_DEV.RAW."


def test_demo_customer_ltv_back_to_the_raw_sources(demo_project):
    shown = definition_lineage(demo_project)
    assert {m: (s.environment, s.tag) for m, s in shown.items()} == {
        "customers_dim": ("marketing_dev", "sprint-42"),
        "orders_enriched": ("marketing_dev", "2026.2"),
        "customer_ltv": ("marketing_dev", "2026.2"),
        "order_status": ("marketing_dev", "v2"),
    }

    def origins(model: str, column: str) -> list[str]:
        (found,) = [c for c in shown[model].lineage.columns if c.name == column]
        assert found.unresolved is None
        return [f"{o.table}.{o.column}" for o in found.origins]

    assert origins("customer_ltv", "LIFETIME_VALUE") == ["ANALYTICS_DEV.MARTS.ORDERS_ENRICHED.ORDER_TOTAL"]
    assert origins("orders_enriched", "ORDER_TOTAL") == [f"{RAW}ORDER_ITEMS.QUANTITY", f"{RAW}ORDER_ITEMS.UNIT_PRICE"]
    assert origins("customer_ltv", "COUNTRY") == ["ANALYTICS_DEV.MARTS.CUSTOMERS_DIM.COUNTRY"]
    assert origins("customers_dim", "COUNTRY") == [f"{RAW}CUSTOMERS.COUNTRY"]
    assert origins("customers_dim", "EMAIL_DOMAIN") == [f"{RAW}CUSTOMERS.EMAIL"]
    assert shown["customer_ltv"].lineage.names == [
        "CUSTOMER_ID", "NAME", "COUNTRY", "ORDERS", "LIFETIME_VALUE", "AVG_ORDER_VALUE", "FIRST_ORDER_AT"
    ]  # fmt: skip


def test_star_over_an_upstream_model_uses_its_output_columns(demo_project):
    job = demo_project.job("customer_ltv", "marketing_dev")
    upstream = TableName("ANALYTICS_DEV", "MARTS", "ORDERS_ENRICHED")
    outputs = definition_lineage(demo_project)["orders_enriched"].lineage.names
    found = LineageCache(None).lineage(f"SELECT * FROM {upstream}", {upstream: outputs})
    assert [c.name for c in found.columns] == outputs
    assert found.columns[0].origins == (ColumnOrigin(upstream, "ORDER_ID"),)
    assert job.sources  # the demo reads it through customer_ltv


def test_definition_lineage_is_cached_on_disk(demo_project, tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    path = default_lineage_cache_file()
    first = definition_lineage(demo_project, LineageCache(path))
    # One entry per distinct SQL and input columns: here, per tag in use (two per model).
    assert path is not None and len(json.loads(path.read_text())) == 8

    def refuse(*_args, **_kwargs):
        raise AssertionError("computed although cached")

    monkeypatch.setattr(model_lineage, "column_lineage", refuse)
    assert definition_lineage(demo_project, LineageCache(path)) == first
    # A corrupt entry is computed again, never trusted.
    monkeypatch.undo()
    path.write_text(json.dumps(dict.fromkeys(json.loads(path.read_text()), "{not json")))
    assert definition_lineage(demo_project, LineageCache(path)) == first


def test_a_flaw_in_lineage_does_not_stop_a_load(demo_project, monkeypatch):
    def flawed(*_args, **_kwargs):
        raise AttributeError("a bug")

    monkeypatch.setattr(model_lineage, "column_lineage", flawed)
    shown = definition_lineage(demo_project)["customer_ltv"].lineage
    assert shown.columns == ()
    assert shown.unresolved() == {"*": "column lineage could not be computed: AttributeError: a bug"}


@pytest.mark.parametrize("setting", ["off"])
def test_cache_can_be_turned_off(monkeypatch, setting):
    monkeypatch.setenv(CACHE_DIR_ENV, setting)
    assert default_lineage_cache_file() is None


def test_a_model_without_a_design_job_shows_its_first_environment(specs_copy):
    jobs = specs_copy / "jobs" / "customer_ltv.yaml"
    text = jobs.read_text()
    assert "  marketing_dev:\n    tag: latest\n" in text
    jobs.write_text(text.replace("  marketing_dev:\n    tag: latest\n", ""))
    shown = definition_lineage(load_project(specs_copy))["customer_ltv"]
    assert (shown.environment, shown.tag, sorted(shown.by_environment)) == (
        "marketing_prd",
        "2026.1",
        ["marketing_prd", "sandbox"],
    )
    assert shown.lineage.names == ["CUSTOMER_ID", "NAME", "ORDERS", "LIFETIME_VALUE"]

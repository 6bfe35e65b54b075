"""The incremental benchmark's statements on plain DuckDB, in process: no HTTP round trips, no
fakesnow rewriting, a native MERGE. It answers one question: is what keeps our incremental run
from 10% of a full refresh our SQL, or the embedded Snowflake it runs on?

``bench/incremental.py`` calls `measure` after its own layouts with, per layout, the statements
of one of our incremental runs there (recorded as they were sent). Here the same data is
generated natively, the same change applied, and then, from the same starting target each time:

* full refresh: ``CREATE OR REPLACE TABLE target AS <the model query>``;
* ours: each of our recorded statements, transpiled by sqlglot from Snowflake to DuckDB;
* hand-written: ``SELECT MAX`` of the target, then one ``MERGE`` from the source with the cutoff
  as a literal (the same SQL as on the embedded Snowflake, transpiled).

After every variant the target is compared with the model query over the changed source.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import duckdb
import sqlglot
from sqlglot import exp

DATABASE = "BENCH_INCREMENTAL"


def to_duckdb(statement: str) -> str:
    """A Snowflake statement of ours as DuckDB runs it. DuckDB's MERGE names the target columns
    of UPDATE SET without a table qualifier."""
    expression = sqlglot.parse_one(statement, read="snowflake")
    for update in expression.find_all(exp.Update):
        if isinstance(update.parent, exp.When):
            for assignment in update.expressions:
                assignment.this.set("table", None)
    return expression.sql(dialect="duckdb")


class PlainDuckDB:
    def __init__(self, rows: int, t0: datetime, source: str, target: str, columns: list[str]):
        self.rows, self.t0 = rows, t0
        self.source, self.target, self.columns = source, target, columns
        self.con = duckdb.connect()
        self.con.execute(f"ATTACH ':memory:' AS {DATABASE}")
        for schema in {source.split(".")[1], target.split(".")[1]}:
            self.con.execute(f"CREATE SCHEMA {DATABASE}.{schema}")
        self.base = f"{DATABASE}.{source.split('.')[1]}.ORDERS_BASE"
        self.target_base = f"{DATABASE}.{target.split('.')[1]}.TARGET_BASE"
        self.expected = f"{DATABASE}.{target.split('.')[1]}.EXPECTED"

    def generate(self) -> None:
        """The rows bench/incremental.py generates on the embedded Snowflake, with the same types."""
        self.con.execute(f"""
            CREATE TABLE {self.base} AS
            SELECT N::DECIMAL(38,0) AS ID, ((N * 7919) % 100000)::DECIMAL(38,0) AS CUSTOMER_ID,
                   (((N * 31) % 100000) / 100)::DECIMAL(12,2) AS AMOUNT,
                   CASE N % 3 WHEN 0 THEN 'NEW' WHEN 1 THEN 'PAID' ELSE 'SHIPPED' END AS STATUS,
                   TIMESTAMP '{self.t0.isoformat(sep=" ")}' + to_seconds(N) AS UPDATED_AT
            FROM (SELECT range + 1 AS N FROM range({self.rows}))""")
        self.con.execute(f"CREATE TABLE {self.target_base} AS SELECT {', '.join(self.columns)} FROM {self.base}")

    def change(self, layout: str, spread_residue: int) -> None:
        """The change of one layout, as bench/incremental.py makes it."""
        rows = self.rows
        changed = max(rows // 100, 2)
        updated, appended = changed // 2, changed - changed // 2
        t_max = self.t0 + timedelta(seconds=rows)
        later = f"TIMESTAMP '{t_max.isoformat(sep=' ')}' + to_seconds(600 + ID::BIGINT % 3600)"
        self.con.execute(f"CREATE OR REPLACE TABLE {self.source} AS SELECT * FROM {self.base}")
        if layout == "recent":
            self.con.execute(
                f"UPDATE {self.source} SET AMOUNT = AMOUNT + 1, STATUS = 'REFUNDED', "
                f"UPDATED_AT = {later} WHERE ID > {rows - updated}"
            )
            self.con.execute(f"""
                INSERT INTO {self.source}
                SELECT N, (N * 7919) % 100000, (((N * 31) % 100000) / 100)::DECIMAL(12,2), 'NEW',
                       TIMESTAMP '{t_max.isoformat(sep=" ")}' + to_seconds(600 + 3600 + N - {rows})
                FROM (SELECT range + {rows + 1} AS N FROM range({appended}))""")
        else:
            self.con.execute(
                f"UPDATE {self.source} SET AMOUNT = AMOUNT + 1, STATUS = 'REFUNDED', "
                f"UPDATED_AT = {later} WHERE ID % 100 = {spread_residue}"
            )
        self.con.execute(
            f"CREATE OR REPLACE TABLE {self.expected} AS SELECT {', '.join(self.columns)} FROM {self.source}"
        )

    def verify(self) -> str | None:
        cols = ", ".join(self.columns)
        count, expected, extra, missing = self.con.execute(
            f"SELECT (SELECT COUNT(*) FROM {self.target}), (SELECT COUNT(*) FROM {self.expected}), "
            f"(SELECT COUNT(*) FROM (SELECT {cols} FROM {self.target} EXCEPT ALL SELECT {cols} FROM {self.expected})), "
            f"(SELECT COUNT(*) FROM (SELECT {cols} FROM {self.expected} EXCEPT ALL SELECT {cols} FROM {self.target}))"
        ).fetchone()
        if (count, extra, missing) == (expected, 0, 0):
            return None
        return f"target {count} rows vs expected {expected}: {extra} unexpected, {missing} missing"

    def timed(self, work: Callable[[], None]) -> float:
        self.con.execute(f"CREATE OR REPLACE TABLE {self.target} AS SELECT * FROM {self.target_base}")
        start = time.perf_counter()
        work()
        return time.perf_counter() - start

    def run_all(self, statements: list[str]) -> None:
        for statement in statements:
            self.con.execute(statement).fetchall()


def measure(
    rows: int,
    t0: datetime,
    source: str,
    target: str,
    columns: list[str],
    watermark: str,
    lookback: timedelta,
    ours_by_layout: dict[str, list[str]],
    hand_merge: Callable[[str], str],
    spread_residue: int,
    rounds: int,
) -> None:
    """Print, per layout, the medians of the three variants and their ratios."""
    plain = PlainDuckDB(rows, t0, source, target, columns)
    start = time.perf_counter()
    plain.generate()
    print(
        f"\nPlain DuckDB {duckdb.__version__}, in process: {rows:,} rows generated in "
        f"{time.perf_counter() - start:.1f}s",
        flush=True,
    )
    full_sql = f"CREATE OR REPLACE TABLE {target} AS SELECT {', '.join(columns)} FROM {source}"
    for layout, statements in ours_by_layout.items():
        plain.change(layout, spread_residue)
        ours = [to_duckdb(s) for s in statements]

        def hand() -> None:
            highest = plain.con.execute(f"SELECT MAX({watermark}) FROM {target}").fetchone()[0]
            cutoff = (highest - lookback).isoformat(sep=" ")
            plain.con.execute(to_duckdb(hand_merge(f"{watermark} >= '{cutoff}'::TIMESTAMP_NTZ"))).fetchall()

        variants = {
            "full refresh": lambda: plain.run_all([full_sql]),
            "ours": lambda ours=ours: plain.run_all(ours),
            "hand-written": hand,
        }
        seconds: dict[str, list[float]] = {name: [] for name in variants}
        failures: list[str] = []
        for _ in range(rounds):
            for name, work in variants.items():
                seconds[name].append(plain.timed(work))
                problem = plain.verify()
                if problem and f"{name}: {problem}" not in failures:
                    failures.append(f"{name}: {problem}")
        full, mine, hand_s = (statistics.median(seconds[n]) for n in ("full refresh", "ours", "hand-written"))
        print(
            f"  layout {layout}: full refresh {full:.3f} s, ours ({len(ours)} statements) {mine:.3f} s, "
            f"hand-written {hand_s:.3f} s; ours / full refresh {mine / full:.3f} (target <= 0.10), "
            f"ours / hand-written {mine / hand_s:.2f}, hand-written / full refresh {hand_s / full:.3f}; "
            f"every target equals the model over the changed source: {'yes' if not failures else 'NO'}"
            + (f" ({'; '.join(failures)})" if failures else ""),
            flush=True,
        )

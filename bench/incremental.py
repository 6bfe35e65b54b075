"""Incremental runs on the embedded Snowflake: ours vs. a full refresh vs. hand-written SQL.

What it measures
----------------
In a temporary folder it starts an embedded Snowflake (fakesnow on DuckDB, reached over HTTP by
the real Snowflake connector, as in ``make dev``) and generates, server-side, a source table of N
rows (default 5,000,000)::

    BENCH_INCREMENTAL.RAW.ORDERS (ID NUMBER, CUSTOMER_ID NUMBER, AMOUNT NUMBER(12,2),
                                  STATUS VARCHAR, UPDATED_AT TIMESTAMP_NTZ)

where UPDATED_AT = 2026-01-01 + ID seconds, so "recent" means high IDs. A temporary job_specs
folder holds one model, ``SELECT ID, CUSTOMER_ID, AMOUNT, STATUS, UPDATED_AT FROM <source>``, and
one job with ``incremental: {strategy: merge, unique_key: [ID], watermark: UPDATED_AT, lookback:
1h}``; it is loaded with ``load_project`` and built once (the first run is a full build).

Then, per layout, 1% of the source changes:

* recent (the common case): the newest 0.5% rows get a new AMOUNT/STATUS and an UPDATED_AT later
  than the target's highest, and 0.5% new rows are appended after them;
* spread (the worst case): 1% of the rows, chosen uniformly (ID % 100 = 37), get a new
  AMOUNT/STATUS and an UPDATED_AT later than the target's highest.

and each of these runs from an identical starting target (the target built before the change is
restored before every measured variant, so each applies the same change):

* full refresh: ``materialize(job, connection, {}, full_refresh=True)``;
* ours: ``materialize(job, connection, {})``, the incremental run, through a connection whose
  cursor counts and times every statement (all of them: the preflight that checks the source is
  one of them);
* hand-written: what a person would run through the connector for the same result, two
  statements: ``SELECT MAX(UPDATED_AT)`` of the target, then one ``MERGE INTO target USING
  (SELECT .. FROM source WHERE UPDATED_AT >= <that max - 1h, as a literal>) ...``. The same
  lookback as ours, so both read exactly the same rows. For information it also times the
  one-statement form with the cutoff as a scalar subquery;
* replayed (for information): the statements of one unmeasured incremental run, executed again
  exactly as they were through the connector, so ours vs. replayed is what our Python adds, and
  replayed vs. hand-written is what the staging and the checks cost.

After every variant the target is compared with the model query over the changed source (row
count and EXCEPT both ways), so all variants are checked to write the same thing.

Each measurement is repeated ``--rounds`` times (default 3; the order of the variants rotates
between rounds) and the median is reported, one table per layout, with the targets:

* recent layout: ours <= 10% of a full refresh;
* both layouts: ours <= 1.5 x the hand-written SQL;
* at most 6 warehouse statements per incremental run.

Then where our time goes, statement by statement (median seconds), next to the hand-written
statements and the cost of one round trip (``SELECT 1``).

Reading the results: the embedded Snowflake runs a MERGE as fakesnow emulates it
(fakesnow/transforms/merge.py): a FULL OUTER JOIN of the whole target with the source into a
temporary table, then UPDATE .. FROM, INSERT and a count. Its cost grows with the target, not with
the change, so even the hand-written MERGE is a larger share of a full refresh here than on plain
DuckDB (native MERGE) or on Snowflake. Every statement is also one HTTP round trip to the server,
and fakesnow rewrites each statement with about 75 sqlglot passes in Python, a cost that grows
with the statement's size (two thirds of the preflight's time), where Snowflake compiles it.

Last, unless ``--no-plain-duckdb``, the same comparison on plain DuckDB in process (no HTTP, no
fakesnow rewriting, a native MERGE): our statements as recorded, transpiled by sqlglot, against a
full refresh and the hand-written pair, on the same data and change (bench/plain_duckdb.py). That
separates what our SQL costs from what the embedded Snowflake adds.

It always exits 0: it reports, it does not gate.

Run it
------
    make bench-incremental            # = uv run --locked python bench/incremental.py
    uv run --locked python bench/incremental.py --rows 200000 --rounds 5
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import plain_duckdb  # bench/plain_duckdb.py, next to this script
import snowflake.connector

from model_jobs.compile.reference_cache import CACHE_DIR_ENV
from model_jobs.project import load_project
from model_jobs.runtime.materialize import materialize
from model_jobs.specs.tags import lock_line
from model_jobs.warehouse.local_snowflake import running_in_thread

DATABASE, SOURCE_SCHEMA, TARGET_SCHEMA = "BENCH_INCREMENTAL", "RAW", "MARTS"
SOURCE = f"{DATABASE}.{SOURCE_SCHEMA}.ORDERS"
SOURCE_BASE = f"{DATABASE}.{SOURCE_SCHEMA}.ORDERS_BASE"  # the source before any change
TARGET = f"{DATABASE}.{TARGET_SCHEMA}.ORDERS_MART"
TARGET_BASE = f"{DATABASE}.{TARGET_SCHEMA}.BENCH_TARGET_BASE"  # the target built from ORDERS_BASE
EXPECTED = f"{DATABASE}.{TARGET_SCHEMA}.BENCH_EXPECTED"  # the model query over the changed source
COLUMNS = ["ID", "CUSTOMER_ID", "AMOUNT", "STATUS", "UPDATED_AT"]
KEY, WATERMARK = "ID", "UPDATED_AT"
LOOKBACK = timedelta(hours=1)
INCREMENTAL = "{strategy: merge, unique_key: [ID], watermark: UPDATED_AT, lookback: 1h}"
T0 = datetime(2026, 1, 1)
SPREAD_RESIDUE = 37

TARGET_VS_FULL = 0.10  # recent layout: ours <= 10% of a full refresh
TARGET_VS_HAND = 1.5  # both layouts: ours <= 1.5 x the hand-written SQL
TARGET_STATEMENTS = 6

FULL, OURS, HAND, HAND_ONE, REPLAY = "full", "ours", "hand", "hand_one", "replay"


# --------------------------------------------------------------------------------------------
# Counting and timing every statement a run issues
# --------------------------------------------------------------------------------------------


@dataclass
class Statement:
    sql: str
    params: object
    seconds: float


@dataclass
class Recorder:
    statements: list[Statement] = field(default_factory=list)


class CountingCursor:
    """A cursor that records each execute (text, parameters, seconds) and delegates the rest."""

    def __init__(self, cursor, recorder: Recorder):
        self._cursor = cursor
        self._recorder = recorder

    def execute(self, sql, params=None, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self._cursor.execute(sql, params, *args, **kwargs)
        finally:
            self._recorder.statements.append(Statement(sql, params, time.perf_counter() - start))

    def __getattr__(self, name):
        return getattr(self._cursor, name)


class CountingConnection:
    def __init__(self, connection, recorder: Recorder):
        self._connection = connection
        self._recorder = recorder

    def cursor(self, *args, **kwargs):
        return CountingCursor(self._connection.cursor(*args, **kwargs), self._recorder)

    def __getattr__(self, name):
        return getattr(self._connection, name)


def label(statement: Statement) -> str:
    """A short, stable name for one of our statements."""
    sql = " ".join(statement.sql.split())
    upper = sql.upper()
    if "MJ_COLUMNS_" in upper:
        return "preflight: target state + columns of source, output, target"
    if "INFORMATION_SCHEMA.COLUMNS" in upper:
        return "columns from INFORMATION_SCHEMA (after a failed preflight)"
    if upper.startswith("CREATE SCHEMA"):
        return "CREATE SCHEMA IF NOT EXISTS (target schema)"
    if upper.startswith("CREATE") and "MJ_STAGE_" in upper:
        return "CREATE TABLE staging AS model query WHERE watermark >= cutoff"
    if upper.startswith("CREATE"):
        return "CREATE OR REPLACE TABLE target AS model query"
    if "COUNT_IF" in upper:
        return "staging stats (rows, max watermark, duplicate keys, NULL keys)"
    if upper.startswith("MERGE"):
        return "MERGE staging INTO target"
    if upper.startswith("DROP"):
        return "DROP TABLE staging"
    if upper.startswith("SELECT MAX(") and "COUNT(*)" in upper:
        return "SELECT MAX(watermark), COUNT(*) FROM target (after the build)"
    if upper.startswith("SELECT MAX("):
        return "SELECT MAX(watermark) FROM target"
    if upper.startswith("SELECT COUNT(*)"):
        return "SELECT COUNT(*) FROM target"
    if "LIMIT 0" in upper:
        return "columns of the model output (LIMIT 0)"
    return sql[:70]


# --------------------------------------------------------------------------------------------
# The warehouse side: source, specs, layouts
# --------------------------------------------------------------------------------------------


class Warehouse:
    def __init__(self, connection):
        self.connection = connection
        self.cursor = connection.cursor()

    def sql(self, statement: str, params=None) -> list[tuple]:
        self.cursor.execute(statement, params)
        return self.cursor.fetchall() if self.cursor.description else []

    def one(self, statement: str, params=None):
        return self.sql(statement, params)[0][0]

    def copy(self, source: str, target: str) -> None:
        # fakesnow's CLONE does not honour OR REPLACE; a CTAS keeps the column types on DuckDB.
        self.sql(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {source}")


def create_source(wh: Warehouse, rows: int) -> None:
    """N rows generated by the warehouse itself; UPDATED_AT grows with ID, one second per row."""
    wh.sql(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    wh.sql(f"CREATE SCHEMA IF NOT EXISTS {DATABASE}.{SOURCE_SCHEMA}")
    wh.sql(f"CREATE SCHEMA IF NOT EXISTS {DATABASE}.{TARGET_SCHEMA}")
    wh.sql(
        f"CREATE OR REPLACE TABLE {SOURCE_BASE} (ID NUMBER, CUSTOMER_ID NUMBER, AMOUNT NUMBER(12,2), "
        "STATUS VARCHAR, UPDATED_AT TIMESTAMP_NTZ)"
    )
    wh.sql(
        textwrap.dedent(f"""\
        INSERT INTO {SOURCE_BASE}
        SELECT N AS ID,
               MOD(N * 7919, 100000) AS CUSTOMER_ID,
               (MOD(N * 31, 100000) / 100)::NUMBER(12,2) AS AMOUNT,
               CASE MOD(N, 3) WHEN 0 THEN 'NEW' WHEN 1 THEN 'PAID' ELSE 'SHIPPED' END AS STATUS,
               DATEADD(second, N, '{T0.isoformat(sep=" ")}'::TIMESTAMP_NTZ) AS UPDATED_AT
        FROM (SELECT SEQ4() + 1 AS N FROM TABLE(GENERATOR(ROWCOUNT => {rows})))
        """)
    )
    wh.copy(SOURCE_BASE, SOURCE)


def write_specs(root: Path):
    """One model `orders_mart` reading the source, one incremental job in environment `bench`."""
    model_dir = root / "models" / "orders_mart"
    (model_dir / "tags").mkdir(parents=True)
    sql = f"SELECT {', '.join(COLUMNS)} FROM {SOURCE}\n"
    (model_dir / "tags" / "v1.sql").write_text(sql, encoding="utf-8")
    (model_dir / "model.sql").write_text(sql, encoding="utf-8")
    (model_dir / "tags.lock").write_text(lock_line("v1", sql, "2026-11-01T00:00:00Z", "bench") + "\n", encoding="utf-8")
    (model_dir / "model.yaml").write_text("description: Orders, kept up to date incrementally.\n", encoding="utf-8")
    (root / "environments.yaml").write_text(
        textwrap.dedent(f"""\
        design_environment: bench
        environments:
          bench:
            role: BENCH
            warehouse: BENCH_WH
            target: {{database: {DATABASE}, schema: {TARGET_SCHEMA}}}
        """),
        encoding="utf-8",
    )
    (root / "jobs").mkdir()
    (root / "jobs" / "orders_mart.yaml").write_text(
        f"model: orders_mart\njobs:\n  bench:\n    tag: v1\n    incremental: {INCREMENTAL}\n", encoding="utf-8"
    )
    job = load_project(root).job("orders_mart", "bench")
    assert str(job.target).replace('"', "") == TARGET, job.target
    return job


@dataclass(frozen=True)
class Layout:
    name: str
    description: str
    statements: tuple[str, ...]  # applied to SOURCE (a fresh copy of SOURCE_BASE)


def layouts(rows: int) -> list[Layout]:
    changed = max(rows // 100, 2)
    updated, appended = changed // 2, changed - changed // 2
    t_max = T0 + timedelta(seconds=rows)  # the target's highest UPDATED_AT before the change
    later = f"DATEADD(second, 600 + MOD(ID, 3600), '{t_max.isoformat(sep=' ')}'::TIMESTAMP_NTZ)"
    recent = Layout(
        "recent",
        f"the newest {updated:,} rows updated + {appended:,} rows appended ({100 * changed / rows:.1f}% of {rows:,})",
        (
            f"UPDATE {SOURCE} SET AMOUNT = AMOUNT + 1, STATUS = 'REFUNDED', UPDATED_AT = {later} "
            f"WHERE ID > {rows - updated}",
            textwrap.dedent(f"""\
                INSERT INTO {SOURCE}
                SELECT N, MOD(N * 7919, 100000), (MOD(N * 31, 100000) / 100)::NUMBER(12,2), 'NEW',
                       DATEADD(second, 600 + 3600 + N - {rows}, '{t_max.isoformat(sep=" ")}'::TIMESTAMP_NTZ)
                FROM (SELECT SEQ4() + {rows + 1} AS N FROM TABLE(GENERATOR(ROWCOUNT => {appended})))
                """),
        ),
    )
    spread = Layout(
        "spread",
        f"{rows // 100:,} rows updated, uniformly (ID % 100 = {SPREAD_RESIDUE}; 1% of {rows:,})",
        (
            f"UPDATE {SOURCE} SET AMOUNT = AMOUNT + 1, STATUS = 'REFUNDED', UPDATED_AT = {later} "
            f"WHERE MOD(ID, 100) = {SPREAD_RESIDUE}",
        ),
    )
    return [recent, spread]


def verify(wh: Warehouse) -> str | None:
    """None if the target holds exactly what the model query over the changed source returns."""
    cols = ", ".join(COLUMNS)
    count, expected, extra, missing = wh.sql(
        f"SELECT (SELECT COUNT(*) FROM {TARGET}), (SELECT COUNT(*) FROM {EXPECTED}), "
        f"(SELECT COUNT(*) FROM (SELECT {cols} FROM {TARGET} EXCEPT SELECT {cols} FROM {EXPECTED})), "
        f"(SELECT COUNT(*) FROM (SELECT {cols} FROM {EXPECTED} EXCEPT SELECT {cols} FROM {TARGET}))"
    )[0]
    if (count, extra, missing) == (expected, 0, 0):
        return None
    return f"target {count} rows vs expected {expected}: {extra} unexpected, {missing} missing"


# --------------------------------------------------------------------------------------------
# The variants
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    seconds: float
    statements: list[tuple[str, str, float]]  # (who, label, seconds)
    facts: dict[str, object] = field(default_factory=dict)
    sql: list[tuple[str, object]] = field(default_factory=list)  # ours: each statement and its parameters


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_materialize(job, connection, full_refresh: bool, expected_mode: str | None = None) -> Outcome:
    recorder = Recorder()
    counting = CountingConnection(connection, recorder)
    seconds, result = timed(lambda: materialize(job, counting, {}, full_refresh=full_refresh))
    expected_mode = expected_mode or ("full_refresh" if full_refresh else "incremental")
    if result.mode != expected_mode:
        raise RuntimeError(f"expected a {expected_mode} run, got {result.mode}: {result.reason}")
    return Outcome(
        seconds,
        [("ours", label(s), s.seconds) for s in recorder.statements],
        {"rows_staged": result.rows_staged, "inserted": result.rows_inserted, "updated": result.rows_updated},
        [(s.sql, s.params) for s in recorder.statements],
    )


def run_replay(connection, statements: list[tuple[str, object]]) -> Outcome:
    """Our statements of an earlier incremental run, replayed as they are through the connector:
    the same SQL with none of our Python around it."""
    cursor = connection.cursor()

    def work():
        for sql, params in statements:
            cursor.execute(sql, params)
            if cursor.description:
                cursor.fetchall()

    seconds, _ = timed(work)
    return Outcome(seconds, [("replayed", "our statements, replayed", seconds)], {})


def merge_sql(where: str) -> str:
    others = [c for c in COLUMNS if c != KEY]
    return (
        f"MERGE INTO {TARGET} AS T USING (SELECT {', '.join(COLUMNS)} FROM {SOURCE} WHERE {where}) AS S "
        f"ON T.{KEY} = S.{KEY} "
        f"WHEN MATCHED THEN UPDATE SET {', '.join(f'{c} = S.{c}' for c in others)} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(COLUMNS)}) VALUES ({', '.join(f'S.{c}' for c in COLUMNS)})"
    )


def run_hand(connection) -> Outcome:
    """Two statements: the target's highest watermark, then one MERGE with the cutoff as a literal."""
    cursor = connection.cursor()
    steps: list[tuple[str, str, float]] = []

    def work():
        start = time.perf_counter()
        cursor.execute(f"SELECT MAX({WATERMARK}) FROM {TARGET}")
        cutoff = cursor.fetchone()[0] - LOOKBACK
        steps.append(("hand-written", "SELECT MAX(watermark) FROM target", time.perf_counter() - start))
        start = time.perf_counter()
        cursor.execute(merge_sql(f"{WATERMARK} >= '{cutoff.isoformat(sep=' ')}'::TIMESTAMP_NTZ"))
        counts = cursor.fetchone()
        steps.append(
            ("hand-written", "MERGE source WHERE watermark >= literal INTO target", time.perf_counter() - start)
        )
        return counts

    seconds, counts = timed(work)
    return Outcome(seconds, steps, {"inserted": counts[0], "updated": counts[1]})


def run_hand_one(connection) -> Outcome:
    """One statement: the cutoff as a scalar subquery on the target."""
    cursor = connection.cursor()
    lookback = int(LOOKBACK.total_seconds())

    def work():
        cursor.execute(
            merge_sql(f"{WATERMARK} >= (SELECT DATEADD(second, -{lookback}, MAX({WATERMARK})) FROM {TARGET})")
        )
        return cursor.fetchone()

    seconds, counts = timed(work)
    return Outcome(
        seconds,
        [("hand-written, one statement", "MERGE .. WHERE watermark >= (subquery)", seconds)],
        {"inserted": counts[0], "updated": counts[1]},
    )


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def yes_no(ok: bool) -> str:
    return "yes" if ok else "NO"


def report(
    layout: Layout, outcomes: dict[str, list[Outcome]], failures: list[str], rounds: int, round_trip: float
) -> None:
    full = median([o.seconds for o in outcomes[FULL]])
    ours = median([o.seconds for o in outcomes[OURS]])
    hand = median([o.seconds for o in outcomes[HAND]])
    hand_one = median([o.seconds for o in outcomes[HAND_ONE]])
    replay = median([o.seconds for o in outcomes[REPLAY]])
    first_ours = outcomes[OURS][0]
    total = len(first_ours.statements)
    full_statements = len(outcomes[FULL][0].statements)
    facts = first_ours.facts

    print()
    print(f"Layout {layout.name}: {layout.description}")
    print(
        f"  median of {rounds} round(s); each variant starts from the same target; "
        f"ours staged {facts['rows_staged']:,} rows, inserted {facts['inserted']:,}, "
        f"updated {facts['updated']:,}"
    )
    print()
    rows: list[tuple[str, str, str]] = [
        ("full refresh: materialize(full_refresh=True)", f"{full:8.3f} s", f"{full_statements} statements"),
        ("ours: materialize(), incremental", f"{ours:8.3f} s", f"{total} statements"),
        ("hand-written: SELECT MAX + MERGE (literal cutoff)", f"{hand:8.3f} s", "2 statements"),
        ("  (info) hand-written, one MERGE (subquery cutoff)", f"{hand_one:8.3f} s", "1 statement"),
        ("  (info) our statements replayed through the connector", f"{replay:8.3f} s", f"{total} statements"),
        (
            "ours / full refresh",
            f"{ours / full:8.3f}",
            f"target <= {TARGET_VS_FULL:.2f}"
            + (f": {yes_no(ours / full <= TARGET_VS_FULL)}" if layout.name == "recent" else " (recent only; info)"),
        ),
        (
            "ours / hand-written",
            f"{ours / hand:8.2f}",
            f"target <= {TARGET_VS_HAND}: {yes_no(ours / hand <= TARGET_VS_HAND)}",
        ),
        ("hand-written / full refresh", f"{hand / full:8.3f}", "the floor on this warehouse"),
        ("ours / our statements replayed", f"{ours / replay:8.2f}", "what our Python adds"),
        (
            "statements, whole incremental run (source check included)",
            f"{total:8d}",
            f"target <= {TARGET_STATEMENTS}: {yes_no(total <= TARGET_STATEMENTS)}",
        ),
        ("every target equals the model over the changed source", f"{yes_no(not failures):>8}", "; ".join(failures)),
    ]
    width = max(len(name) for name, _, _ in rows)
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value}   {note}".rstrip())

    print()
    print(f"  Where our time goes (median seconds per statement; one round trip, SELECT 1: {round_trip:.3f} s):")
    per_position: list[tuple[str, str, list[float]]] = []
    for outcome in outcomes[OURS]:
        for i, (who, lbl, seconds) in enumerate(outcome.statements):
            if i == len(per_position):
                per_position.append((who, lbl, []))
            per_position[i][2].append(seconds)
    statement_sum = sum(median(values) for _, _, values in per_position)
    outside = median([o.seconds - sum(seconds for _, _, seconds in o.statements) for o in outcomes[OURS]])
    lines = [(f"{i + 1:2d}. {lbl}", median(values)) for i, (_, lbl, values) in enumerate(per_position)]
    lines.append(("    sum of our statements (medians)", statement_sum))
    lines.append(("    outside statements (Python: SQL rendering, checks)", outside))
    lines.append(("    total, ours", ours))
    for outcome_name, title, only in (
        (HAND, "hand-written", None),
        (FULL, "full refresh", "CREATE OR REPLACE TABLE target AS model query"),
    ):
        per_step: dict[str, list[float]] = {}
        for outcome in outcomes[outcome_name]:
            for _, lbl, seconds in outcome.statements:
                if only is None or lbl == only:
                    per_step.setdefault(lbl, []).append(seconds)
        for lbl, values in per_step.items():
            lines.append((f"    [{title}] {lbl}", median(values)))
    width = max(len(name) for name, _ in lines)
    for name, seconds in lines:
        share = f"{100 * seconds / ours:5.1f}% of ours" if ours else ""
        print(f"  {name:<{width}}  {seconds:7.3f}  {share}")


# --------------------------------------------------------------------------------------------


def measure_layout(wh: Warehouse, connection, job, layout: Layout, rounds: int) -> list[str]:
    """Measure and report one layout; return the statements of our (unmeasured) warm-up run."""
    start = time.perf_counter()
    wh.copy(SOURCE_BASE, SOURCE)
    for statement in layout.statements:
        wh.sql(statement)
    wh.sql(f"CREATE OR REPLACE TABLE {EXPECTED} AS SELECT {', '.join(COLUMNS)} FROM {SOURCE}")
    print(f"layout {layout.name}: source changed in {time.perf_counter() - start:.1f}s", flush=True)

    wh.copy(TARGET_BASE, TARGET)
    warm_up = run_materialize(job, connection, full_refresh=False)  # not measured: its statements are replayed
    variants: dict[str, Callable[[], Outcome]] = {
        FULL: lambda: run_materialize(job, connection, full_refresh=True),
        OURS: lambda: run_materialize(job, connection, full_refresh=False),
        HAND: lambda: run_hand(connection),
        HAND_ONE: lambda: run_hand_one(connection),
        REPLAY: lambda: run_replay(connection, warm_up.sql),
    }
    order = list(variants)
    outcomes: dict[str, list[Outcome]] = {name: [] for name in variants}
    failures: list[str] = []
    for round_ in range(rounds):
        shift = round_ % len(order)
        for name in order[shift:] + order[:shift]:  # rotate, so no variant always runs first
            wh.copy(TARGET_BASE, TARGET)
            outcome = variants[name]()
            outcomes[name].append(outcome)
            problem = verify(wh)
            if problem and f"{name}: {problem}" not in failures:
                failures.append(f"{name}: {problem}")
        print(
            f"  round {round_ + 1}: " + ", ".join(f"{name} {outcomes[name][-1].seconds:.3f}s" for name in order),
            flush=True,
        )
    round_trip = median([timed(lambda: wh.sql("SELECT 1"))[0] for _ in range(20)])
    report(layout, outcomes, failures, rounds, round_trip)
    return [sql for sql, _params in warm_up.sql]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows in the source (default 5,000,000)")
    parser.add_argument("--rounds", type=int, default=3, help="repetitions per variant; medians are reported")
    parser.add_argument("--layouts", default="recent,spread", help="comma-separated: recent, spread")
    parser.add_argument(
        "--no-plain-duckdb",
        action="store_true",
        help="skip replaying the statements on plain DuckDB (see bench/plain_duckdb.py)",
    )
    args = parser.parse_args(argv)
    os.environ[CACHE_DIR_ENV] = "off"  # no reference cache written outside the temporary folder

    wanted = [name.strip() for name in args.layouts.split(",") if name.strip()]
    chosen = [layout for layout in layouts(args.rows) if layout.name in wanted]
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="model_jobs_bench_incremental_")))
        port = stack.enter_context(running_in_thread(data_dir=tmp / "snowflake"))
        connection = stack.enter_context(
            contextlib.closing(
                snowflake.connector.connect(
                    user="u",
                    password="p",
                    account="local",
                    host="127.0.0.1",
                    port=port,
                    protocol="http",
                    session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
                )
            )
        )
        wh = Warehouse(connection)

        seconds, _ = timed(lambda: create_source(wh, args.rows))
        print(
            f"embedded Snowflake on port {port}; source {SOURCE}: {args.rows:,} rows generated in {seconds:.1f}s",
            flush=True,
        )
        specs = tmp / "job_specs"
        specs.mkdir()
        job = write_specs(specs)
        first = run_materialize(job, connection, full_refresh=False, expected_mode="full_refresh")  # no target yet
        wh.copy(TARGET, TARGET_BASE)
        print(
            f"first run (full build of {TARGET}): {first.seconds:.2f}s, {len(first.statements)} statements", flush=True
        )

        ours_by_layout = {layout.name: measure_layout(wh, connection, job, layout, args.rounds) for layout in chosen}
    if not args.no_plain_duckdb:
        plain_duckdb.measure(
            args.rows,
            T0,
            SOURCE,
            TARGET,
            COLUMNS,
            WATERMARK,
            LOOKBACK,
            ours_by_layout,
            merge_sql,
            SPREAD_RESIDUE,
            args.rounds,
        )
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception:  # it reports, it does not gate
        traceback.print_exc()
        print("benchmark failed (see above)", file=sys.stderr)
    sys.exit(0)

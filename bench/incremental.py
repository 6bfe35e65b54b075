"""Incremental runs on the embedded Snowflake: ours vs. a full refresh vs. hand-written SQL.

An embedded Snowflake (fakesnow on DuckDB, over HTTP through the real connector) generates a source
of N rows (default 5,000,000); a merge job on UPDATED_AT with lookback 1h is built once in full.
Then 1% of the source changes, per layout: recent (the newest 0.5% updated to a later UPDATED_AT,
0.5% appended) or spread (1% of the rows, uniformly, updated). Side by side, each variant from the
same starting target, which must then equal the model query over the changed source:

* full refresh: materialize(..., full_refresh=True); ours: materialize(...), the whole incremental
  run (the preflight included), per statement as the runtime timed it (Materialization.statements);
* hand-written: SELECT MAX(UPDATED_AT), then MERGE .. WHERE UPDATED_AT >= <that - 1h, a literal>;
  (info) the same in 1 MERGE with a subquery; (info) ours replayed: our recorded statements sent
  again as they are (ExecutedStatement.sql), so ours / replayed is what our Python adds.

The same on plain DuckDB in process (no HTTP, no fakesnow rewriting, a native MERGE), transpiled by
sqlglot, shows what our SQL costs by itself. Targets (exit 1 when one is missed, unless --no-fail),
on the embedded Snowflake: ours <= 1.5 x hand-written (both layouts); <= 6 statements per merge run;
every variant writes the right target. Ours / full refresh is reported, not a target: "<= 10% of a
full refresh" is out of reach (docs/incremental.md); plain DuckDB's hand-written pair is the floor.

Run it: make bench-incremental, or python bench/incremental.py --rows 200000 --rounds 5
"""

import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import harness  # bench/harness.py, next to this script
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from model_jobs.compile.reference_cache import CACHE_DIR_ENV
from model_jobs.defs.resources import job_connection, snowflake_resource_from_env
from model_jobs.project import load_project
from model_jobs.runtime.materialize import materialize
from model_jobs.specs.tags import lock_line

DATABASE = "BENCH_INCREMENTAL"
SOURCE, SOURCE_BASE = f"{DATABASE}.RAW.ORDERS", f"{DATABASE}.RAW.ORDERS_BASE"  # base: before any change
TARGET, TARGET_BASE = f"{DATABASE}.MARTS.ORDERS_MART", f"{DATABASE}.MARTS.TARGET_BASE"  # base: built from it
COLUMNS = "ID, CUSTOMER_ID, AMOUNT, STATUS, UPDATED_AT"
COPY_SOURCE = f"CREATE OR REPLACE TABLE {SOURCE} AS SELECT * FROM {SOURCE_BASE}"  # then a layout's change
EXPECTED = f"{DATABASE}.MARTS.EXPECTED"  # the model query over the changed source
MAKE_EXPECTED = f"CREATE OR REPLACE TABLE {EXPECTED} AS SELECT {COLUMNS} FROM {SOURCE}"
SAVE = f"CREATE OR REPLACE TABLE {TARGET_BASE} AS SELECT * FROM {TARGET}"
RESTORE = f"CREATE OR REPLACE TABLE {TARGET} AS SELECT * FROM {TARGET_BASE}"  # before every variant
Parts = tuple[dict[str, float], dict[str, Any]]  # seconds per statement (label), facts


def source_sql(rows: int) -> tuple[list[str], dict[str, tuple[str, list[str]]]]:
    """The statements that generate the source (UPDATED_AT one second later per ID); per layout, a
    description and the statements that change the source."""

    def generated(first: int, count: int, status: str, seconds: str, since: datetime) -> str:
        updated_at = f"DATEADD(second, {seconds}, '{since.isoformat(sep=' ')}'::TIMESTAMP_NTZ)"
        return (
            f"SELECT N, MOD(N * 7919, 100000), (MOD(N * 31, 100000) / 100)::NUMBER(12,2), {status}, {updated_at} "
            f"FROM (SELECT SEQ4() + {first} AS N FROM TABLE(GENERATOR(ROWCOUNT => {count})))"
        )

    status = "CASE MOD(N, 3) WHEN 0 THEN 'NEW' WHEN 1 THEN 'PAID' ELSE 'SHIPPED' END"
    columns = "ID NUMBER, CUSTOMER_ID NUMBER, AMOUNT NUMBER(12,2), STATUS VARCHAR, UPDATED_AT TIMESTAMP_NTZ"
    setup = [f"CREATE DATABASE IF NOT EXISTS {DATABASE}", f"CREATE SCHEMA IF NOT EXISTS {DATABASE}.RAW"]
    setup += [f"CREATE SCHEMA IF NOT EXISTS {DATABASE}.MARTS", f"CREATE OR REPLACE TABLE {SOURCE_BASE} ({columns})"]
    setup += [f"INSERT INTO {SOURCE_BASE} {generated(1, rows, status, 'N', datetime(2026, 1, 1))}", COPY_SOURCE]
    changed = max(rows // 100, 2)
    updated, appended = changed // 2, changed - changed // 2
    t_max = datetime(2026, 1, 1) + timedelta(seconds=rows)  # the target's highest UPDATED_AT before the change
    update = f"UPDATE {SOURCE} SET AMOUNT = AMOUNT + 1, STATUS = 'REFUNDED', UPDATED_AT = "
    update += f"DATEADD(second, 600 + MOD(ID, 3600), '{t_max.isoformat(sep=' ')}'::TIMESTAMP_NTZ)"
    new_rows = generated(rows + 1, appended, "'NEW'", f"600 + 3600 + N - {rows}", t_max)
    return setup, {
        "recent": (
            f"the newest {updated:,} rows updated + {appended:,} appended ({100 * changed / rows:.1f}% of {rows:,})",
            [f"{update} WHERE ID > {rows - updated}", f"INSERT INTO {SOURCE} {new_rows}"],
        ),
        "spread": (f"{rows // 100:,} rows updated, uniformly (1% of {rows:,})", [f"{update} WHERE MOD(ID, 100) = 37"]),
    }


def write_specs(root: Path):
    """One model orders_mart reading the source; one incremental job in environment `bench`."""
    sql = f"SELECT {COLUMNS} FROM {SOURCE}\n"
    files = {
        "models/orders_mart/tags/v1.sql": sql,
        "models/orders_mart/model.sql": sql,
        "models/orders_mart/tags.lock": lock_line("v1", sql, "2026-11-01T00:00:00Z", "bench") + "\n",
        "models/orders_mart/model.yaml": "description: Orders, kept up to date incrementally.\n",
        "environments.yaml": "design_environment: bench\nenvironments:\n  bench:\n    role: BENCH\n"
        f"    warehouse: BENCH_WH\n    target: {{database: {DATABASE}, schema: MARTS}}\n",
        "jobs/orders_mart.yaml": "model: orders_mart\njobs:\n  bench:\n    tag: v1\n    incremental: "
        "{strategy: merge, unique_key: [ID], watermark: UPDATED_AT, lookback: 1h}\n",
    }
    harness.write_files(root, files)
    return load_project(root).job("orders_mart", "bench")


class Snowflake:
    def __init__(self, connection):
        self.cursor = connection.cursor()

    def sql(self, statement: str) -> list[tuple]:
        self.cursor.execute(statement)
        return self.cursor.fetchall() if self.cursor.description else []


class PlainDuckDB:
    """Snowflake statements on plain DuckDB in process, transpiled by sqlglot. A table comment is
    dropped; MERGE wants the columns of UPDATE SET unqualified; Snowflake's INFORMATION_SCHEMA, one
    per database, is DuckDB's (which reserves the name) seen through a view with Snowflake's columns."""

    def __init__(self):
        self.con = duckdb.connect()
        self.con.execute(f"ATTACH ':memory:' AS {DATABASE}; CREATE SCHEMA SNOWFLAKE_INFORMATION_SCHEMA")
        view = (
            "SNOWFLAKE_INFORMATION_SCHEMA.TABLES AS SELECT *, TABLE_COMMENT AS COMMENT FROM information_schema.tables"
        )
        self.con.execute(f"CREATE VIEW {view}")

    def sql(self, statement: str) -> list[tuple]:
        if statement.startswith("CREATE DATABASE"):
            return []  # attached
        expression = sqlglot.parse_one(statement, read="snowflake")
        for update in expression.find_all(exp.Update):
            if isinstance(update.parent, exp.When):
                for assignment in update.expressions:
                    assignment.this.set("table", None)
        for table in expression.find_all(exp.Table):
            if table.db.upper() == "INFORMATION_SCHEMA":
                table.set("catalog", None)
                table.set("db", exp.to_identifier("SNOWFLAKE_INFORMATION_SCHEMA"))
        return self.con.execute(expression.sql(dialect="duckdb", unsupported_level=ErrorLevel.IGNORE)).fetchall()


def wrong(wh) -> str | None:
    """None if the target holds exactly what the model query over the changed source returns."""
    probe = harness.same_rows_probe(COLUMNS, TARGET, f"SELECT {COLUMNS} FROM {EXPECTED}")
    count, expected, extra, missing = wh.sql(probe)[0]
    ok = (count, extra, missing) == (expected, 0, 0)
    return None if ok else f"target {count} rows vs expected {expected}: {extra} unexpected, {missing} missing"


def each(wh, statements: list[tuple[str, str]]) -> Parts:
    """Labelled statements, one after another: seconds per label (summed when repeated)."""
    parts: dict[str, float] = {}
    for label, statement in statements:
        start = time.perf_counter()
        wh.sql(statement)
        parts[label] = parts.get(label, 0.0) + time.perf_counter() - start
    return parts, {"statements": len(statements)}


def hand(wh) -> Parts:
    """SELECT MAX(watermark) of the target, then one MERGE with the cutoff (1h before) as a literal."""
    start = time.perf_counter()
    cutoff = wh.sql(f"SELECT MAX(UPDATED_AT) FROM {TARGET}")[0][0] - timedelta(hours=1)
    mid = time.perf_counter()
    wh.sql(merge(f"UPDATED_AT >= '{cutoff.isoformat(sep=' ')}'::TIMESTAMP_NTZ"))
    return {"SELECT MAX": mid - start, "MERGE": time.perf_counter() - mid}, {"statements": 2}


def merge(where: str) -> str:
    return (
        f"MERGE INTO {TARGET} AS T USING (SELECT {COLUMNS} FROM {SOURCE} WHERE {where}) AS S ON T.ID = S.ID WHEN "
        "MATCHED THEN UPDATE SET CUSTOMER_ID = S.CUSTOMER_ID, AMOUNT = S.AMOUNT, STATUS = S.STATUS, UPDATED_AT = "
        f"S.UPDATED_AT WHEN NOT MATCHED THEN INSERT ({COLUMNS}) VALUES (S.{COLUMNS.replace(', ', ', S.')})"
    )


def ours(job, connection, full_refresh: bool = False) -> Parts:
    """One run through the runtime; the seconds of its statements as it recorded them."""
    result = materialize(job, connection, {}, full_refresh=full_refresh)
    outcome = result.incremental
    if outcome is None or outcome.mode != ("full_refresh" if full_refresh else "incremental"):
        raise RuntimeError(f"unexpected run: {outcome}")
    parts: dict[str, float] = {}
    for statement in result.statements:
        parts[statement.purpose] = parts.get(statement.purpose, 0.0) + statement.seconds
    facts = {"statements": len(result.statements), "staged": outcome.rows_staged, "inserted": outcome.rows_inserted}
    return parts, facts | {"recorded": result.statements}


def measure(wh, title: str, variants: dict[str, Callable[[], Parts]], args, problems: list[str]) -> dict:
    """Side by side, each variant from the same target and checked after it; a table; the figures."""

    def checked(name: str, run: Callable[[], Parts]) -> Callable[[], harness.Measured]:
        def measured() -> harness.Measured:
            wh.sql(RESTORE)
            seconds, (parts, facts) = harness.timed(run)
            if problem := wrong(wh):
                problems.append(f"{title}, {name}: {problem}")
            return harness.Measured(seconds, parts, facts)

        return measured

    print(title, flush=True)
    runs = harness.side_by_side({name: checked(name, run) for name, run in variants.items()}, args.rounds)
    figures = harness.summary(runs)
    outside = statistics.median([r.seconds - sum(r.parts.values()) for r in runs["ours"]])
    figures["ours"]["parts"]["other (Python)"] = outside
    full, hand_s, facts = figures["full refresh"]["median"], figures["hand-written"]["median"], runs["ours"][0].facts
    notes = [f"median seconds of {args.rounds} round(s)"]
    notes += [f"ours staged {facts['staged']:,} rows, inserted {facts['inserted']:,}"] if "staged" in facts else []
    if isinstance(wh, Snowflake):
        notes.append(f"one round trip (SELECT 1) takes {harness.median_of(20, lambda: wh.sql('SELECT 1')):.3f} s")
    rows = []
    for name, f in figures.items():
        f["statements"] = runs[name][0].facts["statements"]
        per_statement = ", ".join(f"{label} {sec:.3f}" for label, sec in f["parts"].items())
        rows.append([name, f["median"], f["statements"], f["median"] / hand_s, f["median"] / full, per_statement])
    header = ["variant", "seconds", "statements", "/ hand-written", "/ full refresh", "per statement (by purpose)"]
    harness.table(f"{title}; " + "; ".join(notes), header, rows)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__, rounds=3)
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows in the source (default 5,000,000)")
    parser.add_argument("--layouts", default="recent,spread", help="comma-separated: recent, spread")
    parser.add_argument("--no-plain-duckdb", action="store_true", help="skip the same comparison on plain DuckDB")
    parser.add_argument("--max-ratio", type=float, default=1.5, help="target: ours / hand-written (default 1.5)")
    parser.add_argument("--max-statements", type=int, default=6, help="target: statements per run (default 6)")
    args = parser.parse_args(argv)
    os.environ[CACHE_DIR_ENV] = "off"  # no reference cache written outside the temporary folder
    setup, layouts = source_sql(args.rows)
    layouts = {name: layout for name, layout in layouts.items() if name in args.layouts.split(",")}
    figures: dict[str, Any] = {"rows": args.rows, "embedded Snowflake": {}, "plain DuckDB": {}}
    problems: list[str] = []
    recorded: dict[str, list[tuple[str, str]]] = {}
    with harness.embedded_snowflake() as tmp, snowflake_resource_from_env().get_connection() as admin:
        wh = Snowflake(admin)
        seconds, _ = harness.timed(lambda: [wh.sql(statement) for statement in setup])
        print(f"embedded Snowflake: {args.rows:,} rows generated in {seconds:.1f}s", flush=True)
        job = write_specs(tmp / "job_specs")
        env = job.environment_spec  # a connection set up as a Dagster run sets up its own
        session = {"role": env.role, "warehouse": env.warehouse, "database": DATABASE, "schema": "MARTS"}
        with job_connection(snowflake_resource_from_env(), session_parameters={}, **session) as connection:
            seconds, (_, facts) = harness.timed(lambda: ours(job, connection, full_refresh=True))
            build = next(s.sql for s in facts["recorded"] if s.purpose == "build")
            wh.sql(SAVE)
            print(f"first run, a full build: {seconds:.2f}s, {facts['statements']} statements", flush=True)
            runner = Snowflake(connection)
            subquery = f"UPDATED_AT >= (SELECT DATEADD(hour, -1, MAX(UPDATED_AT)) FROM {TARGET})"
            for layout, (description, changes) in layouts.items():
                for statement in [COPY_SOURCE, *changes, MAKE_EXPECTED, RESTORE]:
                    wh.sql(statement)
                mine = recorded[layout] = [(s.purpose, s.sql) for s in ours(job, connection)[1]["recorded"]]
                variants = {
                    "full refresh": lambda: ours(job, connection, full_refresh=True),
                    "ours": lambda: ours(job, connection),
                    "hand-written": lambda: hand(runner),
                    "hand-written, 1 MERGE (info)": lambda: each(runner, [("MERGE", merge(subquery))]),
                    "ours replayed (info)": lambda mine=mine: each(runner, mine),
                }
                title = f"Embedded Snowflake, layout {layout}: {description}"
                figures["embedded Snowflake"][layout] = measure(wh, title, variants, args, problems)
    if not args.no_plain_duckdb:
        plain = PlainDuckDB()
        for statement in [*setup, build, SAVE]:
            plain.sql(statement)
        for layout, (description, changes) in layouts.items():
            for statement in [COPY_SOURCE, *changes, MAKE_EXPECTED]:
                plain.sql(statement)
            variants = {
                "full refresh": lambda: each(plain, [("build", build)]),
                "ours": lambda mine=recorded[layout]: each(plain, mine),
                "hand-written": lambda: hand(plain),
            }
            title = f"Plain DuckDB {duckdb.__version__}, layout {layout}: {description}"
            figures["plain DuckDB"][layout] = measure(plain, title, variants, args, problems)
    targets = [harness.Target("variants that wrote a wrong target", len(problems), 0)]
    for layout, measured in figures["embedded Snowflake"].items():
        ratio, count = measured["ours"]["median"] / measured["hand-written"]["median"], measured["ours"]["statements"]
        targets += [harness.Target(f"{layout}: ours / hand-written", ratio, args.max_ratio)]
        targets += [harness.Target(f"{layout}: statements of ours", count, args.max_statements)]
    print("".join(f"\nWRONG: {problem}" for problem in problems))
    return harness.finish("incremental", args, figures, targets)


if __name__ == "__main__":
    sys.exit(main())

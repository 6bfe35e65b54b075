"""`model-jobs diff` on the embedded Snowflake: what a data diff costs next to the run it previews.

A source of N orders (default 1,000,000) and a target built from it by tag v1. Tag v2 drops every
1,000th order and changes the amount of every 100th. Side by side, each round:

* diff: runtime.data_diff of v2 against the target, by ID (the probe and the one diff statement);
* build: what running v2 costs, a CREATE OR REPLACE TABLE .. AS of v2's SELECT (into a scratch
  table, so the target stays as v1 built it);
* (info) except: the hand-written check reviewers use, EXCEPT both ways plus both counts: it says
  how many rows differ, not which were added, removed or changed, nor which column.

Every diff must count exactly the orders v2 removes and changes (computed from the generator's
rule), in 2 statements. Targets (exit 1 when one is missed, unless --no-fail): diff <= 4 x build;
2 statements per diff; the counts right. The diff reads both sides once, groups each by the key
and joins them, where this build only scans and writes: for a model that joins or aggregates,
its SELECT is most of both, and the ratio falls. (Measured on 2 cores, 1,000,000 rows: 3.4 x
build and 2.7 x the EXCEPT check, which tells far less.)

Run it: make bench-diff, or python bench/data_diff.py --rows 200000 --rounds 3
"""

import os
import sys
from pathlib import Path
from typing import Any

import harness  # bench/harness.py, next to this script

from model_jobs.compile.reference_cache import CACHE_DIR_ENV
from model_jobs.compile.sql import render
from model_jobs.defs.resources import job_connection, snowflake_resource_from_env
from model_jobs.project import job_at_tag, load_project
from model_jobs.runtime.data_diff import data_diff
from model_jobs.runtime.materialize import materialize
from model_jobs.runtime.statements import Statements
from model_jobs.specs.tags import lock_line

DATABASE = "BENCH_DIFF"
SOURCE = f"{DATABASE}.RAW.ORDERS"
SCRATCH = f"{DATABASE}.MARTS.V2_BUILD"
V1 = f"SELECT ID, CUSTOMER_ID, AMOUNT, STATUS FROM {SOURCE}\n"
V2 = (
    "SELECT ID, CUSTOMER_ID, IFF(MOD(ID, 100) = 0, AMOUNT + 1, AMOUNT) AS AMOUNT, STATUS\n"
    f"FROM {SOURCE}\nWHERE MOD(ID, 1000) <> 0\n"
)


def write_specs(root: Path) -> Any:
    files = {
        "models/orders/tags/v1.sql": V1,
        "models/orders/tags/v2.sql": V2,
        "models/orders/model.sql": V2,
        "models/orders/tags.lock": lock_line("v1", V1, "2026-11-01T00:00:00Z", "bench")
        + "\n"
        + lock_line("v2", V2, "2026-11-02T00:00:00Z", "bench")
        + "\n",
        "models/orders/model.yaml": "description: Orders.\nunique_key: [ID]\n",
        "environments.yaml": "design_environment: bench\nenvironments:\n  bench:\n    role: BENCH\n"
        f"    warehouse: BENCH_WH\n    target: {{database: {DATABASE}, schema: MARTS}}\n",
        "jobs/orders.yaml": "model: orders\njobs:\n  bench:\n    tag: v1\n",
    }
    harness.write_files(root, files)
    return load_project(root)


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__ or "", rounds=5)
    parser.add_argument("--rows", type=int, default=1_000_000, help="orders in the source (default 1,000,000)")
    parser.add_argument("--max-ratio", type=float, default=4.0, help="target: diff / build (default 4.0)")
    args = parser.parse_args(argv)
    os.environ[CACHE_DIR_ENV] = "off"  # no reference cache written outside the temporary folder
    with harness.embedded_snowflake() as tmp, snowflake_resource_from_env().get_connection() as admin:
        cursor = admin.cursor()
        for statement in [
            f"CREATE DATABASE IF NOT EXISTS {DATABASE}",
            f"CREATE SCHEMA IF NOT EXISTS {DATABASE}.RAW",
            f"CREATE SCHEMA IF NOT EXISTS {DATABASE}.MARTS",
            f"CREATE OR REPLACE TABLE {SOURCE} AS SELECT SEQ4() + 1 AS ID, "
            "MOD(SEQ4() * 7919, 100000) AS CUSTOMER_ID, (MOD(SEQ4() * 31, 100000) / 100)::NUMBER(12,2) AS AMOUNT, "
            f"IFF(MOD(SEQ4(), 3) = 0, 'NEW', 'PAID') AS STATUS FROM TABLE(GENERATOR(ROWCOUNT => {args.rows}))",
        ]:
            cursor.execute(statement)
        project = write_specs(tmp / "job_specs")
        job_v1 = project.job("orders", "bench")
        job_v2 = job_at_tag(project, "orders", "bench", "v2")
        env = job_v1.environment_spec
        session = {"role": env.role, "warehouse": env.warehouse, "database": DATABASE, "schema": "MARTS"}
        with job_connection(snowflake_resource_from_env(), session_parameters={}, **session) as connection:
            seconds, _ = harness.timed(lambda: materialize(job_v1, connection, {}))
            print(f"embedded Snowflake: {args.rows:,} orders; the target built by v1 in {seconds:.1f}s", flush=True)
            removed = args.rows // 1000
            changed = args.rows // 100 - removed
            wrong: list[str] = []
            statements_sent: list[int] = []

            def diff() -> harness.Measured:
                result = data_diff(Statements(connection.cursor()), job_v2, ("ID",), {}, samples=5)
                statements_sent.append(result.statements)
                counts = (result.counts["REMOVED_ROWS"], result.counts["CHANGED"], result.counts["ADDED_ROWS"])
                if counts != (removed, changed, 0) or result.changed_by_column != {"AMOUNT": changed}:
                    wrong.append(f"diff counted {counts} {result.changed_by_column}, expected {(removed, changed, 0)}")
                return harness.Measured(0.0)

            def build() -> harness.Measured:
                connection.cursor().execute(f"CREATE OR REPLACE TABLE {SCRATCH} AS {render(job_v2.query)}")
                return harness.Measured(0.0)

            def except_both_ways() -> harness.Measured:
                probe = harness.same_rows_probe("ID, CUSTOMER_ID, AMOUNT, STATUS", str(job_v1.target), V2)
                connection.cursor().execute(probe).fetchone()
                return harness.Measured(0.0)

            def timed(fn: Any) -> Any:
                return lambda: harness.Measured(harness.timed(fn)[0])

            runs = harness.side_by_side(
                {"diff": timed(diff), "build": timed(build), "except": timed(except_both_ways)}, args.rounds
            )
    figures = harness.summary(runs)
    median = {name: figures[name]["median"] for name in figures}
    harness.table(
        f"Median seconds of {args.rounds} rounds, {args.rows:,} rows ({removed:,} removed, {changed:,} changed by v2)",
        ["variant", "seconds", "/ build", "/ except"],
        [[name, median[name], median[name] / median["build"], median[name] / median["except"]] for name in median],
    )
    if wrong:
        print("\n".join(wrong[:3]))
    targets = [
        harness.Target("diff / build (wall)", median["diff"] / median["build"], args.max_ratio),
        harness.Target("statements per diff", float(max(statements_sent)), 2.0),
        harness.Target("diffs that counted wrong", float(len(wrong)), 0.0),
    ]
    return harness.finish("data_diff", args, {"rows": args.rows, "variants": figures}, targets)


if __name__ == "__main__":
    sys.exit(main())

"""Peer benchmark: `model-jobs run` vs `dbt run` (dbt-core 1.10 + dbt-snowflake), one incremental model.

The model, data and change of bench/incremental.py, on the embedded Snowflake served from its own
process (as `make dev` does): a source of N rows (default 1,000,000; the issue measured 5,000,000),
merged on ID with the watermark UPDATED_AT and a lookback of 1h, by a temporary job_specs (one
model, environment `bench`, target MARTS.ORDERS_MART) and by a temporary dbt project (the same
SELECT, materialized='incremental', incremental_strategy='merge', unique_key='ID', and
`is_incremental()` keeping UPDATED_AT >= the target's highest minus 1 hour; target DBT.ORDERS_MART).
Both targets are built once in full; then, per scenario, each tool runs from the command line as a
subprocess, side by side, the order alternating every round, and each target is checked after
every run against the full query over the source (row count, and no row missing or extra: EXCEPT
both ways); a wrong target stops the benchmark.

* incremental: 1% of the source changed (the newest 0.5% updated to a later UPDATED_AT, 0.5%
  appended); each target is put back to its state before the change ahead of each run;
* no-op: nothing changed since the tool's last run (the lookback still re-merges the last hour);
* full refresh: `--full-refresh` for both.

Measured per run: wall time of the command; CPU (user + system) of its process tree, from
getrusage(RUSAGE_CHILDREN) (the embedded Snowflake is not counted there: it is not waited for);
on the server side, each SQL statement's time, its count and the logins, from a log the embedded
Snowflake writes here (it is served with a timing wrapper around its HTTP app), and the server's
CPU from /proc. Medians of the rounds, with min and max. `model-jobs run` records every run in a
temporary DAGSTER_HOME; dbt keeps its partial parse (target/) and log (logs/) in its project, as
by default, and sends no usage statistics (there is no network to send them to).

The embedded Snowflake needs three things of the dbt project: the temporary relation of an
incremental run is a plain view (--dbt-tmp view, dbt's default for merge is a temporary view) or a
transient table (--dbt-tmp table), because it refuses qualified TEMPORARY names; the MERGE names
the source in VALUES (DBT_INTERNAL_SOURCE."ID", ...); and the MERGE is sent without dbt-snowflake's
BEGIN / COMMIT (inside a transaction the emulator's MERGE, an outer join, fails with HTTP 500, which
the connector retries forever). All three are macros of the dbt project (`macros/emulator.sql`).

Imports come from bytecode caches, as an installed program's do: the tools run with
PYTHONPYCACHEPREFIX in the temporary folder, which the first runs (a full build and one warm-up
incremental run each, not measured) fill. Without it, on a machine that sets
PYTHONDONTWRITEBYTECODE (this one does) with virtual environments installed by uv (no .pyc),
every import compiles its source: --cold-imports measures that, BYTECODE_NOTE.

dbt comes from the dependency group `peer` (pyproject.toml): dbt-core 1.10 (1.11 and later cannot
install here: building its parser downloads a wheel from outside the package registries). It
needs pathspec < 0.13 where mypy (group `dev`) needs >= 1.0, so uv.lock resolves the two groups
apart and `make bench-peer` installs `peer` into a virtual environment of its own
(bench/out/peer-venv): the project's .venv is never touched. That environment runs both tools;
its other versions are the project's, but for snowflake-connector-python 4.8.0 (4.8.1 in .venv),
certifi and filelock, which dbt-snowflake pins lower.

Targets (exit 1 when one is missed, unless --no-fail), medians in one run: incremental and no-op,
ours <= 1.0 x dbt's wall time and <= 1.0 x dbt's CPU. A full refresh is reported, not a target.

Run it: make bench-peer, or (in that environment)
  UV_PROJECT_ENVIRONMENT=bench/out/peer-venv uv run --locked --no-default-groups --group peer \\
    python bench/peer_dbt.py --rows 5000000 --rounds 7
"""

import gzip
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness  # bench/harness.py, next to this script
import incremental  # bench/incremental.py: the source, its change and our job_specs
import snowflake.connector

from model_jobs.compile.reference_cache import CACHE_DIR_ENV
from model_jobs.warehouse.local_snowflake import HOST, PORT_ENV, free_port, wait_until_listening
from model_jobs.warehouse.settings import ACCOUNT_ENV

BENCH = Path(__file__).resolve().parent
DATABASE, COLUMNS = incremental.DATABASE, incremental.COLUMNS
SOURCE, SOURCE_BASE = incremental.SOURCE, incremental.SOURCE_BASE  # base: before the change
FULL_QUERY = f"SELECT {COLUMNS} FROM {SOURCE}"  # the model, as both tools run it
CHANGED = f"{DATABASE}.RAW.CHANGED_IDS"  # the IDs the change touched: what a restore puts back
MODEL, ENVIRONMENT = "orders_mart", "bench"
TARGETS = {"ours": incremental.TARGET, "dbt": f"{DATABASE}.DBT.ORDERS_MART"}
TICKS = os.sysconf("SC_CLK_TCK")

# --- the embedded Snowflake, with every statement's time logged ---------------------------------


LOGGED_PATHS = {"/queries/v1/query-request": "query", "/session/v1/login-request": "login"}


class QueryLog:
    """ASGI middleware around the embedded Snowflake's app: one JSON line per login and per SQL
    statement (its text, the seconds from the request to its answer, the HTTP status), written as
    the answer starts, before it is sent: when a client has its answer, the line is in the log."""

    def __init__(self, app: Any, path: Path) -> None:
        self.app, self.out = app, path.open("a", encoding="utf-8", buffering=1)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = LOGGED_PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None:
            return await self.app(scope, receive, send)
        body: list[bytes] = []
        start = time.perf_counter()

        async def receiving() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
            return message

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":  # the statement has run; its answer is ready
                seconds, sql = time.perf_counter() - start, self.statement(scope, b"".join(body)) if body else ""
                line = {"kind": kind, "seconds": seconds, "status": message["status"], "sql": sql[:400]}
                self.out.write(json.dumps(line) + "\n")
            await send(message)

        await self.app(scope, receiving, sending)

    @staticmethod
    def statement(scope: Any, raw: bytes) -> str:
        """The SQL text of a query request, on one line, without comments (one opens dbt's MERGE)."""
        if scope["path"] != "/queries/v1/query-request":
            return ""
        if (b"content-encoding", b"gzip") in [(k.lower(), v.lower()) for k, v in scope["headers"]]:
            raw = gzip.decompress(raw)
        text = re.sub(r"--[^\n]*|/\*.*?\*/", " ", str(json.loads(raw).get("sqlText", "")), flags=re.DOTALL)
        return " ".join(text.split())


def serve(port: int, data_dir: str, log: str) -> None:
    """The embedded Snowflake of `make dev` (model_jobs.warehouse.local_snowflake.serve), its app
    wrapped in QueryLog. Runs in a child process: python -c 'import peer_dbt; peer_dbt.serve(...)'."""
    from model_jobs.warehouse import local_snowflake

    build_app = local_snowflake._app

    def logged_app(data: Path | None) -> tuple[Any, Any]:
        app, shared = build_app(data)
        return QueryLog(app, Path(log)), shared

    local_snowflake._app = logged_app
    local_snowflake.serve(port, Path(data_dir))


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path
    offset: int = 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:13]) / TICKS  # utime, stime

    def new_entries(self) -> list[dict[str, Any]]:
        """The log's lines since the last call."""
        with self.log.open(encoding="utf-8") as f:
            f.seek(self.offset)
            text = f.read()
        complete = text[: text.rfind("\n") + 1]
        self.offset += len(complete.encode())
        return [json.loads(line) for line in complete.splitlines()]


def start_server(tmp: Path) -> Server:
    port, log = free_port(), tmp / "queries.jsonl"
    log.touch()
    code = f"import sys; sys.path.insert(0, {str(BENCH)!r}); import peer_dbt; peer_dbt.serve(*sys.argv[1:])"
    with (tmp / "snowflake.log").open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", code, str(port), str(tmp / "snowflake"), str(log)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_listening(port, timeout=60)
    except TimeoutError:
        process.terminate()
        raise
    return Server(process, port, log)


# --- the two projects -------------------------------------------------------------------------

DBT_MODEL = """\
{{ config(materialized='incremental', incremental_strategy='merge', unique_key='ID'TMP) }}

select ID, CUSTOMER_ID, AMOUNT, STATUS, UPDATED_AT from {{ source('raw', 'orders') }}
{% if is_incremental() %}
where UPDATED_AT >= (select dateadd(hour, -1, max(UPDATED_AT)) from {{ this }})
{% endif %}
"""

# dbt-snowflake's macros of the same names, as the embedded Snowflake takes them (the docstring says why).
DBT_MACROS = """\
{% macro snowflake__create_view_as_with_temp_flag(relation, sql, is_temporary=False) -%}
  {#- never TEMPORARY: the embedded Snowflake refuses a qualified temporary name -#}
  create or replace view {{ relation }} as (
    {{ sql }}
  );
{%- endmacro %}

{% macro snowflake__create_table_temporary_sql(relation, compiled_code) -%}
  {#- a transient table in place of a temporary one, for the same reason; dbt drops it after the merge -#}
  create or replace transient table {{ relation }} as (
    {{ compiled_code }}
  );
{%- endmacro %}

{% macro snowflake__get_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
  {#- dbt-core's default__get_merge_sql with VALUES qualified, and without dbt-snowflake's BEGIN / COMMIT -#}
  {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
  {%- set update_columns = get_merge_update_columns(
        config.get('merge_update_columns'), config.get('merge_exclude_columns'), dest_columns) -%}
  {%- set keys = [unique_key] if unique_key is string else unique_key -%}
  merge into {{ target }} as DBT_INTERNAL_DEST
    using {{ source }} as DBT_INTERNAL_SOURCE
    on {% for key in keys %}DBT_INTERNAL_SOURCE.{{ key }} = DBT_INTERNAL_DEST.{{ key }}
       {%- if not loop.last %} and {% endif %}{% endfor %}
  when matched then update set
    {% for column_name in update_columns -%}
      {{ column_name }} = DBT_INTERNAL_SOURCE.{{ column_name }}{% if not loop.last %}, {% endif %}
    {%- endfor %}
  when not matched then insert ({{ dest_cols_csv }})
  values ({% for column in dest_columns -%}
    DBT_INTERNAL_SOURCE.{{ adapter.quote(column.name) }}{% if not loop.last %}, {% endif %}
  {%- endfor %})
{%- endmacro %}
"""


def write_dbt_project(root: Path, port: int, tmp_relation: str) -> None:
    tmp_config = ", tmp_relation_type='table'" if tmp_relation == "table" else ""
    database, schema = TARGETS["dbt"].split(".")[:2]
    files = {
        "dbt_project.yml": "name: bench\nversion: '1.0'\nprofile: bench\nconfig-version: 2\n"
        "flags:\n  send_anonymous_usage_stats: false\n",
        "profiles.yml": f"""\
bench:
  target: bench
  outputs:
    bench:
      type: snowflake
      account: local
      user: local
      password: local
      role: BENCH
      warehouse: BENCH_WH
      database: {database}
      schema: {schema}
      host: {HOST}
      port: {port}
      protocol: http
      threads: 1
      connect_retries: 0
      connect_timeout: 60
""",
        "models/sources.yml": f"version: 2\nsources:\n  - name: raw\n    database: {DATABASE}\n    schema: RAW\n"
        "    tables:\n      - name: orders\n",
        f"models/{MODEL}.sql": DBT_MODEL.replace("TMP", tmp_config),
        "macros/emulator.sql": DBT_MACROS,
    }
    harness.write_files(root, files)


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float  # user + system of the command's process tree
    sql: float  # seconds the server spent on its statements
    statements: int
    logins: int
    server_cpu: float
    texts: list[str] = field(default_factory=list)


class Bench:
    def __init__(self, tmp: Path, server: Server, admin: Any, dbt_tmp: str, cold_imports: bool) -> None:
        self.server, self.cursor = server, admin.cursor()
        bin_dir = Path(sys.executable).parent
        missing = [name for name in ("model-jobs", "dbt") if not (bin_dir / name).exists()]
        if missing:
            raise SystemExit(f"{', '.join(missing)} not in {bin_dir}: run this with `make bench-peer`")
        base_env = {key: value for key, value in os.environ.items() if key != ACCOUNT_ENV}
        # Bytecode of every import in a folder of its own (written by the first runs, read by the next),
        # or, with cold_imports, never written: every import compiles its source.
        base_env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        if cold_imports:
            base_env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.specs, self.dbt_project = tmp / "job_specs", tmp / "dbt_project"
        incremental.write_specs(self.specs)
        write_dbt_project(self.dbt_project, server.port, dbt_tmp)
        ours_env = {"DAGSTER_HOME": str(tmp / "dagster_home"), CACHE_DIR_ENV: str(tmp / "cache")}
        self.env = {
            "ours": base_env | ours_env | {PORT_ENV: str(server.port)},
            "dbt": base_env | {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        }
        dbt_dirs = ["--project-dir", str(self.dbt_project), "--profiles-dir", str(self.dbt_project)]
        self.commands = {
            "ours": [str(bin_dir / "model-jobs"), "run", MODEL, "--env", ENVIRONMENT, "--specs", str(self.specs)],
            "dbt": [str(bin_dir / "dbt"), "run", "-s", MODEL, *dbt_dirs],
        }

    def sql(self, statement: str) -> list[tuple]:
        self.cursor.execute(statement)
        return self.cursor.fetchall() if self.cursor.description else []

    def run(self, tool: str, full_refresh: bool = False, merge: bool = True) -> Run:
        """The tool's command, once: what it cost. Raises when it fails, writes a wrong target, or
        does not MERGE (an incremental run) or does (a full build) as `merge` says."""
        self.server.new_entries()  # skip what came before
        command = self.commands[tool] + (["--full-refresh"] if full_refresh else [])
        before, server_before = resource.getrusage(resource.RUSAGE_CHILDREN), self.server.cpu_seconds()
        start = time.perf_counter()
        done = subprocess.run(command, env=self.env[tool], capture_output=True, text=True, timeout=1800)
        wall = time.perf_counter() - start
        after, server_after = resource.getrusage(resource.RUSAGE_CHILDREN), self.server.cpu_seconds()
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {' '.join(command)}\n{done.stdout}\n{done.stderr}")
        entries = self.server.new_entries()
        queries = [e for e in entries if e["kind"] == "query"]
        if any(e["status"] != 200 for e in queries):
            raise RuntimeError(f"{tool}: the server answered an error: {[e for e in queries if e['status'] != 200]}")
        if merge != any(e["sql"].lower().startswith("merge") for e in queries):
            raise RuntimeError(f"{tool}: expected {'a' if merge else 'no'} MERGE: {[e['sql'][:60] for e in queries]}")
        if problem := self.wrong(TARGETS[tool]):
            raise RuntimeError(f"WRONG: {tool} left {TARGETS[tool]} unequal to the full query: {problem}")
        return Run(
            wall=wall,
            cpu=after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
            sql=sum(e["seconds"] for e in queries),
            statements=len(queries),
            logins=sum(e["kind"] == "login" for e in entries),
            server_cpu=server_after - server_before,
            texts=[e["sql"] for e in queries],
        )

    def wrong(self, target: str) -> str | None:
        """None if `target` holds exactly the rows of the full query."""
        count, expected, extra, missing = self.sql(harness.same_rows_probe(COLUMNS, target, FULL_QUERY))[0]
        ok = (count, extra, missing) == (expected, 0, 0)
        return None if ok else f"{count} rows vs {expected}: {extra} not in the query, {missing} missing"

    def restore(self, tool: str) -> None:
        """The tool's target as before the change: the changed rows as they were."""
        target = TARGETS[tool]
        changed = f"WHERE ID IN (SELECT ID FROM {CHANGED})"
        self.sql(f"DELETE FROM {target} {changed}")
        self.sql(f"INSERT INTO {target} ({COLUMNS}) SELECT {COLUMNS} FROM {SOURCE_BASE} {changed}")


def scenario(
    bench: Bench, name: str, rounds: int, before_each=None, full_refresh: bool = False
) -> dict[str, list[Run]]:
    """Both tools, side by side (the order alternates), `rounds` times."""
    runs: dict[str, list[Run]] = {"ours": [], "dbt": []}

    def variant(tool: str):
        def measured() -> harness.Measured:
            if before_each:
                before_each(tool)
            run = bench.run(tool, full_refresh=full_refresh, merge=not full_refresh)
            runs[tool].append(run)
            return harness.Measured(run.wall)

        return measured

    print(f"\n{name}", flush=True)
    harness.side_by_side({tool: variant(tool) for tool in runs}, rounds)
    return runs


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.2f}-{max(values):.2f})"


def keywords(texts: list[str]) -> str:
    """The statements' first words, e.g. `show x2, create view, describe x3, merge, drop view`."""
    words = []
    for text in texts:
        first, *rest = text.lower().split()[:6] or ["?"]
        kind = next((word for word in rest if word in ("table", "view", "schema")), "")
        words.append(f"{first} {kind}" if first in ("create", "drop", "alter") and kind else first)
    grouped: list[list[Any]] = []
    for word in words:
        if grouped and grouped[-1][0] == word:
            grouped[-1][1] += 1
        else:
            grouped.append([word, 1])
    return ", ".join(w if n == 1 else f"{w} x{n}" for w, n in grouped)


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__, rounds=7)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the source (default 1,000,000)")
    parser.add_argument(
        "--dbt-tmp",
        choices=["view", "table"],
        default="view",
        help="dbt's temporary relation: a view (dbt's default for merge) or a transient table",
    )
    parser.add_argument(
        "--cold-imports",
        action="store_true",
        help="run both tools without bytecode caches: every import compiles its source (PYTHONDONTWRITEBYTECODE)",
    )
    parser.add_argument("--max-wall", type=float, default=1.0, help="target: ours / dbt, wall (default 1.0)")
    parser.add_argument("--max-cpu", type=float, default=1.0, help="target: ours / dbt, CPU (default 1.0)")
    args = parser.parse_args(argv)
    setup, layouts = incremental.source_sql(args.rows)
    description, changes = layouts["recent"]
    results: dict[str, dict[str, list[Run]]] = {}
    with tempfile.TemporaryDirectory(prefix="model_jobs_peer_") as tmp_name:
        tmp = Path(tmp_name)
        server = start_server(tmp)
        try:
            admin = snowflake.connector.connect(
                account="local",
                user="local",
                password="local",
                host=HOST,
                port=server.port,
                protocol="http",
                network_timeout=120,
                session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
            )
            bench = Bench(tmp, server, admin, args.dbt_tmp, args.cold_imports)
            seconds, _ = harness.timed(lambda: [bench.sql(statement) for statement in setup])
            ((count,),) = bench.sql(f"SELECT COUNT(*) FROM {SOURCE}")
            print(f"embedded Snowflake on port {server.port}: {count:,} rows generated in {seconds:.1f}s", flush=True)
            for tool in ("ours", "dbt"):
                first = bench.run(tool, merge=False)
                print(f"first run, a full build, {tool}: {first.wall:.2f}s, {first.statements} statements", flush=True)
            for tool in ("ours", "dbt"):  # the first incremental runs write what the next ones read (bytecode)
                warm = bench.run(tool)
                print(f"warm-up, an incremental run with nothing changed, {tool}: {warm.wall:.2f}s", flush=True)
            for statement in changes:
                bench.sql(statement)
            changed = f"SELECT ID FROM ({FULL_QUERY} EXCEPT SELECT {COLUMNS} FROM {SOURCE_BASE})"
            bench.sql(f"CREATE OR REPLACE TABLE {CHANGED} AS {changed}")
            print(f"the change: {description}", flush=True)
            machine, ours_before = machine_cpu_seconds(), own_cpu_seconds(server)
            results["incremental"] = scenario(
                bench, "incremental: after the change", args.rounds, before_each=bench.restore
            )
            results["no-op"] = scenario(bench, "no-op: nothing changed", args.rounds)
            results["full refresh"] = scenario(bench, "full refresh", args.rounds, full_refresh=True)
            others = machine_cpu_seconds() - machine - (own_cpu_seconds(server) - ours_before)
            round_trip = harness.median_of(20, lambda: bench.sql("SELECT 1"))
            admin.close()
        finally:
            server.process.terminate()
            server.process.wait(timeout=60)
    rows, figures = (
        [],
        {
            "rows": args.rows,
            "dbt_tmp": args.dbt_tmp,
            "cold_imports": args.cold_imports,
            "versions": versions(),
            "scenarios": {},
        },
    )
    for name, runs in results.items():
        figures["scenarios"][name] = {}
        for tool, measured in runs.items():
            wall, cpu, sql = [r.wall for r in measured], [r.cpu for r in measured], [r.sql for r in measured]
            rows.append(
                [
                    name,
                    tool,
                    spread(wall),
                    spread(cpu),
                    spread(sql),
                    measured[0].statements,
                    measured[0].logins,
                    statistics.median(w - s for w, s in zip(wall, sql, strict=True)),
                    statistics.median(r.server_cpu for r in measured),
                ]
            )
            figures["scenarios"][name][tool] = {
                "wall": wall,
                "cpu": cpu,
                "sql": sql,
                "statements": [r.statements for r in measured],
                "logins": [r.logins for r in measured],
                "server_cpu": [r.server_cpu for r in measured],
                "statement_texts": measured[0].texts,
            }
    header = [
        "scenario",
        "tool",
        "wall s",
        "CPU s",
        "SQL s (server)",
        "statements",
        "logins",
        "wall - SQL",
        "server CPU s",
    ]
    harness.table(
        f"{args.rows:,} rows, median (min-max) of {args.rounds} rounds; dbt's temporary relation: {args.dbt_tmp}; "
        f"imports {'cold (no bytecode cache)' if args.cold_imports else 'from bytecode caches'}; "
        f"one SELECT 1 round trip takes {round_trip:.4f}s; other processes on this machine used {others:.1f} CPU s "
        "meanwhile (more than a few: a busy machine, noisy figures)",
        header,
        rows,
    )
    ratios, targets = [], []
    for name, runs in results.items():
        wall = statistics.median(r.wall for r in runs["ours"]) / statistics.median(r.wall for r in runs["dbt"])
        cpu = statistics.median(r.cpu for r in runs["ours"]) / statistics.median(r.cpu for r in runs["dbt"])
        # Each round's ours / dbt (the two ran one after the other): how far one round can stray.
        paired = {
            key: [getattr(o, key) / getattr(d, key) for o, d in zip(runs["ours"], runs["dbt"], strict=True)]
            for key in ("wall", "cpu")
        }
        ratios.append([name, wall, cpu, *(f"{min(paired[k]):.2f}-{max(paired[k]):.2f}" for k in ("wall", "cpu"))])
        if name != "full refresh":
            targets += [harness.Target(f"{name}: wall, ours / dbt", wall, args.max_wall)]
            targets += [harness.Target(f"{name}: CPU, ours / dbt", cpu, args.max_cpu)]
    harness.table(
        "Ours / dbt: of the medians, and the range of the rounds' own ratios",
        ["scenario", "wall", "CPU", "wall, rounds", "CPU, rounds"],
        ratios,
    )
    print("\nStatements of one run (server side):")
    for name, runs in results.items():
        for tool, measured in runs.items():
            print(f"  {name}, {tool}: {keywords(measured[0].texts)}")
    print(f"\nversions: {', '.join(f'{k} {v}' for k, v in figures['versions'].items())}")
    return harness.finish("peer_dbt", args, figures, targets)


def machine_cpu_seconds() -> float:
    """CPU seconds every process of this machine has used since it started (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return sum(int(f) for i, f in enumerate(fields) if i not in (3, 4)) / TICKS  # all but idle, iowait


def own_cpu_seconds(server: Server) -> float:
    """CPU seconds of this benchmark: itself, the commands it ran, the embedded Snowflake."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + server.cpu_seconds()


def versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ["model-jobs", "dagster", "dbt-core", "dbt-snowflake", "snowflake-connector-python", "fakesnow", "duckdb"]
    return {name: version(name) for name in names}


if __name__ == "__main__":
    sys.exit(main())

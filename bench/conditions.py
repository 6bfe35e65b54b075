"""Conditions on the embedded Snowflake: the freshness of many Model Jobs at once, and data-quality checks.

It writes job_specs for J Model Jobs (default 500) over S sources (default 200) in 3 environments:
sources.yaml declares each source with a TIMESTAMP_NTZ `loaded_at` column and five error-severity
checks (not_null, unique, accepted_values, row_count, expression); each model reads 1 to 3 sources
(every source is read by some model); every model has a job in each environment (the last in
fewer, to make J), each reading its own database through a source_mapping (DATALAKE -> LAKE_DEV,
LAKE_PRD, LAKE_SBX), all with `conditions: {source_freshness: {max_age: 1d}, source_data_quality:
true}`. It creates the S x 3 source tables in the embedded Snowflake (R rows each, default 300, one
CREATE TABLE .. AS SELECT .. GENERATOR per table), every row loaded within the last hour except in
one sandbox table in 25, loaded three days ago: the sandbox jobs reading those are stale.

Side by side, the order rotating every round:

* freshness: the J jobs with their freshness conditions only (their data-quality conditions
  removed) in ONE `evaluate_jobs` call, as the dispatcher evaluates the jobs owed a run: per
  environment a connection and one `measure` statement over every location its jobs need, then
  each job judged;
* freshness, naive: the same locations measured one statement each (`measure` of one location) on
  a connection per environment, then `judge` per job; the verdicts must be evaluate_jobs' ones;
* checks: the J jobs with their data-quality conditions only, in ONE `evaluate_jobs` call: per
  environment a connection, each checked location's checks run once (one `quality` statement per
  location, however many jobs require it); all pass, so nothing else is sent.

Statements and logins are counted where the Snowflake connector sends them (every query goes
through SnowflakeConnection.cmd_query, every login through SnowflakeConnection.connect), not taken
from the code's own records; a COMMIT counts like any statement. A statement is a `quality` one
when its text is that of check_statement for one of the checked locations, a `measure` one when it
selects `0 AS "SOURCE"` (freshness_statement's first row). Time is split per round into the
statements (the embedded Snowflake answering, from its own process, as `make dev` serves it and as
a real warehouse is remote), connecting and
closing, building the measure statement (freshness_statement as the runtime calls it), and the
rest (judging, Python around it); Python's garbage-collection pauses meanwhile (any thread) are
shown beside, overlapping those. Info, once: the full conditions (freshness and checks) of a
dispatcher-sized sample of the jobs (default 50, drawn with a fixed seed) through evaluate_jobs; and the time
`freshness_statement` takes to build the statement of one environment, for a quarter, half and all
of its locations.

Targets (exit 1 when one is missed, unless --no-fail): freshness: statements <= the number of
environments, logins <= environments, seconds (median) < 2; checks: quality statements == the
distinct checked locations == sources x environments, logins <= environments, every check passes;
the freshness verdicts equal the naive ones and the expected ones (stale exactly where the data
is); the sample's verdicts are the expected ones. Run it: make bench-conditions, or python
bench/conditions.py --jobs 500 --sources 200 --rounds 3.
"""

import contextlib
import copy
import dataclasses
import functools
import gc
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import harness  # bench/harness.py, next to this script
import yaml
from dagster import DagsterInstance
from snowflake.connector.connection import SnowflakeConnection

import model_jobs.runtime.conditions as runtime_conditions
from model_jobs.compile.compiled_project import CompiledProject, ResolvedJob
from model_jobs.compile.reference_cache import CACHE_DIR_ENV
from model_jobs.compile.source_sql import Measured, check_statement, freshness_statement
from model_jobs.defs.conditions import evaluate_jobs
from model_jobs.defs.resources import job_connection, warehouse_for_ticks
from model_jobs.defs.snowflake_resource import SnowflakeResource
from model_jobs.identifiers import TableName
from model_jobs.project import load_project
from model_jobs.runtime.checks import CheckOutcome
from model_jobs.runtime.conditions import Measure, SourceState, Verdict, judge, measure, measures_for
from model_jobs.runtime.statements import Statements
from model_jobs.specs.tags import lock_line
from model_jobs.warehouse.settings import query_tag

DESIGN_DATABASE = "DATALAKE"
ENVIRONMENTS = {  # name: the database its jobs read, its target database; the first is the design environment
    "dev": ("LAKE_DEV", "ANALYTICS_DEV"),
    "prd": ("LAKE_PRD", "ANALYTICS_PRD"),
    "sbx": ("LAKE_SBX", "ANALYTICS_SBX"),
}
DESIGN = next(iter(ENVIRONMENTS))
TAG = "v1"  # the tag of the jobs outside the design environment (which runs `latest`)
STALE_ENVIRONMENT, STALE_EVERY = "sbx", 25  # in sbx, source k with k % 25 == 0 was loaded 3 days ago
MAX_AGE = "1d"
COLUMNS = {"ID": "NUMBER", "CUSTOMER_ID": "NUMBER", "STATUS": "VARCHAR", "AMOUNT": "NUMBER(10,2)"}
COLUMNS |= {"LOADED_AT": "TIMESTAMP_NTZ"}
STATUSES = ["NEW", "PAID", "SHIPPED"]
CHECKS = [
    {"not_null": ["ID", "LOADED_AT"]},
    {"unique": ["ID"]},
    {"accepted_values": {"column": "STATUS", "values": STATUSES}},
    {"row_count": {"min": 1}},
    {"expression": "AMOUNT >= 0"},
]
RUN_ID = "bench conditions"
SAMPLE = 50
MEASURE_PREFIX = 'SELECT 0 AS "SOURCE"'  # freshness_statement's first select
FRESHNESS, NAIVE, CHECKS_VARIANT = "freshness", "freshness, naive", "checks"


def source_name(k: int) -> str:
    return f"SRC_{k:04d}"


def model_reads(jobs: int, sources: int, seed: int = 11) -> list[list[int]]:
    """The sources each model reads (1 to 3, distinct): consecutive places of one shuffled list of
    the sources, gone through again and again, so every source is read once there are enough reads."""
    rng = random.Random(seed)
    order = list(range(sources))
    rng.shuffle(order)
    reads, at = [], 0
    for _ in range(-(-jobs // len(ENVIRONMENTS))):
        n = rng.randint(1, min(3, sources))
        reads.append([order[(at + i) % sources] for i in range(n)])
        at += n
    return reads


def model_sql(reads: list[int]) -> str:
    return (
        "\nUNION ALL\n".join(
            f"SELECT ID, CUSTOMER_ID, AMOUNT, LOADED_AT FROM {DESIGN_DATABASE}.RAW.{source_name(k)}" for k in reads
        )
        + "\n"
    )


def write_specs(root: Path, jobs: int, sources: int) -> list[list[int]]:
    """job_specs with `jobs` Model Jobs over `sources` sources; what each model reads."""
    environments = {
        env: {"role": f"BENCH_{env.upper()}", "warehouse": f"BENCH_{env.upper()}_WH"}
        | {"target": {"database": target, "schema": "MARTS"}}
        for env, (_, target) in ENVIRONMENTS.items()
    }
    files: dict[str, Any] = {"environments.yaml": {"design_environment": DESIGN, "environments": environments}}
    files["sources.yaml"] = {
        "sources": {
            f"{DESIGN_DATABASE}.RAW.{source_name(k)}": {
                "description": f"Raw table {k}.",
                "columns": dict(COLUMNS),
                "loaded_at": "LOADED_AT",
                "checks": copy.deepcopy(CHECKS),  # no shared object: no YAML alias
            }
            for k in range(sources)
        }
    }
    reads = model_reads(jobs, sources)
    left = jobs
    for k, read in enumerate(reads):
        name, sql = f"cond_{k:04d}", model_sql(read)
        envs = list(ENVIRONMENTS)[: min(len(ENVIRONMENTS), left)]
        left -= len(envs)
        files[f"jobs/{name}.yaml"] = {
            "model": name,
            "defaults": {"conditions": {"source_freshness": {"max_age": MAX_AGE}, "source_data_quality": True}},
            "jobs": {
                env: {"tag": "latest" if env == DESIGN else TAG, "source_mapping": {DESIGN_DATABASE: database}}
                for env, (database, _) in ENVIRONMENTS.items()
                if env in envs
            },
        }
        files[f"models/{name}/model.yaml"] = {"description": f"Rows of {len(read)} raw table(s)."}
        files[f"models/{name}/model.sql"] = sql
        files[f"models/{name}/tags/{TAG}.sql"] = sql
        files[f"models/{name}/tags.lock"] = lock_line(TAG, sql, "2026-11-01T00:00:00Z", "bench") + "\n"
    harness.write_files(
        root, {n: f if isinstance(f, str) else yaml.safe_dump(f, sort_keys=False) for n, f in files.items()}
    )
    return reads


def stale(environment: str, k: int) -> bool:
    return environment == STALE_ENVIRONMENT and k % STALE_EVERY == 0


def table_statements(sources: int, rows: int, now: datetime) -> list[str]:
    """The source tables of every environment, `rows` rows each: one CREATE TABLE .. AS SELECT per table."""
    status = f"CASE MOD(N, 3) WHEN 0 THEN '{STATUSES[0]}' WHEN 1 THEN '{STATUSES[1]}' ELSE '{STATUSES[2]}' END"
    statements = []
    for env, (database, _) in ENVIRONMENTS.items():
        statements += [f"CREATE DATABASE IF NOT EXISTS {database}", f"CREATE SCHEMA IF NOT EXISTS {database}.RAW"]
        for k in range(sources):
            newest = now - timedelta(days=3) if stale(env, k) else now
            statements.append(
                f"CREATE OR REPLACE TABLE {database}.RAW.{source_name(k)} AS SELECT N::NUMBER AS ID, "
                f"MOD(N * 7919, 1000)::NUMBER AS CUSTOMER_ID, ({status})::VARCHAR AS STATUS, "
                "(MOD(N * 31, 10000) / 100)::NUMBER(10,2) AS AMOUNT, "
                f"DATEADD(second, -MOD(N * 13, 3600), '{newest:%Y-%m-%d %H:%M:%S}'::TIMESTAMP_NTZ) AS LOADED_AT "
                f"FROM (SELECT SEQ4() + 1 AS N FROM TABLE(GENERATOR(ROWCOUNT => {rows})))"
            )
    return statements


class WarehouseCounter:
    """What the Snowflake connector does from this process while `counting`: every statement
    (through SnowflakeConnection.cmd_query) with the seconds until its answer came, every login
    (SnowflakeConnection.connect) and the seconds connecting and closing take; and the seconds the
    runtime spends building measure statements (freshness_statement as runtime.conditions calls it).
    All wrapped until `close`."""

    def __init__(self, quality: Mapping[str, TableName]) -> None:
        self.quality = quality  # the text of each checked location's quality statement -> the location
        self.statements: list[tuple[str, float]] = []  # text, seconds until the answer came
        self.logins = 0
        self.session_seconds = 0.0  # connecting and closing
        self.build_seconds = 0.0
        self.gc_seconds, self.gc_full = 0.0, 0  # garbage collections (any thread), full ones (generation 2)
        self._gc_start = 0.0
        self.counting = False
        self._originals = (
            SnowflakeConnection.cmd_query,
            SnowflakeConnection.connect,
            SnowflakeConnection.close,
            runtime_conditions.freshness_statement,
        )
        original_query, original_connect, original_close, original_build = self._originals
        counter = self

        def cmd_query(connection: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original_query(connection, sql, *args, **kwargs)
            finally:
                if counter.counting:
                    counter.statements.append((sql, time.perf_counter() - start))

        def connect(connection: Any, *args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original_connect(connection, *args, **kwargs)
            finally:
                if counter.counting:
                    counter.logins += 1
                    counter.session_seconds += time.perf_counter() - start

        def close(connection: Any, *args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original_close(connection, *args, **kwargs)
            finally:
                if counter.counting:
                    counter.session_seconds += time.perf_counter() - start

        def build(*args: Any, **kwargs: Any) -> str:
            start = time.perf_counter()
            try:
                return original_build(*args, **kwargs)
            finally:
                if counter.counting:
                    counter.build_seconds += time.perf_counter() - start

        SnowflakeConnection.cmd_query = cmd_query  # type: ignore[method-assign,assignment]
        SnowflakeConnection.connect = connect  # type: ignore[method-assign,assignment]
        SnowflakeConnection.close = close  # type: ignore[method-assign,assignment]
        runtime_conditions.freshness_statement = build  # type: ignore[assignment]
        gc.callbacks.append(self._collected)

    def _collected(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        elif self.counting:
            self.gc_seconds += time.perf_counter() - self._gc_start
            self.gc_full += info["generation"] == 2

    @contextlib.contextmanager
    def measure(self) -> Iterator[None]:
        self.statements, self.logins, self.counting = [], 0, True
        self.session_seconds = self.build_seconds = self.gc_seconds = 0.0
        self.gc_full = 0
        try:
            yield
        finally:
            self.counting = False

    def kind(self, sql: str) -> str:
        if sql in self.quality:
            return "quality"
        if sql.lstrip().startswith(MEASURE_PREFIX):
            return "measure"
        return "commit" if sql.strip().upper() == "COMMIT" else "other"

    def facts(self) -> dict[str, Any]:
        kinds = [self.kind(sql) for sql, _ in self.statements]
        seconds = [s for _, s in self.statements]
        quality = [sql for sql, _ in self.statements if sql in self.quality]
        return {
            "statements": len(seconds),
            "measure": kinds.count("measure"),
            "quality": kinds.count("quality"),
            "quality_locations": len(set(quality)),  # distinct locations whose checks ran
            "commits": kinds.count("commit"),
            "other": kinds.count("other"),
            "logins": self.logins,
            "statement_seconds": sum(seconds),
            "measure_seconds": sum(s for k, s in zip(kinds, seconds, strict=True) if k == "measure"),
            "session_seconds": self.session_seconds,
            "build_seconds": self.build_seconds,
            "gc_seconds": self.gc_seconds,
            "gc_full": self.gc_full,
            "texts": dict(Counter(" ".join(sql.split())[:48] for sql, _ in self.statements).most_common()),
        }

    def close(self) -> None:
        query, connect, close, build = self._originals
        SnowflakeConnection.cmd_query, SnowflakeConnection.connect, SnowflakeConnection.close = query, connect, close  # type: ignore[method-assign]
        runtime_conditions.freshness_statement = build
        gc.callbacks.remove(self._collected)


def freshness_only(job: ResolvedJob) -> ResolvedJob:
    return dataclasses.replace(job, conditions=dataclasses.replace(job.conditions, data_quality=()))


def checks_only(job: ResolvedJob) -> ResolvedJob:
    conditions = dataclasses.replace(job.conditions, freshness=(), changed_since_last_run=False)
    return dataclasses.replace(job, conditions=conditions)


def checked_locations(jobs: list[ResolvedJob]) -> dict[str, dict[TableName, TableName]]:
    """Per environment, every location whose checks the jobs require: actual -> design."""
    found: dict[str, dict[TableName, TableName]] = {}
    for job in jobs:
        for source in job.conditions.data_quality:
            found.setdefault(job.environment, {})[source.actual] = source.design
    return found


def quality_texts(project: CompiledProject, jobs: list[ResolvedJob]) -> dict[str, TableName]:
    """The quality statement of every checked location, as run_checks sends it -> the location."""
    rules = project.source_rules
    return {
        check_statement(actual, rules.error_checks(design)): actual
        for locations in checked_locations(jobs).values()
        for actual, design in locations.items()
    }


@dataclass
class Bench:
    snowflake: SnowflakeResource
    instance: DagsterInstance
    project: CompiledProject
    jobs: list[ResolvedJob]  # with all their conditions
    counter: WarehouseCounter
    verdicts: dict[str, dict[str, Verdict]] = field(default_factory=dict)  # by variant, of its last round

    def __post_init__(self) -> None:
        self.fresh_jobs = [freshness_only(job) for job in self.jobs]
        self.check_jobs = [checks_only(job) for job in self.jobs]

    def counted(self, run: Callable[[], dict[str, float]]) -> Callable[[], harness.Measured]:
        """`run` timed, with what the connector sent meanwhile; `run` returns the seconds of its steps."""

        def measured() -> harness.Measured:
            with self.counter.measure():
                seconds, parts = harness.timed(run)
            return harness.Measured(seconds, parts, self.counter.facts())

        return measured

    def freshness(self) -> dict[str, float]:
        self.verdicts[FRESHNESS] = evaluate_jobs(self.snowflake, self.instance, self.project, self.fresh_jobs, RUN_ID)
        return {}

    def checks(self) -> dict[str, float]:
        self.verdicts[CHECKS_VARIANT] = evaluate_jobs(
            self.snowflake, self.instance, self.project, self.check_jobs, RUN_ID
        )
        return {}

    def sample(self, jobs: list[ResolvedJob]) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            self.verdicts["sample"] = evaluate_jobs(self.snowflake, self.instance, self.project, jobs, RUN_ID)
            return {}

        return run

    @contextlib.contextmanager
    def connection(self, environment: str) -> Iterator[Any]:
        """A connection as evaluate_jobs opens one: the environment's role and warehouse, its query
        tag, read-only (autocommit: no COMMIT when it closes)."""
        env = self.project.specs.environments[environment]
        tag = query_tag(model="conditions", environment=environment, tag="", run_id=RUN_ID)
        with job_connection(
            self.snowflake,
            role=env.role,
            warehouse=env.warehouse,
            session_parameters={"QUERY_TAG": tag},
            read_only=True,
        ) as connection:
            yield connection

    def needs(self) -> dict[str, dict[TableName, Measure]]:
        """Per environment, what its jobs' freshness needs measured, by location."""
        found: dict[str, dict[TableName, Measure]] = {}
        for job in self.fresh_jobs:
            for m in measures_for(job, self.project.specs.sources):
                found.setdefault(job.environment, {})[m.location] = m
        return found

    def naive(self) -> dict[str, float]:
        start = time.perf_counter()
        states: dict[str, dict[TableName, SourceState]] = {}
        for environment, measures in sorted(self.needs().items()):
            states[environment] = {}
            with self.connection(environment) as connection:
                statements = Statements(connection.cursor())
                for _, m in sorted(measures.items()):
                    states[environment] |= measure(statements, [m])
        mid = time.perf_counter()
        now = datetime.now(UTC)
        self.verdicts[NAIVE] = {job.key: judge(job, states[job.environment], now) for job in self.fresh_jobs}
        return {"measure, a statement per location": mid - start, "judge": time.perf_counter() - mid}


def expected_unmet(jobs: list[ResolvedJob], sources: int) -> set[str]:
    """The jobs whose freshness must be unmet: those reading a source that is stale where they run."""
    index = {f"{DESIGN_DATABASE}.RAW.{source_name(k)}": k for k in range(sources)}
    return {
        job.key
        for job in jobs
        if any(stale(job.environment, index[str(s.design)]) for s in job.sources if s.upstream_model is None)
    }


def build_seconds(locations: list[TableName]) -> list[tuple[int, float]]:
    """How long freshness_statement takes for a quarter, half and all of one environment's locations."""
    result = []
    for n in sorted({max(1, len(locations) // 4), max(1, len(locations) // 2), len(locations)}):
        items = [Measured(location, "LOADED_AT") for location in locations[:n]]
        result.append((n, harness.timed(functools.partial(freshness_statement, items))[0]))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__, rounds=3)
    parser.add_argument("--jobs", type=int, default=500, help="Model Jobs (default 500)")
    parser.add_argument("--sources", type=int, default=200, help="sources, each in every environment (default 200)")
    parser.add_argument("--rows", type=int, default=300, help="rows per source table (default 300)")
    parser.add_argument(
        "--max-seconds", type=float, default=2.0, help="target: seconds of the freshness evaluation (default 2)"
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=SAMPLE,
        help=f"jobs whose full conditions go through evaluate_jobs as a dispatcher tick's, info (default {SAMPLE}; "
        "0: none)",
    )
    args = parser.parse_args(argv)
    saved_cache_dir = os.environ.get(CACHE_DIR_ENV)
    os.environ[CACHE_DIR_ENV] = "off"  # no reference cache written outside the temporary folder
    counter = None
    try:
        with harness.embedded_snowflake(own_process=True) as tmp, DagsterInstance.ephemeral() as instance:
            seconds, reads = harness.timed(lambda: write_specs(tmp / "job_specs", args.jobs, args.sources))
            loading, project = harness.timed(lambda: load_project(tmp / "job_specs"))
            jobs = sorted((j for j in project.jobs.values() if j.conditions), key=lambda j: j.key)
            print(
                f"job_specs: {len(reads)} models, {len(project.jobs)} Model Jobs ({len(jobs)} with conditions) over "
                f"{args.sources} sources in {len(ENVIRONMENTS)} environments: written in {seconds:.1f} s, loaded "
                f"in {loading:.1f} s",
                flush=True,
            )
            now = datetime.now(UTC)
            snowflake = warehouse_for_ticks()  # the resource the dispatcher's ticks use
            setup = table_statements(args.sources, args.rows, now.replace(tzinfo=None))
            with snowflake.get_connection() as admin:
                cursor = admin.cursor()
                seconds, _ = harness.timed(lambda: [cursor.execute(s) for s in setup])
            print(
                f"embedded Snowflake: {args.sources * len(ENVIRONMENTS)} source tables of {args.rows} rows created "
                f"in {seconds:.1f} s ({len(setup)} statements)",
                flush=True,
            )
            counter = WarehouseCounter(quality_texts(project, jobs))
            bench = Bench(snowflake, instance, project, jobs, counter)
            variants = {
                FRESHNESS: bench.counted(bench.freshness),
                NAIVE: bench.counted(bench.naive),
                CHECKS_VARIANT: bench.counted(bench.checks),
            }
            runs = harness.side_by_side(variants, args.rounds)
            # every environment, spread over the models (a fixed seed: the same sample every run)
            sample = sorted(random.Random(7).sample(jobs, min(max(0, args.sample), len(jobs))), key=lambda j: j.key)
            sampled = None
            if sample:
                sampled = bench.counted(bench.sample(sample))()
                print(
                    f"  sample: full conditions of {len(sample)} jobs through evaluate_jobs (info, once): "
                    f"{sampled.seconds:.3f}s",
                    flush=True,
                )
            needs = bench.needs()
            biggest = max(needs.values(), key=len)
            builds = build_seconds(sorted(biggest))
    finally:
        if counter is not None:
            counter.close()
        os.environ.pop(CACHE_DIR_ENV, None)
        if saved_cache_dir is not None:
            os.environ[CACHE_DIR_ENV] = saved_cache_dir
    return report(args, bench, runs, sampled, sample, builds)


def rest(m: harness.Measured) -> float:
    """Seconds outside the statements, connecting and closing, and building measure statements."""
    f = m.facts
    return m.seconds - f["statement_seconds"] - f["session_seconds"] - f["build_seconds"]


def report(
    args: Any,
    bench: Bench,
    runs: dict[str, list[harness.Measured]],
    sampled: harness.Measured | None,
    sample: list[ResolvedJob],
    builds: list[tuple[int, float]],
) -> int:
    environments, jobs = len(ENVIRONMENTS), bench.jobs
    summary = harness.summary(runs)

    def most(name: str, fact: str) -> Any:
        return max(m.facts[fact] for m in runs[name])

    def median(name: str, value: Callable[[harness.Measured], float]) -> float:
        return float(statistics.median(value(m) for m in runs[name]))

    def row(name: str, measured: list[harness.Measured], seconds: float, best: float) -> list[Any]:
        def mid(value: Callable[[harness.Measured], float]) -> float:
            return float(statistics.median(value(m) for m in measured))

        def top(fact: str) -> Any:
            return max(m.facts[fact] for m in measured)

        in_statements = mid(lambda m: m.facts["statement_seconds"])
        return [
            name,
            f"{top('statements')} ({top('measure')} / {top('quality')} / {top('commits') + top('other')})",
            top("logins"),
            seconds,
            best,
            in_statements,
            mid(lambda m: m.facts["session_seconds"]),
            mid(lambda m: m.facts["build_seconds"]),
            mid(rest),
            1000 * in_statements / max(top("statements"), 1),
        ]

    fresh, naive, checks = (summary[name]["median"] for name in (FRESHNESS, NAIVE, CHECKS_VARIANT))
    locations = checked_locations(bench.check_jobs)
    located = sum(len(v) for v in locations.values())
    tables = args.sources * environments
    rows = [row(name, runs[name], summary[name]["median"], min(summary[name]["seconds"])) for name in runs]
    if sampled is not None:
        rows.append(row(f"sample: {len(sample)} jobs, full conditions (info, once)", [sampled], *[sampled.seconds] * 2))
    header = ["variant", "statements (measure / quality / other)", "logins", "seconds", "best"]
    header += ["in statements", "connect+close", "building measure SQL", "rest", "ms per statement"]
    harness.table(
        f"{len(jobs)} Model Jobs with conditions over {args.sources} sources x {environments} environments "
        f"({located} checked locations, {args.rows} rows each) on the embedded Snowflake; medians of {args.rounds} "
        "round(s), seconds; statements (a COMMIT too, under other; most of any round) and logins counted at the "
        "connector",
        header,
        rows,
    )
    per_round = []
    for name, measured in runs.items():
        for i, m in enumerate(measured, 1):
            f = m.facts
            seconds = [m.seconds, f["statement_seconds"], f["measure_seconds"], f["session_seconds"]]
            per_round.append([name, i, *seconds, f["build_seconds"], rest(m), f["gc_seconds"], f["gc_full"]])
    harness.table(
        "Per round, seconds: where the time goes (in statements: until the embedded Snowflake, served from its "
        "own process, answered; GC pauses: this process's garbage collections meanwhile, "
        "counted again in the column they interrupted)",
        [
            "variant",
            "round",
            "seconds",
            "in statements",
            "of which measure",
            "connect+close",
            "building measure SQL",
            "rest",
            "GC pauses (overlap the others)",
            "full GCs",
        ],
        per_round,
    )
    verdicts = bench.verdicts
    unmet = {k for k, v in verdicts[FRESHNESS].items() if not v.met}
    expected = expected_unmet(jobs, args.sources)
    differing = sum(verdicts[FRESHNESS][k].reasons != verdicts[NAIVE][k].reasons for k in verdicts[FRESHNESS])
    outcomes: dict[tuple[TableName, str], CheckOutcome] = {
        (o.location, o.name): o for v in verdicts[CHECKS_VARIANT].values() for o in v.checks
    }
    failed = [o for o in outcomes.values() if not o.passed]
    checks_unmet = [k for k, v in verdicts[CHECKS_VARIANT].items() if not v.met]
    quality_off = max(abs(m.facts["quality"] - located) for m in runs[CHECKS_VARIANT])
    never_checked = located - min(m.facts["quality_locations"] for m in runs[CHECKS_VARIANT])
    measured = {env: len(found) for env, found in bench.needs().items()}
    results: list[list[Any]] = [
        ["freshness: naive / evaluate_jobs, seconds", naive / fresh],
        ["freshness: locations measured per environment", ", ".join(f"{e} {n}" for e, n in measured.items())],
        ["freshness: Model Jobs judged", len(verdicts[FRESHNESS])],
        ["freshness: Model Jobs unmet / expected unmet", f"{len(unmet)} / {len(expected)}"],
        ["freshness: verdicts differing, evaluate_jobs vs naive", differing],
        [
            "checks: distinct checked locations / quality statements / other statements (most of any round)",
            f"{located} / {most(CHECKS_VARIANT, 'quality')} / "
            f"{most(CHECKS_VARIANT, 'statements') - most(CHECKS_VARIANT, 'quality')}",
        ],
        ["checks: Model Jobs unmet", len(checks_unmet)],
        ["checks: distinct outcomes / failed", f"{len(outcomes)} / {len(failed)}"],
        ["checks: ms per location", 1000 * checks / max(located, 1)],
        [
            "freshness_statement, building one statement: seconds for "
            + ", ".join(str(n) for n, _ in builds)
            + " locations",
            ", ".join(f"{sec:.3f}" for _, sec in builds),
        ],
    ]
    sample_unmet: set[str] = set()
    sample_expected: set[str] = set()
    if sampled is not None:
        sample_unmet = {k for k, v in verdicts["sample"].items() if not v.met}
        sample_expected = expected & {job.key for job in sample}
        sample_locations = sum(len(v) for v in checked_locations(sample).values())
        results += [
            [f"sample: ms per job ({len(sample)} jobs)", 1000 * sampled.seconds / len(sample)],
            ["sample: Model Jobs unmet / expected unmet", f"{len(sample_unmet)} / {len(sample_expected)}"],
            [
                "sample: checked locations / quality statements / measure statements",
                f"{sample_locations} / {sampled.facts['quality']} / {sampled.facts['measure']}",
            ],
        ]
    harness.table("Results", ["figure", "value"], results)
    for name in (FRESHNESS, CHECKS_VARIANT):
        print(f"\nStatements of one {name} evaluation (its last round), by their first words:")
        for text, n in list(runs[name][-1].facts["texts"].items())[:5]:
            print(f"  {n:4d}  {text}")
    if most(FRESHNESS, "commits") or most(CHECKS_VARIANT, "commits"):
        print(
            "\nNote: a connection the conditions open sent a COMMIT when it closed: dagster_snowflake's "
            "SnowflakeResource.get_connection commits on exit unless `autocommit` is set."
        )
    targets = [
        harness.Target(
            f"freshness: statements (most of any round) <= environments ({environments})",
            most(FRESHNESS, "statements"),
            environments,
        ),
        harness.Target(
            f"freshness: logins (most of any round) <= environments ({environments})",
            most(FRESHNESS, "logins"),
            environments,
        ),
        harness.Target(f"freshness: seconds (median) < {args.max_seconds:g}", fresh, args.max_seconds),
        harness.Target("freshness: verdicts differing, evaluate_jobs vs naive", differing, 0),
        harness.Target("freshness: verdicts not as expected", len(unmet ^ expected), 0),
        harness.Target(
            f"checks: |quality statements - distinct checked locations ({located})| (any round)", quality_off, 0
        ),
        harness.Target("checks: checked locations without a quality statement (any round)", never_checked, 0),
        harness.Target(f"checks: |checked locations - sources x environments ({tables})|", abs(located - tables), 0),
        harness.Target(
            f"checks: logins (most of any round) <= environments ({environments})",
            most(CHECKS_VARIANT, "logins"),
            environments,
        ),
        harness.Target("checks failed", len(failed), 0),
        harness.Target("checks: Model Jobs unmet", len(checks_unmet), 0),
    ]
    if sampled is not None:
        targets.append(harness.Target("sample: verdicts not as expected", len(sample_unmet ^ sample_expected), 0))
    figures = {
        "jobs": len(jobs),
        "sources": args.sources,
        "rows": args.rows,
        "variants": {name: summary[name] | {"facts": [m.facts for m in runs[name]]} for name in runs},
        "checked_locations": located,
        "measured_per_environment": measured,
        "unmet": len(unmet),
        "expected_unmet": len(expected),
        "naive_over_evaluate_jobs": naive / fresh,
        "check_outcomes": len(outcomes),
        "checks_failed": [o.message for o in failed],
        "freshness_statement_build_seconds": builds,
        "sample": None if sampled is None else {"jobs": len(sample), "seconds": sampled.seconds, **sampled.facts},
    }
    return harness.finish("conditions", args, figures, targets)


if __name__ == "__main__":
    sys.exit(main())

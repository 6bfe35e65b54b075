"""Code-location load time: model-jobs specs vs. a plain hand-written Dagster Definitions.

What it measures
----------------
It generates, in a temporary directory, a job_specs folder with N models (default 1,000) x 3
environments, shaped like the demo:

* marketing_dev (design environment) runs ``tag: latest``;
* marketing_prd is pinned to the older tag and maps ``DATALAKE_DEV: DATALAKE_PRD`` (database level);
* sandbox is pinned to the newer tag and maps ``DATALAKE_DEV.RAW: DATALAKE_DEV.SAMPLE`` (schema level).

Every model has two tags whose SQL differs (a CTE and a join over two raw tables,
DATALAKE_DEV.RAW.ORDERS_<k> and DATALAKE_DEV.RAW.CUSTOMERS_<k>); about one model in five also
reads the design target of a lower-numbered model (ANALYTICS_DEV.MARTS.<UPSTREAM>), so the asset
graph has model-to-model edges and no cycles. sources.yaml declares the columns of every raw table.

Then, in the same process, it times side by side for a few rounds:

* ours:  ``load_project(dir)`` + ``build_definitions(project)`` + ``Definitions.validate_loadable``
* plain: a hand-written ``dagster.Definitions`` with the same number of ``@asset``s built by a
  factory loop (StaticPartitionsDefinition of the 3 environments, the same deps on upstream models
  and on unpartitioned external ``AssetSpec`` sources, similar descriptions, owners, kinds,
  metadata and the same Snowflake resource) + ``Definitions.validate_loadable``

``Definitions.validate_loadable`` is the step that makes Dagster resolve everything a code location
load resolves: it builds the RepositoryDefinition (``defs.get_repository_def()``, which is what the
code server does with a module-level ``Definitions``), then ``load_all_definitions()`` (what the
code server calls right after, to build the asset graph, the implicit asset jobs and check the
resources) and validates the partition mappings. The same step is used for both sides.

Each load runs in a fresh Python process (as a code server loads a location), the two sides
interleaved round by round, so neither inherits the other's heap or garbage-collector state.

Our load has two states. Finding the tables each tag reads means parsing its SQL; tags are
immutable, so the result is cached on disk by sha256 (model_jobs/compile/reference_cache.py).
"ours" is every load after the first with the same tags (the cache is warm); "cold" is the first
load ever, which parses every tag. Both are printed; the target applies to the warm load.

It prints best and median seconds for each side, their ratio against the target (ours <= 1.5 x
plain), and a breakdown of where our time goes (spec loading, compile incl. finding the tables,
build_definitions, repository resolution).

It always exits 0: it reports, it does not gate.

Run it
------
    make bench-load                                   # = uv run --locked python bench/load_time.py
    uv run --locked python bench/load_time.py --models 200 --rounds 5
"""

# No `from __future__ import annotations`: Dagster inspects the asset functions' type hints.
import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster_snowflake import SnowflakeResource

from model_jobs.compile.compiled_project import compile_project
from model_jobs.compile.reference_cache import CACHE_DIR_ENV, ReferenceCache, default_cache_file
from model_jobs.defs.build import build_definitions
from model_jobs.project import _gc_paused, load_project
from model_jobs.specs.loader import load_specs
from model_jobs.specs.tags import lock_line

TARGET_RATIO = 1.5
PARSE_STAGE = "compile_project: tables read per tag (cache or sqlglot)"
DESIGN, PRD, SANDBOX = "marketing_dev", "marketing_prd", "sandbox"
ENVIRONMENTS = (DESIGN, PRD, SANDBOX)
TARGETS = {DESIGN: ("ANALYTICS_DEV", "MARTS"), PRD: ("ANALYTICS_PRD", "MARTS"), SANDBOX: ("SANDBOX", "MARKETING")}
OLD_TAG, NEW_TAG = "2026.1", "2026.2"
UPSTREAM_SHARE = 5  # about one model in five reads another model's design target
GROUPS = 8

ORDERS_COLUMNS = {
    "ORDER_ID": "NUMBER",
    "CUSTOMER_ID": "NUMBER",
    "ORDERED_AT": "TIMESTAMP_NTZ",
    "STATUS": "VARCHAR",
    "AMOUNT": "NUMBER(10,2)",
    "UPDATED_AT": "TIMESTAMP_NTZ",
}
CUSTOMERS_COLUMNS = {
    "CUSTOMER_ID": "NUMBER",
    "NAME": "VARCHAR",
    "EMAIL": "VARCHAR",
    "COUNTRY": "VARCHAR",
    "SIGNED_UP_AT": "TIMESTAMP_NTZ",
}


# --------------------------------------------------------------------------------------------
# The generated project, shared by both sides
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenModel:
    index: int
    name: str
    upstream: str | None  # another generated model (lower index) whose design target it reads

    @property
    def orders(self) -> str:
        return f"DATALAKE_DEV.RAW.ORDERS_{self.index:05d}"

    @property
    def customers(self) -> str:
        return f"DATALAKE_DEV.RAW.CUSTOMERS_{self.index:05d}"

    @property
    def group(self) -> str:
        return f"marketing_{self.index % GROUPS}"

    @property
    def owners(self) -> list[str]:
        return ["team:marketing", f"analyst{self.index % 17}@example.com"]

    @property
    def description(self) -> str:
        return (
            f"Revenue and order counts per customer and country for segment {self.index}, "
            "used by the marketing dashboards."
        )

    def target(self, env: str) -> str:
        database, schema = TARGETS[env]
        return f"{database}.{schema}.{self.name.upper()}"

    def reads(self, env: str) -> list[str]:
        """Tables one environment's job reads (what the hand-written version documents)."""

        def mapped(table: str) -> str:
            if env == PRD:
                return table.replace("DATALAKE_DEV.", "DATALAKE_PRD.", 1)
            if env == SANDBOX:
                return table.replace("DATALAKE_DEV.RAW.", "DATALAKE_DEV.SAMPLE.", 1)
            return table

        upstream = [f"{TARGETS[env][0]}.{TARGETS[env][1]}.{self.upstream.upper()}"] if self.upstream else []
        return [mapped(self.orders), mapped(self.customers), *upstream]


def generate_models(count: int, seed: int = 42) -> list[GenModel]:
    rng = random.Random(seed)
    models = []
    for k in range(count):
        upstream = f"mart_{rng.randrange(k):05d}" if k and k % UPSTREAM_SHARE == UPSTREAM_SHARE - 1 else None
        models.append(GenModel(k, f"mart_{k:05d}", upstream))
    return models


def tag_sql(model: GenModel, tag: str) -> str:
    upstream_join = (
        f"LEFT JOIN ANALYTICS_DEV.MARTS.{model.upstream.upper()} AS u ON u.CUSTOMER_ID = c.CUSTOMER_ID\n"
        if model.upstream
        else ""
    )
    upstream_col = "    MAX(u.LIFETIME_VALUE) AS UPSTREAM_VALUE,\n" if model.upstream else ""
    if tag == OLD_TAG:
        return (
            f"WITH orders AS (\n"
            f"    SELECT ORDER_ID, CUSTOMER_ID, AMOUNT\n"
            f"    FROM {model.orders}\n"
            f")\n"
            f"SELECT\n"
            f"    c.CUSTOMER_ID,\n"
            f"    c.NAME,\n"
            f"{upstream_col}"
            f"    COUNT(o.ORDER_ID) AS ORDERS,\n"
            f"    COALESCE(SUM(o.AMOUNT), 0) AS LIFETIME_VALUE\n"
            f"FROM {model.customers} AS c\n"
            f"LEFT JOIN orders AS o ON o.CUSTOMER_ID = c.CUSTOMER_ID\n"
            f"{upstream_join}"
            f"GROUP BY c.CUSTOMER_ID, c.NAME\n"
        )
    return (
        f"-- {tag}: cancelled orders no longer count; adds country, average order and last order.\n"
        f"WITH orders AS (\n"
        f"    SELECT ORDER_ID, CUSTOMER_ID, ORDERED_AT, AMOUNT\n"
        f"    FROM {model.orders}\n"
        f"    WHERE STATUS <> 'CANCELLED'\n"
        f")\n"
        f"SELECT\n"
        f"    c.CUSTOMER_ID,\n"
        f"    c.NAME,\n"
        f"    UPPER(c.COUNTRY) AS COUNTRY,\n"
        f"{upstream_col}"
        f"    COUNT(o.ORDER_ID) AS ORDERS,\n"
        f"    SUM(o.AMOUNT) AS LIFETIME_VALUE,\n"
        f"    ROUND(AVG(o.AMOUNT), 2) AS AVG_ORDER_VALUE,\n"
        f"    MAX(o.ORDERED_AT) AS LAST_ORDER_AT\n"
        f"FROM {model.customers} AS c\n"
        f"JOIN orders AS o ON o.CUSTOMER_ID = c.CUSTOMER_ID\n"
        f"{upstream_join}"
        f"GROUP BY c.CUSTOMER_ID, c.NAME, c.COUNTRY\n"
    )


def write_specs(root: Path, models: list[GenModel]) -> None:
    """A job_specs folder in the format the demo's job_specs/ uses."""
    envs = ["design_environment: marketing_dev", "", "environments:"]
    for env, role, description in [
        (DESIGN, "MARKETING_DEV", "Where the marketing team designs models."),
        (PRD, "MARKETING_PRD", "Production marts behind the dashboards."),
        (SANDBOX, "SANDBOX", "Try a new version on a small sample."),
    ]:
        database, schema = TARGETS[env]
        envs += [
            f"  {env}:",
            f"    description: {description}",
            f"    role: {role}",
            f"    warehouse: {role}_WH",
            f"    target: {{database: {database}, schema: {schema}}}",
            "",
        ]
    (root / "environments.yaml").write_text("\n".join(envs), encoding="utf-8")

    sources = ["sources:"]
    for model in models:
        for table, columns, what in [
            (model.orders, ORDERS_COLUMNS, "One row per order"),
            (model.customers, CUSTOMERS_COLUMNS, "Customers from the CRM"),
        ]:
            sources += [f"  {table}:", f"    description: {what} (segment {model.index}).", "    columns:"]
            sources += [f"      {name}: {type_}" for name, type_ in columns.items()]
    (root / "sources.yaml").write_text("\n".join(sources) + "\n", encoding="utf-8")

    (root / "jobs").mkdir()
    for model in models:
        directory = root / "models" / model.name
        (directory / "tags").mkdir(parents=True)
        (directory / "model.yaml").write_text(
            f"description: {model.description}\nowners: [{', '.join(model.owners)}]\ngroup: {model.group}\n",
            encoding="utf-8",
        )
        lock = []
        for tag, created, message in [
            (OLD_TAG, "2026-09-20T08:00:00Z", "First version"),
            (NEW_TAG, "2026-11-02T16:45:00Z", "Exclude cancelled orders"),
        ]:
            sql = tag_sql(model, tag)
            (directory / "tags" / f"{tag}.sql").write_text(sql, encoding="utf-8")
            lock.append(lock_line(tag, sql, created, message))
        (directory / "tags.lock").write_text("\n".join(lock) + "\n", encoding="utf-8")
        (directory / "model.sql").write_text(tag_sql(model, NEW_TAG), encoding="utf-8")
        (root / "jobs" / f"{model.name}.yaml").write_text(
            f"model: {model.name}\n"
            f"jobs:\n"
            f"  {DESIGN}:\n"
            f"    tag: latest\n"
            f"  {PRD}:\n"
            f'    tag: "{OLD_TAG}"\n'
            f"    source_mapping:\n"
            f"      DATALAKE_DEV: DATALAKE_PRD\n"
            f"  {SANDBOX}:\n"
            f'    tag: "{NEW_TAG}"\n'
            f"    source_mapping:\n"
            f"      DATALAKE_DEV.RAW: DATALAKE_DEV.SAMPLE\n",
            encoding="utf-8",
        )


# --------------------------------------------------------------------------------------------
# The two sides
# --------------------------------------------------------------------------------------------


def resolve(defs: dg.Definitions) -> None:
    """What a code location load makes Dagster do with a module-level Definitions (both sides)."""
    dg.Definitions.validate_loadable(defs)


def ours(specs_dir: Path, cache_dir: Path) -> dg.Definitions:
    os.environ[CACHE_DIR_ENV] = str(cache_dir)
    defs = build_definitions(load_project(specs_dir))
    resolve(defs)
    return defs


def plain_snowflake() -> SnowflakeResource:
    return SnowflakeResource(
        account="local",
        user="local",
        password="local",
        additional_snowflake_connection_args={"host": "127.0.0.1", "port": 8765, "protocol": "http"},
    )


def plain_definitions(models: list[GenModel]) -> dg.Definitions:
    """What a team would write by hand: a factory loop over a list of models."""
    partitions = dg.StaticPartitionsDefinition(list(ENVIRONMENTS))
    sources = []
    for model in models:
        for table, columns, what in [
            (model.orders, ORDERS_COLUMNS, "One row per order"),
            (model.customers, CUSTOMERS_COLUMNS, "Customers from the CRM"),
        ]:
            sources.append(
                dg.AssetSpec(
                    key=dg.AssetKey(table.lower().split(".")),
                    description=f"{what} (segment {model.index}).",
                    group_name="sources",
                    kinds={"snowflake"},
                    metadata={
                        "dagster/table_name": table,
                        "dagster/column_schema": dg.TableSchema(
                            columns=[dg.TableColumn(name, type_) for name, type_ in columns.items()]
                        ),
                    },
                )
            )
        # Ours also declares where deploys of each model are reported: the same here.
        sources.append(
            dg.AssetSpec(
                key=dg.AssetKey(["deployments", model.name]),
                description=f"Deploys of model {model.name!r}.",
                group_name="deployments",
                partitions_def=partitions,
            )
        )

    def make_asset(model: GenModel) -> dg.AssetsDefinition:
        deps = [dg.AssetKey([model.upstream])] if model.upstream else []
        deps += [dg.AssetKey(model.orders.lower().split(".")), dg.AssetKey(model.customers.lower().split("."))]
        rows = ["| environment | reads | target |", "|---|---|---|"]
        rows += [f"| {env} | {'<br>'.join(model.reads(env))} | {model.target(env)} |" for env in ENVIRONMENTS]

        @dg.asset(
            key=dg.AssetKey([model.name]),
            partitions_def=partitions,
            deps=deps,
            description="\n".join([model.description, "", *rows]),
            group_name=model.group,
            owners=model.owners,
            kinds={"snowflake"},
            metadata={
                "environments": dg.MetadataValue.json({env: {"target": model.target(env)} for env in ENVIRONMENTS})
            },
        )
        def _materialize(context: dg.AssetExecutionContext, snowflake: SnowflakeResource) -> dg.MaterializeResult:
            # Only loading is measured; this side of the comparison is never run.
            raise RuntimeError(f"the plain benchmark asset {model.name} is not meant to run")

        return _materialize

    return dg.Definitions(
        assets=[*sources, *(make_asset(m) for m in models)], resources={"snowflake": plain_snowflake()}
    )


def plain(models: list[GenModel]) -> dg.Definitions:
    defs = plain_definitions(models)
    resolve(defs)
    return defs


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def ours_breakdown(specs_dir: Path, cache_dir: Path) -> tuple[dict[str, float], dg.Definitions]:
    """The same work as ours(), stage by stage; finding each tag's tables (from the reference
    cache, or by parsing) is timed inside compile_project."""
    parse_seconds = 0.0
    original_parse = ReferenceCache.parse

    def timed_parse(self, sql, sha256):
        nonlocal parse_seconds
        start = time.perf_counter()
        try:
            return original_parse(self, sql, sha256)
        finally:
            parse_seconds += time.perf_counter() - start

    gc.collect()
    stages: dict[str, float] = {}
    # The collector is paused for these two stages, as load_project pauses it.
    with _gc_paused():
        t0 = time.perf_counter()
        specs, errors = load_specs(specs_dir)
        t1 = time.perf_counter()
        ReferenceCache.parse = timed_parse
        try:
            project = compile_project(specs, errors, ReferenceCache(cache_file(cache_dir)))
        finally:
            ReferenceCache.parse = original_parse
    errors.raise_if_any()
    t2 = time.perf_counter()
    defs = build_definitions(project)
    t3 = time.perf_counter()
    resolve(defs)
    t4 = time.perf_counter()
    stages["load_specs (YAML, pydantic, tags.lock sha256)"] = t1 - t0
    stages[PARSE_STAGE] = parse_seconds
    stages["compile_project: everything else"] = (t2 - t1) - parse_seconds
    stages["build_definitions (AssetSpecs, @asset)"] = t3 - t2
    stages["validate_loadable (repository + asset graph)"] = t4 - t3
    return stages, defs


def cache_file(cache_dir: Path) -> Path | None:
    os.environ[CACHE_DIR_ENV] = str(cache_dir)
    return default_cache_file()


def summary(values: list[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


def child(kind: str, specs_dir: Path, cache_dir: Path, models: int) -> dict:
    """One measurement, in a fresh process (what a code server does when it loads a location)."""
    if kind == "plain":
        generated = generate_models(models)
        seconds, _ = timed(lambda: plain(generated))
        return {"seconds": seconds}
    if kind == "breakdown":
        stages, _ = ours_breakdown(specs_dir, cache_dir)
        return {"stages": stages}
    seconds, _ = timed(lambda: ours(specs_dir, cache_dir))
    return {"seconds": seconds}


def run_child(kind: str, specs_dir: Path, cache_dir: Path, models: int) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--specs",
        str(specs_dir),
        "--cache",
        str(cache_dir),
        "--models",
        str(models),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000, help="number of models (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per side (default 5)")
    parser.add_argument("--child", choices=["ours", "plain", "breakdown"], help=argparse.SUPPRESS)
    parser.add_argument("--specs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.models < 1 or args.rounds < 1:
        parser.error("--models and --rounds must be at least 1")
    if args.child:
        print(json.dumps(child(args.child, args.specs, args.cache, args.models)))
        return 0

    models = generate_models(args.models)
    with tempfile.TemporaryDirectory(prefix="model_jobs_bench_") as tmp:
        specs_dir = Path(tmp) / "job_specs"
        specs_dir.mkdir()
        seconds, _ = timed(lambda: write_specs(specs_dir, models))
        upstream_edges = sum(1 for m in models if m.upstream)
        print(
            f"generated {args.models} models x {len(ENVIRONMENTS)} environments "
            f"({2 * args.models} raw sources, {upstream_edges} model->model reads) in {seconds:.1f}s "
            f"under {specs_dir}",
            flush=True,
        )

        # Both sides must describe the same asset graph for the comparison to mean anything.
        os.environ[CACHE_DIR_ENV] = str(Path(tmp) / "check-cache")
        ours_graph = ours(specs_dir, Path(tmp) / "check-cache").resolve_asset_graph()
        plain_graph = plain(models).resolve_asset_graph()
        ours_assets, plain_assets = ours_graph.get_all_asset_keys(), plain_graph.get_all_asset_keys()
        partitioned = sum(1 for key in ours_assets if ours_graph.get(key).partitions_def is not None)
        same_deps = ours_assets == plain_assets and all(
            ours_graph.get(k).parent_keys == plain_graph.get(k).parent_keys for k in ours_assets
        )
        del ours_graph, plain_graph

        warm_cache = Path(tmp) / "warm-cache"
        run_child("ours", specs_dir, warm_cache, args.models)  # fills the cache: every later load
        ours_times, cold_times, plain_times = [], [], []
        stage_times: dict[str, list[float]] = {}
        cold_parse: list[float] = []
        for round_ in range(1, args.rounds + 1):
            # Interleaved, each in a fresh process, so neither side inherits the other's heap.
            t_ours = run_child("ours", specs_dir, warm_cache, args.models)["seconds"]
            t_plain = run_child("plain", specs_dir, warm_cache, args.models)["seconds"]
            # Cold: an empty reference cache, so every tag's SQL is parsed (first load ever).
            t_cold = run_child("ours", specs_dir, Path(tempfile.mkdtemp(dir=tmp)), args.models)["seconds"]
            ours_times.append(t_ours)
            cold_times.append(t_cold)
            plain_times.append(t_plain)
            for name, value in run_child("breakdown", specs_dir, warm_cache, args.models)["stages"].items():
                stage_times.setdefault(name, []).append(value)
            cold_stages = run_child("breakdown", specs_dir, Path(tempfile.mkdtemp(dir=tmp)), args.models)["stages"]
            cold_parse.append(cold_stages[PARSE_STAGE])
            print(f"round {round_}: ours {t_ours:.2f}s (cold cache {t_cold:.2f}s), plain {t_plain:.2f}s", flush=True)

    ours_best, ours_median = summary(ours_times)
    plain_best, plain_median = summary(plain_times)
    cold_best, cold_median = summary(cold_times)
    ratio_best, ratio_median = ours_best / plain_best, ours_median / plain_median
    meets = "yes" if ratio_median <= TARGET_RATIO else "no"

    print()
    print(
        f"Code-location load time, {args.rounds} round(s), each load in a fresh process; "
        "'resolve' = Definitions.validate_loadable"
    )
    print()
    rows = [
        ("models", f"{args.models}"),
        ("environments", f"{len(ENVIRONMENTS)}"),
        ("assets (ours / plain)", f"{len(ours_assets)} / {len(plain_assets)}"),
        ("partitioned assets", f"{partitioned}"),
        ("same asset keys and deps on both sides", "yes" if same_deps else "NO"),
        ("ours  seconds  best / median", f"{ours_best:.2f} / {ours_median:.2f}"),
        ("plain seconds  best / median", f"{plain_best:.2f} / {plain_median:.2f}"),
        ("ratio ours/plain  best / median", f"{ratio_best:.2f} / {ratio_median:.2f}"),
        (f"meets target (median ratio <= {TARGET_RATIO})", meets),
        ("ours, cold reference cache  best / median", f"{cold_best:.2f} / {cold_median:.2f}"),
        ("ratio cold/plain  best / median", f"{cold_best / plain_best:.2f} / {cold_median / plain_median:.2f}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")

    print()
    print("Where our time goes (seconds; best / median over rounds, share of median total):")
    medians = {name: statistics.median(values) for name, values in stage_times.items()}
    total = sum(medians.values())
    width = max(len(name) for name in stage_times)
    for name, values in stage_times.items():
        best, median = summary(values)
        print(f"  {name:<{width}}  {best:6.2f} / {median:6.2f}  {100 * medians[name] / total:5.1f}%")
    print(f"  {'total':<{width}}  {'':6}   {total:6.2f}")
    print(f"  (for scale: plain's whole load, build + validate_loadable, median {plain_median:.2f})")
    print(
        f"  with a cold reference cache, finding the tables parses every tag: best / median "
        f"{min(cold_parse):.2f} / {statistics.median(cold_parse):.2f}"
    )
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)

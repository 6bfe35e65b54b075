"""Code-location load time: model-jobs specs vs. a plain hand-written Dagster Definitions.

It writes job_specs for N models (default 1,000) x 3 environments shaped like the demo (design on
`tag: latest`, prd and sandbox pinned to two tags, with source mappings); each model has two tags of
different SQL over its own two raw tables, one in five also reads another model. Each load runs in a
fresh process, as a code server loads a location, the three side by side (order rotating by round):

* ours: load_project + build_definitions + Definitions.validate_loadable (which resolves what a code
  server's load does: repository, asset graph, implicit jobs, resources), reference cache warm;
* cold: the same with an empty cache, the first load ever (every tag's SQL is parsed);
* plain: a factory loop of @asset declaring the same assets and deps (environment partitions, raw
  tables, deployments), descriptions, owners, kinds, metadata and resource, and the same job per
  model (an asset job tagged by partition, the in-process executor), + validate_loadable.

Targets (exit 1 when one is missed, unless --no-fail): median ours <= 1.5 x median plain; both sides
declare the same asset keys and deps. Per stage, cold minus ours in load_project is parsing every
tag. Run it: make bench-load, or python bench/load_time.py --models 200 --rounds 3 (small sizes are
dominated by Dagster's fixed costs: their ratios read higher).
"""

# No `from __future__ import annotations`: Dagster inspects the asset functions' type hints.
import gc
import multiprocessing
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import dagster as dg
import harness  # bench/harness.py, next to this script
import yaml
from dagster_snowflake import SnowflakeResource

from model_jobs.compile.reference_cache import CACHE_DIR_ENV
from model_jobs.defs.build import build_definitions
from model_jobs.defs.resources import snowflake_resource_from_env
from model_jobs.project import load_project
from model_jobs.specs.tags import lock_line

ENVIRONMENTS = {  # name: role, target, description; the first is the design environment
    "marketing_dev": ("MARKETING_DEV", "ANALYTICS_DEV.MARTS", "Where the marketing team designs models."),
    "marketing_prd": ("MARKETING_PRD", "ANALYTICS_PRD.MARTS", "Production marts behind the dashboards."),
    "sandbox": ("SANDBOX", "SANDBOX.MARKETING", "Try a new version on a small sample."),
}
JOBS = {  # name: tag, source mapping
    "marketing_prd": ("2026.1", "DATALAKE_DEV", "DATALAKE_PRD"),
    "sandbox": ("2026.2", "DATALAKE_DEV.RAW", "DATALAKE_DEV.SAMPLE"),
}
TAGS = {"2026.1": ("2026-09-20T08:00:00Z", "First version"), "2026.2": ("2026-11-02T16:45:00Z", "No cancelled orders")}
ORDERS = {"ORDER_ID": "NUMBER", "CUSTOMER_ID": "NUMBER", "ORDERED_AT": "TIMESTAMP_NTZ", "STATUS": "VARCHAR"}
ORDERS |= {"AMOUNT": "NUMBER(10,2)", "UPDATED_AT": "TIMESTAMP_NTZ"}
CUSTOMERS = {"CUSTOMER_ID": "NUMBER", "NAME": "VARCHAR", "EMAIL": "VARCHAR", "COUNTRY": "VARCHAR"}
CUSTOMERS |= {"SIGNED_UP_AT": "TIMESTAMP_NTZ"}
SQL = {
    "2026.1": """\
WITH orders AS (SELECT ORDER_ID, CUSTOMER_ID, AMOUNT FROM {orders})
SELECT c.CUSTOMER_ID, c.NAME,{up_column} COUNT(o.ORDER_ID) AS ORDERS, COALESCE(SUM(o.AMOUNT), 0) AS LIFETIME_VALUE
FROM {customers} AS c LEFT JOIN orders AS o ON o.CUSTOMER_ID = c.CUSTOMER_ID{up_join}
GROUP BY c.CUSTOMER_ID, c.NAME
""",
    "2026.2": """\
-- 2026.2: cancelled orders no longer count; adds country, average order and last order.
WITH orders AS (SELECT ORDER_ID, CUSTOMER_ID, ORDERED_AT, AMOUNT FROM {orders} WHERE STATUS <> 'CANCELLED')
SELECT c.CUSTOMER_ID, c.NAME, UPPER(c.COUNTRY) AS COUNTRY,{up_column} COUNT(o.ORDER_ID) AS ORDERS,
    SUM(o.AMOUNT) AS LIFETIME_VALUE, ROUND(AVG(o.AMOUNT), 2) AS AVG_ORDER_VALUE, MAX(o.ORDERED_AT) AS LAST_ORDER_AT
FROM {customers} AS c JOIN orders AS o ON o.CUSTOMER_ID = c.CUSTOMER_ID{up_join}
GROUP BY c.CUSTOMER_ID, c.NAME, c.COUNTRY
""",
}


@dataclass(frozen=True)
class GenModel:
    k: int
    upstream: str | None  # another model, whose design target it reads

    @property
    def name(self) -> str:
        return f"mart_{self.k:05d}"

    @property
    def raw(self) -> dict[str, tuple[str, dict[str, str]]]:
        """Its raw tables: name -> (description, columns)."""
        return {
            f"DATALAKE_DEV.RAW.ORDERS_{self.k:05d}": (f"One row per order (segment {self.k}).", ORDERS),
            f"DATALAKE_DEV.RAW.CUSTOMERS_{self.k:05d}": (f"Customers from the CRM (segment {self.k}).", CUSTOMERS),
        }

    @property
    def about(self) -> tuple[str, list[str], str]:
        """Description, owners, group."""
        text = f"Revenue and order counts per customer and country for segment {self.k}, used by marketing dashboards."
        return text, ["team:marketing", f"analyst{self.k % 17}@example.com"], f"marketing_{self.k % 8}"

    def sql(self, tag: str) -> str:
        orders, customers = self.raw
        if not self.upstream:
            return SQL[tag].format(orders=orders, customers=customers, up_column="", up_join="")
        join = f"\nLEFT JOIN ANALYTICS_DEV.MARTS.{self.upstream} AS u ON u.CUSTOMER_ID = c.CUSTOMER_ID"
        column = " MAX(u.LIFETIME_VALUE) AS UPSTREAM_VALUE,"
        return SQL[tag].format(orders=orders, customers=customers, up_column=column, up_join=join)

    def reads(self, env: str) -> list[str]:
        """The tables one environment's job reads, after its source mapping; last, its target."""
        _, old, new = JOBS.get(env, ("", "", ""))
        tables = [t.replace(old + ".", new + ".", 1) if old else t for t in self.raw]
        target = ENVIRONMENTS[env][1]
        return [*tables, *([f"{target}.{self.upstream}"] if self.upstream else []), f"{target}.{self.name.upper()}"]


def generate_models(count: int, seed: int = 42) -> list[GenModel]:
    rng = random.Random(seed)
    return [GenModel(k, f"MART_{rng.randrange(k):05d}" if k % 5 == 4 else None) for k in range(count)]


def write_specs(root: Path, models: list[GenModel]) -> None:
    """A job_specs folder in the format of the demo's."""
    design, environments = next(iter(ENVIRONMENTS)), {}
    for env, (role, target, description) in ENVIRONMENTS.items():
        database, schema = target.split(".")
        target_spec = {"database": database, "schema": schema}
        environments[env] = {"description": description, "role": role, "warehouse": f"{role}_WH", "target": target_spec}
    sources = {t: {"description": d, "columns": dict(c)} for m in models for t, (d, c) in m.raw.items()}
    files = {"environments.yaml": {"design_environment": design, "environments": environments}}
    files["sources.yaml"] = {"sources": sources}
    jobs = {env: {"tag": tag, "source_mapping": {old: new}} for env, (tag, old, new) in JOBS.items()}
    for m in models:
        files[f"models/{m.name}/model.yaml"] = dict(zip(["description", "owners", "group"], m.about, strict=True))
        files[f"jobs/{m.name}.yaml"] = {"model": m.name, "jobs": {design: {"tag": "latest"}, **jobs}}
        files |= {f"models/{m.name}/tags/{tag}.sql": m.sql(tag) for tag in TAGS}
        files[f"models/{m.name}/tags.lock"] = "".join(lock_line(t, m.sql(t), *TAGS[t]) + "\n" for t in TAGS)
        files[f"models/{m.name}/model.sql"] = m.sql("2026.2")
    harness.write_files(
        root, {n: f if isinstance(f, str) else yaml.safe_dump(f, sort_keys=False) for n, f in files.items()}
    )


def plain_definitions(models: list[GenModel]) -> dg.Definitions:
    """What a team would write by hand: a factory loop over a list of models."""
    partitions = dg.StaticPartitionsDefinition(list(ENVIRONMENTS))
    sources = [
        dg.AssetSpec(
            key=table.lower().split("."),
            description=description,
            group_name="sources",
            kinds={"snowflake"},
            metadata={
                "dagster/table_name": table,
                "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(n, t) for n, t in columns.items()]),
            },
        )
        for m in models
        for table, (description, columns) in m.raw.items()
    ]
    # Ours also declares where the deploys of each model are reported: the same here.
    deploys = {"group_name": "deployments", "partitions_def": partitions}
    sources += [dg.AssetSpec(["deployments", m.name], description=f"Deploys of {m.name!r}.", **deploys) for m in models]

    def make_asset(model: GenModel) -> dg.AssetsDefinition:
        rows = [f"| {e} | {'<br>'.join(model.reads(e)[:-1])} | {model.reads(e)[-1]} |" for e in ENVIRONMENTS]
        description, owners, group = model.about

        @dg.asset(
            key=model.name,
            partitions_def=partitions,
            deps=[*([model.upstream.lower()] if model.upstream else []), *(t.lower().split(".") for t in model.raw)],
            description="\n".join([description, "", "| environment | reads | target |", "|---|---|---|", *rows]),
            group_name=group,
            owners=owners,
            kinds={"snowflake"},
            metadata={"environments": dg.MetadataValue.json({e: {"target": model.reads(e)[-1]} for e in ENVIRONMENTS})},
        )
        def _materialize(context: dg.AssetExecutionContext, snowflake: SnowflakeResource) -> dg.MaterializeResult:
            raise RuntimeError(f"the plain benchmark asset {model.name} is not meant to run")  # only loading is timed

        return _materialize

    resources = {"snowflake": snowflake_resource_from_env()}
    model_assets = [make_asset(m) for m in models]
    # Ours gives every model a job (<model>_job) whose runs are tagged by partition: the same here,
    # resolved the way ours is, against the model's asset only. (Written the obvious way, one
    # define_asset_job per model in the Definitions, 1,000 jobs take ~35 s: Dagster resolves each
    # against the whole code location.)
    jobs = [
        dg.Definitions(
            assets=[asset],
            jobs=[
                dg.define_asset_job(
                    f"{model.name}_job",
                    selection=[asset.key],
                    config=dg.PartitionedConfig(
                        partitions_def=partitions,
                        run_config_for_partition_key_fn=lambda _: {},
                        tags_for_partition_key_fn=lambda env, name=model.name: {"model_job": f"{name}@{env}"},
                    ),
                )
            ],
            resources=resources,
            executor=dg.in_process_executor,
        ).resolve_job_def(f"{model.name}_job")
        for model, asset in zip(models, model_assets, strict=True)
    ]
    return dg.Definitions(
        assets=[*sources, *model_assets], jobs=jobs, resources=resources, executor=dg.in_process_executor
    )


def child(kind: str, specs_dir: Path, cache_dir: Path, models: int) -> dict:
    """One load, in a fresh process: seconds in all and per stage."""
    os.environ[CACHE_DIR_ENV] = str(cache_dir)
    generated = generate_models(models)
    gc.collect()
    clock = [time.perf_counter()]
    if kind == "plain":
        defs, stages = plain_definitions(generated), ["build Definitions"]
    else:
        project = load_project(specs_dir)
        clock.append(time.perf_counter())
        defs, stages = build_definitions(project), ["load_project", "build Definitions"]
    clock.append(time.perf_counter())
    dg.Definitions.validate_loadable(defs)
    clock.append(time.perf_counter())
    parts = dict(zip([*stages, "validate_loadable"], (b - a for a, b in pairwise(clock)), strict=True))
    return {"seconds": clock[-1] - clock[0], "parts": parts}


def in_fresh_process(kind: str, specs_dir: Path, cache_dir: Path, models: int) -> harness.Measured:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as process:
        return harness.Measured(**process.submit(child, kind, specs_dir, cache_dir, models).result())


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__, rounds=5)
    parser.add_argument("--models", type=int, default=1000, help="number of models (default 1000)")
    parser.add_argument("--max-ratio", type=float, default=1.5, help="target: median ours / plain (default 1.5)")
    args = parser.parse_args(argv)
    models = generate_models(args.models)
    with tempfile.TemporaryDirectory(prefix="model_jobs_bench_") as tmp:
        specs = Path(tmp) / "job_specs"
        write_specs(specs, models)
        # Both sides must declare the same asset graph for the comparison to mean anything.
        os.environ[CACHE_DIR_ENV] = str(Path(tmp) / "check-cache")
        graphs = [d.resolve_asset_graph() for d in (build_definitions(load_project(specs)), plain_definitions(models))]
        deps = [{key: graph.get(key).parent_keys for key in graph.get_all_asset_keys()} for graph in graphs]
        differing = sum(1 for key in deps[0].keys() | deps[1].keys() if deps[0].get(key) != deps[1].get(key))
        partitioned = sum(1 for key in deps[0] if graphs[0].get(key).partitions_def)
        assets = len(deps[0])
        del graphs, deps
        warm = Path(tmp) / "warm-cache"
        in_fresh_process("ours", specs, warm, args.models)  # fills the cache for every later load
        runs = harness.side_by_side(
            {
                "ours": lambda: in_fresh_process("ours", specs, warm, args.models),
                "cold": lambda: in_fresh_process("ours", specs, Path(tempfile.mkdtemp(dir=tmp)), args.models),
                "plain": lambda: in_fresh_process("plain", specs, warm, args.models),
            },
            args.rounds,
        )
    figures = harness.summary(runs)
    plain = figures["plain"]["median"]
    stages = ["load_project", "build Definitions", "validate_loadable"]
    harness.table(
        f"Code-location load, {args.models} models x {len(ENVIRONMENTS)} environments ({assets} assets, {partitioned} "
        f"partitioned), each in a fresh process; seconds over {args.rounds} round(s), per stage the medians "
        "(load_project: specs + compile incl. the tables each tag reads; build Definitions: ours or the factory loop)",
        ["load", "best", "median", "median / plain", *stages],
        [
            [n, min(f["seconds"]), f["median"], f["median"] / plain, *(f["parts"].get(s, "") for s in stages)]
            for n, f in figures.items()
        ],
    )
    targets = [
        harness.Target("load ours / plain, medians", figures["ours"]["median"] / plain, args.max_ratio),
        harness.Target("assets whose key or deps differ from plain", differing, 0),
    ]
    figures |= {"models": args.models, "assets": assets, "partitioned": partitioned}
    return harness.finish("load_time", args, figures, targets)


if __name__ == "__main__":
    sys.exit(main())

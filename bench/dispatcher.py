"""The dispatcher sensor: one evaluation over many Model Jobs, a long event history, new events.

It writes job_specs (bench/load_time.py's generator) where Model Jobs listen to events: each model's
`marketing_prd` and `sandbox` jobs run after the previous model's job in their own environment, and
one model in four's also after a deployment declared in upstream.yaml (svc_00 .. svc_16), so the
triggers form chains, never a cycle. It loads them (load_project + build_definitions), opens a
persistent SQLite instance in a temporary folder, reports 10,000 materializations spread over the
watched keys and partitions (the history), runs one tick to set the cursor, then per round reports
K new events and times ONE evaluation of `model_jobs_events` from the stored cursor, counting the
SQL statements the instance sends meanwhile (a SQLAlchemy `before_cursor_execute` listener on every
Engine). Seconds are medians over the rounds; statements too (they are the same in every round).

Cells: event-triggered Model Jobs in {N/10, N} (default N = 1,000) x new events K in {10, 100}.
"same" events are the same in both sizes (the same keys and partitions, in the same order, on keys
both projects watch), so a difference between sizes comes from the number of Model Jobs alone;
"spread" (N only) puts the K events on K different models, the most keys to read per event.
Info: what the sensor daemon then does in the same tick with the observations the evaluation
returns (one `report_runless_asset_event` each, as dagster/_daemon/sensor.py does), timed and counted.

Targets (exit 1 when one is missed, unless --no-fail): the evaluation median for N jobs and 100 new
events < 2 s (the slower of both patterns); statements(N jobs, K new) <= statements(N/10 jobs, K
new) + 5 for each K (they do not grow with the Model Jobs); statements grow with K; every
evaluation requests runs and no run key repeats. For context: one sensor per Model Job would cost
~42 statements each per daemon tick (../shared/DESIGN.md), 42 x N. Run it: make bench-dispatcher,
or python bench/dispatcher.py --models 1000 --rounds 5. The history is reported through Dagster's
public `report_runless_asset_event`, with SQLite's `synchronous` pragma off while it is written
(only then; it halves the ~8 ms each report costs); the time is printed.
"""

import contextlib
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness  # bench/harness.py, next to this script
import load_time  # bench/load_time.py: the spec generator
import yaml
from dagster import AssetKey, AssetMaterialization, DagsterInstance, Definitions, SensorDefinition, build_sensor_context
from sqlalchemy import event
from sqlalchemy.pool import Pool

from model_jobs.compile.reference_cache import CACHE_DIR_ENV
from model_jobs.compile.triggers import DISPATCHER_SENSOR
from model_jobs.defs.build import build_definitions
from model_jobs.defs.instance import DEV_INSTANCE_SETTINGS
from model_jobs.defs.keys import deployment_key, model_key
from model_jobs.project import load_project

ENVIRONMENTS = list(load_time.ENVIRONMENTS)  # marketing_dev (design), marketing_prd, sandbox
LISTENING = ["marketing_prd", "sandbox"]  # the environments whose jobs have event triggers
HISTORY = 10_000
NEW_EVENTS = (10, 100)
PER_SENSOR_STATEMENTS = 42  # ../shared/DESIGN.md: what the daemon's tick costs per sensor


def deployment_of(k: int) -> str | None:
    """The upstream deployment model k's jobs also listen to: one model in four."""
    return f"svc_{k % 20:02d}" if k % 4 == 0 else None


def write_trigger_specs(root: Path, jobs: int) -> list[str]:
    """job_specs with `jobs` event-triggered Model Jobs (two per model after the first); the
    deployment names declared in upstream.yaml."""
    models = load_time.generate_models(jobs // len(LISTENING) + 1)
    load_time.write_specs(root, models)
    deployments: set[str] = set()
    for model in models[1:]:
        path = root / "jobs" / f"{model.name}.yaml"
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        on: list[dict[str, str]] = [{"model_job": models[model.k - 1].name}]
        if deployment := deployment_of(model.k):
            deployments.add(deployment)
            on.append({"deployment": deployment})
        for env in LISTENING:
            spec["jobs"][env]["trigger"] = {"on": [dict(e) for e in on]}  # no shared object: no YAML alias
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    upstream = {"deployments": {d: {"description": f"Upstream service {d}."} for d in sorted(deployments)}}
    (root / "upstream.yaml").write_text(yaml.safe_dump(upstream, sort_keys=False), encoding="utf-8")
    return sorted(deployments)


@dataclass
class Project:
    jobs: int
    defs: Definitions
    sensor: SensorDefinition
    triggered: int  # Model Jobs with event triggers
    models: list[str]  # the watched models (every one but the last)
    deployments: list[str]
    load_seconds: float


def load(tmp: Path, jobs: int) -> Project:
    root = tmp / f"job_specs_{jobs}"
    deployments = write_trigger_specs(root, jobs)
    start = time.perf_counter()
    project = load_project(root)
    defs = build_definitions(project)
    seconds = time.perf_counter() - start
    triggered = sum(1 for t in project.triggers.values() if t.on)
    models = sorted({s.name for t in project.triggers.values() for s in t.on if s.kind == "model_job"})
    return Project(jobs, defs, defs.resolve_sensor_def(DISPATCHER_SENSOR), triggered, models, deployments, seconds)


@contextlib.contextmanager
def sqlite_unsynced() -> Iterator[None]:
    """SQLite without waiting for the disk on commit, for the connections opened meanwhile: only
    to write the history faster; the measured evaluations run with the default settings."""

    def unsynced(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    event.listen(Pool, "connect", unsynced)
    try:
        yield
    finally:
        event.remove(Pool, "connect", unsynced)


def report(instance: DagsterInstance, events: list[tuple[AssetKey, str]]) -> None:
    for key, partition in events:
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=partition))


def history(project: Project, count: int, seed: int = 7) -> list[tuple[AssetKey, str]]:
    """`count` events spread at random over every key the project watches and every environment."""
    rng = random.Random(seed)
    keys = [model_key(m) for m in project.models] + [deployment_key(d) for d in project.deployments]
    return [(rng.choice(keys), rng.choice(ENVIRONMENTS)) for _ in range(count)]


def same_events(small: Project, count: int) -> list[tuple[AssetKey, str]]:
    """`count` events over keys both sizes watch (the smaller project's), one key after the other,
    the listening environments first: the same events whatever the number of Model Jobs."""
    keys = [deployment_key(d) for d in small.deployments] + [model_key(m) for m in small.models]
    order = [*LISTENING, ENVIRONMENTS[0]]
    return [(keys[i % len(keys)], order[(i // len(keys)) % len(order)]) for i in range(count)]


def spread_events(project: Project, count: int) -> list[tuple[AssetKey, str]]:
    """`count` events on `count` different models (as far as there are), in listening environments."""
    step = max(1, len(project.models) // count)
    return [(model_key(project.models[(i * step) % len(project.models)]), LISTENING[i % 2]) for i in range(count)]


@dataclass
class Cell:
    jobs: int
    new: int
    pattern: str
    seconds: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    runs: list[int] = field(default_factory=list)
    keys_read: list[int] = field(default_factory=list)
    run_keys: Counter[str] = field(default_factory=Counter)
    observations: list[int] = field(default_factory=list)
    observation_statements: list[int] = field(default_factory=list)
    observation_seconds: list[float] = field(default_factory=list)
    top_statements: list[tuple[str, int]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.jobs} jobs, {self.new} new, {self.pattern}"

    def figures(self) -> dict[str, Any]:
        return {
            "jobs": self.jobs,
            "new_events": self.new,
            "pattern": self.pattern,
            "seconds": self.seconds,
            "median_seconds": statistics.median(self.seconds),
            "statements": self.statements,
            "median_statements": statistics.median(self.statements),
            "run_requests": self.runs,
            "keys_moved": self.keys_read,
            "repeated_run_keys": sum(n - 1 for n in self.run_keys.values() if n > 1),
            "top_statements": self.top_statements,
            "observations": self.observations,
            "observation_statements": self.observation_statements,
            "observation_seconds": self.observation_seconds,
        }


class Dispatcher:
    """One project's dispatcher on the shared instance, with the cursor it stored last."""

    def __init__(self, project: Project, instance: DagsterInstance, counter: harness.StatementCounter) -> None:
        self.project, self.instance, self.counter = project, instance, counter
        first = self.tick(None)  # a new dispatcher starts from the newest event
        self.cursor = first.cursor
        assert not first.run_requests, "the first tick only sets the cursor"

    def tick(self, cursor: str | None) -> Any:
        context = build_sensor_context(instance=self.instance, cursor=cursor, definitions=self.project.defs)
        # The tick logs a line per decision to a console logger it makes itself: kept (the daemon
        # pays for it too), but not printed.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return self.project.sensor.evaluate_tick(context)

    def catch_up(self) -> None:
        """Read (unmeasured) what other projects reported meanwhile, so the next round sees only its own."""
        self.cursor = self.tick(self.cursor).cursor

    def measure(self, cell: Cell, events: list[tuple[AssetKey, str]]) -> None:
        report(self.instance, events)
        with self.counter.measure():
            seconds, result = harness.timed(lambda: self.tick(self.cursor))
        self.cursor = result.cursor
        requests = result.run_requests or []
        cell.seconds.append(seconds)
        cell.statements.append(self.counter.count)
        cell.runs.append(len(requests))
        cell.keys_read.append(len({key for key, _ in events}))
        cell.run_keys.update(r.run_key for r in requests)
        cell.top_statements = self.counter.texts.most_common(6)
        # What the sensor daemon then does with the observations the evaluation returns (one per
        # Model Job an event reached): it reports each, in the same tick (dagster/_daemon/sensor.py).
        observations = list(result.asset_events or [])
        with self.counter.measure():
            seconds, _ = harness.timed(lambda: [self.instance.report_runless_asset_event(o) for o in observations])
        cell.observations.append(len(observations))
        cell.observation_statements.append(self.counter.count)
        cell.observation_seconds.append(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__, rounds=5)
    parser.add_argument(
        "--models",
        "--jobs",
        dest="jobs",
        type=int,
        default=1000,
        help="event-triggered Model Jobs of the large project (default 1000); the small one has a tenth",
    )
    parser.add_argument("--history", type=int, default=HISTORY, help=f"events before the cursor (default {HISTORY})")
    parser.add_argument("--max-seconds", type=float, default=2.0, help="target: seconds per evaluation (default 2)")
    args = parser.parse_args(argv)
    sizes = [max(args.jobs // 10, 20), args.jobs]
    counter = harness.StatementCounter()
    saved_cache_dir = os.environ.get(CACHE_DIR_ENV)
    with tempfile.TemporaryDirectory(prefix="model_jobs_bench_") as tmp_name:
        tmp = Path(tmp_name)
        os.environ[CACHE_DIR_ENV] = str(tmp / "cache")  # nothing goes to the user's reference cache
        small, large = (load(tmp, jobs) for jobs in sizes)
        for p in (small, large):
            print(f"{p.triggered} event-triggered Model Jobs: loaded in {p.load_seconds:.1f} s", flush=True)
        home = tmp / "dagster_home"  # with the instance settings `make dev` writes
        home.mkdir()
        (home / "dagster.yaml").write_text(DEV_INSTANCE_SETTINGS, encoding="utf-8")
        with DagsterInstance.local_temp(str(home)) as instance:
            with sqlite_unsynced():
                seeding, _ = harness.timed(lambda: report(instance, history(large, args.history)))
            print(
                f"history: {args.history} materializations reported in {seeding:.1f} s "
                f"({1000 * seeding / args.history:.1f} ms each, SQLite synchronous=OFF meanwhile)",
                flush=True,
            )
            cells = [Cell(p.jobs, k, "same") for p in (small, large) for k in NEW_EVENTS]
            cells += [Cell(large.jobs, k, "spread") for k in NEW_EVENTS]
            dispatchers = {p.jobs: Dispatcher(p, instance, counter) for p in (small, large)}
            for d in dispatchers.values():  # warm up: one evaluation each, not measured
                d.catch_up()
                d.measure(Cell(d.project.jobs, 1, "warm-up"), same_events(small, 10))
            for round_ in range(args.rounds):
                for cell in cells[round_ % len(cells) :] + cells[: round_ % len(cells)]:
                    dispatcher = dispatchers[cell.jobs]
                    dispatcher.catch_up()
                    events = (
                        same_events(small, cell.new)
                        if cell.pattern == "same"
                        else spread_events(dispatcher.project, cell.new)
                    )
                    dispatcher.measure(cell, events)
                print(
                    f"  round {round_ + 1}: "
                    + ", ".join(f"{c.name} {c.seconds[-1]:.3f}s/{c.statements[-1]}" for c in cells),
                    flush=True,
                )
    counter.close()
    os.environ.pop(CACHE_DIR_ENV, None)
    if saved_cache_dir is not None:
        os.environ[CACHE_DIR_ENV] = saved_cache_dir
    by = {(c.jobs, c.new, c.pattern): c for c in cells}

    def med(values: list[Any]) -> Any:
        value = statistics.median(values)
        return int(value) if isinstance(value, float) and value.is_integer() and isinstance(values[0], int) else value

    harness.table(
        f"One evaluation of {DISPATCHER_SENSOR} from its stored cursor, {args.history} events before it; "
        f"medians over {args.rounds} round(s). Then (info) what the daemon does with the observations it "
        "returns: one report_runless_asset_event each, in the same tick",
        [
            "Model Jobs",
            "new events",
            "events on",
            "keys moved",
            "seconds",
            "best",
            "SQL statements",
            "run requests",
            "repeated run keys",
            "observations",
            "storing them: statements",
            "seconds",
        ],
        [
            [
                c.jobs,
                c.new,
                c.pattern,
                med(c.keys_read),
                med(c.seconds),
                min(c.seconds),
                med(c.statements),
                med(c.runs),
                sum(n - 1 for n in c.run_keys.values() if n > 1),
                med(c.observations),
                med(c.observation_statements),
                med(c.observation_seconds),
            ]
            for c in cells
        ],
    )
    per_sensor = PER_SENSOR_STATEMENTS * large.triggered
    ours = max(med(by[(large.jobs, 100, p)].statements) for p in ("same", "spread"))
    harness.table(
        "For context: statements per daemon tick (the runs it creates aside)",
        ["design", "statements"],
        [
            [f"one sensor per Model Job: ~{PER_SENSOR_STATEMENTS} x {large.triggered}", per_sensor],
            [
                f"ours: one dispatcher, {large.triggered} jobs, 100 new (+ ~{PER_SENSOR_STATEMENTS} for its tick)",
                ours + PER_SENSOR_STATEMENTS,
            ],
        ],
    )
    fan_out = by[(large.jobs, 100, "same")]
    stored, stored_seconds = med(fan_out.observation_statements), med(fan_out.observation_seconds)
    if stored > med(fan_out.statements):
        print(
            "\nNote: storing the evaluation's observations (one per Model Job an event reached, "
            f"{med(fan_out.observations)} for {fan_out.name}) costs the daemon {stored} statements and "
            f"{stored_seconds:.2f} s in the same tick, more than the evaluation itself ({med(fan_out.statements)} "
            f"statements, {med(fan_out.seconds):.2f} s). It grows with the Model Jobs the events reach (a "
            "deployment many jobs listen to), like the run requests; a run's tags already say why it started, "
            "so observations only for the jobs that did not start would cut it.",
            flush=True,
        )
    heaviest = by[(large.jobs, 100, "spread")]
    print("\nMost frequent statements in one evaluation (" + heaviest.name + "):")
    for text, n in heaviest.top_statements:
        print(f"  {n:4d}  {text}")
    slowest = max(statistics.median(by[(large.jobs, 100, p)].seconds) for p in ("same", "spread"))
    targets = [
        harness.Target(f"seconds per evaluation, {large.jobs} jobs, 100 new (median)", slowest, args.max_seconds)
    ]
    for k in NEW_EVENTS:
        grow = statistics.median(by[(large.jobs, k, "same")].statements) - statistics.median(
            by[(small.jobs, k, "same")].statements
        )
        targets.append(harness.Target(f"statements {large.jobs} jobs minus {small.jobs} jobs, {k} new", grow, 5))
    for p in (small, large):
        low, high = (statistics.median(by[(p.jobs, k, "same")].statements) for k in NEW_EVENTS)
        targets.append(
            harness.Target(f"statements, {p.jobs} jobs: {NEW_EVENTS[0]} new minus 100 new (< 0)", low - high, -1)
        )
    targets.append(harness.Target("evaluations that requested no run", sum(r == 0 for c in cells for r in c.runs), 0))
    targets.append(
        harness.Target("repeated run keys", sum(n - 1 for c in cells for n in c.run_keys.values() if n > 1), 0)
    )
    figures = {c.name: c.figures() for c in cells}
    figures |= {
        "sizes": {
            p.jobs: {
                "triggered": p.triggered,
                "watched models": len(p.models),
                "deployments": len(p.deployments),
                "load_seconds": p.load_seconds,
            }
            for p in (small, large)
        },
        "history_seconds": seeding,
        "one_sensor_per_job_statements": per_sensor,
    }
    return harness.finish("dispatcher", args, figures, targets)


if __name__ == "__main__":
    sys.exit(main())

"""The scheduler daemon's cost per iteration with one schedule per scheduled Model Job.

It writes job_specs (bench/load_time.py's generator) for S models whose `marketing_prd` job has a
schedule, so S schedules as model_jobs/defs/triggers.py builds them, over 24 distinct cron + time
zone pairs (daily at minute 0/15/30/45 of hour 6/7/8, UTC or Europe/Berlin). Then it does what
`dagster-daemon run -w workspace.yaml` does, in this process: the daemon's code-server registry
starts a code server for the module `model_jobs.definitions` on those specs, a
WorkspaceProcessContext serves it, and each iteration is ONE call of Dagster's
`launch_scheduled_runs` (dagster/_scheduler/scheduler.py), the body of the scheduler daemon's loop
(`execute_scheduler_iteration_loop`, which runs it once a minute, on a persistent SQLite instance
with the settings `make dev` writes), with the loop's own arguments. The time of each iteration is
given to it, so the same minute-by-minute sequence runs every round, each on a wiped instance:

* first: the daemon meets the schedules for the first time (it stores a state per schedule);
* restart: the daemon (re)starts, states stored: every schedule is looked at once;
* idle: the next minute, none due: the daemon skips schedules from what it remembers;
* due: the minute when some are due (06:00 UTC: 0 6 UTC and 0 7 Europe/Berlin): runs are created;
* after: the minute after.

SQL statements are counted in this process (a SQLAlchemy `before_cursor_execute` listener on every
Engine); the code server runs the schedule functions, which do not touch the instance. Info only:
the workspace refresh the daemon's controller does every 60 s (RELOAD_WORKSPACE_INTERVAL), as
`dagster dev` runs it (snapshot fetched again from the running code server) and as
`dagster-daemon run -w workspace.yaml` runs it (a new code server, which loads the location again).

Targets (exit 1 when one is missed, unless --no-fail), with S schedules (default 1,000): the
steady-state iterations (restart, idle, after) < 10 s each; the first iteration <= 20 ms per
schedule (it happens once per new schedule); the due one <= 0.5 s per run it creates (Dagster's
cost of creating a run, not ours). Sizes S/10 and S; medians over the rounds. When an iteration is slow, a note says
why, per schedule or per run, and what would help. Run it: make bench-schedules, or
python bench/schedules.py --models 1000 --rounds 3.
"""

import contextlib
import io
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import harness  # bench/harness.py, next to this script
import load_time  # bench/load_time.py: the spec generator
import yaml
from dagster import DagsterInstance
from dagster._core.definitions.timestamp import TimestampWithTimezone
from dagster._core.storage.tags import SCHEDULE_NAME_TAG
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import ModuleTarget
from dagster._daemon.controller import RELOAD_WORKSPACE_INTERVAL, create_daemon_grpc_server_registry
from dagster._scheduler.scheduler import launch_scheduled_runs
from dagster._utils.error import SerializableErrorInfo

from model_jobs.compile.reference_cache import CACHE_DIR_ENV
from model_jobs.defs.instance import DEV_INSTANCE_SETTINGS
from model_jobs.project import SPECS_DIR_ENV

ROOT = Path(__file__).resolve().parent.parent  # where workspace.yaml's module loads from
SCHEDULED = "marketing_prd"
TIMEZONES = ["UTC", "Europe/Berlin"]
# (label, minutes after 05:57:30 UTC, whether the daemon forgets what it remembered: a new process)
ITERATIONS = [("first", 0, True), ("restart", 1, True), ("idle", 2, False), ("due", 3, False), ("after", 4, False)]


def schedule_of(k: int) -> dict[str, str]:
    """Model k's schedule: 24 distinct cron + time zone pairs over the models."""
    return {"cron": f"{(k % 4) * 15} {6 + (k // 4) % 3} * * *", "timezone": TIMEZONES[(k // 12) % 2]}


def write_scheduled_specs(root: Path, count: int) -> int:
    """job_specs with `count` scheduled Model Jobs; the number of distinct cron + time zone pairs."""
    models = load_time.generate_models(count)
    load_time.write_specs(root, models)
    for model in models:
        path = root / "jobs" / f"{model.name}.yaml"
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec["jobs"][SCHEDULED]["trigger"] = {"schedule": schedule_of(model.k)}
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return len({tuple(schedule_of(m.k).values()) for m in models})


@dataclass
class Iteration:
    schedules: int
    label: str
    seconds: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    runs: list[int] = field(default_factory=list)  # runs created by the iteration
    top_statements: list[tuple[str, int]] = field(default_factory=list)

    def median(self, name: str) -> Any:
        values = getattr(self, name)
        value = statistics.median(values)
        return int(value) if isinstance(values[0], int) and float(value).is_integer() else value


MAX_FIRST_SECONDS_PER_SCHEDULE = 0.02
MAX_DUE_SECONDS_PER_RUN = 0.5


@dataclass
class Size:
    schedules: int
    distinct: int  # cron + time zone pairs
    load_seconds: float
    iterations: dict[str, Iteration]
    evaluation_seconds: float = 0.0  # one schedule evaluated by the code server, as the daemon asks it
    due_groups: int = 0  # distinct cron + time zone pairs among the schedules due
    refresh_seconds: float = 0.0
    new_server_seconds: float = 0.0


@contextlib.contextmanager
def daemon_workspace(instance: DagsterInstance) -> Iterator[tuple[WorkspaceProcessContext, Any]]:
    """What the daemon's controller builds for `-w workspace.yaml` (daemon_controller_from_instance):
    its code-server registry and a workspace over our module, loaded from the specs in $MODEL_JOBS_SPECS_DIR."""
    target = ModuleTarget("model_jobs.definitions", "defs", str(ROOT), "model_jobs")
    with (
        create_daemon_grpc_server_registry(instance, code_server_log_level="WARNING") as registry,
        WorkspaceProcessContext(instance, target, grpc_server_registry=registry) as context,
    ):
        yield context, registry


def quiet_logger() -> logging.Logger:
    logger = logging.getLogger("bench.scheduler")
    logger.propagate = False
    logger.addHandler(logging.NullHandler())
    return logger


def one_iteration(
    context: WorkspaceProcessContext, when: datetime, remembered: dict[str, Any], logger: logging.Logger
) -> list[SerializableErrorInfo]:
    """One pass of the scheduler daemon's loop at `when`, with the arguments the loop gives."""
    scheduler = context.instance.scheduler
    assert scheduler is not None
    yielded = launch_scheduled_runs(
        context,
        logger,
        end_datetime_utc=when,
        iteration_times=remembered,
        max_catchup_runs=scheduler.max_catchup_runs,  # type: ignore[attr-defined]
        max_tick_retries=scheduler.max_tick_retries,  # type: ignore[attr-defined]
    )
    return [item for item in yielded if isinstance(item, SerializableErrorInfo)]


def measure_size(tmp: Path, count: int, rounds: int, counter: harness.StatementCounter, new_server: bool) -> Size:
    root = tmp / f"job_specs_{count}"
    distinct = write_scheduled_specs(root, count)
    home = tmp / f"dagster_home_{count}"
    home.mkdir()
    (home / "dagster.yaml").write_text(DEV_INSTANCE_SETTINGS, encoding="utf-8")
    os.environ[SPECS_DIR_ENV] = str(root)  # read by the code server the registry starts
    logger = quiet_logger()
    iterations = {label: Iteration(count, label) for label, _, _ in ITERATIONS}
    start = datetime.now(UTC).replace(hour=5, minute=57, second=30, microsecond=0)
    with DagsterInstance.local_temp(str(home)) as instance:
        begin = time.perf_counter()
        with daemon_workspace(instance) as (context, registry):
            entry = context.create_request_context().get_code_location_entries()["model_jobs"]
            if entry.load_error or not entry.code_location:
                raise RuntimeError(f"the code location did not load: {entry.load_error}")
            load_seconds = time.perf_counter() - begin
            repository = next(iter(entry.code_location.get_repositories().values()))
            found = len(repository.get_schedules())
            assert found == count, f"{found} schedules in the code location, {count} expected"
            print(f"{count} schedules: code server started and workspace loaded in {load_seconds:.1f} s", flush=True)
            for round_ in range(rounds):
                instance.wipe_all_schedules()  # every round starts as the first: no state, no tick, no run
                instance.wipe()
                remembered: dict[str, Any] = {}
                for label, minutes, forget in ITERATIONS:
                    if forget:
                        remembered = {}
                    runs_before = instance.get_runs_count()
                    with counter.measure():
                        seconds, errors = harness.timed(
                            lambda m=minutes, r=remembered: one_iteration(
                                context, start + timedelta(minutes=m), r, logger
                            )
                        )
                    if errors:
                        raise RuntimeError(f"the {label} iteration reported {len(errors)} errors: {errors[0]}")
                    it = iterations[label]
                    it.seconds.append(seconds)
                    it.statements.append(counter.count)
                    it.runs.append(instance.get_runs_count() - runs_before)
                    it.top_statements = counter.texts.most_common(5)
                print(
                    f"  round {round_ + 1}: "
                    + ", ".join(f"{i.label} {i.seconds[-1]:.2f}s/{i.statements[-1]}" for i in iterations.values()),
                    flush=True,
                )
            due_groups = len(
                {
                    tuple(schedule_of(int(run.tags[SCHEDULE_NAME_TAG].split("__")[0].removeprefix("mart_"))).values())
                    for run in instance.get_runs()
                }
            )
            evaluation = median_evaluation(instance, entry.code_location, repository, start + timedelta(minutes=3))
            refresh, _ = harness.timed(context.refresh_workspace)  # as under `dagster dev`
            again = 0.0
            if new_server:  # as under `dagster-daemon run -w workspace.yaml`: a new code server
                registry.clear_all_grpc_endpoints()
                with contextlib.redirect_stderr(io.StringIO()):
                    again, _ = harness.timed(context.refresh_workspace)
    return Size(count, distinct, load_seconds, iterations, evaluation, due_groups, refresh, again)


def median_evaluation(
    instance: DagsterInstance, location: Any, repository: Any, when: datetime, calls: int = 10
) -> float:
    """Seconds the daemon waits for the code server to evaluate one due schedule (its gRPC call), median."""
    schedules = repository.get_schedules()[:calls]
    at = TimestampWithTimezone(when.timestamp(), "UTC")
    seconds = []
    for schedule in schedules:
        start = time.perf_counter()
        location.get_schedule_execution_data(instance, repository.handle, schedule.name, at, None)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__, rounds=3)
    parser.add_argument(
        "--models",
        "--schedules",
        dest="schedules",
        type=int,
        default=1000,
        help="scheduled Model Jobs of the large size (default 1000); the small one has a tenth",
    )
    parser.add_argument("--max-seconds", type=float, default=10.0, help="target: seconds per iteration (default 10)")
    args = parser.parse_args(argv)
    counter = harness.StatementCounter()
    saved = {name: os.environ.get(name) for name in (SPECS_DIR_ENV, CACHE_DIR_ENV)}
    try:
        with tempfile.TemporaryDirectory(prefix="model_jobs_bench_") as tmp_name:
            tmp = Path(tmp_name)
            os.environ[CACHE_DIR_ENV] = str(tmp / "cache")  # nothing goes to the user's reference cache
            sizes = [
                measure_size(tmp, count, args.rounds, counter, new_server=count == args.schedules)
                for count in (max(args.schedules // 10, 10), args.schedules)
            ]
    finally:
        counter.close()
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
    rows = []
    for size in sizes:
        for it in size.iterations.values():
            runs = it.median("runs")
            per_run = it.label == "due" and runs > 0
            per = runs if per_run else size.schedules
            rows.append(
                [
                    size.schedules,
                    it.label,
                    it.median("seconds"),
                    max(it.seconds),
                    it.median("statements"),
                    runs,
                    f"{1000 * it.median('seconds') / per:.1f} ms, {it.median('statements') / per:.1f}"
                    + (" per run" if per_run else " per schedule"),
                ]
            )
    harness.table(
        f"One scheduler daemon iteration (launch_scheduled_runs) with S running schedules, SQLite instance; "
        f"medians over {args.rounds} round(s)",
        ["schedules", "iteration", "seconds", "worst", "SQL statements", "runs created", "per schedule (per run: due)"],
        rows,
    )
    harness.table(
        "Info: one due schedule evaluated by the code server (the daemon's gRPC call), median of 10, seconds",
        ["schedules", "seconds", "due cron + time zone pairs"],
        [[s.schedules, s.evaluation_seconds, s.due_groups] for s in sizes],
    )
    harness.table(
        f"Info: the daemon controller's workspace refresh, every {RELOAD_WORKSPACE_INTERVAL} s, in seconds",
        [
            "schedules",
            "first load (code server + workspace)",
            "refresh (dagster dev)",
            "new code server (dagster-daemon run)",
        ],
        [[s.schedules, s.load_seconds, s.refresh_seconds, s.new_server_seconds or "-"] for s in sizes],
    )
    large = sizes[-1]
    for it in large.iterations.values():
        if it.label in ("first", "due"):
            print(f"\nMost frequent statements, {large.schedules} schedules, {it.label} iteration:")
            for text, n in it.top_statements:
                print(f"  {n:6d}  {text}")
    notes(large)
    # The steady state (every minute) must be cheap whatever the number of schedules. The first
    # iteration (once per new schedule) and the due one (per run created, Dagster's own cost of
    # creating a run on SQLite) are bounded per schedule and per run instead.
    steady = [it for it in large.iterations.values() if it.label not in ("first", "due")]
    first, due = large.iterations["first"], large.iterations["due"]
    targets = [
        *(
            harness.Target(
                f"seconds, {large.schedules} schedules, {it.label} iteration (median)",
                it.median("seconds"),
                args.max_seconds,
            )
            for it in steady
        ),
        harness.Target(
            "first iteration: seconds per schedule (once per new schedule)",
            first.median("seconds") / large.schedules,
            MAX_FIRST_SECONDS_PER_SCHEDULE,
        ),
        harness.Target(
            "due iteration: seconds per run created",
            due.median("seconds") / max(1, due.median("runs")),
            MAX_DUE_SECONDS_PER_RUN,
        ),
    ]
    figures: dict[str, Any] = {
        str(s.schedules): {
            "distinct_cron_timezone": s.distinct,
            "due_cron_timezone": s.due_groups,
            "schedule_evaluation_seconds": s.evaluation_seconds,
            "load_seconds": s.load_seconds,
            "refresh_seconds": s.refresh_seconds,
            "new_code_server_seconds": s.new_server_seconds,
            "iterations": {
                label: {
                    "seconds": it.seconds,
                    "median_seconds": it.median("seconds"),
                    "statements": it.statements,
                    "median_statements": it.median("statements"),
                    "runs_created": it.runs,
                    "top_statements": it.top_statements,
                }
                for label, it in s.iterations.items()
            },
        }
        for s in sizes
    }
    return harness.finish("schedules", args, figures, targets)


def notes(size: Size) -> None:
    """Why an iteration is slow and what would help, from the figures."""
    its = size.iterations
    lines = []
    per_schedule = {label: its[label].median("seconds") / size.schedules for label in ("first", "restart")}
    statements = {label: its[label].median("statements") / size.schedules for label in ("first", "restart")}
    for label in ("first", "restart"):
        if its[label].median("seconds") > 5 or statements[label] > 20:
            when = {
                "first": "once, when the daemon first meets them (a state row per schedule; again for each new one)",
                "restart": "at every daemon start, and spread over each hour (each schedule's checkpoint)",
            }[label]
            lines.append(
                f"- {label}: {its[label].median('seconds'):.1f} s for {size.schedules} schedules, {when} "
                f"({1000 * per_schedule[label]:.0f} ms and {statements[label]:.0f} statements each). With one "
                f"schedule per distinct cron + time zone ({size.distinct} here) that fans out to its Model Jobs, "
                f"~{size.distinct * per_schedule[label]:.1f} s (a schedule launches only its own job: one asset job "
                "per group, a RunRequest per Model Job selecting its asset, or a sensor)."
            )
    due, runs = its["due"], its["due"].median("runs")
    if runs and due.median("seconds") > 5:
        each = due.median("seconds") / runs
        saved = (runs - size.due_groups) * size.evaluation_seconds
        lines.append(
            f"- due: {due.median('seconds'):.1f} s for {runs} runs, {1000 * each:.0f} ms and "
            f"{due.median('statements') / runs:.0f} statements per run created; of which "
            f"{1000 * size.evaluation_seconds:.0f} ms is the code server evaluating the schedule (it opens the "
            "instance for every evaluation that returns a run request), the rest the run itself (execution plan, "
            "snapshots, run, tags, enqueue; on SQLite a new event-log file per run). "
            f"{size.schedules} Model Jobs due in the same minute: ~{size.schedules * each:.0f} s in one "
            f"iteration. One schedule per cron + time zone evaluates {size.due_groups} schedules instead of "
            f"{runs}: ~{due.median('seconds') - saved:.1f} s; the runs still cost theirs. Also: spread the cron "
            "minutes, Postgres storage, or `schedules: {use_threads: true, num_workers: 4, num_submit_workers: 4}` "
            "in dagster.yaml (neither measured here)."
        )
    if its["idle"].median("seconds") < 1:
        lines.append(
            f"- idle: {its['idle'].median('seconds'):.2f} s, {its['idle'].median('statements')} statements: between "
            "due times the daemon skips each schedule from memory (it re-checks each once an hour, with jitter)."
        )
    if size.refresh_seconds > 5:
        lines.append(
            f"- the controller's workspace refresh every {RELOAD_WORKSPACE_INTERVAL} s costs "
            f"{size.refresh_seconds:.1f} s (dagster dev) / {size.new_server_seconds:.1f} s "
            "(dagster-daemon run: a new code server each time) "
            "for this code location, whatever the schedules: it grows with the size of the code location."
        )
    if lines:
        print("\nNotes\n\n" + "\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())

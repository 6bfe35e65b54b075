"""CPU a daemon-launched Model Job run costs the host, as production launches it.

It starts `model-jobs dev` (dagster dev: webserver, daemon, code server, the default run
launcher, which starts one process per run) on the embedded Snowflake, in a temporary
DAGSTER_HOME, from the checkout given (default: this one). It measures the CPU used by the whole
process tree (every live process's user + system time, plus what its finished children used, from
/proc) over an idle period, then while N runs of one Model Job are launched one after another
from the UI's GraphQL API (the asset graph's Materialize: `__ASSET_JOB`, partition sandbox), each
waited for. CPU per run = (CPU during the runs - idle CPU over the same time) / N.

Run it: make bench-run-cpu, or python bench/run_cpu.py --runs 5 [--checkout DIR]. To compare
with an older version: git worktree add /tmp/before <commit>, then --checkout /tmp/before (the
same virtual environment is used). Linux only (/proc). Target (exit 1 when missed, unless
--no-fail): CPU per run <= --max-cpu seconds (default 8).
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import harness  # bench/harness.py, next to this script

from model_jobs.warehouse.local_snowflake import free_port

REPO = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["data"]


def tree_cpu_seconds(root: int) -> float:
    """User + system seconds of `root` and every live descendant, with their finished children."""
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while being read
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(child for child, parent in parents.items() if parent == pid and child not in tree)
    return sum(times.get(pid, 0) for pid in tree) / TICKS


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except OSError:
            pass  # still starting
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}")


def run_once(port: int, model: str, partition: str) -> str:
    launched = graphql(
        port,
        LAUNCH,
        {
            "p": {
                "selector": {
                    "repositoryLocationName": "model_jobs",
                    "repositoryName": "__repository__",
                    "jobName": "__ASSET_JOB",
                    "assetSelection": [{"path": [model]}],
                },
                "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}]},
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    def finished() -> str | None:
        status = graphql(port, STATUS, {"id": run_id})["runOrError"]["status"]
        return status if status in ("SUCCESS", "FAILURE", "CANCELED") else None

    status = wait_for(finished, 300, f"run {run_id}")
    assert status == "SUCCESS", f"run {run_id} ended {status}"
    return run_id


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__, rounds=1)
    parser.add_argument("--runs", type=int, default=5, help="runs launched one after another (default 5)")
    parser.add_argument("--checkout", type=Path, default=REPO, help="the checkout to run (default: this one)")
    parser.add_argument("--model", default="customers_dim")
    parser.add_argument("--partition", default="sandbox")
    parser.add_argument("--max-cpu", type=float, default=8.0, help="target: CPU seconds per run (default 8)")
    args = parser.parse_args(argv)
    checkout = args.checkout.resolve()
    with tempfile.TemporaryDirectory(prefix="model_jobs_run_cpu_") as tmp:
        ui_port = free_port()
        env = {
            **os.environ,
            "DAGSTER_HOME": str(Path(tmp) / "home"),
            "MODEL_JOBS_LOCAL_SNOWFLAKE_PORT": str(free_port()),
            "MODEL_JOBS_LOCAL_SNOWFLAKE_DIR": str(Path(tmp) / "snowflake"),
            "MODEL_JOBS_SPECS_DIR": str(checkout / "job_specs"),
            "MODEL_JOBS_CACHE_DIR": str(Path(tmp) / "cache"),
        }
        env.pop("SNOWFLAKE_ACCOUNT", None)
        log = (Path(tmp) / "dev.log").open("w")
        dev = subprocess.Popen(
            [sys.executable, "-m", "model_jobs.cli", "dev", "--port", str(ui_port)],
            cwd=checkout,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(lambda: graphql(ui_port, "{ assetNodes { id } }")["assetNodes"], 300, "the Dagster UI")
            run_once(ui_port, args.model, args.partition)  # warm-up: first run pays one-time costs
            time.sleep(10)  # let the daemon settle after the warm-up
            started, cpu_before = time.monotonic(), tree_cpu_seconds(dev.pid)
            runs = [run_once(ui_port, args.model, args.partition) for _ in range(args.runs)]
            busy_seconds, busy_cpu = time.monotonic() - started, tree_cpu_seconds(dev.pid) - cpu_before
            idle_start = tree_cpu_seconds(dev.pid)
            time.sleep(busy_seconds)
            idle_cpu = tree_cpu_seconds(dev.pid) - idle_start
        finally:
            os.killpg(dev.pid, signal.SIGINT)
            try:
                dev.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(dev.pid, signal.SIGKILL)
            log.close()
    per_run = (busy_cpu - idle_cpu) / len(runs)
    harness.table(
        f"{len(runs)} daemon-launched runs of {args.model}@{args.partition}, checkout {checkout}",
        ["runs", "wall s", "CPU s (runs)", "CPU s (idle, same time)", "CPU s per run", "wall s per run"],
        [[len(runs), busy_seconds, busy_cpu, idle_cpu, per_run, busy_seconds / len(runs)]],
    )
    figures = {
        "checkout": str(checkout),
        "runs": len(runs),
        "wall_seconds": busy_seconds,
        "cpu_seconds_runs": busy_cpu,
        "cpu_seconds_idle": idle_cpu,
        "cpu_seconds_per_run": per_run,
    }
    return harness.finish("run_cpu", args, figures, [harness.Target("CPU seconds per run", per_run, args.max_cpu)])


if __name__ == "__main__":
    sys.exit(main())

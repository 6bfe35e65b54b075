"""Production as docs/production.md runs it, end to end: a PostgreSQL server of the test's own,
an instance from deploy/dagster.yaml, and the code location (`dagster api grpc`), the daemon and
the webserver as separate processes, against the embedded Snowflake.

A schedule tick and an event each lead to exactly one successful run, with its rows in Snowflake.
Then events keep arriving while the daemon is killed with SIGKILL at random moments and started
again. Every event must lead to exactly one run, or be answered by one coalesced follow-up run:
none lost, none doubled. Last, a run's worker process is killed mid-run: the target stays intact,
the code server reports the run failed, run retries start it again, and the retry writes what the
killed run would have.

Needs PostgreSQL's server programs: Debian's `postgresql` package, which `.ci/run` installs when
missing, or MODEL_JOBS_PG_BIN naming their folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from model_jobs.warehouse.local_snowflake import HOST, free_port, wait_until_listening
from model_jobs_tests.conftest import REPO
from model_jobs_tests.test_dev_end_to_end import graphql, rows_in, wait_for
from model_jobs_tests.test_triggers_end_to_end import _post_deployment, _runs, _tags

BIN = Path(sys.executable).parent  # the virtual environment's dagster, dagster-daemon, ...
SCHEDULED = "customers_dim@sandbox"  # given a schedule every minute in the test's copy of the specs
SCHEDULE = "customers_dim__sandbox"
TRIGGERED = "orders_enriched@marketing_prd"  # runs after each deployment of crm_service in marketing_prd
EVENTS, KILLS = 20, 5


def postgres_bin() -> Path:
    candidates = [os.environ.get("MODEL_JOBS_PG_BIN", ""), *sorted(glob.glob("/usr/lib/postgresql/*/bin"))[::-1]]
    for folder in filter(None, candidates):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    pytest.fail("no PostgreSQL server programs: install Debian's `postgresql` (.ci/run does) or set MODEL_JOBS_PG_BIN")


def as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root (CI), run it as the `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def postgres_server() -> Iterator[dict[str, str]]:
    """A throwaway PostgreSQL server on a free port; yields the DAGSTER_PG_* variables."""
    pg = postgres_bin()
    # Not under pytest's tmp_path: its folders are private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="model_jobs_pg_"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    port = free_port()
    data = root / "data"
    try:
        run = lambda *command: subprocess.run(as_postgres_user(list(command)), check=True, capture_output=True)  # noqa: E731
        run(str(pg / "initdb"), "-D", str(data), "-U", "dagster", "--auth=trust", "-E", "UTF8")
        options = f"-p {port} -k {root} -c listen_addresses={HOST} -c fsync=off"
        run(str(pg / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start")
        run(str(pg / "createdb"), "-h", HOST, "-p", str(port), "-U", "dagster", "dagster")
        yield {
            "DAGSTER_PG_HOST": HOST,
            "DAGSTER_PG_PORT": str(port),
            "DAGSTER_PG_USER": "dagster",
            "DAGSTER_PG_PASSWORD": "unused (trust)",
            "DAGSTER_PG_DB": "dagster",
        }
    finally:
        subprocess.run(as_postgres_user([str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), check=False)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Stack:
    env: dict[str, str]
    ui_port: int
    snowflake_port: int
    tmp: Path
    processes: dict[str, subprocess.Popen]

    def start(self, name: str, command: list[str]) -> None:
        log = (self.tmp / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(
            command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def start_daemon(self) -> None:
        self.start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", str(self.tmp / "workspace.yaml")])

    def rows(self, table: str) -> int:
        return rows_in(self.snowflake_port, table)

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def _specs_with_a_schedule_every_minute(target: Path) -> Path:
    shutil.copytree(REPO / "job_specs", target)
    jobs = target / "jobs" / "customers_dim.yaml"
    document = yaml.safe_load(jobs.read_text(encoding="utf-8"))
    document["jobs"]["sandbox"]["trigger"] = {"schedule": {"cron": "* * * * *"}}
    jobs.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("production")
    with postgres_server() as pg_env:
        home = tmp / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
        grpc_port, ui_port, snowflake_port = free_port(), free_port(), free_port()
        workspace = yaml.safe_load((REPO / "deploy" / "workspace.yaml").read_text(encoding="utf-8"))
        workspace["load_from"][0]["grpc_server"]["port"] = grpc_port
        (tmp / "workspace.yaml").write_text(yaml.safe_dump(workspace), encoding="utf-8")
        env = {key: value for key, value in os.environ.items() if key != "SNOWFLAKE_ACCOUNT"}
        env |= pg_env | {
            "DAGSTER_HOME": str(home),
            "MODEL_JOBS_LOCAL_SNOWFLAKE_PORT": str(snowflake_port),
            "MODEL_JOBS_SPECS_DIR": str(_specs_with_a_schedule_every_minute(tmp / "job_specs")),
            "MODEL_JOBS_CACHE_DIR": str(tmp / "cache"),
        }
        stack = Stack(env, ui_port, snowflake_port, tmp, {})
        try:
            stack.start(
                "snowflake",
                [sys.executable, "-m", "model_jobs.warehouse.local_snowflake", "--port", str(snowflake_port),
                 "--data-dir", str(tmp / "snowflake")],
            )  # fmt: skip
            wait_until_listening(snowflake_port, timeout=60)
            seeded = subprocess.run(
                [sys.executable, "-m", "model_jobs.cli", "seed"], cwd=REPO, env=env, capture_output=True, text=True
            )
            assert seeded.returncode == 0, seeded.stdout + seeded.stderr
            stack.start(
                "code_server",
                [str(BIN / "dagster"), "api", "grpc", "--module-name", "model_jobs.definitions",
                 "--host", "localhost", "--port", str(grpc_port)],
            )  # fmt: skip
            stack.start_daemon()
            webserver = [str(BIN / "dagster-webserver"), "-w", str(tmp / "workspace.yaml"), "-h", HOST]
            stack.start("webserver", [*webserver, "-p", str(ui_port)])
            wait_for(
                lambda: graphql(ui_port, "{ assetNodes { id } }")["assetNodes"],
                timeout=300,
                what=f"the webserver; code server:\n{stack.log('code_server')}\nwebserver:\n{stack.log('webserver')}",
            )
            yield stack
        finally:
            for name in list(stack.processes):
                stack.kill(name)


def _runs_of(stack: Stack, model_job: str) -> list[dict]:
    return [r for r in _runs(stack.ui_port) if _tags(r).get("model_job") == model_job]


def _schedule_ticks(stack: Stack) -> list[dict]:
    selector = {"repositoryLocationName": "model_jobs", "repositoryName": "__repository__", "scheduleName": SCHEDULE}
    return graphql(
        stack.ui_port,
        """query($s: ScheduleSelector!) { scheduleOrError(scheduleSelector: $s) { ... on Schedule {
             scheduleState { ticks(limit: 50) { timestamp status runIds } } } } }""",
        {"s": selector},
    )["scheduleOrError"]["scheduleState"]["ticks"]


def _deployment_storage_ids(stack: Stack) -> list[int]:
    """Storage ids of every crm_service deployment reported for marketing_prd, from the instance."""
    script = (
        "from dagster import AssetKey, AssetRecordsFilter, DagsterInstance\n"
        "with DagsterInstance.get() as i:\n"
        "    key = AssetKey(['deployments', 'crm_service'])\n"
        "    f = AssetRecordsFilter(asset_key=key, asset_partitions=['marketing_prd'])\n"
        "    print(' '.join(str(r.storage_id) for r in i.fetch_materializations(f, limit=1000).records))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=stack.env, capture_output=True, text=True, check=True)
    return sorted(int(s) for s in done.stdout.split())


@pytest.mark.e2e
@pytest.mark.slow
def test_production_stack_on_postgres(stack: Stack):
    port = stack.ui_port

    # A schedule tick: exactly one run, successful, its rows in Snowflake.
    ticked = wait_for(
        lambda: [t for t in _schedule_ticks(stack) if t["status"] == "SUCCESS" and t["runIds"]],
        timeout=180,
        what=f"a tick of {SCHEDULE}; daemon log:\n{stack.log('daemon')}",
    )
    (first_run,) = ticked[-1]["runIds"]
    status = lambda run_id: next((r["status"] for r in _runs(port) if r["runId"] == run_id), None)  # noqa: E731
    finished = lambda run_id: (s := status(run_id)) in ("SUCCESS", "FAILURE") and s  # noqa: E731
    assert wait_for(lambda: finished(first_run), 180, "the scheduled run") == "SUCCESS"
    assert stack.rows("SANDBOX.MARKETING.CUSTOMERS_DIM") == stack.rows("DATALAKE_DEV.SAMPLE.CUSTOMERS") > 0

    # An event: one deployment of crm_service in marketing_prd, one run of the Model Job waiting for it.
    assert _post_deployment(port, "crm_service", "marketing_prd") == 200
    (event,) = _deployment_storage_ids(stack)
    run = wait_for(lambda: _runs_of(stack, TRIGGERED), timeout=180, what=f"a run of {TRIGGERED}")
    assert [_tags(r)["dagster/run_key"] for r in run] == [f"{TRIGGERED}:{event}"]
    assert wait_for(lambda: finished(run[0]["runId"]), 180, "the triggered run") == "SUCCESS"
    assert stack.rows("ANALYTICS_PRD.MARTS.ORDERS_ENRICHED") == 600  # DATALAKE_PRD's orders, cancelled ones included

    # Events keep coming while the daemon is killed (SIGKILL) at random moments and restarted.
    chance = random.Random(int(os.environ.get("MODEL_JOBS_CHAOS_SEED", "7")))
    kill_after = sorted(chance.sample(range(1, EVENTS), KILLS))
    for number in range(1, EVENTS + 1):
        assert _post_deployment(port, "crm_service", "marketing_prd") == 200
        time.sleep(chance.uniform(0.1, 1.5))
        if number in kill_after:
            stack.kill("daemon")
            time.sleep(chance.uniform(0.2, 2.0))
            stack.start_daemon()
    events = _deployment_storage_ids(stack)
    assert len(events) == EVENTS + 1

    def settled() -> list[dict] | None:
        runs = _runs_of(stack, TRIGGERED)
        answered = max((int(_tags(r)["dagster/run_key"].rsplit(":", 1)[1]) for r in runs), default=0)
        done = all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in runs)
        return runs if done and answered >= events[-1] else None

    runs = wait_for(
        settled, timeout=600, what=f"runs answering all {len(events)} events; daemon log:\n{stack.log('daemon')}"
    )
    keys = [int(_tags(r)["dagster/run_key"].rsplit(":", 1)[1]) for r in runs]
    statuses = sorted({r["status"] for r in runs})
    print(
        f"\n{len(events)} deployment events, {KILLS} daemon kills (after events {kill_after}): "
        f"{len(runs)} runs of {TRIGGERED} ({', '.join(statuses)}); "
        f"{len(events) - len(runs)} events answered by a coalesced follow-up run"
    )
    assert len(keys) == len(set(keys)), f"an event answered twice: {sorted(keys)}"  # none doubled
    assert set(keys) <= set(events), f"a run answers no event: {sorted(set(keys) - set(events))}"
    assert max(keys) == events[-1]  # none lost: the last event was answered, and so every one before it
    assert statuses == ["SUCCESS"]
    assert stack.rows("ANALYTICS_PRD.MARTS.ORDERS_ENRICHED") == 600

    # The schedule went on through the kills: each tick that started a run started exactly one.
    ticks = [t for t in _schedule_ticks(stack) if t["runIds"]]
    assert ticks and all(len(t["runIds"]) == 1 for t in ticks), ticks
    scheduled = _runs_of(stack, SCHEDULED)
    assert len(scheduled) == len({_tags(r)["dagster/run_key"] for r in scheduled}) == len(ticks)
    print(f"{len(ticks)} ticks of {SCHEDULE}, {len(scheduled)} runs")

    # A run worker killed (SIGKILL) in the middle of its run: the target keeps what the last complete
    # write left; the code server that started the worker reports the run failed, run retries start
    # it again, and the retry writes the new rows. The warehouse is paused (SIGSTOP) while the run
    # starts, so the kill lands while the worker waits on it, whatever the machine's speed.
    loaded = subprocess.run(
        [sys.executable, "-m", "model_jobs.cli", "load-orders", "--env", "marketing_prd", "--orders", "5"],
        cwd=REPO,
        env=stack.env,
        capture_output=True,
        text=True,
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    target = "ANALYTICS_PRD.MARTS.ORDERS_ENRICHED"
    assert stack.rows(target) == 600
    earlier = {r["runId"] for r in _runs_of(stack, TRIGGERED)}
    warehouse = stack.processes["snowflake"]
    os.kill(warehouse.pid, signal.SIGSTOP)
    try:
        assert _post_deployment(port, "crm_service", "marketing_prd") == 200
        victim = wait_for(
            lambda: next((r for r in _runs_of(stack, TRIGGERED) if r["runId"] not in earlier), None),
            timeout=180,
            what="the new run",
        )
        worker = wait_for(lambda: _worker_pid(port, victim["runId"]), timeout=180, what="the run's worker")
        os.kill(worker, signal.SIGKILL)
    finally:
        os.kill(warehouse.pid, signal.SIGCONT)
    assert stack.rows(target) == 600  # intact: the old rows, all of them

    def retried() -> dict | None:
        retry = next((r for r in _runs(port) if _tags(r).get("dagster/parent_run_id") == victim["runId"]), None)
        return retry if retry and retry["status"] in ("SUCCESS", "FAILURE") else None

    retry = wait_for(retried, timeout=300, what=f"a retry of run {victim['runId']}; daemon:\n{stack.log('daemon')}")
    messages = _messages(port, victim["runId"])
    assert "RunFailureEvent" in {kind for kind, _ in messages}
    # "[DagsterApiServer] Run execution process for <run> was terminated by signal 9 (SIGKILL). ..."
    crash = f"Run execution process for {victim['runId']} was terminated by signal 9"
    assert any(kind == "EngineEvent" and crash in text for kind, text in messages), messages
    assert retry["status"] == "SUCCESS"
    assert stack.rows(target) == 605  # repaired: the five new orders are in
    print(f"run {victim['runId'][:8]}: worker {worker} killed, run failed; retried as {retry['runId'][:8]}: SUCCESS")


def _messages(port: int, run_id: str) -> list[tuple[str, str]]:
    events = graphql(
        port,
        """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
             __typename ... on MessageEvent { message } } } } }""",
        {"id": run_id},
    )["logsForRun"]["events"]
    return [(e["__typename"], e.get("message") or "") for e in events]


def _worker_pid(port: int, run_id: str) -> int | None:
    """The run worker's pid, once its step started: the in-process executor logs it."""
    for _kind, text in _messages(port, run_id):
        if found := re.match(r"Executing steps in process \(pid: (\d+)\)", text):
            return int(found.group(1))
    return None

"""The README's promise, end to end: `model-jobs dev` (what `make dev` runs) starts the embedded
Snowflake, seeds it and serves Dagster; the UI shows four models with three environment
partitions, and materializing marketing_prd runs the older tag against DATALAKE_PRD."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import snowflake.connector

from model_jobs.compile.sql import count_rows
from model_jobs.identifiers import TableName
from model_jobs.warehouse.local_snowflake import HOST, free_port
from model_jobs_tests.conftest import REPO

ENVIRONMENTS = ["marketing_dev", "marketing_prd", "sandbox"]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def rows_in(snowflake_port: int, table: str) -> int:
    """Rows in `table` (DATABASE.SCHEMA.TABLE) of the embedded Snowflake on that port."""
    connection = snowflake.connector.connect(
        account="local", user="local", password="local", host=HOST, port=snowflake_port, protocol="http"
    )
    try:
        ((count,),) = connection.cursor().execute(count_rows(TableName.parse(table))).fetchall()
        return int(count)
    finally:
        connection.close()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except Exception as exc:  # the server is still starting
            last_error = exc
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})")


@dataclass(frozen=True)
class DevServer:
    ui_port: int
    log: Path
    env: dict[str, str]  # what `model-jobs dev` runs with: a command given it reaches the same instance and warehouse
    pid: int  # of `model-jobs dev`

    @property
    def snowflake_port(self) -> int:
        return int(self.env["MODEL_JOBS_LOCAL_SNOWFLAKE_PORT"])


@contextlib.contextmanager
def running_dev(tmp_path: Path) -> Iterator[DevServer]:
    """`model-jobs dev` on free ports, in a fresh instance and embedded Snowflake under tmp_path."""
    ui_port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "MODEL_JOBS_LOCAL_SNOWFLAKE_PORT": str(free_port()),
        "MODEL_JOBS_LOCAL_SNOWFLAKE_DIR": str(tmp_path / "snowflake"),
        "MODEL_JOBS_SPECS_DIR": str(REPO / "job_specs"),
    }
    env.pop("SNOWFLAKE_ACCOUNT", None)
    log = (tmp_path / "dev.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "model_jobs.cli", "dev", "--port", str(ui_port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield DevServer(ui_port, tmp_path / "dev.log", env, process.pid)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def dev_server(tmp_path):
    with running_dev(tmp_path) as server:
        yield server.ui_port, server.log


def processes_of(home: str) -> list[str]:
    """Command lines of the processes running with DAGSTER_HOME=home (every one `model-jobs dev`
    starts inherits it)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if f"DAGSTER_HOME={home}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:  # not a process, or gone meanwhile
            continue
    return found


@pytest.fixture
def dev(tmp_path):
    with running_dev(tmp_path) as server:
        yield server


@pytest.mark.e2e
def test_make_dev_then_materialize_prd(dev):
    port, log = dev.ui_port, dev.log
    nodes = wait_for(
        lambda: graphql(port, "{ assetNodes { assetKey { path } partitionKeys } }")["assetNodes"],
        timeout=240,
        what=f"the Dagster UI; log:\n{log.read_text() if log.exists() else ''}",
    )
    # One line says where the UI is and how to stop it.
    assert f"model-jobs dev: the Dagster UI will be on http://127.0.0.1:{port} (Ctrl+C stops it" in log.read_text()
    partitions = {tuple(n["assetKey"]["path"]): n["partitionKeys"] for n in nodes}
    for model in ["customers_dim", "orders_enriched", "customer_ltv", "order_status"]:
        assert partitions[(model,)] == ENVIRONMENTS

    launched = graphql(
        port,
        """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
             __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
        {
            "p": {
                "selector": {
                    "repositoryLocationName": "model_jobs",
                    "repositoryName": "__repository__",
                    "jobName": "__ASSET_JOB",
                    "assetSelection": [{"path": ["orders_enriched"]}],
                },
                "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "marketing_prd"}]},
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    status = wait_for(
        lambda: (
            (
                s := graphql(
                    port, "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", {"id": run_id}
                )["runOrError"]["status"]
            )
            in ("SUCCESS", "FAILURE", "CANCELED")
            and s
        ),
        timeout=240,
        what="the run to finish",
    )
    assert status == "SUCCESS"

    materialization = graphql(
        port,
        """{ assetOrError(assetKey: {path: ["orders_enriched"]}) { ... on Asset {
        assetMaterializations(limit: 1) { partition runId metadataEntries { label
          ... on TextMetadataEntry { text } ... on IntMetadataEntry { intValue } } } } } }""",
    )["assetOrError"]["assetMaterializations"][0]
    metadata = {e["label"]: e.get("text", e.get("intValue")) for e in materialization["metadataEntries"]}
    assert materialization["partition"] == "marketing_prd"
    assert materialization["runId"] == run_id
    assert metadata["tag"] == "2026.1"  # prd stays on the older tag
    assert metadata["rows_written"] == 600  # DATALAKE_PRD's orders, cancelled ones included
    assert metadata["target"] == "ANALYTICS_PRD.MARTS.ORDERS_ENRICHED"

    # The run the UI launched executed its step in its own process, not in a subprocess per step.
    events = graphql(
        port,
        """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
             __typename ... on MessageEvent { message } } } } }""",
        {"id": run_id},
    )["logsForRun"]["events"]
    messages = [e.get("message") or "" for e in events]
    assert any(m.startswith("Executing steps in process") for m in messages), messages
    assert not any("multiprocess" in m for m in messages)

    # Stopped as a service manager stops it (SIGTERM to `model-jobs dev` alone), it stops what it
    # started: the UI, the daemon, the code servers and the embedded Snowflake.
    assert len(processes_of(dev.env["DAGSTER_HOME"])) >= 4
    os.kill(dev.pid, signal.SIGTERM)
    wait_for(
        lambda: not processes_of(dev.env["DAGSTER_HOME"]),
        timeout=90,
        what=f"every process of model-jobs dev to stop; left: {processes_of(dev.env['DAGSTER_HOME'])}",
    )

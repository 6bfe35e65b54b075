"""Triggers in `make dev`, end to end: the daemon runs the demo's schedules and sensors; a
materialization in marketing_prd starts the dependent prd Model Job by itself (dev stays
untouched); a deployment posted to Dagster's REST endpoint starts the job waiting for it, and a
bogus partition is reported in the tick history; two launches of one Model Job never overlap."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime

import pytest

from model_jobs_tests.test_dev_end_to_end import dev_server, graphql, wait_for  # noqa: F401 (fixture)

LOCATION = {"repositoryLocationName": "model_jobs", "repositoryName": "__repository__"}
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


def _launch(
    port: int, job: str, partition: str, assets: list[str] | None = None, checks: list[dict] | None = None
) -> str:
    selector = {
        **LOCATION,
        "jobName": job,
        **({"assetSelection": [{"path": [a]} for a in assets]} if assets is not None else {}),
        **({"assetCheckSelection": checks} if checks is not None else {}),
    }
    launched = graphql(
        port,
        """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
             __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
        {
            "p": {
                "selector": selector,
                "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}]},
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def _runs(port: int) -> list[dict]:
    return graphql(
        port,
        """{ runsOrError(limit: 100) { ... on Runs { results {
             runId jobName status startTime endTime tags { key value } } } } }""",
    )["runsOrError"]["results"]


def _tags(run: dict) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run["tags"]}


def _runs_of(port: int, model_job: str) -> list[dict]:
    return [r for r in _runs(port) if _tags(r).get("model_job") == model_job]


def _finished(port: int, run_id: str) -> str | None:
    status = graphql(port, "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", {"id": run_id})
    value = status["runOrError"]["status"]
    return value if value in FINISHED else None


def _instigators(port: int) -> dict[str, str]:
    selector = {"repositoryLocationName": "model_jobs", "repositoryName": "__repository__"}
    schedules = graphql(
        port,
        "query($s: RepositorySelector!) { schedulesOrError(repositorySelector: $s) { ... on Schedules { results { "
        "name scheduleState { status } } } } }",
        {"s": selector},
    )["schedulesOrError"]["results"]
    sensors = graphql(
        port,
        "query($s: RepositorySelector!) { sensorsOrError(repositorySelector: $s) { ... on Sensors { results { "
        "name sensorState { status } } } } }",
        {"s": selector},
    )["sensorsOrError"]["results"]
    return {s["name"]: s["scheduleState"]["status"] for s in schedules} | {
        s["name"]: s["sensorState"]["status"] for s in sensors
    }


def _dispatcher_ticks(port: int) -> list[dict]:
    return graphql(
        port,
        """query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) { ... on Sensor {
             sensorState { ticks(limit: 20) { status skipReason cursor runIds
               logEvents { events { message } } } } } } }""",
        {"s": {**LOCATION, "sensorName": "model_jobs_events"}},
    )["sensorOrError"]["sensorState"]["ticks"]


def _tick_says(port: int, text: str) -> bool:
    """Whether a dispatcher tick says `text`: as its skip reason, or in its log (a tick that also
    started runs has no skip reason)."""
    for tick in _dispatcher_ticks(port):
        said = [tick["skipReason"] or "", *(e["message"] for e in tick["logEvents"]["events"])]
        if any(text in line for line in said):
            return True
    return False


def _post_deployment(port: int, name: str, partition: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/report_asset_materialization/deployments/{name}",
        data=json.dumps({"partition": partition, "metadata": {"version": "4.2.0"}}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def _when(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp)


@pytest.mark.e2e
@pytest.mark.slow
def test_triggers_in_make_dev(dev_server):  # noqa: F811 (the fixture imported above)
    port, log = dev_server
    wait_for(
        lambda: graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"],
        timeout=240,
        what=f"the Dagster UI; log:\n{log.read_text() if log.exists() else ''}",
    )
    # The demo's schedules and sensors are running from the start.
    assert _instigators(port) == {
        "customers_dim__marketing_prd": "RUNNING",
        "order_status__marketing_prd": "RUNNING",
        "model_jobs_events": "RUNNING",
        "model_jobs_job_events": "RUNNING",
        "model_jobs_freshness": "RUNNING",
        "model_jobs_notify": "RUNNING",
    }
    # The dispatcher's first tick starts watching (it does not replay history).
    wait_for(lambda: any(t["cursor"] for t in _dispatcher_ticks(port)), timeout=120, what="the first dispatcher tick")

    # A person materializes customers_dim in marketing_prd from the asset graph ...
    upstream = _launch(port, "__ASSET_JOB", "marketing_prd", assets=["customers_dim"])
    assert wait_for(lambda: _finished(port, upstream), timeout=180, what="the customers_dim run") == "SUCCESS"
    # ... and the dependent prd Model Job starts by itself, once.
    triggered = wait_for(lambda: _runs_of(port, "orders_enriched@marketing_prd"), timeout=180, what="the trigger")
    (run,) = triggered
    assert run["jobName"] == "orders_enriched_job"
    assert _tags(run)["dagster/partition"] == "marketing_prd"
    assert wait_for(lambda: _finished(port, run["runId"]), timeout=180, what="the triggered run") == "SUCCESS"
    assert not _runs_of(port, "orders_enriched@marketing_dev")  # dev stays untouched

    # A deployment with a partition that is no environment: HTTP 200, ignored, and said so.
    assert _post_deployment(port, "crm_service", "production") == 200
    wait_for(
        lambda: _tick_says(port, "deployment crm_service was reported for 'production', which is not an environment"),
        timeout=120,
        what="the dispatcher to report the bogus partition",
    )
    # A real one starts the job waiting for it.
    assert _post_deployment(port, "crm_service", "marketing_prd") == 200
    wait_for(
        lambda: len(_runs_of(port, "orders_enriched@marketing_prd")) == 2, timeout=120, what="the deployment trigger"
    )

    # Two launches of one Model Job never execute together; the queue holds the second.
    first = _launch(port, "customers_dim_job", "sandbox")
    second = _launch(port, "customers_dim_job", "sandbox")
    other = _launch(port, "customers_dim_job", "marketing_dev")
    for run_id in (first, second, other):
        assert wait_for(lambda r=run_id: _finished(port, r), timeout=240, what=f"run {run_id}") == "SUCCESS"
    by_id = {r["runId"]: r for r in _runs(port)}
    a, b = sorted((by_id[first], by_id[second]), key=lambda r: r["startTime"])
    assert a["endTime"] <= b["startTime"], f"{_when(a['endTime'])} > {_when(b['startTime'])}"

    # Conditions: the sandbox's sample fails a check, so its order_status run is skipped, not failed.
    skipped = _launch(port, "order_status_job", "sandbox")
    assert wait_for(lambda: _finished(port, skipped), timeout=240, what="the skipped run") == "SUCCESS"
    reason = _tags(next(r for r in _runs(port) if r["runId"] == skipped))["model_jobs/skipped"]
    assert reason == "DATALAKE_DEV.SAMPLE.ORDERS: 1 of 46 rows fail accepted_values_status (check failed)"
    # The source's checks run alone for one environment, as the UI's Execute button launches them.
    source = {"path": ["datalake_dev", "raw", "orders"]}
    checks = _launch(
        port, "__ASSET_JOB", "sandbox", assets=[], checks=[{"assetKey": source, "name": "accepted_values_status"}]
    )
    assert wait_for(lambda: _finished(port, checks), timeout=240, what="the check run") == "SUCCESS"
    events = graphql(
        port,
        """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
             ... on AssetCheckEvaluationEvent { evaluation { checkName success
               metadataEntries { label ... on IntMetadataEntry { intValue } } } } } } } }""",
        {"id": checks},
    )["logsForRun"]["events"]
    (evaluation,) = [e["evaluation"] for e in events if e.get("evaluation")]
    assert (evaluation["checkName"], evaluation["success"]) == ("accepted_values_status", False)
    assert {m["label"]: m.get("intValue") for m in evaluation["metadataEntries"]}["failing_rows"] == 1
